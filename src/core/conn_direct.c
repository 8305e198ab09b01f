/* Direct send: a connection that has nothing to do lends its output to the application thread, so a lone
 * message (a request, a reply) is written to the fd by zmq_send itself instead of waking the I/O thread to
 * write it (one context switch less per message each way; see docs/design.md, "The data path").
 *
 * The token is the pipe's (pipe.h, invariant 8), not the conn's: the application thread only ever looks
 * at the pipe, and reaches the conn through the token's argument after it took the token, which it can do
 * only while the conn offers it. The I/O thread:
 *  - offers the token (conn_direct_offer) at the end of an entry point, only when the conn is ACTIVE and
 *    quiet: nothing in the output buffer or held, no PING/PONG owed, the queue read empty (its reader
 *    asleep), a plain stream (no CURVE transform, not STREAM) and a socket type whose data goes one pipe to
 *    one fd as plain frames: for sending, not PUB and XPUB (they would write to every subscriber from the
 *    application thread) nor SUB and XSUB (they send subscriptions as commands), which take the token for
 *    receiving only (fn NULL); PUB and XPUB, whose input is subscriptions, not at all;
 *  - takes it back (conn_direct_reclaim) at the start of every entry point (fd events, pipe wakes, timers,
 *    close), waiting out a send in progress, so the two threads never write the fd or touch the conn's
 *    output state at once.
 * The application thread, holding the token (conn_direct_send): reads the queue as its reader, encodes
 * frames into a buffer on its stack, and writes them with one non-blocking send. A frame too big for the
 * buffer stops it; bytes the fd did not take go into out_big, which the I/O thread writes first. Either
 * way it hands the token back as IO and wakes the conn; otherwise it hands it back as IDLE. The same offer
 * lends the input side to an application thread about to block in zmq_recv (conn_direct_recv.c), which may
 * leave the fd muted in epoll for its next receive; the reclaim unmutes it, the socket unmutes it through
 * the pipe's settle_fn before it waits any other way, and the watch timer when receivers go quiet
 * (conn_direct_watch_expired). */
#include "core/conn_int.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "proto/proto.h"
#include "zmtp/zmtp.h"

#define DIRECT_BUF (4 * 1024)   /* on the application thread's stack */

/* Socket types whose messages each go to one pipe, as plain data frames: the application thread may write
 * them (direct send). Not PUB or XPUB (every subscriber), nor SUB or XSUB (subscriptions are commands). */
static bool direct_send_type(int type)
{
    switch (type) {
    case ZMQ_PAIR: case ZMQ_PUSH: case ZMQ_DEALER: case ZMQ_ROUTER: case ZMQ_REQ: case ZMQ_REP:
    case PROTO_SERVER: case PROTO_CLIENT:   /* run under the thread-safe socket's lock (socket_safe.h) */
    case PROTO_SCATTER: case PROTO_PEER: case PROTO_CHANNEL:
        return true;
    default:
        return false;
    }
}

/* Socket types whose input is plain data frames into one pipe: the application thread may read them
 * (direct receive, conn_direct_recv.c). Not PUB or XPUB, whose input is subscriptions. */
static bool direct_recv_type(int type)
{
    return type == ZMQ_PULL || type == ZMQ_SUB || type == ZMQ_XSUB || direct_send_type(type);
}

bool conn_direct_quiet(const struct conn *c)
{
    return c->state == CONN_ACTIVE && c->h.fd >= 0 && !c->closing && c->end && !c->end->closed && !c->raw &&
           !c->xform && direct_recv_type(c->p.opt.type) && (!c->out || c->out_pos == c->out_len) &&
           !c->out_has_big && !c->out_has_held && !c->out_dropping && !c->ping_pending && !c->pong_pending &&
           !c->want_out && !pipe_is_conflate(c->end) && !c->direct_fail;
}

/* What one direct send gathers: frame headers and small bodies copied into a buffer on the application
 * thread's stack, larger bodies written from their own memory (one iovec each, the message held until the
 * write returns), so a lone large message costs the kernel's copy only, as from the I/O thread. */
#define DIRECT_COPY_MAX 512            /* bodies up to this size are copied next to their header */
#define DIRECT_FRAMES 16               /* large bodies per direct send */
#define DIRECT_BYTES (256 * 1024)      /* bytes per direct send; a bigger frame is the I/O thread's */

struct direct_batch {
    uint8_t buf[DIRECT_BUF];
    size_t buf_len;
    struct iovec iov[2 * DIRECT_FRAMES + 2];
    int iov_count;
    struct msg held[DIRECT_FRAMES];
    int held_count;
    size_t total;
};

/* Appends buf[from..buf_len) to the iovecs, extending the last one when it ends where this starts. */
static void batch_add_buf(struct direct_batch *b, size_t from)
{
    struct iovec *last = b->iov_count ? &b->iov[b->iov_count - 1] : NULL;
    if (last && (uint8_t *)last->iov_base + last->iov_len == b->buf + from)
        last->iov_len += b->buf_len - from;
    else
        b->iov[b->iov_count++] = (struct iovec){b->buf + from, b->buf_len - from};
}

/* Takes the next frame from the queue into the batch if it fits. false: it does not (or none is left). */
static bool batch_take(struct conn *c, struct direct_batch *b)
{
    const struct msg *next = pipe_peek(c->end);
    if (!next)
        return false;
    size_t size = msg_size(next);
    bool copy = size <= DIRECT_COPY_MAX;
    if (b->buf_len + ZMTP_FRAME_HEADER_MAX + (copy ? size : 0) > sizeof b->buf || b->total + size > DIRECT_BYTES ||
        (!copy && b->held_count == DIRECT_FRAMES))
        return false;
    struct msg m;
    pipe_read(c->end, &m);
    c->out_more = m.flags & MSGF_MORE;
    size_t from = b->buf_len;
    b->buf_len += zmtp_frame_header_write(b->buf + b->buf_len, size, c->out_more ? ZMTP_FLAG_MORE : 0);
    if (copy) {
        memcpy(b->buf + b->buf_len, msg_data(&m), size);
        b->buf_len += size;
        msg_close(&m);
    }
    b->total += b->buf_len - from + (copy ? 0 : size);
    batch_add_buf(b, from);
    if (!copy) {
        b->held[b->held_count] = m;
        b->iov[b->iov_count++] = (struct iovec){msg_data(&b->held[b->held_count]), size};
        b->held_count++;
    }
    return true;
}

/* Writes the batch with non-blocking sendmsg calls; returns how many bytes the fd took. */
static size_t batch_write(struct conn *c, struct direct_batch *b)
{
    size_t sent = 0;
    struct iovec *iov = b->iov;
    int count = b->iov_count;
    while (count > 0) {
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)count};
        ssize_t n = sendmsg(c->h.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;   /* EAGAIN, or an error the I/O thread meets again on its own write and reports */
        sent += (size_t)n;
        while (count > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            count--;
        }
        if (count > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    return sent;
}

/* Application thread: the bytes the fd did not take (what is left of b's iovecs after `sent`) become
 * out_big, which conn_output writes before anything else (nothing else is buffered: the conn was quiet
 * when it offered the token). */
static void keep_unsent(struct conn *c, const struct direct_batch *b, size_t sent)
{
    size_t len = b->total - sent;
    while (msg_init_size(&c->out_big, len) < 0)
        usleep(1000);   /* these bytes are part of the stream: wait for memory rather than lose them */
    uint8_t *out = msg_data(&c->out_big);
    size_t skip = sent;
    for (int i = 0; i < b->iov_count; i++) {
        const uint8_t *base = b->iov[i].iov_base;
        size_t n = b->iov[i].iov_len;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        memcpy(out, base + skip, n - skip);
        out += n - skip;
        skip = 0;
    }
    c->out_big_off = 0;
    c->out_has_big = true;
}

/* Application thread, holding the token. */
static void conn_direct_send(void *arg)
{
    struct conn *c = arg;
    int saved_errno = errno;
    struct direct_batch b;
    b.buf_len = b.total = 0;
    b.iov_count = b.held_count = 0;
    while (batch_take(c, &b))
        ;
    bool queue_empty = !pipe_peek(c->end);   /* NULL marks the reader asleep, as the I/O thread leaves it */
    struct iovec whole[sizeof b.iov / sizeof b.iov[0]];
    memcpy(whole, b.iov, sizeof whole);      /* batch_write advances b.iov; keep_unsent needs the original */
    size_t sent = batch_write(c, &b);
    memcpy(b.iov, whole, sizeof whole);
    if (sent < b.total)
        keep_unsent(c, &b, sent);
    for (int i = 0; i < b.held_count; i++)
        msg_close(&b.held[i]);
    errno = saved_errno;
    pipe_direct_release(c->end, queue_empty && sent == b.total);
}

void conn_direct_unmute(struct conn *c)
{
    if (c->fd_muted) {
        io_unmute(c->p.io, &c->h);
        c->fd_muted = false;
    }
}

/* The pipe's settle_fn: the socket is about to wait on its mailbox (or report readiness), so the I/O
 * thread must hear this fd again. */
static void conn_direct_settle(void *arg)
{
    conn_direct_unmute(arg);
}

/* Offers the token if the conn is quiet and its queue empty. Finding data instead means sending it now:
 * pipe_check_read's look marks the reader asleep and, seeing data, awake again, and a writer that published
 * meanwhile may have seen "awake" and skipped the wake, counting on this reader to take what it saw. So a
 * look that finds data must be followed by a read, never by nothing (conn_output reads until the queue is
 * empty, leaving the reader marked asleep, or until the fd is full, leaving EPOLLOUT armed). A few rounds
 * at most: the last conn_output leaves the conn in one of those two safe states either way. */
void conn_direct_offer(struct conn *c)
{
    for (int round = 0; round < 4 && !c->direct_offered && conn_direct_quiet(c); round++) {
        if (!pipe_check_read(c->end)) {   /* empty: the reader is marked asleep */
            c->direct_offered = true;
            pipe_direct_offer(c->end, direct_send_type(c->p.opt.type) ? conn_direct_send : NULL, conn_direct_recv,
                              conn_direct_settle, c);
            return;
        }
        conn_output(c);
    }
}

/* Invariant: the fd is muted only while the token is offered (fd_muted implies direct_offered), since only
 * a receiver holding the token mutes it, and every way the token comes back to this thread passes here. */
void conn_direct_reclaim(struct conn *c)
{
    if (!c->direct_offered)
        return;
    pipe_direct_reclaim(c->end);
    conn_direct_unmute(c);   /* from a receive asleep in poll(), or one that left it muted: the fd is ours */
    c->direct_offered = false;
    if (c->want_watch) {     /* a receiver asked for the watch, so that it may leave the fd muted */
        c->want_watch = false;
        if (!c->watch_armed) {
            c->watch_armed = true;
            c->watch_seen = atomic_load_explicit(&c->direct_recvs, memory_order_relaxed);
            io_timer_start(c->p.io, &c->direct_watch_timer, CONN_DIRECT_WATCH_MS);
        }
    }
}

/* Every CONN_DIRECT_WATCH_MS while receivers may leave the fd muted: a receiver that took no message
 * directly for a whole period and is not waiting on the fd now may not come back soon (the application
 * computes, or waits elsewhere): take the token back so the I/O thread hears the fd again (a PING, the
 * peer leaving, messages up to the high-water mark), stop watching, and offer the token unmuted. */
void conn_direct_watch_expired(struct conn *c)
{
    if (c->state != CONN_ACTIVE) {
        c->watch_armed = false;
        return;
    }
    uint32_t n = atomic_load_explicit(&c->direct_recvs, memory_order_relaxed);
    int st = pipe_direct_state(c->end);
    if (n != c->watch_seen || st == PIPE_DIRECT_RECV || st == PIPE_DIRECT_APP) {
        c->watch_seen = n;
        io_timer_start(c->p.io, &c->direct_watch_timer, CONN_DIRECT_WATCH_MS);
        return;
    }
    conn_direct_reclaim(c);   /* unmuted: epoll reports at once what the fd already holds */
    c->watch_armed = false;
    conn_direct_offer(c);
}
