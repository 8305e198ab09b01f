/* The socket-type table. Each socket type (pair.c, push.c, ...) is one const proto_ops whose private state
 * the socket allocates inline (size bytes, zeroed). All hooks run on the thread that owns the socket
 * (the application thread calling zmq_*; for a thread_safe type, whichever thread holds the socket's lock),
 * never on an I/O thread, and never block.
 *
 * Ownership: send takes the message on success (it leaves *m an empty message) and leaves it untouched on
 * failure. recv fills an empty *m. A pipe end passed to attach stays valid until detach returns.
 */
#ifndef ZINC_PROTO_H
#define ZINC_PROTO_H

#include <stdbool.h>
#include <stddef.h>

struct msg;
struct pipe_end;
struct socket;

struct proto_ops {
    int type;                       /* ZMQ_PAIR, ... */
    const char *name;               /* "PAIR", as READY carries it */
    size_t size;                    /* private state bytes */
    bool thread_safe;               /* any thread may call at any time: socket.c serialises (socket_safe.h) */
    int (*init)(void *self, struct socket *s);                 /* 0 or -errno */
    void (*fini)(void *self);
    int (*attach)(void *self, struct pipe_end *e);           /* a new peer: 0, or -ENOMEM with nothing kept */
    void (*detach)(void *self, struct pipe_end *e);          /* the peer is gone: forget e */
    void (*read_activated)(void *self, struct pipe_end *e);  /* e may have frames again */
    void (*write_activated)(void *self, struct pipe_end *e); /* e may have room again */
    void (*hiccup)(void *self, struct pipe_end *e);          /* e's connection was replaced (optional) */
    int (*send)(void *self, struct msg *m);                  /* 0, -EAGAIN, -EFSM, -EHOSTUNREACH, ... */
    int (*recv)(void *self, struct msg *m);                  /* 0, -EAGAIN, -EFSM */
    bool (*has_in)(void *self);
    bool (*has_out)(void *self);
    /* Type-specific options, all set-only as in libzmq. socket.c calls it only for the options the option
     * table (core/option_table.c) gives this type, after the table's size and range checks; -ENOENT for
     * "not mine" becomes EINVAL. */
    int (*setopt)(void *self, int option, const void *value, size_t len);
    /* zmq_socket_get_peer_state (optional; NULL: -ENOTSUP): ZMQ_POLLOUT if the peer with this routing id
     * can take a message now, else 0; -EHOSTUNREACH for an id no connected peer has. */
    int (*peer_state)(void *self, const void *id, size_t len);
    /* zmq_join (join true) / zmq_leave for a group of len bytes (optional; NULL: -ENOTSUP): 0, or -EINVAL
     * (too long, joined twice, not joined), -ENOMEM. */
    int (*join)(void *self, const char *group, size_t len, bool join);
};

/* libzmq's draft socket types (zmq.h defines them only under ZMQ_BUILD_DRAFT_API). */
#define PROTO_SERVER 12
#define PROTO_CLIENT 13
#define PROTO_RADIO 14
#define PROTO_DISH 15
#define PROTO_GATHER 16
#define PROTO_SCATTER 17
#define PROTO_DGRAM 18
#define PROTO_PEER 19
#define PROTO_CHANNEL 20

const struct proto_ops *proto_find(int type);

#endif
