/* The connection's traffic once the fd is open: the output buffer and its writes (never raising SIGPIPE),
 * inbound frames decoded into the pipe with backpressure, outbound frames encoded from it. With a
 * mechanism transform (CURVE, conn->xform) every frame and command is boxed on the way out and opened on
 * the way in (unwrap_input, encode_boxed); without one (NULL, PLAIN) the path is the plain one. */
#include "core/conn_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zmq.h>

#include "core/mailbox.h"
#include "core/monitor.h"
#include "core/msg.h"
#include "core/pipe.h"
#include "core/reactor.h"
#include "core/stats.h"
#include "core/util.h"
#include "proto/proto.h"
#include "zmtp/zmtp.h"

/* ---- buffers ----------------------------------------------------------------------------------------- */
bool conn_out_reserve(struct conn *c, size_t n)
{
    if (!c->out) {
        c->out = reactor_buf_get(c->p.io);
        c->out_pos = c->out_len = 0;
        if (!c->out)
            return false;
    }
    if (c->out_pos == c->out_len) {
        c->out_pos = c->out_len = 0;
    } else if (c->out_len + n > CONN_OUT_CAP && c->out_pos > 0) {
        memmove(c->out, c->out + c->out_pos, c->out_len - c->out_pos);
        c->out_len -= c->out_pos;
        c->out_pos = 0;
    }
    return c->out_len + n <= CONN_OUT_CAP;
}

/* Gives the output buffer back once everything in it was written (a big frame's header included). */
static void out_release(struct conn *c)
{
    if (c->out && c->out_pos == c->out_len && !c->out_has_big) {
        reactor_buf_put(c->p.io, c->out);
        c->out = NULL;
        c->out_pos = c->out_len = 0;
    }
}

static void in_free(struct conn *c)
{
    if (c->in_lent)
        reactor_buf_put(c->p.io, c->in);
    else
        free(c->in);
    c->in = NULL;
    c->in_lent = false;
    c->in_pos = c->in_len = 0;
}

void conn_buffers_release(struct conn *c)
{
    in_free(c);
    if (c->out)
        reactor_buf_put(c->p.io, c->out);
    c->out = NULL;
    c->out_pos = c->out_len = 0;
}

/* Before a read: the input is a lent buffer, starting with the bytes left from the last read. false on
 * ENOMEM (nothing changed). */
static bool in_lend(struct conn *c)
{
    if (c->in_lent)
        return true;
    uint8_t *buf = reactor_buf_get(c->p.io);
    if (!buf)
        return false;
    size_t n = c->in_len - c->in_pos;
    if (n)
        memcpy(buf, c->in + c->in_pos, n);
    free(c->in);
    c->in = buf;
    c->in_lent = true;
    c->in_pos = 0;
    c->in_len = n;
    return true;
}

/* After reading: the unconsumed bytes (at most one incomplete frame, or frames waiting for pipe room)
 * move to a buffer of their own and the lent one goes back. Without memory for the copy the conn keeps
 * the lent buffer until its next read. */
static void in_give_back(struct conn *c)
{
    if (!c->in_lent)
        return;
    size_t n = c->in_len - c->in_pos;
    if (!n) {
        in_free(c);
        return;
    }
    uint8_t *rest = malloc(n);
    if (!rest)
        return;
    memcpy(rest, c->in + c->in_pos, n);
    reactor_buf_put(c->p.io, c->in);
    c->in = rest;
    c->in_lent = false;
    c->in_pos = 0;
    c->in_len = n;
}

bool conn_out_append(struct conn *c, const void *data, size_t n)
{
    if (!conn_out_reserve(c, n))
        return false;   /* only greeting bytes come here: no buffer means no memory */
    memcpy(c->out + c->out_len, data, n);
    c->out_len += n;
    return true;
}

/* Appends a command frame whose body is name + data. false: no room yet (nothing written); the caller
 * keeps the command and retries once output drains, so no command is ever dropped. While a big frame is
 * being written (out_has_big) there is never room: the buffer already holds that frame's header, and bytes
 * appended now would go out before the rest of its body, in the middle of the frame. */
static bool out_command(struct conn *c, const char *name, const void *data, size_t data_len)
{
    if (c->out_has_big)
        return false;
    size_t name_len = strlen(name);
    size_t body = 1 + name_len + data_len;
    if (c->xform) {
        uint8_t plain[1 + 255 + CONN_BIG_FRAME];
        if (body > sizeof plain)
            return true;   /* never: commands are PING/PONG and subscriptions up to CONN_BIG_FRAME */
        zmtp_command_name_write(plain, sizeof plain, name);
        if (data_len)
            memcpy(plain + 1 + name_len, data, data_len);
        return conn_xform_out(c, ZMTP_FLAG_COMMAND, plain, body);
    }
    if (!conn_out_reserve(c, ZMTP_FRAME_HEADER_MAX + body))
        return false;
    c->out_len += zmtp_frame_header_write(c->out + c->out_len, body, ZMTP_FLAG_COMMAND);
    c->out_len += zmtp_command_name_write(c->out + c->out_len, 1 + name_len, name);
    if (data_len)
        memcpy(c->out + c->out_len, data, data_len);
    c->out_len += data_len;
    return true;
}

static bool out_ping(struct conn *c)
{
    uint8_t ttl[2];
    unsigned tenths = (unsigned)c->p.opt.heartbeat_ttl / 100;
    ttl[0] = (uint8_t)(tenths >> 8);
    ttl[1] = (uint8_t)tenths;
    return out_command(c, "PING", ttl, sizeof ttl);
}

void conn_send_ping(struct conn *c)
{
    if (!c->ping_pending && !out_ping(c))
        c->ping_pending = true;   /* sent by conn_output once the buffer has room */
    /* The timeout runs from the oldest PING that no traffic has answered yet. */
    if (!c->ping_sent_ms || c->last_rx_ms >= c->ping_sent_ms)
        c->ping_sent_ms = zn_now_ms();
    conn_output(c);
}

/* Buffers the PING/PONG that waited for room. A buffered PONG lets input resume (it stopped so that a
 * flood of PINGs cannot outrun our answers). false if the connection ended meanwhile. */
static bool flush_control(struct conn *c)
{
    if (c->ping_pending && out_ping(c))
        c->ping_pending = false;
    if (c->pong_pending && out_command(c, "PONG", c->pong_ctx, c->pong_ctx_len)) {
        c->pong_pending = false;
        if (c->in_paused)
            conn_resume_input(c);
    }
    return c->h.fd >= 0 && c->state == CONN_ACTIVE;
}

/* ---- inbound traffic ---------------------------------------------------------------------------------- */
/* Sets what epoll reports for this connection. false: the kernel refused (ENOMEM/ENOSPC adding it back
 * into epoll) and the connection failed with that errno, as any other I/O error would fail it. */
bool conn_set_events(struct conn *c, uint32_t events)
{
    int rc = io_set_events(c->p.io, &c->h, events);
    if (rc == 0)
        return true;
    errno = -rc;
    conn_fail(c, ZMQ_EVENT_DISCONNECTED, "epoll_ctl");
    return false;
}

/* Only ever narrows the interest (input was on: MOD or DEL), which the kernel cannot refuse. */
static void pause_input(struct conn *c)
{
    c->in_paused = true;
    (void)io_set_events(c->p.io, &c->h, c->want_out ? EPOLLOUT : 0);
}

/* Hands one frame to the pipe with these flags (MSGF_MORE, or MSGF_COMMAND for a RADIO's JOIN/LEAVE).
 * false: no room (the frame waits in in_frame and input pauses). */
static bool deliver_flags(struct conn *c, struct msg *m, uint8_t flags)
{
    bool more = flags & MSGF_MORE;
    if (!c->in_more && !pipe_check_write(c->end)) {
        if (m != &c->in_frame)
            msg_move(&c->in_frame, m);
        c->in_frame.flags = flags;
        c->in_pending = true;
        pause_input(c);
        return false;
    }
    m->flags = flags;
    if (c->meta && m->meta != c->meta) {
        if (m->meta)
            msg_set_meta(m, NULL);
        msg_attach_meta(m, c->meta, &c->meta_credit);
    }
    if (pipe_write(c->end, m) < 0) {
        msg_close(m);
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
        return false;
    }
    c->in_more = more;
    return true;
}

static bool deliver(struct conn *c, struct msg *m, bool more)
{
    return deliver_flags(c, m, more ? MSGF_MORE : 0);
}

/* A SUBSCRIBE/CANCEL command becomes the message form publishers read: 0x01/0x00 + topic. */
static bool deliver_subscription(struct conn *c, bool subscribe, const uint8_t *topic, size_t len)
{
    struct msg m;
    if (msg_init_size(&m, len + 1) < 0) {
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
        return false;
    }
    uint8_t *d = msg_data(&m);
    d[0] = subscribe ? 1 : 0;
    memcpy(d + 1, topic, len);
    return deliver(c, &m, false);
}

/* A DISH's JOIN/LEAVE becomes the form RADIO reads from its pipes (proto/radio.c): one frame flagged
 * MSGF_COMMAND, 0x01 (join) or 0x00 (leave) + the group. A group over 255 bytes (RFC 48) drops the peer. */
static bool deliver_membership(struct conn *c, bool join, const uint8_t *group, size_t len)
{
    if (len > MSG_GROUP_MAX) {
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, join ? "malformed JOIN" : "malformed LEAVE");
        return false;
    }
    struct msg m;
    if (msg_init_size(&m, len + 1) < 0) {
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
        return false;
    }
    uint8_t *d = msg_data(&m);
    d[0] = join ? 1 : 0;
    if (len)
        memcpy(d + 1, group, len);
    return deliver_flags(c, &m, MSGF_COMMAND);
}

/* A command frame on an active connection. Returns false if the connection was dropped or paused. */
static bool active_command(struct conn *c, const uint8_t *body, size_t len)
{
    struct zmtp_command cmd;
    if (zmtp_command_parse(body, len, &cmd) < 0) {
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "malformed command");
        return false;
    }
    switch (cmd.id) {
    case ZMTP_CMD_PING: {
        uint16_t ttl;
        const uint8_t *ctx;
        size_t ctx_len;
        if (zmtp_ping_parse(cmd.data, cmd.data_len, &ttl, &ctx, &ctx_len) < 0) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "malformed PING");
            return false;
        }
        if (!out_command(c, "PONG", ctx, ctx_len)) {
            /* No room: keep the answer and stop reading until it is buffered (decode_frames checks). */
            memcpy(c->pong_ctx, ctx, ctx_len);
            c->pong_ctx_len = (uint8_t)ctx_len;
            c->pong_pending = true;
        }
        if (ttl) {
            c->peer_ttl_ms = (uint64_t)ttl * 100;
            io_timer_start(c->p.io, &c->ttl_timer, c->peer_ttl_ms);
        }
        c->want_out = true;
        return true;
    }
    case ZMTP_CMD_PONG:
        return true;
    case ZMTP_CMD_SUBSCRIBE:
    case ZMTP_CMD_CANCEL:
        if (c->p.opt.type != ZMQ_PUB && c->p.opt.type != ZMQ_XPUB)
            return true;
        return deliver_subscription(c, cmd.id == ZMTP_CMD_SUBSCRIBE, cmd.data, cmd.data_len);
    case ZMTP_CMD_JOIN:
    case ZMTP_CMD_LEAVE:
        if (c->p.opt.type != PROTO_RADIO)
            return true;
        return deliver_membership(c, cmd.id == ZMTP_CMD_JOIN, cmd.data, cmd.data_len);
    case ZMTP_CMD_ERROR:
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "peer sent ERROR");
        return false;
    default:
        /* RFC 37: unknown commands are ignored; a second READY is a protocol error. */
        if (cmd.id == ZMTP_CMD_READY) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "unexpected READY");
            return false;
        }
        return true;
    }
}

/* A message frame over ZMQ_MAXMSGSIZE: the connection is about to close; the socket counts the drop. */
static void count_oversize(struct conn *c)
{
    if (c->p.monitor)
        monitor_drop_io(c->p.monitor, STATS_OVERSIZE, 1);
}

/* A frame on a connection with a transform (CURVE): every frame is a box; what it holds is a message frame
 * or a command. The plaintext is copied once into its message (or used in place for a command). */
static bool unwrap_input(struct conn *c, uint8_t flags, struct msg *m, const uint8_t *body, size_t len)
{
    uint8_t *data;
    size_t data_len;
    uint8_t inner;
    int rc = flags & ZMTP_FLAG_MORE ? ZMTP_E_FLAGS
                                    : c->xform->unwrap(c->mech_state, (uint8_t *)body, len, &data, &data_len, &inner);
    if (rc < 0) {
        if (m)
            msg_close(m);
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, zmtp_strerror(rc));
        return false;
    }
    if (c->p.opt.maxmsgsize >= 0 && data_len > (uint64_t)c->p.opt.maxmsgsize) {
        if (m)
            msg_close(m);
        count_oversize(c);
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, zmtp_strerror(ZMTP_E_TOO_LARGE));
        return false;
    }
    if (inner & ZMTP_FLAG_COMMAND) {
        bool ok = active_command(c, data, data_len);
        if (m)
            msg_close(m);
        return ok;
    }
    struct msg local;
    if (msg_init_size_in(&local, data_len, c->p.io->pool) < 0) {
        if (m)
            msg_close(m);
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
        return false;
    }
    memcpy(msg_data(&local), data, data_len);
    if (m)
        msg_close(m);
    return deliver(c, &local, inner & ZMTP_FLAG_MORE);
}

/* A whole frame (header parsed, body in hand) on a handshaking or active connection. */
static bool frame_input(struct conn *c, uint8_t flags, struct msg *m, const uint8_t *body, size_t len)
{
    if (c->state == CONN_IDENTITY) {
        if (flags & ZMTP_FLAG_MORE || len > ZMTP_IDENTITY_MAX) {
            conn_fail(c, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, "bad ZMTP 2.0 identity");
            return false;
        }
        uint8_t id[ZMTP_IDENTITY_MAX];
        memcpy(id, body, len);
        if (conn_build_meta(c, NULL) < 0) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
            return false;
        }
        conn_ready(c, id, len);
        return c->state == CONN_ACTIVE;
    }
    if (c->state == CONN_HANDSHAKE) {
        int rc = flags & ZMTP_FLAG_COMMAND ? conn_handshake_command(c, body, len) : ZMTP_E_COMMAND;
        if (rc < 0) {
            conn_handshake_fail(c, rc);
            return false;
        }
        if (c->state == CONN_HANDSHAKE)
            conn_output(c);   /* the mechanism's answer (WELCOME, INITIATE, READY) */
        return c->state != CONN_DEAD && c->h.fd >= 0;
    }
    if (c->xform)
        return unwrap_input(c, flags, m, body, len);
    if (flags & ZMTP_FLAG_COMMAND)
        return active_command(c, body, len);
    struct msg local;
    if (!m) {
        if (msg_init_size_in(&local, len, c->p.io->pool) < 0) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
            return false;
        }
        memcpy(msg_data(&local), body, len);
        m = &local;
    }
    return deliver(c, m, flags & ZMTP_FLAG_MORE);
}

/* Decodes as many frames as the input buffer holds. Returns false if the connection stopped (dropped,
 * paused, or a large frame is now read directly). */
static bool decode_frames(struct conn *c)
{
    while (c->in_pos < c->in_len) {
        if (c->pong_pending) {   /* a PING's answer waits for output room: read no further */
            pause_input(c);
            return false;
        }
        if (c->state == CONN_GREETING) {
            int rc = conn_greeting_input(c);
            if (rc < 0) {
                conn_handshake_fail(c, rc);
                return false;
            }
            conn_output(c);
            if (c->h.fd < 0)
                return false;
            continue;
        }
        const uint8_t *p = c->in + c->in_pos;
        size_t avail = c->in_len - c->in_pos;
        int64_t max = c->state == CONN_ACTIVE ? c->p.opt.maxmsgsize : CONN_HANDSHAKE_FRAME_MAX;
        if (c->xform && max >= 0)
            max = (int64_t)c->xform->wrap_size((size_t)max);   /* the limit is on the plaintext */
        struct zmtp_frame_header hdr;
        int hlen = zmtp_frame_header_parse(p, avail, c->version, max, &hdr);
        if (hlen == 0)
            return true;
        if (hlen < 0) {
            if (hlen == ZMTP_E_TOO_LARGE && c->state == CONN_ACTIVE)
                count_oversize(c);
            conn_fail_frame(c, hlen);
            return false;
        }
        size_t body_avail = avail - (size_t)hlen;
        if (hdr.size <= body_avail) {
            c->in_pos += (size_t)hlen + hdr.size;
            if (!frame_input(c, hdr.flags, NULL, p + hlen, hdr.size))
                return false;
            continue;
        }
        if (hdr.size < CONN_IN_CAP / 2)
            return true;   /* wait for the rest in the buffer */
        if (c->state != CONN_ACTIVE || (hdr.flags & ZMTP_FLAG_COMMAND)) {
            conn_fail_frame(c, ZMTP_E_TOO_LARGE);   /* oversized command */
            return false;
        }
        /* Large frame (the codec checked hdr.size against ZMQ_MAXMSGSIZE): read the rest of the body straight
         * into its message, which grows as the bytes arrive (read_direct). */
        size_t first = hdr.size < CONN_FRAME_FIRST_ALLOC ? (size_t)hdr.size : CONN_FRAME_FIRST_ALLOC;
        if (msg_init_size(&c->in_frame, first) < 0) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory for a large frame");
            return false;
        }
        memcpy(msg_data(&c->in_frame), p + hlen, body_avail);
        c->in_frame.flags = hdr.flags & ZMTP_FLAG_MORE ? MSGF_MORE : 0;
        c->in_frame_have = body_avail;
        c->in_frame_size = (size_t)hdr.size;
        c->in_direct = true;
        c->in_pos = c->in_len = 0;
        return false;
    }
    return true;
}

/* Raw (STREAM) input: every read is one message. */
static bool raw_input(struct conn *c)
{
    size_t n = c->in_len - c->in_pos;
    struct msg m;
    if (msg_init_size(&m, n) < 0) {
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
        return false;
    }
    memcpy(msg_data(&m), c->in + c->in_pos, n);
    c->in_pos = c->in_len = 0;
    return deliver(c, &m, false);
}

/* The peer closed (EPIPE) or the read failed. Mid-handshake libzmq reports HANDSHAKE_FAILED_NO_DETAIL
 * with the errno first (a CURVE server that cannot open our HELLO just closes). */
static void input_lost(struct conn *c, int err)
{
    if (c->out_error)
        err = c->out_error;   /* draining after a failed write (output_lost): that write's error */
    errno = err;   /* before the handshake completed, conn_fail reports it as HANDSHAKE_FAILED_NO_DETAIL's value */
    conn_fail(c, ZMQ_EVENT_DISCONNECTED, err == EPIPE ? "connection closed by peer" : strerror(err));
}

static void input_done(struct conn *c)
{
    if (c->end && c->h.fd >= 0)
        pipe_flush(c->end);
}

/* Room for the next read of a large frame: in_frame doubles (up to the announced size) once it is full. */
static bool direct_room(struct conn *c)
{
    size_t have = msg_size(&c->in_frame);
    if (c->in_frame_have < have)
        return true;
    size_t grown = have > c->in_frame_size / 2 ? c->in_frame_size : 2 * have;
    if (msg_resize(&c->in_frame, grown) < 0) {
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory for a large frame");
        return false;
    }
    return true;
}

/* The read that completes a large frame also takes up to CONN_DIRECT_LOOKAHEAD bytes past it into the
 * input buffer: the next frame's header, so that a stream of large frames costs one readv each and their
 * bodies are never copied (decode_frames sees the next large frame and reads it directly too). */
#define CONN_DIRECT_LOOKAHEAD 16

/* Reads the rest of a large frame straight into its message. true: keep reading. */
static bool read_direct(struct conn *c)
{
    if (!direct_room(c))
        return false;
    size_t room = msg_size(&c->in_frame) - c->in_frame_have;
    struct iovec iov[2] = {{(uint8_t *)msg_data(&c->in_frame) + c->in_frame_have, room}};
    int iovcnt = 1;
    size_t total = room;
    /* the input buffer is empty while a frame is read directly (decode_frames emptied it) */
    if (c->in_frame_have + room == c->in_frame_size && in_lend(c)) {
        iov[1] = (struct iovec){c->in, CONN_DIRECT_LOOKAHEAD};
        iovcnt = 2;
        total += CONN_DIRECT_LOOKAHEAD;
    }
    ssize_t n = readv(c->h.fd, iov, iovcnt);
    if (n == 0) {
        errno = EPIPE;   /* libzmq's errno for end of file (HANDSHAKE_FAILED_NO_DETAIL's value) */
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "connection closed by peer");
        return false;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, strerror(errno));
        return false;
    }
    c->last_rx_ms = zn_now_ms();
    bool more_waiting = (size_t)n == total;   /* a full read may have left more in the socket */
    if ((size_t)n > room) {
        c->in_pos = 0;
        c->in_len = (size_t)n - room;
        n = (ssize_t)room;
    }
    c->in_frame_have += (size_t)n;
    if (c->in_frame_have < c->in_frame_size)
        return more_waiting;
    c->in_direct = false;
    bool go_on;
    if (c->xform) {
        struct msg boxed;
        msg_init(&boxed);
        msg_move(&boxed, &c->in_frame);
        uint8_t flags = boxed.flags & MSGF_MORE ? ZMTP_FLAG_MORE : 0;
        go_on = unwrap_input(c, flags, &boxed, msg_data(&boxed), msg_size(&boxed));
    } else {
        go_on = deliver(c, &c->in_frame, c->in_frame.flags & MSGF_MORE);
    }
    if (go_on && c->in_pos < c->in_len) {
        go_on = decode_frames(c) || c->in_direct;   /* the lookahead: the next frame's header */
        if (c->h.fd < 0)
            return false;
    }
    return go_on && more_waiting;
}

/* Reads and decodes until the fd is drained or input stops. false: the stream ended (nothing more to do). */
static bool input_loop(struct conn *c)
{
    for (int i = 0; i < CONN_READS_PER_EVENT && !c->in_paused && c->h.fd >= 0; i++) {
        if (c->in_direct) {
            if (!read_direct(c))
                break;
            continue;
        }
        if (!in_lend(c)) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
            return false;
        }
        if (c->in_pos > 0) {
            memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
            c->in_len -= c->in_pos;
            c->in_pos = 0;
        }
        size_t room = CONN_IN_CAP - c->in_len;
        ssize_t n = read(c->h.fd, c->in + c->in_len, room);
        if (n == 0) {
            input_lost(c, EPIPE);
            return false;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                input_lost(c, errno);
            break;
        }
        c->in_len += (size_t)n;
        c->last_rx_ms = zn_now_ms();
        bool go_on = c->raw ? raw_input(c) : decode_frames(c);
        if (c->h.fd < 0)
            return false;
        if (!go_on && !c->in_direct)
            break;
        if ((size_t)n < room)
            break;   /* the socket is drained: skip the read that would say EAGAIN */
    }
    return true;
}

void conn_input(struct conn *c)
{
    bool go_on = input_loop(c);
    in_give_back(c);
    if (!go_on)
        return;
    input_done(c);
    if (c->want_out)
        conn_output(c);
}

/* Resumes input after the socket made room in the pipe. */
void conn_resume_input(struct conn *c)
{
    if (c->in_pending) {
        if (!deliver_flags(c, &c->in_frame, c->in_frame.flags))
            return;
        c->in_pending = false;
    }
    c->in_paused = false;
    if (!conn_set_events(c, EPOLLIN | (c->want_out ? EPOLLOUT : 0)))
        return;
    if (!c->raw && c->in_pos < c->in_len)
        decode_frames(c);
    if (c->in && c->in_pos == c->in_len && !c->in_lent)
        in_free(c);
    input_done(c);
}

/* Bytes a direct receive read past its last whole message (conn_direct_recv.c), on the wake it posts. */
void conn_input_leftover(struct conn *c)
{
    if (c->state != CONN_ACTIVE || c->in_paused || c->in_direct || c->in_lent || c->in_pos == c->in_len)
        return;
    if (!decode_frames(c) && c->h.fd < 0)
        return;
    if (c->in && c->in_pos == c->in_len && !c->in_lent)
        in_free(c);
    input_done(c);
}

/* A write failed before the handshake completed. The peer may have said why it went away (a greeting
 * naming another mechanism, an ERROR command) in bytes still in the kernel's buffer: the socket is
 * non-blocking, so read and decode what already arrived, with output off (out_error), and let that
 * decide the event. The write's error is reported only if those bytes decide nothing. */
static void output_lost(struct conn *c, int err)
{
    bool handshaking = c->state >= CONN_GREETING && c->state < CONN_ACTIVE;
    if (handshaking && !c->out_error) {
        c->out_error = err;
        /* first the bytes already read (the write may come from the middle of decode_frames), then the
         * rest; input_loop ends in conn_fail, or at EAGAIN with all that arrived decoded */
        bool go_on = c->in_pos == c->in_len || decode_frames(c);
        if (go_on && c->h.fd >= 0 && !c->in_paused)
            (void)input_loop(c);
        if (c->h.fd < 0 || c->state == CONN_DEAD)
            return;   /* what the peer sent ended the connection */
    }
    errno = err;
    conn_fail(c, ZMQ_EVENT_DISCONNECTED, strerror(err));
}

/* ---- outbound traffic ---------------------------------------------------------------------------------- */
/* Whether m is a subscription this peer wants as a 3.1 SUBSCRIBE/CANCEL command. */
static bool is_subscription_command(struct conn *c, struct msg *m)
{
    if ((c->p.opt.type != ZMQ_SUB && c->p.opt.type != ZMQ_XSUB) || c->version != 3 || c->minor < 1 ||
        c->out_more || (m->flags & MSGF_MORE))
        return false;
    size_t size = msg_size(m);
    const uint8_t *d = msg_data(m);
    return size >= 1 && d[0] <= 1 && size <= CONN_BIG_FRAME;
}

/* Whether m is a DISH's JOIN/LEAVE (proto/dish.c: MSGF_COMMAND, 0x01/0x00 + group), sent as a command to
 * every ZMTP 3 peer (libzmq 4.3 has no message form of it). */
static bool is_membership_command(struct conn *c, struct msg *m)
{
    return c->p.opt.type == PROTO_DISH && (m->flags & MSGF_COMMAND) && !c->out_more && msg_size(m) >= 1;
}

/* A frame boxed by the transform: into the output buffer when it fits (the steady state: no allocation),
 * else into a message of its own written after the header, like a big frame. false on ENOMEM. */
static bool encode_boxed(struct conn *c, struct msg *m, bool more)
{
    size_t size = msg_size(m);
    uint8_t flags = more ? ZMTP_FLAG_MORE : 0;
    size_t body = c->xform->wrap_size(size);
    if (body < CONN_BIG_FRAME && conn_xform_out(c, flags, msg_data(m), size)) {
        msg_close_in(m, c->p.io->pool);
        return true;
    }
    struct msg boxed;
    if (msg_init_size(&boxed, body) < 0) {
        msg_close(m);
        return false;
    }
    int n = c->xform->wrap(c->mech_state, flags, msg_data(m), size, msg_data(&boxed));
    msg_close(m);
    if (n < 0) {
        msg_close(&boxed);
        return false;
    }
    c->out_len += zmtp_frame_header_write(c->out + c->out_len, body, 0);
    msg_move(&c->out_big, &boxed);
    c->out_big_off = 0;
    c->out_has_big = true;
    return true;
}

/* The next frame to send: one held back (a subscription waiting for room, or ZMQ_HELLO_MSG), else the
 * pipe's next. *from_pipe says which: only the pipe's frames can be the rest of a message a reconnect cut. */
static bool next_out_frame(struct conn *c, struct msg *m, bool *from_pipe)
{
    *from_pipe = !c->out_has_held;
    if (c->out_has_held) {
        msg_move(m, &c->out_held);
        c->out_has_held = false;
        return true;
    }
    bool got = pipe_read(c->end, m);
    if (c->end->conflated && c->p.monitor) {   /* an outbound conflating queue replaced frames */
        monitor_drop_io(c->p.monitor, STATS_CONFLATED, c->end->conflated);
        c->end->conflated = 0;
    }
    return got;
}

/* Moves frames from the pipe into the output buffer until it is full or a big frame is next. A
 * subscription command that does not fit waits in out_held: it is never dropped. */
static void conn_encode(struct conn *c)
{
    struct msg m;
    while (!c->out_has_big && conn_out_reserve(c, ZMTP_FRAME_HEADER_MAX + 64)) {
        bool from_pipe;
        if (!next_out_frame(c, &m, &from_pipe))
            return;
        bool more = m.flags & MSGF_MORE;
        if (c->out_dropping && from_pipe) {
            c->out_dropping = more;
            msg_close(&m);
            continue;
        }
        if (!c->raw && (is_subscription_command(c, &m) || is_membership_command(c, &m))) {
            const uint8_t *d = msg_data(&m);
            const char *name = m.flags & MSGF_COMMAND ? (d[0] ? "JOIN" : "LEAVE") : (d[0] ? "SUBSCRIBE" : "CANCEL");
            if (!out_command(c, name, d + 1, msg_size(&m) - 1)) {
                msg_move(&c->out_held, &m);
                c->out_has_held = true;
                return;
            }
            msg_close(&m);
            continue;
        }
        if (c->xform) {
            c->out_more = more;
            if (!encode_boxed(c, &m, more)) {
                conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
                return;
            }
            continue;
        }
        size_t size = msg_size(&m);
        if (c->raw) {
            if (size == 0) {   /* STREAM: an empty frame means "close this connection" */
                msg_close(&m);
                continue;
            }
        } else {
            c->out_len += zmtp_frame_header_write(c->out + c->out_len, size, more ? ZMTP_FLAG_MORE : 0);
        }
        c->out_more = more;
        if (size >= CONN_BIG_FRAME || c->out_len + size > CONN_OUT_CAP) {
            msg_move(&c->out_big, &m);
            c->out_big_off = 0;
            c->out_has_big = true;
            return;
        }
        memcpy(c->out + c->out_len, msg_data(&m), size);
        c->out_len += size;
        msg_close_in(&m, c->p.io->pool);
    }
}

static void set_want_out(struct conn *c, bool want)
{
    c->want_out = want;
    if (c->h.fd >= 0 && c->state != CONN_CONNECTING && c->state != CONN_SOCKS)
        (void)conn_set_events(c, (c->in_paused ? 0 : EPOLLIN) | (want ? EPOLLOUT : 0));
}

/* Our last words before dropping a handshake for a reason already known (the rest of our greeting, so
 * the peer sees the mismatch too, or the mechanism's ERROR): one write, whose failure changes nothing. */
void conn_output_last(struct conn *c)
{
    if (c->h.fd >= 0 && !c->out_error && c->out && c->out_pos < c->out_len)
        (void)send(c->h.fd, c->out + c->out_pos, c->out_len - c->out_pos, MSG_NOSIGNAL);
}

/* A SUB can send nothing but subscriptions, which the socket sends again after every reconnect: one that
 * is not connected has nothing worth lingering for. libzmq 4.3.4 agrees (a SUB with ZMQ_LINGER -1 and a
 * subscription queued while its publisher is away does not hold zmq_ctx_term; an XSUB does, and so here). */
static bool conn_sub_unconnected(const struct conn *c)
{
    return c->p.opt.type == ZMQ_SUB && c->state != CONN_ACTIVE;
}

bool conn_drained(struct conn *c)
{
    if (conn_sub_unconnected(c))
        return true;
    return c->out_pos == c->out_len && !c->out_has_big && !c->out_has_held && !c->ping_pending &&
           !c->pong_pending && (!c->end || !pipe_check_read(c->end));
}

void conn_maybe_finish(struct conn *c)
{
    if (!c->closing || c->state == CONN_DEAD)
        return;
    if (c->linger == 0 || conn_drained(c))
        conn_terminate(c);
}

void conn_output(struct conn *c)
{
    if (c->out_error)
        return;   /* output_lost is reading what the peer sent before the write failed */
    if (c->h.fd < 0 || c->state == CONN_CONNECTING || c->state == CONN_SOCKS || c->state == CONN_DEAD) {
        if (c->state == CONN_SOCKS)
            conn_maybe_finish(c);   /* a socket closed with linger 0 must not wait for the proxy */
        return;
    }
    for (;;) {
        if (c->state == CONN_ACTIVE && !flush_control(c))
            return;
        if (c->state == CONN_ACTIVE && c->end)
            conn_encode(c);
        if (c->h.fd < 0)
            return;
        size_t pending = c->out_len - c->out_pos;
        struct iovec iov[2];
        int iovcnt = 0;
        if (pending)
            iov[iovcnt++] = (struct iovec){c->out + c->out_pos, pending};
        if (c->out_has_big)
            iov[iovcnt++] = (struct iovec){(uint8_t *)msg_data(&c->out_big) + c->out_big_off,
                                           msg_size(&c->out_big) - c->out_big_off};
        if (!iovcnt)
            break;
        /* sendmsg with MSG_NOSIGNAL, never writev: a peer that vanished mid-write must give us EPIPE,
         * not kill the application with SIGPIPE (and we must not touch its signal handlers). */
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
        ssize_t n = sendmsg(c->h.fd, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                set_want_out(c, true);
                return;
            }
            output_lost(c, errno);
            return;
        }
        size_t done = (size_t)n;
        size_t from_buf = done < pending ? done : pending;
        c->out_pos += from_buf;
        done -= from_buf;
        if (c->out_has_big) {
            c->out_big_off += done;
            if (c->out_big_off == msg_size(&c->out_big)) {
                msg_close(&c->out_big);
                msg_init(&c->out_big);
                c->out_has_big = false;
            }
        }
        if (c->out_pos < c->out_len || c->out_has_big) {
            set_want_out(c, true);
            return;
        }
    }
    out_release(c);
    if (c->want_out)
        set_want_out(c, false);
    conn_maybe_finish(c);
}

