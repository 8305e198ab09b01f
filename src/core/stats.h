/* Per-socket counters (zinc_socket_stats, ZINC_STATS, the stats server): messages and bytes in and out and
 * messages dropped, by reason. They exist so that a message that vanishes (PUB at the high-water mark, ROUTER
 * to an unknown peer, SUB not subscribed, a frame over ZMQ_MAXMSGSIZE, a conflated queue) leaves a trace.
 *
 * Invariants:
 *  1. struct sock_counters lives in its socket and is written only by the thread that owns the socket at
 *     that moment (the application thread; for CLIENT/SERVER, whoever holds the socket's lock), with a
 *     relaxed load and a relaxed store (stats_bump): a plain add, no read-modify-write on the hot path.
 *     Any thread may read it (relaxed loads: each counter is exact, the set is not a snapshot).
 *  2. Drops seen on an I/O thread (STATS_OVERSIZE, STATS_CONFLATED of an outbound conflating queue) are
 *     counted in the socket's monitor slot (monitor_drop_io, a relaxed fetch_add), which the connections
 *     hold a reference to, so they never touch the socket itself.
 *  3. A drop is reported to a monitor that asked for ZINC_EVENT_DROPPED (core/monitor.c) at once when it is
 *     the first of its reason, then at most once a second per reason with the count since the last event.
 *     Drops left pending within a reason's second go out when that second is up, on their own (a one-shot
 *     timer of the monitor slot on the socket's I/O thread; no further drop or read is needed), or at once
 *     when the socket is closed (it drops no more). Each drop goes into one event at most.
 */
#ifndef ZINC_STATS_H
#define ZINC_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The order of the public struct's dropped_* fields (include/zmq.h, ZINC_DROP_*). */
enum stats_reason {
    STATS_HWM,          /* a peer's queue was at its high-water mark (PUB, XPUB, XSUB, RADIO, ROUTER) */
    STATS_NO_ROUTE,     /* ROUTER: no peer has that routing id, or it left (ROUTER_MANDATORY off) */
    STATS_FILTERED,     /* SUB/XSUB: a message arrived that no subscription matches */
    STATS_OVERSIZE,     /* a frame over ZMQ_MAXMSGSIZE: its connection was closed */
    STATS_CONFLATED,    /* ZMQ_CONFLATE: a message replaced by a newer one before it was read */
    STATS_REASONS
};

struct sock_counters {
    atomic_uint_fast64_t msgs_in;       /* whole messages received by the application */
    atomic_uint_fast64_t bytes_in;      /* their frames' bytes */
    atomic_uint_fast64_t msgs_out;      /* whole messages the socket accepted from the application */
    atomic_uint_fast64_t bytes_out;
    atomic_uint_fast64_t dropped[STATS_REASONS];   /* drops seen on the socket's thread */
    atomic_uint_fast64_t peers;         /* pipes attached (s->npipes), for readers on other threads */
};

/* Invariant 1: the owner's add. */
static inline void stats_bump(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

static inline uint64_t stats_read(const atomic_uint_fast64_t *c)
{
    return atomic_load_explicit((atomic_uint_fast64_t *)c, memory_order_relaxed);
}

const char *stats_reason_name(enum stats_reason r);

#endif
