/* test_binding_compat.c: libzmq 4.3.4 behaviours that bindings (czmq, cppzmq, pyzmq) depend on and that
 * zinc once got wrong; each case is the minimal reproduction of a failure seen in tests/bindings. They
 * pass on libzmq 4.3.4 (reference mode) and on zinc.
 */
#include "testutil.h"

/* cppzmq's context_t::set(ctxopt::thread_name_prefix) and pyzmq's ctx.set(THREAD_NAME_PREFIX): libzmq
 * accepts any int and reads it back (zinc refused it with EINVAL, so cppzmq threw). */
static void ctx_thread_name_prefix_shall_read_back(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_THREAD_NAME_PREFIX), 0);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_NAME_PREFIX, 7));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_THREAD_NAME_PREFIX), 7);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_NAME_PREFIX, -5));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_THREAD_NAME_PREFIX), -5);
    void *s = CHECK_PTR(zmq_socket(ctx, ZMQ_PUSH));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_NAME_PREFIX, 9)); /* also once the threads run */
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_THREAD_NAME_PREFIX), 9);
    CHECK_OK(zmq_close(s));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ZMQ_IO_THREADS and ZMQ_MAX_SOCKETS set after the first socket: libzmq records the value (it reads back)
 * without effect on the running threads; zinc returned EINVAL for IO_THREADS. */
static void ctx_io_threads_after_a_socket_shall_be_accepted(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *s = CHECK_PTR(zmq_socket(ctx, ZMQ_PUSH));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_IO_THREADS, 3));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 3);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 5));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 5);
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_IO_THREADS, -1), EINVAL);
    /* The socket still works over tcp with the threads it has. */
    void *pull = CHECK_PTR(zmq_socket(ctx, ZMQ_PULL));
    char ep[256];
    bind_transport(pull, "tcp", ep, sizeof ep);
    CHECK_OK(zmq_connect(s, ep));
    send_str(s, "still works");
    recv_expect(pull, "still works");
    close_zero_linger(s);
    close_zero_linger(pull);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_msg_gets names are case-sensitive in libzmq 4.3.4 (zinc matched any case); "Identity" carries
 * the peer's routing id; a message that came over inproc has no properties (EINVAL). */
static void msg_gets_shall_match_property_names_exactly(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *router = test_socket(ctx, ZMQ_ROUTER);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "dd", 2));
    char ep[256];
    bind_transport(router, "tcp", ep, sizeof ep);
    CHECK_OK(zmq_connect(dealer, ep));
    send_str(dealer, "hi");
    zmq_msg_t msg;
    CHECK_OK(zmq_msg_init(&msg));
    CHECK_OK(zmq_msg_recv(&msg, router, 0)); /* the routing id frame */
    CHECK_STR(zmq_msg_gets(&msg, "Socket-Type"), "DEALER");
    CHECK_STR(zmq_msg_gets(&msg, "Identity"), "dd");
    CHECK_STR(zmq_msg_gets(&msg, "Peer-Address"), "127.0.0.1");
    errno = 0;
    CHECK(zmq_msg_gets(&msg, "socket-type") == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(zmq_msg_gets(&msg, "SOCKET-TYPE") == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(zmq_msg_gets(&msg, "User-Id") == NULL); /* only set by a ZAP handler */
    CHECK_EQ(errno, EINVAL);
    CHECK_OK(zmq_msg_close(&msg));

    void *a = test_socket(ctx, ZMQ_PAIR);
    void *b = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(a, "inproc://binding-compat-gets"));
    CHECK_OK(zmq_connect(b, "inproc://binding-compat-gets"));
    send_str(b, "x");
    CHECK_OK(zmq_msg_init(&msg));
    CHECK_OK(zmq_msg_recv(&msg, a, 0));
    errno = 0;
    CHECK(zmq_msg_gets(&msg, "Socket-Type") == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK_OK(zmq_msg_close(&msg));
    close_zero_linger(router);
    close_zero_linger(dealer);
    close_zero_linger(a);
    close_zero_linger(b);
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(30);
    RUN(ctx_thread_name_prefix_shall_read_back);
    RUN(ctx_io_threads_after_a_socket_shall_be_accepted);
    RUN(msg_gets_shall_match_property_names_exactly);
    return test_end();
}
