/* The ZMTP connection engine for byte-stream transports: staged greeting, mechanism handshake, then frames
 * between the fd and the socket's pipe, with heartbeats, reconnects and linger. Runs on one I/O thread.
 *
 * States (conn->state) and the functions behind each transition:
 *
 *   WAIT_RECONNECT --reconnect timer--> CONNECTING --connected--> GREETING        (conn_start_connect)
 *   CONNECTING --connected to ZMQ_SOCKS_PROXY--> SOCKS --proxy connected us--> GREETING (conn_socks.c)
 *   accepted fd ------------------------------------------------> GREETING        (conn_accepted)
 *   GREETING --64-byte 3.x greeting--> HANDSHAKE --mechanism READY--> ACTIVE      (greeting_input, conn_ready)
 *     (in HANDSHAKE the mechanism may wait for the ZAP handler's reply, which wakes us through a pipe:
 *      conn_security.c; CURVE keeps a per-frame transform into ACTIVE: conn->xform)
 *   GREETING --ZMTP 2.0 revision--> IDENTITY --identity frame--> ACTIVE
 *   STREAM sockets skip the ZMTP states: GREETING is never entered (raw bytes).
 *   CONNECTING --refused, ZMQ_CONNECT_TIMEOUT--> conn_connect_failed (CLOSED) --> WAIT_RECONNECT
 *   any state --error, EOF, timeout--> conn_fail/conn_fail_frame/conn_handshake_fail (events as libzmq)
 *                                        --> WAIT_RECONNECT (connecter) or conn_terminate
 *   closing (socket done) + output drained, or linger expired --> conn_terminate
 *
 * Invariants:
 *  1. Inbound frames reach the pipe only in ACTIVE; the pipe publishes whole messages only, and a message
 *     cut by a failure is rolled back (pipe_rollback), so the socket never sees half a message.
 *  2. An outbound message cut by a failure is dropped whole: its remaining frames are skipped
 *     (out_dropping), and the next connection starts at a message boundary.
 *  3. Every length read from the peer is checked by the zmtp codec (against ZMQ_MAXMSGSIZE) before a
 *     buffer is sized from it.
 *  4. The conn is freed only by conn_terminate, through io_defer_free.
 *  5. An idle conn holds no I/O buffer: input is read into a buffer the reactor lends and only unconsumed
 *     bytes stay with the conn; the output buffer is lent while bytes wait to be written (conn_io.c).
 *  6. A handshake failure is reported from what the peer sent whenever that arrived: a write failing before
 *     ACTIVE first decodes the bytes already received (conn_io.c output_lost), and a failure already
 *     decided is not overridden by our last write failing (conn_output_last).
 */
#include "core/conn_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#include "core/mailbox.h"
#include "core/monitor.h"
#include "core/msg.h"
#include "core/peer_msg.h"
#include "core/pipe.h"
#include "core/reactor.h"
#include "core/util.h"
#include "transport/transport.h"
#include "zmtp/zmtp.h"

static void conn_start_connect(struct conn *c);
static void conn_on_event(struct io_handle *h, uint32_t events);

void conn_event(struct conn *c, int event, uint64_t value)
{
    if (c->p.monitor)
        monitor_emit(c->p.monitor, event, value, c->p.endpoint, c->local_uri,
                     c->connecter ? c->p.endpoint : c->remote_uri);
}

void conn_learn_uris(struct conn *c, int fd)
{
    c->p.stream->uri(fd, true, c->local_uri, sizeof c->local_uri);
    if (!c->connecter)
        c->p.stream->uri(fd, false, c->remote_uri, sizeof c->remote_uri);
}

/* ---- timers ---------------------------------------------------------------------------------------- */
static void on_reconnect_timer(struct io_timer *t)
{
    conn_start_connect(CONN_OF(t, reconnect_timer));
}


/* ZMQ_CONNECT_TIMEOUT while connecting, ZMQ_HANDSHAKE_IVL after. */
static void on_handshake_timer(struct io_timer *t)
{
    struct conn *c = CONN_OF(t, handshake_timer);
    if (c->state == CONN_CONNECTING) {
        int fd = c->h.fd;
        io_remove(c->p.io, &c->h);
        c->h.fd = -1;
        close(fd);
        conn_connect_failed(c, fd);
        return;
    }
    if (c->state >= CONN_SOCKS && c->state < CONN_ACTIVE) {
        errno = EAGAIN;   /* libzmq's value for a handshake that timed out */
        conn_fail(c, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, "handshake timed out");
    }
}

static void on_linger_timer(struct io_timer *t)
{
    struct conn *c = CONN_OF(t, linger_timer);
    conn_direct_reclaim(c);
    conn_terminate(c);
}

void conn_send_ping(struct conn *c);

static void heartbeat_due(struct conn *c);

static void on_heartbeat_timer(struct io_timer *t)
{
    struct conn *c = CONN_OF(t, heartbeat_timer);
    conn_direct_reclaim(c);
    heartbeat_due(c);
    conn_direct_offer(c);
}

static void heartbeat_due(struct conn *c)
{
    if (c->state != CONN_ACTIVE)
        return;
    int timeout = c->p.opt.heartbeat_timeout >= 0 ? c->p.opt.heartbeat_timeout : c->p.opt.heartbeat_ivl;
    if (c->ping_sent_ms && c->last_rx_ms < c->ping_sent_ms && zn_now_ms() - c->ping_sent_ms >= (uint64_t)timeout) {
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "heartbeat timed out");
        return;
    }
    conn_send_ping(c);
    if (c->state != CONN_ACTIVE)   /* the write failed: the connection is gone, do not re-arm */
        return;
    uint64_t next = (uint64_t)c->p.opt.heartbeat_ivl;
    if ((uint64_t)timeout < next)
        next = (uint64_t)timeout;
    io_timer_start(c->p.io, &c->heartbeat_timer, next ? next : 1);
}

static void on_direct_watch_timer(struct io_timer *t)
{
    conn_direct_watch_expired(CONN_OF(t, direct_watch_timer));
}

static void on_ttl_timer(struct io_timer *t)
{
    struct conn *c = CONN_OF(t, ttl_timer);
    conn_direct_reclaim(c);
    if (c->state != CONN_ACTIVE || !c->peer_ttl_ms)
        return;
    uint64_t idle = zn_now_ms() - c->last_rx_ms;
    if (idle >= c->peer_ttl_ms)
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "peer heartbeat TTL expired");
    else
        io_timer_start(c->p.io, &c->ttl_timer, c->peer_ttl_ms - idle);
}

/* ---- creation ---------------------------------------------------------------------------------------- */
static struct conn *conn_new(const struct conn_params *p)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->p = *p;
    c->p.address = c->p.endpoint + (p->address - p->endpoint);
    peer_msg_ref(c->p.hello);
    peer_msg_ref(c->p.disconnect);
    mailbox_ref(c->p.sock_mbox);
    if (c->p.monitor)
        monitor_ref(c->p.monitor);
    c->h.fd = -1;
    c->h.on_event = conn_on_event;
    c->raw = p->opt.type == ZMQ_STREAM || p->opt.raw_socket;
    c->linger = p->opt.linger;
    c->reconnect_ivl = p->opt.reconnect_ivl;
    msg_init(&c->in_frame);
    msg_init(&c->out_big);
    msg_init(&c->out_held);
    io_timer_init(&c->reconnect_timer, on_reconnect_timer);
    io_timer_init(&c->handshake_timer, on_handshake_timer);
    io_timer_init(&c->linger_timer, on_linger_timer);
    io_timer_init(&c->heartbeat_timer, on_heartbeat_timer);
    io_timer_init(&c->ttl_timer, on_ttl_timer);
    io_timer_init(&c->direct_watch_timer, on_direct_watch_timer);
    return c;
}

static void conn_start_on_io(void *arg)
{
    struct conn *c = arg;
    c->p.io->live++;
    if (c->end) {
        c->end->owner = c;
        pipe_end_set_mailbox(c->end, c->p.io->mbox);
    }
    conn_start_connect(c);
}

struct conn *conn_connect(const struct conn_params *p, struct pipe_end *end)
{
    struct conn *c = conn_new(p);
    if (!c)
        return NULL;
    c->connecter = true;
    c->held = true;
    c->end = end;
    if (reactor_call(p->io, conn_start_on_io, c) < 0) {
        c->end = NULL;
        mailbox_unref(c->p.sock_mbox);
        if (c->p.monitor)
            monitor_unref(c->p.monitor);
        conn_params_release(&c->p);
        free(c);
        return NULL;
    }
    return c;
}

struct conn *conn_accepted(const struct conn_params *p, struct listener *l)
{
    struct conn *c = conn_new(p);
    if (!c)
        return NULL;
    c->listener = l;
    c->p.io->live++;
    return c;
}

/* ACCEPTED is reported here, at accept(), before any greeting (as libzmq). */
void conn_start_accepted(struct conn *c, int fd)
{
    conn_learn_uris(c, fd);
    conn_event(c, ZMQ_EVENT_ACCEPTED, (uint64_t)fd);
    conn_start_stream(c, fd);
}

void conn_forget_listener(struct conn *c)
{
    c->listener = NULL;
}

/* ---- connection lifecycle ----------------------------------------------------------------------------- */
static void conn_reset_stream(struct conn *c)
{
    if (c->h.fd >= 0) {
        io_remove(c->p.io, &c->h);
    }
    conn_mech_finish(c);
    conn_zap_reset(c);
    c->state = CONN_WAIT_RECONNECT;
    c->greet_len = 0;
    c->sent_major = c->sent_tail = false;
    c->version = c->minor = 0;
    conn_buffers_release(c);
    c->in_direct = c->in_pending = c->in_paused = false;
    c->want_out = false;
    c->out_error = 0;
    msg_close(&c->in_frame);
    msg_init(&c->in_frame);
    if (c->out_has_big) {
        c->out_dropping = c->out_more;
        msg_close(&c->out_big);
        msg_init(&c->out_big);
        c->out_has_big = false;
    } else if (c->out_more) {
        c->out_dropping = true;
    }
    c->out_more = false;
    if (c->out_has_held) {   /* a subscription: the socket resends them all after a reconnect (HICCUP) */
        msg_close(&c->out_held);
        msg_init(&c->out_held);
        c->out_has_held = false;
    }
    c->ping_pending = c->pong_pending = false;
    if (c->end) {
        pipe_flush(c->end);      /* whole messages already read still reach the socket */
        pipe_rollback(c->end);   /* the one cut short does not */
        c->in_more = false;
    }
    io_timer_cancel(c->p.io, &c->handshake_timer);
    io_timer_cancel(c->p.io, &c->heartbeat_timer);
    io_timer_cancel(c->p.io, &c->ttl_timer);
    io_timer_cancel(c->p.io, &c->direct_watch_timer);
    c->watch_armed = false;
    c->ping_sent_ms = 0;
    c->peer_ttl_ms = 0;
}

static void conn_close_fd(struct conn *c)
{
    conn_direct_reclaim(c);   /* done at every entry point already; the fd must never close under a send */
    int fd = c->h.fd;
    conn_reset_stream(c);
    if (fd >= 0)
        close(fd);
}

/* A small per-connection generator for the reconnect jitter (xorshift32; never 0). */
static uint32_t conn_random(struct conn *c)
{
    uint32_t x = c->jitter_state;
    if (!x)
        x = (uint32_t)(uintptr_t)c ^ (uint32_t)zn_now_us() ^ 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c->jitter_state = x ? x : 1;
    return c->jitter_state;
}

/* Waits before the next attempt, as libzmq does: the current interval plus a random jitter below
 * ZMQ_RECONNECT_IVL (so peers that lost a server together do not all come back at once); the wait is the
 * CONNECT_RETRIED value. */
static void conn_schedule_reconnect(struct conn *c)
{
    c->state = CONN_WAIT_RECONNECT;
    int base = c->p.opt.reconnect_ivl;
    int jitter = base > 0 ? (int)(conn_random(c) % (uint32_t)base) : 0;
    int ivl = c->reconnect_ivl > INT_MAX - jitter ? INT_MAX : c->reconnect_ivl + jitter;
    io_timer_start(c->p.io, &c->reconnect_timer, (uint64_t)ivl);
    conn_event(c, ZMQ_EVENT_CONNECT_RETRIED, (uint64_t)ivl);
    /* Exponential backoff up to ZMQ_RECONNECT_IVL_MAX when it is larger than the base interval. */
    if (c->p.opt.reconnect_ivl_max > c->p.opt.reconnect_ivl) {
        int next = c->reconnect_ivl * 2;
        c->reconnect_ivl = next > c->p.opt.reconnect_ivl_max ? c->p.opt.reconnect_ivl_max : next;
    }
}

/* Drops the fd and reports it: hs_event (if not 0) with hs_value, then DISCONNECTED with the fd, as libzmq
 * orders them. Then a connecter retries; any other conn ends. */
static void conn_drop(struct conn *c, int hs_event, uint64_t hs_value)
{
    if (c->state == CONN_DEAD)
        return;
    int fd = c->h.fd;
    bool was_open = fd >= 0;
    if (c->raw && c->state == CONN_ACTIVE && c->end)
        conn_raw_notify(c);   /* after the data already read: it flushes those too */
    conn_notify_gone(c);      /* ROUTER_NOTIFY, DISCONNECT_MSG */
    conn_close_fd(c);
    if (was_open) {
        if (hs_event)
            conn_event(c, hs_event, hs_value);
        conn_event(c, ZMQ_EVENT_DISCONNECTED, (uint64_t)fd);
    }
    c->local_uri[0] = 0;   /* a retry's CONNECT_RETRIED and CLOSED name no local end */
    /* A connecter retries, even after the socket closed, while it still has messages to deliver within
     * ZMQ_LINGER (the linger timer ends that). */
    if (c->connecter && c->p.opt.reconnect_ivl >= 0 && !c->no_reconnect && !(c->closing && (c->linger == 0 || conn_drained(c)))) {
        conn_schedule_reconnect(c);
        return;
    }
    conn_terminate(c);
}

void conn_fail(struct conn *c, int event, const char *reason)
{
    ZN_UNUSED(reason);
    int err = errno;
    bool handshaking = c->state >= CONN_GREETING && c->state < CONN_ACTIVE;
    switch (event) {
    case ZMQ_EVENT_DISCONNECTED:
        /* libzmq: any failure before the handshake completed is also a handshake failure, with errno */
        conn_drop(c, handshaking ? ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL : 0, (uint64_t)err);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        conn_drop(c, event, (uint64_t)err);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        conn_drop(c, event, ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED);
        break;
    default:
        conn_drop(c, event, (uint64_t)EPROTO);
        break;
    }
}

/* conn_fail with the event's value given (a ZMQ_PROTOCOL_ERROR_*, a ZAP status, an errno); DISCONNECTED
 * means no handshake event, only DISCONNECTED with the fd. */
void conn_fail_value(struct conn *c, int event, uint64_t value, const char *reason)
{
    ZN_UNUSED(reason);
    conn_drop(c, event == ZMQ_EVENT_DISCONNECTED ? 0 : event, value);
}

/* A frame the codec refused (reserved flags, a size over ZMQ_MAXMSGSIZE, an oversized command): libzmq
 * reports no handshake event for these, only DISCONNECTED. */
void conn_fail_frame(struct conn *c, int zmtp_rc)
{
    ZN_UNUSED(zmtp_rc);
    conn_drop(c, 0, 0);
}

void conn_params_release(struct conn_params *p)
{
    options_wipe_secrets(&p->opt);
    peer_msg_unref(p->hello);
    peer_msg_unref(p->disconnect);
    p->hello = p->disconnect = NULL;
}

static void conn_free(void *arg)
{
    struct conn *c = arg;
    conn_params_release(&c->p);
    conn_buffers_release(c);
    free(c);
}

void conn_terminate(struct conn *c)
{
    if (c->state == CONN_DEAD)
        return;
    conn_close_fd(c);
    c->state = CONN_DEAD;
    io_timer_cancel(c->p.io, &c->reconnect_timer);
    io_timer_cancel(c->p.io, &c->linger_timer);
    if (c->end) {
        c->end->owner = NULL;
        pipe_close(c->end);
        c->end = NULL;
    }
    if (c->meta)
        msg_meta_release(c->meta, &c->meta_credit);
    c->meta = NULL;
    if (c->listener)
        listener_conn_gone(c->listener, c);
    mailbox_unref(c->p.sock_mbox);
    if (c->p.monitor)
        monitor_unref(c->p.monitor);
    c->p.io->live--;
    if (!c->held)
        io_defer_free(c->p.io, &c->defer, conn_free, c);
}

/* A fresh fd (connected or accepted): start the greeting, or go straight to ACTIVE for STREAM. */
void conn_start_stream(struct conn *c, int fd)
{
    c->p.stream->tune(fd, &c->p.opt);
    c->p.stream->peer_address(fd, c->peer_address, sizeof c->peer_address);
    if (c->p.stream->wrap && (fd = c->p.stream->wrap(c->p.io, fd, c->connecter, c->p.address, &c->p.opt)) < 0) {
        errno = -fd;
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "ws relay failed");
        return;
    }
    c->h.fd = fd;
    if (io_add(c->p.io, &c->h, EPOLLIN) < 0) {
        c->h.fd = -1;
        close(fd);
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "epoll_ctl failed");
        return;
    }
    c->in_paused = false;
    if (c->raw) {
        if (conn_build_meta(c, NULL) < 0) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
            return;
        }
        c->version = 3;
        conn_ready(c, NULL, 0);
        return;
    }
    c->state = CONN_GREETING;
    uint8_t sig[ZMTP_SIGNATURE_SIZE];
    zmtp_signature_write(sig);
    if (!conn_out_append(c, sig, sizeof sig)) {
        errno = ENOMEM;
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
        return;
    }
    if (c->p.opt.handshake_ivl > 0)
        io_timer_start(c->p.io, &c->handshake_timer, (uint64_t)c->p.opt.handshake_ivl);
    conn_output(c);
}

static void conn_start_connect(struct conn *c)
{
    if (c->closing && (c->linger == 0 || conn_drained(c))) {
        conn_terminate(c);
        return;
    }
    int fd = -1;
    int rc = c->p.stream->connect(c->p.address, &c->p.opt, &fd);
    if (rc == 0) {
        conn_connect_done(c, fd);
        return;
    }
    if (rc == -EINPROGRESS) {
        c->h.fd = fd;
        c->state = CONN_CONNECTING;
        if (io_add(c->p.io, &c->h, EPOLLOUT) < 0) {
            c->h.fd = -1;
            close(fd);
            conn_connect_failed(c, fd);
            return;
        }
        conn_event(c, ZMQ_EVENT_CONNECT_DELAYED, (uint64_t)EINPROGRESS);   /* libzmq's value: the errno */
        if (c->p.opt.connect_timeout > 0)
            io_timer_start(c->p.io, &c->handshake_timer, (uint64_t)c->p.opt.connect_timeout);
        return;
    }
    conn_connect_failed(c, fd);   /* the transport closed the socket it opened, and left us its number */
}

/* An attempt failed; fd (already closed, or -1 if no socket was opened) is reported CLOSED, as libzmq does
 * for every failed attempt, then the conn retries (CONNECT_RETRIED) or, with reconnects off, ends. */
void conn_connect_failed(struct conn *c, int fd)
{
    c->h.fd = -1;
    c->state = CONN_WAIT_RECONNECT;
    if (fd >= 0)
        conn_event(c, ZMQ_EVENT_CLOSED, (uint64_t)fd);
    if (c->p.opt.reconnect_ivl < 0) {
        conn_terminate(c);
        return;
    }
    conn_schedule_reconnect(c);
}

static void conn_connected(struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->h.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    int fd = c->h.fd;
    io_remove(c->p.io, &c->h);
    io_timer_cancel(c->p.io, &c->handshake_timer);
    if (err) {
        close(fd);
        conn_connect_failed(c, fd);
        return;
    }
    conn_connect_done(c, fd);
}

void conn_connect_done(struct conn *c, int fd)
{
    if (c->p.stream == &stream_tcp && c->p.opt.socks_proxy.len) {
        conn_socks_start(c, fd);   /* CONNECTED is reported once the proxy has connected us */
        return;
    }
    conn_learn_uris(c, fd);
    conn_event(c, ZMQ_EVENT_CONNECTED, (uint64_t)fd);
    conn_start_stream(c, fd);
}

static void conn_on_fd_event(struct conn *c, uint32_t events);

/* A direct receive (conn_direct_recv.c) whose read failed, or that had no memory for the bytes it read:
 * the connection ends as it would had this thread's read met that. */
static bool direct_failed(struct conn *c)
{
    if (!c->direct_fail)
        return false;
    const char *reason = c->direct_fail;
    c->direct_fail = NULL;
    errno = c->direct_fail_errno;
    conn_fail(c, ZMQ_EVENT_DISCONNECTED, reason);
    return true;
}

static void conn_on_event(struct io_handle *h, uint32_t events)
{
    struct conn *c = CONN_OF(h, h);
    conn_direct_reclaim(c);
    if (!direct_failed(c))
        conn_on_fd_event(c, events);
    conn_direct_offer(c);
}

static void conn_on_fd_event(struct conn *c, uint32_t events)
{
    if (c->state == CONN_CONNECTING) {
        conn_connected(c);
        return;
    }
    if (c->state == CONN_SOCKS) {
        conn_socks_event(c, events);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (!c->in_paused) {
            conn_input(c);
        } else if (events & (EPOLLERR | EPOLLHUP)) {
            /* The peer hung up while we wait for pipe room: what it sent is still in the kernel. Leave
             * epoll until the socket makes room; reading then finds the data, and the end of file. */
            (void)io_set_events(c->p.io, &c->h, 0);   /* leaving epoll cannot fail */
            return;
        }
    }
    if (c->h.fd >= 0 && (events & EPOLLOUT))
        conn_output(c);
}

/* The socket side of our pipe changed: data to send, room to receive into, or it closed. */
void conn_on_pipe_wake(struct pipe_end *end)
{
    struct conn *c = end->owner;
    if (end == c->zap.end) {
        conn_zap_wake(c);
        return;
    }
    if (c->state == CONN_DEAD)
        return;
    conn_direct_reclaim(c);
    if (direct_failed(c) && c->state == CONN_DEAD)
        return;
    conn_input_leftover(c);
    if (pipe_peer_closed(end) && !c->closing) {
        c->closing = true;
        c->linger = c->p.opt.linger;
        if (c->linger > 0)
            io_timer_start(c->p.io, &c->linger_timer, (uint64_t)c->linger);
    }
    if (c->in_paused && c->state == CONN_ACTIVE)
        conn_resume_input(c);
    if (c->state != CONN_DEAD)
        conn_output(c);
    if (c->state != CONN_DEAD)
        conn_maybe_finish(c);
    conn_direct_offer(c);
}

void conn_close(struct conn *c, int linger)
{
    conn_direct_reclaim(c);
    if (c->held) {
        c->held = false;
        if (c->state == CONN_DEAD) {
            io_defer_free(c->p.io, &c->defer, conn_free, c);
            return;
        }
    }
    if (c->state == CONN_DEAD)
        return;
    if (!c->closing) {
        c->closing = true;
        c->linger = linger;
        if (linger > 0)
            io_timer_start(c->p.io, &c->linger_timer, (uint64_t)linger);
    }
    conn_maybe_finish(c);
}

struct close_job {
    struct conn *c;
    int linger;
};

static void close_job_run(void *arg)
{
    struct close_job *job = arg;
    conn_close(job->c, job->linger);
    free(job);
}

void conn_close_async(struct reactor *io, struct conn *c, int linger)
{
    struct close_job *job = malloc(sizeof *job);
    while (!job) {
        usleep(1000);   /* a close must not be lost; memory comes back as other work finishes */
        job = malloc(sizeof *job);
    }
    job->c = c;
    job->linger = linger;
    while (reactor_call(io, close_job_run, job) < 0)
        usleep(1000);
}
