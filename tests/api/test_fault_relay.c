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
#include "relay.h"
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
    CHECK(took >= 250 && took < 1500);
    atomic_store(&r.stall, 0);
    relay_stop(&r);
    CHECK_OK(zmq_socket_monitor(client, NULL, 0));
    CHECK_OK(zmq_close(mon));
    CHECK_OK(zmq_close(client));
    CHECK_OK(zmq_close(server));
    CHECK_OK(zmq_ctx_term(ctx));
}

#define CUT_MSG_SIZE 100
#define CUT_BUFFER 32768        /* SO_SNDBUF/SO_RCVBUF asked for on every socket of the path */
#define CUT_TARGET 300          /* stop injecting after this many cuts and resets ... */
#define CUT_BUDGET_MS 6000      /* ... or after this long */

struct cut_sender {
    void *push;
    atomic_int stop;
    int sent;                   /* read after the join */
};

/* Sends numbered messages until told to stop, then one whose number is -1. */
static void *cut_sender_main(void *arg)
{
    struct cut_sender *s = arg;
    char msg[CUT_MSG_SIZE];
    memset(msg, 'm', sizeof msg);
    while (!atomic_load(&s->stop)) {
        memcpy(msg, &s->sent, sizeof s->sent);
        if (zmq_send(s->push, msg, sizeof msg, 0) == (int)sizeof msg)
            s->sent++;
        else
            CHECK_EQ(errno, EAGAIN);   /* SNDTIMEO: reconnecting */
    }
    int end = -1;
    memcpy(msg, &end, sizeof end);
    int64_t deadline = now_ms() + 5000;
    while (zmq_send(s->push, msg, sizeof msg, 0) != (int)sizeof msg) {
        CHECK_EQ(errno, EAGAIN);   /* still reconnecting, or the pipe still full */
        CHECK_INT(now_ms(), <, deadline);
    }
    return NULL;
}

/* The most bytes one broken connection can take with it: the kernel buffers on the path (Linux doubles
 * what is asked for), the relay's own buffer and each engine's I/O buffer, generously. */
static int cut_max_lost_messages(void)
{
    int kernel = 4 * 2 * CUT_BUFFER;   /* PUSH send, relay receive, relay send, PULL receive */
    int relay = RELAY_BUF;
    int engines = 2 * 64 * 1024;
    return (kernel + relay + engines) / CUT_MSG_SIZE + 2;
}

/* The relay breaks the connection every few KB, at any byte; after each reconnect the stream goes on. */
static void push_pull_across_cuts_loses_only_what_was_in_flight(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pull = test_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_RCVBUF, CUT_BUFFER);
    char ep[TU_ENDPOINT_LEN], relay_ep[64];
    bind_transport(pull, "tcp", ep, sizeof ep);
    static struct relay r;
    struct relay_plan plan = {
        .fragment_percent = 10,
        .fault_bytes_max = 60000,
        .weight = {[RELAY_CUT] = 4, [RELAY_RESET] = 3, [RELAY_STALL] = 1, [RELAY_DELAY] = 1},
        .stall_ms_max = 30,
        .delay_ms_max = 5,
        .delay_span_ms = 30,
        .buffer_bytes = CUT_BUFFER,
        .gate_on_drain = 1,
    };
    relay_start(&r, endpoint_port(ep), &plan, 777);
    relay_endpoint(&r, relay_ep, sizeof relay_ep);
    struct cut_sender s = {.push = test_socket(ctx, ZMQ_PUSH)};
    atomic_init(&s.stop, 0);
    set_int(s.push, ZMQ_SNDBUF, CUT_BUFFER);
    set_int(s.push, ZMQ_RECONNECT_IVL, 5);
    set_int(s.push, ZMQ_RECONNECT_IVL_MAX, 50);
    set_int(s.push, ZMQ_SNDTIMEO, 100);
    CHECK_OK(zmq_connect(s.push, relay_ep));
    pthread_t sender;
    int64_t start = now_ms();
    CHECK_EQ(pthread_create(&sender, NULL, cut_sender_main, &s), 0);

    int expected = 0, received = 0, lost = 0, gaps = 0, longest_gap = 0;
    int64_t last_msg_at = now_ms();
    for (;;) {
        if (atomic_load(&r.faults_on) && (relay_breaks(&r) >= CUT_TARGET || now_ms() - start > CUT_BUDGET_MS)) {
            atomic_store(&r.faults_on, 0);   /* what is sent from now on all arrives */
            atomic_store(&s.stop, 1);
        }
        char msg[CUT_MSG_SIZE];
        int breaks = relay_breaks(&r);
        int rc = zmq_recv(pull, msg, sizeof msg, ZMQ_DONTWAIT);
        if (rc < 0) {
            CHECK_EQ(errno, EAGAIN);
            CHECK_INT(now_ms() - last_msg_at, <, 5000);
            if (!poll_in(pull, 1))
                relay_drained(&r, breaks);   /* nothing left of the connections broken so far */
            continue;
        }
        last_msg_at = now_ms();
        CHECK_EQ(rc, CUT_MSG_SIZE);
        int seq;
        memcpy(&seq, msg, sizeof seq);
        if (seq == -1)
            break;
        CHECK_INT(seq, >=, expected);   /* none duplicated, none reordered */
        if (seq > expected) {
            gaps++;
            lost += seq - expected;
            longest_gap = seq - expected > longest_gap ? seq - expected : longest_gap;
        }
        expected = seq + 1;
        received++;
    }
    CHECK_EQ(pthread_join(sender, NULL), 0);
    relay_print(&r, "push/pull");
    printf("  sent %d, received %d, lost %d in %d gaps (longest %d, bound %d) in %lld ms\n", s.sent, received,
           lost, gaps, longest_gap, cut_max_lost_messages(), (long long)(now_ms() - start));
    CHECK_EQ(expected, s.sent);              /* the messages after the last cut all arrived */
    CHECK_EQ(received + lost, s.sent);
    CHECK_INT(gaps, <=, relay_breaks(&r));   /* losses only at cuts, one run each */
    CHECK_INT(longest_gap, <=, cut_max_lost_messages());
    CHECK_INT(relay_breaks(&r), >=, 30);
    relay_stop(&r);
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
