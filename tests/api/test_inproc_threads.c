/* inproc connect-before-bind from many threads at once: 30 threads of one context each open a socket and
 * connect to the same inproc:// name before anything is bound there (and, in the racing case, while the
 * bind happens); then the bind comes and every connector's messages arrive, for PUSH/PULL, DEALER/ROUTER,
 * PUB/SUB, REQ/REP and PAIR-free mixes of them. Each connector sends its thread number, so the binder
 * checks that every one got through exactly as sent. */
#include "testutil.h"

#include <stdatomic.h>

#define NTHREADS 30
#define MSGS_PER_THREAD 3

static void *ctx;

struct shared {
    const char *endpoint;
    int connect_type;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int connected;                  /* threads whose zmq_connect returned */
    int bound;                      /* the binder is there */
    atomic_int done;                /* the binder has everything (PUB threads stop repeating) */
    atomic_int failures;
};

struct worker {
    struct shared *sh;
    int id;
};

static void shared_wait(struct shared *sh, int *field, int value)
{
    pthread_mutex_lock(&sh->lock);
    while (*field < value)
        pthread_cond_wait(&sh->changed, &sh->lock);
    pthread_mutex_unlock(&sh->lock);
}

static void shared_bump(struct shared *sh, int *field)
{
    pthread_mutex_lock(&sh->lock);
    (*field)++;
    pthread_cond_broadcast(&sh->changed);
    pthread_mutex_unlock(&sh->lock);
}

static void fail(struct shared *sh, const char *what, int id)
{
    fprintf(stderr, "thread %d: %s: errno %d (%s)\n", id, what, errno, zmq_strerror(errno));
    atomic_fetch_add(&sh->failures, 1);
}

/* A REQ asks MSGS_PER_THREAD times and checks each reply echoes its request. */
static void worker_req(struct worker *w, void *s)
{
    for (int i = 0; i < MSGS_PER_THREAD; i++) {
        char msg[32], reply[32];
        snprintf(msg, sizeof msg, "%d:%d", w->id, i);
        if (zmq_send(s, msg, strlen(msg), 0) < 0)
            return fail(w->sh, "req send", w->id);
        int n = zmq_recv(s, reply, sizeof reply - 1, 0);
        if (n < 0)
            return fail(w->sh, "req recv", w->id);
        reply[n] = '\0';
        if (strcmp(msg, reply) != 0)
            return fail(w->sh, "req reply mismatch", w->id);
    }
}

/* A PUB repeats its messages until the binder has them all (a SUB may miss the first ones). */
static void worker_pub(struct worker *w, void *s)
{
    for (int round = 0; round < 1000 && !atomic_load(&w->sh->done); round++) {
        for (int i = 0; i < MSGS_PER_THREAD; i++) {
            char msg[32];
            snprintf(msg, sizeof msg, "%d:%d", w->id, i);
            if (zmq_send(s, msg, strlen(msg), 0) < 0)
                return fail(w->sh, "pub send", w->id);
        }
        msleep(10);
    }
}

static void worker_send(struct worker *w, void *s)
{
    for (int i = 0; i < MSGS_PER_THREAD; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "%d:%d", w->id, i);
        if (zmq_send(s, msg, strlen(msg), 0) < 0)
            return fail(w->sh, "send", w->id);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    void *s = zmq_socket(ctx, sh->connect_type);
    if (!s) {
        fail(sh, "zmq_socket", w->id);
        shared_bump(sh, &sh->connected);
        return NULL;
    }
    int timeout = 10000;
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (sh->connect_type == ZMQ_DEALER || sh->connect_type == ZMQ_REQ) {
        char id[16];
        snprintf(id, sizeof id, "w%d", w->id);
        zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id));
    }
    if (zmq_connect(s, sh->endpoint) < 0)
        fail(sh, "connect", w->id);
    shared_bump(sh, &sh->connected);
    shared_wait(sh, &sh->bound, 1);
    if (sh->connect_type == ZMQ_REQ)
        worker_req(w, s);
    else if (sh->connect_type == ZMQ_PUB)
        worker_pub(w, s);
    else
        worker_send(w, s);
    int linger = 2000;   /* what was sent is still delivered after close */
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(s);
    return NULL;
}

/* Receives one message on the binder; for ROUTER/REP the thread's id and the reply path are handled. */
static int binder_recv_one(void *b, int bind_type, int connect_type, int got[NTHREADS][MSGS_PER_THREAD])
{
    char ident[64] = "", body[64];
    int ident_len = 0;
    if (bind_type == ZMQ_ROUTER) {
        ident_len = recv_timeout(b, ident, sizeof ident, 10000, NULL);
        if (ident_len < 0)
            return 0;
        CHECK_INT(ident_len, >, 0);
        if (connect_type == ZMQ_REQ)
            CHECK_EQ(recv_timeout(b, body, sizeof body, 10000, NULL), 0);   /* REQ's empty delimiter */
    }
    int n = recv_timeout(b, body, sizeof body, 10000, NULL);
    if (n < 0 && bind_type != ZMQ_ROUTER)
        return 0;
    CHECK_INT(n, >, 0);
    int id = -1, seq = -1;
    CHECK_EQ(sscanf(body, "%d:%d", &id, &seq), 2);
    CHECK(id >= 0 && id < NTHREADS && seq >= 0 && seq < MSGS_PER_THREAD);
    if (bind_type == ZMQ_ROUTER) {
        char expected[16];
        snprintf(expected, sizeof expected, "w%d", id);
        CHECK_STR(ident, expected);
    }
    if (bind_type == ZMQ_REP)
        CHECK_EQ(zmq_send(b, body, (size_t)n, 0), n);
    if (bind_type == ZMQ_ROUTER && connect_type == ZMQ_REQ) {
        CHECK_EQ(zmq_send(b, ident, (size_t)ident_len, ZMQ_SNDMORE), ident_len);
        CHECK_EQ(zmq_send(b, "", 0, ZMQ_SNDMORE), 0);
        CHECK_EQ(zmq_send(b, body, (size_t)n, 0), n);
    }
    got[id][seq]++;
    return 1;
}

static int all_received(int got[NTHREADS][MSGS_PER_THREAD], int verbose)
{
    int missing = 0;
    for (int t = 0; t < NTHREADS; t++)
        for (int i = 0; i < MSGS_PER_THREAD; i++)
            if (!got[t][i]) {
                if (verbose)
                    fprintf(stderr, "missing %d:%d\n", t, i);
                missing++;
            }
    return missing == 0;
}

/* racing: 0 = every thread connects before the bind; 1 = the bind happens while threads connect. */
static void run_mix(int connect_type, int bind_type, int racing)
{
    char ep[128];
    make_bind_endpoint("inproc", ep, sizeof ep);
    struct shared sh = {.endpoint = ep, .connect_type = connect_type};
    pthread_mutex_init(&sh.lock, NULL);
    pthread_cond_init(&sh.changed, NULL);
    atomic_init(&sh.done, 0);
    atomic_init(&sh.failures, 0);
    struct worker workers[NTHREADS];
    pthread_t threads[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        workers[i] = (struct worker){&sh, i};
        CHECK_EQ(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
    }
    shared_wait(&sh, &sh.connected, racing ? NTHREADS / 2 : NTHREADS);
    void *b = test_socket(ctx, bind_type);
    if (bind_type == ZMQ_SUB)
        CHECK_OK(zmq_setsockopt(b, ZMQ_SUBSCRIBE, "", 0));
    CHECK_OK(zmq_bind(b, ep));
    shared_bump(&sh, &sh.bound);
    static int got[NTHREADS][MSGS_PER_THREAD];
    memset(got, 0, sizeof got);
    int64_t deadline = now_ms() + 20000;
    while (!all_received(got, 0) && now_ms() < deadline && binder_recv_one(b, bind_type, connect_type, got))
        ;
    atomic_store(&sh.done, 1);
    for (int i = 0; i < NTHREADS; i++)
        CHECK_EQ(pthread_join(threads[i], NULL), 0);
    CHECK_EQ(atomic_load(&sh.failures), 0);
    CHECK(all_received(got, 1));
    if (bind_type != ZMQ_SUB)   /* a PUB repeats; the others sent each message once */
        for (int t = 0; t < NTHREADS; t++)
            for (int i = 0; i < MSGS_PER_THREAD; i++)
                CHECK_EQ(got[t][i], 1);
    close_zero_linger(b);
    pthread_cond_destroy(&sh.changed);
    pthread_mutex_destroy(&sh.lock);
}

static void push_connectors_shall_all_reach_a_late_pull(void) { run_mix(ZMQ_PUSH, ZMQ_PULL, 0); }
static void dealer_connectors_shall_all_reach_a_late_router(void) { run_mix(ZMQ_DEALER, ZMQ_ROUTER, 0); }
static void dealer_connectors_shall_all_reach_a_late_pull(void) { run_mix(ZMQ_DEALER, ZMQ_PULL, 0); }
static void pub_connectors_shall_all_reach_a_late_sub(void) { run_mix(ZMQ_PUB, ZMQ_SUB, 0); }
static void req_connectors_shall_all_reach_a_late_rep(void) { run_mix(ZMQ_REQ, ZMQ_REP, 0); }
static void req_connectors_shall_all_reach_a_late_router(void) { run_mix(ZMQ_REQ, ZMQ_ROUTER, 0); }
static void push_connectors_racing_the_bind_shall_all_get_through(void) { run_mix(ZMQ_PUSH, ZMQ_PULL, 1); }
static void dealer_connectors_racing_the_bind_shall_all_get_through(void) { run_mix(ZMQ_DEALER, ZMQ_ROUTER, 1); }
static void req_connectors_racing_the_bind_shall_all_get_through(void) { run_mix(ZMQ_REQ, ZMQ_REP, 1); }
static void pub_connectors_racing_the_bind_shall_all_get_through(void) { run_mix(ZMQ_PUB, ZMQ_SUB, 1); }

int main(void)
{
    test_begin(120);
    ctx = zmq_ctx_new();
    CHECK(ctx);
    for (int round = 0; round < 3; round++) {
        RUN(push_connectors_shall_all_reach_a_late_pull);
        RUN(dealer_connectors_shall_all_reach_a_late_router);
        RUN(dealer_connectors_shall_all_reach_a_late_pull);
        RUN(pub_connectors_shall_all_reach_a_late_sub);
        RUN(req_connectors_shall_all_reach_a_late_rep);
        RUN(req_connectors_shall_all_reach_a_late_router);
        RUN(push_connectors_racing_the_bind_shall_all_get_through);
        RUN(dealer_connectors_racing_the_bind_shall_all_get_through);
        RUN(req_connectors_racing_the_bind_shall_all_get_through);
        RUN(pub_connectors_racing_the_bind_shall_all_get_through);
    }
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
