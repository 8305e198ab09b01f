/* The zmq_msg_* API: init, init_size, init_data with a free callback, copy (shares), move, close, more,
 * get/set, gets of metadata, zmq_msg_send/recv and zmq_send_const. */
#include "testutil.h"

static void *ctx;

static void msg_init_shall_make_an_empty_message(void)
{
    zmq_msg_t msg;
    CHECK_EQ(sizeof msg, 64);
    CHECK_OK(zmq_msg_init(&msg));
    CHECK_EQ(zmq_msg_size(&msg), 0);
    CHECK_EQ(zmq_msg_more(&msg), 0);
    CHECK_EQ(zmq_msg_get(&msg, ZMQ_MORE), 0);
    CHECK_OK(zmq_msg_close(&msg));
}

static void msg_init_size_shall_allocate_writable_bytes(void)
{
    size_t sizes[] = {1, 33, 34, 100, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        zmq_msg_t msg;
        CHECK_OK(zmq_msg_init_size(&msg, sizes[i]));
        CHECK_EQ(zmq_msg_size(&msg), sizes[i]);
        unsigned char *data = zmq_msg_data(&msg);
        CHECK(data != NULL);
        memset(data, 0xab, sizes[i]);
        CHECK_EQ(data[sizes[i] - 1], 0xab);
        CHECK_OK(zmq_msg_close(&msg));
    }
    zmq_msg_t empty;
    CHECK_OK(zmq_msg_init_size(&empty, 0));
    CHECK_EQ(zmq_msg_size(&empty), 0);
    CHECK_OK(zmq_msg_close(&empty));
}

/* Free-callback bookkeeping. */
static int free_calls;
static void *free_data_seen;
static void *free_hint_seen;
static pthread_t free_thread;

static void count_free(void *data, void *hint)
{
    free_calls++;
    free_data_seen = data;
    free_hint_seen = hint;
    free_thread = pthread_self();
}

/* zmq_msg_init_data uses the caller's buffer without copying and calls ffn (data, hint) exactly once, when
 * the last reference is closed. */
static void msg_init_data_shall_call_the_free_function_once_on_close(void)
{
    static char buffer[] = "caller-owned";
    int hint_object;
    zmq_msg_t msg;
    free_calls = 0;
    CHECK_OK(zmq_msg_init_data(&msg, buffer, 12, count_free, &hint_object));
    CHECK(zmq_msg_data(&msg) == buffer);
    CHECK_EQ(zmq_msg_size(&msg), 12);
    CHECK_EQ(free_calls, 0);
    CHECK_OK(zmq_msg_close(&msg));
    CHECK_EQ(free_calls, 1);
    CHECK(free_data_seen == buffer);
    CHECK(free_hint_seen == &hint_object);
    /* with no free function the buffer is simply never freed */
    CHECK_OK(zmq_msg_init_data(&msg, buffer, 12, NULL, NULL));
    CHECK(zmq_msg_data(&msg) == buffer);
    CHECK_OK(zmq_msg_close(&msg));
    CHECK_EQ(free_calls, 1);
}

/* A zero-copy message sent over inproc is freed when the receiver closes it, not before. */
static void msg_init_data_shall_be_freed_only_after_the_receiver_is_done(void)
{
    void *a = test_socket(ctx, ZMQ_PAIR);
    void *b = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(a, "inproc://msg-zero-copy"));
    CHECK_OK(zmq_connect(b, "inproc://msg-zero-copy"));
    char *buffer = malloc(64);
    CHECK(buffer != NULL);
    memcpy(buffer, "zero-copy payload", 17);
    free_calls = 0;
    zmq_msg_t msg;
    CHECK_OK(zmq_msg_init_data(&msg, buffer, 17, count_free, NULL));
    CHECK_EQ(zmq_msg_send(&msg, a, 0), 17);
    CHECK_EQ(free_calls, 0);
    zmq_msg_t in;
    CHECK_OK(zmq_msg_init(&in));
    CHECK_EQ(zmq_msg_recv(&in, b, 0), 17);
    CHECK_MEM(zmq_msg_data(&in), 17, "zero-copy payload", 17);
    CHECK_EQ(free_calls, 0);
    CHECK_OK(zmq_msg_close(&in));
    CHECK_EQ(free_calls, 1);
    CHECK(free_data_seen == buffer);
    free(buffer);
    CHECK_OK(zmq_msg_close(&msg)); /* closing a sent (now empty) message is allowed */
    close_zero_linger(a);
    close_zero_linger(b);
}

struct receiver {
    void *sock;
    int size;
    pthread_t self;
};

static void *receive_and_close(void *arg)
{
    struct receiver *r = arg;
    r->self = pthread_self();
    zmq_msg_t in;
    CHECK_OK(zmq_msg_init(&in));
    r->size = zmq_msg_recv(&in, r->sock, 0);
    CHECK_OK(zmq_msg_close(&in));
    return NULL;
}

/* The free callback runs in whichever thread drops the last reference: here another thread receives the
 * message and closes it. */
static void msg_free_callback_shall_run_in_the_thread_that_closes_the_message(void)
{
    void *a = test_socket(ctx, ZMQ_PAIR);
    void *b = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(a, "inproc://msg-free-thread"));
    CHECK_OK(zmq_connect(b, "inproc://msg-free-thread"));
    struct receiver r = {b, -2, pthread_self()};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, receive_and_close, &r), 0);
    static char buffer[4096];
    free_calls = 0;
    zmq_msg_t msg;
    CHECK_OK(zmq_msg_init_data(&msg, buffer, sizeof buffer, count_free, NULL));
    CHECK_EQ(zmq_msg_send(&msg, a, 0), (int)sizeof buffer);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(r.size, (int)sizeof buffer);
    CHECK_EQ(free_calls, 1);
    CHECK(pthread_equal(free_thread, r.self));
    close_zero_linger(a);
    close_zero_linger(b);
}

/* What pyzmq does: the free callback itself sends a message on an inproc socket, from whatever thread
 * frees the message (over tcp, typically the I/O thread once the bytes are written). */
static void *notify_sock;
static void free_and_notify(void *data, void *hint)
{
    (void)data;
    (void)hint;
    zmq_msg_t note;
    if (zmq_msg_init_size(&note, 5) == 0) {
        memcpy(zmq_msg_data(&note), "freed", 5);
        if (zmq_msg_send(&note, notify_sock, 0) != 5)
            zmq_msg_close(&note);
    }
}

static void msg_free_callback_may_call_the_zmq_api_from_another_thread(void)
{
    void *watcher = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(watcher, "inproc://msg-free-notify"));
    notify_sock = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(notify_sock, "inproc://msg-free-notify"));
    void *out = test_socket(ctx, ZMQ_PUSH);
    char ep[TU_ENDPOINT_LEN];
    void *in = bound_socket(ctx, ZMQ_PULL, "tcp", ep, sizeof ep);
    CHECK_OK(zmq_connect(out, ep));
    static char payload[100000];
    memset(payload, 'z', sizeof payload);
    zmq_msg_t msg;
    CHECK_OK(zmq_msg_init_data(&msg, payload, sizeof payload, free_and_notify, NULL));
    CHECK_EQ(zmq_msg_send(&msg, out, 0), (int)sizeof payload);
    zmq_msg_t got;
    CHECK_OK(zmq_msg_init(&got));
    CHECK_EQ(zmq_msg_recv(&got, in, 0), (int)sizeof payload);
    CHECK(memcmp(zmq_msg_data(&got), payload, sizeof payload) == 0);
    CHECK_OK(zmq_msg_close(&got));
    recv_expect(watcher, "freed");
    close_zero_linger(out);
    close_zero_linger(in);
    close_zero_linger(notify_sock);
    close_zero_linger(watcher);
}

/* zmq_msg_copy shares the content (same bytes, ZMQ_SHARED set on both); the free function runs only when
 * both are closed. */
static void msg_copy_shall_share_the_content(void)
{
    static char buffer[200];
    free_calls = 0;
    zmq_msg_t a, b;
    CHECK_OK(zmq_msg_init_data(&a, buffer, sizeof buffer, count_free, NULL));
    CHECK_OK(zmq_msg_init(&b));
    CHECK_OK(zmq_msg_copy(&b, &a));
    CHECK(zmq_msg_data(&b) == zmq_msg_data(&a));
    CHECK_EQ(zmq_msg_size(&b), sizeof buffer);
    CHECK_EQ(zmq_msg_get(&a, ZMQ_SHARED), 1);
    CHECK_EQ(zmq_msg_get(&b, ZMQ_SHARED), 1);
    CHECK_OK(zmq_msg_close(&a));
    CHECK_EQ(free_calls, 0);
    CHECK_OK(zmq_msg_close(&b));
    CHECK_EQ(free_calls, 1);

    /* a large init_size message: shared after copy, not before */
    zmq_msg_t big, twin;
    CHECK_OK(zmq_msg_init_size(&big, 1000));
    CHECK_EQ(zmq_msg_get(&big, ZMQ_SHARED), 0);
    memset(zmq_msg_data(&big), 'q', 1000);
    CHECK_OK(zmq_msg_init(&twin));
    CHECK_OK(zmq_msg_copy(&twin, &big));
    CHECK_EQ(zmq_msg_get(&big, ZMQ_SHARED), 1);
    CHECK(zmq_msg_data(&twin) == zmq_msg_data(&big));
    CHECK_OK(zmq_msg_close(&big));
    CHECK_EQ(((char *)zmq_msg_data(&twin))[999], 'q');
    CHECK_OK(zmq_msg_close(&twin));

    /* a small message copies by value: equal bytes */
    zmq_msg_t small, small2;
    CHECK_OK(zmq_msg_init_size(&small, 5));
    memcpy(zmq_msg_data(&small), "tiny!", 5);
    CHECK_OK(zmq_msg_init(&small2));
    CHECK_OK(zmq_msg_copy(&small2, &small));
    CHECK_MEM(zmq_msg_data(&small2), zmq_msg_size(&small2), "tiny!", 5);
    CHECK_OK(zmq_msg_close(&small));
    CHECK_OK(zmq_msg_close(&small2));
}

/* zmq_msg_move transfers the content and leaves the source empty; whatever the destination held is
 * released. */
static void msg_move_shall_transfer_the_content_and_empty_the_source(void)
{
    static char buffer[50];
    free_calls = 0;
    zmq_msg_t src, dst;
    CHECK_OK(zmq_msg_init_size(&src, 40));
    memset(zmq_msg_data(&src), 'm', 40);
    CHECK_OK(zmq_msg_init_data(&dst, buffer, sizeof buffer, count_free, NULL));
    CHECK_OK(zmq_msg_move(&dst, &src));
    CHECK_EQ(free_calls, 1); /* dst's old content released */
    CHECK_EQ(zmq_msg_size(&dst), 40);
    CHECK_EQ(((char *)zmq_msg_data(&dst))[39], 'm');
    CHECK_EQ(zmq_msg_size(&src), 0);
    CHECK_OK(zmq_msg_close(&src));
    CHECK_OK(zmq_msg_close(&dst));
}

/* zmq_msg_more / ZMQ_MORE reflect the more-flag of received parts; zmq_msg_recv returns the size and
 * reuses (releases) the message's previous content. */
static void msg_more_shall_reflect_multipart_state(void)
{
    void *a = test_socket(ctx, ZMQ_PAIR);
    void *b = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(a, "inproc://msg-more"));
    CHECK_OK(zmq_connect(b, "inproc://msg-more"));
    zmq_msg_t part;
    CHECK_OK(zmq_msg_init_size(&part, 3));
    memcpy(zmq_msg_data(&part), "one", 3);
    CHECK_EQ(zmq_msg_send(&part, a, ZMQ_SNDMORE), 3);
    CHECK_EQ(zmq_msg_size(&part), 0); /* a sent message is left empty */
    CHECK_OK(zmq_msg_close(&part));
    send_str(a, "two");
    zmq_msg_t in;
    CHECK_OK(zmq_msg_init(&in));
    CHECK_EQ(zmq_msg_recv(&in, b, 0), 3);
    CHECK_EQ(zmq_msg_more(&in), 1);
    CHECK_EQ(zmq_msg_get(&in, ZMQ_MORE), 1);
    CHECK_MEM(zmq_msg_data(&in), 3, "one", 3);
    CHECK_EQ(zmq_msg_recv(&in, b, 0), 3);
    CHECK_EQ(zmq_msg_more(&in), 0);
    CHECK_EQ(zmq_msg_get(&in, ZMQ_MORE), 0);
    CHECK_MEM(zmq_msg_data(&in), 3, "two", 3);
    CHECK_ERR(zmq_msg_recv(&in, b, ZMQ_DONTWAIT), EAGAIN);
    CHECK_OK(zmq_msg_close(&in));
    close_zero_linger(a);
    close_zero_linger(b);
}

/* zmq_msg_set supports no property (EINVAL); zmq_msg_get of an unknown property is EINVAL. */
static void msg_get_and_set_shall_reject_unknown_properties(void)
{
    zmq_msg_t msg;
    CHECK_OK(zmq_msg_init(&msg));
    CHECK_ERR(zmq_msg_set(&msg, ZMQ_MORE, 1), EINVAL);
    CHECK_ERR(zmq_msg_get(&msg, 12345), EINVAL);
    CHECK_OK(zmq_msg_close(&msg));
}

/* A message received over tcp carries its connection's metadata: "Socket-Type" is the peer's type,
 * "Peer-Address" its IP; an unknown property gives NULL with EINVAL. */
static void msg_gets_shall_return_connection_metadata(void)
{
    void *push = test_socket(ctx, ZMQ_PUSH);
    char ep[TU_ENDPOINT_LEN];
    void *pull = bound_socket(ctx, ZMQ_PULL, "tcp", ep, sizeof ep);
    CHECK_OK(zmq_connect(push, ep));
    send_str(push, "meta");
    zmq_msg_t in;
    CHECK_OK(zmq_msg_init(&in));
    CHECK(poll_in(pull, 2000));
    CHECK_EQ(zmq_msg_recv(&in, pull, 0), 4);
    CHECK_STR(zmq_msg_gets(&in, "Socket-Type"), "PUSH");
    CHECK_STR(zmq_msg_gets(&in, "Peer-Address"), "127.0.0.1");
    errno = 0;
    CHECK(zmq_msg_gets(&in, "No-Such-Property") == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK_OK(zmq_msg_close(&in));
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* zmq_send_const sends a buffer the caller guarantees to keep; the receiver sees the same bytes. */
static void send_const_shall_send_constant_data(void)
{
    static const char constant[] = "constant data that outlives the socket";
    void *a = test_socket(ctx, ZMQ_PAIR);
    void *b = test_socket(ctx, ZMQ_PAIR);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(a, ep, sizeof ep);
    CHECK_OK(zmq_connect(b, ep));
    CHECK_EQ(zmq_send_const(b, constant, 8, ZMQ_SNDMORE), 8);
    CHECK_EQ(zmq_send_const(b, constant, sizeof constant - 1, 0), (int)sizeof constant - 1);
    recv_expect_more(a, "constant");
    recv_expect(a, constant);
    close_zero_linger(a);
    close_zero_linger(b);
}

/* zmq_msg_init_data with a NULL buffer of size 0 is an empty message; zmq_msg_data of it is allowed. */
static void msg_init_data_with_null_shall_make_an_empty_message(void)
{
    zmq_msg_t msg;
    CHECK_OK(zmq_msg_init_data(&msg, NULL, 0, NULL, NULL));
    CHECK_EQ(zmq_msg_size(&msg), 0);
    CHECK_OK(zmq_msg_close(&msg));
}

/* zmq_send/zmq_recv: recv truncates to the buffer but reports the full size. */
static void recv_shall_truncate_and_report_the_full_size(void)
{
    void *a = test_socket(ctx, ZMQ_PAIR);
    void *b = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(a, "inproc://msg-trunc"));
    CHECK_OK(zmq_connect(b, "inproc://msg-trunc"));
    send_str(a, "0123456789");
    char buf[4] = {0};
    CHECK_EQ(zmq_recv(b, buf, sizeof buf, 0), 10);
    CHECK_MEM(buf, 4, "0123", 4);
    close_zero_linger(a);
    close_zero_linger(b);
}

int main(void)
{
    test_begin(30);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(msg_init_shall_make_an_empty_message);
    RUN(msg_init_size_shall_allocate_writable_bytes);
    RUN(msg_init_data_shall_call_the_free_function_once_on_close);
    RUN(msg_init_data_with_null_shall_make_an_empty_message);
    RUN(msg_init_data_shall_be_freed_only_after_the_receiver_is_done);
    RUN(msg_free_callback_shall_run_in_the_thread_that_closes_the_message);
    RUN(msg_free_callback_may_call_the_zmq_api_from_another_thread);
    RUN(msg_copy_shall_share_the_content);
    RUN(msg_move_shall_transfer_the_content_and_empty_the_source);
    RUN(msg_more_shall_reflect_multipart_state);
    RUN(msg_get_and_set_shall_reject_unknown_properties);
    RUN(msg_gets_shall_return_connection_metadata);
    RUN(send_const_shall_send_constant_data);
    RUN(recv_shall_truncate_and_report_the_full_size);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
