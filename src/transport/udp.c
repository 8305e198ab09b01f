/* udp:// for RADIO and DISH (libzmq 4.3's zmq_udp): a DISH binds (to "*:5555" for every interface,
 * "127.0.0.1:5555", "eth0:5555", a multicast group "239.0.0.1:5555" or "eth0;239.0.0.1:5555"), a RADIO
 * connects ("127.0.0.1:5555", "239.0.0.1:5555", "eth0;239.0.0.1:5555"); any other
 * combination is ENOCOMPATPROTO. IPv4 only. Port 0 or "*" on a bind takes an ephemeral port, shown by
 * ZMQ_LAST_ENDPOINT.
 *
 * No connection and no handshake: each endpoint is one UDP socket and one engine on the socket's I/O
 * thread, joined to the socket by a pipe made at bind/connect time. The RADIO's engine sends every message
 * the pipe brings as one datagram (zmtp/dgram.h: group length, group, body), to every group (a datagram
 * peer cannot join: pipe_end.datagram); the DISH's engine turns every datagram into a group frame and a
 * body frame in the pipe, and the DISH filters by group as it does for any peer. Lossy both ways, as UDP
 * is: a message over DGRAM_MAX bytes, a datagram the kernel will not take at once, a malformed datagram and
 * a datagram that finds the pipe at its high-water mark are dropped and counted (udp_engine.dropped).
 *
 * Lifetime: the engine is made on the application thread (so bind errors are synchronous), started on the
 * I/O thread (udp_start: counted live there), and ends there when the socket closed its pipe end
 * (zmq_unbind, zmq_disconnect, zmq_close): the pipe's wake finds the peer closed (udp_wake), and
 * udp_finish closes the fd and frees the engine at the end of the loop turn.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "core/reactor.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "transport/transport.h"
#include "zmtp/dgram.h"

#define UDP_READ_BATCH 64   /* datagrams per EPOLLIN before giving other handles a turn */

struct udp_engine {
    struct io_handle h;             /* the UDP socket; in epoll (EPOLLIN) for a DISH only */
    struct reactor *io;
    struct pipe_end *end;           /* the engine's end of the pipe */
    bool sender;                    /* RADIO: pipe -> datagrams; DISH: datagrams -> pipe */
    struct sockaddr_in dest;        /* RADIO: where datagrams go */
    struct msg group;               /* RADIO: a group frame waiting for its body */
    bool has_group;
    bool dropping;                  /* RADIO: the rest of a malformed message is skipped */
    bool started;                   /* udp_start ran (counted live) */
    uint64_t dropped;               /* messages or datagrams lost (see the top of the file) */
    struct io_deferred free_later;
    uint8_t buf[DGRAM_MAX];
};

/* ---- addresses ----------------------------------------------------------------------------------------- */
/* The IPv4 address of interface name (as "eth0"), or -ENODEV. */
static int iface_address(const char *name, struct in_addr *out)
{
    struct ifaddrs *all, *i;
    if (getifaddrs(&all) < 0)
        return -ENODEV;
    int rc = -ENODEV;
    for (i = all; i; i = i->ifa_next) {
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, name) == 0) {
            *out = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
            rc = 0;
            break;
        }
    }
    freeifaddrs(all);
    return rc;
}

/* A host: "*" (any), a numeric IPv4 address, an interface name or (allow_names) a host name. */
static int host_address(const char *host, bool allow_names, struct in_addr *out)
{
    if (strcmp(host, "*") == 0) {
        out->s_addr = htonl(INADDR_ANY);
        return 0;
    }
    if (inet_pton(AF_INET, host, out) == 1)
        return 0;
    if (iface_address(host, out) == 0)
        return 0;
    if (!allow_names)
        return -ENODEV;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return -EINVAL;
    *out = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return 0;
}

struct udp_addr {
    struct in_addr iface;           /* "IFACE;" part, or INADDR_ANY */
    struct in_addr host;
    uint16_t port;
    bool multicast;
};

/* "[IFACE;]HOST:PORT" -> parts. 0, -EINVAL (syntax, port), -ENODEV (unknown interface). */
static int udp_addr_parse(const char *addr, bool bind, struct udp_addr *out)
{
    char copy[TRANSPORT_URI_MAX];
    if (strlen(addr) >= sizeof copy)
        return -EINVAL;
    snprintf(copy, sizeof copy, "%s", addr);
    char *host = copy;
    out->iface.s_addr = htonl(INADDR_ANY);
    char *semi = strchr(copy, ';');
    if (semi) {
        *semi = 0;
        int rc = host_address(copy, false, &out->iface);
        if (rc < 0)
            return rc;
        host = semi + 1;
    }
    char *colon = strrchr(host, ':');
    if (!colon || colon == host || colon[1] == 0)
        return -EINVAL;
    *colon = 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (strcmp(colon + 1, "*") == 0 && bind)
        port = 0;
    else if (*end || port > 65535 || (port == 0 && !bind))
        return -EINVAL;
    out->port = (uint16_t)port;
    int rc = host_address(host, !bind, &out->host);
    if (rc < 0)
        return rc;
    out->multicast = IN_MULTICAST(ntohl(out->host.s_addr));
    return 0;
}

/* ---- the engine, on the I/O thread ------------------------------------------------------------------- */
static void udp_free(void *arg)
{
    struct udp_engine *u = arg;
    free(u);
}

/* The socket closed its end: close ours, the fd and the engine. */
static void udp_finish(struct udp_engine *u)
{
    if (u->h.fd < 0)
        return;
    if (u->h.events)
        io_remove(u->io, &u->h);
    close(u->h.fd);
    u->h.fd = -1;
    if (u->has_group)
        msg_close(&u->group);
    u->has_group = false;
    u->end->owner = NULL;
    pipe_close(u->end);
    if (u->started)
        u->io->live--;
    io_defer_free(u->io, &u->free_later, udp_free, u);
}

/* RADIO: one frame from the pipe; a message is a group frame (MORE) then its body. Takes m. */
static void udp_send_frame(struct udp_engine *u, struct msg *m)
{
    bool more = msg_more(m);
    if (u->dropping || (!u->has_group && !more)) {
        u->dropping = more;   /* not a group + body pair: skip to its end */
        if (!more && !u->has_group)
            u->dropped++;
        msg_close(m);
        return;
    }
    if (!u->has_group) {
        msg_init(&u->group);
        msg_move(&u->group, m);
        u->has_group = true;
        return;
    }
    u->has_group = false;
    if (more) {   /* three frames or more: no RADIO message */
        u->dropping = true;
        u->dropped++;
    } else {
        size_t n = dgram_encode(u->buf, sizeof u->buf, msg_data(&u->group), msg_size(&u->group), msg_data(m),
                                msg_size(m));
        if (n == 0 || sendto(u->h.fd, u->buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&u->dest,
                             sizeof u->dest) != (ssize_t)n)
            u->dropped++;   /* too big, or the kernel's buffer is full: UDP loses it */
    }
    msg_close(&u->group);
    msg_close(m);
}

/* The pipe woke us: a RADIO sends what came, a DISH discards what came (its joins, useless here); both
 * end when the socket has closed its end and everything before the close was read. */
static void udp_wake(struct pipe_end *e)
{
    struct udp_engine *u = e->owner;
    if (!u || u->h.fd < 0)
        return;
    struct msg m;
    msg_init(&m);
    while (pipe_read(e, &m)) {
        if (u->sender)
            udp_send_frame(u, &m);
        else
            msg_close(&m);
        msg_init(&m);
    }
    if (pipe_peer_closed(e) && !pipe_check_read(e))
        udp_finish(u);
}

/* DISH: one datagram into the pipe as a group frame and a body frame. false: no room or no memory. */
static bool udp_deliver(struct udp_engine *u, const struct dgram *d)
{
    if (!pipe_check_write(u->end))
        return false;
    struct msg g, b;
    if (msg_init_size_in(&g, d->group_len, u->io->pool) < 0)
        return false;
    if (msg_init_size_in(&b, d->body_len, u->io->pool) < 0) {
        msg_close(&g);
        return false;
    }
    if (d->group_len)
        memcpy(msg_data(&g), d->group, d->group_len);
    if (d->body_len)
        memcpy(msg_data(&b), d->body, d->body_len);
    g.flags = MSGF_MORE;
    if (pipe_write(u->end, &g) < 0) {
        msg_close(&g);
        msg_close(&b);
        return false;
    }
    if (pipe_write(u->end, &b) < 0) {
        msg_close(&b);
        pipe_rollback(u->end);
        return false;
    }
    return true;
}

static void udp_on_event(struct io_handle *h, uint32_t events)
{
    struct udp_engine *u = (struct udp_engine *)h;
    (void)events;
    bool wrote = false;
    for (int i = 0; i < UDP_READ_BATCH && u->h.fd >= 0; i++) {
        /* MSG_TRUNC: the datagram's real length, so one over DGRAM_MAX is seen and dropped */
        ssize_t n = recv(u->h.fd, u->buf, sizeof u->buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0)
            break;   /* EAGAIN: drained; anything else: nothing to read now either */
        struct dgram d;
        if ((size_t)n > sizeof u->buf || dgram_decode(u->buf, (size_t)n, &d) < 0 || !udp_deliver(u, &d)) {
            u->dropped++;
            continue;
        }
        wrote = true;
    }
    if (wrote)
        pipe_flush(u->end);
}

static void udp_start(void *arg)
{
    struct udp_engine *u = arg;
    if (u->h.fd < 0)
        return;
    u->started = true;
    u->io->live++;
    if (!u->sender && io_add(u->io, &u->h, EPOLLIN) < 0)
        u->dropped++;   /* epoll refused (ENOMEM, ENOSPC): this DISH endpoint stays deaf */
    udp_wake(u->end);   /* anything the socket wrote meanwhile */
}

/* ---- bind / connect, on the application thread ------------------------------------------------------- */
static int udp_socket_for(const struct udp_addr *a, struct socket *s, bool bind_side)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (bind_side) {
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);   /* several DISHes, one group */
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(a->port)};
        sin.sin_addr.s_addr = a->multicast ? htonl(INADDR_ANY) : a->host.s_addr;
        if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
            rc = -errno;
        if (rc == 0 && a->multicast) {
            struct ip_mreq mreq = {.imr_multiaddr = a->host, .imr_interface = a->iface};
            if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
                rc = -errno;
        }
    } else if (a->multicast) {
        unsigned char loop = s->opt.multicast_loop ? 1 : 0;
        unsigned char ttl = (unsigned char)(s->opt.multicast_hops > 255 ? 255 : s->opt.multicast_hops);
        if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0 ||
            (a->iface.s_addr != htonl(INADDR_ANY) &&
             setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a->iface, sizeof a->iface) < 0))
            rc = -errno;
    }
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* Makes the engine and its pipe, attaches the socket's end and starts the engine. 0 or -errno. */
static int udp_open(struct socket *s, const char *addr, struct endpoint *ep, bool bind_side)
{
    if (s->opt.type != (bind_side ? PROTO_DISH : PROTO_RADIO))
        return -ENOCOMPATPROTO;
    if (!s->io)
        return -EMTHREAD;
    struct udp_addr a;
    int rc = udp_addr_parse(addr, bind_side, &a);
    if (rc < 0)
        return rc;
    struct udp_engine *u = calloc(1, sizeof *u);
    if (!u)
        return -ENOMEM;
    u->h.fd = -1;
    rc = udp_socket_for(&a, s, bind_side);
    if (rc < 0)
        goto fail_engine;
    u->h.fd = rc;
    u->h.on_event = udp_on_event;
    u->io = s->io;
    u->sender = !bind_side;
    u->dest = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(a.port), .sin_addr = a.host};
    char shown[TRANSPORT_URI_MAX];
    struct sockaddr_in local;
    socklen_t len = sizeof local;
    if (bind_side && getsockname(u->h.fd, (struct sockaddr *)&local, &len) == 0 && a.port == 0) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &a.host, ip, sizeof ip);
        const char *semi = strchr(addr, ';');   /* the interface part stays as it was written */
        int iface_len = semi ? (int)(semi - addr + 1) : 0;
        snprintf(shown, sizeof shown, "udp://%.*s%s:%u", iface_len, addr, ip, (unsigned)ntohs(local.sin_port));
    } else {
        snprintf(shown, sizeof shown, "%s", ep->uri);
    }
    rc = -ENOMEM;
    ep->resolved = strdup(shown);
    struct pipe *pipe = ep->resolved ? pipe_new((uint64_t)s->opt.sndhwm, (uint64_t)s->opt.rcvhwm) : NULL;
    if (!pipe)
        goto fail_fd;
    struct pipe_end *mine = &pipe->end[0];
    u->end = &pipe->end[1];
    u->end->owner = u;
    u->end->io_wake = udp_wake;
    mine->datagram = true;
    pipe_end_set_mailbox(mine, s->mbox);
    pipe_end_set_mailbox(u->end, s->io->mbox);
    pipe_end_set_uris(mine, bind_side ? shown : NULL, bind_side ? NULL : ep->uri);
    /* first the engine's start, so the I/O thread runs it before any wake from the socket's writes */
    if (reactor_call(s->io, udp_start, u) < 0)
        goto fail_pipe;
    rc = socket_attach_pipe(s, mine);
    if (rc < 0) {
        pipe_close(mine);   /* the engine's wake sees it and ends (udp_start already queued) */
        return rc;
    }
    ep->end = mine;
    ep->impl = u;
    return 0;
fail_pipe:
    pipe_close(mine);
    pipe_close(u->end);
fail_fd:
    close(u->h.fd);
fail_engine:
    free(u);
    return rc;
}

static int udp_bind(struct socket *s, const char *addr, struct endpoint *ep) { return udp_open(s, addr, ep, true); }
static int udp_connect(struct socket *s, const char *addr, struct endpoint *ep) { return udp_open(s, addr, ep, false); }

/* The socket closes its pipe end itself (socket_detach_pipe, or zmq_close): the engine follows. */
static void udp_close(struct socket *s, struct endpoint *ep, int linger)
{
    (void)s;
    (void)linger;
    ep->impl = NULL;
}

const struct transport_ops transport_udp = {
    .scheme = "udp",
    .stream = NULL,
    .bind = udp_bind,
    .connect = udp_connect,
    .close = udp_close,
};
