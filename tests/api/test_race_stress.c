/* Lifecycle races, several threads at once, each for a bounded time: sockets closed while their
 * connections are still handshaking, contexts shut down while I/O threads are writing, monitors stopped
 * and restarted while events are being emitted. Every socket is used by one thread only (as the API
 * requires); the races are between those threads and the library's I/O threads. Run under TSan and ASan
 * by ./test; passes on libzmq 4.3.4 too. */
#include "monitor_util.h"

#include <stdbool.h>

#define THREADS 3
#define RUN_MS 1500

struct worker {
    int id;
    int rounds;
};

/* Binds s to a fresh endpoint without touching testutil's shared counters (this runs in several threads). */
static void bind_fresh(void *s, bool ipc, int id, int round, char *ep, size_t len)
{
    if (ipc)
        snprintf(ep, len, "ipc:///tmp/zinc-race-%d-%d-%d.ipc", (int)getpid(), id, round);
    else
        snprintf(ep, len, "tcp://127.0.0.1:*");
    CHECK_OK(zmq_bind(s, ep));
    size_t n = len;
    CHECK_OK(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &n));
}

static int set_linger0(void *s)
{
    int zero = 0;
    return zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
}

/* A ROUTER and several DEALERs connect over tcp and ipc and are closed at once, handshakes in flight;
 * then the context ends. */
static void *close_while_handshaking(void *arg)
{
    struct worker *w = arg;
    int64_t end = now_ms() + RUN_MS;
    while (now_ms() < end) {
        void *ctx = zmq_ctx_new();
        void *router = zmq_socket(ctx, ZMQ_ROUTER);
        set_linger0(router);
        char ep[TU_ENDPOINT_LEN];
        bind_fresh(router, w->rounds % 2, w->id, w->rounds, ep, sizeof ep);
        void *dealers[4];
        for (int i = 0; i < 4; i++) {
            dealers[i] = zmq_socket(ctx, ZMQ_DEALER);
            set_linger0(dealers[i]);
            CHECK_OK(zmq_connect(dealers[i], ep));
            zmq_send(dealers[i], "x", 1, ZMQ_DONTWAIT);
        }
        if (w->rounds % 3 == 0)
            msleep(1);   /* sometimes mid-handshake, sometimes before the connect even starts */
        for (int i = 0; i < 4; i++)
            CHECK_OK(zmq_close(dealers[i]));
        CHECK_OK(zmq_close(router));
        CHECK_OK(zmq_ctx_term(ctx));
        w->rounds++;
    }
    return NULL;
}

struct writer {
    void *push;
    int err;
};

static void *write_until_eterm(void *arg)
{
    struct writer *wr = arg;
    static const char payload[512];
    while (zmq_send(wr->push, payload, sizeof payload, 0) >= 0) {
    }
    wr->err = errno;
    CHECK_OK(zmq_close(wr->push));
    return NULL;
}

/* A writer streams over tcp to a reader; the context is shut down under it, from another thread. */
static void *shutdown_while_writing(void *arg)
{
    struct worker *w = arg;
    int64_t end = now_ms() + RUN_MS;
    while (now_ms() < end) {
        void *ctx = zmq_ctx_new();
        void *pull = zmq_socket(ctx, ZMQ_PULL);
        set_linger0(pull);
        char ep[TU_ENDPOINT_LEN];
        bind_fresh(pull, false, w->id, w->rounds, ep, sizeof ep);
        struct writer wr = {zmq_socket(ctx, ZMQ_PUSH), 0};
        set_linger0(wr.push);
        CHECK_OK(zmq_connect(wr.push, ep));
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, write_until_eterm, &wr), 0);
        char buf[512];
        for (int i = 0; i < 50 + w->rounds % 50; i++)
            if (zmq_recv(pull, buf, sizeof buf, 0) < 0)
                break;
        CHECK_OK(zmq_ctx_shutdown(ctx));
        CHECK_EQ(pthread_join(th, NULL), 0);
        CHECK_EQ(wr.err, ETERM);
        CHECK_OK(zmq_close(pull));
        CHECK_OK(zmq_ctx_term(ctx));
        w->rounds++;
    }
    return NULL;
}

/* A socket's monitor is stopped and restarted while a peer connects and disconnects, so events are
 * emitted by the I/O thread as the monitor changes. */
static void *restart_monitor_while_emitting(void *arg)
{
    struct worker *w = arg;
    void *ctx = zmq_ctx_new();
    void *server = zmq_socket(ctx, ZMQ_DEALER);
    set_linger0(server);
    char ep[TU_ENDPOINT_LEN];
    bind_fresh(server, false, w->id, 0, ep, sizeof ep);
    int64_t end = now_ms() + RUN_MS;
    /* bounded in count too: libzmq reaps closed sockets asynchronously and runs out of fds (EMFILE)
     * when monitors are replaced thousands of times a second */
    while (now_ms() < end && w->rounds < 300) {
        char mon_ep[64];
        snprintf(mon_ep, sizeof mon_ep, "inproc://race-monitor-%d-%d", w->id, w->rounds);
        CHECK_OK(zmq_socket_monitor(server, mon_ep, ZMQ_EVENT_ALL));
        void *mon = zmq_socket(ctx, ZMQ_PAIR);
        set_linger0(mon);
        CHECK_OK(zmq_connect(mon, mon_ep));
        void *client = zmq_socket(ctx, ZMQ_DEALER);
        set_linger0(client);
        CHECK_OK(zmq_connect(client, ep));
        zmq_send(client, "x", 1, ZMQ_DONTWAIT);
        char buf[256];
        for (int i = 0; i < 3; i++)   /* read a few events, leave the rest in flight */
            zmq_recv(mon, buf, sizeof buf, ZMQ_DONTWAIT);
        CHECK_OK(zmq_close(client));
        CHECK_OK(zmq_socket_monitor(server, NULL, 0));
        CHECK_OK(zmq_close(mon));
        w->rounds++;
    }
    CHECK_OK(zmq_close(server));
    CHECK_OK(zmq_ctx_term(ctx));
    return NULL;
}

static void run_threads(void *(*body)(void *), const char *what)
{
    pthread_t th[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){i, 0};
        CHECK_EQ(pthread_create(&th[i], NULL, body, &w[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        CHECK_EQ(pthread_join(th[i], NULL), 0);
        total += w[i].rounds;
    }
    printf("  %s: %d rounds in %d threads\n", what, total, THREADS);
    CHECK(total >= THREADS);
}

static void sockets_closed_while_handshaking(void)
{
    run_threads(close_while_handshaking, "close while handshaking");
}

static void contexts_shut_down_while_writing(void)
{
    run_threads(shutdown_while_writing, "shutdown while writing");
}

static void monitors_restarted_while_emitting(void)
{
    run_threads(restart_monitor_while_emitting, "monitor restarted while emitting");
}

int main(void)
{
    test_begin(100);
    RUN(sockets_closed_while_handshaking);
    RUN(contexts_shut_down_while_writing);
    RUN(monitors_restarted_while_emitting);
    return test_end();
}
