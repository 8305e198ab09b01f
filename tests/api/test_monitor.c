/* zmq_socket_monitor: the events of a listening and of a connecting socket, in order, and their
 * two-frame format: a 6-byte frame (uint16 event, uint32 value, native byte order) with more set, then
 * the endpoint. */
#include "testutil.h"

static void *ctx;
static int monitor_seq;

struct event {
    int id; /* ZMQ_EVENT_* */
    uint32_t value;
    char endpoint[TU_ENDPOINT_LEN];
};

/* Start monitoring sock for events; returns the PAIR socket that receives them. */
static void *start_monitor(void *sock, int events)
{
    char addr[64];
    snprintf(addr, sizeof addr, "inproc://monitor-%d", ++monitor_seq);
    CHECK_OK(zmq_socket_monitor(sock, addr, events));
    void *mon = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(mon, addr));
    return mon;
}

/* Read one event within ms; returns 0 if none came. Checks the frame format. */
static int read_event(void *mon, struct event *ev, int ms)
{
    unsigned char frame[16];
    int more = 0;
    int n = recv_timeout(mon, frame, sizeof frame, ms, &more);
    if (n < 0)
        return 0;
    CHECK_EQ(n, 6);
    CHECK_EQ(more, 1);
    uint16_t id;
    memcpy(&id, frame, sizeof id);
    memcpy(&ev->value, frame + 2, sizeof ev->value);
    ev->id = id;
    n = recv_timeout(mon, ev->endpoint, sizeof ev->endpoint, 1000, &more);
    CHECK_INT(n, >=, 0);
    CHECK_EQ(more, 0);
    return 1;
}

/* The next event, skipping those in skip_mask, must be `expected`. */
static void tu_expect_event(const char *file, int line, void *mon, int expected, int skip_mask,
                            struct event *ev)
{
    for (;;) {
        if (!read_event(mon, ev, 2000))
            tu_fail(file, line, "expected event 0x%x, none came", expected);
        if (ev->id == expected)
            return;
        if (!(ev->id & skip_mask))
            tu_fail(file, line, "expected event 0x%x, got 0x%x (value %u)", expected, ev->id, ev->value);
    }
}
#define expect_event(mon, expected, skip, ev)                                                                \
    tu_expect_event(__FILE__, __LINE__, (mon), (expected), (skip), (ev))

/* A bound socket reports LISTENING, ACCEPTED, HANDSHAKE_SUCCEEDED; DISCONNECTED when the peer leaves;
 * CLOSED and MONITOR_STOPPED when it closes. Values are the descriptors involved. */
static void monitor_shall_report_the_listening_side_lifecycle_in_order(const char *tr)
{
    void *server = test_socket(ctx, ZMQ_REP);
    void *mon = start_monitor(server, ZMQ_EVENT_ALL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    struct event ev, listening, accepted;
    expect_event(mon, ZMQ_EVENT_LISTENING, 0, &listening);
    CHECK_STR(listening.endpoint, ep);
    void *client = test_socket(ctx, ZMQ_REQ);
    CHECK_OK(zmq_connect(client, ep));
    expect_event(mon, ZMQ_EVENT_ACCEPTED, 0, &accepted);
    CHECK_STR(accepted.endpoint, ep);
    CHECK(accepted.value != listening.value);
    expect_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    CHECK_STR(ev.endpoint, ep);
    send_str(client, "req");
    recv_expect(server, "req");
    send_str(server, "rep");
    recv_expect(client, "rep");
    close_zero_linger(client);
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_EQ(ev.value, accepted.value);
    CHECK_STR(ev.endpoint, ep);
    close_zero_linger(server);
    expect_event(mon, ZMQ_EVENT_CLOSED, 0, &ev);
    CHECK_EQ(ev.value, listening.value);
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    CHECK_STR(ev.endpoint, "");
    CHECK_EQ(read_event(mon, &ev, 50), 0);
    close_zero_linger(mon);
}

/* A connecting socket reports (CONNECT_DELAYED,) CONNECTED, HANDSHAKE_SUCCEEDED; when the server goes
 * away, DISCONNECTED and then CONNECT_RETRIED with the wait before the retry as value (the reconnect
 * interval plus a random jitter below one interval). */
static void monitor_shall_report_the_connecting_side_lifecycle_in_order(const char *tr)
{
    void *server = test_socket(ctx, ZMQ_PULL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    void *client = test_socket(ctx, ZMQ_PUSH);
    set_int(client, ZMQ_RECONNECT_IVL, 150);
    void *mon = start_monitor(client, ZMQ_EVENT_ALL);
    CHECK_OK(zmq_connect(client, ep));
    struct event ev;
    expect_event(mon, ZMQ_EVENT_CONNECTED, ZMQ_EVENT_CONNECT_DELAYED, &ev);
    CHECK_STR(ev.endpoint, ep);
    expect_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    CHECK_STR(ev.endpoint, ep);
    send_str(client, "hello");
    recv_expect(server, "hello");
    close_zero_linger(server);
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_STR(ev.endpoint, ep);
    expect_event(mon, ZMQ_EVENT_CONNECT_RETRIED, 0, &ev);
    /* the interval plus libzmq's random jitter of up to one interval */
    CHECK_INT(ev.value, >=, 150);
    CHECK_INT(ev.value, <, 300);
    CHECK_OK(zmq_socket_monitor(client, NULL, 0));
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, ZMQ_EVENT_ALL, &ev);
    close_zero_linger(client);
    close_zero_linger(mon);
}

/* Only the events in the mask are delivered. */
static void monitor_shall_deliver_only_the_events_in_its_mask(const char *tr)
{
    void *server = test_socket(ctx, ZMQ_PULL);
    void *mon = start_monitor(server, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    void *client = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(client, ep));
    struct event ev;
    expect_event(mon, ZMQ_EVENT_ACCEPTED, 0, &ev);
    send_str(client, "x");
    recv_expect(server, "x");
    close_zero_linger(client);
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    close_zero_linger(server);
    /* no CLOSED, no MONITOR_STOPPED: they were not asked for */
    CHECK_EQ(read_event(mon, &ev, 100), 0);
    close_zero_linger(mon);
}

/* zmq_socket_monitor (s, NULL, 0) stops monitoring: MONITOR_STOPPED, then silence. */
static void monitor_shall_stop_when_given_a_null_endpoint(const char *tr)
{
    void *server = test_socket(ctx, ZMQ_PULL);
    void *mon = start_monitor(server, ZMQ_EVENT_ALL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    struct event ev;
    expect_event(mon, ZMQ_EVENT_LISTENING, 0, &ev);
    CHECK_OK(zmq_socket_monitor(server, NULL, 0));
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    void *client = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(client, ep));
    send_str(client, "x");
    recv_expect(server, "x");
    CHECK_EQ(read_event(mon, &ev, 100), 0);
    close_zero_linger(client);
    close_zero_linger(server);
    close_zero_linger(mon);
}

/* Monitors publish only on inproc; other endpoints are refused. */
static void monitor_shall_require_an_inproc_endpoint(void)
{
    void *s = test_socket(ctx, ZMQ_PAIR);
    CHECK_ERR(zmq_socket_monitor(s, "tcp://127.0.0.1:5555", ZMQ_EVENT_ALL), EPROTONOSUPPORT);
    CHECK_ERR(zmq_socket_monitor(NULL, "inproc://x", ZMQ_EVENT_ALL), ENOTSOCK);
    close_zero_linger(s);
}

/* Only ipc and tcp make connection events (RUN_ENGINE_TRANSPORTS); inproc makes none. */
int main(void)
{
    test_begin(30);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_ENGINE_TRANSPORTS(monitor_shall_report_the_listening_side_lifecycle_in_order);
    RUN_ENGINE_TRANSPORTS(monitor_shall_report_the_connecting_side_lifecycle_in_order);
    RUN_ENGINE_TRANSPORTS(monitor_shall_deliver_only_the_events_in_its_mask);
    RUN_ENGINE_TRANSPORTS(monitor_shall_stop_when_given_a_null_endpoint);
    RUN(monitor_shall_require_an_inproc_endpoint);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
