/* Context termination as libzmq 4.3.4 does it (doc/zmq_ctx_term.txt, zmq_ctx_shutdown.txt; probed against
 * Debian's libzmq):
 *   - after zmq_ctx_shutdown every call on a socket of that context fails with ETERM except zmq_close
 *     (options only once the socket has made another call, which is when libzmq takes the stop);
 *     zmq_socket fails with ETERM; zmq_ctx_get/zmq_ctx_set still work; shutdown twice is fine;
 *   - calls blocked in other threads (recv, send at HWM, zmq_msg_recv, zmq_poll) return ETERM, under
 *     zmq_ctx_term, zmq_term and zmq_ctx_destroy alike, and term returns once they close their sockets;
 *   - a signal interrupts a blocked recv, poll and zmq_ctx_term itself with EINTR; term can be called
 *     again and then completes;
 *   - ZMQ_LINGER -1 holds term until pending messages are delivered; 0 drops them at once;
 *   - except on a SUB: its queued subscriptions (all it can send, and sent again on every reconnect) do
 *     not hold term while it has no connection, whatever its linger; an XSUB's do. */
#include "testutil.h"

#include <stdatomic.h>

static void on_signal(int sig)
{
    (void)sig;
}

static void install_signal_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: blocked calls see EINTR */
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
}

/* After zmq_ctx_shutdown: ETERM from every socket call but zmq_close. */
static void after_shutdown_socket_calls_shall_fail_with_eterm(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pull = CHECK_PTR(zmq_socket(ctx, ZMQ_PULL));
    CHECK_OK(zmq_bind(pull, "inproc://after-shutdown"));
    void *push = CHECK_PTR(zmq_socket(ctx, ZMQ_PUSH));
    void *idle = CHECK_PTR(zmq_socket(ctx, ZMQ_PUSH));
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_OK(zmq_ctx_shutdown(ctx));
    /* a socket that made no call since takes options until one (cppzmq sets ZMQ_LINGER before close) */
    set_int(idle, ZMQ_LINGER, 0);
    CHECK_OK(zmq_close(idle));
    errno = 0;
    CHECK(zmq_socket(ctx, ZMQ_PUSH) == NULL);
    CHECK_EQ(errno, ETERM);
    char buf[8];
    int v = 5;
    size_t len = sizeof v;
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT), ETERM);
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, 0), ETERM);
    CHECK_ERR(zmq_send(push, "x", 1, ZMQ_DONTWAIT), ETERM);
    CHECK_ERR(zmq_send(push, "x", 1, 0), ETERM);
    zmq_msg_t msg;
    CHECK_OK(zmq_msg_init(&msg));
    CHECK_ERR(zmq_msg_recv(&msg, pull, 0), ETERM);
    CHECK_ERR(zmq_msg_send(&msg, push, 0), ETERM);
    CHECK_OK(zmq_msg_close(&msg));
    CHECK_ERR(zmq_bind(push, "inproc://after-shutdown-2"), ETERM);
    CHECK_ERR(zmq_connect(push, "inproc://after-shutdown"), ETERM);
    CHECK_ERR(zmq_unbind(pull, "inproc://after-shutdown"), ETERM);
    CHECK_ERR(zmq_disconnect(push, "inproc://after-shutdown"), ETERM);
    CHECK_ERR(zmq_setsockopt(push, ZMQ_SNDHWM, &v, sizeof v), ETERM);
    CHECK_ERR(zmq_getsockopt(push, ZMQ_SNDHWM, &v, &len), ETERM);
    len = sizeof v;
    CHECK_ERR(zmq_getsockopt(push, ZMQ_EVENTS, &v, &len), ETERM);
    len = sizeof v;
    CHECK_ERR(zmq_getsockopt(push, ZMQ_FD, &v, &len), ETERM);
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};
    CHECK_ERR(zmq_poll(&item, 1, 0), ETERM);
    CHECK_ERR(zmq_poll(&item, 1, 100), ETERM);
    CHECK_ERR(zmq_socket_monitor(pull, "inproc://after-shutdown-mon", ZMQ_EVENT_ALL), ETERM);
    /* the context's own options still answer */
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 1);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 10));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 10);
    CHECK_OK(zmq_close(pull));
    CHECK_OK(zmq_close(push));
    CHECK_OK(zmq_ctx_term(ctx));
}

struct blocked {
    void *sock;
    int op;          /* 0 recv, 1 send, 2 zmq_msg_recv, 3 zmq_poll */
    int rc;
    int err;
    int closed;
};

static void *block_then_close(void *arg)
{
    struct blocked *b = arg;
    char buf[8];
    zmq_msg_t msg;
    zmq_pollitem_t item = {b->sock, 0, ZMQ_POLLIN, 0};
    switch (b->op) {
    case 0: b->rc = zmq_recv(b->sock, buf, sizeof buf, 0); break;
    case 1: b->rc = zmq_send(b->sock, "x", 1, 0); break;
    case 2:
        zmq_msg_init(&msg);
        b->rc = zmq_msg_recv(&msg, b->sock, 0);
        b->err = errno;
        zmq_msg_close(&msg);
        errno = b->err;
        break;
    default: b->rc = zmq_poll(&item, 1, -1); break;
    }
    b->err = errno;
    zmq_close(b->sock);
    b->closed = 1;
    return NULL;
}

/* zmq_ctx_term, zmq_term and zmq_ctx_destroy each wake a recv, a send held by the HWM, a zmq_msg_recv and
 * a zmq_poll blocked in other threads with ETERM, and return after those threads close their sockets. */
static void term_shall_wake_every_blocked_call_with_eterm(void)
{
    for (int fn = 0; fn < 3; fn++) {
        void *ctx = CHECK_PTR(zmq_ctx_new());
        struct blocked b[4];
        pthread_t th[4];
        void *full = CHECK_PTR(zmq_socket(ctx, ZMQ_PUSH));   /* a send at HWM: no peer at all */
        CHECK_OK(zmq_bind(full, "inproc://term-full"));
        for (int i = 0; i < 4; i++) {
            b[i] = (struct blocked){.op = i, .rc = -2};
            if (i == 1) {
                b[i].sock = full;
            } else {
                b[i].sock = CHECK_PTR(zmq_socket(ctx, ZMQ_PULL));
                char ep[64];
                snprintf(ep, sizeof ep, "inproc://term-%d", i);
                CHECK_OK(zmq_bind(b[i].sock, ep));
            }
            CHECK_EQ(pthread_create(&th[i], NULL, block_then_close, &b[i]), 0);
        }
        msleep(100);
        for (int i = 0; i < 4; i++)
            CHECK_EQ(b[i].rc, -2);   /* all still blocked */
        if (fn == 0)
            CHECK_OK(zmq_ctx_term(ctx));
        else if (fn == 1)
            CHECK_OK(zmq_term(ctx));
        else
            CHECK_OK(zmq_ctx_destroy(ctx));
        for (int i = 0; i < 4; i++) {
            CHECK_EQ(pthread_join(th[i], NULL), 0);
            CHECK(b[i].closed);
            CHECK_EQ(b[i].rc, -1);
            CHECK_EQ(b[i].err, ETERM);
        }
    }
}

struct interrupted {
    void *ctx;
    void *sock;
    int op;          /* 0 recv, 1 poll, 2 zmq_ctx_term */
    atomic_int done;
    int rc;
    int err;
};

static void *block_until_signal(void *arg)
{
    struct interrupted *t = arg;
    char buf[8];
    zmq_pollitem_t item = {t->sock, 0, ZMQ_POLLIN, 0};
    if (t->op == 0)
        t->rc = zmq_recv(t->sock, buf, sizeof buf, 0);
    else if (t->op == 1)
        t->rc = zmq_poll(&item, 1, -1);
    else
        t->rc = zmq_ctx_term(t->ctx);
    t->err = errno;
    atomic_store(&t->done, 1);
    return NULL;
}

/* Signals the thread until it returns (a signal that lands before it blocks would be missed). */
static void interrupt(pthread_t th, struct interrupted *t)
{
    for (int i = 0; i < 250 && !atomic_load(&t->done); i++) {
        pthread_kill(th, SIGUSR1);
        msleep(20);
    }
    CHECK_EQ(pthread_join(th, NULL), 0);
}

/* A signal makes a blocked zmq_recv, zmq_poll and zmq_ctx_term return -1 with EINTR; zmq_ctx_term can be
 * called again afterwards and completes once the socket is closed. */
static void signals_shall_interrupt_blocked_calls_with_eintr(void)
{
    install_signal_handler();
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pull = CHECK_PTR(zmq_socket(ctx, ZMQ_PULL));
    CHECK_OK(zmq_bind(pull, "inproc://eintr"));
    for (int op = 0; op < 3; op++) {
        struct interrupted t = {ctx, pull, op, 0, -2, 0};
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, block_until_signal, &t), 0);
        interrupt(th, &t);
        CHECK(atomic_load(&t.done));
        CHECK_EQ(t.rc, -1);
        CHECK_EQ(t.err, EINTR);
    }
    /* term was interrupted after the shutdown: the socket now says ETERM, and term may be called again */
    char buf[8];
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT), ETERM);
    CHECK_OK(zmq_close(pull));
    CHECK_OK(zmq_ctx_term(ctx));
}

struct term_run {
    void *ctx;
    atomic_int done;
    int rc;
};

static void *term_thread(void *arg)
{
    struct term_run *t = arg;
    t->rc = zmq_ctx_term(t->ctx);
    atomic_store(&t->done, 1);
    return NULL;
}

/* ctx's last socket was closed holding `pending` for ep: term must wait until a socket of peer_type binds
 * ep in another context and receives it, then return 0. */
static void term_shall_wait_for(void *ctx, const char *ep, int peer_type, const char *pending)
{
    struct term_run t = {ctx, 0, -2};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, term_thread, &t), 0);
    msleep(300);
    CHECK(!atomic_load(&t.done));
    void *ctx2 = CHECK_PTR(zmq_ctx_new());
    void *peer = test_socket(ctx2, peer_type);
    CHECK_OK(zmq_bind(peer, ep));
    recv_expect(peer, pending);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(t.rc, 0);
    close_zero_linger(peer);
    CHECK_OK(zmq_ctx_term(ctx2));
}

/* ZMQ_LINGER -1 (the default): term waits for a pending message until a peer appears and takes it. */
static void default_linger_shall_hold_term_until_delivered(void)
{
    char ep[128];
    make_bind_endpoint("ipc", ep, sizeof ep);   /* a tcp port picked free may be taken before the bind */
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *push = CHECK_PTR(zmq_socket(ctx, ZMQ_PUSH));
    CHECK_EQ(get_int(push, ZMQ_LINGER), -1);
    CHECK_OK(zmq_connect(push, ep));
    send_str(push, "pending");
    CHECK_OK(zmq_close(push));
    term_shall_wait_for(ctx, ep, ZMQ_PULL, "pending");
}

/* ZMQ_LINGER 0: term returns at once and the pending message is dropped. */
static void linger_zero_shall_drop_pending_at_term(void)
{
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *push = CHECK_PTR(zmq_socket(ctx, ZMQ_PUSH));
    set_int(push, ZMQ_LINGER, 0);
    CHECK_OK(zmq_connect(push, ep));
    send_str(push, "dropped");
    CHECK_OK(zmq_close(push));
    int64_t t0 = now_ms();
    CHECK_OK(zmq_ctx_term(ctx));
    CHECK_INT(now_ms() - t0, <, 1000);
}

/* A SUB with ZMQ_LINGER -1 that never reached its publisher: the subscription it queued does not hold term
 * (libzmq 4.3.4 returns at once). */
static void sub_subscriptions_shall_not_hold_term(void)
{
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *sub = CHECK_PTR(zmq_socket(ctx, ZMQ_SUB));
    set_int(sub, ZMQ_LINGER, -1);
    CHECK_OK(zmq_connect(sub, ep));
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "topic", 5));
    msleep(50);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "other", 5));
    CHECK_OK(zmq_close(sub));
    struct term_run t = {ctx, 0, -2};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, term_thread, &t), 0);
    for (int i = 0; i < 200 && !atomic_load(&t.done); i++)
        msleep(10);
    CHECK(atomic_load(&t.done));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(t.rc, 0);
}

/* An XSUB's subscription is a message like any other: with ZMQ_LINGER -1 term waits until a publisher
 * appears and takes it. */
static void xsub_subscription_shall_hold_term_until_delivered(void)
{
    char ep[128];
    make_bind_endpoint("ipc", ep, sizeof ep);   /* a tcp port picked free may be taken before the bind */
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *xsub = CHECK_PTR(zmq_socket(ctx, ZMQ_XSUB));
    set_int(xsub, ZMQ_LINGER, -1);
    CHECK_OK(zmq_connect(xsub, ep));
    CHECK_EQ(zmq_send(xsub, "\x01topic", 6, 0), 6);
    CHECK_OK(zmq_close(xsub));
    term_shall_wait_for(ctx, ep, ZMQ_XPUB, "\x01topic");
}

int main(void)
{
    test_begin(60);
    RUN(after_shutdown_socket_calls_shall_fail_with_eterm);
    RUN(term_shall_wake_every_blocked_call_with_eterm);
    RUN(signals_shall_interrupt_blocked_calls_with_eintr);
    RUN(default_linger_shall_hold_term_until_delivered);
    RUN(linger_zero_shall_drop_pending_at_term);
    RUN(sub_subscriptions_shall_not_hold_term);
    RUN(xsub_subscription_shall_hold_term_until_delivered);
    return test_end();
}
