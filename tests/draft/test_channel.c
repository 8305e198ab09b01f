/* CHANNEL (libzmq 4.3's draft socket type): the thread-safe PAIR. One peer, single frames, a second peer
 * refused, the high-water mark, peer types on the wire, zmq_poll, and several threads on both ends. */
#include "testutil.h"
#include "rawpeer.h"

#include <stdatomic.h>
#include <stdbool.h>

/* ---- helpers --------------------------------------------------------------------------------------- */

/* Receives one message within ms into buf (NUL-terminated) and returns its length; fails the test if none
 * comes. POLLIN followed by EAGAIN is possible: a raw peer's multipart message is dropped by the receive. */
static int recv_one(void *sock, char *buf, size_t cap, int ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        CHECK(poll_in(sock, left > 0 ? (int)left : 0));
        int rc = zmq_recv(sock, buf, cap - 1, ZMQ_DONTWAIT);
        if (rc >= 0) {
            CHECK((size_t)rc < cap);
            buf[rc] = '\0';
            CHECK_EQ(rcvmore(sock), 0);
            return rc;
        }
        CHECK_EQ(errno, EAGAIN);
    }
}

static void channel_pair(void *ctx, const char *transport, void **a, void **b, char *ep, size_t eplen)
{
    *a = bound_socket(ctx, ZMQ_CHANNEL, transport, ep, eplen);
    *b = connected_socket(ctx, ZMQ_CHANNEL, ep);
}

/* ---- the API ---------------------------------------------------------------------------------------- */

/* ZMQ_TYPE, ZMQ_THREAD_SAFE 1, ZMQ_FD EINVAL (thread-safe); ZMQ_EVENTS 0 with no peer, POLLOUT with one. */
static void socket_options(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    void *a = bound_socket(ctx, ZMQ_CHANNEL, "inproc", ep, sizeof ep);
    CHECK_EQ(get_int(a, ZMQ_TYPE), ZMQ_CHANNEL);
    CHECK_EQ(get_int(a, ZMQ_THREAD_SAFE), 1);
    int fd;
    size_t len = sizeof fd;
    CHECK_ERR(zmq_getsockopt(a, ZMQ_FD, &fd, &len), EINVAL);
    CHECK_EQ(get_int(a, ZMQ_EVENTS), 0);
    void *b = connected_socket(ctx, ZMQ_CHANNEL, ep);
    CHECK_EQ(get_int(b, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_EQ(get_int(a, ZMQ_EVENTS), ZMQ_POLLOUT);
    close_zero_linger(b);
    close_zero_linger(a);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* Both directions, in order, message boundaries kept. */
static void roundtrip(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a, *b;
    char ep[TU_ENDPOINT_LEN], buf[64];
    channel_pair(ctx, transport, &a, &b, ep, sizeof ep);
    set_int(a, ZMQ_SNDTIMEO, 5000);
    for (int i = 0; i < 5; i++) {
        send_str(a, "hello");
        send_str(b, "world");
    }
    for (int i = 0; i < 5; i++) {
        recv_one(b, buf, sizeof buf, 2000);
        CHECK_STR(buf, "hello");
        recv_one(a, buf, sizeof buf, 2000);
        CHECK_STR(buf, "world");
    }
    expect_no_msg(a, 50);
    expect_no_msg(b, 0);
    close_zero_linger(b);
    close_zero_linger(a);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ZMQ_SNDMORE is EINVAL (as libzmq's test_channel), even with ZMQ_DONTWAIT or no peer, and sends nothing;
 * with no peer a send is EAGAIN (ZMQ_DONTWAIT) or waits ZMQ_SNDTIMEO, then goes through once one comes. */
static void errors_and_no_peer(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *a = bound_socket(ctx, ZMQ_CHANNEL, transport, ep, sizeof ep);
    CHECK_ERR(zmq_send(a, "x", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT), EINVAL);
    CHECK_ERR(zmq_send(a, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    CHECK_ERR(zmq_recv(a, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    set_int(a, ZMQ_SNDTIMEO, 100);
    int64_t t0 = now_ms();
    CHECK_ERR(zmq_send(a, "x", 1, 0), EAGAIN);
    CHECK_INT(now_ms() - t0, >=, 90);
    set_int(a, ZMQ_RCVTIMEO, 100);
    CHECK_ERR(zmq_recv(a, buf, sizeof buf, 0), EAGAIN);
    void *b = connected_socket(ctx, ZMQ_CHANNEL, ep);
    CHECK_ERR(zmq_send(b, "part", 4, ZMQ_SNDMORE), EINVAL);
    CHECK_ERR(zmq_send(b, "part", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT), EINVAL);
    set_int(a, ZMQ_SNDTIMEO, 5000);
    send_str(a, "now");
    recv_one(b, buf, sizeof buf, 2000);
    CHECK_STR(buf, "now");
    send_str(b, "whole");
    recv_one(a, buf, sizeof buf, 2000);
    CHECK_STR(buf, "whole");
    expect_no_msg(a, 100);
    close_zero_linger(b);
    close_zero_linger(a);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* "can only be connected to a single peer at any one time": a second CHANNEL's connection is refused (as
 * libzmq's channel_t terminates its pipe), its messages never arrive, and the first pair keeps working;
 * once the first peer goes, a new one is served. */
static void second_peer(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a, *b;
    char ep[TU_ENDPOINT_LEN], buf[64];
    channel_pair(ctx, transport, &a, &b, ep, sizeof ep);
    send_str(b, "first");
    recv_one(a, buf, sizeof buf, 2000);
    CHECK_STR(buf, "first");
    void *c = connected_socket(ctx, ZMQ_CHANNEL, ep);
    int rc = zmq_send(c, "intruder", 8, ZMQ_DONTWAIT);   /* may queue on its own pipe, or have none */
    CHECK(rc == 8 || (rc == -1 && errno == EAGAIN));
    expect_no_msg(a, 200);
    send_str(b, "still-b");
    recv_one(a, buf, sizeof buf, 2000);
    CHECK_STR(buf, "still-b");
    send_str(a, "to-b");
    recv_one(b, buf, sizeof buf, 2000);
    CHECK_STR(buf, "to-b");
    expect_no_msg(c, 50);
    close_zero_linger(c);
    /* The first peer leaves: a newcomer is served, once a has let the old pipe go (a peer that comes
     * while it is still closing is refused too, as in libzmq; over tcp and ipc it reconnects). */
    close_zero_linger(b);
    for (int i = 0; i < 3; i++) {
        (void)get_int(a, ZMQ_EVENTS);   /* runs a's commands: over inproc this lets b's pipe go at once */
        msleep(50);
    }
    void *d = connected_socket(ctx, ZMQ_CHANNEL, ep);
    set_int(d, ZMQ_SNDTIMEO, 5000);
    int64_t deadline = now_ms() + 5000;
    bool got = false;
    while (!got) {   /* until a has let b's pipe go, d's first messages may be refused with its connection */
        CHECK(now_ms() < deadline);
        rc = zmq_send(d, "newcomer", 8, ZMQ_DONTWAIT);
        CHECK(rc == 8 || (rc == -1 && errno == EAGAIN));
        got = poll_in(a, 50);
    }
    recv_one(a, buf, sizeof buf, 0);
    CHECK_STR(buf, "newcomer");
    send_str(a, "welcome");
    recv_one(d, buf, sizeof buf, 2000);
    CHECK_STR(buf, "welcome");
    close_zero_linger(d);
    close_zero_linger(a);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* The peer does not read: sends queue to the high-water mark (inproc: SNDHWM + RCVHWM exactly), then EAGAIN
 * with ZMQ_DONTWAIT, a blocking send waits ZMQ_SNDTIMEO; nothing is dropped and all arrive in order. */
static void hwm(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    bool inproc = strcmp(transport, "inproc") == 0;
    size_t len = inproc ? 16 : 65536;
    char *msg = calloc(1, len);
    CHECK(msg != NULL);
    void *a = test_socket(ctx, ZMQ_CHANNEL);
    set_int(a, ZMQ_RCVHWM, 10);
    bind_transport(a, transport, ep, sizeof ep);
    void *b = test_socket(ctx, ZMQ_CHANNEL);
    set_int(b, ZMQ_SNDHWM, 10);
    CHECK_OK(zmq_connect(b, ep));
    send_str(b, "hello");
    recv_one(a, buf, sizeof buf, 2000);
    int sent = send_numbered_until_mute(b, msg, len, 100000, 20000);
    if (inproc)
        CHECK_EQ(sent, 20);
    CHECK_INT(sent, >=, 10);
    set_int(b, ZMQ_SNDTIMEO, 100);
    int64_t t0 = now_ms();
    memcpy(msg, &sent, sizeof sent);
    if (zmq_send(b, msg, len, 0) == (int)len) {
        CHECK(!inproc);
        sent++;
    } else {
        CHECK_EQ(errno, EAGAIN);
        CHECK_INT(now_ms() - t0, >=, 90);
    }
    recv_numbered(a, msg, len, sent);
    expect_no_msg(a, 50);
    set_int(b, ZMQ_SNDTIMEO, 2000);
    send_str(b, "room");
    recv_one(a, buf, sizeof buf, 2000);
    CHECK_STR(buf, "room");
    free(msg);
    close_zero_linger(b);
    close_zero_linger(a);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- the wire: a raw ZMTP peer ---------------------------------------------------------------------- */

static int raw_peer_as(void *sock, const char *type, const char *expect_type)
{
    int fd = raw_connect_bound(sock);
    raw_send_greeting(fd, 1);
    uint8_t theirs[64];
    CHECK_EQ(raw_recv_pumping(fd, sock, theirs, 64, 3000), 64);
    CHECK(theirs[0] == 0xff && theirs[10] == 3 && memcmp(theirs + 12, "NULL", 5) == 0);
    raw_send_ready(fd, type);
    if (expect_type) {
        uint8_t flags, body[512];
        int n = raw_recv_frame(fd, sock, &flags, body, sizeof body, 3000);
        CHECK(n > 6 && flags == 0x04 && memcmp(body, "\5READY", 6) == 0);
        uint8_t prop[64];
        size_t tlen = strlen(expect_type);
        memcpy(prop, "\13Socket-Type\0\0\0", 15);
        prop[15] = (uint8_t)tlen;
        memcpy(prop + 16, expect_type, tlen);
        int found = 0;
        for (size_t i = 6; i + 16 + tlen <= (size_t)n && !found; i++)
            found = memcmp(body + i, prop, 16 + tlen) == 0;
        CHECK(found);
    }
    return fd;
}

/* A CHANNEL talks to CHANNELs only: PAIR (its single-threaded twin) and others are refused at the
 * handshake. A raw CHANNEL peer is served: READY says "CHANNEL", a multipart message is dropped whole, the
 * single frame after it arrives, and the reply is one frame without MORE. */
static void wire_peers(void)
{
    static const char *const others[] = {"PAIR", "PEER", "CLIENT", "SERVER", "DEALER", "SCATTER", "GATHER"};
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *a = bound_socket(ctx, ZMQ_CHANNEL, "tcp", ep, sizeof ep);
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        int fd = raw_peer_as(a, others[i], NULL);
        CHECK_EQ(raw_wait_closed(fd, 3000), 1);
        close(fd);
    }
    void *pair = connected_socket(ctx, ZMQ_PAIR, ep);
    int rc = zmq_send(pair, "not for you", 11, ZMQ_DONTWAIT);
    CHECK(rc == 11 || (rc == -1 && errno == EAGAIN));
    expect_no_msg(a, 300);
    close_zero_linger(pair);
    int fd = raw_peer_as(a, "CHANNEL", "CHANNEL");
    raw_send_frame(fd, 0x01, "multi-1", 7);
    raw_send_frame(fd, 0x01, "multi-2", 7);
    raw_send_frame(fd, 0x00, "multi-3", 7);
    raw_send_frame(fd, 0x00, "single", 6);
    recv_one(a, buf, sizeof buf, 2000);
    CHECK_STR(buf, "single");
    expect_no_msg(a, 100);
    set_int(a, ZMQ_SNDTIMEO, 2000);
    send_str(a, "reply");
    uint8_t flags, body[64];
    int n = raw_recv_frame(fd, a, &flags, body, sizeof body, 3000);
    CHECK_EQ(flags, 0);
    CHECK_MEM(body, (size_t)n, "reply", 5);
    close(fd);
    close_zero_linger(a);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- zmq_poll and blocking ---------------------------------------------------------------------------- */

static void *delayed_send_main(void *arg)
{
    msleep(100);
    send_str(arg, "late");
    return NULL;
}

/* zmq_poll takes CHANNELs: a poll sleeping on one wakes when another thread's send makes a message arrive. */
static void poll_channel(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a, *b;
    char ep[TU_ENDPOINT_LEN], buf[64];
    channel_pair(ctx, transport, &a, &b, ep, sizeof ep);
    zmq_pollitem_t item = {a, 0, ZMQ_POLLIN, 0};
    CHECK_EQ(zmq_poll(&item, 1, 50), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, delayed_send_main, b), 0);
    int64_t t0 = now_ms();
    CHECK_EQ(zmq_poll(&item, 1, 5000), 1);
    CHECK(now_ms() - t0 < 4000);
    CHECK_EQ(item.revents, ZMQ_POLLIN);
    pthread_join(t, NULL);
    recv_one(a, buf, sizeof buf, 0);
    CHECK_STR(buf, "late");
    close_zero_linger(b);
    close_zero_linger(a);
    CHECK_OK(zmq_ctx_term(ctx));
}

struct blocked {
    void *sock;
    bool send;
    int rc, err;
};

static void *blocked_main(void *arg)
{
    struct blocked *b = arg;
    char buf[16];
    b->rc = b->send ? zmq_send(b->sock, "x", 1, 0) : zmq_recv(b->sock, buf, sizeof buf, 0);
    b->err = errno;
    return NULL;
}

/* zmq_ctx_shutdown wakes every thread blocked on a CHANNEL (receivers, and senders with no peer): ETERM. */
static void term_unblocks(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    void *a = bound_socket(ctx, ZMQ_CHANNEL, "tcp", ep, sizeof ep);
    struct blocked b[4] = {{a, false, 0, 0}, {a, false, 0, 0}, {a, true, 0, 0}, {a, true, 0, 0}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, blocked_main, &b[i]), 0);
    msleep(100);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(b[i].rc, -1);
        CHECK_EQ(b[i].err, ETERM);
    }
    close_zero_linger(a);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- threads ---------------------------------------------------------------------------------------- */

/* Several threads on both CHANNELs of one pair at once, no user locks: on each end SENDERS threads send
 * numbered messages (blocking, small high-water marks) while RECEIVERS threads take the other end's, one of
 * them through zmq_poll and ZMQ_DONTWAIT. No call has a timeout. Every message must arrive exactly once,
 * at the other end. */
#define SENDERS 2
#define RECEIVERS 2
#define PER_SENDER 1000
#define PER_END (SENDERS * PER_SENDER)

struct end {
    void *sock;
    int side;                            /* 0 or 1: which end's numbers it sends */
    atomic_int next_sender;
    atomic_int received;                 /* messages from the other end */
    atomic_uchar seen[PER_END];
};

struct stress {
    struct end end[2];
    atomic_int errors;
};

struct worker {
    struct stress *st;
    struct end *me;
    bool poller;
};

static void stress_take(struct stress *st, struct end *me, const char *buf, int len)
{
    int side, sender, seq;
    if (len <= 0 || sscanf(buf, "%d:%d:%d", &side, &sender, &seq) != 3 || side != 1 - me->side || sender < 0 ||
        sender >= SENDERS || seq < 0 || seq >= PER_SENDER ||
        atomic_fetch_add(&me->seen[sender * PER_SENDER + seq], 1) != 0)
        atomic_fetch_add(&st->errors, 1);
    atomic_fetch_add(&me->received, 1);
}

static void *stress_sender(void *arg)
{
    struct worker *w = arg;
    int me = atomic_fetch_add(&w->me->next_sender, 1);
    for (int seq = 0; seq < PER_SENDER; seq++) {
        char text[32];
        int len = snprintf(text, sizeof text, "%d:%d:%d", w->me->side, me, seq);
        if (zmq_send(w->me->sock, text, (size_t)len, 0) != len) {
            atomic_fetch_add(&w->st->errors, 1);
            return NULL;
        }
    }
    return NULL;
}

static void *stress_receiver(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        if (w->poller) {
            zmq_pollitem_t item = {w->me->sock, 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&item, 1, -1) < 0) {
                if (errno != ETERM)
                    atomic_fetch_add(&w->st->errors, 1);
                return NULL;
            }
        }
        char buf[32];
        int rc = zmq_recv(w->me->sock, buf, sizeof buf - 1, w->poller ? ZMQ_DONTWAIT : 0);
        if (rc < 0) {
            if (errno == ETERM)
                return NULL;
            if (!(w->poller && errno == EAGAIN))   /* another receiver took it first */
                atomic_fetch_add(&w->st->errors, 1);
            continue;
        }
        buf[rc] = '\0';
        stress_take(w->st, w->me, buf, rc);
    }
}

static void threaded(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    struct stress *st = calloc(1, sizeof *st);
    CHECK(st != NULL);
    channel_pair(ctx, transport, &st->end[0].sock, &st->end[1].sock, ep, sizeof ep);
    for (int e = 0; e < 2; e++) {
        st->end[e].side = e;
        set_int(st->end[e].sock, ZMQ_SNDHWM, 50);
        set_int(st->end[e].sock, ZMQ_RCVHWM, 50);
    }
    struct worker w[2 * (SENDERS + RECEIVERS)];
    pthread_t t[2 * (SENDERS + RECEIVERS)];
    int n = 0;
    for (int e = 0; e < 2; e++) {
        for (int i = 0; i < RECEIVERS; i++) {
            w[n] = (struct worker){st, &st->end[e], i == 0};
            CHECK_EQ(pthread_create(&t[n], NULL, stress_receiver, &w[n]), 0);
            n++;
        }
    }
    for (int e = 0; e < 2; e++) {
        for (int i = 0; i < SENDERS; i++) {
            w[n] = (struct worker){st, &st->end[e], false};
            CHECK_EQ(pthread_create(&t[n], NULL, stress_sender, &w[n]), 0);
            n++;
        }
    }
    int64_t deadline = now_ms() + 60000;
    while ((atomic_load(&st->end[0].received) < PER_END || atomic_load(&st->end[1].received) < PER_END) &&
           atomic_load(&st->errors) == 0 && now_ms() < deadline)
        msleep(5);
    msleep(50);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&st->errors), 0);
    for (int e = 0; e < 2; e++) {
        CHECK_EQ(atomic_load(&st->end[e].received), PER_END);
        for (int i = 0; i < PER_END; i++)
            CHECK_EQ(atomic_load(&st->end[e].seen[i]), 1);
    }
    close_zero_linger(st->end[1].sock);
    close_zero_linger(st->end[0].sock);
    CHECK_OK(zmq_ctx_term(ctx));
    free(st);
}

int main(void)
{
    test_begin(240);
    RUN(socket_options);
    RUN_TRANSPORTS(roundtrip);
    RUN_TRANSPORTS(errors_and_no_peer);
    RUN_TRANSPORTS(second_peer);
    RUN_TRANSPORTS(hwm);
    RUN(wire_peers);
    RUN_TRANSPORTS(poll_channel);
    RUN(term_unblocks);
    RUN_TRANSPORTS(threaded);
    return test_end();
}
