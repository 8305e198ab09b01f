/* A ZMTP connection over a byte stream (tcp, ipc) and the session around it: greeting, mechanism
 * handshake, then frames between the socket's pipe and the fd. A connecting conn outlives its fd: it
 * keeps its pipe across reconnects, so messages sent before the peer is up wait in the pipe.
 * Lives on one I/O thread; see conn.c for its state diagram. */
#ifndef ZINC_CONN_H
#define ZINC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

struct conn;
struct ctx;
struct listener;
struct mailbox;
struct monitor;
struct peer_msg;
struct pipe_end;
struct reactor;
struct stream_ops;

/* What a conn needs from its socket, copied when the conn is made (the I/O thread never reads the
 * socket's own options). */
struct conn_params {
    struct options opt;
    struct reactor *io;
    struct ctx *ctx;                    /* for the ZAP handler's inproc binding; outlives the conn */
    struct mailbox *sock_mbox;          /* reference held by the conn */
    struct monitor *monitor;            /* the socket's monitor slot, reference held by the conn */
    const struct stream_ops *stream;
    char endpoint[1024];                /* the uri, for monitor events and reconnects */
    const char *address;                /* points into endpoint: the part after "scheme://" */
    struct peer_msg *hello;             /* ZMQ_HELLO_MSG to send each new peer first, or NULL */
    struct peer_msg *disconnect;        /* ZMQ_DISCONNECT_MSG for an accepted peer that goes, or NULL */
};

/* Whoever fills a conn_params (stream_params) holds a reference on hello and disconnect; each conn and
 * listener made from it takes its own. */
void conn_params_release(struct conn_params *p);

/* Application thread: creates a connecting conn; its pipe end (if not ZMQ_IMMEDIATE, already attached
 * to the socket by the caller) is given. Starts connecting on the I/O thread. NULL on ENOMEM. */
struct conn *conn_connect(const struct conn_params *p, struct pipe_end *end);
/* I/O thread: a conn for an accepted fd, in two steps: the listener records the conn before
 * conn_start_accepted runs, because starting may already fail and end the conn (a peer that reset at
 * once), which removes it from the listener's list. */
struct conn *conn_accepted(const struct conn_params *p, struct listener *l);
void conn_start_accepted(struct conn *c, int fd);
/* Application thread: the socket is done with this connecting conn (disconnect or close); after this the
 * socket must forget c. Runs conn_close on the I/O thread io (the one given in conn_params). */
void conn_close_async(struct reactor *io, struct conn *c, int linger);
/* I/O thread: same, from the listener. */
void conn_close(struct conn *c, int linger);
/* I/O thread: the listener is gone. */
void conn_forget_listener(struct conn *c);

void listener_conn_gone(struct listener *l, struct conn *c);

#endif
