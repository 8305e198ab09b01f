/* The lazy pirate pattern (zguide, lpclient) through a relay that injects a fault every few hundred bytes
 * (cuts and resets at any byte offset, stalls, delays; some connections also fragmented into 1-7 byte
 * pieces). Several REQ clients, each in its own thread, send numbered requests to one REP echo server;
 * a request not answered within its timeout is sent again, up to LP_MAX_ATTEMPTS times, either
 *  - classic: on a fresh REQ socket (the old one closed with linger 0), or
 *  - relaxed: on the same socket, with ZMQ_REQ_RELAXED and ZMQ_REQ_CORRELATE.
 * Every request gets its reply; a reply is accepted only if it is byte for byte the attempt just sent
 * (each attempt carries its number, so a late reply to an earlier one would be caught). The server may
 * see an attempt twice or a request several times: that is the pattern. Passes on libzmq 4.3.4 too. */
#include "relay.h"

#define LP_CLIENTS 6
#define LP_MAX_ATTEMPTS 200
#define LP_FAULT_TARGET 1000   /* stop injecting after this many faults ... */
#define LP_BUDGET_MS 15000     /* ... or after this long */

struct lp_run {
    const char *endpoint;      /* the relay */
    int relaxed;               /* ZMQ_REQ_RELAXED + ZMQ_REQ_CORRELATE instead of a fresh socket */
    void *ctx;
    atomic_int stop;           /* clients finish their request in hand, then return */
    atomic_int requests;       /* answered */
    atomic_int retries;        /* attempts beyond the first */
    atomic_int most_attempts;  /* the most any one request needed */
};

struct lp_client {
    struct lp_run *run;
    int id;
    pthread_t thread;
};

static void *lp_server(void *sock)
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
        CHECK_EQ(zmq_send(sock, buf, (size_t)n, 0), n);
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
    struct lp_client *c = arg;
    struct lp_run *run = c->run;
    void *req = lp_new_req(run);
    for (int seq = 0; !atomic_load(&run->stop); seq++) {
        int attempts = lp_one_request(run, &req, c->id, seq);
        atomic_fetch_add(&run->requests, 1);
        atomic_fetch_add(&run->retries, attempts - 1);
        int most = atomic_load(&run->most_attempts);
        while (attempts > most && !atomic_compare_exchange_weak(&run->most_attempts, &most, attempts)) {
        }
    }
    close_zero_linger(req);
    return NULL;
}

static void lazy_pirate(int relaxed)
{
    static struct relay r;
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *rep = test_socket(ctx, ZMQ_REP);
    char ep[TU_ENDPOINT_LEN], relay_ep[64];
    bind_transport(rep, "tcp", ep, sizeof ep);
    pthread_t server;
    CHECK_EQ(pthread_create(&server, NULL, lp_server, rep), 0);

    struct relay_plan plan = {
        .fragment_percent = 30,
        .fault_bytes_max = 1200,
        .weight = {[RELAY_CUT] = 3, [RELAY_RESET] = 2, [RELAY_STALL] = 2, [RELAY_DELAY] = 2},
        .stall_ms_max = 120,
        .delay_ms_max = 20,
        .delay_span_ms = 150,
    };
    relay_start(&r, endpoint_port(ep), &plan, 0x9e3779b97f4a7c15ull + (uint64_t)relaxed);
    relay_endpoint(&r, relay_ep, sizeof relay_ep);

    struct lp_run run = {.endpoint = relay_ep, .relaxed = relaxed, .ctx = ctx};
    atomic_init(&run.stop, 0);
    atomic_init(&run.requests, 0);
    atomic_init(&run.retries, 0);
    atomic_init(&run.most_attempts, 0);
    struct lp_client clients[LP_CLIENTS];
    int64_t start = now_ms();
    for (int i = 0; i < LP_CLIENTS; i++) {
        clients[i] = (struct lp_client){.run = &run, .id = i};
        CHECK_EQ(pthread_create(&clients[i].thread, NULL, lp_client_main, &clients[i]), 0);
    }
    while (relay_fault_total(&r) < LP_FAULT_TARGET && now_ms() - start < LP_BUDGET_MS)
        msleep(20);
    atomic_store(&r.faults_on, 0);   /* the requests in hand now finish on a clean line */
    atomic_store(&run.stop, 1);
    for (int i = 0; i < LP_CLIENTS; i++)
        CHECK_EQ(pthread_join(clients[i].thread, NULL), 0);
    int64_t took = now_ms() - start;

    relay_print(&r, relaxed ? "relaxed+correlate" : "classic");
    printf("  %d requests answered in %lld ms by %d clients, %d retries, at most %d attempts for one\n",
           atomic_load(&run.requests), (long long)took, LP_CLIENTS, atomic_load(&run.retries),
           atomic_load(&run.most_attempts));
    CHECK_INT(relay_fault_total(&r), >=, 200);   /* LP_FAULT_TARGET unless the machine is very slow */
    CHECK_INT(relay_breaks(&r), >=, 50);
    CHECK_INT(atomic_load(&run.requests), >=, LP_CLIENTS);

    /* The server ends through the relay too, now clean. */
    void *req = test_socket(ctx, ZMQ_REQ);
    CHECK_OK(zmq_connect(req, relay_ep));
    set_int(req, ZMQ_RCVTIMEO, 5000);
    CHECK_EQ(zmq_send(req, "stop", 4, 0), 4);
    char b[8];
    CHECK_EQ(zmq_recv(req, b, sizeof b, 0), 0);
    CHECK_EQ(pthread_join(server, NULL), 0);
    relay_stop(&r);
    close_zero_linger(req);
    close_zero_linger(rep);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void lazy_pirate_fresh_socket_per_retry(void)
{
    lazy_pirate(0);
}

static void lazy_pirate_relaxed_correlate(void)
{
    lazy_pirate(1);
}

int main(void)
{
    test_begin(100);
    RUN(lazy_pirate_fresh_socket_per_retry);
    RUN(lazy_pirate_relaxed_correlate);
    return test_end();
}
