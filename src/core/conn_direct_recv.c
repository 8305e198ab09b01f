/* Direct receive: an application thread about to block in zmq_recv on a socket whose only pipe leads to an
 * idle connection waits on the connection's fd itself, and reads what arrives, so a lone message costs no
 * wake of the I/O thread and none of the application thread (two context switches less per message; see
 * docs/design.md, "The data path").
 *
 * It runs on the application thread, holding the pipe's direct token (pipe.h, invariant 8), which the
 * connection offers only when it is idle (conn_direct.c). With the token (APP) the thread:
 *  1. checks that the input side is idle too: nothing buffered, nothing half-delivered, not paused;
 *  2. mutes the fd in the I/O thread's epoll (io_mute), so the I/O thread does not wake for these bytes,
 *     unless an earlier receive left it muted (fd_muted; keep_muted_or_unmute says when and why);
 *  3. parks (APP -> RECV) and sleeps in poll() on the socket's mailbox fd and the connection's fd;
 *  4. on waking, takes the token back (RECV -> APP) unless the I/O thread took it meanwhile (it does so at
 *     the start of every entry point: a timer, a pipe wake, an fd error), in which case the I/O thread
 *     has unmuted the fd and owns everything again, and this thread touches nothing of the conn;
 *  5. reads once into a buffer on its stack and writes every whole message of plain data frames it finds
 *     into the pipe. A message cut short by a large frame (4 KiB to 1 MiB) has that frame's body read
 *     straight into its own message (take_large), and if the kernel does not hold all of it yet, the
 *     conn is left mid-frame as the I/O thread leaves it (in_frame, in_direct). Anything else (a command,
 *     a small partial frame, a frame over ZMQ_MAXMSGSIZE, what the high-water mark holds back) becomes the
 *     conn's input buffer, as the I/O thread leaves unconsumed bytes between its own reads; end of file
 *     stays in the kernel, and a read error is passed on (direct_fail), since the kernel reports it once;
 *  6. unmutes the fd, or leaves it muted for the next receive after a clean delivery, and hands the token
 *     back: IDLE, or IO with a wake when the I/O thread has work (conn_on_pipe_wake decodes the buffer,
 *     conn_input_leftover, or ends the conn for direct_fail).
 * So the conn's input state is touched by one thread at a time. The only state this path writes is the
 * pipe's writer side, the metadata credit, last_rx_ms, the input buffer, the large-frame read (in_frame,
 * in_frame_have, in_frame_size, in_direct, in_more), direct_fail, and the mute state (fd_muted,
 * want_watch, direct_recvs). */
#include "core/conn_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "zmtp/zmtp.h"

#define DIRECT_RECV_BUF (8 * 1024)   /* on the application thread's stack */

/* The input side is idle: whatever arrives next starts a new message at a frame boundary. */
static bool input_idle(const struct conn *c)
{
    return conn_direct_quiet(c) && c->h.events == EPOLLIN && !c->in_paused && !c->in_pending &&
           !c->in_direct && !c->in_more && !c->in_lent && c->in_pos == c->in_len && !c->direct_fail;
}

/* A received frame's flags and the connection's metadata (references taken in batches, as deliver does). */
static void stamp(struct conn *c, struct msg *m, bool more)
{
    m->flags = more ? MSGF_MORE : 0;
    if (c->meta)
        msg_attach_meta(m, c->meta, &c->meta_credit);
}

/* One frame into the pipe, stamped with the connection's metadata. false: out of memory (nothing kept). */
static bool write_frame(struct conn *c, const uint8_t *body, size_t len, bool more)
{
    struct msg m;
    if (msg_init_size(&m, len) < 0)
        return false;
    memcpy(msg_data(&m), body, len);
    stamp(c, &m, more);
    if (pipe_write(c->end, &m) < 0) {
        msg_close(&m);
        return false;
    }
    return true;
}

/* Writes the whole messages at the start of buf[0..len) into the pipe (unpublished); returns how many
 * bytes they took. Stops at the first frame it leaves to the I/O thread, at the high-water mark, and on
 * ENOMEM (the message cut short is rolled back). */
static size_t write_messages(struct conn *c, const uint8_t *buf, size_t len)
{
    size_t used = 0;
    while (used < len && pipe_check_write(c->end)) {
        size_t pos = used;
        for (;;) {
            struct zmtp_frame_header hdr;
            int hlen = zmtp_frame_header_parse(buf + pos, len - pos, c->version, c->p.opt.maxmsgsize, &hdr);
            if (hlen <= 0 || (hdr.flags & ZMTP_FLAG_COMMAND) || hdr.size > len - pos - (size_t)hlen ||
                !write_frame(c, buf + pos + hlen, (size_t)hdr.size, hdr.flags & ZMTP_FLAG_MORE)) {
                pipe_rollback(c->end);
                return used;
            }
            pos += (size_t)hlen + (size_t)hdr.size;
            if (!(hdr.flags & ZMTP_FLAG_MORE))
                break;
        }
        used = pos;
    }
    return used;
}

/* Bytes read past the last whole message (a partial frame, a command, what the high-water mark held back)
 * become the conn's own input buffer, which the I/O thread decodes first (conn_input_leftover). */
static void keep_leftover(struct conn *c, const uint8_t *bytes, size_t len)
{
    uint8_t *copy = malloc(len);
    if (!copy) {
        c->direct_fail = "out of memory";
        c->direct_fail_errno = ENOMEM;
        return;
    }
    memcpy(copy, bytes, len);
    free(c->in);    /* input_idle: empty, and not lent (our own buffer, if any) */
    c->in = copy;
    c->in_pos = 0;
    c->in_len = len;
}

/* The message at p[0..avail) is cut short by a frame larger than what was read: its earlier frames go into
 * the pipe, and that frame's body is read straight from the fd into its own message, as far as the
 * kernel already holds it. Complete: it joins the pipe, and the message is whole unless it has MORE (the
 * I/O thread then takes the rest, mid-message). Not complete: the frame becomes the conn's large-frame
 * read in progress (in_frame, in_direct), which the I/O thread finishes (conn_io.c, read_direct). Only for
 * frames the I/O thread would also allocate whole at once (CONN_FRAME_FIRST_ALLOC): a peer that announces
 * more still pays with its bytes first. Returns TAKE_NONE (nothing taken, nothing written) when it does
 * not apply; else it consumed all of p (TAKE_WHOLE: the message is whole in the pipe), with *hand_over set
 * when the I/O thread has work. */
enum take { TAKE_NONE, TAKE_PART, TAKE_WHOLE };

static enum take take_large(struct conn *c, const uint8_t *p, size_t avail, bool *hand_over)
{
    if (!pipe_check_write(c->end))
        return TAKE_NONE;   /* write_messages stopped at the high-water mark */
    size_t pos = 0;
    bool more = false;
    struct zmtp_frame_header hdr;
    for (;;) {
        int hlen = zmtp_frame_header_parse(p + pos, avail - pos, c->version, c->p.opt.maxmsgsize, &hdr);
        if (hlen <= 0 || (hdr.flags & ZMTP_FLAG_COMMAND))
            goto decline;
        more = hdr.flags & ZMTP_FLAG_MORE;
        if (hdr.size > avail - pos - (size_t)hlen) {
            pos += (size_t)hlen;
            break;   /* the large frame */
        }
        if (!write_frame(c, p + pos + hlen, (size_t)hdr.size, more) || !more)
            goto decline;   /* out of memory, or a whole message (write_messages stopped before it: HWM) */
        pos += (size_t)hlen + (size_t)hdr.size;
    }
    size_t size = (size_t)hdr.size, have = avail - pos;
    struct msg m;
    if (size < DIRECT_RECV_BUF / 2 || size > CONN_FRAME_FIRST_ALLOC || msg_init_size(&m, size) < 0)
        goto decline;   /* a small frame cut short waits in the input buffer instead (keep_leftover) */
    memcpy(msg_data(&m), p + pos, have);
    while (have < size) {
        ssize_t n = recv(c->h.fd, (uint8_t *)msg_data(&m) + have, size - have, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN) {
                c->direct_fail = strerror(errno);
                c->direct_fail_errno = errno;
            }
            break;   /* the rest has not come yet (or end of file, which the I/O thread's read finds) */
        }
        have += (size_t)n;
    }
    stamp(c, &m, more);
    if (have == size) {
        if (pipe_write(c->end, &m) < 0) {
            msg_close(&m);
            c->direct_fail = "out of memory";   /* its bytes are read: the stream cannot go on without it */
            c->direct_fail_errno = ENOMEM;
        }
        c->in_more = more;   /* MORE: the I/O thread delivers the rest of the message */
        *hand_over |= more || c->direct_fail;
        return more || c->direct_fail ? TAKE_PART : TAKE_WHOLE;
    }
    c->in_frame = m;                 /* the I/O thread reads the rest into it */
    c->in_frame_have = have;
    c->in_frame_size = size;
    c->in_direct = true;
    if (pos > 0)
        c->in_more = true;           /* earlier frames of its message are in the pipe */
    *hand_over = true;
    return TAKE_PART;
decline:
    pipe_rollback(c->end);
    return TAKE_NONE;
}

/* The fd is readable: reads once, delivers the whole messages and keeps the rest for the I/O thread.
 * Returns whether messages were delivered; *hand_over: the I/O thread has work (bytes kept, an error). */
static bool read_messages(struct conn *c, bool *hand_over)
{
    uint8_t buf[DIRECT_RECV_BUF];
    ssize_t n;
    do
        n = recv(c->h.fd, buf, sizeof buf, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        /* End of file stays for the I/O thread's own read to find; an error is reported once, so pass it. */
        if (n < 0 && errno != EAGAIN) {
            c->direct_fail = strerror(errno);
            c->direct_fail_errno = errno;
            *hand_over = true;
        }
        return false;
    }
    c->last_rx_ms = zn_now_ms();
    size_t used = write_messages(c, buf, (size_t)n);
    bool whole = used > 0;
    if (used < (size_t)n) {
        enum take took = take_large(c, buf + used, (size_t)n - used, hand_over);
        if (took == TAKE_WHOLE)
            whole = true;
        if (took == TAKE_NONE) {
            keep_leftover(c, buf + used, (size_t)n - used);
            *hand_over = true;
        }
    }
    if (!whole)
        return false;   /* nothing whole to read yet: frames written wait for the I/O thread's flush */
    pipe_flush_to_self(c->end);
    return true;
}

/* After a receive that delivered and left the I/O thread nothing to do, the fd stays muted: the next
 * receive, a moment away in a request-reply exchange, then costs no epoll_ctl (two system calls of five
 * per message). Safe because the fd is unmuted before anything else needs it: the I/O thread's reclaim at
 * every entry point, the socket before it waits on its mailbox or reports readiness (pipe_direct_settle),
 * and the watch timer when the application stops receiving (conn_direct_watch_expired). The first time,
 * with no watch running yet, the fd is unmuted and the I/O thread woken to start it (want_watch). */
static void keep_muted_or_unmute(struct conn *c, bool keep, bool *hand_over)
{
    if (keep && c->watch_armed)
        return;
    if (keep) {
        c->want_watch = true;
        *hand_over = true;
    }
    conn_direct_unmute(c);
}

int conn_direct_recv(void *arg, int wake_fd, int timeout_ms)
{
    struct conn *c = arg;
    struct pipe_end *end = c->end;   /* the pipe outlives the conn while the socket holds its end */
    if (!input_idle(c)) {
        conn_direct_unmute(c);   /* left muted by an earlier receive: the socket now waits on its mailbox */
        pipe_direct_release(end, true);
        return PIPE_WAIT_NONE;
    }
    int saved_errno = errno;
    if (!c->fd_muted) {
        io_mute(c->p.io, &c->h);
        c->fd_muted = true;
    }
    struct pollfd pfd[2] = {{.fd = wake_fd, .events = POLLIN}, {.fd = c->h.fd, .events = POLLIN}};
    pipe_direct_park(end);
    int n = poll(pfd, 2, timeout_ms);
    int poll_errno = errno;
    errno = saved_errno;
    int rc = n < 0 ? (poll_errno == EINTR ? -EINTR : PIPE_WAIT_WOKEN) : n == 0 ? 0 : PIPE_WAIT_WOKEN;
    if (!pipe_direct_unpark(end))
        return rc;   /* the I/O thread took the token (and unmuted the fd): c is not ours to touch */
    bool hand_over = false;
    if (n > 0 && pfd[1].revents) {
        if (read_messages(c, &hand_over))
            rc = PIPE_WAIT_DELIVERED;
        else if (!pfd[0].revents)
            rc = PIPE_WAIT_NONE;   /* bytes for the I/O thread: wait for what it makes of them */
    }
    if (rc == PIPE_WAIT_DELIVERED)
        atomic_fetch_add_explicit(&c->direct_recvs, 1, memory_order_relaxed);
    keep_muted_or_unmute(c, rc == PIPE_WAIT_DELIVERED && !hand_over, &hand_over);
    pipe_direct_release(end, !hand_over);   /* handing over also wakes the conn (conn_on_pipe_wake) */
    errno = saved_errno;
    return rc;
}
