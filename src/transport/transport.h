/* Transports. Each is one const table: tcp.c and ipc.c are byte streams driven by the ZMTP connection
 * engine (core/conn.c, core/listener.c) and only know addresses and socket options; inproc.c connects two
 * sockets of one context with a pipe and no engine at all.
 *
 * Threads: bind/connect/close run on the application thread; listen and connect may block (name
 * resolution) but never on the network; stream ops marked (io) run on an I/O thread.
 */
#ifndef ZINC_TRANSPORT_H
#define ZINC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

struct options;
struct socket;
struct endpoint;
struct reactor;

#define TRANSPORT_URI_MAX 1024

struct stream_ops {
    /* Opens a listening fd for addr (the part after "scheme://"). Writes the resolved endpoint (full uri,
     * with the real port for "*") into resolved. 0 or -errno. */
    int (*listen)(const char *addr, const struct options *o, int *fd, char *resolved, size_t cap);
    /* (io) Starts a non-blocking connect. 0 when connected, -EINPROGRESS, or -errno; on -errno *fd is the
     * number of the socket it opened and already closed (for the monitor's CLOSED event), or -1. */
    int (*connect)(const char *addr, const struct options *o, int *fd);
    /* (io) Applies per-connection options (TCP_NODELAY, keepalive, buffers, ToS). */
    void (*tune)(int fd, const struct options *o);
    /* (io) "Peer-Address" for metadata. */
    void (*peer_address)(int fd, char *buf, size_t cap);
    /* (io) The connected fd's own (local true) or its peer's address as a uri ("tcp://127.0.0.1:5555",
     * "ipc:///tmp/x"), for monitor events; "" when the system cannot say. */
    void (*uri)(int fd, bool local, char *buf, size_t cap);
    /* Called when a listener closes (ipc removes its socket file). May be NULL. */
    void (*unlisten)(const char *resolved);
    /* Cheap syntax check of a connect address, on the application thread: 0, -EINVAL or -ENAMETOOLONG. */
    int (*check_connect)(const char *addr, const struct options *o);
    /* (io) May be NULL. Takes a fresh connected (client) or accepted fd, after tune and peer_address ran
     * on it, and returns the fd the ZMTP engine runs on instead, or -errno (fd closed). ws:// puts its
     * WebSocket relay between the two (core/ws_relay.c). addr is the connect address. */
    int (*wrap)(struct reactor *io, int fd, bool client, const char *addr, const struct options *o);
};

struct transport_ops {
    const char *scheme;                     /* "tcp", "ipc", "inproc" */
    const struct stream_ops *stream;        /* NULL for inproc */
    int (*bind)(struct socket *s, const char *addr, struct endpoint *ep);
    int (*connect)(struct socket *s, const char *addr, struct endpoint *ep);
    /* Ends an endpoint (unbind, disconnect, socket close). linger is the socket's ZMQ_LINGER now. */
    void (*close)(struct socket *s, struct endpoint *ep, int linger);
};

struct endpoint {
    struct endpoint *next;
    const struct transport_ops *tp;
    char *uri;                              /* as the application wrote it */
    char *resolved;                         /* bind: with the real port; else a copy of uri */
    bool is_bind;
    void *impl;                             /* listener, connection, or inproc state: owned by tp */
    struct pipe_end *end;                   /* connect: the socket's end of the pipe, if attached */
};

const struct transport_ops *transport_find(const char *uri, const char **addr);
/* Splits "scheme://address" for a socket of type: 0, -EINVAL (malformed, empty address), -EPROTONOSUPPORT
 * (unknown scheme) or -ENOCOMPATPROTO (a multicast/datagram scheme this type cannot use), as libzmq. */
int transport_parse(const char *uri, int type, const struct transport_ops **tp, const char **addr);
/* The "tcp://ip:port" form a tcp address resolves to, which zmq_unbind/zmq_disconnect also accept. */
int transport_tcp_canonical(const char *addr, bool ipv6, char *out, size_t cap);

extern const struct transport_ops transport_tcp;
extern const struct transport_ops transport_ipc;
extern const struct transport_ops transport_inproc;
extern const struct transport_ops transport_udp;   /* RADIO/DISH datagrams (udp.c) */
extern const struct transport_ops transport_ws;
extern const struct stream_ops stream_tcp;
extern const struct stream_ops stream_ipc;
extern const struct stream_ops stream_ws;

/* The shared bind/connect/close for stream transports (core/listener.c, core/conn.c). */
int stream_bind(struct socket *s, const struct stream_ops *st, const char *scheme, const char *addr,
                struct endpoint *ep);
int stream_connect(struct socket *s, const struct stream_ops *st, const char *scheme, const char *addr,
                   struct endpoint *ep);
void stream_close(struct socket *s, struct endpoint *ep, int linger);
/* ZMQ_USE_FD: checks that fd is a listening stream socket and makes it non-blocking and close-on-exec.
 * 0, or -errno (EBADF, ENOTSOCK, EINVAL when it is not listening). */
int stream_adopt_fd(int fd);

#endif
