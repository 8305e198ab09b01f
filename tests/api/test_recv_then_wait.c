/* A socket that received with blocking zmq_recv calls and then waits some other way must see what arrives
 * as promptly as ever: through zmq_poll, through ZMQ_FD and ZMQ_EVENTS, through a loop of non-blocking
 * receives; and while the application is busy elsewhere, not calling the socket at all, the connection must
 * still answer the peer's PING and notice the peer leaving.
 *
 * (In zinc a blocking receive may read the connection itself and leave its fd out of the I/O thread's
 * epoll for the next one, core/conn_direct_recv.c; these are the ways that must put it back. libzmq's I/O
 * thread always listens, so every case holds there trivially.) */
#include "rawpeer.h"
#include "testutil.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor_util.h"

#define ROUNDS 40
#define BLOCKING_ROUNDS 3     /* blocking request-reply rounds before each measured one */
#define MEDIAN_LIMIT_US 2500  /* a reply to a waiting socket arrives in well under this on a loaded machine */

/* ---- a REP that echoes until told "stop" ------------------------------------------------------------- */
struct echo {
    void *rep;
    pthread_t thread;
};

static void *echo_main(void *arg)
{
    struct echo *e = arg;
    char buf[64];
    for (;;) {
        int n = zmq_recv(e->rep, buf, sizeof buf, 0);
        if (n < 0)
            return NULL;
        CHECK_EQ(zmq_send(e->rep, buf, (size_t)n, 0), n);
        if (n == 4 && memcmp(buf, "stop", 4) == 0)
            return NULL;
    }
}

enum wait_way { WAIT_POLL, WAIT_FD, WAIT_DONTWAIT };

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Waits for the reply on req the given way, at most 2 s, and receives it. */
static void wait_and_receive(void *req, enum wait_way way)
{
    int64_t deadline = now_ms() + 2000;
    char buf[64];
    for (;;) {
        CHECK(now_ms() < deadline);
        if (way == WAIT_POLL) {
            zmq_pollitem_t item = {.socket = req, .events = ZMQ_POLLIN};
            CHECK_INT(zmq_poll(&item, 1, 2000), >=, 0);
        } else if (way == WAIT_FD) {
            int events = get_int(req, ZMQ_EVENTS);   /* the rule: ZMQ_EVENTS before sleeping on ZMQ_FD */
            if (!(events & ZMQ_POLLIN)) {
                int fd = get_int(req, ZMQ_FD);
                struct pollfd p = {.fd = fd, .events = POLLIN};
                CHECK_INT(poll(&p, 1, 100), >=, 0);
                continue;
            }
        }
        int n = zmq_recv(req, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n >= 0) {
            CHECK_EQ(n, 5);
            return;
        }
        CHECK_EQ(zmq_errno(), EAGAIN);
        if (way == WAIT_DONTWAIT)
            usleep(50);   /* a polling loop that spins would starve the peer's threads of the CPU */
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Rounds of a few blocking request-reply exchanges, then one whose reply is awaited `way`: the median of
 * the last must stay far below the milliseconds a connection left unheard would add. */
static void reply_after_blocking_rounds(const char *transport, enum wait_way way)
{
    void *ctx = zmq_ctx_new();
    char ep[256];
    struct echo e = {.rep = bound_socket(ctx, ZMQ_REP, transport, ep, sizeof ep)};
    CHECK_OK(pthread_create(&e.thread, NULL, echo_main, &e));
    void *req = connected_socket(ctx, ZMQ_REQ, ep);
    int64_t waited[ROUNDS];
    char buf[64];
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < BLOCKING_ROUNDS; i++) {
            send_str(req, "block");
            CHECK_EQ(zmq_recv(req, buf, sizeof buf, 0), 5);
        }
        int64_t start = now_us();
        send_str(req, "await");
        wait_and_receive(req, way);
        waited[round] = now_us() - start;
    }
    qsort(waited, ROUNDS, sizeof waited[0], cmp_i64);
    if (waited[ROUNDS / 2] >= MEDIAN_LIMIT_US)
        fprintf(stderr, "median wait %lld us (max %lld us)\n", (long long)waited[ROUNDS / 2],
                (long long)waited[ROUNDS - 1]);
    CHECK_INT(waited[ROUNDS / 2], <, MEDIAN_LIMIT_US);
    send_str(req, "stop");
    CHECK_EQ(zmq_recv(req, buf, sizeof buf, 0), 4);
    CHECK_OK(pthread_join(e.thread, NULL));
    zmq_close(req);
    zmq_close(e.rep);
    zmq_ctx_term(ctx);
}

static void reply_seen_by_zmq_poll(const char *transport)
{
    reply_after_blocking_rounds(transport, WAIT_POLL);
}

static void reply_seen_through_zmq_fd(const char *transport)
{
    reply_after_blocking_rounds(transport, WAIT_FD);
}

static void reply_seen_by_dontwait_loop(const char *transport)
{
    reply_after_blocking_rounds(transport, WAIT_DONTWAIT);
}

/* Blocking rounds with one peer over tcp or ipc, then a second peer (inproc, attached at once): the
 * socket now waits on its mailbox for both, and the first peer's reply must not wait for anything. The
 * first round after the second peer joins is the one that counts: the median over several sockets. */
static void reply_after_a_second_peer_joins(const char *transport)
{
    int64_t first_round[7];
    for (int trial = 0; trial < 7; trial++) {
        void *ctx = zmq_ctx_new();
        char ep[256];
        struct echo a = {.rep = bound_socket(ctx, ZMQ_DEALER, transport, ep, sizeof ep)};
        struct echo b = {.rep = test_socket(ctx, ZMQ_DEALER)};
        char inproc[64];
        snprintf(inproc, sizeof inproc, "inproc://second-peer-%d", trial);
        CHECK_OK(zmq_bind(b.rep, inproc));
        CHECK_OK(pthread_create(&a.thread, NULL, echo_main, &a));
        CHECK_OK(pthread_create(&b.thread, NULL, echo_main, &b));
        void *dealer = connected_socket(ctx, ZMQ_DEALER, ep);
        char buf[64];
        for (int i = 0; i < 5; i++) {
            send_str(dealer, "block");
            CHECK_EQ(zmq_recv(dealer, buf, sizeof buf, 0), 5);
        }
        CHECK_OK(zmq_connect(dealer, inproc));
        int64_t start = now_us();
        send_str(dealer, "one");   /* round-robin: one to each peer */
        send_str(dealer, "two");
        CHECK_EQ(zmq_recv(dealer, buf, sizeof buf, 0), 3);
        CHECK_EQ(zmq_recv(dealer, buf, sizeof buf, 0), 3);
        first_round[trial] = now_us() - start;
        zmq_close(dealer);
        CHECK_OK(zmq_ctx_shutdown(ctx));   /* ends both echo threads' receives (ETERM) */
        CHECK_OK(pthread_join(a.thread, NULL));
        CHECK_OK(pthread_join(b.thread, NULL));
        zmq_close(a.rep);
        zmq_close(b.rep);
        zmq_ctx_term(ctx);
    }
    qsort(first_round, 7, sizeof first_round[0], cmp_i64);
    CHECK_INT(first_round[3], <, MEDIAN_LIMIT_US);
}

/* ---- the application busy elsewhere ------------------------------------------------------------------ */

/* The DEALER's side of dealer_after_blocking_rounds, on its own thread: each reply arrives while it is
 * already blocked in zmq_recv (the peer waits before answering). */
static void *requester_main(void *dealer)
{
    char buf[16];
    for (int i = 0; i < 10; i++) {
        send_str(dealer, "request");
        CHECK_EQ(zmq_recv(dealer, buf, sizeof buf, 0), 5);
    }
    return NULL;
}

/* A DEALER bound on tcp, with a raw DEALER peer that has answered ten of its requests, each received by a
 * zmq_recv that was blocked when the reply came. Returns the peer's fd; the DEALER is this thread's again. */
static int dealer_after_blocking_rounds(void *dealer)
{
    CHECK_OK(zmq_bind(dealer, "tcp://127.0.0.1:*"));
    int fd = raw_peer_ready(dealer, "DEALER");
    pthread_t requester;
    CHECK_OK(pthread_create(&requester, NULL, requester_main, dealer));
    for (int i = 0; i < 10; i++) {
        uint8_t flags, body[255];
        CHECK_EQ(raw_recv_frame(fd, NULL, &flags, body, sizeof body, 2000), 7);
        msleep(2);
        raw_send_frame(fd, 0, "reply", 5);
    }
    CHECK_OK(pthread_join(requester, NULL));
    return fd;
}

static void ping_answered_while_application_is_away(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    set_int(dealer, ZMQ_RCVTIMEO, 2000);
    int fd = dealer_after_blocking_rounds(dealer);
    /* The application now neither sends nor receives on the socket: the PONG must still come. */
    raw_send_command(fd, "PING", "\0\0away", 6);
    raw_expect_pong_within(fd, "away", 1000);
    raw_send_frame(fd, 0, "later", 5);   /* and what arrives meanwhile is there when it comes back */
    recv_expect(dealer, "later");
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

static void peer_leaving_noticed_while_application_is_away(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    set_int(dealer, ZMQ_RCVTIMEO, 2000);
    void *mon = start_monitor(ctx, dealer, ZMQ_EVENT_DISCONNECTED);
    int fd = dealer_after_blocking_rounds(dealer);
    close(fd);
    struct monitor_event ev;
    CHECK(read_event(mon, &ev, 1000));   /* the monitor is another socket: the DEALER itself stays untouched */
    CHECK_EQ(ev.id, ZMQ_EVENT_DISCONNECTED);
    zmq_close(mon);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

int main(void)
{
    test_begin(120);
    RUN_ENGINE_TRANSPORTS(reply_seen_by_zmq_poll);
    RUN_ENGINE_TRANSPORTS(reply_seen_through_zmq_fd);
    RUN_ENGINE_TRANSPORTS(reply_seen_by_dontwait_loop);
    RUN_ENGINE_TRANSPORTS(reply_after_a_second_peer_joins);
    RUN(ping_answered_while_application_is_away);
    RUN(peer_leaving_noticed_while_application_is_away);
    return test_end();
}
