/* zmq_poller_* (libzmq's draft poller, doc/zmq_poller.txt): every function, every documented errno, sockets
 * over inproc, ipc and tcp, plain fds (pipes and a tcp pair), POLLOUT at a full high-water mark, more
 * ready items than room for events, removal while in use, destroy with items registered, timeouts
 * measured, ETERM after zmq_ctx_shutdown and EINTR from a signal. */
#include "testutil.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>

static int tag_a, tag_b, tag_c; /* user_data: their addresses */

/* A connected PAIR pair over transport; *a binds, *b connects; a message from b reaches a. */
static void pair_over(void *ctx, const char *transport, void **a, void **b)
{
    char ep[256];
    *a = bound_socket(ctx, ZMQ_PAIR, transport, ep, sizeof ep);
    *b = connected_socket(ctx, ZMQ_PAIR, ep);
}

/* Waits with zmq_poller_wait_all and requires exactly one event, which it returns. */
static zmq_poller_event_t wait_one(void *poller, long timeout)
{
    zmq_poller_event_t ev[4];
    memset(ev, 0x5a, sizeof ev);
    CHECK_EQ(zmq_poller_wait_all(poller, ev, 4, timeout), 1);
    return ev[0];
}

/* Waits (up to 2 s) until one wait_all reports n events into ev (room for n + 1). */
static void await_events(void *poller, zmq_poller_event_t *ev, int n)
{
    int64_t deadline = now_ms() + 2000;
    int rc;
    do
        rc = zmq_poller_wait_all(poller, ev, n + 1, 50);
    while (rc != n && now_ms() < deadline);
    CHECK_EQ(rc, n);
}

static void check_event(zmq_poller_event_t ev, void *socket, int fd, void *user_data, short events)
{
    CHECK(ev.socket == socket);
    CHECK_EQ(ev.fd, fd);
    CHECK(ev.user_data == user_data);
    CHECK_EQ(ev.events, events);
}

/* ---- lifetime and handles --------------------------------------------------------------------------- */

static void new_size_destroy(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_EQ(zmq_poller_size(poller), 0);
    void *s = test_socket(ctx, ZMQ_PAIR);
    int fds[2];
    CHECK_OK(pipe(fds));
    CHECK_OK(zmq_poller_add(poller, s, &tag_a, ZMQ_POLLIN));
    CHECK_EQ(zmq_poller_size(poller), 1);
    CHECK_OK(zmq_poller_add_fd(poller, fds[0], NULL, 0));
    CHECK_EQ(zmq_poller_size(poller), 2);
    CHECK_OK(zmq_poller_modify(poller, s, 0)); /* events do not count */
    CHECK_EQ(zmq_poller_size(poller), 2);
    /* destroy with items registered: they are released, and set the handle to NULL */
    CHECK_OK(zmq_poller_destroy(&poller));
    CHECK(poller == NULL);
    CHECK_ERR(zmq_poller_destroy(&poller), EFAULT); /* the second destroy of the same handle */
    CHECK_ERR(zmq_poller_destroy(NULL), EFAULT);
    /* the socket and fd are untouched and usable */
    CHECK_EQ(write(fds[1], "x", 1), 1);
    void *again = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(again, s, NULL, ZMQ_POLLOUT));
    CHECK_OK(zmq_poller_add_fd(again, fds[0], &tag_b, ZMQ_POLLIN));
    check_event(wait_one(again, 1000), NULL, fds[0], &tag_b, ZMQ_POLLIN);
    CHECK_OK(zmq_poller_destroy(&again));
    close(fds[0]);
    close(fds[1]);
    close_zero_linger(s);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void bad_poller_is_efault(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *s = test_socket(ctx, ZMQ_PAIR);
    uint64_t not_a_poller[8] = {0};
    void *bad[] = {NULL, not_a_poller, s};
    zmq_poller_event_t ev;
    zmq_fd_t fd;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *p = bad[i];
        CHECK_ERR(zmq_poller_size(p), EFAULT);
        CHECK_ERR(zmq_poller_add(p, s, NULL, ZMQ_POLLIN), EFAULT);
        CHECK_ERR(zmq_poller_modify(p, s, ZMQ_POLLIN), EFAULT);
        CHECK_ERR(zmq_poller_remove(p, s), EFAULT);
        CHECK_ERR(zmq_poller_add_fd(p, 0, NULL, ZMQ_POLLIN), EFAULT);
        CHECK_ERR(zmq_poller_modify_fd(p, 0, ZMQ_POLLIN), EFAULT);
        CHECK_ERR(zmq_poller_remove_fd(p, 0), EFAULT);
        CHECK_ERR(zmq_poller_wait(p, &ev, 0), EFAULT);
        CHECK_ERR(zmq_poller_wait_all(p, &ev, 1, 0), EFAULT);
        CHECK_ERR(zmq_poller_fd(p, &fd), EFAULT);
        void *pp = p;
        CHECK_ERR(zmq_poller_destroy(&pp), EFAULT);
        CHECK(pp == p);
    }
    close_zero_linger(s);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void bad_arguments(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *poller = CHECK_PTR(zmq_poller_new());
    uint64_t not_a_socket[16] = {0};
    void *bad[] = {NULL, not_a_socket, ctx, poller};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_ERR(zmq_poller_add(poller, bad[i], NULL, ZMQ_POLLIN), ENOTSOCK);
        CHECK_ERR(zmq_poller_modify(poller, bad[i], ZMQ_POLLIN), ENOTSOCK);
        CHECK_ERR(zmq_poller_remove(poller, bad[i]), ENOTSOCK);
    }
    /* the retired fd */
    CHECK_ERR(zmq_poller_add_fd(poller, -1, NULL, ZMQ_POLLIN), EBADF);
    CHECK_ERR(zmq_poller_modify_fd(poller, -1, ZMQ_POLLIN), EBADF);
    CHECK_ERR(zmq_poller_remove_fd(poller, -1), EBADF);
    /* events other than POLLIN, POLLOUT, POLLERR, POLLPRI */
    void *s = test_socket(ctx, ZMQ_PAIR);
    CHECK_ERR(zmq_poller_add(poller, s, NULL, 0x100), EINVAL);
    CHECK_ERR(zmq_poller_add_fd(poller, 0, NULL, ZMQ_POLLIN | 0x40), EINVAL);
    CHECK_EQ(zmq_poller_size(poller), 0);
    CHECK_OK(zmq_poller_add(poller, s, NULL, ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR | ZMQ_POLLPRI));
    CHECK_OK(zmq_poller_add_fd(poller, 0, NULL, ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR | ZMQ_POLLPRI));
    CHECK_ERR(zmq_poller_modify(poller, s, 0x100), EINVAL);
    CHECK_ERR(zmq_poller_modify_fd(poller, 0, 0x100), EINVAL);
    /* the events array */
    zmq_poller_event_t ev[2];
    CHECK_ERR(zmq_poller_wait_all(poller, NULL, 1, 0), EFAULT);
    CHECK_ERR(zmq_poller_wait(poller, NULL, 0), EFAULT);
    CHECK_ERR(zmq_poller_wait_all(poller, ev, -1, 0), EINVAL);
    /* no thread-safe socket registered: the poller has no fd of its own */
    zmq_fd_t fd = 12345;
    CHECK_ERR(zmq_poller_fd(poller, &fd), EINVAL);
    CHECK_EQ(fd, 12345);
    CHECK_ERR(zmq_poller_fd(poller, NULL), EFAULT);
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(s);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- registration ----------------------------------------------------------------------------------- */

static void registration_rules(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *poller = CHECK_PTR(zmq_poller_new());
    void *s = test_socket(ctx, ZMQ_PAIR), *other = test_socket(ctx, ZMQ_PAIR);
    int fds[2];
    CHECK_OK(pipe(fds));
    /* not registered yet: modify and remove are EINVAL */
    CHECK_ERR(zmq_poller_modify(poller, s, ZMQ_POLLIN), EINVAL);
    CHECK_ERR(zmq_poller_remove(poller, s), EINVAL);
    CHECK_ERR(zmq_poller_modify_fd(poller, fds[0], ZMQ_POLLIN), EINVAL);
    CHECK_ERR(zmq_poller_remove_fd(poller, fds[0]), EINVAL);
    /* a duplicate add is EINVAL and changes nothing */
    CHECK_OK(zmq_poller_add(poller, s, NULL, 0));
    CHECK_ERR(zmq_poller_add(poller, s, NULL, ZMQ_POLLIN), EINVAL);
    CHECK_OK(zmq_poller_add_fd(poller, fds[0], NULL, ZMQ_POLLIN));
    CHECK_ERR(zmq_poller_add_fd(poller, fds[0], NULL, ZMQ_POLLIN), EINVAL);
    CHECK_EQ(zmq_poller_size(poller), 2);
    /* a socket's ZMQ_FD is a plain fd like any other: both registrations are allowed */
    int sfd = get_int(s, ZMQ_FD);
    CHECK_OK(zmq_poller_add_fd(poller, sfd, NULL, 0));
    CHECK_ERR(zmq_poller_remove_fd(poller, fds[1]), EINVAL); /* an fd is not its neighbour */
    CHECK_ERR(zmq_poller_remove(poller, other), EINVAL);
    CHECK_OK(zmq_poller_remove_fd(poller, sfd));
    /* remove, then the same calls are EINVAL again, and a new add is fine */
    CHECK_OK(zmq_poller_remove(poller, s));
    CHECK_ERR(zmq_poller_remove(poller, s), EINVAL);
    CHECK_ERR(zmq_poller_modify(poller, s, ZMQ_POLLIN), EINVAL);
    CHECK_OK(zmq_poller_remove_fd(poller, fds[0]));
    CHECK_ERR(zmq_poller_remove_fd(poller, fds[0]), EINVAL);
    CHECK_EQ(zmq_poller_size(poller), 0);
    CHECK_OK(zmq_poller_add(poller, s, NULL, ZMQ_POLLIN));
    CHECK_EQ(zmq_poller_size(poller), 1);
    CHECK_OK(zmq_poller_destroy(&poller));
    close(fds[0]);
    close(fds[1]);
    close_zero_linger(s);
    close_zero_linger(other);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* Many registrations, removed in a scrambled order: each stays findable (modify succeeds) exactly until
 * it is removed, and the user_data reported is always the item's own. */
#define MANY 300
static void many_items(void)
{
    void *poller = CHECK_PTR(zmq_poller_new());
    int base = open("/dev/null", O_RDONLY);
    CHECK(base >= 0);
    /* fd numbers need not be open to be registered; we never wait on them with events set */
    int fd[MANY];
    for (int i = 0; i < MANY; i++) {
        fd[i] = 1000 + i * 7;
        CHECK_OK(zmq_poller_add_fd(poller, fd[i], &fd[i], 0));
    }
    CHECK_EQ(zmq_poller_size(poller), MANY);
    int removed[MANY] = {0};
    for (int k = 0; k < MANY; k++) {
        int i = (k * 37) % MANY; /* 37 is prime to 300: a permutation */
        CHECK_OK(zmq_poller_remove_fd(poller, fd[i]));
        removed[i] = 1;
        CHECK_EQ(zmq_poller_size(poller), MANY - k - 1);
        if (k % 50 == 0)
            for (int j = 0; j < MANY; j++) {
                if (removed[j])
                    CHECK_ERR(zmq_poller_modify_fd(poller, fd[j], 0), EINVAL);
                else
                    CHECK_OK(zmq_poller_modify_fd(poller, fd[j], 0));
            }
        if (k == MANY / 2) {
            /* the one real fd among them reports its own user_data */
            CHECK_OK(zmq_poller_add_fd(poller, base, &base, ZMQ_POLLIN));
            check_event(wait_one(poller, 0), NULL, base, &base, ZMQ_POLLIN);
            CHECK_OK(zmq_poller_remove_fd(poller, base));
        }
    }
    CHECK_OK(zmq_poller_destroy(&poller));
    close(base);
}

/* Ready pipes removed (and some disabled) in a scrambled order: after every change a wait reports exactly
 * the items still registered and enabled, each with its own user_data. */
#define NPIPES 48
static void removal_keeps_the_rest(void)
{
    void *poller = CHECK_PTR(zmq_poller_new());
    int rd[NPIPES], wr[NPIPES], state[NPIPES]; /* state: 1 registered and enabled, 2 disabled, 0 removed */
    for (int i = 0; i < NPIPES; i++) {
        int fds[2];
        CHECK_OK(pipe(fds));
        rd[i] = fds[0];
        wr[i] = fds[1];
        CHECK_EQ(write(wr[i], "r", 1), 1);
        CHECK_OK(zmq_poller_add_fd(poller, rd[i], &rd[i], ZMQ_POLLIN));
        state[i] = 1;
    }
    zmq_poller_event_t ev[NPIPES + 1];
    for (int k = 0; k < NPIPES; k++) {
        int i = (k * 29) % NPIPES; /* 29 is prime to 48 */
        if (k % 3 == 1 && state[i] == 1) {
            CHECK_OK(zmq_poller_modify_fd(poller, rd[i], 0));
            state[i] = 2;
        } else {
            CHECK_OK(zmq_poller_remove_fd(poller, rd[i]));
            state[i] = 0;
        }
        int want = 0, registered = 0;
        for (int j = 0; j < NPIPES; j++) {
            want += state[j] == 1;
            registered += state[j] != 0;
        }
        CHECK_EQ(zmq_poller_size(poller), registered);
        int got = want ? zmq_poller_wait_all(poller, ev, NPIPES + 1, 0) : 0;
        CHECK_EQ(got, want);
        for (int e = 0; e < got; e++) {
            int j = (int)((int *)ev[e].user_data - rd);
            CHECK(j >= 0 && j < NPIPES);
            CHECK_EQ(state[j], 1);
            check_event(ev[e], NULL, rd[j], &rd[j], ZMQ_POLLIN);
        }
    }
    for (int i = 0; i < NPIPES; i++) {
        if (state[i] == 2)
            CHECK_OK(zmq_poller_remove_fd(poller, rd[i]));
        CHECK_ERR(zmq_poller_remove_fd(poller, rd[i]), EINVAL);
        close(rd[i]);
        close(wr[i]);
    }
    CHECK_EQ(zmq_poller_size(poller), 0);
    CHECK_OK(zmq_poller_destroy(&poller));
}

/* ---- sockets ---------------------------------------------------------------------------------------- */

/* Level-triggered POLLIN and POLLOUT on sockets, with user_data, over every transport. */
static void socket_events_over(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a, *b;
    pair_over(ctx, transport, &a, &b);
    void *poller = CHECK_PTR(zmq_poller_new());
    zmq_poller_event_t ev;
    /* POLLERR and POLLPRI mean nothing for sockets and are never reported */
    CHECK_OK(zmq_poller_add(poller, a, &tag_a, ZMQ_POLLIN | ZMQ_POLLERR | ZMQ_POLLPRI));
    CHECK_ERR(zmq_poller_wait(poller, &ev, 0), EAGAIN);
    CHECK(ev.socket == NULL && ev.fd == -1 && ev.user_data == NULL && ev.events == 0);
    /* one message of two frames: when the first is readable, the second is there too (messages are
     * atomic), so what follows does not depend on when bytes arrive */
    send_str_more(b, "one");
    send_str(b, "two");
    CHECK_OK(zmq_poller_wait(poller, &ev, 2000));
    check_event(ev, a, -1, &tag_a, ZMQ_POLLIN);
    /* level-triggered: still readable after one frame of two is taken (no signal on its fd meanwhile) */
    recv_expect_more(a, "one");
    check_event(wait_one(poller, 0), a, -1, &tag_a, ZMQ_POLLIN);
    check_event(wait_one(poller, 0), a, -1, &tag_a, ZMQ_POLLIN);
    recv_expect(a, "two");
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 0), EAGAIN);
    /* b: POLLOUT once connected; POLLIN|POLLOUT together in one event */
    CHECK_OK(zmq_poller_add(poller, b, &tag_b, ZMQ_POLLIN | ZMQ_POLLOUT));
    check_event(wait_one(poller, 2000), b, -1, &tag_b, ZMQ_POLLOUT);
    send_str(a, "back");
    int64_t deadline = now_ms() + 2000;
    do
        ev = wait_one(poller, 2000);
    while (ev.events != (ZMQ_POLLIN | ZMQ_POLLOUT) && now_ms() < deadline);
    check_event(ev, b, -1, &tag_b, ZMQ_POLLIN | ZMQ_POLLOUT);
    /* modify replaces the events: POLLOUT only, then nothing at all though b is readable */
    CHECK_OK(zmq_poller_modify(poller, b, ZMQ_POLLOUT));
    check_event(wait_one(poller, 0), b, -1, &tag_b, ZMQ_POLLOUT);
    CHECK_OK(zmq_poller_modify(poller, b, 0));
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 0), EAGAIN);
    CHECK_OK(zmq_poller_modify(poller, b, ZMQ_POLLIN));
    check_event(wait_one(poller, 0), b, -1, &tag_b, ZMQ_POLLIN);
    recv_expect(b, "back");
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(a);
    close_zero_linger(b);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A message arriving while the poller sleeps wakes it (the socket's fd fired). */
struct delayed_send {
    void *sock;
    int delay_ms;
};

static void *send_later(void *arg)
{
    struct delayed_send *d = arg;
    msleep(d->delay_ms);
    send_str(d->sock, "late");
    return NULL;
}

static void wakes_on_arrival(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a, *b;
    pair_over(ctx, transport, &a, &b);
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, a, &tag_a, ZMQ_POLLIN));
    struct delayed_send d = {b, 100};
    pthread_t t;
    int64_t start = now_ms(); /* before the sender starts its 100 ms */
    CHECK_EQ(pthread_create(&t, NULL, send_later, &d), 0);
    check_event(wait_one(poller, -1), a, -1, &tag_a, ZMQ_POLLIN);
    CHECK_INT(now_ms() - start, >=, 99);
    CHECK_EQ(pthread_join(t, NULL), 0);
    recv_expect(a, "late");
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(a);
    close_zero_linger(b);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A REQ that received with blocking zmq_recv calls (zinc may then read its connection itself and leave
 * the fd out of the I/O thread's epoll) and then waits for a reply through the poller sees it as promptly
 * as ever: the median wait stays far below the 5-10 ms a connection left unheard would add. */
static void *echo_until_stop(void *rep)
{
    char buf[16];
    for (;;) {
        int n = zmq_recv(rep, buf, sizeof buf, 0);
        if (n < 0)
            return NULL;
        CHECK_EQ(zmq_send(rep, buf, (size_t)n, 0), n);
        if (n == 4 && memcmp(buf, "stop", 4) == 0)
            return NULL;
    }
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

#define ECHO_ROUNDS 40
static void reply_after_blocking_recvs(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[256], buf[16];
    void *rep = bound_socket(ctx, ZMQ_REP, transport, ep, sizeof ep);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, echo_until_stop, rep), 0);
    void *req = connected_socket(ctx, ZMQ_REQ, ep);
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, req, &tag_a, ZMQ_POLLIN));
    int64_t waited[ECHO_ROUNDS];
    for (int round = 0; round < ECHO_ROUNDS; round++) {
        for (int i = 0; i < 3; i++) {
            send_str(req, "block");
            CHECK_EQ(zmq_recv(req, buf, sizeof buf, 0), 5);
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        send_str(req, "await");
        check_event(wait_one(poller, 2000), req, -1, &tag_a, ZMQ_POLLIN);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        waited[round] = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
        CHECK_EQ(zmq_recv(req, buf, sizeof buf, ZMQ_DONTWAIT), 5);
    }
    qsort(waited, ECHO_ROUNDS, sizeof waited[0], cmp_i64);
    CHECK_INT(waited[ECHO_ROUNDS / 2], <, 2500);
    send_str(req, "stop");
    CHECK_EQ(zmq_recv(req, buf, sizeof buf, 0), 4);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(req);
    close_zero_linger(rep);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* PUSH at its high-water mark: no POLLOUT until the PULL takes messages. */
static void pollout_at_hwm(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[256];
    void *pull = test_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_RCVHWM, 2);
    set_int(pull, ZMQ_RCVBUF, 4096);
    bind_transport(pull, transport, ep, sizeof ep);
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_SNDHWM, 2);
    set_int(push, ZMQ_SNDBUF, 4096);
    CHECK_OK(zmq_connect(push, ep));
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, push, &tag_a, ZMQ_POLLOUT));
    check_event(wait_one(poller, 2000), push, -1, &tag_a, ZMQ_POLLOUT);
    /* fill every queue (and, over tcp and ipc, the kernel's buffers) until POLLOUT stays away 100 ms */
    char msg[1024] = {0};
    zmq_poller_event_t ev;
    int64_t deadline = now_ms() + 10000, took;
    for (;;) {
        while (zmq_send(push, msg, sizeof msg, ZMQ_DONTWAIT) == (int)sizeof msg) {
        }
        CHECK_EQ(errno, EAGAIN);
        int64_t start = now_ms();
        if (zmq_poller_wait_all(poller, &ev, 1, 100) == -1) {
            CHECK_EQ(errno, EAGAIN);
            took = now_ms() - start;
            break;
        }
        check_event(ev, push, -1, &tag_a, ZMQ_POLLOUT);
        CHECK_INT(now_ms(), <, deadline);
    }
    CHECK_INT(took, >=, 95);
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 0), EAGAIN);
    /* drain the PULL until the PUSH is writable again */
    deadline = now_ms() + 5000;
    int rc;
    char buf[1024];
    do {
        while (zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
        }
        rc = zmq_poller_wait_all(poller, &ev, 1, 10);
    } while (rc != 1 && now_ms() < deadline);
    CHECK_EQ(rc, 1);
    check_event(ev, push, -1, &tag_a, ZMQ_POLLOUT);
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(push);
    close_zero_linger(pull);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- plain fds -------------------------------------------------------------------------------------- */

static void pipe_fds(void)
{
    void *poller = CHECK_PTR(zmq_poller_new());
    int fds[2];
    CHECK_OK(pipe(fds));
    zmq_poller_event_t ev;
    CHECK_OK(zmq_poller_add_fd(poller, fds[0], &tag_a, ZMQ_POLLIN));
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 0), EAGAIN);
    CHECK_OK(zmq_poller_add_fd(poller, fds[1], &tag_b, ZMQ_POLLOUT));
    check_event(wait_one(poller, 0), NULL, fds[1], &tag_b, ZMQ_POLLOUT);
    CHECK_OK(zmq_poller_modify_fd(poller, fds[1], 0));
    CHECK_EQ(write(fds[1], "ab", 2), 2);
    check_event(wait_one(poller, 0), NULL, fds[0], &tag_a, ZMQ_POLLIN);
    check_event(wait_one(poller, 0), NULL, fds[0], &tag_a, ZMQ_POLLIN); /* level-triggered */
    char buf[2];
    CHECK_EQ(read(fds[0], buf, 2), 2);
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 0), EAGAIN);
    /* the writer goes: POLLHUP is reported as ZMQ_POLLERR, asked for or not */
    CHECK_OK(zmq_poller_remove_fd(poller, fds[1]));
    close(fds[1]);
    check_event(wait_one(poller, 0), NULL, fds[0], &tag_a, ZMQ_POLLERR);
    /* a disabled fd reports nothing, not even its hang-up */
    CHECK_OK(zmq_poller_modify_fd(poller, fds[0], 0));
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 0), EAGAIN);
    CHECK_OK(zmq_poller_destroy(&poller));
    close(fds[0]);
}

/* A tcp pair of plain sockets: POLLOUT, POLLIN, and POLLPRI for urgent (out-of-band) data. */
static void tcp_fds_pollpri(void)
{
    int lst = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(lst >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_OK(bind(lst, (struct sockaddr *)&sa, sizeof sa));
    CHECK_OK(listen(lst, 1));
    socklen_t sl = sizeof sa;
    CHECK_OK(getsockname(lst, (struct sockaddr *)&sa, &sl));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_OK(connect(c, (struct sockaddr *)&sa, sizeof sa));
    int srv = accept(lst, NULL, NULL);
    CHECK(srv >= 0);
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add_fd(poller, c, &tag_a, ZMQ_POLLOUT));
    CHECK_OK(zmq_poller_add_fd(poller, srv, &tag_b, ZMQ_POLLPRI));
    check_event(wait_one(poller, 1000), NULL, c, &tag_a, ZMQ_POLLOUT);
    CHECK_OK(zmq_poller_modify_fd(poller, c, 0));
    CHECK_EQ(send(c, "u", 1, MSG_OOB | MSG_NOSIGNAL), 1);
    check_event(wait_one(poller, 1000), NULL, srv, &tag_b, ZMQ_POLLPRI);
    CHECK_OK(zmq_poller_modify_fd(poller, srv, ZMQ_POLLIN));
    CHECK_EQ(send(c, "d", 1, MSG_NOSIGNAL), 1);
    zmq_poller_event_t ev = wait_one(poller, 1000);
    CHECK(ev.fd == srv && (ev.events & ZMQ_POLLIN));
    CHECK_OK(zmq_poller_destroy(&poller));
    close(c);
    close(srv);
    close(lst);
}

/* A socket and a plain fd in one poller, both ready: one wait_all reports both. */
static void sockets_and_fds(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a, *b;
    pair_over(ctx, "inproc", &a, &b);
    int fds[2];
    CHECK_OK(pipe(fds));
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, a, &tag_a, ZMQ_POLLIN));
    CHECK_OK(zmq_poller_add_fd(poller, fds[0], &tag_b, ZMQ_POLLIN));
    send_str(b, "m");
    CHECK_EQ(write(fds[1], "x", 1), 1);
    zmq_poller_event_t ev[3];
    await_events(poller, ev, 2);
    int sock_at = ev[0].socket ? 0 : 1;
    check_event(ev[sock_at], a, -1, &tag_a, ZMQ_POLLIN);
    check_event(ev[1 - sock_at], NULL, fds[0], &tag_b, ZMQ_POLLIN);
    CHECK_OK(zmq_poller_destroy(&poller));
    close(fds[0]);
    close(fds[1]);
    close_zero_linger(a);
    close_zero_linger(b);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- more ready than room, removal while in use --------------------------------------------------- */

static void *find_socket(zmq_poller_event_t *ev, int n, void *s)
{
    for (int i = 0; i < n; i++)
        if (ev[i].socket == s)
            return &ev[i];
    return NULL;
}

static void more_ready_than_events(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *rx[3], *tx[3];
    int *tags[3] = {&tag_a, &tag_b, &tag_c};
    void *poller = CHECK_PTR(zmq_poller_new());
    for (int i = 0; i < 3; i++) {
        pair_over(ctx, "inproc", &rx[i], &tx[i]);
        CHECK_OK(zmq_poller_add(poller, rx[i], tags[i], ZMQ_POLLIN));
        send_str(tx[i], "ready");
    }
    zmq_poller_event_t ev[8];
    await_events(poller, ev, 3);
    CHECK_EQ(zmq_poller_wait_all(poller, ev, 3, 0), 3);
    CHECK_EQ(zmq_poller_wait_all(poller, ev, 8, 0), 3);
    CHECK_EQ(zmq_poller_wait_all(poller, ev, 2, 0), 2);
    CHECK(ev[0].socket != ev[1].socket);
    /* one at a time: every ready socket is reported in turn, none starved */
    void *seen[3];
    for (int k = 0; k < 3; k++) {
        CHECK_EQ(zmq_poller_wait_all(poller, ev, 1, 0), 1);
        seen[k] = ev[0].socket;
        int i = ev[0].socket == rx[0] ? 0 : ev[0].socket == rx[1] ? 1 : 2;
        check_event(ev[0], rx[i], -1, tags[i], ZMQ_POLLIN);
    }
    CHECK(seen[0] != seen[1] && seen[1] != seen[2] && seen[0] != seen[2]);
    /* zmq_poller_wait is wait_all for one event, and returns 0 */
    zmq_poller_event_t one;
    CHECK_EQ(zmq_poller_wait(poller, &one, 0), 0);
    CHECK(one.socket != NULL && one.events == ZMQ_POLLIN);
    /* n_events 0 leaves no room for anything: it times out (never blocks forever) */
    CHECK_ERR(zmq_poller_wait_all(poller, ev, 0, 0), EAGAIN);
    CHECK_ERR(zmq_poller_wait_all(poller, ev, 0, -1), EFAULT);

    /* remove a ready socket in the middle: it is no longer reported, the others keep their user_data */
    CHECK_OK(zmq_poller_remove(poller, rx[1]));
    CHECK_EQ(zmq_poller_wait_all(poller, ev, 8, 0), 2);
    CHECK(find_socket(ev, 2, rx[1]) == NULL);
    check_event(*(zmq_poller_event_t *)find_socket(ev, 2, rx[0]), rx[0], -1, &tag_a, ZMQ_POLLIN);
    check_event(*(zmq_poller_event_t *)find_socket(ev, 2, rx[2]), rx[2], -1, &tag_c, ZMQ_POLLIN);
    /* once removed, a socket may be closed while the poller goes on */
    close_zero_linger(rx[1]);
    close_zero_linger(tx[1]);
    recv_expect(rx[0], "ready");
    check_event(wait_one(poller, 0), rx[2], -1, &tag_c, ZMQ_POLLIN);
    CHECK_OK(zmq_poller_remove(poller, rx[2]));
    CHECK_ERR(zmq_poller_wait_all(poller, ev, 8, 0), EAGAIN);
    send_str(tx[0], "again");
    check_event(wait_one(poller, 2000), rx[0], -1, &tag_a, ZMQ_POLLIN);
    CHECK_OK(zmq_poller_destroy(&poller));
    for (int i = 0; i < 3; i += 2) {
        close_zero_linger(rx[i]);
        close_zero_linger(tx[i]);
    }
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- timeouts, ETERM, EINTR ------------------------------------------------------------------------- */

static void timeouts(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *poller = CHECK_PTR(zmq_poller_new());
    zmq_poller_event_t ev;
    /* empty: -1 would block forever, so EFAULT; 0 and positive time out with EAGAIN */
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, -1), EFAULT);
    CHECK_ERR(zmq_poller_wait(poller, &ev, -1), EFAULT);
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 0), EAGAIN);
    int64_t start = now_ms();
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 100), EAGAIN);
    int64_t took = now_ms() - start;
    CHECK_INT(took, >=, 95);
    CHECK_INT(took, <, 1000);
    /* every item disabled: the same */
    void *s = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_poller_add(poller, s, NULL, 0));
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, -1), EFAULT);
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 0), EAGAIN);
    /* an item that never becomes ready: 0 returns at once, 150 ms waits about that long */
    CHECK_OK(zmq_poller_modify(poller, s, ZMQ_POLLIN));
    start = now_ms();
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, 0), EAGAIN);
    CHECK_INT(now_ms() - start, <, 100);
    start = now_ms();
    CHECK_ERR(zmq_poller_wait(poller, &ev, 150), EAGAIN);
    took = now_ms() - start;
    CHECK_INT(took, >=, 145);
    CHECK_INT(took, <, 1500);
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(s);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void *shutdown_later(void *ctx)
{
    msleep(100);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    return NULL;
}

static void eterm_after_shutdown(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a, *b;
    pair_over(ctx, transport, &a, &b);
    int fds[2];
    CHECK_OK(pipe(fds));
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add_fd(poller, fds[0], NULL, ZMQ_POLLIN));
    CHECK_OK(zmq_poller_add(poller, a, NULL, ZMQ_POLLIN));
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, shutdown_later, ctx), 0);
    zmq_poller_event_t ev[2];
    /* blocked forever on an idle socket: the shutdown wakes it with ETERM */
    CHECK_ERR(zmq_poller_wait_all(poller, ev, 2, -1), ETERM);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_ERR(zmq_poller_wait_all(poller, ev, 2, 0), ETERM);
    CHECK_ERR(zmq_poller_wait(poller, ev, 0), ETERM);
    /* a socket that has not seen the stop yet reports it too, once registered */
    CHECK_OK(zmq_poller_remove(poller, a));
    CHECK_OK(zmq_poller_add(poller, b, NULL, ZMQ_POLLOUT));
    CHECK_ERR(zmq_poller_wait_all(poller, ev, 2, 0), ETERM);
    CHECK_OK(zmq_poller_destroy(&poller));
    close(fds[0]);
    close(fds[1]);
    close_zero_linger(a);
    close_zero_linger(b);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void *term_now(void *ctx)
{
    CHECK_OK(zmq_ctx_term(ctx)); /* returns once the main thread has closed its sockets */
    return NULL;
}

/* zmq_ctx_term in another thread: the blocked wait returns ETERM, and once the socket is removed and
 * closed, the term completes. */
static void eterm_from_ctx_term(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a, *b;
    pair_over(ctx, "inproc", &a, &b);
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, a, NULL, ZMQ_POLLIN));
    CHECK_OK(zmq_poller_add(poller, b, NULL, ZMQ_POLLIN));
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, term_now, ctx), 0);
    zmq_poller_event_t ev[2];
    CHECK_ERR(zmq_poller_wait_all(poller, ev, 2, -1), ETERM);
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(a);
    close_zero_linger(b);
    CHECK_EQ(pthread_join(t, NULL), 0);
}

static volatile sig_atomic_t signals_seen;
static void on_usr1(int sig)
{
    (void)sig;
    signals_seen++;
}

struct signaller {
    pthread_t target;
    atomic_int stop;
};

/* Signals the waiting thread every 50 ms until told to stop (the first may land before it sleeps). */
static void *signal_repeatedly(void *arg)
{
    struct signaller *sg = arg;
    for (int i = 0; i < 100 && !atomic_load(&sg->stop); i++) {
        msleep(50);
        if (!atomic_load(&sg->stop))
            pthread_kill(sg->target, SIGUSR1);
    }
    return NULL;
}

static void eintr_by_signal(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* poll(2) is never restarted: EINTR even so */
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a, *b;
    pair_over(ctx, "tcp", &a, &b);
    int fds[2];
    CHECK_OK(pipe(fds));
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, a, NULL, ZMQ_POLLIN));
    CHECK_OK(zmq_poller_add_fd(poller, fds[0], NULL, ZMQ_POLLIN));
    struct signaller sg = {.target = pthread_self()};
    atomic_init(&sg.stop, 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, signal_repeatedly, &sg), 0);
    zmq_poller_event_t ev;
    CHECK_ERR(zmq_poller_wait_all(poller, &ev, 1, -1), EINTR);
    atomic_store(&sg.stop, 1);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_INT(signals_seen, >=, 1);
    /* and the poller works on afterwards */
    send_str(b, "after");
    check_event(wait_one(poller, 2000), a, -1, NULL, ZMQ_POLLIN);
    CHECK_OK(zmq_poller_destroy(&poller));
    close(fds[0]);
    close(fds[1]);
    close_zero_linger(a);
    close_zero_linger(b);
    CHECK_OK(zmq_ctx_term(ctx));
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    test_begin(60);
    RUN(new_size_destroy);
    RUN(bad_poller_is_efault);
    RUN(bad_arguments);
    RUN(registration_rules);
    RUN(many_items);
    RUN(removal_keeps_the_rest);
    RUN_TRANSPORTS(socket_events_over);
    RUN_TRANSPORTS(wakes_on_arrival);
    RUN_TRANSPORTS(pollout_at_hwm);
    RUN_TRANSPORTS(reply_after_blocking_recvs);
    RUN(pipe_fds);
    RUN(tcp_fds_pollpri);
    RUN(sockets_and_fds);
    RUN(more_ready_than_events);
    RUN(timeouts);
    RUN_TRANSPORTS(eterm_after_shutdown);
    RUN(eterm_from_ctx_term);
    RUN(eintr_by_signal);
    return test_end();
}
