/* The SOCKS5 phase of a connecting conn (ZMQ_SOCKS_PROXY): moves the bytes of the socks.c codec between the
 * fd and the proxy, then hands the fd to the ZMTP greeting. It reads exactly what the codec still wants, so
 * the relayed stream that follows the proxy's reply stays in the kernel for the greeting. A proxy that
 * refuses, misbehaves or hangs up ends the attempt; the conn reconnects as after a failed connect. The
 * handshake timer (ZMQ_HANDSHAKE_IVL) bounds a proxy that never answers. */
#include "core/conn_int.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#include "core/reactor.h"

static void socks_fail(struct conn *c)
{
    int fd = c->h.fd;
    io_remove(c->p.io, &c->h);
    io_timer_cancel(c->p.io, &c->handshake_timer);
    close(fd);
    conn_connect_failed(c, fd);
}

/* Writes what the codec queued. false when the attempt failed. */
static bool socks_flush(struct conn *c)
{
    struct socks_client *sc = &c->socks;
    while (sc->out_len) {
        ssize_t n = send(c->h.fd, sc->out, sc->out_len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return io_set_events(c->p.io, &c->h, EPOLLIN | EPOLLOUT) == 0;
            }
            return false;
        }
        memmove(sc->out, sc->out + n, sc->out_len - (size_t)n);
        sc->out_len -= (size_t)n;
    }
    return io_set_events(c->p.io, &c->h, EPOLLIN) == 0;   /* false: the caller fails the connection */
}

static void socks_done(struct conn *c)
{
    int fd = c->h.fd;
    io_remove(c->p.io, &c->h);
    io_timer_cancel(c->p.io, &c->handshake_timer);
    c->h.fd = -1;
    conn_learn_uris(c, fd);
    conn_event(c, ZMQ_EVENT_CONNECTED, (uint64_t)fd);
    conn_start_stream(c, fd);
}

/* Reads what the codec wants. 1 done, 0 wait for more, -1 failed. */
static int socks_read(struct conn *c)
{
    struct socks_client *sc = &c->socks;
    for (;;) {
        uint8_t buf[SOCKS_REPLY_MAX];
        size_t want = socks_client_want(sc);
        ssize_t n = recv(c->h.fd, buf, want, 0);
        if (n == 0)
            return -1;   /* the proxy hung up */
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        int rc = socks_client_input(sc, buf, (size_t)n);
        if (rc < 0)
            return -1;
        if (rc == 1)
            return 1;
        if (sc->out_len && !socks_flush(c))
            return -1;
    }
}

void conn_socks_start(struct conn *c, int fd)
{
    c->h.fd = fd;
    /* the destination is the endpoint's address; a "src;dst" form keeps only dst */
    const char *dest = strrchr(c->p.address, ';');
    dest = dest ? dest + 1 : c->p.address;
    if (socks_client_init(&c->socks, dest) < 0 || io_add(c->p.io, &c->h, EPOLLIN) < 0) {
        c->h.fd = -1;
        close(fd);
        conn_connect_failed(c, fd);
        return;
    }
    c->state = CONN_SOCKS;
    if (c->p.opt.handshake_ivl > 0)
        io_timer_start(c->p.io, &c->handshake_timer, (uint64_t)c->p.opt.handshake_ivl);
    if (!socks_flush(c))
        socks_fail(c);
}

void conn_socks_event(struct conn *c, uint32_t events)
{
    if ((events & EPOLLOUT) && !socks_flush(c)) {
        socks_fail(c);
        return;
    }
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        return;
    int rc = socks_read(c);
    if (rc < 0)
        socks_fail(c);
    else if (rc == 1)
        socks_done(c);
}
