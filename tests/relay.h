/* relay.h: a fault-injecting TCP relay for the public-API tests. A thread accepts connections on
 * 127.0.0.1 and joins each to a fresh connection to a target port (a "link"), forwarding bytes both ways
 * with non-blocking writes, so one slow reader never blocks the other links. Faults it injects:
 *   - fragment: a link forwards in 1-7 byte pieces (each piece its own write), so frames arrive split;
 *   - cut:      both halves closed (FIN) after an exact, random number of forwarded bytes, which lands
 *               anywhere: in a greeting, a handshake command, a frame header or a frame body;
 *   - reset:    as cut, but closed with SO_LINGER 0, so both peers get an RST;
 *   - stall:    nothing forwarded for a while, connections kept;
 *   - delay:    every piece held for some milliseconds before it goes on (latency, not loss).
 * Faults come from a plan (struct relay_plan, fixed before relay_start) or by hand (relay.stall,
 * relay.delay_ms). Header-only like testutil.h and rawpeer.h, whose CHECK macros it uses.
 *
 * Invariants:
 *  1. Bytes leave a link in the order they came in; a link forwards a byte only once and never invents one.
 *  2. A planned fault happens after exactly fault_at bytes of the link (both directions counted), drawn
 *     afresh after each stall or delay; a cut or reset ends the link and drops what it held.
 *  3. Only the relay thread touches the links; the test reads the counters (atomics) at any time. */
#ifndef ZINC_RELAY_H
#define ZINC_RELAY_H

#include "rawpeer.h"

#include <fcntl.h>
#include <stdatomic.h>

enum relay_fault { RELAY_CUT, RELAY_RESET, RELAY_STALL, RELAY_DELAY, RELAY_FAULT_KINDS };
static const char *const relay_fault_names[RELAY_FAULT_KINDS] = {"cut", "reset", "stall", "delay"};

#define RELAY_MAX_LINKS 32
#define RELAY_BUF 16384

/* What the relay does on its own; all zero: forward faithfully. */
struct relay_plan {
    int fragment_percent;                 /* share of links that forward in 1-7 byte pieces */
    int fault_bytes_max;                  /* a fault every 1..this many bytes of a link; 0: none */
    int weight[RELAY_FAULT_KINDS];        /* relative odds of each fault kind */
    int stall_ms_max;                     /* a planned stall lasts 1..this many ms */
    int delay_ms_max;                     /* a planned delay holds each piece 1..this many ms ... */
    int delay_span_ms;                    /* ... for this long */
    int buffer_bytes;                     /* SO_SNDBUF/SO_RCVBUF of the relay's sockets; 0: kernel's */
    int gate_on_drain;                    /* a link waits until relay_drained covers the links closed before */
};

/* One direction of a link: what was read from `from` and not yet written to the other side. */
struct relay_dir {
    uint8_t buf[RELAY_BUF];
    size_t off;                           /* first unsent byte */
    size_t len;                           /* end of the unsent bytes */
    int64_t release_at;                   /* delay: not before this time (ms) */
};

struct relay_link {
    int fd[2];                            /* [0] accepted from the client, [1] connected to the target */
    int open;
    int fragment;                         /* forward in 1-7 byte pieces */
    long long fault_at;                   /* bytes still to forward before the next planned fault */
    int64_t stalled_until;                /* ms; nothing moves before it */
    int64_t delayed_until;                /* ms; pieces are held delay_ms until then */
    int delay_ms;
    int closed_before;                    /* links closed before this one was accepted */
    struct relay_dir dir[2];              /* [0] client to target, [1] target to client */
};

struct relay {
    int listen_fd;
    int port;                             /* what clients connect to */
    int target_port;                      /* where the relay connects */
    struct relay_plan plan;
    pthread_t thread;
    uint64_t rng;                         /* xorshift state; relay thread only */
    atomic_int stop;
    atomic_int faults_on;                 /* the plan's faults are injected while set */
    atomic_int stall;                     /* by hand: forward nothing while set */
    atomic_int delay_ms;                  /* by hand: hold every piece this long */
    atomic_int faults[RELAY_FAULT_KINDS]; /* faults injected so far, by kind */
    atomic_int links_accepted;
    atomic_int links_closed;              /* by a fault, or because one side closed */
    atomic_int drained_closed;            /* gate_on_drain: the receiver is done with this many closed
                                           * links (relay_drained) */
    atomic_llong bytes_forwarded;
    struct relay_link links[RELAY_MAX_LINKS];
};

static uint32_t relay_random(struct relay *r, uint32_t bound)
{
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return bound ? (uint32_t)(r->rng % bound) : 0;
}

TU_UNUSED static int relay_fault_total(struct relay *r)
{
    int n = 0;
    for (int k = 0; k < RELAY_FAULT_KINDS; k++)
        n += atomic_load(&r->faults[k]);
    return n;
}

/* Cuts and resets: the faults that end a connection. */
TU_UNUSED static int relay_breaks(struct relay *r)
{
    return atomic_load(&r->faults[RELAY_CUT]) + atomic_load(&r->faults[RELAY_RESET]);
}

TU_UNUSED static void relay_print(struct relay *r, const char *what)
{
    printf("  %s: %d faults (cut %d, reset %d, stall %d, delay %d), %d connections, %lld bytes\n", what,
           relay_fault_total(r), atomic_load(&r->faults[RELAY_CUT]), atomic_load(&r->faults[RELAY_RESET]),
           atomic_load(&r->faults[RELAY_STALL]), atomic_load(&r->faults[RELAY_DELAY]),
           atomic_load(&r->links_accepted), (long long)atomic_load(&r->bytes_forwarded));
}

/* For a failing test: what each open link holds. Racy reads of the relay thread's state: call it only
 * on the way to a failure. */
TU_UNUSED static void relay_dump(struct relay *r)
{
    int64_t now = now_ms();
    fprintf(stderr, "relay: stall %d delay %d faults_on %d links closed %d, drained %d, breaks %d\n",
            atomic_load(&r->stall), atomic_load(&r->delay_ms), atomic_load(&r->faults_on),
            atomic_load(&r->links_closed), atomic_load(&r->drained_closed), relay_breaks(r));
    for (int i = 0; i < RELAY_MAX_LINKS; i++) {
        struct relay_link *l = &r->links[i];
        if (!l->open)
            continue;
        fprintf(stderr,
                "  link %d: fds %d/%d fragment %d fault_at %lld stalled %lld ms delayed %lld ms (%d) closed_before %d"
                " held %zu/%zu (due in %lld ms) and %zu/%zu (due in %lld ms)\n",
                i, l->fd[0], l->fd[1], l->fragment, l->fault_at, (long long)(l->stalled_until - now),
                (long long)(l->delayed_until - now), l->delay_ms, l->closed_before, l->dir[0].off, l->dir[0].len,
                (long long)(l->dir[0].release_at - now), l->dir[1].off, l->dir[1].len,
                (long long)(l->dir[1].release_at - now));
    }
}

static void relay_next_fault(struct relay *r, struct relay_link *l)
{
    l->fault_at = r->plan.fault_bytes_max > 0 ? 1 + (long long)relay_random(r, (uint32_t)r->plan.fault_bytes_max) : -1;
}

static void relay_close_link(struct relay *r, struct relay_link *l, int reset)
{
    atomic_fetch_add(&r->links_closed, 1);
    for (int i = 0; i < 2; i++) {
        if (reset) {
            struct linger lg = {1, 0};   /* close sends RST and drops unsent data */
            (void)setsockopt(l->fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(l->fd[i]);
    }
    l->open = 0;
}

static void relay_inject(struct relay *r, struct relay_link *l, int64_t now)
{
    int total = 0;
    for (int k = 0; k < RELAY_FAULT_KINDS; k++)
        total += r->plan.weight[k];
    int pick = (int)relay_random(r, (uint32_t)(total > 0 ? total : 1));
    int kind = RELAY_CUT;
    for (int k = 0; k < RELAY_FAULT_KINDS; k++) {
        if (pick < r->plan.weight[k]) {
            kind = k;
            break;
        }
        pick -= r->plan.weight[k];
    }
    atomic_fetch_add(&r->faults[kind], 1);
    if (kind == RELAY_CUT || kind == RELAY_RESET) {
        relay_close_link(r, l, kind == RELAY_RESET);
        return;
    }
    if (kind == RELAY_STALL)
        l->stalled_until = now + 1 + relay_random(r, (uint32_t)r->plan.stall_ms_max);
    else {
        l->delay_ms = 1 + (int)relay_random(r, (uint32_t)r->plan.delay_ms_max);
        l->delayed_until = now + r->plan.delay_span_ms;
    }
    relay_next_fault(r, l);
}

static void relay_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);
    CHECK(flags >= 0);
    CHECK_OK(fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

static void relay_set_buffers(struct relay *r, int fd)
{
    relay_nonblock(fd);
    if (r->plan.buffer_bytes > 0) {
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &r->plan.buffer_bytes, sizeof r->plan.buffer_bytes);
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &r->plan.buffer_bytes, sizeof r->plan.buffer_bytes);
    }
}

static void relay_accept(struct relay *r, int64_t now)
{
    int c = accept(r->listen_fd, NULL, NULL);
    if (c < 0)
        return;
    struct relay_link *l = NULL;
    for (int i = 0; i < RELAY_MAX_LINKS && !l; i++)
        if (!r->links[i].open)
            l = &r->links[i];
    if (!l) {
        close(c);   /* full: the peer sees a closed connection and retries */
        return;
    }
    memset(l, 0, sizeof *l);
    l->fd[0] = c;
    l->fd[1] = raw_connect_port(r->target_port);
    relay_set_buffers(r, l->fd[0]);
    relay_set_buffers(r, l->fd[1]);
    int one = 1;
    (void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    l->open = 1;
    l->fragment = (int)relay_random(r, 100) < r->plan.fragment_percent;
    l->closed_before = atomic_load(&r->links_closed);
    relay_next_fault(r, l);
    (void)now;
    atomic_fetch_add(&r->links_accepted, 1);
}

/* Reads into direction d of l if it is empty. Returns 0 when the link ended. */
static int relay_read(struct relay *r, struct relay_link *l, int d, int64_t now)
{
    struct relay_dir *q = &l->dir[d];
    size_t want = l->fragment ? (size_t)(1 + relay_random(r, 7)) : sizeof q->buf;
    ssize_t n = recv(l->fd[d], q->buf, want, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        /* One side left: close both, the other side sees it as a peer that went away. */
        relay_close_link(r, l, n < 0);
        return 0;
    }
    if (n > 0) {
        q->off = 0;
        q->len = (size_t)n;
        int delay = atomic_load(&r->delay_ms);
        if (now < l->delayed_until && l->delay_ms > delay)
            delay = l->delay_ms;
        q->release_at = now + delay;
    }
    return 1;
}

/* Writes what direction d holds, no further than the next planned fault. Returns 0 when the link ended. */
static int relay_write(struct relay *r, struct relay_link *l, int d, int64_t now)
{
    struct relay_dir *q = &l->dir[d];
    size_t n = q->len - q->off;
    int planned = atomic_load(&r->faults_on) && l->fault_at >= 0;
    if (planned && (long long)n > l->fault_at)
        n = (size_t)l->fault_at;
    if (n > 0) {
        ssize_t w = send(l->fd[1 - d], q->buf + q->off, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 1;
            relay_close_link(r, l, 1);
            return 0;
        }
        q->off += (size_t)w;
        atomic_fetch_add(&r->bytes_forwarded, (long long)w);
        if (planned)
            l->fault_at -= w;
    }
    if (q->off == q->len)
        q->off = q->len = 0;
    if (planned && l->fault_at == 0) {
        relay_inject(r, l, now);
        return l->open;
    }
    return 1;
}

/* One round of the loop: poll every link for what it can do now, then do it. */
static void relay_round(struct relay *r)
{
    struct pollfd p[1 + 2 * RELAY_MAX_LINKS];
    int owner[1 + 2 * RELAY_MAX_LINKS];
    int np = 0;
    int64_t now = now_ms();
    int timeout = 20;
    p[np++] = (struct pollfd){r->listen_fd, POLLIN, 0};
    int stalled = atomic_load(&r->stall);
    for (int i = 0; i < RELAY_MAX_LINKS; i++) {
        struct relay_link *l = &r->links[i];
        if (!l->open)
            continue;
        int gated = r->plan.gate_on_drain && atomic_load(&r->drained_closed) < l->closed_before;
        if (stalled || gated || now < l->stalled_until) {
            timeout = 2;
            continue;
        }
        for (int d = 0; d < 2; d++) {
            struct relay_dir *q = &l->dir[d];
            owner[np] = i * 2 + d;
            if (q->len == 0)
                p[np++] = (struct pollfd){l->fd[d], POLLIN, 0};        /* room: read from fd[d] */
            else if (now >= q->release_at)
                p[np++] = (struct pollfd){l->fd[1 - d], POLLOUT, 0};   /* due: write to fd[1-d] */
            else
                timeout = 1;                                           /* held back by a delay */
        }
    }
    if (poll(p, (nfds_t)np, timeout) <= 0)
        return;
    now = now_ms();
    if (p[0].revents & POLLIN)
        relay_accept(r, now);
    for (int k = 1; k < np; k++) {
        struct relay_link *l = &r->links[owner[k] / 2];
        int d = owner[k] % 2;
        if (!l->open || !p[k].revents)
            continue;
        if (p[k].events == POLLIN)
            relay_read(r, l, d, now);
        else
            relay_write(r, l, d, now);
        /* A piece with no delay goes on at once: one round trip through poll less. */
        if (l->open && p[k].events == POLLIN && l->dir[d].len > 0 && now >= l->dir[d].release_at)
            relay_write(r, l, d, now);
    }
}

static void *relay_main(void *arg)
{
    struct relay *r = arg;
    while (!atomic_load(&r->stop))
        relay_round(r);
    for (int i = 0; i < RELAY_MAX_LINKS; i++)
        if (r->links[i].open)
            relay_close_link(r, &r->links[i], 0);
    return NULL;
}

/* Starts a relay to 127.0.0.1:target_port with plan (NULL: none, faults by hand only); it listens on
 * r->port. r is large (the link buffers): give it static or heap storage. */
TU_UNUSED static void relay_start(struct relay *r, int target_port, const struct relay_plan *plan, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    r->target_port = target_port;
    if (plan)
        r->plan = *plan;
    r->rng = seed ? seed : 88172645463325252ull;
    atomic_init(&r->stop, 0);
    atomic_init(&r->faults_on, plan != NULL && plan->fault_bytes_max > 0);
    atomic_init(&r->stall, 0);
    atomic_init(&r->delay_ms, 0);
    for (int k = 0; k < RELAY_FAULT_KINDS; k++)
        atomic_init(&r->faults[k], 0);
    atomic_init(&r->links_accepted, 0);
    atomic_init(&r->links_closed, 0);
    atomic_init(&r->drained_closed, 0);
    atomic_init(&r->bytes_forwarded, 0);
    r->port = 0;   /* any free port */
    r->listen_fd = raw_listen(&r->port);
    relay_nonblock(r->listen_fd);
    CHECK_EQ(pthread_create(&r->thread, NULL, relay_main, r), 0);
}

/* gate_on_drain: the receiving socket has ended `closed` connections (a reading of links_closed taken
 * first; it saw as many ZMQ_EVENT_DISCONNECTED), and then found nothing to read: whatever those links
 * carried has been received. Links accepted after them may forward now. Without the gate the receiver
 * would fair-queue an old connection's leftovers with a new connection's messages (libzmq and zinc alike),
 * and a numbered stream would arrive out of order. */
TU_UNUSED static void relay_drained(struct relay *r, int closed)
{
    if (closed > atomic_load(&r->drained_closed))
        atomic_store(&r->drained_closed, closed);
}

/* "tcp://127.0.0.1:<relay port>", what the zmq side connects to. */
TU_UNUSED static void relay_endpoint(struct relay *r, char *out, size_t len)
{
    snprintf(out, len, "tcp://127.0.0.1:%d", r->port);
}

TU_UNUSED static void relay_stop(struct relay *r)
{
    atomic_store(&r->stop, 1);
    CHECK_EQ(pthread_join(r->thread, NULL), 0);
    close(r->listen_fd);
}

#endif
