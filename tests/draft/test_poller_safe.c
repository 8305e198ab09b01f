/* zmq_poller with thread-safe sockets (CLIENT, SERVER) used by several threads at once, and zmq_poller_fd.
 *
 * The poller must never sleep through a change another thread made: while one thread waits on a SERVER,
 * others receive from it, send through it and ask its ZMQ_EVENTS (each of which drains the socket's
 * mailbox); every message that arrives must still wake the waiting thread within a bound. Several pollers
 * may wait on one thread-safe socket (libzmq's manual allows it): each must wake. zmq_poller_fd is the
 * poller's own fd, readable when a registered thread-safe socket may be ready: EINVAL until the first such
 * socket is added, the same fd afterwards (libzmq keeps its signaler until the poller is destroyed). */
#include "testutil.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <stdbool.h>

#define ROUNDS 30
#define ROUND_MS 1000   /* a round's message must be reported within this */

/* Sends text from a SERVER to the peer rid (ZMQ_DONTWAIT); the result of zmq_msg_send. */
static int server_send(void *server, uint32_t rid, const char *text)
{
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_size(&m, strlen(text)));
    memcpy(zmq_msg_data(&m), text, strlen(text));
    CHECK_OK(zmq_msg_set_routing_id(&m, rid));
    int rc = zmq_msg_send(&m, server, ZMQ_DONTWAIT);
    if (rc < 0)
        zmq_msg_close(&m);
    return rc;
}

/* A SERVER bound on transport and a CLIENT connected to it, with one message through so the connection
 * is up; *rid is the CLIENT's routing id at the SERVER. */
static void pair_up(void *ctx, const char *transport, void **server, void **client, uint32_t *rid)
{
    char ep[TU_ENDPOINT_LEN];
    *server = bound_socket(ctx, ZMQ_SERVER, transport, ep, sizeof ep);
    *client = connected_socket(ctx, ZMQ_CLIENT, ep);
    send_str(*client, "hello");
    CHECK(poll_in(*server, 5000));
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_EQ(zmq_msg_recv(&m, *server, ZMQ_DONTWAIT), 5);
    *rid = zmq_msg_routing_id(&m);
    CHECK(*rid != 0);
    zmq_msg_close(&m);
}

/* 1 if fd is readable within ms. */
static int fd_readable(int fd, int ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc = poll(&pfd, 1, ms);
    CHECK(rc >= 0);
    return rc > 0 && (pfd.revents & POLLIN);
}

/* ---- another thread busy on the polled socket ------------------------------------------------------ */

/* Thread B: asks the SERVER's ZMQ_EVENTS over and over (each ask runs its commands, draining its mailbox
 * fd) and now and then sends through it to the CLIENT, until told to stop. It never receives, so whatever
 * arrives stays for the waiting thread. */
struct busy {
    void *server;
    uint32_t rid;
    atomic_bool stop;
    atomic_int sent;
    atomic_int errors;
};

static void *busy_main(void *arg)
{
    struct busy *b = arg;
    for (unsigned i = 0; !atomic_load(&b->stop); i++) {
        int ev = 0;
        size_t sz = sizeof ev;
        if (zmq_getsockopt(b->server, ZMQ_EVENTS, &ev, &sz) < 0)
            atomic_fetch_add(&b->errors, 1);
        if (i % 64 == 0 && atomic_load(&b->sent) < 500) {
            if (server_send(b->server, b->rid, "from B") >= 0)
                atomic_fetch_add(&b->sent, 1);
            else if (errno != EAGAIN)
                atomic_fetch_add(&b->errors, 1);
        }
        if (i % 16 == 0)
            sched_yield();
    }
    return NULL;
}

/* Thread A: waits with its own poller for each round's message on the SERVER and takes it. */
struct waiter {
    void *server;
    atomic_int taken;      /* messages A received after the poller reported them */
    atomic_int missed;     /* rounds whose message the poller did not report within ROUND_MS */
    atomic_int errors;
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    void *poller = zmq_poller_new();
    if (!poller || zmq_poller_add(poller, w->server, NULL, ZMQ_POLLIN) < 0) {
        atomic_fetch_add(&w->errors, 1);
        return NULL;
    }
    while (atomic_load(&w->taken) + atomic_load(&w->missed) < ROUNDS) {
        zmq_poller_event_t ev;
        if (zmq_poller_wait(poller, &ev, ROUND_MS) < 0) {
            if (errno == EAGAIN)
                atomic_fetch_add(&w->missed, 1);
            else
                atomic_fetch_add(&w->errors, 1);
            continue;
        }
        char buf[32];
        if (ev.socket != w->server || ev.events != ZMQ_POLLIN)
            atomic_fetch_add(&w->errors, 1);
        else if (zmq_recv(w->server, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
            atomic_fetch_add(&w->taken, 1);
    }
    zmq_poller_destroy(&poller);
    return NULL;
}

/* While B keeps draining the SERVER's mailbox, every message the CLIENT sends wakes A's poller: the
 * poller's waiter is signalled by whichever thread runs the commands (core/poller.c invariant 6). Without
 * it A sleeps through most rounds (B takes the wake-up first). */
static void wakes_while_others_use_it(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    uint32_t rid;
    pair_up(ctx, transport, &server, &client, &rid);
    struct busy b = {.server = server, .rid = rid};
    struct waiter w = {.server = server};
    pthread_t tb, ta;
    CHECK_EQ(pthread_create(&tb, NULL, busy_main, &b), 0);
    CHECK_EQ(pthread_create(&ta, NULL, waiter_main, &w), 0);
    for (int round = 0; round < ROUNDS; round++) {
        int done = atomic_load(&w.taken) + atomic_load(&w.missed);
        msleep(3);   /* let A go to sleep in its poller */
        char text[16];
        snprintf(text, sizeof text, "round %d", round);
        send_str(client, text);
        int64_t deadline = now_ms() + 3 * ROUND_MS;
        while (atomic_load(&w.taken) + atomic_load(&w.missed) == done && now_ms() < deadline)
            msleep(1);
    }
    pthread_join(ta, NULL);
    atomic_store(&b.stop, true);
    pthread_join(tb, NULL);
    int errors_a = atomic_load(&w.errors), errors_b = atomic_load(&b.errors);
    int missed = atomic_load(&w.missed), taken = atomic_load(&w.taken);
    CHECK_EQ(errors_a, 0);
    CHECK_EQ(errors_b, 0);
    CHECK_EQ(missed, 0);
    CHECK_EQ(taken, ROUNDS);
    /* B's sends went through the same SERVER meanwhile. */
    int sent = atomic_load(&b.sent), got = 0;
    CHECK(sent > 0);
    char buf[32];
    while (got < sent && recv_timeout(client, buf, sizeof buf, 2000, NULL) >= 0)
        got++;
    CHECK_EQ(got, sent);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- several pollers on one socket ----------------------------------------------------------------- */

#define POLLERS 3

struct watcher {
    void *server;
    atomic_int *reported;   /* rounds this watcher saw POLLIN in */
    atomic_int *round;      /* the round the main thread is in; -1 to stop */
    atomic_int errors;
};

/* Waits for POLLIN (never receiving) once per round, then for the main thread to start the next one. A
 * wait lasts longer than the main thread gives a round, so a missed wake-up is not hidden by a new wait's
 * first look; the context's shutdown ends it. */
static void *watcher_main(void *arg)
{
    struct watcher *w = arg;
    void *poller = zmq_poller_new();
    if (!poller || zmq_poller_add(poller, w->server, NULL, ZMQ_POLLIN) < 0) {
        atomic_fetch_add(&w->errors, 1);
        return NULL;
    }
    for (int seen = 0;;) {
        int round = atomic_load(w->round);
        if (round < 0)
            break;
        if (round < seen) {
            msleep(1);
            continue;
        }
        zmq_poller_event_t ev;
        if (zmq_poller_wait(poller, &ev, 2 * ROUND_MS) < 0) {
            if (errno == ETERM)
                break;
            if (errno != EAGAIN)
                atomic_fetch_add(&w->errors, 1);
        } else if (ev.socket != w->server || ev.events != ZMQ_POLLIN) {
            atomic_fetch_add(&w->errors, 1);
        } else if (atomic_load(w->round) == round) {   /* this round's message, not yet taken */
            atomic_store(w->reported, round + 1);
            seen = round + 1;
        }
    }
    zmq_poller_destroy(&poller);
    return NULL;
}

/* POLLERS threads each wait on the same SERVER with a poller of their own; each message wakes all of
 * them (none receives, so POLLIN stays). The main thread then takes the message. */
static void several_pollers_one_socket(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    uint32_t rid;
    pair_up(ctx, transport, &server, &client, &rid);
    atomic_int round = 0;
    atomic_int reported[POLLERS];
    struct watcher w[POLLERS];
    pthread_t t[POLLERS];
    for (int i = 0; i < POLLERS; i++) {
        atomic_init(&reported[i], 0);
        w[i] = (struct watcher){.server = server, .reported = &reported[i], .round = &round};
        atomic_init(&w[i].errors, 0);
        CHECK_EQ(pthread_create(&t[i], NULL, watcher_main, &w[i]), 0);
    }
    int late = 0;
    for (int r = 0; r < ROUNDS / 3; r++) {
        msleep(5);   /* let them sleep */
        send_str(client, "for everyone");
        int64_t deadline = now_ms() + ROUND_MS;
        for (int i = 0; i < POLLERS; i++)
            while (atomic_load(&reported[i]) <= r && now_ms() < deadline)
                msleep(1);
        for (int i = 0; i < POLLERS; i++)
            late += atomic_load(&reported[i]) <= r;
        char buf[32];
        CHECK_EQ(zmq_recv(server, buf, sizeof buf, ZMQ_DONTWAIT), 12);
        atomic_store(&round, r + 1);
    }
    atomic_store(&round, -1);
    CHECK_OK(zmq_ctx_shutdown(ctx));   /* wakes them (ETERM) */
    for (int i = 0; i < POLLERS; i++) {
        pthread_join(t[i], NULL);
        int errors = atomic_load(&w[i].errors);
        CHECK_EQ(errors, 0);
    }
    CHECK_EQ(late, 0);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- zmq_poller_fd --------------------------------------------------------------------------------- */

/* EINVAL (fd untouched) until a thread-safe socket is added, whatever else is registered; then an open fd,
 * the same one after the socket is removed and while others come and go (libzmq keeps its signaler until
 * the poller is destroyed); EFAULT for a NULL fd or a bad poller; the fd is closed by zmq_poller_destroy. */
static void poller_fd_rules(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *poller = CHECK_PTR(zmq_poller_new());
    zmq_fd_t fd = 12345;
    CHECK_ERR(zmq_poller_fd(poller, &fd), EINVAL);
    void *pair = test_socket(ctx, ZMQ_PAIR);
    int pipefd[2];
    CHECK_OK(pipe(pipefd));
    CHECK_OK(zmq_poller_add(poller, pair, NULL, ZMQ_POLLIN));
    CHECK_OK(zmq_poller_add_fd(poller, pipefd[0], NULL, ZMQ_POLLIN));
    CHECK_ERR(zmq_poller_fd(poller, &fd), EINVAL);
    CHECK_EQ(fd, 12345);
    CHECK_ERR(zmq_poller_fd(poller, NULL), EFAULT);
    CHECK_ERR(zmq_poller_fd(NULL, &fd), EFAULT);
    void *server = test_socket(ctx, ZMQ_SERVER);
    void *client = test_socket(ctx, ZMQ_CLIENT);
    CHECK_OK(zmq_poller_add(poller, server, NULL, 0));   /* no events yet: the fd exists all the same */
    CHECK_OK(zmq_poller_fd(poller, &fd));
    CHECK(fd >= 0 && fd != 12345);
    CHECK(fcntl(fd, F_GETFD) >= 0);
    CHECK_ERR(zmq_poller_fd(poller, NULL), EFAULT);
    CHECK_OK(zmq_poller_add(poller, client, NULL, ZMQ_POLLIN));
    zmq_fd_t again = -1;
    CHECK_OK(zmq_poller_fd(poller, &again));
    CHECK_EQ(again, fd);
    CHECK_OK(zmq_poller_remove(poller, server));
    CHECK_OK(zmq_poller_remove(poller, client));
    again = -1;
    CHECK_OK(zmq_poller_fd(poller, &again));
    CHECK_EQ(again, fd);
    CHECK_EQ(zmq_poller_size(poller), 2);
    CHECK_OK(zmq_poller_destroy(&poller));
    CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
    close(pipefd[0]);
    close(pipefd[1]);
    close_zero_linger(pair);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* Waits with timeout 0 until one finds nothing and leaves the poller's fd quiet: a look that ran commands
 * signals the fd once more (a spurious wake-up is allowed, a lost one is not). */
static void settle(void *poller, zmq_fd_t fd)
{
    zmq_poller_event_t ev[2];
    for (int i = 0; i < 5; i++) {
        CHECK_ERR(zmq_poller_wait_all(poller, ev, 2, 0), EAGAIN);
        if (!fd_readable(fd, 0))
            return;
    }
    CHECK(!fd_readable(fd, 0));
}

/* The fd as an application's event loop uses it: quiet while nothing happens, readable once a message
 * arrives (wait_all with timeout 0 then says which socket), quiet again once that is taken; readable when
 * the context shuts down (wait_all then says ETERM). */
static void poller_fd_wakes(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    uint32_t rid;
    pair_up(ctx, transport, &server, &client, &rid);
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, server, server, ZMQ_POLLIN));
    zmq_fd_t fd;
    CHECK_OK(zmq_poller_fd(poller, &fd));
    settle(poller, fd);
    CHECK(!fd_readable(fd, 100));
    for (int i = 0; i < 5; i++) {
        send_str(client, "wake");
        CHECK(fd_readable(fd, 2000));
        zmq_poller_event_t ev[2];
        CHECK_EQ(CHECK_OK(zmq_poller_wait_all(poller, ev, 2, 0)), 1);
        CHECK(ev[0].socket == server && ev[0].user_data == server && ev[0].events == ZMQ_POLLIN);
        char buf[16];
        CHECK_EQ(zmq_recv(server, buf, sizeof buf, ZMQ_DONTWAIT), 4);
        settle(poller, fd);
    }
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK(fd_readable(fd, 2000));
    zmq_poller_event_t ev;
    CHECK_ERR(zmq_poller_wait(poller, &ev, 0), ETERM);
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* The fd wakes for a message even when another thread drains the socket's mailbox first (B, above): the
 * application polls only the poller's fd. */
static void poller_fd_while_others_use_it(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    uint32_t rid;
    pair_up(ctx, transport, &server, &client, &rid);
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, server, NULL, ZMQ_POLLIN));
    zmq_fd_t fd;
    CHECK_OK(zmq_poller_fd(poller, &fd));
    struct busy b = {.server = server, .rid = rid};
    pthread_t tb;
    CHECK_EQ(pthread_create(&tb, NULL, busy_main, &b), 0);
    int missed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        settle(poller, fd);
        send_str(client, "round");
        if (!fd_readable(fd, ROUND_MS)) {
            missed++;
            continue;
        }
        zmq_poller_event_t ev;
        int64_t deadline = now_ms() + ROUND_MS;   /* readable: a spurious wake-up may come first */
        while (zmq_poller_wait(poller, &ev, 0) < 0 && now_ms() < deadline)
            CHECK(fd_readable(fd, ROUND_MS));
        CHECK(ev.socket == server && ev.events == ZMQ_POLLIN);
        char buf[16];
        CHECK_EQ(zmq_recv(server, buf, sizeof buf, ZMQ_DONTWAIT), 5);
    }
    atomic_store(&b.stop, true);
    pthread_join(tb, NULL);
    int errors = atomic_load(&b.errors);
    CHECK_EQ(errors, 0);
    CHECK_EQ(missed, 0);
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_poller_add of the first thread-safe socket makes the poller's fds; when the process has no fd left
 * it fails with EMFILE (libzmq: its signaler is not valid) and registers nothing; single-threaded sockets
 * need no fd and still go in; once fds are available again the same add succeeds. */
static void add_without_fds(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server = test_socket(ctx, ZMQ_SERVER);
    void *pair = test_socket(ctx, ZMQ_PAIR);
    void *poller = CHECK_PTR(zmq_poller_new());
    struct rlimit old;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &old));
    int lowest = dup(0);   /* the lowest free fd: with the soft limit there, no new fd can be made */
    CHECK(lowest >= 0);
    close(lowest);
    struct rlimit tight = {(rlim_t)lowest, old.rlim_max};
    CHECK_OK(setrlimit(RLIMIT_NOFILE, &tight));
    int rc = zmq_poller_add(poller, server, NULL, ZMQ_POLLIN);
    int err = errno;
    int rc_pair = zmq_poller_add(poller, pair, NULL, ZMQ_POLLIN);
    CHECK_OK(setrlimit(RLIMIT_NOFILE, &old));
    CHECK_EQ(rc, -1);
    CHECK_EQ(err, EMFILE);
    CHECK_EQ(rc_pair, 0);
    CHECK_EQ(zmq_poller_size(poller), 1);
    zmq_fd_t fd;
    CHECK_ERR(zmq_poller_fd(poller, &fd), EINVAL);
    CHECK_OK(zmq_poller_add(poller, server, NULL, ZMQ_POLLIN));
    CHECK_EQ(zmq_poller_size(poller), 2);
    CHECK_OK(zmq_poller_fd(poller, &fd));
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(pair);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* CPU time this thread used, in milliseconds. */
static int64_t thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* With events 0 a thread-safe socket neither wakes the fd nor spins a wait (its unread mailbox would keep
 * waking a poll that then never asks it), and other items are still served; events again: it wakes. */
static void disabled_safe_socket(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    uint32_t rid;
    pair_up(ctx, "tcp", &server, &client, &rid);
    void *poller = CHECK_PTR(zmq_poller_new());
    int pipefd[2];
    CHECK_OK(pipe(pipefd));
    CHECK_OK(zmq_poller_add(poller, server, NULL, ZMQ_POLLIN));
    CHECK_OK(zmq_poller_add_fd(poller, pipefd[0], NULL, ZMQ_POLLIN));
    zmq_fd_t fd;
    CHECK_OK(zmq_poller_fd(poller, &fd));
    settle(poller, fd);
    CHECK_OK(zmq_poller_modify(poller, server, 0));
    send_str(client, "quiet");
    CHECK(!fd_readable(fd, 200));
    zmq_poller_event_t ev;
    int64_t t0 = now_ms(), cpu0 = thread_cpu_ms();
    CHECK_ERR(zmq_poller_wait(poller, &ev, 300), EAGAIN);
    CHECK(now_ms() - t0 >= 290);
    CHECK_INT(thread_cpu_ms() - cpu0, <, 30);   /* a wait that spun would burn most of the 300 ms */
    CHECK_EQ(write(pipefd[1], "x", 1), 1);
    CHECK_OK(zmq_poller_wait(poller, &ev, 1000));
    CHECK(ev.socket == NULL && ev.fd == pipefd[0] && ev.events == ZMQ_POLLIN);
    CHECK_OK(zmq_poller_modify_fd(poller, pipefd[0], 0));
    CHECK_OK(zmq_poller_modify(poller, server, ZMQ_POLLIN));
    CHECK(fd_readable(fd, 2000));
    CHECK_OK(zmq_poller_wait(poller, &ev, 1000));
    CHECK(ev.socket == server && ev.events == ZMQ_POLLIN);
    CHECK_OK(zmq_poller_destroy(&poller));
    close(pipefd[0]);
    close(pipefd[1]);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* The poller's waiter leaves the socket's list on remove and destroy (the socket runs commands afterwards:
 * ASan sees any write through a freed waiter), and a socket closed while still registered (undefined in
 * libzmq's manual, but libzmq's destructor copes) lets the poller be destroyed afterwards. */
static void lifetimes(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    uint32_t rid;
    pair_up(ctx, "tcp", &server, &client, &rid);
    char buf[16];
    for (int how = 0; how < 2; how++) {
        void *poller = CHECK_PTR(zmq_poller_new());
        CHECK_OK(zmq_poller_add(poller, server, NULL, ZMQ_POLLIN));
        CHECK_OK(zmq_poller_add(poller, client, NULL, ZMQ_POLLIN));
        if (how == 0)
            CHECK_OK(zmq_poller_remove(poller, server));
        else
            CHECK_OK(zmq_poller_destroy(&poller));
        send_str(client, "after");
        CHECK(poll_in(server, 2000));
        CHECK_EQ(zmq_recv(server, buf, sizeof buf, ZMQ_DONTWAIT), 5);
        if (poller)
            CHECK_OK(zmq_poller_destroy(&poller));
    }
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, server, NULL, ZMQ_POLLIN));
    CHECK_OK(zmq_poller_add(poller, client, NULL, ZMQ_POLLIN));
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_poller_destroy(&poller));
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(240);
    RUN_TRANSPORTS(wakes_while_others_use_it);
    RUN_TRANSPORTS(several_pollers_one_socket);
    RUN(poller_fd_rules);
    RUN(add_without_fds);
    RUN_TRANSPORTS(poller_fd_wakes);
    RUN_TRANSPORTS(poller_fd_while_others_use_it);
    RUN(disabled_safe_socket);
    RUN(lifetimes);
    return test_end();
}
