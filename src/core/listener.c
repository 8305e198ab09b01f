/* Listeners for byte-stream transports, and the shared bind/connect/close that tcp.c and ipc.c plug into.
 * A listener lives on its socket's I/O thread, accepts connections and keeps the list of the ones it
 * accepted, so that unbind and close can end them. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#include "core/conn.h"
#include "core/mailbox.h"
#include "core/monitor.h"
#include "core/peer_msg.h"
#include "core/pipe.h"
#include "core/reactor.h"
#include "core/socket.h"
#include "core/util.h"
#include "transport/transport.h"

#define LISTENER_EMFILE_PAUSE_MS 100

struct listener_conn {
    struct listener_conn *next;
    struct conn *conn;
};

struct listener {
    struct conn_params p;
    struct io_handle h;
    struct io_timer resume_timer;    /* after EMFILE, accepting pauses for a moment */
    struct io_deferred defer;        /* its free at the end of the loop turn */
    struct listener_conn *conns;
    char resolved[1024];
    bool closed;
};

static void listener_free(void *arg)
{
    struct listener *l = arg;
    conn_params_release(&l->p);
    free(l);
}

void listener_conn_gone(struct listener *l, struct conn *c)
{
    for (struct listener_conn **pp = &l->conns; *pp; pp = &(*pp)->next) {
        if ((*pp)->conn == c) {
            struct listener_conn *dead = *pp;
            *pp = dead->next;
            free(dead);
            return;
        }
    }
}

/* Accepting starts again after a pause; if epoll cannot take the listener back yet, pause again. */
static void on_resume(struct io_timer *t)
{
    struct listener *l = (struct listener *)((char *)t - offsetof(struct listener, resume_timer));
    if (io_set_events(l->p.io, &l->h, EPOLLIN) < 0)
        io_timer_start(l->p.io, &l->resume_timer, LISTENER_EMFILE_PAUSE_MS);
}

static void on_accept(struct io_handle *h, uint32_t events)
{
    ZN_UNUSED(events);
    struct listener *l = (struct listener *)((char *)h - offsetof(struct listener, h));
    for (int i = 0; i < 64; i++) {
        int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                return;
            if (l->p.monitor)
                monitor_emit(l->p.monitor, ZMQ_EVENT_ACCEPT_FAILED, (uint64_t)errno, l->resolved, l->resolved,
                             NULL);
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors or memory: stop accepting for a while instead of spinning. */
                (void)io_set_events(l->p.io, &l->h, 0);
                io_timer_start(l->p.io, &l->resume_timer, LISTENER_EMFILE_PAUSE_MS);
            }
            return;
        }
        if (!options_accept_peer(&l->p.opt, fd)) {
            close(fd);   /* refused by ZMQ_TCP_ACCEPT_FILTER / ZMQ_IPC_FILTER_* */
            continue;
        }
        struct listener_conn *entry = malloc(sizeof *entry);
        struct conn *c = entry ? conn_accepted(&l->p, l) : NULL;
        if (!c) {
            free(entry);
            close(fd);
            continue;
        }
        entry->conn = c;
        entry->next = l->conns;
        l->conns = entry;
        conn_start_accepted(c, fd);   /* ACCEPTED; may end c at once: it is listed, so it unlists itself */
    }
}

struct listener_close_job {
    struct listener *l;
    int linger;
};

static void listener_close_run(void *arg)
{
    struct listener_close_job *job = arg;
    struct listener *l = job->l;
    int fd = l->h.fd;
    io_remove(l->p.io, &l->h);
    io_timer_cancel(l->p.io, &l->resume_timer);
    close(fd);
    if (l->p.monitor)
        monitor_unref(l->p.monitor);
    /* End the connections accepted here. conn_close may remove entries, so detach the list first. */
    struct listener_conn *list = l->conns;
    l->conns = NULL;
    while (list) {
        struct listener_conn *next = list->next;
        conn_forget_listener(list->conn);
        conn_close(list->conn, job->linger);
        free(list);
        list = next;
    }
    mailbox_unref(l->p.sock_mbox);
    l->p.io->live--;
    io_defer_free(l->p.io, &l->defer, listener_free, l);
    free(job);
}

static void listener_start_run(void *arg)
{
    struct listener *l = arg;
    l->p.io->live++;
    if (io_add(l->p.io, &l->h, EPOLLIN) < 0)   /* ENOMEM/ENOSPC: accept once epoll takes it */
        io_timer_start(l->p.io, &l->resume_timer, LISTENER_EMFILE_PAUSE_MS);
}

void stream_params(struct socket *s, const struct stream_ops *st, const char *scheme, const char *addr,
                   struct conn_params *p)
{
    memset(p, 0, sizeof *p);
    p->opt = s->opt;
    p->io = s->io;
    p->ctx = s->ctx;
    p->sock_mbox = s->mbox;
    p->monitor = s->monitor;
    p->stream = st;
    p->hello = peer_msg_ref(peer_msg_hello_for(s->opt.type, s->hello_msg));
    p->disconnect = peer_msg_ref(peer_msg_disconnect_for(s->opt.type, s->disconnect_msg));
    snprintf(p->endpoint, sizeof p->endpoint, "%s://%s", scheme, addr);
    p->address = p->endpoint + strlen(scheme) + 3;
}

int stream_adopt_fd(int fd)
{
    int listening = 0, type = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0)
        return -errno;
    len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        return -errno;
    if (!listening || type != SOCK_STREAM)
        return -EINVAL;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

int stream_bind(struct socket *s, const struct stream_ops *st, const char *scheme, const char *addr,
                struct endpoint *ep)
{
    struct listener *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    stream_params(s, st, scheme, addr, &l->p);
    int fd;
    int rc = st->listen(addr, &s->opt, &fd, l->resolved, sizeof l->resolved);
    if (rc < 0) {
        /* libzmq names the address without its scheme here (and reports the socket it closed as CLOSED
         * first, which zinc does not: the transport does not say which fd it had opened) */
        monitor_emit(s->monitor, ZMQ_EVENT_BIND_FAILED, (uint64_t)-rc, addr, addr, NULL);
        listener_free(l);
        return rc;
    }
    l->h.fd = fd;
    l->h.on_event = on_accept;
    io_timer_init(&l->resume_timer, on_resume);
    ep->resolved = strdup(l->resolved);
    if (!ep->resolved) {
        close(fd);
        listener_free(l);
        return -ENOMEM;
    }
    mailbox_ref(l->p.sock_mbox);
    if (l->p.monitor)
        monitor_ref(l->p.monitor);
    /* The listener's conns use the resolved endpoint in their events, as libzmq does. */
    snprintf(l->p.endpoint, sizeof l->p.endpoint, "%s", l->resolved);
    l->p.address = l->p.endpoint + strlen(scheme) + 3;
    if (s->monitor)
        monitor_emit(s->monitor, ZMQ_EVENT_LISTENING, (uint64_t)fd, l->resolved, l->resolved, NULL);
    /* Out of memory for the command: fail the bind (the listener was never seen by the I/O thread) rather
     * than wait here for memory that may not come back. */
    if (reactor_call(s->io, listener_start_run, l) < 0) {
        if (s->monitor)
            monitor_emit(s->monitor, ZMQ_EVENT_CLOSED, (uint64_t)fd, l->resolved, l->resolved, NULL);
        if (st->unlisten && s->opt.use_fd < 0)
            st->unlisten(l->resolved);
        close(fd);
        free(ep->resolved);
        ep->resolved = NULL;
        mailbox_unref(l->p.sock_mbox);
        if (l->p.monitor)
            monitor_unref(l->p.monitor);
        listener_free(l);
        return -ENOMEM;
    }
    ep->impl = l;
    return 0;
}

/* stream_connect with its parameters made (the conn takes references of its own on what they hold). */
static int stream_connect_with(struct socket *s, const struct conn_params *p, struct endpoint *ep)
{
    /* Before the conn exists: once it is posted to the I/O thread it can no longer be taken back. */
    ep->resolved = strdup(p->endpoint);
    if (!ep->resolved)
        return -ENOMEM;
    /* The pipe exists before the connection does, so messages queue up (and a ZMQ_PROBE_ROUTER probe
     * waits) while connecting; except with ZMQ_IMMEDIATE, and for STREAM unless ZMQ_CONNECT_ROUTING_ID
     * names the peer. A ROUTER learns the peer's id from the conn, in band (MSGF_ROUTING_ID). */
    struct pipe_end *sock_end = NULL, *conn_end = NULL;
    bool raw = s->opt.type == ZMQ_STREAM || s->opt.raw_socket;   /* ZMQ_ROUTER_RAW: as STREAM */
    bool early = !s->opt.immediate && (!raw || s->opt.connect_routing_id_set);
    if (early) {
        struct pipe *pipe = pipe_new((uint64_t)s->opt.sndhwm, (uint64_t)s->opt.rcvhwm);
        if (!pipe)
            return -ENOMEM;
        pipe_conflate_as(pipe, &s->opt);
        sock_end = &pipe->end[0];
        conn_end = &pipe->end[1];
        pipe_end_set_mailbox(sock_end, s->mbox);
        if (s->opt.connect_routing_id_set) {
            memcpy(sock_end->peer_id, s->opt.connect_routing_id, s->opt.connect_routing_id_len);
            sock_end->peer_id_len = s->opt.connect_routing_id_len;
        }
        sock_end->id_in_band = s->opt.type == ZMQ_ROUTER && !raw;
        pipe_end_set_uris(sock_end, NULL, p->endpoint);   /* as libzmq: no local end before a connection */
    }
    struct conn *c = conn_connect(p, conn_end);
    if (!c) {
        if (early) {
            pipe_close(conn_end);
            pipe_close(sock_end);
        }
        return -ENOMEM;
    }
    if (early) {
        int arc = socket_attach_pipe(s, sock_end);
        if (arc < 0) {
            pipe_close(sock_end);
            conn_close_async(s->io, c, 0);
            return arc;
        }
        ep->end = sock_end;
    }
    ep->impl = c;
    return 0;
}

int stream_connect(struct socket *s, const struct stream_ops *st, const char *scheme, const char *addr,
                   struct endpoint *ep)
{
    int rc = st->check_connect ? st->check_connect(addr, &s->opt) : 0;
    if (rc < 0)
        return rc;
    struct conn_params p;
    stream_params(s, st, scheme, addr, &p);
    rc = stream_connect_with(s, &p, ep);
    conn_params_release(&p);
    return rc;
}

void stream_close(struct socket *s, struct endpoint *ep, int linger)
{
    if (ep->is_bind) {
        /* Remove an ipc socket file now, on this thread: a bind of the same path right after the unbind
         * must not lose its fresh file to the I/O thread's later cleanup. */
        struct listener *l = ep->impl;
        if (l->p.stream->unlisten && l->p.opt.use_fd < 0)   /* a ZMQ_USE_FD socket file is the application's */
            l->p.stream->unlisten(l->resolved);
        /* CLOSED is reported here, before zmq_unbind or zmq_close returns (and before MONITOR_STOPPED). The
         * fd number is fixed for the listener's life; only the I/O thread closes it, later. */
        if (s->monitor)
            monitor_emit(s->monitor, ZMQ_EVENT_CLOSED, (uint64_t)l->h.fd, l->resolved, l->resolved, NULL);
        struct listener_close_job *job = malloc(sizeof *job);
        while (!job) {
            usleep(1000);
            job = malloc(sizeof *job);
        }
        job->l = ep->impl;
        job->linger = linger;
        while (reactor_call(s->io, listener_close_run, job) < 0)
            usleep(1000);
    } else {
        conn_close_async(s->io, ep->impl, linger);
    }
    ep->impl = NULL;
}
