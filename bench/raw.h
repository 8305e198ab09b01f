/* Plain stream sockets for the raw floors (raw_lat, raw_thr): the same benchmark over a bare TCP loopback or
 * unix-domain socket, no ZeroMQ, to show how far each library is from the wire. Endpoints use the ZeroMQ
 * syntax the harness hands out (tcp://127.0.0.1:port, ipc:///path). */
#ifndef BENCH_RAW_H
#define BENCH_RAW_H

#include <stddef.h>

/* Listen on endpoint (tcp or ipc; inproc fails the run) and return the listening socket. */
int raw_listen(const char *endpoint);
/* Accept one connection on a listening socket, then close the listener. */
int raw_accept(int listener);
/* Connect to endpoint. tcp sockets get TCP_NODELAY, as both libraries set it. */
int raw_connect(const char *endpoint);
/* Whole-buffer write and read; a peer that goes away fails the run. */
void raw_write(int fd, const void *buf, size_t len);
void raw_read(int fd, void *buf, size_t len);
/* Waits in poll() until fd or wake_fd is readable, as a messaging library waits when it must also hear its
 * own commands (zinc's mailbox, libzmq's signaler), then reads like raw_read. */
void raw_read_polled(int fd, int wake_fd, void *buf, size_t len);

#endif
