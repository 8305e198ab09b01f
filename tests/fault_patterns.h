/* fault_patterns.h: the two messaging patterns the fault tests drive through tests/relay.h, shared by
 * tests/api/test_fault_*.c and the libzmq interop pair tests/interop/fault_driver.c + fault_peer_libzmq.c
 * (which compile it against different zmq.h files: it uses the public API only).
 *
 * Lazy pirate (zguide, lpclient): REQ clients, each in its own thread, send numbered requests to a REP
 * echo server (lp_server); a request not answered within its timeout is sent again, up to
 * LP_MAX_ATTEMPTS times, either on a fresh REQ socket (the old one closed with linger 0) or, relaxed, on
 * the same socket with ZMQ_REQ_RELAXED + ZMQ_REQ_CORRELATE. Each attempt carries its number, and a reply
 * is accepted only if it is byte for byte the attempt just sent: a late reply to an earlier attempt, or
 * another client's, fails the test. The server may see requests more than once: that is the pattern.
 *
 * Numbered stream: a PUSH sends 100-byte messages numbered 0, 1, ... until told to stop, then end markers
 * numbered -1 until the receiver has one; the PULL side (seq_receive) checks that numbers only grow, counts the gaps and what they
 * lost, and tells a gating relay when it is done with the connections closed so far (relay_drained). */
#ifndef ZINC_FAULT_PATTERNS_H
#define ZINC_FAULT_PATTERNS_H

#include "monitor_util.h"
#include "relay.h"

/* ---- lazy pirate ---------------------------------------------------------------------------------- */

#define LP_CLIENTS 6
#define LP_FAULT_TARGET 1000   /* a run stops injecting after this many faults ... */
#define LP_BUDGET_MS 15000     /* ... or after this long */

/* A fault every 1-1200 bytes: cuts and resets at any byte offset (greetings, handshakes, frame headers,
 * bodies), stalls up to 120 ms (some longer than a client's timeout), delays; 30% of the connections
 * fragmented into 1-7 byte pieces. */
TU_UNUSED static const struct relay_plan lp_plan = {
    .fragment_percent = 30,
    .fault_bytes_max = 1200,
    .weight = {[RELAY_CUT] = 3, [RELAY_RESET] = 2, [RELAY_STALL] = 2, [RELAY_DELAY] = 2},
    .stall_ms_max = 120,
    .delay_ms_max = 20,
    .delay_span_ms = 150,
};
#define LP_MAX_ATTEMPTS 200

struct lp_run;

struct lp_client {
    struct lp_run *run;
    int id;
    pthread_t thread;
};

struct lp_run {
    const char *endpoint;      /* where clients connect (the relay) */
    int relaxed;               /* ZMQ_REQ_RELAXED + ZMQ_REQ_CORRELATE instead of a fresh socket */
    void *ctx;
    atomic_int stop;           /* clients finish the request in hand, then return */
    atomic_int requests;       /* answered */
    atomic_int retries;        /* attempts beyond the first */
    atomic_int most_attempts;  /* the most any one request needed */
    struct lp_client clients[LP_CLIENTS];
};

/* REP echo server on sock until a request "stop" (answered with an empty reply) or ETERM. */
TU_UNUSED static void *lp_server(void *sock)
{
    char buf[1024];
    for (;;) {
        int n = zmq_recv(sock, buf, sizeof buf, 0);
        if (n < 0) {
            CHECK_EQ(errno, ETERM);
            return NULL;
        }
        CHECK(n <= (int)sizeof buf);
        if (n == 4 && memcmp(buf, "stop", 4) == 0) {
            CHECK_EQ(zmq_send(sock, "", 0, 0), 0);
            return NULL;
        }
        /* The reply may go to a connection that is already gone: then it is dropped, never an error. */
        int rc = zmq_send(sock, buf, (size_t)n, 0);
        if (rc < 0) {
            CHECK_EQ(errno, ETERM);
            return NULL;
        }
        CHECK_EQ(rc, n);
    }
}

static void *lp_new_req(struct lp_run *run)
{
    void *req = test_socket(run->ctx, ZMQ_REQ);
    set_int(req, ZMQ_RECONNECT_IVL, 5);
    set_int(req, ZMQ_RECONNECT_IVL_MAX, 50);
    set_int(req, ZMQ_SNDTIMEO, 2000);
    if (run->relaxed) {
        set_int(req, ZMQ_REQ_RELAXED, 1);
        set_int(req, ZMQ_REQ_CORRELATE, 1);
    }
    CHECK_OK(zmq_connect(req, run->endpoint));
    return req;
}

/* Request seq of client id, attempt: a header naming all three, then filler up to a length that varies. */
static int lp_request(char *out, size_t cap, int id, int seq, int attempt)
{
    int len = 32 + (seq * 53 + id * 11) % 400;
    CHECK(len < (int)cap);
    memset(out, 'a' + (seq + attempt) % 26, (size_t)len);
    int head = snprintf(out, cap, "c%d s%d a%d|", id, seq, attempt);
    out[head] = '|';
    return len;
}

/* The reply within ms, or -1. Readable is not enough: with ZMQ_REQ_CORRELATE a reply to an earlier
 * attempt makes the socket readable, and a blocking zmq_recv would drop it and then wait for good. */
static int lp_await_reply(void *req, char *in, size_t cap, int ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0 || !poll_in(req, (int)left))
            return -1;
        int n = zmq_recv(req, in, cap, ZMQ_DONTWAIT);
        if (n >= 0)
            return n;
        CHECK_EQ(errno, EAGAIN);
    }
}

/* One request until answered: returns the attempts it took. */
static int lp_one_request(struct lp_run *run, void **req, int id, int seq)
{
    char out[512], in[600];
    for (int attempt = 1;; attempt++) {
        CHECK_INT(attempt, <=, LP_MAX_ATTEMPTS);
        int len = lp_request(out, sizeof out, id, seq, attempt);
        if (zmq_send(*req, out, (size_t)len, 0) == len) {
            int timeout = 40 + 20 * attempt;   /* the lpclient's REQUEST_TIMEOUT, growing a little */
            int n = lp_await_reply(*req, in, sizeof in, timeout > 500 ? 500 : timeout);
            if (n >= 0) {
                CHECK_EQ(n, len);
                CHECK_MEM(in, n, out, len);
                CHECK_EQ(rcvmore(*req), 0);
                return attempt;
            }
        } else {
            CHECK_EQ(errno, EAGAIN);   /* no connection within SNDTIMEO: try again */
        }
        if (!run->relaxed) {
            /* lpclient: the socket is confused now; throw it away and open another */
            close_zero_linger(*req);
            *req = lp_new_req(run);
        }
    }
}

static void *lp_client_main(void *arg)
{
    struct lp_client *client = arg;
    struct lp_run *run = client->run;
    void *req = lp_new_req(run);
    for (int seq = 0; !atomic_load(&run->stop); seq++) {
        int attempts = lp_one_request(run, &req, client->id, seq);
        atomic_fetch_add(&run->requests, 1);
        atomic_fetch_add(&run->retries, attempts - 1);
        int most = atomic_load(&run->most_attempts);
        while (attempts > most && !atomic_compare_exchange_weak(&run->most_attempts, &most, attempts)) {
        }
    }
    close_zero_linger(req);
    return NULL;
}

/* Starts LP_CLIENTS client threads on ctx against endpoint. */
TU_UNUSED static void lp_clients_start(struct lp_run *run, void *ctx, const char *endpoint, int relaxed)
{
    run->ctx = ctx;
    run->endpoint = endpoint;
    run->relaxed = relaxed;
    atomic_init(&run->stop, 0);
    atomic_init(&run->requests, 0);
    atomic_init(&run->retries, 0);
    atomic_init(&run->most_attempts, 0);
    for (int i = 0; i < LP_CLIENTS; i++) {
        run->clients[i] = (struct lp_client){.run = run, .id = i};
        CHECK_EQ(pthread_create(&run->clients[i].thread, NULL, lp_client_main, &run->clients[i]), 0);
    }
}

/* Lets every client finish the request in hand and joins them. */
TU_UNUSED static void lp_clients_stop(struct lp_run *run)
{
    atomic_store(&run->stop, 1);
    for (int i = 0; i < LP_CLIENTS; i++)
        CHECK_EQ(pthread_join(run->clients[i].thread, NULL), 0);
}

/* ---- numbered stream -------------------------------------------------------------------------------- */

#define SEQ_MSG_SIZE 100
#define SEQ_BUFFER 32768   /* SO_SNDBUF/SO_RCVBUF asked for on every socket of the path */

/* A break every 1-60000 bytes (cut 4 : reset 3), with short stalls and delays; 10% of the connections
 * fragmented; a new connection waits until the receiver drained the old one (PULL fair-queues its
 * connections, in libzmq as in zinc, and would interleave an old connection's leftovers with the new). */
TU_UNUSED static const struct relay_plan seq_plan = {
    .fragment_percent = 10,
    .fault_bytes_max = 60000,
    .weight = {[RELAY_CUT] = 4, [RELAY_RESET] = 3, [RELAY_STALL] = 1, [RELAY_DELAY] = 1},
    .stall_ms_max = 30,
    .delay_ms_max = 5,
    .delay_span_ms = 30,
    .buffer_bytes = SEQ_BUFFER,
    .gate_on_drain = 1,
};

/* stop: SEQ_RUN, then SEQ_END (no more numbers: send end markers), then SEQ_DONE (the receiver has one). */
enum { SEQ_RUN, SEQ_END, SEQ_DONE };

struct seq_sender {
    void *push;
    atomic_int stop;
    atomic_int numbered;   /* set once sent is final (the sender is on end markers) */
    int sent;              /* numbered messages sent: read once numbered is set */
};

/* Options for both ends of the stream: small kernel buffers (so a cut's loss is bounded), quick
 * reconnects, and a send timeout that lets the sender notice stop while reconnecting. */
TU_UNUSED static void seq_socket_setup(void *sock)
{
    set_int(sock, ZMQ_SNDBUF, SEQ_BUFFER);
    set_int(sock, ZMQ_RCVBUF, SEQ_BUFFER);
    set_int(sock, ZMQ_RECONNECT_IVL, 5);
    set_int(sock, ZMQ_RECONNECT_IVL_MAX, 50);
    set_int(sock, ZMQ_SNDTIMEO, 100);
}

/* Sends numbered messages until stop leaves SEQ_RUN, then an end marker (numbered -1) every 10 ms until
 * SEQ_DONE. One marker is not enough: the relay's last break may come while the PUSH has not yet read its
 * end of file, and a marker written into that connection is lost with it, as any message in flight (seen
 * in about 1 run in 100 under load, zinc and libzmq alike). A stream that really stalls still gets no
 * marker through, which the receiver's 5 s limit catches. */
TU_UNUSED static void *seq_sender_main(void *arg)
{
    struct seq_sender *s = arg;
    char msg[SEQ_MSG_SIZE];
    memset(msg, 'm', sizeof msg);
    while (atomic_load(&s->stop) == SEQ_RUN) {
        memcpy(msg, &s->sent, sizeof s->sent);
        if (zmq_send(s->push, msg, sizeof msg, 0) == (int)sizeof msg)
            s->sent++;
        else
            CHECK_EQ(errno, EAGAIN);   /* SNDTIMEO: reconnecting */
    }
    atomic_store(&s->numbered, 1);
    int end = -1;
    memcpy(msg, &end, sizeof end);
    int64_t last_queued = now_ms();
    while (atomic_load(&s->stop) != SEQ_DONE) {
        if (zmq_send(s->push, msg, sizeof msg, 0) == (int)sizeof msg) {
            last_queued = now_ms();
            msleep(10);
            continue;
        }
        CHECK_EQ(errno, EAGAIN);   /* still reconnecting, or the pipe still full */
        CHECK_INT(now_ms() - last_queued, <, 5000);
    }
    return NULL;
}

/* The most messages one broken connection can take with it: the kernel buffers on the path (Linux
 * doubles what is asked for), the relay's own buffer and each engine's I/O buffer, generously. */
TU_UNUSED static int seq_max_lost_per_break(void)
{
    int kernel = 4 * 2 * SEQ_BUFFER;   /* PUSH send, relay receive, relay send, PULL receive */
    int relay = RELAY_BUF;
    int engines = 2 * 64 * 1024;
    return (kernel + relay + engines) / SEQ_MSG_SIZE + 2;
}

struct seq_counts {
    int expected;          /* the next number in order */
    int received;
    int lost;              /* numbers skipped */
    int gaps;              /* runs of skipped numbers */
    int longest_gap;
};

/* Receives the stream on pull until the message numbered -1, checking order; tick(arg) runs between
 * messages (it turns the faults off and stops the sender when the time has come). With a gating relay r,
 * mon (a monitor of pull for ZMQ_EVENT_DISCONNECTED) tells when pull has ended the connections the relay
 * closed; once it has, and pull has nothing to read, the relay may let the next connection through. */
TU_UNUSED static void seq_receive(void *pull, void *mon, struct relay *r, void (*tick)(void *), void *arg,
                                  struct seq_counts *c)
{
    memset(c, 0, sizeof *c);
    int64_t last_msg_at = now_ms();
    int disconnected = 0;
    for (;;) {
        tick(arg);
        char msg[SEQ_MSG_SIZE];
        int rc = zmq_recv(pull, msg, sizeof msg, ZMQ_DONTWAIT);
        if (rc < 0) {
            CHECK_EQ(errno, EAGAIN);
            if (now_ms() - last_msg_at >= 5000 && r)
                relay_dump(r);
            CHECK_INT(now_ms() - last_msg_at, <, 5000);
            if (!r || !mon) {
                poll_in(pull, 1);
                continue;
            }
            /* First what the relay closed, then what pull ended: the events must cover the reading. */
            int closed = atomic_load(&r->links_closed);
            struct monitor_event ev;
            while (read_event(mon, &ev, 0))
                disconnected += ev.id == ZMQ_EVENT_DISCONNECTED;
            if (!poll_in(pull, 1) && disconnected >= closed)
                relay_drained(r, closed);   /* pull holds nothing more of the closed connections */
            continue;
        }
        last_msg_at = now_ms();
        CHECK_EQ(rc, SEQ_MSG_SIZE);
        int seq;
        memcpy(&seq, msg, sizeof seq);
        if (seq == -1)
            return;
        CHECK_INT(seq, >=, c->expected);   /* none duplicated, none reordered */
        if (seq > c->expected) {
            c->gaps++;
            c->lost += seq - c->expected;
            c->longest_gap = seq - c->expected > c->longest_gap ? seq - c->expected : c->longest_gap;
        }
        c->expected = seq + 1;
        c->received++;
    }
}

/* The checks after a stream through relay r from a sender that sent `sent` numbered messages. */
TU_UNUSED static void seq_check(struct relay *r, const struct seq_counts *counts, int sent, int64_t took_ms)
{
    /* What the last break took with it (sent after it, before the PUSH saw its end of file) is a gap at the
     * end of the stream, bounded like any other. */
    struct seq_counts tail = *counts, *c = &tail;
    if (c->expected < sent) {
        c->gaps++;
        c->lost += sent - c->expected;
        c->longest_gap = sent - c->expected > c->longest_gap ? sent - c->expected : c->longest_gap;
        c->expected = sent;
    }
    relay_print(r, "stream");
    printf("  sent %d, received %d, lost %d in %d gaps (longest %d, bound %d) in %lld ms\n", sent, c->received,
           c->lost, c->gaps, c->longest_gap, seq_max_lost_per_break(), (long long)took_ms);
    CHECK_EQ(c->expected, sent);              /* no number beyond what was sent */
    CHECK_EQ(c->received + c->lost, sent);
    CHECK_INT(c->gaps, <=, relay_breaks(r));   /* losses only at cuts, one run each */
    CHECK_INT(c->longest_gap, <=, seq_max_lost_per_break());
}

#endif
