/* zmq_socket_monitor: the events of a listening and of a connecting socket, in order, and their
 * two-frame format: a 6-byte frame (uint16 event, uint32 value, native byte order) with more set, then
 * the endpoint. */
#include "monitor_util.h"

static void *ctx;

/* A bound socket reports LISTENING, ACCEPTED, HANDSHAKE_SUCCEEDED; DISCONNECTED when the peer leaves;
 * CLOSED and MONITOR_STOPPED when it closes. Values are the descriptors involved. */
static void monitor_shall_report_the_listening_side_lifecycle_in_order(const char *tr)
{
    void *server = test_socket(ctx, ZMQ_REP);
    void *mon = start_monitor(ctx, server, ZMQ_EVENT_ALL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    struct monitor_event ev, listening, accepted;
    expect_event(mon, ZMQ_EVENT_LISTENING, 0, &listening);
    CHECK_STR(listening.endpoint, ep);
    void *client = connected_socket(ctx, ZMQ_REQ, ep);
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
    char ep[TU_ENDPOINT_LEN];
    void *server = bound_socket(ctx, ZMQ_PULL, tr, ep, sizeof ep);
    void *client = test_socket(ctx, ZMQ_PUSH);
    set_int(client, ZMQ_RECONNECT_IVL, 150);
    void *mon = start_monitor(ctx, client, ZMQ_EVENT_ALL);
    CHECK_OK(zmq_connect(client, ep));
    struct monitor_event ev;
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
    void *mon = start_monitor(ctx, server, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_PUSH, ep);
    struct monitor_event ev;
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
    void *mon = start_monitor(ctx, server, ZMQ_EVENT_ALL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_LISTENING, 0, &ev);
    CHECK_OK(zmq_socket_monitor(server, NULL, 0));
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    void *client = connected_socket(ctx, ZMQ_PUSH, ep);
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
