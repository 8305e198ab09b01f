/* zmq_msg_* details as libzmq 4.3.4 shows them: errno values, ZMQ_SHARED, ZMQ_SRCFD, zmq_msg_gets property
 * names (exact case), zmq_msg_set, copy/move into a closed message, closing twice. */
#include "testutil.h"

static void *ctx;

static void msg_close_twice_shall_fail_with_efault(void)
{
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_size(&m, 100));
    CHECK_OK(zmq_msg_close(&m));
    CHECK_ERR(zmq_msg_close(&m), EFAULT);
    CHECK_OK(zmq_msg_init(&m));
    CHECK_OK(zmq_msg_close(&m));
    CHECK_ERR(zmq_msg_close(&m), EFAULT);
}

/* libzmq closes the destination first: a closed (or zeroed) destination is EFAULT, as is a closed source. */
static void msg_copy_and_move_shall_need_live_messages(void)
{
    zmq_msg_t src, dst;
    CHECK_OK(zmq_msg_init_size(&src, 5));
    memset(&dst, 0, sizeof dst);
    CHECK_ERR(zmq_msg_copy(&dst, &src), EFAULT);
    CHECK_ERR(zmq_msg_move(&dst, &src), EFAULT);
    CHECK_OK(zmq_msg_init(&dst));
    CHECK_OK(zmq_msg_close(&dst));
    CHECK_ERR(zmq_msg_copy(&dst, &src), EFAULT);
    CHECK_ERR(zmq_msg_move(&dst, &src), EFAULT);
    CHECK_OK(zmq_msg_close(&src));
    CHECK_OK(zmq_msg_init(&dst));
    CHECK_ERR(zmq_msg_copy(&dst, &src), EFAULT);
    CHECK_ERR(zmq_msg_move(&dst, &src), EFAULT);
    CHECK_OK(zmq_msg_close(&dst));
}

/* Copy and move keep the flags and content; the moved-from message is empty and still live. */
static void msg_copy_and_move_shall_carry_content(void)
{
    zmq_msg_t a, b, c;
    CHECK_OK(zmq_msg_init_size(&a, 3));
    memcpy(zmq_msg_data(&a), "abc", 3);
    CHECK_OK(zmq_msg_init_size(&b, 10));   /* replaced: its old content is released */
    CHECK_OK(zmq_msg_copy(&b, &a));
    CHECK_MEM(zmq_msg_data(&b), zmq_msg_size(&b), "abc", 3);
    CHECK_OK(zmq_msg_init(&c));
    CHECK_OK(zmq_msg_move(&c, &a));
    CHECK_MEM(zmq_msg_data(&c), zmq_msg_size(&c), "abc", 3);
    CHECK_EQ(zmq_msg_size(&a), 0);
    CHECK_OK(zmq_msg_close(&a));
    CHECK_OK(zmq_msg_close(&b));
    CHECK_OK(zmq_msg_close(&c));
}

/* ZMQ_SHARED: 0 for a fresh message; after zmq_msg_copy 1 on both, for messages over 33 bytes only (libzmq
 * keeps smaller ones inside zmq_msg_t and copies them), and it stays 1 after the copy is closed and through
 * a move; 1 for zmq_msg_init_data with no free function (constant data), 0 with one. */
static void msg_shared_shall_follow_libzmq(void)
{
    size_t sizes[] = {0, 33, 34, 100, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        zmq_msg_t m, copy, moved;
        int want = sizes[i] > 33;
        CHECK_OK(zmq_msg_init_size(&m, sizes[i]));
        CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
        CHECK_OK(zmq_msg_init(&copy));
        CHECK_OK(zmq_msg_copy(&copy, &m));
        CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), want);
        CHECK_EQ(zmq_msg_get(&copy, ZMQ_SHARED), want);
        CHECK_OK(zmq_msg_close(&copy));
        CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), want);
        CHECK_OK(zmq_msg_init(&moved));
        CHECK_OK(zmq_msg_move(&moved, &m));
        CHECK_EQ(zmq_msg_get(&moved, ZMQ_SHARED), want);
        CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
        CHECK_OK(zmq_msg_close(&moved));
        CHECK_OK(zmq_msg_close(&m));
    }
    static char data[100];
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_data(&m, data, sizeof data, NULL, NULL));
    CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 1);
    CHECK(zmq_msg_data(&m) == data);
    CHECK_EQ(zmq_msg_size(&m), sizeof data);
    CHECK_OK(zmq_msg_close(&m));
}

static void free_nothing(void *data, void *hint)
{
    (void)data;
    (void)hint;
}

/* zmq_msg_init_data: a free function makes a private (unshared) message; NULL data with size 0 is fine. */
static void msg_init_data_variants(void)
{
    static char data[10];
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_data(&m, data, sizeof data, free_nothing, NULL));
    CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
    CHECK_OK(zmq_msg_close(&m));
    CHECK_OK(zmq_msg_init_data(&m, NULL, 0, NULL, NULL));
    CHECK_EQ(zmq_msg_size(&m), 0);
    CHECK_OK(zmq_msg_close(&m));
    CHECK_OK(zmq_msg_init_data(&m, NULL, 0, free_nothing, NULL));
    CHECK_EQ(zmq_msg_size(&m), 0);
    CHECK_OK(zmq_msg_close(&m));
}

/* zmq_msg_get: ZMQ_MORE, ZMQ_SHARED; ZMQ_SRCFD and unknown properties are -1/EINVAL on an application's
 * message. zmq_msg_set: every property is EINVAL. zmq_msg_gets: NULL/EINVAL without metadata. */
static void msg_properties_on_a_local_message(void)
{
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init(&m));
    CHECK_EQ(zmq_msg_get(&m, ZMQ_MORE), 0);
    CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
    CHECK_ERR(zmq_msg_get(&m, ZMQ_SRCFD), EINVAL);
    CHECK_ERR(zmq_msg_get(&m, 99), EINVAL);
    CHECK_ERR(zmq_msg_get(&m, -1), EINVAL);
    CHECK_ERR(zmq_msg_set(&m, ZMQ_MORE, 1), EINVAL);
    CHECK_ERR(zmq_msg_set(&m, ZMQ_SHARED, 1), EINVAL);
    CHECK_ERR(zmq_msg_set(&m, 99, 0), EINVAL);
    errno = 0;
    CHECK(zmq_msg_gets(&m, "Socket-Type") == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK_OK(zmq_msg_close(&m));
}

/* Receives one frame into a zmq_msg_t (caller closes it). */
static void recv_msg(void *sock, zmq_msg_t *m)
{
    CHECK_OK(zmq_msg_init(m));
    CHECK(poll_in(sock, 3000));
    CHECK_INT(zmq_msg_recv(m, sock, 0), >=, 0);
}

static int fd_is_socket(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    return getsockname(fd, (struct sockaddr *)&ss, &len) == 0;
}

/* Over tcp and ipc, ZMQ_SRCFD is the connection's fd (also under the property "__fd"); ZMQ_MORE follows
 * the frame; "Socket-Type" and "Identity" come from the peer's READY, names matched with exact case;
 * "Routing-Id" is not a property; "Peer-Address" is the peer's IP (tcp) or "localhost:uid:gid:pid" (ipc). */
static void received_message_properties(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, transport, ep, sizeof ep);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "cid", 3));
    CHECK_OK(zmq_connect(dealer, ep));
    send_str(dealer, "hello");
    zmq_msg_t id, body;
    recv_msg(router, &id);
    recv_msg(router, &body);
    CHECK_EQ(zmq_msg_get(&id, ZMQ_MORE), 1);
    CHECK_EQ(zmq_msg_get(&body, ZMQ_MORE), 0);
    int inproc = strcmp(transport, "inproc") == 0;
    if (inproc) {
        CHECK_ERR(zmq_msg_get(&body, ZMQ_SRCFD), EINVAL);
        errno = 0;
        CHECK(zmq_msg_gets(&body, "Socket-Type") == NULL);
        CHECK_EQ(errno, EINVAL);
        CHECK(zmq_msg_gets(&body, "Peer-Address") == NULL);
    } else {
        int fd = zmq_msg_get(&body, ZMQ_SRCFD);
        CHECK_INT(fd, >=, 0);
        CHECK(fd_is_socket(fd));
        char fdstr[16];
        snprintf(fdstr, sizeof fdstr, "%d", fd);
        CHECK_STR(zmq_msg_gets(&body, "__fd"), fdstr);
        CHECK_STR(zmq_msg_gets(&body, "Socket-Type"), "DEALER");
        CHECK_STR(zmq_msg_gets(&body, "Identity"), "cid");
        errno = 0;
        CHECK(zmq_msg_gets(&body, "socket-type") == NULL);
        CHECK_EQ(errno, EINVAL);
        CHECK(zmq_msg_gets(&body, "identity") == NULL);
        CHECK(zmq_msg_gets(&body, "Routing-Id") == NULL);
        CHECK(zmq_msg_gets(&body, "User-Id") == NULL);
        const char *pa = zmq_msg_gets(&body, "Peer-Address");
        CHECK(pa != NULL);
        if (strcmp(transport, "tcp") == 0) {
            CHECK_STR(pa, "127.0.0.1");
        } else {
            char want[64];
            snprintf(want, sizeof want, "localhost:%u:%u:%d", (unsigned)getuid(), (unsigned)getgid(),
                     (int)getpid());
            CHECK_STR(pa, want);
        }
    }
    CHECK_OK(zmq_msg_close(&id));
    CHECK_OK(zmq_msg_close(&body));
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* Two connections, two fds: ZMQ_SRCFD tells them apart. */
static void srcfd_shall_tell_connections_apart(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *pull = bound_socket(ctx, ZMQ_PULL, "tcp", ep, sizeof ep);
    void *a = test_socket(ctx, ZMQ_PUSH), *b = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(a, ep));
    CHECK_OK(zmq_connect(b, ep));
    send_str(a, "a");
    send_str(b, "b");
    zmq_msg_t m1, m2;
    recv_msg(pull, &m1);
    recv_msg(pull, &m2);
    int fd1 = zmq_msg_get(&m1, ZMQ_SRCFD), fd2 = zmq_msg_get(&m2, ZMQ_SRCFD);
    CHECK_INT(fd1, >=, 0);
    CHECK_INT(fd2, >=, 0);
    CHECK_INT(fd1, !=, fd2);
    CHECK_OK(zmq_msg_close(&m1));
    CHECK_OK(zmq_msg_close(&m2));
    close_zero_linger(a);
    close_zero_linger(b);
    close_zero_linger(pull);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(msg_close_twice_shall_fail_with_efault);
    RUN(msg_copy_and_move_shall_need_live_messages);
    RUN(msg_copy_and_move_shall_carry_content);
    RUN(msg_shared_shall_follow_libzmq);
    RUN(msg_init_data_variants);
    RUN(msg_properties_on_a_local_message);
    RUN_TRANSPORTS(received_message_properties);
    RUN(srcfd_shall_tell_connections_apart);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
