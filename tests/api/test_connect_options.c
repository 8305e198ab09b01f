/* ZMQ_CONNECT_ROUTING_ID and ZMQ_BINDTODEVICE as libzmq 4.3.4 takes them.
 * ZMQ_CONNECT_ROUTING_ID: ROUTER, STREAM (and REP) only; 1 or more bytes, any first byte; write-only; names
 * the peer of the next zmq_connect only, so a ROUTER can send to it before the handshake.
 * ZMQ_BINDTODEVICE: up to 16 characters; (NULL, 0) clears it and an empty value is EINVAL; a bind on an
 * unknown device fails with ENODEV, a connect succeeds and keeps retrying. */
#include "rawpeer.h"

#include <net/if.h>
#include <sys/socket.h>

static void *ctx;

static void connect_routing_id_shall_be_taken_by_routing_types_only(void)
{
    const int takes[] = {ZMQ_ROUTER, ZMQ_STREAM, ZMQ_REP};
    const int refuses[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_DEALER, ZMQ_PULL, ZMQ_PUSH, ZMQ_XPUB, ZMQ_XSUB};
    for (size_t i = 0; i < sizeof takes / sizeof takes[0]; i++) {
        void *s = test_socket(ctx, takes[i]);
        CHECK_OK(zmq_setsockopt(s, ZMQ_CONNECT_ROUTING_ID, "abc", 3));
        CHECK_OK(zmq_setsockopt(s, ZMQ_CONNECT_ROUTING_ID, "\0ab", 3));   /* a zero first byte is taken */
        CHECK_ERR(zmq_setsockopt(s, ZMQ_CONNECT_ROUTING_ID, "", 0), EINVAL);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_CONNECT_ROUTING_ID, NULL, 3), EINVAL);
        char big[255];
        memset(big, 'x', sizeof big);
        CHECK_OK(zmq_setsockopt(s, ZMQ_CONNECT_ROUTING_ID, big, sizeof big));
        char buf[256];
        size_t len = sizeof buf;
        CHECK_ERR(zmq_getsockopt(s, ZMQ_CONNECT_ROUTING_ID, buf, &len), EINVAL);   /* write-only */
        close_zero_linger(s);
    }
    for (size_t i = 0; i < sizeof refuses / sizeof refuses[0]; i++) {
        void *s = test_socket(ctx, refuses[i]);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_CONNECT_ROUTING_ID, "abc", 3), EINVAL);
        close_zero_linger(s);
    }
}

/* ROUTER to ROUTER: the connecting side names each peer and can send at once, on every transport. */
static void router_shall_name_its_connected_peers(const char *transport)
{
    void *server = test_socket(ctx, ZMQ_ROUTER);
    set_int(server, ZMQ_RCVTIMEO, 5000);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, transport, ep, sizeof ep);
    void *client = test_socket(ctx, ZMQ_ROUTER);
    CHECK_OK(zmq_setsockopt(client, ZMQ_ROUTING_ID, "client", 6));
    CHECK_OK(zmq_setsockopt(client, ZMQ_CONNECT_ROUTING_ID, "server", 6));
    CHECK_OK(zmq_connect(client, ep));
    send_str_more(client, "server");   /* routable before any handshake */
    send_str(client, "hello");
    recv_expect_more(server, "client");
    recv_expect(server, "hello");
    send_str_more(server, "client");
    send_str(server, "back");
    recv_expect_more(client, "server");
    recv_expect(client, "back");
    close_zero_linger(client);
    close_zero_linger(server);
}

/* The option names the next connect only: a second connect gets the id its peer announces. */
static void connect_routing_id_shall_apply_to_the_next_connect_only(void)
{
    void *a = test_socket(ctx, ZMQ_ROUTER);
    void *b = test_socket(ctx, ZMQ_ROUTER);
    CHECK_OK(zmq_setsockopt(b, ZMQ_ROUTING_ID, "B", 1));
    char ea[TU_ENDPOINT_LEN], eb[TU_ENDPOINT_LEN];
    bind_ephemeral(a, ea, sizeof ea);
    bind_ephemeral(b, eb, sizeof eb);
    void *client = test_socket(ctx, ZMQ_ROUTER);
    set_int(client, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_OK(zmq_setsockopt(client, ZMQ_CONNECT_ROUTING_ID, "A", 1));
    CHECK_OK(zmq_connect(client, ea));
    CHECK_OK(zmq_connect(client, eb));
    send_str_more(client, "A");
    send_str(client, "to a");
    set_int(a, ZMQ_RCVTIMEO, 5000);
    zmq_msg_t id;
    zmq_msg_init(&id);
    CHECK_OK(zmq_msg_recv(&id, a, 0));
    zmq_msg_close(&id);
    recv_expect(a, "to a");
    /* "B" is known only once b's handshake announced it */
    int64_t deadline = now_ms() + 5000;
    int rc;
    while ((rc = zmq_send(client, "B", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT)) == -1 && errno == EHOSTUNREACH &&
           now_ms() < deadline)
        msleep(10);
    CHECK_EQ(rc, 1);
    send_str(client, "to b");
    set_int(b, ZMQ_RCVTIMEO, 5000);
    zmq_msg_init(&id);
    CHECK_OK(zmq_msg_recv(&id, b, 0));
    zmq_msg_close(&id);
    recv_expect(b, "to b");
    close_zero_linger(client);
    close_zero_linger(a);
    close_zero_linger(b);
}

/* STREAM: the connection is known by the given id, so data can be sent to it right away. */
static void stream_shall_name_its_connection(void)
{
    int port = 0;
    int lfd = raw_listen(&port);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);

    void *s = test_socket(ctx, ZMQ_STREAM);
    CHECK_OK(zmq_setsockopt(s, ZMQ_CONNECT_ROUTING_ID, "conn1", 5));
    CHECK_OK(zmq_connect(s, ep));
    int fd = raw_accept(lfd, 5000);
    send_str_more(s, "conn1");
    send_str(s, "raw bytes");
    char buf[32];
    size_t got = 0;
    int64_t deadline = now_ms() + 5000;
    while (got < 9 && now_ms() < deadline) {
        struct pollfd q = {.fd = fd, .events = POLLIN};
        if (poll(&q, 1, 100) == 1) {
            ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
            CHECK(n > 0);
            got += (size_t)n;
        }
    }
    CHECK_MEM(buf, got, "raw bytes", 9);
    close(fd);
    close(lfd);
    close_zero_linger(s);
}

/* Whether this process may use SO_BINDTODEVICE at all (it needs CAP_NET_RAW). */
static int can_bind_to_device(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 2) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static void bindtodevice_shall_validate_its_value(void)
{
    void *s = test_socket(ctx, ZMQ_PULL);
    char dev[64];
    size_t len = sizeof dev;
    CHECK_OK(zmq_getsockopt(s, ZMQ_BINDTODEVICE, dev, &len));
    CHECK_EQ(len, 1);
    CHECK_STR(dev, "");
    CHECK_OK(zmq_setsockopt(s, ZMQ_BINDTODEVICE, "0123456789abcdef", 16));
    len = sizeof dev;
    CHECK_OK(zmq_getsockopt(s, ZMQ_BINDTODEVICE, dev, &len));
    CHECK_EQ(len, 17);
    CHECK_STR(dev, "0123456789abcdef");
    CHECK_ERR(zmq_setsockopt(s, ZMQ_BINDTODEVICE, "0123456789abcdefg", 17), EINVAL);
    CHECK_ERR(zmq_setsockopt(s, ZMQ_BINDTODEVICE, "", 0), EINVAL);
    CHECK_ERR(zmq_setsockopt(s, ZMQ_BINDTODEVICE, NULL, 2), EINVAL);
    CHECK_OK(zmq_setsockopt(s, ZMQ_BINDTODEVICE, "lo", 2));
    len = sizeof dev;
    CHECK_OK(zmq_getsockopt(s, ZMQ_BINDTODEVICE, dev, &len));
    CHECK_STR(dev, "lo");
    CHECK_OK(zmq_setsockopt(s, ZMQ_BINDTODEVICE, NULL, 0));   /* clears */
    len = sizeof dev;
    CHECK_OK(zmq_getsockopt(s, ZMQ_BINDTODEVICE, dev, &len));
    CHECK_STR(dev, "");
    close_zero_linger(s);
}

static void bindtodevice_shall_bind_to_lo_and_refuse_unknown_devices(void)
{
    if (!can_bind_to_device()) {
        printf("  (no CAP_NET_RAW: SO_BINDTODEVICE cases skipped)\n");
        return;
    }
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_setsockopt(pull, ZMQ_BINDTODEVICE, "lo", 2));
    char last[TU_ENDPOINT_LEN];
    bind_ephemeral(pull, last, sizeof last);
    void *push = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_setsockopt(push, ZMQ_BINDTODEVICE, "lo", 2));
    CHECK_OK(zmq_connect(push, last));
    send_str(push, "on lo");
    recv_expect(pull, "on lo");
    close_zero_linger(push);

    CHECK_OK(zmq_setsockopt(pull, ZMQ_BINDTODEVICE, "nosuchdev0", 10));
    CHECK_ERR(zmq_bind(pull, "tcp://127.0.0.1:*"), ENODEV);
    get_last_endpoint(pull, last, sizeof last);   /* unchanged by the failed bind */
    CHECK(strncmp(last, "tcp://127.0.0.1:", 16) == 0);
    /* ipc ignores the option */
    char ep[TU_ENDPOINT_LEN];
    bind_transport(pull, "ipc", ep, sizeof ep);
    /* a connect succeeds and only its attempts fail */
    push = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_setsockopt(push, ZMQ_BINDTODEVICE, "nosuchdev0", 10));
    set_int(push, ZMQ_RECONNECT_IVL, 20);
    void *other = test_socket(ctx, ZMQ_PULL);
    bind_ephemeral(other, last, sizeof last);
    CHECK_OK(zmq_connect(push, last));
    CHECK_EQ(zmq_send(push, "x", 1, ZMQ_DONTWAIT), 1);
    expect_no_msg(other, 300);
    close_zero_linger(push);
    close_zero_linger(other);
    close_zero_linger(pull);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(connect_routing_id_shall_be_taken_by_routing_types_only);
    RUN_TRANSPORTS(router_shall_name_its_connected_peers);
    RUN(connect_routing_id_shall_apply_to_the_next_connect_only);
    RUN(stream_shall_name_its_connection);
    RUN(bindtodevice_shall_validate_its_value);
    RUN(bindtodevice_shall_bind_to_lo_and_refuse_unknown_devices);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
