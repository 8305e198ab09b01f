/* Per-socket counters, zinc only (include/zmq.h's zinc section, docs/manual/seeing-into-a-socket.md):
 * zinc_socket_stats and ZINC_STATS (messages and bytes in and out, each drop reason with exact counts, queue
 * depths), zinc_socket_peers (one row per peer: depths, routing id, endpoint), and the ZINC_EVENT_DROPPED
 * monitor event (first drop at once, then at most once a second per reason with the count). libzmq has
 * none of it, so it lives with the draft tests (built for zinc only). Exact counts use inproc, where the
 * queues are the pipes themselves and no kernel buffer hides messages. */
#include "testutil.h"

#include <stdlib.h>

static void *ctx;
#define STATS_PENDING_REASONS 5   /* ZINC_DROP_HWM .. ZINC_DROP_CONFLATED */
static int mon_seq;

static zinc_socket_stats_t stats_of(void *sock)
{
    zinc_socket_stats_t st;
    memset(&st, 0xee, sizeof st);
    CHECK_EQ(zinc_socket_stats(sock, &st, sizeof st), (int)sizeof st);
    return st;
}

/* Waits up to 3 s for *field of sock's stats to reach want (drops seen on an I/O thread come late). */
#define await_stat(sock, field, want) tu_await_stat(__FILE__, __LINE__, (sock), offsetof(zinc_socket_stats_t, field), (want))
static void tu_await_stat(const char *file, int line, void *sock, size_t off, uint64_t want)
{
    int64_t deadline = now_ms() + 3000;
    uint64_t v;
    for (;;) {
        zinc_socket_stats_t st = stats_of(sock);
        memcpy(&v, (char *)&st + off, sizeof v);
        if (v == want || now_ms() > deadline)
            break;
        msleep(5);
    }
    if (v != want)
        tu_fail(file, line, "counter at offset %zu is %llu, expected %llu", off, (unsigned long long)v,
                (unsigned long long)want);
}

/* ---- the calls themselves ---------------------------------------------------------------------------- */
static void api_errors_and_sizes(void)
{
    ctx = zmq_ctx_new();
    void *s = test_socket(ctx, ZMQ_PUSH);
    zinc_socket_stats_t st;
    CHECK_ERR(zinc_socket_stats(NULL, &st, sizeof st), ENOTSOCK);
    CHECK_ERR(zinc_socket_stats(ctx, &st, sizeof st), ENOTSOCK);
    CHECK_ERR(zinc_socket_stats(s, NULL, sizeof st), EFAULT);
    CHECK_ERR(zinc_socket_stats(s, &st, 7), EINVAL);
    CHECK_ERR(zinc_socket_stats(s, &st, 0), EINVAL);
    /* an older, smaller struct: only its fields are written */
    memset(&st, 0xab, sizeof st);
    CHECK_EQ(zinc_socket_stats(s, &st, 16), 16);
    CHECK_EQ(st.msgs_in, 0);
    CHECK_EQ(st.bytes_in, 0);
    CHECK(st.msgs_out == 0xababababababababULL);
    CHECK_EQ(zinc_socket_stats(s, &st, sizeof st + 64), (int)sizeof st);
    /* the read-only option */
    size_t len = sizeof st;
    CHECK_OK(zmq_getsockopt(s, ZINC_STATS, &st, &len));
    CHECK_EQ(len, sizeof st);
    unsigned char big[sizeof st + 32];
    len = sizeof big;
    CHECK_OK(zmq_getsockopt(s, ZINC_STATS, big, &len));
    CHECK_EQ(len, sizeof st);
    len = 8;
    CHECK_OK(zmq_getsockopt(s, ZINC_STATS, &st, &len));
    CHECK_EQ(len, 8);
    len = 4;
    CHECK_ERR(zmq_getsockopt(s, ZINC_STATS, &st, &len), EINVAL);
    CHECK_ERR(zmq_setsockopt(s, ZINC_STATS, &st, sizeof st), EINVAL);
    /* peers */
    zinc_peer_stats_t p;
    CHECK_ERR(zinc_socket_peers(NULL, &p, 1), ENOTSOCK);
    CHECK_ERR(zinc_socket_peers(s, &p, -1), EINVAL);
    CHECK_ERR(zinc_socket_peers(s, NULL, 1), EFAULT);
    CHECK_EQ(zinc_socket_peers(s, NULL, 0), 0);
    st = stats_of(s);
    CHECK_EQ(st.peers, 0);
    close_zero_linger(s);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- messages and bytes ------------------------------------------------------------------------------ */
static void messages_and_bytes(const char *tr)
{
    ctx = zmq_ctx_new();
    char ep[TU_ENDPOINT_LEN];
    void *pull = bound_socket(ctx, ZMQ_PULL, tr, ep, sizeof ep);
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    send_str(push, "a");
    send_str_more(push, "bc");
    send_str(push, "def");
    send_buf(push, "", 0, 0);
    zinc_socket_stats_t st = stats_of(push);
    CHECK_EQ(st.msgs_out, 3);
    CHECK_EQ(st.bytes_out, 6);
    CHECK_EQ(st.msgs_in, 0);
    CHECK_EQ(st.bytes_in, 0);
    recv_expect(pull, "a");
    st = stats_of(pull);
    CHECK_EQ(st.msgs_in, 1);
    CHECK_EQ(st.bytes_in, 1);
    recv_expect_more(pull, "bc");
    st = stats_of(pull);
    CHECK_EQ(st.msgs_in, 1);   /* a message counts once it is whole */
    CHECK_EQ(st.bytes_in, 3);
    recv_expect(pull, "def");
    recv_expect_buf(pull, "", 0, 0);
    st = stats_of(pull);
    CHECK_EQ(st.msgs_in, 3);
    CHECK_EQ(st.bytes_in, 6);
    CHECK_EQ(st.msgs_out, 0);
    CHECK_EQ(st.peers, 1);
    /* a refused send counts nothing */
    void *lone = test_socket(ctx, ZMQ_PUSH);
    CHECK_ERR(zmq_send(lone, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    st = stats_of(lone);
    CHECK_EQ(st.msgs_out, 0);
    CHECK_EQ(st.bytes_out, 0);
    close_zero_linger(lone);
    close_zero_linger(push);
    close_zero_linger(pull);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_msg_send and zmq_msg_recv count the same; thread-safe types too. */
static void client_server_counts(void)
{
    ctx = zmq_ctx_new();
    char ep[TU_ENDPOINT_LEN];
    void *server = bound_socket(ctx, ZMQ_SERVER, "inproc", ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_CLIENT, ep);
    zmq_msg_t m;
    for (int i = 0; i < 5; i++) {
        CHECK_OK(zmq_msg_init_size(&m, 10));
        memset(zmq_msg_data(&m), 'x', 10);
        CHECK_EQ(zmq_msg_send(&m, client, 0), 10);
    }
    for (int i = 0; i < 5; i++) {
        zmq_msg_init(&m);
        CHECK_EQ(zmq_msg_recv(&m, server, 0), 10);
        zmq_msg_close(&m);
    }
    zinc_socket_stats_t st = stats_of(client);
    CHECK_EQ(st.msgs_out, 5);
    CHECK_EQ(st.bytes_out, 50);
    st = stats_of(server);
    CHECK_EQ(st.msgs_in, 5);
    CHECK_EQ(st.bytes_in, 50);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- drops, one reason at a time ---------------------------------------------------------------------- */
/* inproc: a queue holds the sender's SNDHWM plus the receiver's RCVHWM. Two subscribers at 5 + 5 = 10 take
 * 10 of 25 messages each: 2 x 15 = 30 drops, 25 messages out. */
static void pub_drops_at_hwm(void)
{
    ctx = zmq_ctx_new();
    char ep[TU_ENDPOINT_LEN];
    void *pub = test_socket(ctx, ZMQ_PUB);
    set_int(pub, ZMQ_SNDHWM, 5);
    bind_transport(pub, "inproc", ep, sizeof ep);
    void *subs[2];
    for (int i = 0; i < 2; i++) {
        subs[i] = test_socket(ctx, ZMQ_SUB);
        set_int(subs[i], ZMQ_RCVHWM, 5);
        CHECK_OK(zmq_setsockopt(subs[i], ZMQ_SUBSCRIBE, "", 0));
        CHECK_OK(zmq_connect(subs[i], ep));
    }
    await_subscriptions(pub, subs, 2, "");
    zinc_socket_stats_t before = stats_of(pub);
    CHECK_EQ(before.dropped_hwm, 0);
    for (int i = 0; i < 25; i++)
        send_str(pub, "m");
    zinc_socket_stats_t st = stats_of(pub);
    CHECK_EQ(st.msgs_out - before.msgs_out, 25);
    CHECK_EQ(st.dropped_hwm, 30);
    CHECK_EQ(st.queued_out, 20);
    CHECK_EQ(st.peers, 2);
    zinc_socket_stats_t sst = stats_of(subs[0]);
    CHECK_EQ(sst.queued_in, 10);
    CHECK_EQ(sst.dropped_hwm, 0);
    uint64_t in_before = sst.msgs_in;
    for (int i = 0; i < 10; i++)
        recv_expect(subs[0], "m");
    expect_no_msg(subs[0], 50);
    sst = stats_of(subs[0]);
    CHECK_EQ(sst.msgs_in - in_before, 10);
    CHECK_EQ(sst.queued_in, 0);
    /* subs[0] has room again, subs[1] not: one more message is one more drop */
    send_str(pub, "m");
    CHECK_EQ(stats_of(pub).dropped_hwm, 31);
    for (int i = 0; i < 2; i++)
        close_zero_linger(subs[i]);
    close_zero_linger(pub);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ROUTER: an unknown id, a peer that left (no route), a peer at its high-water mark; MANDATORY: errors, no
 * drops. */
static void router_no_route_and_hwm(void)
{
    ctx = zmq_ctx_new();
    char ep[TU_ENDPOINT_LEN];
    void *router = test_socket(ctx, ZMQ_ROUTER);
    set_int(router, ZMQ_SNDHWM, 2);
    bind_transport(router, "inproc", ep, sizeof ep);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    set_int(dealer, ZMQ_RCVHWM, 2);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "d", 1));
    CHECK_OK(zmq_connect(dealer, ep));
    send_str(dealer, "hi");
    unsigned char id[256];
    CHECK_EQ(recv_routed(router, id, sizeof id, "hi"), 1);
    for (int i = 0; i < 3; i++) {
        send_str_more(router, "nobody");
        send_str(router, "lost");
    }
    zinc_socket_stats_t st = stats_of(router);
    CHECK_EQ(st.dropped_no_route, 3);
    CHECK_EQ(st.msgs_out, 3);
    CHECK_EQ(st.dropped_hwm, 0);
    for (int i = 0; i < 10; i++)
        send_routed(router, "d", 1, "body");
    st = stats_of(router);
    CHECK_EQ(st.dropped_hwm, 6);   /* 2 + 2 fit */
    CHECK_EQ(st.queued_out, 4);
    set_int(router, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_ERR(zmq_send(router, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);
    CHECK_ERR(zmq_send(router, "d", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT), EAGAIN);
    st = stats_of(router);
    CHECK_EQ(st.dropped_no_route, 3);
    CHECK_EQ(st.dropped_hwm, 6);
    CHECK_EQ(st.msgs_out, 13);
    set_int(router, ZMQ_ROUTER_MANDATORY, 0);
    close_zero_linger(dealer);
    send_routed(router, "d", 1, "gone");   /* its pipe closed, or its id forgotten: no route either way */
    CHECK_EQ(stats_of(router).dropped_no_route, 4);
    close_zero_linger(router);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* SUB: what arrives unsubscribed is filtered. The publisher inverts its matching for a while, so it sends
 * exactly what the subscriber did not ask for. */
static void sub_filters(const char *tr)
{
    ctx = zmq_ctx_new();
    char ep[TU_ENDPOINT_LEN];
    void *pub = bound_socket(ctx, ZMQ_PUB, tr, ep, sizeof ep);
    void *sub = test_socket(ctx, ZMQ_SUB);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "a", 1));
    CHECK_OK(zmq_connect(sub, ep));
    await_subscription(pub, sub, "a");
    CHECK_EQ(stats_of(sub).dropped_filtered, 0);
    set_int(pub, ZMQ_INVERT_MATCHING, 1);
    send_str(pub, "a-not-sent");
    send_str(pub, "b1");
    send_str_more(pub, "b2");
    send_str(pub, "b2-second-frame");
    set_int(pub, ZMQ_INVERT_MATCHING, 0);
    send_str(pub, "a-end");
    recv_expect(sub, "a-end");   /* the b's came before it */
    zinc_socket_stats_t st = stats_of(sub);
    CHECK_EQ(st.dropped_filtered, 2);
    CHECK_EQ(stats_of(pub).dropped_filtered, 0);
    close_zero_linger(sub);
    close_zero_linger(pub);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ZMQ_CONFLATE: every message replaced before it was read is a drop; PULL (the pipe keeps the newest) and
 * SUB (the socket keeps the newest). */
static void conflate_drops(void)
{
    ctx = zmq_ctx_new();
    char ep[TU_ENDPOINT_LEN];
    void *push = bound_socket(ctx, ZMQ_PUSH, "inproc", ep, sizeof ep);
    void *pull = test_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_CONFLATE, 1);   /* inproc: the connecting side's ZMQ_CONFLATE counts, as in libzmq */
    CHECK_OK(zmq_connect(pull, ep));
    for (int i = 0; i < 5; i++)
        send_str(push, "p");
    recv_expect(pull, "p");
    expect_no_msg(pull, 20);
    CHECK_EQ(stats_of(pull).dropped_conflated, 4);
    CHECK_EQ(stats_of(pull).msgs_in, 1);
    close_zero_linger(push);
    close_zero_linger(pull);

    void *pub = bound_socket(ctx, ZMQ_PUB, "inproc", ep, sizeof ep);
    void *sub = test_socket(ctx, ZMQ_SUB);
    set_int(sub, ZMQ_CONFLATE, 1);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0));
    CHECK_OK(zmq_connect(sub, ep));
    await_subscription(pub, sub, "");
    expect_no_msg(sub, 20);
    uint64_t before = stats_of(sub).dropped_conflated;
    for (int i = 0; i < 7; i++)
        send_str(pub, "s");
    recv_expect(sub, "s");
    CHECK_EQ(stats_of(sub).dropped_conflated - before, 6);
    /* a message at a time: nothing replaced */
    send_str(pub, "t");
    recv_expect(sub, "t");
    CHECK_EQ(stats_of(sub).dropped_conflated - before, 6);
    close_zero_linger(sub);
    close_zero_linger(pub);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ZMQ_MAXMSGSIZE: the frame closes its connection (the peer reconnects) and counts one drop. */
static void oversize_drops(const char *tr)
{
    ctx = zmq_ctx_new();
    char ep[TU_ENDPOINT_LEN];
    void *pull = test_socket(ctx, ZMQ_PULL);
    int64_t max = 10;
    CHECK_OK(zmq_setsockopt(pull, ZMQ_MAXMSGSIZE, &max, sizeof max));
    bind_transport(pull, tr, ep, sizeof ep);
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    set_int(push, ZMQ_RECONNECT_IVL, 10);
    send_str(push, "small");
    recv_expect(pull, "small");
    send_str(push, "eleven-byte");
    await_stat(pull, dropped_oversize, 1);
    /* a message sent before the pusher saw its connection end may go down with it: retry until one passes
     * the new connection */
    char buf[16];
    int64_t deadline = now_ms() + 3000;
    int got = -1;
    while (got < 0 && now_ms() < deadline) {
        send_str(push, "again");
        got = recv_timeout(pull, buf, sizeof buf, 200, NULL);
    }
    CHECK_EQ(got, 5);
    send_str(push, "0123456789ABCDEF");
    await_stat(pull, dropped_oversize, 2);
    zinc_socket_stats_t st = stats_of(pull);
    CHECK_INT(st.msgs_in, >=, 2);
    CHECK_EQ(stats_of(push).dropped_oversize, 0);
    close_zero_linger(push);
    close_zero_linger(pull);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- peers ------------------------------------------------------------------------------------------- */
static zinc_peer_stats_t *peer_named(zinc_peer_stats_t *p, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (p[i].routing_id_size == strlen(id) && memcmp(p[i].routing_id, id, strlen(id)) == 0)
            return &p[i];
    tu_fail(__FILE__, __LINE__, "no peer with routing id %s", id);
}

static void peer_depths(const char *tr)
{
    ctx = zmq_ctx_new();
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, tr, ep, sizeof ep);
    void *d[2];
    const char *ids[2] = {"d1", "d2"};
    for (int i = 0; i < 2; i++) {
        d[i] = test_socket(ctx, ZMQ_DEALER);
        CHECK_OK(zmq_setsockopt(d[i], ZMQ_ROUTING_ID, ids[i], 2));
        CHECK_OK(zmq_connect(d[i], ep));
    }
    for (int i = 0; i < 3; i++)
        send_str(d[0], "x");
    send_str(d[1], "y");
    await_stat(router, queued_in, 4);
    zinc_peer_stats_t p[4];
    CHECK_EQ(zinc_socket_peers(router, p, 4), 2);
    CHECK_EQ(peer_named(p, 2, "d1")->queued_in, 3);
    CHECK_EQ(peer_named(p, 2, "d2")->queued_in, 1);
    if (strcmp(tr, "tcp") == 0) {
        CHECK(strncmp(p[0].endpoint, "tcp://127.0.0.1:", 16) == 0);
        CHECK(strcmp(p[0].endpoint, ep) != 0);   /* the peer's own address, not ours */
    }
    /* a short array: filled as far as it goes, the count all the same */
    memset(p, 0x5a, sizeof p);
    CHECK_EQ(zinc_socket_peers(router, p, 1), 2);
    CHECK(p[0].queued_in == 3 || p[0].queued_in == 1);
    CHECK_EQ(p[1].routing_id_size, 0x5a);
    CHECK_EQ(zinc_socket_peers(router, NULL, 0), 2);
    if (strcmp(tr, "inproc") == 0) {   /* outbound depths are exact where no I/O thread drains them */
        for (int i = 0; i < 5; i++)
            send_routed(router, "d2", 2, "z");
        CHECK_EQ(zinc_socket_peers(router, p, 4), 2);
        CHECK_EQ(peer_named(p, 2, "d2")->queued_out, 5);
        CHECK_EQ(peer_named(p, 2, "d1")->queued_out, 0);
        CHECK_EQ(stats_of(router).queued_out, 5);
        CHECK_EQ(stats_of(d[1]).queued_in, 5);
    }
    char buf[16];
    for (int i = 0; i < 8; i++) {   /* 4 messages of two frames: [id][body] */
        int more = 0;
        CHECK_INT(recv_timeout(router, buf, sizeof buf, 2000, &more), >=, 1);
        CHECK_EQ(more, i % 2 == 0);
    }
    CHECK_EQ(stats_of(router).queued_in, 0);
    close_zero_linger(d[0]);
    int64_t deadline = now_ms() + 3000;
    while (zinc_socket_peers(router, NULL, 0) != 1 && now_ms() < deadline)
        msleep(5);
    CHECK_EQ(zinc_socket_peers(router, p, 4), 1);
    CHECK_EQ(p[0].routing_id_size, 2);
    CHECK(memcmp(p[0].routing_id, "d2", 2) == 0);
    close_zero_linger(d[1]);
    close_zero_linger(router);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- ZINC_EVENT_DROPPED ------------------------------------------------------------------------------- */
struct ev2 {
    uint64_t id;
    uint64_t nvalues;
    uint64_t values[4];
    char local[TU_ENDPOINT_LEN];
    char remote[TU_ENDPOINT_LEN];
};

static uint64_t read_u64(void *mon)
{
    unsigned char buf[16];
    int more = 0;
    CHECK_EQ(recv_timeout(mon, buf, sizeof buf, 1000, &more), 8);
    CHECK_EQ(more, 1);
    uint64_t v;
    memcpy(&v, buf, sizeof v);
    return v;
}

static int read_ev2(void *mon, struct ev2 *ev, int ms)
{
    unsigned char buf[16];
    int more = 0;
    int n = recv_timeout(mon, buf, sizeof buf, ms, &more);
    if (n < 0)
        return 0;
    CHECK_EQ(n, 8);
    CHECK_EQ(more, 1);
    memcpy(&ev->id, buf, sizeof ev->id);
    ev->nvalues = read_u64(mon);
    CHECK_INT(ev->nvalues, <=, 4);
    for (uint64_t i = 0; i < ev->nvalues; i++)
        ev->values[i] = read_u64(mon);
    CHECK_INT(recv_timeout(mon, ev->local, sizeof ev->local, 1000, &more), >=, 0);
    CHECK_EQ(more, 1);
    CHECK_INT(recv_timeout(mon, ev->remote, sizeof ev->remote, 1000, &more), >=, 0);
    CHECK_EQ(more, 0);
    return 1;
}

static void *monitor_drops(void *sock, uint64_t events)
{
    char addr[64];
    snprintf(addr, sizeof addr, "inproc://stats-mon-%d", ++mon_seq);
    CHECK_OK(zmq_socket_monitor_versioned(sock, addr, events, 2, ZMQ_PAIR));
    void *mon = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(mon, addr));
    return mon;
}

static void expect_dropped(void *mon, uint64_t count, uint64_t reason, const char *name, int ms)
{
    struct ev2 ev;
    if (!read_ev2(mon, &ev, ms))
        tu_fail(__FILE__, __LINE__, "no DROPPED event within %d ms (expected count %llu)", ms,
                (unsigned long long)count);
    CHECK(ev.id == ZINC_EVENT_DROPPED);
    CHECK_EQ(ev.nvalues, 2);
    CHECK_EQ(ev.values[0], count);
    CHECK_EQ(ev.values[1], reason);
    CHECK_STR(ev.local, name);
    CHECK_STR(ev.remote, "");
}

static void send_nowhere(void *router, int n)
{
    for (int i = 0; i < n; i++) {
        send_str_more(router, "nobody");
        send_str(router, "lost");
    }
}

/* The first drop at once; the next ones within the second wait for it to be up and then come counted
 * together, on their own: no further drop and no read of the counters is needed. */
static void dropped_event_rate_limit(void)
{
    ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    CHECK_OK(zmq_bind(router, "inproc://stats-rate"));
    void *mon = monitor_drops(router, ZINC_EVENT_DROPPED);
    int64_t t0 = now_ms();
    send_nowhere(router, 1);
    expect_dropped(mon, 1, ZINC_DROP_NO_ROUTE, "no_route", 1000);
    int64_t t1 = now_ms();   /* after the event went out */
    send_nowhere(router, 5);
    struct ev2 ev;
    CHECK(!read_ev2(mon, &ev, 300));
    stats_of(router);   /* a read within the second reports nothing either */
    CHECK(!read_ev2(mon, &ev, 100));
    /* then nothing: the pending 5 arrive when the second is up, exactly once */
    expect_dropped(mon, 5, ZINC_DROP_NO_ROUTE, "no_route", 1500);
    CHECK_INT(now_ms() - t0, >=, 990);
    CHECK_INT(now_ms() - t1, <=, 1500);
    CHECK(!read_ev2(mon, &ev, 1300));   /* past the next second too */
    CHECK_EQ(stats_of(router).dropped_no_route, 6);
    CHECK(!read_ev2(mon, &ev, 100));
    /* each reason has its own second; one timer serves both */
    send_nowhere(router, 1);
    expect_dropped(mon, 1, ZINC_DROP_NO_ROUTE, "no_route", 1000);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    set_int(dealer, ZMQ_RCVHWM, 1);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "d", 1));
    CHECK_OK(zmq_connect(dealer, "inproc://stats-rate"));
    send_str(dealer, "hi");
    unsigned char id[8];
    CHECK_EQ(recv_routed(router, id, sizeof id, "hi"), 1);
    int hwm = get_int(router, ZMQ_SNDHWM) + 1;
    for (int i = 0; i < hwm + 3; i++)
        send_routed(router, "d", 1, "x");
    expect_dropped(mon, 1, ZINC_DROP_HWM, "hwm", 1000);
    int64_t t2 = now_ms();   /* after both reasons' last events */
    send_nowhere(router, 3);
    CHECK(!read_ev2(mon, &ev, 300));
    uint64_t got[STATS_PENDING_REASONS] = {0};   /* counts by reason (their seconds end close together) */
    for (int i = 0; i < 2; i++) {
        CHECK(read_ev2(mon, &ev, 1500));
        CHECK(ev.id == ZINC_EVENT_DROPPED);
        CHECK_INT(ev.values[1], <, STATS_PENDING_REASONS);
        CHECK_EQ(got[ev.values[1]], 0);
        got[ev.values[1]] = ev.values[0];
    }
    CHECK_INT(now_ms() - t2, <=, 1500);
    CHECK_EQ(got[ZINC_DROP_HWM], 2);   /* the other 2 of the 3 at the mark */
    CHECK_EQ(got[ZINC_DROP_NO_ROUTE], 3);
    CHECK(!read_ev2(mon, &ev, 1200));
    CHECK_EQ(stats_of(router).dropped_no_route, 10);
    close_zero_linger(mon);
    close_zero_linger(dealer);
    close_zero_linger(router);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* Reads events up to MONITOR_STOPPED: the DROPPED count and how many DROPPED came. */
static int dropped_until_stopped(void *mon, uint64_t *count)
{
    struct ev2 ev;
    int n = 0;
    for (;;) {
        CHECK(read_ev2(mon, &ev, 1000));
        if (ev.id == ZMQ_EVENT_MONITOR_STOPPED)
            return n;
        CHECK(ev.id == ZINC_EVENT_DROPPED);
        *count = ev.values[0];
        n++;
    }
}

/* zmq_close with drops pending: they are reported at once (the socket drops no more), before
 * MONITOR_STOPPED, and the context ends without waiting for the second. */
static void dropped_event_pending_at_close(void)
{
    ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    void *mon = monitor_drops(router, ZINC_EVENT_DROPPED | ZMQ_EVENT_MONITOR_STOPPED);
    send_nowhere(router, 1);
    expect_dropped(mon, 1, ZINC_DROP_NO_ROUTE, "no_route", 1000);
    send_nowhere(router, 4);
    msleep(100);   /* the flush timer is armed by now */
    int64_t t0 = now_ms();
    close_zero_linger(router);
    uint64_t count = 0;
    CHECK_EQ(dropped_until_stopped(mon, &count), 1);
    CHECK_EQ(count, 4);
    CHECK_INT(now_ms() - t0, <, 500);
    close_zero_linger(mon);
    CHECK_OK(zmq_ctx_term(ctx));
    CHECK_INT(now_ms() - t0, <, 800);
}

/* The monitor stopped while a flush is pending: nothing more is reported, and nothing is left behind. */
static void dropped_event_pending_monitor_stopped(void)
{
    ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    void *mon = monitor_drops(router, ZINC_EVENT_DROPPED | ZMQ_EVENT_MONITOR_STOPPED);
    send_nowhere(router, 1);
    expect_dropped(mon, 1, ZINC_DROP_NO_ROUTE, "no_route", 1000);
    send_nowhere(router, 4);
    msleep(100);   /* the flush timer is armed by now */
    int64_t t0 = now_ms();
    CHECK_OK(zmq_socket_monitor(router, NULL, 0));
    uint64_t count = 0;
    CHECK_EQ(dropped_until_stopped(mon, &count), 0);
    struct ev2 ev;
    CHECK(!read_ev2(mon, &ev, 1200));   /* past the second: the timer found no monitor */
    close_zero_linger(mon);
    close_zero_linger(router);
    CHECK_OK(zmq_ctx_term(ctx));
    CHECK_INT(now_ms() - t0, <, 2000);
}

static void term_ctx(void *arg)
{
    *(int *)arg = zmq_ctx_term(ctx);
}

/* zmq_ctx_term while a flush is pending: blocked calls get ETERM, the sockets close, and the context ends
 * without waiting for the timer (ASan: no leak, no use after free). */
static void dropped_event_pending_at_term(void)
{
    ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    void *mon = monitor_drops(router, ZINC_EVENT_DROPPED);
    send_nowhere(router, 1);
    expect_dropped(mon, 1, ZINC_DROP_NO_ROUTE, "no_route", 1000);
    send_nowhere(router, 4);
    msleep(100);   /* the flush timer is armed by now */
    int64_t t0 = now_ms();
    int rc = -2;
    void *thread = zmq_threadstart(term_ctx, &rc);
    char buf[8];
    CHECK_ERR(zmq_recv(mon, buf, sizeof buf, 0), ETERM);
    close_zero_linger(router);
    close_zero_linger(mon);
    zmq_threadclose(thread);
    CHECK_EQ(rc, 0);
    CHECK_INT(now_ms() - t0, <, 800);
}

/* Only a version 2 monitor that names the event gets it: ZMQ_EVENT_ALL_V2 does not include it, and a version
 * 1 monitor cannot ask (its events are 16 bits). */
static void dropped_event_only_when_asked(void)
{
    ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    CHECK_ERR(zmq_socket_monitor_versioned(router, "inproc://stats-v1", ZINC_EVENT_DROPPED, 1, ZMQ_PAIR), EINVAL);
    CHECK_OK(zmq_bind(router, "inproc://stats-asked"));
    void *mon = monitor_drops(router, ZMQ_EVENT_ALL_V2);
    send_nowhere(router, 2);
    struct ev2 ev;
    while (read_ev2(mon, &ev, 200))
        CHECK(ev.id != ZINC_EVENT_DROPPED);
    close_zero_linger(mon);
    /* a new monitor starts its own count: the drops before it are not reported */
    mon = monitor_drops(router, ZINC_EVENT_DROPPED | ZMQ_EVENT_ALL_V2);
    send_nowhere(router, 1);
    for (;;) {
        CHECK(read_ev2(mon, &ev, 1000));
        if (ev.id == ZINC_EVENT_DROPPED)
            break;
    }
    CHECK_EQ(ev.values[0], 1);
    close_zero_linger(mon);
    CHECK_EQ(stats_of(router).dropped_no_route, 3);
    close_zero_linger(router);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* An oversize drop is seen on the I/O thread, and reported from there. */
static void dropped_event_from_io_thread(void)
{
    ctx = zmq_ctx_new();
    char ep[TU_ENDPOINT_LEN];
    void *pull = test_socket(ctx, ZMQ_PULL);
    int64_t max = 4;
    CHECK_OK(zmq_setsockopt(pull, ZMQ_MAXMSGSIZE, &max, sizeof max));
    bind_transport(pull, "tcp", ep, sizeof ep);
    void *mon = monitor_drops(pull, ZINC_EVENT_DROPPED);
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    send_str(push, "too long");
    expect_dropped(mon, 1, ZINC_DROP_OVERSIZE, "oversize", 3000);
    close_zero_linger(mon);
    close_zero_linger(push);
    close_zero_linger(pull);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- the stats server (zinc_ctx_stats_serve) -------------------------------------------------------- */
static void json_number(const char *doc, const char *object_key, const char *key, unsigned long long *out)
{
    const char *o = strstr(doc, object_key);
    CHECK(o != NULL);
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *k = strstr(o, pat);
    CHECK(k != NULL);
    *out = strtoull(k + strlen(pat), NULL, 10);
}

/* A socket busy on another thread while the server reads its counters (TSan: no race). */
static void busy_router(void *arg)
{
    void *router = arg;
    for (int i = 0; i < 20000; i++) {
        zmq_send(router, "nobody", 6, ZMQ_SNDMORE);
        zmq_send(router, "x", 1, 0);
    }
}

static void stats_server(void)
{
    ctx = zmq_ctx_new();
    CHECK_ERR(zinc_ctx_stats_serve(NULL, "inproc://stats"), EFAULT);
    CHECK_ERR(zinc_ctx_stats_serve(ctx, NULL), EINVAL);
    CHECK_ERR(zinc_ctx_stats_serve(ctx, "bogus://x"), EPROTONOSUPPORT);
    CHECK_OK(zinc_ctx_stats_serve(ctx, "inproc://stats"));   /* a failed start left nothing claimed */
    CHECK_ERR(zinc_ctx_stats_serve(ctx, "inproc://stats-2"), EBUSY);
    void *router = test_socket(ctx, ZMQ_ROUTER);
    CHECK_OK(zmq_bind(router, "inproc://stats-served"));
    send_nowhere(router, 4);
    void *req = test_socket(ctx, ZMQ_REQ);
    CHECK_OK(zmq_connect(req, "inproc://stats"));
    send_str(req, "STATS");
    char doc[4096];
    int n = recv_timeout(req, doc, sizeof doc, 2000, NULL);
    CHECK_INT(n, >, 0);
    CHECK_INT(n, <, (int)sizeof doc);
    CHECK(strncmp(doc, "{\"zinc\":", 8) == 0);
    const char *row = strstr(doc, "\"type\":\"ROUTER\"");
    CHECK(row != NULL);
    CHECK(strstr(row, "\"endpoint\":\"inproc://stats-served\"") != NULL);
    unsigned long long v;
    json_number(doc, "\"type\":\"ROUTER\"", "dropped_no_route", &v);
    CHECK_EQ(v, 4);
    json_number(doc, "\"type\":\"ROUTER\"", "msgs_out", &v);
    CHECK_EQ(v, 4);
    json_number(doc, "\"type\":\"ROUTER\"", "bytes_out", &v);
    CHECK_EQ(v, 40);
    CHECK(strstr(doc, "\"type\":\"REP\"") == NULL);   /* the server's own socket is not listed */
    /* counters read while their socket works on another thread */
    void *busy = test_socket(ctx, ZMQ_ROUTER);
    void *t = zmq_threadstart(busy_router, busy);
    for (int i = 0; i < 20; i++) {
        send_str(req, "STATS");
        CHECK_INT(recv_timeout(req, doc, sizeof doc, 2000, NULL), >, 0);
    }
    zmq_threadclose(t);
    send_str(req, "STATS");
    CHECK_INT(recv_timeout(req, doc, sizeof doc, 2000, NULL), >, 0);
    CHECK(strstr(doc, "\"dropped_no_route\":20000") != NULL);
    close_zero_linger(busy);
    /* a multipart request is one request too */
    send_str_more(req, "STATS");
    send_str(req, "again");
    CHECK_INT(recv_timeout(req, doc, sizeof doc, 2000, NULL), >, 0);
    close_zero_linger(req);
    close_zero_linger(router);
    CHECK_OK(zmq_ctx_term(ctx));   /* the server's thread ends with the context */
}

int main(void)
{
    test_begin(120);
    RUN(api_errors_and_sizes);
    RUN_TRANSPORTS(messages_and_bytes);
    RUN(client_server_counts);
    RUN(pub_drops_at_hwm);
    RUN(router_no_route_and_hwm);
    RUN_TRANSPORTS(sub_filters);
    RUN(conflate_drops);
    RUN_ENGINE_TRANSPORTS(oversize_drops);
    RUN_TRANSPORTS(peer_depths);
    RUN(dropped_event_rate_limit);
    RUN(dropped_event_pending_at_close);
    RUN(dropped_event_pending_monitor_stopped);
    RUN(dropped_event_pending_at_term);
    RUN(dropped_event_only_when_asked);
    RUN(dropped_event_from_io_thread);
    RUN(stats_server);
    return test_end();
}
