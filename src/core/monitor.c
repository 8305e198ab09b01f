/* zmq_socket_monitor and zmq_socket_monitor_versioned: the per-socket monitor slot, the event messages of
 * both versions, and the pipes stats. See monitor.h for the design and its invariants. */
#define ZMQ_BUILD_DRAFT_API   /* ZMQ_EVENT_PIPES_STATS */
#include "core/monitor.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "core/reactor.h"
#include "core/socket.h"
#include "core/stats.h"
#include "core/util.h"

struct monitor {
    atomic_int refs;
    pthread_mutex_t lock;
    struct socket *sock;     /* guarded by lock: the running monitor's PAIR, PUB or PUSH; NULL: stopped */
    uint64_t events;         /* guarded by lock: its event mask */
    int version;             /* guarded by lock: its event version, 1 or 2 */
    atomic_bool watch_drops; /* the running monitor asked for ZINC_EVENT_DROPPED (written under lock) */
    atomic_uint_fast64_t io_dropped[STATS_REASONS];   /* stats.h invariant 2: drops seen on I/O threads */
    uint64_t drop_pending[STATS_REASONS];   /* guarded by lock: drops not yet reported */
    uint64_t drop_sent_ms[STATS_REASONS];   /* guarded by lock: when the last DROPPED went out; 0: never */
    struct reactor *io;      /* guarded by lock: the socket's I/O thread, where flush_timer runs (set by start) */
    bool flush_scheduled;    /* guarded by lock: a flush job is queued or flush_timer armed; holds a reference */
    struct io_timer flush_timer;   /* io's thread only: fires when the first pending reason's second is up */
};

static void monitor_flush_expired(struct io_timer *t);
static void monitor_flush_end(struct monitor *m);

struct monitor *monitor_new(void)
{
    struct monitor *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    pthread_mutex_init(&m->lock, NULL);
    io_timer_init(&m->flush_timer, monitor_flush_expired);
    return m;
}

void monitor_ref(struct monitor *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

/* Sends one frame without blocking; false: it was not taken (and is closed). */
static bool monitor_frame(struct socket *sock, const void *data, size_t len, bool more)
{
    struct msg f;
    if (msg_init_size(&f, len) < 0)
        return false;
    if (len)
        memcpy(msg_data(&f), data, len);
    if (socket_send(sock, &f, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0) {
        msg_close(&f);
        return false;
    }
    return true;
}

/* Version 1: 6 bytes (uint16 event, uint32 value), then the endpoint. */
static void monitor_send_v1(struct socket *sock, int event, uint64_t value, const char *endpoint)
{
    uint8_t head[6];
    uint16_t ev = (uint16_t)event;
    uint32_t v = (uint32_t)value;
    memcpy(head, &ev, 2);
    memcpy(head + 2, &v, 4);
    endpoint = endpoint ? endpoint : "";
    /* A message is taken whole or not at all: only its first frame can be refused. */
    if (monitor_frame(sock, head, sizeof head, true))
        monitor_frame(sock, endpoint, strlen(endpoint), false);
}

/* Version 2: event, value count, values (uint64 each), local endpoint, remote endpoint. The first frame is
 * the topic a SUB filters on when the monitor's socket is a PUB. */
static void monitor_send_v2(struct socket *sock, uint64_t event, const uint64_t *values, uint64_t count,
                            const char *local, const char *remote)
{
    local = local ? local : "";
    remote = remote ? remote : "";
    if (!monitor_frame(sock, &event, sizeof event, true))
        return;
    monitor_frame(sock, &count, sizeof count, true);
    for (uint64_t i = 0; i < count; i++)
        monitor_frame(sock, &values[i], sizeof values[i], true);
    monitor_frame(sock, local, strlen(local), true);
    monitor_frame(sock, remote, strlen(remote), false);
}

/* Under m->lock: MONITOR_STOPPED (value 0, no endpoint) if the mask has it. */
static void monitor_send_stopped(struct monitor *m)
{
    if (!m->sock || !(m->events & ZMQ_EVENT_MONITOR_STOPPED))
        return;
    uint64_t zero = 0;
    if (m->version == 1)
        monitor_send_v1(m->sock, ZMQ_EVENT_MONITOR_STOPPED, 0, "");
    else
        monitor_send_v2(m->sock, ZMQ_EVENT_MONITOR_STOPPED, &zero, 1, "", "");
}

/* The last reference: the socket is closed and none of its listeners and connections can emit any more
 * (those that lingered after zmq_close have ended), which is when libzmq's monitor stops too. */
void monitor_unref(struct monitor *m)
{
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_lock(&m->lock);
    assert(!m->flush_scheduled);   /* a scheduled flush holds a reference */
    monitor_send_stopped(m);
    struct socket *sock = m->sock;
    m->sock = NULL;
    pthread_mutex_unlock(&m->lock);
    if (sock)
        socket_close(sock);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void monitor_emit(struct monitor *m, int event, uint64_t value, const char *endpoint, const char *local,
                  const char *remote)
{
    pthread_mutex_lock(&m->lock);
    if (m->sock && (m->events & (uint64_t)event)) {
        if (m->version == 1)
            monitor_send_v1(m->sock, event, value, endpoint);
        else
            monitor_send_v2(m->sock, (uint64_t)event, &value, 1, local, remote);
    }
    pthread_mutex_unlock(&m->lock);
}

void monitor_stop(struct socket *s)
{
    struct monitor *m = s->monitor;
    pthread_mutex_lock(&m->lock);
    monitor_send_stopped(m);
    monitor_flush_end(m);   /* while m->sock still holds zmq_ctx_term back (drops section) */
    struct socket *sock = m->sock;
    m->sock = NULL;
    m->events = 0;
    atomic_store_explicit(&m->watch_drops, false, memory_order_relaxed);
    pthread_mutex_unlock(&m->lock);
    if (sock)
        socket_close(sock);   /* linger 0; what was sent stays readable by the application's socket */
}

/* libzmq's checks of the endpoint, in its order: syntax (EINVAL), a transport it knows that PAIR cannot use
 * (ENOCOMPATPROTO), any transport but inproc (EPROTONOSUPPORT). */
static int monitor_check_endpoint(const char *endpoint)
{
    const char *sep = strstr(endpoint, "://");
    if (!sep || sep == endpoint || !sep[3])
        return -EINVAL;
    size_t n = (size_t)(sep - endpoint);
    static const char *const pair_incompatible[] = {"udp", "pgm", "epgm", "norm"};
    for (size_t i = 0; i < sizeof pair_incompatible / sizeof pair_incompatible[0]; i++)
        if (strlen(pair_incompatible[i]) == n && memcmp(endpoint, pair_incompatible[i], n) == 0)
            return -ENOCOMPATPROTO;
    if (n != 6 || memcmp(endpoint, "inproc", 6) != 0)
        return -EPROTONOSUPPORT;
    return 0;
}

int monitor_start(struct socket *s, const char *endpoint, int events)
{
    return monitor_start_versioned(s, endpoint, (uint64_t)(int64_t)events, 1, ZMQ_PAIR);
}

int monitor_start_versioned(struct socket *s, const char *endpoint, uint64_t events, int version, int type)
{
    if (version == 1 && events >> 16)
        return -EINVAL;   /* version 1 events are 16 bits */
    if (!endpoint) {
        monitor_stop(s);
        return 0;
    }
    if (version != 1 && version != 2)
        return -EPROTONOSUPPORT;
    int rc = monitor_check_endpoint(endpoint);
    if (rc < 0)
        return rc;
    if (type != ZMQ_PAIR && type != ZMQ_PUB && type != ZMQ_PUSH)
        return -EINVAL;   /* one-way types that take multipart messages */
    /* As in libzmq, the running monitor is stopped first, even if the new one then fails to start. */
    monitor_stop(s);
    int err = 0;
    struct socket *sock = socket_new(s->ctx, type, &err);
    if (!sock)
        return -err;
    int linger = 0;
    socket_setopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    rc = socket_bind(sock, endpoint);
    if (rc < 0) {
        socket_close(sock);
        return rc;
    }
    struct monitor *m = s->monitor;
    pthread_mutex_lock(&m->lock);
    m->sock = sock;
    m->events = events;
    m->version = version;
    m->io = s->io;
    memset(m->drop_pending, 0, sizeof m->drop_pending);   /* a new monitor hears of drops from now on */
    memset(m->drop_sent_ms, 0, sizeof m->drop_sent_ms);
    atomic_store_explicit(&m->watch_drops, version == 2 && (events & ZINC_EVENT_DROPPED), memory_order_relaxed);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

/* The commands first, so that pipes made by connections that completed meanwhile are counted and pipes whose
 * peer has gone are not. */
int monitor_pipes_stats(struct socket *s)
{
    struct monitor *m = s->monitor;
    pthread_mutex_lock(&m->lock);
    bool asked = m->sock && (m->events & ZMQ_EVENT_PIPES_STATS);
    pthread_mutex_unlock(&m->lock);
    if (!asked)
        return -EINVAL;
    socket_process_commands(s, 0);
    socket_reap_dead(s);
    if (s->npipes == 0)
        return -EAGAIN;
    for (size_t i = 0; i < s->npipes; i++) {
        struct pipe_end *e = s->pipes[i];
        uint64_t values[2] = {pipe_queued_out(e), pipe_queued_in(e)};
        pthread_mutex_lock(&m->lock);
        if (m->sock && (m->events & ZMQ_EVENT_PIPES_STATS))
            monitor_send_v2(m->sock, ZMQ_EVENT_PIPES_STATS, values, 2, pipe_end_local_uri(e),
                            pipe_end_remote_uri(e));
        pthread_mutex_unlock(&m->lock);
    }
    return 0;
}

/* ---- drops (core/stats.h invariant 3) ------------------------------------------------------------------ */
/* Drops that come within a reason's quiet second stay pending; the flush timer reports them when that second
 * is up, even if no other drop follows and nobody reads the counters.
 *
 *   idle --monitor_drop leaves a count pending: flush_scheduled, ref, post monitor_flush_job--> queued
 *   queued --monitor_flush_check on io's thread: something still pending--> armed (flush_timer)
 *   armed --monitor_flush_expired: reports what is due, re-arms while something is pending--> armed
 *   queued/armed --monitor_flush_check finds nothing to wait for: cancel, unref--> idle
 *
 * Invariants:
 *  F1. flush_scheduled (under the lock) holds one reference to the slot, so the timer never fires into freed
 *      memory; it is cleared, and that reference dropped, only on io's thread (monitor_flush_check).
 *  F2. At most one timer per slot, and none while no running monitor asked for ZINC_EVENT_DROPPED: a drop
 *      schedules only when the running monitor asks for the event and nothing is scheduled yet.
 *  F3. zmq_ctx_term stops the I/O threads only after every socket, the monitor's too, is closed. While the
 *      monitor runs, its socket keeps the threads alive until the timer has fired; stopping the monitor and
 *      closing the monitored socket (monitor_drop_close) post a job first, which runs before any stop
 *      (one FIFO mailbox) and ends the schedule. So no timer is left armed in a thread that has exited.
 *  F4. Jobs posted to io hold their own reference (dropped when they have run). */

/* Under m->lock: the running monitor asked for ZINC_EVENT_DROPPED. */
static bool monitor_wants_drops(const struct monitor *m)
{
    return m->sock && (m->events & ZINC_EVENT_DROPPED);
}

/* Under m->lock: reports reason r's pending drops now. */
static void monitor_drop_send(struct monitor *m, int r, uint64_t now)
{
    if (!m->drop_pending[r] || !monitor_wants_drops(m))
        return;
    uint64_t values[2] = {m->drop_pending[r], (uint64_t)r};
    monitor_send_v2(m->sock, ZINC_EVENT_DROPPED, values, 2, stats_reason_name((enum stats_reason)r), "");
    m->drop_pending[r] = 0;
    m->drop_sent_ms[r] = now ? now : 1;
}

/* Under m->lock: reports reason r's pending drops if it never did, or did a second ago or more. */
static void monitor_drop_report(struct monitor *m, int r, uint64_t now)
{
    if (m->drop_sent_ms[r] && now - m->drop_sent_ms[r] < 1000)
        return;
    monitor_drop_send(m, r, now);
}

/* Under m->lock: milliseconds until the first pending reason's second is up; -1: nothing to wait for. */
static int64_t monitor_flush_delay(const struct monitor *m, uint64_t now)
{
    if (!monitor_wants_drops(m))
        return -1;
    int64_t delay = -1;
    for (int r = 0; r < STATS_REASONS; r++) {
        if (!m->drop_pending[r])
            continue;
        uint64_t due = m->drop_sent_ms[r] + 1000;
        int64_t d = due > now ? (int64_t)(due - now) : 0;
        if (delay < 0 || d < delay)
            delay = d;
    }
    return delay;
}

/* io's thread: reports what is due, then arms the timer for the next due second or, when nothing is left to
 * wait for, ends the schedule (F1). */
static void monitor_flush_check(struct monitor *m)
{
    pthread_mutex_lock(&m->lock);
    uint64_t now = zn_now_ms();
    for (int r = 0; r < STATS_REASONS; r++)
        monitor_drop_report(m, r, now);
    int64_t delay = monitor_flush_delay(m, now);
    bool end = m->flush_scheduled && delay < 0;
    if (end) {
        io_timer_cancel(m->io, &m->flush_timer);
        m->flush_scheduled = false;
    } else if (m->flush_scheduled) {
        io_timer_start(m->io, &m->flush_timer, (uint64_t)delay);
    }
    pthread_mutex_unlock(&m->lock);
    if (end)
        monitor_unref(m);   /* may be the last: flush_timer is out of the heap */
}

static void monitor_flush_expired(struct io_timer *t)
{
    monitor_flush_check((struct monitor *)((char *)t - offsetof(struct monitor, flush_timer)));
}

static void monitor_flush_job(void *arg)
{
    monitor_flush_check(arg);
    monitor_unref(arg);   /* F4 */
}

/* Under m->lock: posts monitor_flush_job to io; retry: until the mailbox takes it (ENOMEM). The caller holds
 * a reference, so dropping the job's on failure is never the last. */
static int monitor_flush_post(struct monitor *m, bool retry)
{
    monitor_ref(m);
    while (reactor_call(m->io, monitor_flush_job, m) < 0) {
        if (!retry) {
            atomic_fetch_sub_explicit(&m->refs, 1, memory_order_relaxed);
            return -ENOMEM;
        }
        usleep(1000);
    }
    return 0;
}

/* Under m->lock, with the count left pending: schedules a flush unless one is (F2). Without memory for the
 * job, the count waits for the next drop or read, as it would with no timer. */
static void monitor_flush_schedule(struct monitor *m)
{
    if (m->flush_scheduled || !m->io || !monitor_wants_drops(m))
        return;
    monitor_ref(m);   /* F1 */
    if (monitor_flush_post(m, false) == 0)
        m->flush_scheduled = true;
    else
        atomic_fetch_sub_explicit(&m->refs, 1, memory_order_relaxed);
}

/* Under m->lock, before the monitor's socket goes: has io end a scheduled flush (F3). */
static void monitor_flush_end(struct monitor *m)
{
    if (m->flush_scheduled)
        (void)monitor_flush_post(m, true);
}

void monitor_drop(struct monitor *m, int reason, uint64_t n)
{
    if (!atomic_load_explicit(&m->watch_drops, memory_order_relaxed))
        return;
    pthread_mutex_lock(&m->lock);
    m->drop_pending[reason] += n;
    monitor_drop_report(m, reason, zn_now_ms());
    if (m->drop_pending[reason])
        monitor_flush_schedule(m);
    pthread_mutex_unlock(&m->lock);
}

void monitor_drop_io(struct monitor *m, int reason, uint64_t n)
{
    atomic_fetch_add_explicit(&m->io_dropped[reason], n, memory_order_relaxed);
    monitor_drop(m, reason, n);
}

uint64_t monitor_io_dropped(struct monitor *m, int reason)
{
    return atomic_load_explicit(&m->io_dropped[reason], memory_order_relaxed);
}

void monitor_drop_flush(struct monitor *m)
{
    if (!atomic_load_explicit(&m->watch_drops, memory_order_relaxed))
        return;
    pthread_mutex_lock(&m->lock);
    uint64_t now = zn_now_ms();
    for (int r = 0; r < STATS_REASONS; r++)
        monitor_drop_report(m, r, now);
    pthread_mutex_unlock(&m->lock);
}

void monitor_drop_close(struct monitor *m)
{
    pthread_mutex_lock(&m->lock);
    uint64_t now = zn_now_ms();
    for (int r = 0; r < STATS_REASONS; r++)
        monitor_drop_send(m, r, now);
    monitor_flush_end(m);
    pthread_mutex_unlock(&m->lock);
}
