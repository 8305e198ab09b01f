/* zmq_proxy (with a capture socket) and zmq_proxy_steerable (PAUSE, RESUME, TERMINATE, STATISTICS). The
 * proxy runs in its own thread and owns its sockets from then on. */
#include "testutil.h"

struct proxy_run {
    void *frontend;
    void *backend;
    void *capture;
    void *control; /* NULL: plain zmq_proxy */
    int rc;
    int err;
};

static void *run_proxy(void *arg)
{
    struct proxy_run *p = arg;
    if (p->control)
        p->rc = zmq_proxy_steerable(p->frontend, p->backend, p->capture, p->control);
    else
        p->rc = zmq_proxy(p->frontend, p->backend, p->capture);
    p->err = errno;
    close_zero_linger(p->frontend);
    close_zero_linger(p->backend);
    if (p->capture)
        close_zero_linger(p->capture);
    if (p->control)
        close_zero_linger(p->control);
    return NULL;
}

/* Receive `parts` frames from the capture listener and compare them with expected (NULL: any). */
static void expect_captured(void *cap, const char *const *expected, int parts)
{
    for (int i = 0; i < parts; i++) {
        char buf[256];
        int more = 0;
        int n = recv_timeout(cap, buf, sizeof buf, 2000, &more);
        CHECK_INT(n, >=, 0);
        if (expected[i])
            CHECK_STR(buf, expected[i]);
        CHECK_EQ(more, i < parts - 1);
    }
}

/* zmq_proxy forwards both ways between a ROUTER frontend and a DEALER backend (REQ/REP through it) and
 * copies every frame it forwards, with its more-flag, to the capture socket; shutting the context down
 * ends it with ETERM. */
static void proxy_shall_forward_both_ways_and_copy_everything_to_capture(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct proxy_run p = {0};
    p.frontend = test_socket(ctx, ZMQ_ROUTER);
    p.backend = test_socket(ctx, ZMQ_DEALER);
    p.capture = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_bind(p.frontend, "inproc://proxy-front"));
    CHECK_OK(zmq_bind(p.backend, "inproc://proxy-back"));
    CHECK_OK(zmq_bind(p.capture, "inproc://proxy-capture"));
    void *cap = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_connect(cap, "inproc://proxy-capture"));
    void *client = test_socket(ctx, ZMQ_REQ);
    CHECK_OK(zmq_setsockopt(client, ZMQ_ROUTING_ID, "client", 6));
    CHECK_OK(zmq_connect(client, "inproc://proxy-front"));
    void *worker = test_socket(ctx, ZMQ_REP);
    CHECK_OK(zmq_connect(worker, "inproc://proxy-back"));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);

    for (int round = 0; round < 3; round++) {
        send_str(client, "hello");
        recv_expect(worker, "hello");
        send_str(worker, "world");
        recv_expect(client, "world");
        const char *request[] = {"client", "", "hello"};
        expect_captured(cap, request, 3);
        const char *reply[] = {"client", "", "world"};
        expect_captured(cap, reply, 3);
    }
    expect_no_msg(cap, 20);

    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(p.rc, -1);
    CHECK_EQ(p.err, ETERM);
    close_zero_linger(cap);
    close_zero_linger(client);
    close_zero_linger(worker);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A one-way pipeline through zmq_proxy with no capture: PULL frontend, PUSH backend, multipart intact. */
static void proxy_shall_forward_a_pipeline_with_multipart_intact(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct proxy_run p = {0};
    p.frontend = test_socket(ctx, ZMQ_PULL);
    p.backend = test_socket(ctx, ZMQ_PUSH);
    char front_ep[TU_ENDPOINT_LEN], back_ep[TU_ENDPOINT_LEN];
    bind_ephemeral(p.frontend, front_ep, sizeof front_ep);
    bind_ephemeral(p.backend, back_ep, sizeof back_ep);
    void *producer = test_socket(ctx, ZMQ_PUSH);
    void *consumer = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_connect(producer, front_ep));
    CHECK_OK(zmq_connect(consumer, back_ep));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);
    for (int i = 0; i < 100; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "part-%d", i);
        send_str_more(producer, buf);
        send_str(producer, "tail");
    }
    for (int i = 0; i < 100; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "part-%d", i);
        recv_expect_more(consumer, buf);
        recv_expect(consumer, "tail");
    }
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(p.err, ETERM);
    close_zero_linger(producer);
    close_zero_linger(consumer);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* Send a control command and, for STATISTICS, read the eight uint64 counters: frontend messages in,
 * bytes in, messages out, bytes out, then the same four for the backend. */
static void statistics(void *control, uint64_t stats[8])
{
    send_str(control, "STATISTICS");
    for (int i = 0; i < 8; i++) {
        char buf[16];
        int more = 0;
        CHECK_EQ(recv_timeout(control, buf, sizeof buf, 2000, &more), 8);
        CHECK_EQ(more, i < 7);
        memcpy(&stats[i], buf, sizeof stats[i]);
    }
}

/* zmq_proxy_steerable: PAUSE stops forwarding (messages wait), RESUME lets them through, STATISTICS
 * reports counters (a multipart message counts once), TERMINATE makes the proxy return 0. */
static void proxy_steerable_shall_obey_pause_resume_statistics_and_terminate(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    struct proxy_run p = {0};
    p.frontend = test_socket(ctx, ZMQ_PULL);
    p.backend = test_socket(ctx, ZMQ_PUSH);
    p.control = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(p.frontend, "inproc://steer-front"));
    CHECK_OK(zmq_bind(p.backend, "inproc://steer-back"));
    CHECK_OK(zmq_bind(p.control, "inproc://steer-control"));
    void *producer = test_socket(ctx, ZMQ_PUSH);
    void *consumer = test_socket(ctx, ZMQ_PULL);
    void *control = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(producer, "inproc://steer-front"));
    CHECK_OK(zmq_connect(consumer, "inproc://steer-back"));
    CHECK_OK(zmq_connect(control, "inproc://steer-control"));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_proxy, &p), 0);

    send_str(producer, "m1");
    recv_expect(consumer, "m1");
    send_str_more(producer, "m2a");
    send_str(producer, "m2b");
    recv_expect_more(consumer, "m2a");
    recv_expect(consumer, "m2b");

    uint64_t s[8];
    statistics(control, s);
    CHECK_EQ(s[0], 2); /* frontend messages in */
    CHECK_EQ(s[1], 8); /* frontend bytes in: 2 + 3 + 3 */
    CHECK_EQ(s[2], 0); /* frontend messages out */
    CHECK_EQ(s[3], 0);
    CHECK_EQ(s[4], 0); /* backend messages in */
    CHECK_EQ(s[5], 0);
    CHECK_EQ(s[6], 2); /* backend messages out */
    CHECK_EQ(s[7], 8);

    send_str(control, "PAUSE");
    statistics(control, s); /* commands are handled in order: once this answers, the proxy is paused */
    send_str(producer, "m3");
    expect_no_msg(consumer, 200);
    send_str(control, "RESUME");
    recv_expect(consumer, "m3");
    statistics(control, s);
    CHECK_EQ(s[0], 3);
    CHECK_EQ(s[6], 3);

    send_str(control, "TERMINATE");
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(p.rc, 0);
    close_zero_linger(producer);
    close_zero_linger(consumer);
    close_zero_linger(control);
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(30);
    RUN(proxy_shall_forward_both_ways_and_copy_everything_to_capture);
    RUN(proxy_shall_forward_a_pipeline_with_multipart_intact);
    RUN(proxy_steerable_shall_obey_pause_resume_statistics_and_terminate);
    return test_end();
}
