/* The documented return values and errno of the functions around the socket calls, as libzmq 4.3.4 gives
 * them (doc/zmq_send.txt, zmq_recv.txt, zmq_msg_send.txt, zmq_socket.txt, zmq_close.txt, zmq_ctx_*.txt,
 * zmq_z85_*.txt, zmq_has.txt, zmq_timers.txt, zmq_poll.txt, zmq_strerror.txt, zmq_errno.txt): direction
 * errors, state errors, bad handles, Z85 sizes, timers, utility functions. Calls that crash libzmq itself
 * (NULL endpoints, NULL buffers with a size) are left out: no program can rely on them. */
#include "testutil.h"

static int timer_fired;
static void on_timer(int id, void *arg)
{
    (void)id;
    (*(int *)arg)++;
}

static void *ctx_;
/* zmq_send on a receive-only type, zmq_recv on a send-only type: ENOTSUP. */
static void direction_errors_are_enotsup(void)
{
    char buf[8];
    static const int recv_only[] = {ZMQ_SUB, ZMQ_PULL};
    static const int send_only[] = {ZMQ_PUB, ZMQ_PUSH};
    for (int i = 0; i < 2; i++) {
        void *s = test_socket(ctx_, recv_only[i]);
        CHECK_ERR(zmq_send(s, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
        zmq_msg_t m;
        CHECK_OK(zmq_msg_init_size(&m, 1));
        CHECK_ERR(zmq_msg_send(&m, s, ZMQ_DONTWAIT), ENOTSUP);
        CHECK_OK(zmq_msg_close(&m));
        CHECK_OK(zmq_close(s));
        s = test_socket(ctx_, send_only[i]);
        CHECK_ERR(zmq_recv(s, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
        CHECK_OK(zmq_msg_init(&m));
        CHECK_ERR(zmq_msg_recv(&m, s, ZMQ_DONTWAIT), ENOTSUP);
        CHECK_OK(zmq_msg_close(&m));
        CHECK_OK(zmq_close(s));
    }
}

/* REQ must send first, REP must receive first: EFSM. Unconnected sockets: EAGAIN with ZMQ_DONTWAIT. */
static void state_errors_are_efsm_and_eagain(void)
{
    char buf[8];
    void *req = test_socket(ctx_, ZMQ_REQ), *rep = test_socket(ctx_, ZMQ_REP), *push = test_socket(ctx_, ZMQ_PUSH), *pull = test_socket(ctx_, ZMQ_PULL);
    CHECK_ERR(zmq_recv(req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    CHECK_ERR(zmq_send(rep, "x", 1, ZMQ_DONTWAIT), EFSM);
    CHECK_ERR(zmq_send(req, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    CHECK_ERR(zmq_send(push, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    CHECK_ERR(zmq_send(push, NULL, 0, ZMQ_DONTWAIT), EAGAIN);
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    CHECK_ERR(zmq_recv(pull, NULL, 0, ZMQ_DONTWAIT), EAGAIN);
    CHECK_ERR(zmq_recv(pull, NULL, 5, ZMQ_DONTWAIT), EAGAIN);   /* the state is checked before the buffer */
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init(&m));
    CHECK_ERR(zmq_recvmsg(pull, &m, ZMQ_DONTWAIT), EAGAIN);
    CHECK_OK(zmq_msg_close(&m));
    /* a PUB with no subscriber takes the message and drops it */
    void *pub = test_socket(ctx_, ZMQ_PUB);
    CHECK_OK(zmq_msg_init(&m));
    CHECK_EQ(zmq_msg_send(&m, pub, 0), 0);
    CHECK_OK(zmq_msg_init_size(&m, 3));
    CHECK_EQ(zmq_sendmsg(pub, &m, 0), 3);
    CHECK_EQ(zmq_send_const(pub, "abc", 3, 0), 3);
    CHECK_OK(zmq_close(pub));
    CHECK_OK(zmq_close(req));
    CHECK_OK(zmq_close(rep));
    CHECK_OK(zmq_close(push));
    CHECK_OK(zmq_close(pull));
}

/* Anything that is not a socket is ENOTSOCK for socket calls, EFAULT for context calls. */
static void bad_handles_are_refused(void)
{
    char buf[4];
    int v = 0;
    size_t sz = sizeof v;
    void *pub = test_socket(ctx_, ZMQ_PUB);
    CHECK_ERR(zmq_send(NULL, "x", 1, 0), ENOTSOCK);
    CHECK_ERR(zmq_recv(NULL, buf, 1, 0), ENOTSOCK);
    CHECK_ERR(zmq_send(ctx_, "x", 1, 0), ENOTSOCK);
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init(&m));
    CHECK_ERR(zmq_msg_send(&m, NULL, 0), ENOTSOCK);
    CHECK_ERR(zmq_msg_recv(&m, NULL, 0), ENOTSOCK);
    CHECK_OK(zmq_msg_close(&m));
    CHECK_ERR(zmq_close(NULL), ENOTSOCK);
    CHECK_ERR(zmq_close(ctx_), ENOTSOCK);
    CHECK_ERR(zmq_bind(NULL, "tcp://127.0.0.1:*"), ENOTSOCK);
    CHECK_ERR(zmq_connect(NULL, "tcp://127.0.0.1:5555"), ENOTSOCK);
    CHECK_ERR(zmq_setsockopt(NULL, ZMQ_LINGER, &v, sizeof v), ENOTSOCK);
    CHECK_ERR(zmq_getsockopt(NULL, ZMQ_LINGER, &v, &sz), ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor(NULL, "inproc://x", 0), ENOTSOCK);
    errno = 0;
    CHECK(zmq_socket(NULL, ZMQ_PUB) == NULL);
    CHECK_EQ(errno, EFAULT);
    errno = 0;
    CHECK(zmq_socket(ctx_, 99) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(zmq_socket(ctx_, -1) == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK_ERR(zmq_ctx_term(NULL), EFAULT);
    CHECK_ERR(zmq_ctx_term(pub), EFAULT);
    CHECK_ERR(zmq_ctx_shutdown(NULL), EFAULT);
    CHECK_ERR(zmq_ctx_set(NULL, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ERR(zmq_ctx_get(NULL, ZMQ_IO_THREADS), EFAULT);
    CHECK_OK(zmq_close(pub));
}

/* Z85: input sizes must be multiples of 4 (encode) and 5 (decode), characters from the alphabet. */
static void z85_sizes_and_alphabet(void)
{
    uint8_t bin[32] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[64];
    CHECK(zmq_z85_encode(text, bin, 8) == text);
    CHECK_STR(text, "HelloWorld");   /* RFC 32's test vector */
    uint8_t back[32];
    CHECK(zmq_z85_decode(back, "HelloWorld") == back);
    CHECK_MEM(back, 8, bin, 8);
    errno = 0;
    CHECK(zmq_z85_encode(text, bin, 31) == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK(zmq_z85_encode(text, bin, 0) != NULL);
    CHECK_STR(text, "");
    static const char *const bad[] = {"abcd", "abc~e", "", "abcdefghi", "ab\"de"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        CHECK(zmq_z85_decode(back, bad[i]) == NULL);
        CHECK_EQ(errno, EINVAL);
    }
    CHECK(zmq_z85_decode(back, "abcde") != NULL);
}

/* zmq_has: 1 for what is built in, 0 for what is not or unknown. */
static void has_answers_zero_or_one(void)
{
    CHECK_EQ(zmq_has("ipc"), 1);
    CHECK_EQ(zmq_has("WS"), 1);      /* libzmq 4.3.4's spelling of ws://, which Debian builds in */
    CHECK_EQ(zmq_has("wss"), 0);     /* no TLS in either */
    CHECK_EQ(zmq_has("WSS"), 0);
    CHECK_EQ(zmq_has("bogus"), 0);
    CHECK_EQ(zmq_has("tcp"), 0);     /* tcp and inproc are always there and not capabilities */
    CHECK_EQ(zmq_has("inproc"), 0);
    /* "draft": 0 on Debian's libzmq, 1 on zinc, which carries the draft API (tests/draft/test_draft_header.c) */
    static const char *const caps[] = {"curve", "pgm", "tipc", "norm", "gssapi", "ws", "udp", "plain", "draft"};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        int h = zmq_has(caps[i]);
        CHECK(h == 0 || h == 1);
    }
}

/* zmq_timers: ids from 1, EFAULT for NULL handles and handlers, EINVAL for unknown ids. */
static void timers_follow_the_man_page(void)
{
    void *t = CHECK_PTR(zmq_timers_new());
    CHECK_ERR(zmq_timers_add(t, 10, NULL, &timer_fired), EFAULT);
    CHECK_ERR(zmq_timers_add(NULL, 10, on_timer, &timer_fired), EFAULT);
    int a = (int)CHECK_OK(zmq_timers_add(t, 10, on_timer, &timer_fired));
    int b = (int)CHECK_OK(zmq_timers_add(t, 20, on_timer, &timer_fired));
    CHECK(a != b);
    long timeout = zmq_timers_timeout(t);
    CHECK(timeout >= 0 && timeout <= 10);
    CHECK_ERR(zmq_timers_cancel(t, 999), EINVAL);
    CHECK_ERR(zmq_timers_set_interval(t, 999, 5), EINVAL);
    CHECK_ERR(zmq_timers_reset(t, 999), EINVAL);
    CHECK_OK(zmq_timers_set_interval(t, a, 5));
    CHECK_OK(zmq_timers_reset(t, b));
    msleep(30);
    timer_fired = 0;
    CHECK_OK(zmq_timers_execute(t));
    CHECK(timer_fired >= 2);
    CHECK_OK(zmq_timers_cancel(t, a));
    CHECK_ERR(zmq_timers_cancel(t, a), EINVAL);
    CHECK_OK(zmq_timers_cancel(t, b));
    CHECK_EQ(zmq_timers_timeout(t), -1);   /* nothing left to wait for */
    CHECK_ERR(zmq_timers_timeout(NULL), EFAULT);
    CHECK_ERR(zmq_timers_execute(NULL), EFAULT);
    void *none = NULL;
    CHECK_ERR(zmq_timers_destroy(&none), EFAULT);
    CHECK_OK(zmq_timers_destroy(&t));
    CHECK(t == NULL);
}

/* zmq_poll with no items returns 0; NULL items with a count is EFAULT; a NULL socket with fd -1 is
 * nothing to wait for. */
static void poll_argument_rules(void)
{
    CHECK_EQ(zmq_poll(NULL, 0, 0), 0);
    CHECK_ERR(zmq_poll(NULL, 1, 0), EFAULT);
    zmq_pollitem_t item = {NULL, -1, ZMQ_POLLIN, 0};
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_EQ(item.revents, 0);
}

/* Error strings for zmq's own codes, zmq_errno, zmq_version, the stopwatch and zmq_sleep. */
static void utilities(void)
{
    CHECK_STR(zmq_strerror(EFSM), "Operation cannot be accomplished in current state");
    CHECK_STR(zmq_strerror(ETERM), "Context was terminated");
    CHECK_STR(zmq_strerror(ENOCOMPATPROTO), "The protocol is not compatible with the socket type");
    CHECK_STR(zmq_strerror(EMTHREAD), "No thread available");
    CHECK_STR(zmq_strerror(ENOTSUP), "Operation not supported");
    errno = EAGAIN;
    CHECK_EQ(zmq_errno(), EAGAIN);
    int major = -1, minor = -1, patch = -1;
    zmq_version(&major, &minor, &patch);
    CHECK_EQ(major, 4);
    CHECK_EQ(minor, 3);
    CHECK(patch >= 0);
    CHECK_EQ(ZMQ_VERSION, ZMQ_MAKE_VERSION(major, minor, patch));
    void *watch = CHECK_PTR(zmq_stopwatch_start());
    zmq_sleep(0);
    unsigned long mid = zmq_stopwatch_intermediate(watch);
    unsigned long end = zmq_stopwatch_stop(watch);
    CHECK(end >= mid);
    CHECK(end < 5000000);
}

/* zmq_init/zmq_term (deprecated) still make and end a context; zmq_ctx_destroy is zmq_ctx_term. */
static void deprecated_context_calls(void)
{
    void *c = CHECK_PTR(zmq_init(1));
    void *s = CHECK_PTR(zmq_socket(c, ZMQ_PUSH));
    CHECK_OK(zmq_close(s));
    CHECK_OK(zmq_term(c));
    c = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_destroy(c));
    errno = 0;
    CHECK(zmq_init(-1) == NULL);
    CHECK_EQ(errno, EINVAL);
}

static void thread_body(void *arg)
{
    *(int *)arg = 42;
}

/* zmq_threadstart/zmq_threadclose (libzmq's perf tools use them): the function runs, close joins it. */
static void threadstart_runs_and_joins(void)
{
    int seen = 0;
    void *th = CHECK_PTR(zmq_threadstart(thread_body, &seen));
    zmq_threadclose(th);
    CHECK_EQ(seen, 42);
}

struct device_args {
    void *front, *back;
    int rc, err;
};

static void device_body(void *arg)
{
    struct device_args *a = arg;
    a->rc = zmq_device(ZMQ_QUEUE, a->front, a->back);
    a->err = errno;
}

/* zmq_device (deprecated) is zmq_proxy: it forwards both ways and returns -1 ETERM when the context ends. */
static void device_forwards_until_the_context_ends(void)
{
    void *c = CHECK_PTR(zmq_ctx_new());
    struct device_args a = {CHECK_PTR(zmq_socket(c, ZMQ_ROUTER)), CHECK_PTR(zmq_socket(c, ZMQ_DEALER)), 0, 0};
    CHECK_OK(zmq_bind(a.front, "inproc://device-front"));
    CHECK_OK(zmq_bind(a.back, "inproc://device-back"));
    void *req = CHECK_PTR(zmq_socket(c, ZMQ_REQ)), *rep = CHECK_PTR(zmq_socket(c, ZMQ_REP));
    CHECK_OK(zmq_connect(req, "inproc://device-front"));
    CHECK_OK(zmq_connect(rep, "inproc://device-back"));
    void *th = CHECK_PTR(zmq_threadstart(device_body, &a));
    char buf[16];
    CHECK_EQ(zmq_send(req, "ping", 4, 0), 4);
    CHECK_EQ(zmq_recv(rep, buf, sizeof buf, 0), 4);
    CHECK_EQ(zmq_send(rep, "pong", 4, 0), 4);
    CHECK_EQ(zmq_recv(req, buf, sizeof buf, 0), 4);
    CHECK_MEM(buf, 4, "pong", 4);
    int zero = 0;
    CHECK_OK(zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_OK(zmq_setsockopt(rep, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_OK(zmq_close(req));
    CHECK_OK(zmq_close(rep));
    CHECK_OK(zmq_ctx_shutdown(c));
    zmq_threadclose(th);
    CHECK_EQ(a.rc, -1);
    CHECK_EQ(a.err, ETERM);
    CHECK_OK(zmq_close(a.front));
    CHECK_OK(zmq_close(a.back));
    CHECK_OK(zmq_ctx_term(c));
}

int main(void)
{
    test_begin(60);
    ctx_ = CHECK_PTR(zmq_ctx_new());
    RUN(direction_errors_are_enotsup);
    RUN(state_errors_are_efsm_and_eagain);
    RUN(bad_handles_are_refused);
    RUN(z85_sizes_and_alphabet);
    RUN(has_answers_zero_or_one);
    RUN(timers_follow_the_man_page);
    RUN(poll_argument_rules);
    RUN(utilities);
    RUN(deprecated_context_calls);
    RUN(threadstart_runs_and_joins);
    RUN(device_forwards_until_the_context_ends);
    CHECK_OK(zmq_ctx_term(ctx_));
    return test_end();
}
