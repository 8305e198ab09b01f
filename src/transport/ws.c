/* ws:// (libzmq's draft WebSocket transport, ZWS 2.0): the address is tcp's with an optional path,
 * "host:port[/path]"; sockets, addresses and socket options are tcp's (tcp.c, through stream_tcp), and
 * each connected or accepted fd is handed to a WebSocket relay (core/ws_relay.c) that gives the ZMTP
 * engine a plain ZMTP stream. As libzmq 4.3.4: ZMQ_LAST_ENDPOINT is "ws://ip:port/path" ("/" when the bind
 * named none; libzmq's client cannot connect to an address without a path), and a server accepts any path.
 * wss:// (TLS) is not implemented. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "core/options.h"
#include "core/socket.h"
#include "core/ws_relay.h"
#include "transport/transport.h"

#define WS_ADDR_MAX 1024

/* addr without its "/path" into out. 0 or -EINVAL. */
static int ws_host_port(const char *addr, char *out, size_t cap)
{
    const char *slash = strchr(addr, '/');
    size_t n = slash ? (size_t)(slash - addr) : strlen(addr);
    if (n == 0 || n >= cap)
        return -EINVAL;
    memcpy(out, addr, n);
    out[n] = 0;
    return 0;
}

/* "tcp://..." -> "ws://..." in place (buf has cap bytes). */
static void ws_rename(char *buf, size_t cap)
{
    if (strncmp(buf, "tcp://", 6) == 0 && strlen(buf) + 1 < cap) {
        memmove(buf + 5, buf + 6, strlen(buf + 6) + 1);
        memcpy(buf, "ws://", 5);
    }
}

static int ws_listen(const char *addr, const struct options *o, int *fd, char *resolved, size_t cap)
{
    char hp[WS_ADDR_MAX];
    int rc = ws_host_port(addr, hp, sizeof hp);
    if (rc < 0)
        return rc;
    rc = stream_tcp.listen(hp, o, fd, resolved, cap);
    if (rc == 0) {   /* "ws://ip:port" and the path, "/" by default (libzmq 4.3.4's form) */
        ws_rename(resolved, cap);
        const char *path = strchr(addr, '/');
        size_t have = strlen(resolved);
        snprintf(resolved + have, cap - have, "%s", path ? path : "/");
    }
    return rc;
}

static int ws_connect(const char *addr, const struct options *o, int *fd)
{
    char hp[WS_ADDR_MAX];
    int rc = ws_host_port(addr, hp, sizeof hp);
    return rc < 0 ? rc : stream_tcp.connect(hp, o, fd);
}

static int ws_check_connect(const char *addr, const struct options *o)
{
    char hp[WS_ADDR_MAX];
    int rc = ws_host_port(addr, hp, sizeof hp);
    return rc < 0 ? rc : stream_tcp.check_connect(hp, o);
}

static void ws_uri(int fd, bool local, char *buf, size_t cap)
{
    stream_tcp.uri(fd, local, buf, cap);
    ws_rename(buf, cap);
}

static void ws_tune(int fd, const struct options *o)
{
    stream_tcp.tune(fd, o);
}

static void ws_peer_address(int fd, char *buf, size_t cap)
{
    stream_tcp.peer_address(fd, buf, cap);
}

const struct stream_ops stream_ws = {
    .listen = ws_listen,
    .connect = ws_connect,
    .tune = ws_tune,
    .peer_address = ws_peer_address,
    .uri = ws_uri,
    .unlisten = NULL,
    .check_connect = ws_check_connect,
    .wrap = ws_relay_start,
};

/* STREAM's raw bytes have no frames for ZWS to carry. */
static int ws_bind(struct socket *s, const char *addr, struct endpoint *ep)
{
    return s->opt.type == ZMQ_STREAM ? -ENOCOMPATPROTO : stream_bind(s, &stream_ws, "ws", addr, ep);
}

static int ws_connect_ep(struct socket *s, const char *addr, struct endpoint *ep)
{
    return s->opt.type == ZMQ_STREAM ? -ENOCOMPATPROTO : stream_connect(s, &stream_ws, "ws", addr, ep);
}

const struct transport_ops transport_ws = {
    .scheme = "ws",
    .stream = &stream_ws,
    .bind = ws_bind,
    .connect = ws_connect_ep,
    .close = stream_close,
};
