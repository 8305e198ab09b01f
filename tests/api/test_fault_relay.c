/* Faults between two sockets, injected by a TCP relay thread in the middle (tests/relay.h):
 *  - PUSH/PULL through a relay that fragments every frame into 1-7 byte pieces delivers every message,
 *    whole and in order;
 *  - PUSH/PULL through a relay that cuts and resets the connection at random byte offsets (and stalls
 *    it): the stream goes on in order after each reconnect, nothing duplicated, and what is lost is one
 *    run of consecutive messages per broken connection, no longer than the buffers between the sockets
 *    (the relay holds a new connection until the PULL has drained the old one: PULL fair-queues its
 *    connections, in libzmq as in zinc, and would interleave the two);
 *  - heartbeats (ZMQ_HEARTBEAT_IVL/TIMEOUT) notice a stalled peer within their timeout, and do not drop
 *    a slow one (latency below the timeout).
 * Passes on libzmq 4.3.4 too. */
#include "fault_patterns.h"
#include "monitor_util.h"

/* Every message crosses a relay that splits the stream into 1-7 byte pieces, whole and in order. */
static void fragmented_stream_delivers_every_message(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pull = test_socket(ctx, ZMQ_PULL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(pull, "tcp", ep, sizeof ep);
    static struct relay r;
    struct relay_plan fragment_all = {.fragment_percent = 100};
    relay_start(&r, endpoint_port(ep), &fragment_all, 12345);
    void *push = test_socket(ctx, ZMQ_PUSH);
    char relay_ep[64];
    relay_endpoint(&r, relay_ep, sizeof relay_ep);
    CHECK_OK(zmq_connect(push, relay_ep));
    set_int(pull, ZMQ_RCVTIMEO, 10000);
    const int messages = 500;
    for (int i = 0; i < messages; i++) {
        char out[300];
        int len = 1 + (i * 37) % (int)sizeof out;   /* short and long frames alike */
        memset(out, 'a' + i % 26, (size_t)len);
        snprintf(out, sizeof out > (size_t)len ? (size_t)len : sizeof out, "%d", i);
        CHECK_EQ(zmq_send(push, out, (size_t)len, i % 3 ? 0 : ZMQ_SNDMORE), len);
        if (i % 3 == 0)
            CHECK_EQ(zmq_send(push, "tail", 4, 0), 4);
    }
    for (int i = 0; i < messages; i++) {
        char in[300], want[300];
        int len = 1 + (i * 37) % (int)sizeof want;
        memset(want, 'a' + i % 26, (size_t)len);
        snprintf(want, sizeof want > (size_t)len ? (size_t)len : sizeof want, "%d", i);
        CHECK_EQ(zmq_recv(pull, in, sizeof in, 0), len);
        CHECK_MEM(in, len, want, len);
        if (i % 3 == 0) {
            int more;
            size_t sz = sizeof more;
            CHECK_OK(zmq_getsockopt(pull, ZMQ_RCVMORE, &more, &sz));
            CHECK_EQ(more, 1);
            CHECK_EQ(zmq_recv(pull, in, sizeof in, 0), 4);
        }
    }
    relay_stop(&r);
    CHECK_OK(zmq_close(push));
    CHECK_OK(zmq_close(pull));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* The relay stops forwarding (the TCP connection stays up): heartbeats drop it within their timeout. */
static void heartbeats_notice_a_stalled_peer(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server = test_socket(ctx, ZMQ_DEALER);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "tcp", ep, sizeof ep);
    static struct relay r;
    relay_start(&r, endpoint_port(ep), NULL, 1);

    void *client = test_socket(ctx, ZMQ_DEALER);
    set_int(client, ZMQ_HEARTBEAT_IVL, 50);
    set_int(client, ZMQ_HEARTBEAT_TIMEOUT, 300);
    void *mon = start_monitor(ctx, client, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    char relay_ep[64];
    relay_endpoint(&r, relay_ep, sizeof relay_ep);
    CHECK_OK(zmq_connect(client, relay_ep));
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    msleep(200);   /* heartbeats flow through the relay: nothing happens */
    atomic_store(&r.stall, 1);
    int64_t stalled_at = now_ms();
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    int64_t took = now_ms() - stalled_at;
    printf("  stalled peer dropped after %lld ms (timeout 300 ms)\n", (long long)took);
    /* at least ~the timeout, less what the last PING before the stall had already waited (up to an
     * interval, more when a loaded machine slows the relay); at most the timeout and some slack */
    CHECK(took >= 150 && took < 1500);
    atomic_store(&r.stall, 0);
    relay_stop(&r);
    CHECK_OK(zmq_socket_monitor(client, NULL, 0));
    CHECK_OK(zmq_close(mon));
    CHECK_OK(zmq_close(client));
    CHECK_OK(zmq_close(server));
    CHECK_OK(zmq_ctx_term(ctx));
}

#define CUT_TARGET 300          /* stop injecting after this many cuts and resets ... */
#define CUT_BUDGET_MS 6000      /* ... or after this long */

struct cut_run {
    struct relay *relay;
    struct seq_sender *sender;
    int64_t start;
};

/* Between messages: enough cuts, or enough time? Then no more faults, and the sender ends the stream. */
static void cut_tick(void *arg)
{
    struct cut_run *c = arg;
    if (atomic_load(&c->relay->faults_on) &&
        (relay_breaks(c->relay) >= CUT_TARGET || now_ms() - c->start > CUT_BUDGET_MS)) {
        atomic_store(&c->relay->faults_on, 0);   /* what is sent from now on all arrives */
        atomic_store(&c->sender->stop, SEQ_END);
    }
}

/* The relay breaks the connection every few KB, at any byte; after each reconnect the stream goes on. */
static void push_pull_across_cuts_loses_only_what_was_in_flight(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pull = test_socket(ctx, ZMQ_PULL);
    seq_socket_setup(pull);
    void *mon = start_monitor(ctx, pull, ZMQ_EVENT_DISCONNECTED);
    char ep[TU_ENDPOINT_LEN], relay_ep[64];
    bind_transport(pull, "tcp", ep, sizeof ep);
    static struct relay r;
    relay_start(&r, endpoint_port(ep), &seq_plan, 777);
    relay_endpoint(&r, relay_ep, sizeof relay_ep);
    struct seq_sender s = {.push = test_socket(ctx, ZMQ_PUSH)};
    atomic_init(&s.stop, SEQ_RUN);
    atomic_init(&s.numbered, 0);
    seq_socket_setup(s.push);
    CHECK_OK(zmq_connect(s.push, relay_ep));
    pthread_t sender;
    struct cut_run run = {.relay = &r, .sender = &s, .start = now_ms()};
    CHECK_EQ(pthread_create(&sender, NULL, seq_sender_main, &s), 0);
    struct seq_counts counts;
    seq_receive(pull, mon, &r, cut_tick, &run, &counts);
    atomic_store(&s.stop, SEQ_DONE);
    CHECK_EQ(pthread_join(sender, NULL), 0);
    seq_check(&r, &counts, s.sent, now_ms() - run.start);
    CHECK_INT(relay_breaks(&r), >=, 30);
    relay_stop(&r);
    CHECK_OK(zmq_socket_monitor(pull, NULL, 0));
    close_zero_linger(mon);
    close_zero_linger(s.push);
    close_zero_linger(pull);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* The relay holds every piece for 150 ms: a round trip takes that much longer, but heartbeats with a
 * 1 s timeout keep the connection, and nothing is lost. */
static void heartbeats_tolerate_a_slow_peer(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server = test_socket(ctx, ZMQ_DEALER);
    char ep[TU_ENDPOINT_LEN], relay_ep[64];
    bind_transport(server, "tcp", ep, sizeof ep);
    static struct relay r;
    relay_start(&r, endpoint_port(ep), NULL, 2);
    void *client = test_socket(ctx, ZMQ_DEALER);
    set_int(client, ZMQ_HEARTBEAT_IVL, 50);
    set_int(client, ZMQ_HEARTBEAT_TIMEOUT, 1000);
    void *mon = start_monitor(ctx, client, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    relay_endpoint(&r, relay_ep, sizeof relay_ep);
    CHECK_OK(zmq_connect(client, relay_ep));
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    atomic_store(&r.delay_ms, 150);
    int64_t until = now_ms() + 2000;
    int round_trips = 0;
    char b[16];
    while (now_ms() < until) {
        int64_t sent_at = now_ms();
        CHECK_EQ(zmq_send(client, "ping", 4, 0), 4);
        CHECK_EQ(recv_timeout(server, b, sizeof b, 2000, NULL), 4);
        CHECK_EQ(zmq_send(server, "pong", 4, 0), 4);
        CHECK_EQ(recv_timeout(client, b, sizeof b, 2000, NULL), 4);
        CHECK_INT(now_ms() - sent_at, >=, 290);   /* the delay is real: 150 ms each way */
        round_trips++;
    }
    printf("  %d round trips of at least 300 ms in 2 s, no disconnect\n", round_trips);
    /* no DISCONNECTED: the next event is none at all */
    CHECK_ERR(zmq_recv(mon, b, sizeof b, ZMQ_DONTWAIT), EAGAIN);
    atomic_store(&r.delay_ms, 0);
    relay_stop(&r);
    CHECK_OK(zmq_socket_monitor(client, NULL, 0));
    CHECK_OK(zmq_close(mon));
    CHECK_OK(zmq_close(client));
    CHECK_OK(zmq_close(server));
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(100);
    RUN(fragmented_stream_delivers_every_message);
    RUN(push_pull_across_cuts_loses_only_what_was_in_flight);
    RUN(heartbeats_notice_a_stalled_peer);
    RUN(heartbeats_tolerate_a_slow_peer);
    return test_end();
}
