/* The socket: what zmq_socket returns. It owns its pipes' socket-side ends, its endpoints, its mailbox and
 * the socket type's private state, and is used by one application thread at a time (as in libzmq), except
 * thread-safe types (CLIENT, SERVER), which any number of threads may use at once (core/socket_safe.h):
 * every entry point below takes the socket's lock; zmq_close is still the caller's alone.
 *
 * Lifetime:
 *     socket_new -> (bind/connect/send/recv ...) -> socket_close
 *   socket_close closes every pipe end (flushed outbound frames stay for the connection to send within
 *   ZMQ_LINGER), tells the I/O thread to close its listeners and connecters, closes the mailbox to further
 *   commands and frees the socket. Nothing on an I/O thread points at the socket itself: connections reach
 *   it only through its refcounted mailbox, which outlives it as long as a pipe end holds it.
 *
 * Invariants:
 *  1. pipes[i]->sock_slot == i; a pipe end is in pipes exactly between attach and detach.
 *  2. Pipe ends whose peer went away are detached only between operations (socket_reap_dead), so socket
 *     types may mark pipes dead while iterating their route sets.
 */
#ifndef ZINC_SOCKET_H
#define ZINC_SOCKET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/options.h"
#include "core/monitor.h"
#include "core/socket_safe.h"
#include "core/stats.h"
#include "proto/proto.h"

struct ctx;
struct mailbox;
struct msg;
struct peer_msg;
struct pipe_end;
struct reactor;
struct endpoint;

struct socket {
    uint32_t tag;                       /* SOCKET_TAG while alive: catches bad handles */
    struct ctx *ctx;
    const struct proto_ops *ops;
    void *proto;                        /* ops->size bytes, inline after the struct */
    struct options opt;
    struct mailbox *mbox;
    struct reactor *io;                 /* the I/O thread for this socket's connections */
    struct pipe_end **pipes;
    size_t npipes, pipes_cap;
    struct pipe_end **dead;             /* ends whose peer closed, detached by socket_reap_dead */
    size_t ndead, dead_cap;
    struct endpoint *endpoints;         /* bound and connected endpoints, newest first */
    char last_endpoint[1024];
    bool rcvmore;                       /* last frame received had MORE */
    bool sent_since_recv;               /* a message was sent since the last one received (pipe_direct_wait) */
    uint64_t input_wait_end_ns;         /* when the last wait for input ended (socket_wait_direct) */
    unsigned recvs_since_wait;          /* whole messages received since then */
    bool direct_settle_due;             /* a direct receive ran: a pipe's fd may be left muted (settle it) */
    bool stopped;                       /* the context is terminating: ETERM */
    bool level_on;                      /* ZINC_POLLIN_FD was asked for (core/socket_level.c) */
    uint32_t next_routing_id;           /* for generated 5-byte routing ids */
    unsigned ops_since_commands;        /* throttle for mailbox checks on the fast path */
    struct monitor *monitor;            /* the monitor slot (core/monitor.h): always set, maybe stopped */
    size_t slot;                        /* index in the context's socket list */
    struct socket_safe safe;            /* thread-safe types (CLIENT, SERVER): the lock every call takes */
    struct peer_msg *hello_msg;         /* ZMQ_HELLO_MSG (core/peer_msg.h), or NULL */
    struct peer_msg *disconnect_msg;    /* ZMQ_DISCONNECT_MSG, or NULL */
    struct sock_counters stats;         /* core/stats.h: written by the socket's thread, read by any */
    unsigned stats_id;                  /* its number in its context, from 1 (set under the context's lock) */
    char stats_label[128];              /* its last endpoint, for the stats server: under the context's lock */
};

#define SOCKET_TAG 0x5a494e43u

struct socket *socket_new(struct ctx *ctx, int type, int *err);
int socket_close(struct socket *s);
int socket_bind(struct socket *s, const char *endpoint);
int socket_connect(struct socket *s, const char *endpoint);
/* zmq_connect_peer: connects a PEER and gives the new peer's routing id; -ENOTSUP (not a PEER), -EFAULT
 * (ZMQ_IMMEDIATE is set) or socket_connect's errors. */
int socket_connect_peer(struct socket *s, const char *endpoint, uint32_t *id);
int socket_unbind(struct socket *s, const char *endpoint);
int socket_disconnect(struct socket *s, const char *endpoint);
int socket_send(struct socket *s, struct msg *m, int flags);
int socket_recv(struct socket *s, struct msg *m, int flags);
int socket_setopt(struct socket *s, int option, const void *value, size_t len);
int socket_getopt(struct socket *s, int option, void *value, size_t *len);
/* zmq_join (join true) / zmq_leave: 0, -ENOTSUP (not a DISH), -EINVAL, -ENOMEM. Takes the socket's lock. */
int socket_join(struct socket *s, const char *group, size_t len, bool join);
/* Process queued commands without blocking (ZMQ_EVENTS, zmq_poll). */
int socket_process_commands(struct socket *s, int timeout_ms);
/* The same, for code that runs inside a socket_* call (it holds a thread-safe socket's lock already). */
int socket_process_commands_held(struct socket *s, int timeout_ms);
/* ZMQ_POLLIN / ZMQ_POLLOUT bits. */
int socket_events(struct socket *s);
/* zmq_socket_get_peer_state: the socket type's answer after the queued commands (new peers) ran;
 * -ENOTSUP for types without routing ids. */
int socket_peer_state(struct socket *s, const void *id, size_t len);

/* ZINC_POLLIN_FD (core/socket_level.c): the fd, made on first use (or -errno); and the sync after every call
 * that may change ZMQ_POLLIN, which costs sockets that never asked one branch. */
int socket_level_fd(struct socket *s);
/* Before this thread waits on anything but the connection itself (its mailbox, the level fd), the I/O
 * thread must hear every connection's fd again: a direct receive may have left one muted. */
void socket_settle_direct(struct socket *s);
void socket_level_sync(struct socket *s);
static inline void socket_level_after(struct socket *s)
{
    if (s->level_on)
        socket_level_sync(s);
}

/* For socket types: n messages dropped for reason r (core/stats.h), on the socket's thread. */
static inline void socket_drop(struct socket *s, enum stats_reason r, uint64_t n)
{
    stats_bump(&s->stats.dropped[r], n);
    monitor_drop(s->monitor, (int)r, n);
}

/* zinc_socket_stats and zinc_socket_peers (core/stats.c), on the socket's thread: 0 or -errno. */
struct zinc_socket_stats_t;
struct zinc_peer_stats_t;
int socket_stats(struct socket *s, struct zinc_socket_stats_t *out);
int socket_peers(struct socket *s, struct zinc_peer_stats_t *peers, int count);
/* The same for the public functions: they take a thread-safe socket's lock. */
int stats_socket_locked(struct socket *s, struct zinc_socket_stats_t *out);
int stats_peers_locked(struct socket *s, struct zinc_peer_stats_t *peers, int count);
/* The counters alone (no queue depths, no peers): any thread, any time the socket is alive. */
void stats_counters(struct socket *s, struct zinc_socket_stats_t *out);

/* For socket types and transports. */
int socket_attach_pipe(struct socket *s, struct pipe_end *e);   /* the socket now owns e */
void socket_pipe_dead(struct socket *s, struct pipe_end *e);    /* e's peer is gone and e is drained */
void socket_reap_dead(struct socket *s);
uint32_t socket_next_routing_id(struct socket *s);
void socket_stop(struct socket *s);                             /* context shutdown: ETERM from now on */

#endif
