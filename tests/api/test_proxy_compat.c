/* zmq_proxy and zmq_proxy_steerable as libzmq 4.3.4 behaves (probed against Debian's libzmq):
 *   - both return -1 with ETERM when their context is shut down or terminated from another thread, also
 *     while blocked forwarding;
 *   - a proxy under HWM pressure blocks rather than drops where its sockets block (PULL -> PUSH with a
 *     slow consumer loses nothing, in order), and drops where they drop (an XPUB frontend's subscribers);
 *   - the capture socket gets every frame; a capture PUSH with no peer blocks the proxy until one comes;
 *   - the control socket: PAUSE, RESUME, TERMINATE get no reply; STATISTICS gets 8 uint64 frames, also
 *     over a REP control socket; TERMINATE while paused returns 0. */
#include "testutil.h"

struct proxy_run {
    void *frontend, *backend, *capture, *control;
    int steerable;
    int rc;
    int err;
};

static void *run_proxy(void *arg)
{
    struct proxy_run *p = arg;
    if (p->steerable)
        p->rc = zmq_proxy_steerable(p->frontend, p->backend, p->capture, p->control);
    else
        p->rc = zmq_proxy(p->frontend, p->backend, p->capture);
    p->err = errno;
    return NULL;
}

/* Closes the proxy's sockets from its own thread's point of view (it has returned). */
static void close_proxy_sockets(struct proxy_run *p)
{
    close_zero_linger(p->frontend);
    close_zero_linger(p->backend);
    if (p->capture)
        close_zero_linger(p->capture);
    if (p->control)
        close_zero_linger(p->control);
}

/* A proxy thread that closes its sockets once the proxy returns, as an application must before
 * zmq_ctx_term can return. */
static void *run_proxy_then_close(void *arg)
{
    run_proxy(arg);
    close_proxy_sockets(arg);
    return NULL;
}

static void pipeline_proxy(void *ctx, struct proxy_run *p, const char *front, const char *back)
{
    p->frontend = test_socket(ctx, ZMQ_PULL);
    p->backend = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_bind(p->frontend, front));
    CHECK_OK(zmq_bind(p->backend, back));
}

/* zmq_ctx_term in the main thread: the proxy (plain, then steerable) returns -1/ETERM, its thread closes
 * the sockets, and only then does zmq_ctx_term return. */
static void proxy_shall_return_eterm_when_the_context_terminates(void)
{
    for (int steerable = 0; steerable < 2; steerable++) {
        void *ctx = CHECK_PTR(zmq_ctx_new());
        struct proxy_run p = {.steerable = steerable, .rc = -2};
        pipeline_proxy(ctx, &p, "inproc://eterm-front", "inproc://eterm-back");
        if (steerable) {
            p.control = test_socket(ctx, ZMQ_PAIR);
            CHECK_OK(zmq_bind(p.control, "inproc://eterm-control"));
        }
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, run_proxy_then_close, &p), 0);
        msleep(50);
        CHECK_OK(zmq_ctx_term(ctx));
        CHECK_EQ(pthread_join(th, NULL), 0);
        CHECK_EQ(p.rc, -1);
        CHECK_EQ(p.err, ETERM);
    }
}

/* zmq_ctx_shutdown: the proxy returns -1/ETERM; the sockets can still be closed afterwards. */
static void proxy_shall_return_eterm_on_ctx_shutdown(void)
{
    for (int steerable = 0; steerable < 2; steerable++) {
        void *ctx = CHECK_PTR(zmq_ctx_new());
        struct proxy_run p = {.steerable = steerable, .rc = -2};
        pipeline_proxy(ctx, &p, "inproc://shut-front", "inproc://shut-back");
        if (steerable) {
            p.control = test_socket(ctx, ZMQ_PAIR);
            CHECK_OK(zmq_bind(p.control, "inproc://shut-control"));
        }
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);
        msleep(50);
        CHECK_OK(zmq_ctx_shutdown(ctx));
        CHECK_EQ(pthread_join(th, NULL), 0);
        CHECK_EQ(p.rc, -1);
        CHECK_EQ(p.err, ETERM);
        close_proxy_sockets(&p);
        CHECK_OK(zmq_ctx_term(ctx));
    }
}

/* PULL -> proxy -> PUSH with small HWMs everywhere and a consumer that starts late and reads slowly: the
 * proxy blocks instead of dropping, so every message arrives, in order; over inproc and tcp. */
static void proxy_shall_block_not_drop_for_a_slow_consumer(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct proxy_run p = {.rc = -2};
    p.frontend = test_socket(ctx, ZMQ_PULL);
    p.backend = test_socket(ctx, ZMQ_PUSH);
    set_int(p.frontend, ZMQ_RCVHWM, 10);
    set_int(p.backend, ZMQ_SNDHWM, 10);
    char front[128], back[128];
    bind_transport(p.frontend, transport, front, sizeof front);
    bind_transport(p.backend, transport, back, sizeof back);
    void *producer = test_socket(ctx, ZMQ_PUSH);
    void *consumer = test_socket(ctx, ZMQ_PULL);
    set_int(producer, ZMQ_SNDHWM, 10);
    set_int(consumer, ZMQ_RCVHWM, 10);
    CHECK_OK(zmq_connect(producer, front));
    CHECK_OK(zmq_connect(consumer, back));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);
    enum { N = 3000 };
    set_int(producer, ZMQ_SNDTIMEO, 0);
    int sent = 0;
    char buf[32];
    while (sent < N) {   /* fill until everything between producer and consumer is full */
        snprintf(buf, sizeof buf, "%d", sent);
        if (zmq_send(producer, buf, strlen(buf), 0) < 0) {
            CHECK_EQ(errno, EAGAIN);
            break;
        }
        sent++;
    }
    CHECK_INT(sent, <, N);   /* the chain is bounded: the producer was held back */
    msleep(100);
    /* Drain while keeping the pressure on, never waiting on the producer: this thread is producer and
     * consumer, and credit comes back in batches (every half HWM read; libzmq also delivers it only when
     * the producer socket next looks), so a blocking send after one read can wait for credit that only
     * more reads would release. So: offer what the producer takes at once, then read for up to 100 ms. */
    int received = 0;
    int64_t last_progress = now_ms();
    while (received < N) {
        while (sent < N) {
            snprintf(buf, sizeof buf, "%d", sent);
            if (zmq_send(producer, buf, strlen(buf), ZMQ_DONTWAIT) < 0) {
                CHECK_EQ(errno, EAGAIN);
                break;
            }
            sent++;
        }
        char got[32];
        int n = recv_timeout(consumer, got, sizeof got, 100, NULL);
        if (n < 0) {
            CHECK_EQ(errno, EAGAIN);
            CHECK_INT(now_ms() - last_progress, <, 5000);   /* the chain moves */
            continue;
        }
        last_progress = now_ms();
        snprintf(buf, sizeof buf, "%d", received);
        CHECK_STR(got, buf);
        received++;
    }
    expect_no_msg(consumer, 50);
    close_zero_linger(producer);
    close_zero_linger(consumer);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(p.err, ETERM);
    close_proxy_sockets(&p);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* XSUB -> proxy -> XPUB with a subscriber that does not read: the XPUB drops at its HWM as a PUB does, so
 * the proxy keeps going (the publisher's later messages still reach a second, reading subscriber) and the
 * slow one gets at most what the queues hold. */
static void proxy_shall_drop_where_an_xpub_drops(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct proxy_run p = {.rc = -2};
    p.frontend = test_socket(ctx, ZMQ_XSUB);
    p.backend = test_socket(ctx, ZMQ_XPUB);
    set_int(p.backend, ZMQ_SNDHWM, 10);
    CHECK_OK(zmq_bind(p.frontend, "inproc://drop-front"));
    CHECK_OK(zmq_bind(p.backend, "inproc://drop-back"));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);
    void *slow = test_socket(ctx, ZMQ_SUB);
    void *fast = test_socket(ctx, ZMQ_SUB);
    set_int(slow, ZMQ_RCVHWM, 10);
    CHECK_OK(zmq_setsockopt(slow, ZMQ_SUBSCRIBE, "", 0));
    CHECK_OK(zmq_setsockopt(fast, ZMQ_SUBSCRIBE, "", 0));
    CHECK_OK(zmq_connect(slow, "inproc://drop-back"));
    CHECK_OK(zmq_connect(fast, "inproc://drop-back"));
    void *pub = test_socket(ctx, ZMQ_PUB);
    CHECK_OK(zmq_connect(pub, "inproc://drop-front"));
    void *subs[2] = {slow, fast};
    await_subscriptions(pub, subs, 2, "");
    enum { N = 2000 };
    char buf[8];
    for (int i = 0; i < N; i++) {
        /* in step with the fast subscriber, so no queue before the XPUB overflows */
        send_str(pub, "m");
        recv_expect(fast, "m");
    }
    expect_no_msg(fast, 50);
    int slow_got = 0;
    while (recv_timeout(slow, buf, sizeof buf, 100, NULL) >= 0)
        slow_got++;
    CHECK_INT(slow_got, >=, 10);
    CHECK_INT(slow_got, <=, 20);   /* XPUB SNDHWM 10 + SUB RCVHWM 10 over inproc */
    close_zero_linger(pub);
    close_zero_linger(slow);
    close_zero_linger(fast);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(p.err, ETERM);
    close_proxy_sockets(&p);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* The capture socket is sent to blocking: a capture PUSH with no peer holds the proxy up (nothing is
 * forwarded), and once a capture reader connects everything flows, with a copy of each frame captured. */
static void capture_without_peer_shall_block_the_proxy(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct proxy_run p = {.rc = -2};
    pipeline_proxy(ctx, &p, "inproc://cap-front", "inproc://cap-back");
    p.capture = test_socket(ctx, ZMQ_PUSH);
    set_int(p.capture, ZMQ_SNDHWM, 2);
    CHECK_OK(zmq_bind(p.capture, "inproc://cap-capture"));
    void *producer = test_socket(ctx, ZMQ_PUSH);
    void *consumer = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_connect(producer, "inproc://cap-front"));
    CHECK_OK(zmq_connect(consumer, "inproc://cap-back"));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);
    for (int i = 0; i < 10; i++)
        send_str(producer, "m");
    expect_no_msg(consumer, 300);
    void *captured = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_connect(captured, "inproc://cap-capture"));
    for (int i = 0; i < 10; i++) {
        recv_expect(consumer, "m");
        recv_expect(captured, "m");
    }
    expect_no_msg(consumer, 50);
    close_zero_linger(producer);
    close_zero_linger(consumer);
    close_zero_linger(captured);
    CHECK_OK(zmq_ctx_shutdown(ctx));   /* also wakes a proxy blocked in a send */
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(p.rc, -1);
    CHECK_EQ(p.err, ETERM);
    close_proxy_sockets(&p);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A proxy blocked forwarding (its backend has no peer) still returns ETERM on zmq_ctx_shutdown. */
static void proxy_blocked_in_a_send_shall_return_eterm(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct proxy_run p = {.rc = -2};
    pipeline_proxy(ctx, &p, "inproc://blk-front", "inproc://blk-back");
    void *producer = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(producer, "inproc://blk-front"));
    send_str(producer, "stuck");
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);
    msleep(100);
    CHECK_EQ(p.rc, -2);
    close_zero_linger(producer);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(p.rc, -1);
    CHECK_EQ(p.err, ETERM);
    close_proxy_sockets(&p);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void read_statistics(void *control, uint64_t stats[8])
{
    for (int i = 0; i < 8; i++) {
        char buf[16];
        int more = 0;
        CHECK_EQ(recv_timeout(control, buf, sizeof buf, 2000, &more), 8);
        CHECK_EQ(more, i < 7);
        memcpy(&stats[i], buf, sizeof stats[i]);
    }
}

/* PAUSE and RESUME get no reply; STATISTICS does (8 frames); TERMINATE while paused makes the proxy
 * return 0 at once. */
static void steerable_commands_shall_reply_only_to_statistics(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct proxy_run p = {.steerable = 1, .rc = -2};
    pipeline_proxy(ctx, &p, "inproc://st-front", "inproc://st-back");
    p.control = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(p.control, "inproc://st-control"));
    void *control = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(control, "inproc://st-control"));
    void *producer = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(producer, "inproc://st-front"));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);
    send_str(control, "PAUSE");
    expect_no_msg(control, 100);
    send_str(control, "RESUME");
    expect_no_msg(control, 100);
    send_str(control, "PAUSE");
    send_str(control, "STATISTICS");
    uint64_t s[8];
    read_statistics(control, s);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(s[i], 0);
    send_str(producer, "held");   /* paused: stays queued */
    send_str(control, "TERMINATE");
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(p.rc, 0);
    close_zero_linger(control);
    close_zero_linger(producer);
    close_proxy_sockets(&p);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A REP control socket: STATISTICS is answered with the 8 frames, so a REQ can ask for them. */
static void statistics_shall_answer_a_req_over_a_rep_control(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct proxy_run p = {.steerable = 1, .rc = -2};
    pipeline_proxy(ctx, &p, "inproc://rep-front", "inproc://rep-back");
    p.control = test_socket(ctx, ZMQ_REP);
    CHECK_OK(zmq_bind(p.control, "inproc://rep-control"));
    void *producer = test_socket(ctx, ZMQ_PUSH);
    void *consumer = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_connect(producer, "inproc://rep-front"));
    CHECK_OK(zmq_connect(consumer, "inproc://rep-back"));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);
    send_str(producer, "abc");
    recv_expect(consumer, "abc");
    void *control = test_socket(ctx, ZMQ_REQ);
    CHECK_OK(zmq_connect(control, "inproc://rep-control"));
    send_str(control, "STATISTICS");
    uint64_t s[8];
    read_statistics(control, s);
    CHECK_EQ(s[0], 1);
    CHECK_EQ(s[1], 3);
    CHECK_EQ(s[6], 1);
    CHECK_EQ(s[7], 3);
    send_str(control, "TERMINATE");
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(p.rc, 0);
    close_zero_linger(control);
    close_zero_linger(producer);
    close_zero_linger(consumer);
    close_proxy_sockets(&p);
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(90);
    RUN(proxy_shall_return_eterm_when_the_context_terminates);
    RUN(proxy_shall_return_eterm_on_ctx_shutdown);
    RUN_TRANSPORTS(proxy_shall_block_not_drop_for_a_slow_consumer);
    RUN(proxy_shall_drop_where_an_xpub_drops);
    RUN(capture_without_peer_shall_block_the_proxy);
    RUN(proxy_blocked_in_a_send_shall_return_eterm);
    RUN(steerable_commands_shall_reply_only_to_statistics);
    RUN(statistics_shall_answer_a_req_over_a_rep_control);
    return test_end();
}
