/* The lazy pirate pattern (zguide, lpclient; tests/fault_patterns.h) through a relay that injects a fault
 * every few hundred bytes: cuts and resets at any byte offset (greetings, handshakes, frame headers,
 * bodies), stalls of up to 120 ms, delays; 30% of the connections are also fragmented into 1-7 byte
 * pieces. LP_CLIENTS REQ clients against one REP echo server, once retrying on a fresh socket and once
 * with ZMQ_REQ_RELAXED + ZMQ_REQ_CORRELATE: every request gets the reply to the attempt just sent, never
 * another. Passes on libzmq 4.3.4 too. */
#include "fault_patterns.h"

static void lazy_pirate(int relaxed)
{
    static struct relay r;
    static struct lp_run run;
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *rep = test_socket(ctx, ZMQ_REP);
    char ep[TU_ENDPOINT_LEN], relay_ep[64];
    bind_transport(rep, "tcp", ep, sizeof ep);
    pthread_t server;
    CHECK_EQ(pthread_create(&server, NULL, lp_server, rep), 0);
    relay_start(&r, endpoint_port(ep), &lp_plan, 0x9e3779b97f4a7c15ull + (uint64_t)relaxed);
    relay_endpoint(&r, relay_ep, sizeof relay_ep);

    int64_t start = now_ms();
    lp_clients_start(&run, ctx, relay_ep, relaxed);
    while (relay_fault_total(&r) < LP_FAULT_TARGET && now_ms() - start < LP_BUDGET_MS)
        msleep(20);
    if (relay_fault_total(&r) < 200)
        relay_dump(&r);
    atomic_store(&r.faults_on, 0);   /* the requests in hand now finish on a clean line */
    lp_clients_stop(&run);
    int64_t took = now_ms() - start;

    relay_print(&r, relaxed ? "relaxed+correlate" : "fresh socket per retry");
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
