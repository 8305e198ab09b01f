/* Socket monitoring (zmq_socket_monitor, zmq_socket_monitor_versioned): events go out as messages on an
 * internal socket (PAIR, or PUB or PUSH for version 2) bound to the inproc endpoint the application chose.
 * Version 1: two frames, 6 bytes (uint16 event and uint32 value in native byte order), then the endpoint.
 * Version 2: the event as a uint64, the number of values as a uint64, each value as a uint64 (all native
 * byte order), then the local and the remote endpoint (either may be empty).
 *
 * Every socket owns one monitor slot from zmq_socket to zmq_close, whether or not it is monitored. Its
 * listeners and connections take a reference to the slot when they are made and emit into it from their
 * I/O thread, so they always report to the socket's *current* monitor: one started after zmq_bind or
 * zmq_connect sees every later event, and one stopped or replaced sees none.
 *
 * Invariants:
 *  1. The slot's socket, event mask and version are read and written only under the slot's lock; the
 *     socket is sent to only under that lock (from any thread) and closed only after it was taken out of
 *     the slot.
 *  2. The slot is refcounted: the socket and every listener/connection that may emit hold a reference.
 *     As in libzmq, zmq_close does not stop the monitor: connections that linger keep reporting, and the
 *     last reference to go (socket or connection, on whatever thread) sends MONITOR_STOPPED and closes the
 *     monitor's socket. No event can land in freed memory.
 *  3. An event is sent without blocking: one the monitor's socket cannot take (no peer connected yet, or
 *     its queue is full) is dropped whole. (libzmq blocks the emitting thread instead; see
 *     docs/compat/monitor.md.)
 *  4. A version 1 mask has no bit above 0xffff, so only version 2 can ask for ZMQ_EVENT_PIPES_STATS.
 */
#ifndef ZINC_MONITOR_H
#define ZINC_MONITOR_H

#include <stdint.h>

struct monitor;
struct socket;

/* The slot for a new socket (stopped). NULL on ENOMEM. */
struct monitor *monitor_new(void);
/* zmq_socket_monitor: monitor_start_versioned with version 1 and a PAIR. */
int monitor_start(struct socket *s, const char *endpoint, int events);
/* Starts (endpoint != NULL) or stops (endpoint == NULL) monitoring s with event version 1 or 2 on a socket
 * of type (ZMQ_PAIR, ZMQ_PUB or ZMQ_PUSH). Checks, in order: a version 1 mask above 16 bits (EINVAL), then a
 * NULL endpoint stops whatever runs (any version), then an unknown version (EPROTONOSUPPORT), the endpoint
 * (EINVAL, ENOCOMPATPROTO, EPROTONOSUPPORT for anything but inproc), the type (EINVAL); a refused call leaves
 * the running monitor alone. Then the running monitor is stopped (MONITOR_STOPPED if its mask has it) and
 * the new socket is made (ETERM) and bound (its bind errors). 0 or -errno. */
int monitor_start_versioned(struct socket *s, const char *endpoint, uint64_t events, int version, int type);
/* Stops monitoring s (MONITOR_STOPPED if its mask has it, then closes the monitor's socket). */
void monitor_stop(struct socket *s);
void monitor_ref(struct monitor *m);
/* The last unref sends MONITOR_STOPPED (if in the mask), closes the monitor's socket and frees the slot. */
void monitor_unref(struct monitor *m);
/* Any thread: sends the event to the running monitor if its mask has it. endpoint is version 1's frame;
 * local and remote are version 2's (NULL: empty). */
void monitor_emit(struct monitor *m, int event, uint64_t value, const char *endpoint, const char *local,
                  const char *remote);
/* zmq_socket_monitor_pipes_stats, on s's thread: one PIPES_STATS event per pipe of s, with the messages
 * queued out and in (pipe_queued_out, pipe_queued_in) and the pipe's uris. -EINVAL when no running monitor
 * asked for PIPES_STATS, -EAGAIN when s has no pipe. */
int monitor_pipes_stats(struct socket *s);

/* Drops (core/stats.h invariants 2 and 3). monitor_drop: reason's n drops seen on the socket's thread (counted
 * there) go towards ZINC_EVENT_DROPPED, if the running monitor asked for it (one relaxed load otherwise);
 * drops left for their second are reported by a timer on the socket's I/O thread when it is up.
 * monitor_drop_io: the same from an I/O thread, counted here too (monitor_io_dropped reads the count).
 * monitor_drop_flush: reports what waited for its second to pass (when the counters are read).
 * monitor_drop_close: zmq_close, before the socket lets go of the slot: reports everything pending at once
 * (the socket drops no more) and ends the timer. Any thread. */
void monitor_drop(struct monitor *m, int reason, uint64_t n);
void monitor_drop_io(struct monitor *m, int reason, uint64_t n);
uint64_t monitor_io_dropped(struct monitor *m, int reason);
void monitor_drop_flush(struct monitor *m);
void monitor_drop_close(struct monitor *m);

#endif
