/* Contexts: zmq_ctx_new/term/shutdown (ETERM wakes blocked calls in other threads), zmq_ctx_set/get,
 * MAX_SOCKETS, BLOCKY, and the version and error helpers. */
#include "testutil.h"

static void ctx_new_and_term_shall_work_with_and_without_sockets(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_term(ctx));
    ctx = CHECK_PTR(zmq_ctx_new());
    void *s = CHECK_PTR(zmq_socket(ctx, ZMQ_PUSH));
    CHECK_OK(zmq_close(s));
    CHECK_OK(zmq_ctx_term(ctx));
    /* the old names still work */
    ctx = CHECK_PTR(zmq_init(1));
    CHECK_OK(zmq_term(ctx));
    ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_destroy(ctx));
}

struct blocked {
    void *ctx;
    void *sock;
    int rc;
    int err;
    _Atomic int closed;   /* set just before zmq_close: term may return as soon as the close is done */
};

static void *recv_until_eterm(void *arg)
{
    struct blocked *b = arg;
    char buf[16];
    b->rc = zmq_recv(b->sock, buf, sizeof buf, 0);
    b->err = errno;
    /* further calls keep failing with ETERM, and close still works */
    CHECK_ERR(zmq_send(b->sock, "x", 1, ZMQ_DONTWAIT), ETERM);
    b->closed = 1;
    CHECK_OK(zmq_close(b->sock));
    return NULL;
}

/* zmq_ctx_shutdown makes a recv blocked in another thread return -1 with ETERM; new sockets fail with
 * ETERM; zmq_ctx_term then returns once that socket is closed. */
static void ctx_shutdown_shall_wake_blocked_calls_with_eterm(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct blocked b = {ctx, NULL, 0, 0, 0};
    b.sock = CHECK_PTR(zmq_socket(ctx, ZMQ_PULL));
    CHECK_OK(zmq_bind(b.sock, "inproc://ctx-shutdown"));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, recv_until_eterm, &b), 0);
    msleep(50);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(b.rc, -1);
    CHECK_EQ(b.err, ETERM);
    CHECK(b.closed);
    errno = 0;
    CHECK(zmq_socket(ctx, ZMQ_PUSH) == NULL);
    CHECK_EQ(errno, ETERM);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_ctx_term from the main thread: it blocks until the other thread, woken with ETERM, closes its
 * socket. */
static void ctx_term_shall_wait_for_sockets_woken_with_eterm(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct blocked b = {ctx, NULL, 0, 0, 0};
    b.sock = CHECK_PTR(zmq_socket(ctx, ZMQ_REP));
    CHECK_OK(zmq_bind(b.sock, "inproc://ctx-term"));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, recv_until_eterm, &b), 0);
    msleep(50);
    CHECK_OK(zmq_ctx_term(ctx));
    CHECK(b.closed); /* term returned only once the close had begun */
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(b.err, ETERM);
}

/* A zmq_poll blocked on a socket also wakes with ETERM. */
static void *poll_until_eterm(void *arg)
{
    struct blocked *b = arg;
    zmq_pollitem_t item = {b->sock, 0, ZMQ_POLLIN, 0};
    b->rc = zmq_poll(&item, 1, -1);
    b->err = errno;
    b->closed = 1;
    CHECK_OK(zmq_close(b->sock));
    return NULL;
}

static void ctx_shutdown_shall_wake_a_blocked_poll_with_eterm(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct blocked b = {ctx, NULL, 0, 0, 0};
    b.sock = CHECK_PTR(zmq_socket(ctx, ZMQ_SUB));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, poll_until_eterm, &b), 0);
    msleep(50);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(b.rc, -1);
    CHECK_EQ(b.err, ETERM);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_ctx_set/zmq_ctx_get: IO_THREADS, MAX_SOCKETS, SOCKET_LIMIT, BLOCKY, IPV6, MSG_T_SIZE, MAX_MSGSZ. */
static void ctx_options_shall_read_back_and_have_libzmq_defaults(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 1);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 1023);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_BLOCKY), 1);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IPV6), 0);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MSG_T_SIZE), 64);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_MSGSZ), 2147483647);
    CHECK_INT(zmq_ctx_get(ctx, ZMQ_SOCKET_LIMIT), >=, 1023);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_IO_THREADS, 2));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 2);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 10));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 10);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_BLOCKY, 0));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_BLOCKY), 0);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_IPV6, 1));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IPV6), 1);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_MAX_MSGSZ, 1000));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_MSGSZ), 1000);
    /* ZMQ_IPV6 on the context is the default for its new sockets */
    void *s = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    CHECK_EQ(get_int(s, ZMQ_IPV6), 1);
    CHECK_OK(zmq_close(s));
    CHECK_ERR(zmq_ctx_set(ctx, 9999, 1), EINVAL);
    CHECK_ERR(zmq_ctx_get(ctx, 9999), EINVAL);
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_IO_THREADS, -1), EINVAL);
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 0), EINVAL);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ZMQ_MAX_SOCKETS caps the sockets open at once (EMFILE beyond it); closing one frees a slot (soon). */
static void max_sockets_shall_limit_open_sockets_with_emfile(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 5));
    void *s[5];
    for (int i = 0; i < 5; i++)
        s[i] = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    errno = 0;
    CHECK(zmq_socket(ctx, ZMQ_PAIR) == NULL);
    CHECK_EQ(errno, EMFILE);
    CHECK_OK(zmq_close(s[0]));
    /* close is asynchronous in libzmq: the slot comes free once the socket is reaped */
    s[0] = NULL;
    for (int i = 0; i < 1000 && !s[0]; i++) {
        s[0] = zmq_socket(ctx, ZMQ_PAIR);
        if (!s[0]) {
            CHECK_EQ(errno, EMFILE);
            msleep(1);
        }
    }
    CHECK(s[0] != NULL);
    for (int i = 0; i < 5; i++)
        CHECK_OK(zmq_close(s[i]));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ZMQ_BLOCKY 0: sockets created afterwards start with linger 0, so term does not wait on undelivered
 * messages. */
static void blocky_off_shall_make_new_sockets_linger_zero(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_BLOCKY, 0));
    void *push = CHECK_PTR(zmq_socket(ctx, ZMQ_PUSH));
    CHECK_EQ(get_int(push, ZMQ_LINGER), 0);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    CHECK_OK(zmq_connect(push, ep)); /* nobody listens: the message can never go */
    CHECK_EQ(zmq_send(push, "stuck", 5, ZMQ_DONTWAIT), 5);
    CHECK_OK(zmq_close(push));
    int64_t t0 = now_ms();
    CHECK_OK(zmq_ctx_term(ctx));
    CHECK_INT(now_ms() - t0, <, 1000);
}

/* Handles are checked: NULL or a non-context is EFAULT, a non-socket ENOTSOCK; bad types EINVAL. */
static void invalid_handles_and_types_shall_be_rejected(void)
{
    CHECK_ERR(zmq_ctx_term(NULL), EFAULT);
    CHECK_ERR(zmq_ctx_shutdown(NULL), EFAULT);
    CHECK_ERR(zmq_ctx_set(NULL, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ERR(zmq_ctx_get(NULL, ZMQ_IO_THREADS), EFAULT);
    errno = 0;
    CHECK(zmq_socket(NULL, ZMQ_PAIR) == NULL);
    CHECK_EQ(errno, EFAULT);
    CHECK_ERR(zmq_close(NULL), ENOTSOCK);
    CHECK_ERR(zmq_bind(NULL, "inproc://x"), ENOTSOCK);
    CHECK_ERR(zmq_send(NULL, "x", 1, 0), ENOTSOCK);
    void *ctx = CHECK_PTR(zmq_ctx_new());
    errno = 0;
    CHECK(zmq_socket(ctx, 99) == NULL);
    CHECK_EQ(errno, EINVAL);
    int not_a_socket[32] = {0};
    CHECK_ERR(zmq_close(not_a_socket), ENOTSOCK);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_version reports 4.3.x, matching ZMQ_VERSION; errors have libzmq's numbers and messages. */
static void version_and_errors_shall_match_libzmq(void)
{
    int major = -1, minor = -1, patch = -1;
    zmq_version(&major, &minor, &patch);
    CHECK_EQ(major, 4);
    CHECK_EQ(minor, 3);
    CHECK_INT(patch, >=, 0);
    CHECK_EQ(ZMQ_VERSION_MAJOR, 4);
    CHECK_EQ(ZMQ_VERSION_MINOR, 3);
    CHECK_EQ(ZMQ_VERSION, ZMQ_MAKE_VERSION(major, minor, ZMQ_VERSION_PATCH));
    CHECK_EQ(ZMQ_HAUSNUMERO, 156384712);
    CHECK_EQ(EFSM, ZMQ_HAUSNUMERO + 51);
    CHECK_EQ(ENOCOMPATPROTO, ZMQ_HAUSNUMERO + 52);
    CHECK_EQ(ETERM, ZMQ_HAUSNUMERO + 53);
    CHECK_EQ(EMTHREAD, ZMQ_HAUSNUMERO + 54);
    CHECK_STR(zmq_strerror(ETERM), "Context was terminated");
    CHECK_STR(zmq_strerror(EFSM), "Operation cannot be accomplished in current state");
    CHECK_STR(zmq_strerror(ENOCOMPATPROTO), "The protocol is not compatible with the socket type");
    CHECK_STR(zmq_strerror(EMTHREAD), "No thread available");
    CHECK_STR(zmq_strerror(EINVAL), strerror(EINVAL));
    errno = EAGAIN;
    CHECK_EQ(zmq_errno(), EAGAIN);
    CHECK_EQ(zmq_has("ipc"), 1);
    CHECK_EQ(zmq_has("no-such-capability"), 0);
}

int main(void)
{
    test_begin(30);
    RUN(ctx_new_and_term_shall_work_with_and_without_sockets);
    RUN(ctx_shutdown_shall_wake_blocked_calls_with_eterm);
    RUN(ctx_term_shall_wait_for_sockets_woken_with_eterm);
    RUN(ctx_shutdown_shall_wake_a_blocked_poll_with_eterm);
    RUN(ctx_options_shall_read_back_and_have_libzmq_defaults);
    RUN(max_sockets_shall_limit_open_sockets_with_emfile);
    RUN(blocky_off_shall_make_new_sockets_linger_zero);
    RUN(invalid_handles_and_types_shall_be_rejected);
    RUN(version_and_errors_shall_match_libzmq);
    return test_end();
}
