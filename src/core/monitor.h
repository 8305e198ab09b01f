/* Socket monitoring (zmq_socket_monitor): events are sent as two-frame messages (6 bytes: uint16 event and
 * uint32 value in native byte order; then the endpoint) on an internal PAIR socket bound to the endpoint
 * the application chose. Emitted from any thread (the socket's own, or an I/O thread) under the monitor's
 * lock. Refcounted: the socket and every listener/connection that may emit hold a reference, so an event
 * raised after the socket closed lands in a stopped monitor and is dropped. */
#ifndef ZINC_MONITOR_H
#define ZINC_MONITOR_H

#include <stdint.h>

struct monitor;
struct socket;

/* Starts (endpoint != NULL) or stops (endpoint == NULL) monitoring s. 0 or -errno. */
int monitor_start(struct socket *s, const char *endpoint, int events);
void monitor_stop(struct socket *s);
void monitor_ref(struct monitor *m);
void monitor_unref(struct monitor *m);
void monitor_emit(struct monitor *m, int event, uint64_t value, const char *endpoint);

#endif
