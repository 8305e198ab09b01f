/* The ws:// relay: one per ws:// connection, on the connection's I/O thread. It owns the TCP fd ("net",
 * WebSocket bytes) and one end of a socketpair ("loc", ZMTP 3.x bytes); the ZMTP engine (core/conn.c) runs
 * unchanged on the other end, so direct send and receive, heartbeats, mechanisms and monitor events are
 * the same code as over tcp. libzmq's ZWS 2.0 has no greeting (the mechanism is the subprotocol
 * "ZWS2.0/<MECH>") and carries each ZMTP frame as one final binary WebSocket frame whose first payload
 * byte is the flags (more 0x01, command 0x02); PING/PONG travel as WebSocket ping/pong frames.
 *
 * States (relay_pump drives every transition):
 *   HANDSHAKE --(client: 101 checked; server: request checked, 101 sent: relay_open)--> OPEN
 *   HANDSHAKE --(bad head: server sends 400)--> ENDING
 *   OPEN --(peer's close echoed, protocol error closed, conn hung up: close frame queued)--> ENDING
 *   ENDING --(tx_out written, or the drain bound expired, or net failed)--> freed (relay_finish)
 *   any --(net end of file or error: rx_out delivered first)--> freed
 * Invariants:
 *  1. relay_open writes a 64-byte ZMTP 3.0 greeting naming our own mechanism into rx_out, so the conn
 *     sees a peer of minor version 0 and sends subscriptions as messages (0x01/0x00 prefix), which is how
 *     libzmq's ws encoder sends them; the conn's own 64-byte greeting is dropped (greet_skip).
 *  2. Each direction moves bytes in -> out only when out has room for the whole header it writes, so a
 *     frame header is never split across a full buffer; control frames (ctl) are put in tx_out only
 *     between two data frames.
 *  3. Every length from the network passes ws_frame_check (ZMQ_MAXMSGSIZE included) before one byte of
 *     its payload is copied; nothing is allocated per frame: four fixed buffers per relay.
 *  4. The relay counts as a live object of its reactor (io->live) until relay_finish, which closes both
 *     fds, so zmq_ctx_term waits for it; ENDING is bounded (RELAY_CLOSE_MS, or ZMQ_LINGER once the conn
 *     hung up).
 */
#include "core/ws_relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#include "core/options.h"
#include "core/reactor.h"
#include "transport/ws_codec.h"
#include "zmtp/zmtp.h"

#define RELAY_BUF 16384
#define RELAY_CLOSE_MS 1000   /* how long a close or refusal may take to leave */
#define RELAY_HOST_MAX 256

struct relay_buf {
    uint8_t *b;
    size_t pos, len;          /* bytes [pos, len) are pending */
};

enum relay_state { RELAY_HANDSHAKE, RELAY_OPEN, RELAY_ENDING };

struct ws_relay {
    struct reactor *io;
    struct io_handle net;              /* the TCP fd: WebSocket */
    struct io_handle loc;              /* our end of the socketpair: ZMTP */
    struct io_timer timer;             /* the ENDING bound */
    struct io_deferred defer;
    enum relay_state state;
    bool client;
    bool net_eof, loc_eof;
    bool finished;
    int64_t maxmsgsize;
    int linger;
    char mech[8];                      /* "NULL", "PLAIN", "CURVE" */
    bool as_server;
    char key[WS_KEY_MAX];              /* client: the Sec-WebSocket-Key we sent */
    uint32_t rng;                      /* xorshift for mask keys, seeded from getrandom */
    struct relay_buf rx_in, rx_out;    /* net -> loc: WebSocket frames in, ZMTP frames out */
    struct relay_buf tx_in, tx_out;    /* loc -> net: ZMTP frames in, WebSocket frames out */
    uint64_t rx_left, rx_pos;          /* the binary frame being copied: bytes left, mask position */
    uint8_t rx_mask[4];
    bool rx_masked;
    size_t greet_skip;                 /* the conn's greeting bytes still to drop */
    uint64_t tx_left, tx_pos;          /* the ZMTP frame being copied: bytes left, mask position */
    uint8_t tx_mask[4];
    /* bare "ZWS2.0" (server side only: zinc's client offers "ZWS2.0/<MECH>"): no READY on the wire; each
     * side's first message is its routing id. The conn's READY is dropped and the peer's routing id
     * becomes a READY for the conn, naming a socket type compatible with ours (bare ZWS sends none). */
    bool bare;
    bool bare_ready_dropped;           /* the conn's READY was dropped */
    bool bare_id_seen;                 /* the peer's routing-id message became its READY */
    int type;                          /* our socket type */
    uint8_t routing_id[255];           /* ZMQ_ROUTING_ID, sent as our first message when bare */
    uint8_t routing_id_len;
    uint8_t ctl[WS_FRAME_HEAD_MAX + WS_CONTROL_MAX];   /* a control frame waiting for a frame boundary */
    size_t ctl_len;
    bool close_queued;
};

static size_t room(const struct relay_buf *b)
{
    return RELAY_BUF - b->len;
}

static size_t avail(const struct relay_buf *b)
{
    return b->len - b->pos;
}

static void compact(struct relay_buf *b)
{
    if (b->pos == b->len) {
        b->pos = b->len = 0;
    } else if (b->pos > 0) {
        memmove(b->b, b->b + b->pos, b->len - b->pos);
        b->len -= b->pos;
        b->pos = 0;
    }
}

static uint32_t relay_random(struct ws_relay *r)
{
    uint32_t x = r->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return r->rng = x;
}

static void new_mask(struct ws_relay *r, uint8_t mask[4])
{
    uint32_t v = relay_random(r);
    memcpy(mask, &v, 4);
}

/* ---- ending ------------------------------------------------------------------------------------------- */

static void relay_free(void *arg)
{
    struct ws_relay *r = arg;
    free(r->rx_in.b);
    free(r);
}

static void relay_finish(struct ws_relay *r)
{
    if (r->finished)
        return;
    r->finished = true;
    io_timer_cancel(r->io, &r->timer);
    int nfd = r->net.fd, lfd = r->loc.fd;
    io_remove(r->io, &r->net);
    io_remove(r->io, &r->loc);
    close(nfd);
    close(lfd);
    r->io->live--;
    io_defer_free(r->io, &r->defer, relay_free, r);
}

static void relay_timer(struct io_timer *t)
{
    relay_finish((struct ws_relay *)((char *)t - offsetof(struct ws_relay, timer)));
}

/* Queues a close frame (status code, reason) and ends once it is written, within bound_ms (< 0: none). */
static void relay_end(struct ws_relay *r, uint16_t code, const char *reason, int bound_ms)
{
    if (r->state != RELAY_ENDING) {
        r->state = RELAY_ENDING;
        if (bound_ms >= 0)
            io_timer_start(r->io, &r->timer, (uint64_t)bound_ms);
    }
    if (r->close_queued || code == 0)
        return;
    uint8_t body[WS_CONTROL_MAX];
    size_t rl = strnlen(reason, WS_CONTROL_MAX - 2);
    body[0] = (uint8_t)(code >> 8);
    body[1] = (uint8_t)code;
    memcpy(body + 2, reason, rl);
    uint8_t mask[4];
    if (r->client)
        new_mask(r, mask);
    r->ctl_len = ws_frame_head_write(r->ctl, WS_OP_CLOSE, rl + 2, r->client ? mask : NULL);
    if (r->client)
        ws_mask(r->ctl + r->ctl_len, body, rl + 2, mask, 0);
    else
        memcpy(r->ctl + r->ctl_len, body, rl + 2);
    r->ctl_len += rl + 2;
    r->close_queued = true;
}

/* ---- the handshake ------------------------------------------------------------------------------------ */

static bool put(struct relay_buf *b, const void *data, size_t n)
{
    compact(b);
    if (room(b) < n)
        return false;
    memcpy(b->b + b->len, data, n);
    b->len += n;
    return true;
}

static void relay_open(struct ws_relay *r)
{
    uint8_t g[ZMTP_GREETING_SIZE];
    zmtp_signature_write(g);
    g[ZMTP_GREETING_MAJOR] = ZMTP_VERSION_MAJOR;
    zmtp_greeting_tail_write(g + ZMTP_GREETING_MINOR, 0, r->mech, !r->as_server);
    put(&r->rx_out, g, sizeof g);   /* rx_out is empty at this point */
    r->state = RELAY_OPEN;
    if (r->bare) {   /* our routing id, first (libzmq's routing_id_msg); tx_out has room: 101 only */
        uint8_t f[WS_FRAME_HEAD_MAX + 1 + 255];
        size_t n = ws_frame_head_write(f, WS_OP_BINARY, 1u + r->routing_id_len, NULL);
        f[n++] = 0;
        memcpy(f + n, r->routing_id, r->routing_id_len);
        put(&r->tx_out, f, n + r->routing_id_len);
    }
}

/* 1 progress, 0 none. */
static int relay_handshake(struct ws_relay *r)
{
    struct ws_http_head h;
    int n = ws_http_parse(r->rx_in.b + r->rx_in.pos, avail(&r->rx_in), !r->client, &h);
    if (n == 0)
        return 0;
    char text[WS_HTTP_MAX];
    if (n > 0) {
        r->rx_in.pos += (size_t)n;
        if (r->client) {
            n = ws_http_check_response(&h, r->key, r->mech);
        } else {
            char proto[32];
            n = ws_http_check_request(&h, r->mech, proto, sizeof proto);
            r->bare = n == 0 && strcmp(proto, WS_PROTOCOL_BARE) == 0;
            int len = n == 0 ? ws_http_response(text, sizeof text, h.key, proto) : -1;
            if (len > 0)
                put(&r->tx_out, text, (size_t)len);
        }
        if (n == 0) {
            relay_open(r);
            return 1;
        }
    }
    if (!r->client) {
        int len = ws_http_refusal(text, sizeof text);
        put(&r->tx_out, text, (size_t)len);
    }
    relay_end(r, 0, "", RELAY_CLOSE_MS);
    return 1;
}

/* ---- net -> loc: WebSocket frames to ZMTP frames ------------------------------------------------------ */

/* A whole control frame (head hl bytes, then h->len bytes) from the peer. 1 done, 0 wait for room. */
static int rx_control(struct ws_relay *r, const struct ws_frame_head *h, size_t hl)
{
    uint8_t body[WS_CONTROL_MAX];
    ws_mask(body, r->rx_in.b + r->rx_in.pos + hl, (size_t)h->len, h->mask, 0);
    if (h->opcode == WS_OP_PONG) {
        /* the answer to our ping: a ZMTP PONG for the conn's heartbeat */
        static const uint8_t pong[] = {ZMTP_FLAG_COMMAND, 5, 4, 'P', 'O', 'N', 'G'};
        if (room(&r->rx_out) < sizeof pong && (compact(&r->rx_out), room(&r->rx_out) < sizeof pong))
            return 0;
        put(&r->rx_out, pong, sizeof pong);
    } else if (h->opcode == WS_OP_PING) {
        if (r->ctl_len)
            return 0;
        uint8_t mask[4];
        if (r->client)
            new_mask(r, mask);
        r->ctl_len = ws_frame_head_write(r->ctl, WS_OP_PONG, h->len, r->client ? mask : NULL);
        ws_mask(r->ctl + r->ctl_len, body, (size_t)h->len, r->client ? mask : (const uint8_t[4]){0}, 0);
        r->ctl_len += (size_t)h->len;
    } else {   /* close: echo its status (RFC 6455 5.5.1) and end */
        if (r->ctl_len)
            return 0;
        uint16_t code = h->len >= 2 ? (uint16_t)(body[0] << 8 | body[1]) : 1000;
        relay_end(r, code, "", RELAY_CLOSE_MS);
    }
    r->rx_in.pos += hl + (size_t)h->len;
    return 1;
}

/* Bare ZWS2.0: the peer's first message (a single frame, its routing id: hl + len bytes in rx_in, checked)
 * becomes the READY the conn waits for. 1 done, 0 wait for bytes or room, < 0 a protocol error. */
static int rx_bare_id(struct ws_relay *r, const struct ws_frame_head *h, size_t hl)
{
    const uint8_t *p = r->rx_in.b + r->rx_in.pos;
    if (h->len - 1 > 255)
        return WS_E_FRAME_LENGTH;
    if (avail(&r->rx_in) < hl + h->len)
        return 0;
    uint8_t id[256];
    ws_mask(id, p + hl, (size_t)h->len, h->mask, 0);
    if (id[0] & (WS_ZWS_MORE | WS_ZWS_COMMAND))
        return WS_E_FRAME_OPCODE;
    const char *peer = NULL;
    for (int t = 0; t <= 20 && !peer; t++)
        if (zmtp_socket_types_compatible(r->type, t) && zmtp_socket_type_name(t))
            peer = zmtp_socket_type_name(t);
    if (!peer)
        return WS_E_FRAME_OPCODE;
    uint8_t body[300], props[290];
    size_t pn = zmtp_metadata_write(props, sizeof props, "Socket-Type", peer, strlen(peer));
    pn += zmtp_metadata_write(props + pn, sizeof props - pn, "Identity", id + 1, (size_t)h->len - 1);
    size_t bn = zmtp_command_write(body, sizeof body, "READY", props, pn);
    compact(&r->rx_out);
    if (room(&r->rx_out) < ZMTP_FRAME_HEADER_MAX + bn)
        return 0;
    r->rx_out.len += zmtp_frame_header_write(r->rx_out.b + r->rx_out.len, bn, ZMTP_FLAG_COMMAND);
    put(&r->rx_out, body, bn);
    r->rx_in.pos += hl + (size_t)h->len;
    r->bare_id_seen = true;
    return 1;
}

/* A frame header at rx_in.pos. 1 progress, 0 need more bytes or room. */
static int rx_head(struct ws_relay *r)
{
    struct ws_frame_head h;
    const uint8_t *p = r->rx_in.b + r->rx_in.pos;
    size_t have = avail(&r->rx_in);
    int hl = ws_frame_parse(p, have, &h);
    if (hl == 0)
        return 0;
    int rc = hl < 0 ? hl : ws_frame_check(&h, !r->client, r->maxmsgsize);
    if (rc < 0) {
        relay_end(r, rc == WS_E_FRAME_TOO_BIG ? 1009 : 1002, ws_strerror(rc), RELAY_CLOSE_MS);
        return 1;
    }
    if (h.opcode != WS_OP_BINARY)
        return have >= (size_t)hl + h.len ? rx_control(r, &h, (size_t)hl) : 0;
    if (r->bare && !r->bare_id_seen) {
        rc = rx_bare_id(r, &h, (size_t)hl);
        if (rc < 0)
            relay_end(r, 1002, "ws: bad routing-id message", RELAY_CLOSE_MS);
        return rc != 0;
    }
    compact(&r->rx_out);
    if (have < (size_t)hl + 1 || room(&r->rx_out) < ZMTP_FRAME_HEADER_MAX)
        return 0;
    uint8_t ws_flags = p[hl] ^ h.mask[0];
    uint8_t flags = (uint8_t)((ws_flags & WS_ZWS_MORE ? ZMTP_FLAG_MORE : 0) |
                              (ws_flags & WS_ZWS_COMMAND ? ZMTP_FLAG_COMMAND : 0));
    r->rx_out.len += zmtp_frame_header_write(r->rx_out.b + r->rx_out.len, h.len - 1, flags);
    r->rx_in.pos += (size_t)hl + 1;
    r->rx_left = h.len - 1;
    r->rx_pos = 1;
    r->rx_masked = h.masked;
    memcpy(r->rx_mask, h.mask, 4);
    return 1;
}

static int rx_transform(struct ws_relay *r)
{
    if (r->rx_left == 0)
        return rx_head(r);
    compact(&r->rx_out);
    size_t n = avail(&r->rx_in);
    if (n > r->rx_left)
        n = (size_t)r->rx_left;
    if (n > room(&r->rx_out))
        n = room(&r->rx_out);
    if (n == 0)
        return 0;
    ws_mask(r->rx_out.b + r->rx_out.len, r->rx_in.b + r->rx_in.pos, n, r->rx_mask, r->rx_pos);
    r->rx_out.len += n;
    r->rx_in.pos += n;
    r->rx_left -= n;
    r->rx_pos += n;
    return 1;
}

/* ---- loc -> net: ZMTP frames to WebSocket frames ------------------------------------------------------ */

/* A ZMTP PING (or PONG) command from the conn becomes a WebSocket ping (pong), as libzmq's heartbeats. */
static bool is_heartbeat(const uint8_t *body, size_t n, uint8_t *opcode)
{
    if (n < 5 || body[0] != 4)
        return false;
    if (memcmp(body + 1, "PING", 4) == 0)
        *opcode = WS_OP_PING;
    else if (memcmp(body + 1, "PONG", 4) == 0)
        *opcode = WS_OP_PONG;
    else
        return false;
    return true;
}

static int tx_head(struct ws_relay *r)
{
    compact(&r->tx_out);
    if (r->ctl_len) {
        if (room(&r->tx_out) < r->ctl_len)
            return 0;
        put(&r->tx_out, r->ctl, r->ctl_len);
        r->ctl_len = 0;
        return 1;
    }
    if (r->state != RELAY_OPEN)
        return 0;
    if (r->greet_skip) {
        size_t n = avail(&r->tx_in) < r->greet_skip ? avail(&r->tx_in) : r->greet_skip;
        r->tx_in.pos += n;
        r->greet_skip -= n;
        return n > 0;
    }
    struct zmtp_frame_header f;
    const uint8_t *p = r->tx_in.b + r->tx_in.pos;
    int hl = zmtp_frame_header_parse(p, avail(&r->tx_in), 3, -1, &f);
    if (hl <= 0)
        return 0;   /* our own conn writes only valid frames */
    if (r->bare && !r->bare_ready_dropped) {   /* the conn's first frame is its READY: not on the wire */
        if (f.size > RELAY_BUF - ZMTP_FRAME_HEADER_MAX || avail(&r->tx_in) < (size_t)hl + f.size) {
            if (f.size > RELAY_BUF - ZMTP_FRAME_HEADER_MAX)
                relay_end(r, 1011, "ws: READY too large", RELAY_CLOSE_MS);
            return f.size > RELAY_BUF - ZMTP_FRAME_HEADER_MAX;
        }
        r->tx_in.pos += (size_t)hl + (size_t)f.size;
        r->bare_ready_dropped = true;
        return 1;
    }
    uint8_t opcode;
    if ((f.flags & ZMTP_FLAG_COMMAND) && f.size <= 5 + 1 + ZMTP_PING_CONTEXT_MAX + 2) {
        if (avail(&r->tx_in) < (size_t)hl + f.size)
            return 0;
        if (is_heartbeat(p + hl, (size_t)f.size, &opcode)) {
            if (room(&r->tx_out) < WS_FRAME_HEAD_MAX)
                return 0;
            new_mask(r, r->tx_mask);
            r->tx_out.len += ws_frame_head_write(r->tx_out.b + r->tx_out.len, opcode, 0,
                                                 r->client ? r->tx_mask : NULL);
            r->tx_in.pos += (size_t)hl + (size_t)f.size;
            return 1;
        }
    }
    if (room(&r->tx_out) < WS_FRAME_HEAD_MAX + 1)
        return 0;
    new_mask(r, r->tx_mask);
    uint8_t *o = r->tx_out.b + r->tx_out.len;
    size_t w = ws_frame_head_write(o, WS_OP_BINARY, f.size + 1, r->client ? r->tx_mask : NULL);
    uint8_t ws_flags = (uint8_t)((f.flags & ZMTP_FLAG_MORE ? WS_ZWS_MORE : 0) |
                                 (f.flags & ZMTP_FLAG_COMMAND ? WS_ZWS_COMMAND : 0));
    o[w] = r->client ? ws_flags ^ r->tx_mask[0] : ws_flags;
    r->tx_out.len += w + 1;
    r->tx_in.pos += (size_t)hl;
    r->tx_left = f.size;
    r->tx_pos = 1;
    return 1;
}

static int tx_transform(struct ws_relay *r)
{
    if (r->tx_left == 0)
        return tx_head(r);
    compact(&r->tx_out);
    size_t n = avail(&r->tx_in);
    if (n > r->tx_left)
        n = (size_t)r->tx_left;
    if (n > room(&r->tx_out))
        n = room(&r->tx_out);
    if (n == 0)
        return 0;
    uint8_t *o = r->tx_out.b + r->tx_out.len;
    if (r->client)
        ws_mask(o, r->tx_in.b + r->tx_in.pos, n, r->tx_mask, r->tx_pos);
    else
        memcpy(o, r->tx_in.b + r->tx_in.pos, n);
    r->tx_out.len += n;
    r->tx_in.pos += n;
    r->tx_left -= n;
    r->tx_pos += n;
    return 1;
}

/* ---- moving bytes --------------------------------------------------------------------------------------- */

/* Writes b to fd. 1 progress, 0 none (would block or empty), -1 failed. */
static int flush(int fd, struct relay_buf *b)
{
    int moved = 0;
    while (avail(b)) {
        ssize_t n = send(fd, b->b + b->pos, avail(b), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? moved : -1;
        }
        b->pos += (size_t)n;
        moved = 1;
    }
    compact(b);
    return moved;
}

/* Reads from fd into b. 1 progress (bytes or end of file newly seen), 0 none. */
static int fill(int fd, struct relay_buf *b, bool *eof)
{
    if (*eof)
        return 0;
    compact(b);
    if (room(b) == 0)
        return 0;
    ssize_t n = recv(fd, b->b + b->len, room(b), 0);
    if (n > 0) {
        b->len += (size_t)n;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    *eof = true;   /* end of file, or an error: the same for us */
    return 1;
}

static void relay_set_events(struct ws_relay *r)
{
    bool reading = r->state != RELAY_ENDING;
    uint32_t ne = (reading && !r->net_eof && room(&r->rx_in) ? EPOLLIN : 0) | (avail(&r->tx_out) ? EPOLLOUT : 0);
    uint32_t le = (reading && !r->loc_eof && room(&r->tx_in) ? EPOLLIN : 0) | (avail(&r->rx_out) ? EPOLLOUT : 0);
    if ((ne != r->net.events && io_set_events(r->io, &r->net, ne) < 0) ||
        (le != r->loc.events && io_set_events(r->io, &r->loc, le) < 0))
        relay_finish(r);
}

static void relay_pump(struct ws_relay *r)
{
    for (int progress = 1; progress && !r->finished;) {
        progress = 0;
        int w = flush(r->net.fd, &r->tx_out);
        if (w < 0) {
            relay_finish(r);
            return;
        }
        progress |= w;
        w = flush(r->loc.fd, &r->rx_out);
        if (w < 0) {   /* the conn is gone: what it did not read is lost with it */
            r->loc_eof = true;
            r->rx_out.pos = r->rx_out.len = 0;
        }
        progress |= w > 0;
        if (r->state == RELAY_HANDSHAKE)
            progress |= relay_handshake(r);
        /* everything the buffers allow, before the next system call */
        while (r->state == RELAY_OPEN && rx_transform(r) > 0)
            progress = 1;
        while (tx_transform(r) > 0)
            progress = 1;
        if (r->state != RELAY_ENDING) {
            progress |= fill(r->net.fd, &r->rx_in, &r->net_eof);
            progress |= fill(r->loc.fd, &r->tx_in, &r->loc_eof);
        }
        if (r->state == RELAY_OPEN && r->loc_eof && !avail(&r->tx_in)) {
            if (r->tx_left) {   /* the conn ended inside a frame: no close frame can follow it */
                relay_finish(r);
                return;
            }
            relay_end(r, 1000, "", r->linger);
        }
    }
    if (r->finished)
        return;
    bool rx_done = r->net_eof && !avail(&r->rx_out);          /* the peer left and we delivered */
    bool tx_done = r->state == RELAY_ENDING && !avail(&r->tx_out) && !r->ctl_len;
    if (rx_done || tx_done || (r->loc_eof && r->state == RELAY_HANDSHAKE))
        relay_finish(r);
    else
        relay_set_events(r);
}

static void relay_on_net(struct io_handle *h, uint32_t events)
{
    (void)events;
    relay_pump((struct ws_relay *)((char *)h - offsetof(struct ws_relay, net)));
}

static void relay_on_loc(struct io_handle *h, uint32_t events)
{
    (void)events;
    relay_pump((struct ws_relay *)((char *)h - offsetof(struct ws_relay, loc)));
}

/* ---- start ---------------------------------------------------------------------------------------------- */

/* The client's request: Host is addr's host:port part, the path its "/..." part (or "/"). */
static int relay_request(struct ws_relay *r, const char *addr)
{
    uint8_t nonce[16];
    if (getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce)
        return -EIO;
    ws_base64(nonce, sizeof nonce, r->key, sizeof r->key);
    const char *slash = strchr(addr, '/');
    const char *semi = strrchr(addr, ';');   /* "src;dst": the host is dst's */
    const char *host = semi ? semi + 1 : addr;
    size_t hl = slash ? (size_t)(slash - host) : strlen(host);
    char hostbuf[RELAY_HOST_MAX], text[WS_HTTP_MAX];
    if (hl >= sizeof hostbuf || (slash && strlen(slash) >= WS_PATH_MAX))
        return -EINVAL;
    memcpy(hostbuf, host, hl);
    hostbuf[hl] = 0;
    int n = ws_http_request(text, sizeof text, hostbuf, slash ? slash : "/", r->key, r->mech);
    return n > 0 && put(&r->tx_out, text, (size_t)n) ? 0 : -EINVAL;
}

static const char *mech_name(int mechanism)
{
    return mechanism == ZMQ_PLAIN ? "PLAIN" : mechanism == ZMQ_CURVE ? "CURVE" : "NULL";
}

static int relay_setup(struct ws_relay *r, bool client, const char *addr, const struct options *o)
{
    r->client = client;
    r->maxmsgsize = o->maxmsgsize;
    r->linger = o->linger;
    r->as_server = o->as_server != 0;
    r->type = o->type;
    r->routing_id_len = o->routing_id_len;
    memcpy(r->routing_id, o->routing_id, o->routing_id_len);
    strcpy(r->mech, mech_name(o->mechanism));
    r->greet_skip = ZMTP_GREETING_SIZE;
    if (getrandom(&r->rng, sizeof r->rng, 0) != (ssize_t)sizeof r->rng || r->rng == 0)
        r->rng = 0x9e3779b9u;
    uint8_t *mem = malloc(4 * RELAY_BUF);
    if (!mem)
        return -ENOMEM;
    r->rx_in.b = mem;
    r->rx_out.b = mem + RELAY_BUF;
    r->tx_in.b = mem + 2 * RELAY_BUF;
    r->tx_out.b = mem + 3 * RELAY_BUF;
    io_timer_init(&r->timer, relay_timer);
    return client ? relay_request(r, addr) : 0;
}

int ws_relay_start(struct reactor *io, int net_fd, bool client, const char *addr, const struct options *o)
{
    struct ws_relay *r = calloc(1, sizeof *r);
    int sv[2] = {-1, -1}, rc = -ENOMEM;
    if (!r)
        goto fail_close;
    r->io = io;
    if ((rc = relay_setup(r, client, addr, o)) < 0)
        goto fail_free;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
        rc = -errno;
        goto fail_free;
    }
    r->net.fd = net_fd;
    r->net.on_event = relay_on_net;
    r->loc.fd = sv[0];
    r->loc.on_event = relay_on_loc;
    if ((rc = io_add(io, &r->net, EPOLLIN)) < 0)
        goto fail_pair;
    if ((rc = io_add(io, &r->loc, EPOLLIN)) < 0) {
        io_remove(io, &r->net);
        goto fail_pair;
    }
    io->live++;
    relay_pump(r);   /* the client's request leaves now */
    return sv[1];

fail_pair:
    close(sv[0]);
    close(sv[1]);
fail_free:
    free(r->rx_in.b);
    free(r);
fail_close:
    close(net_fd);
    return rc;
}
