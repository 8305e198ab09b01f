/* Socket monitoring (zmq_socket_monitor): events are sent as two-frame messages (6 bytes: uint16 event and
 * uint32 value in native byte order; then the endpoint) on an internal PAIR socket bound to the endpoint
 * the application chose.
 *
 * Every socket owns one monitor slot from zmq_socket to zmq_close, whether or not it is monitored. Its
 * listeners and connections take a reference to the slot when they are made and emit into it from their
 * I/O thread, so they always report to the socket's *current* monitor: one started after zmq_bind or
 * zmq_connect sees every later event, and one stopped or replaced sees none.
 *
 * Invariants:
 *  1. The slot's PAIR and event mask are read and written only under the slot's lock; the PAIR is sent to
 *     only under that lock (from any thread) and closed only after it was taken out of the slot.
 *  2. The slot is refcounted: the socket and every listener/connection that may emit hold a reference.
 *     As in libzmq, zmq_close does not stop the monitor: connections that linger keep reporting, and the
 *     last reference to go (socket or connection, on whatever thread) sends MONITOR_STOPPED and closes the
 *     PAIR. No event can land in freed memory.
 *  3. An event is sent without blocking: one the PAIR cannot take (no peer connected yet, or its queue is
 *     full) is dropped. (libzmq blocks the emitting thread instead; see docs/compat/monitor.md.)
 */
#ifndef ZINC_MONITOR_H
#define ZINC_MONITOR_H

#include <stdint.h>

struct monitor;
struct socket;

/* The slot for a new socket (stopped). NULL on ENOMEM. */
struct monitor *monitor_new(void);
/* Starts (endpoint != NULL) or stops (endpoint == NULL) monitoring s, checking the arguments as libzmq
 * does. A running monitor is stopped first (its PAIR gets MONITOR_STOPPED if its mask has it). 0 or
 * -errno. */
int monitor_start(struct socket *s, const char *endpoint, int events);
/* Stops monitoring s (MONITOR_STOPPED to the PAIR if its mask has it, then closes the PAIR). */
void monitor_stop(struct socket *s);
void monitor_ref(struct monitor *m);
/* The last unref sends MONITOR_STOPPED (if in the mask), closes the PAIR and frees the slot. */
void monitor_unref(struct monitor *m);
/* Any thread: sends the event to the current PAIR if one is running and its mask has the event. */
void monitor_emit(struct monitor *m, int event, uint64_t value, const char *endpoint);

#endif
