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
 * lends the input side to an application thread about to block in zmq_recv (conn_direct_recv.c). */
#include "core/conn_int.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "zmtp/zmtp.h"

#define DIRECT_BUF (4 * 1024)   /* on the application thread's stack */

/* Socket types whose messages each go to one pipe, as plain data frames: the application thread may write
 * them (direct send). Not PUB or XPUB (every subscriber), nor SUB or XSUB (subscriptions are commands). */
static bool direct_send_type(int type)
{
    switch (type) {
    case ZMQ_PAIR: case ZMQ_PUSH: case ZMQ_DEALER: case ZMQ_ROUTER: case ZMQ_REQ: case ZMQ_REP:
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

/* Application thread: the bytes the fd did not take become out_big, which conn_output writes before
 * anything else (nothing else is buffered: the conn was quiet when it offered the token). */
static void keep_unsent(struct conn *c, const uint8_t *bytes, size_t len)
{
    while (msg_init_size(&c->out_big, len) < 0)
        usleep(1000);   /* these bytes are part of the stream: wait for memory rather than lose them */
    memcpy(msg_data(&c->out_big), bytes, len);
    c->out_big_off = 0;
    c->out_has_big = true;
}

/* Application thread, holding the token. */
static void conn_direct_send(void *arg)
{
    struct conn *c = arg;
    int saved_errno = errno;
    uint8_t buf[DIRECT_BUF];
    size_t len = 0;
    const struct msg *next;
    while ((next = pipe_peek(c->end)) != NULL) {
        size_t size = msg_size(next);
        if (len + ZMTP_FRAME_HEADER_MAX + size > sizeof buf)
            break;   /* too big for this path: the I/O thread writes it */
        struct msg m;
        pipe_read(c->end, &m);
        c->out_more = m.flags & MSGF_MORE;
        len += zmtp_frame_header_write(buf + len, size, c->out_more ? ZMTP_FLAG_MORE : 0);
        memcpy(buf + len, msg_data(&m), size);
        len += size;
        msg_close(&m);
    }
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = send(c->h.fd, buf + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;   /* EAGAIN, or an error the I/O thread meets again on its own write and reports */
        sent += (size_t)n;
    }
    if (sent < len)
        keep_unsent(c, buf + sent, len - sent);
    errno = saved_errno;
    pipe_direct_release(c->end, !next && sent == len);
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
            pipe_direct_offer(c->end, direct_send_type(c->p.opt.type) ? conn_direct_send : NULL, conn_direct_recv, c);
            return;
        }
        conn_output(c);
    }
}

void conn_direct_reclaim(struct conn *c)
{
    if (!c->direct_offered)
        return;
    if (pipe_direct_reclaim(c->end))
        io_unmute(c->p.io, &c->h);   /* taken from a direct receive asleep in poll(): the fd is ours again */
    c->direct_offered = false;
}
