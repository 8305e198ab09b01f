/* The ZMTP connection engine for byte-stream transports: staged greeting, mechanism handshake, then frames
 * between the fd and the socket's pipe, with heartbeats, reconnects and linger. Runs on one I/O thread.
 *
 * States (conn->state) and the functions behind each transition:
 *
 *   WAIT_RECONNECT --reconnect timer--> CONNECTING --connected--> GREETING        (conn_start_connect)
 *   accepted fd ------------------------------------------------> GREETING        (conn_accepted)
 *   GREETING --64-byte 3.x greeting--> HANDSHAKE --mechanism READY--> ACTIVE      (greeting_input, conn_ready)
 *   GREETING --ZMTP 2.0 revision--> IDENTITY --identity frame--> ACTIVE
 *   STREAM sockets skip the ZMTP states: GREETING is never entered (raw bytes).
 *   any state --error, EOF, timeout--> conn_fail --> WAIT_RECONNECT (connecter) or conn_terminate
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
 */
#include "core/conn.h"

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
#include "core/util.h"
#include "transport/transport.h"
#include "zmtp/zmtp.h"

#define CONN_IN_CAP (64 * 1024)
#define CONN_OUT_CAP (64 * 1024)
#define CONN_BIG_FRAME (8 * 1024)          /* frames this big are written from their own memory */
#define CONN_HANDSHAKE_FRAME_MAX (64 * 1024) /* command frames during the handshake */
#define CONN_READS_PER_EVENT 8

enum conn_state {
    CONN_WAIT_RECONNECT,
    CONN_CONNECTING,
    CONN_GREETING,
    CONN_HANDSHAKE,
    CONN_IDENTITY,
    CONN_ACTIVE,
    CONN_DEAD,
};

struct conn {
    struct conn_params p;
    struct io_handle h;
    enum conn_state state;
    bool connecter;
    bool raw;                        /* STREAM socket: no ZMTP, bytes in both directions */
    struct listener *listener;
    struct conn *l_prev, *l_next;    /* the listener's list */
    struct pipe_end *end;            /* our end of the socket's pipe, or NULL */
    bool ever_ready;
    bool closing;                    /* the socket is done with us */
    bool held;                       /* a connecter the socket may still name: freed by conn_close */
    int linger;
    struct io_timer reconnect_timer, handshake_timer, linger_timer, heartbeat_timer, ttl_timer;
    int reconnect_ivl;
    uint64_t last_rx_ms, ping_sent_ms;
    uint64_t peer_ttl_ms;

    /* greeting */
    uint8_t greet[ZMTP_GREETING_SIZE];
    size_t greet_len;
    bool sent_major, sent_tail;
    int version;                     /* 2 or 3 */
    int minor;

    /* mechanism */
    const struct zmtp_mechanism_ops *mech;
    void *mech_state;
    struct msg_meta *meta;
    char peer_address[256];

    /* input */
    uint8_t *in;
    size_t in_pos, in_len;
    struct msg in_frame;             /* a frame being filled straight from the fd, or waiting for room */
    size_t in_frame_have;
    bool in_direct;                  /* reading in_frame's body straight from the fd */
    bool in_pending;                 /* in_frame is complete, waiting for pipe room */
    bool in_paused;                  /* stopped reading: the pipe is at its high-water mark */
    bool in_more;                    /* mid-message on the pipe */

    /* output */
    uint8_t *out;
    size_t out_pos, out_len;
    struct msg out_big;
    size_t out_big_off;
    bool out_has_big;
    bool out_more;                   /* last frame taken from the pipe had MORE */
    bool out_dropping;               /* skipping the rest of a message cut by a reconnect */
    bool want_out;
};

static void conn_output(struct conn *c);
static void conn_fail(struct conn *c, int event, const char *reason);
static void conn_terminate(struct conn *c);
static void conn_start_connect(struct conn *c);
static void conn_start_stream(struct conn *c, int fd);
static void conn_on_event(struct io_handle *h, uint32_t events);

#define CONN_OF(ptr, field) ((struct conn *)((char *)(ptr) - offsetof(struct conn, field)))

static void conn_event(struct conn *c, int event, uint64_t value)
{
    if (c->p.monitor)
        monitor_emit(c->p.monitor, event, value, c->p.endpoint);
}

/* ---- timers ---------------------------------------------------------------------------------------- */
static void on_reconnect_timer(struct io_timer *t)
{
    conn_start_connect(CONN_OF(t, reconnect_timer));
}

static void on_handshake_timer(struct io_timer *t)
{
    struct conn *c = CONN_OF(t, handshake_timer);
    if (c->state >= CONN_GREETING && c->state < CONN_ACTIVE)
        conn_fail(c, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, "handshake timed out");
}

static void on_linger_timer(struct io_timer *t)
{
    conn_terminate(CONN_OF(t, linger_timer));
}

static void send_ping(struct conn *c);

static void on_heartbeat_timer(struct io_timer *t)
{
    struct conn *c = CONN_OF(t, heartbeat_timer);
    if (c->state != CONN_ACTIVE)
        return;
    int timeout = c->p.opt.heartbeat_timeout >= 0 ? c->p.opt.heartbeat_timeout : c->p.opt.heartbeat_ivl;
    if (c->ping_sent_ms && c->last_rx_ms < c->ping_sent_ms && zn_now_ms() - c->ping_sent_ms >= (uint64_t)timeout) {
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "heartbeat timed out");
        return;
    }
    send_ping(c);
    uint64_t next = (uint64_t)c->p.opt.heartbeat_ivl;
    if ((uint64_t)timeout < next)
        next = (uint64_t)timeout;
    io_timer_start(c->p.io, &c->heartbeat_timer, next ? next : 1);
}

static void on_ttl_timer(struct io_timer *t)
{
    struct conn *c = CONN_OF(t, ttl_timer);
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
    c->in = malloc(CONN_IN_CAP);
    c->out = malloc(CONN_OUT_CAP);
    if (!c->in || !c->out) {
        free(c->in);
        free(c->out);
        free(c);
        return NULL;
    }
    c->p = *p;
    c->p.address = c->p.endpoint + (p->address - p->endpoint);
    mailbox_ref(c->p.sock_mbox);
    if (c->p.monitor)
        monitor_ref(c->p.monitor);
    c->h.fd = -1;
    c->h.on_event = conn_on_event;
    c->raw = p->opt.type == ZMQ_STREAM;
    c->linger = p->opt.linger;
    c->reconnect_ivl = p->opt.reconnect_ivl;
    msg_init(&c->in_frame);
    msg_init(&c->out_big);
    io_timer_init(&c->reconnect_timer, on_reconnect_timer);
    io_timer_init(&c->handshake_timer, on_handshake_timer);
    io_timer_init(&c->linger_timer, on_linger_timer);
    io_timer_init(&c->heartbeat_timer, on_heartbeat_timer);
    io_timer_init(&c->ttl_timer, on_ttl_timer);
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
        free(c->in);
        free(c->out);
        mailbox_unref(c->p.sock_mbox);
        if (c->p.monitor)
            monitor_unref(c->p.monitor);
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

void conn_start_accepted(struct conn *c, int fd)
{
    conn_start_stream(c, fd);
}

void conn_forget_listener(struct conn *c)
{
    c->listener = NULL;
}

/* ---- output buffer ----------------------------------------------------------------------------------- */
static bool out_reserve(struct conn *c, size_t n)
{
    if (c->out_pos == c->out_len) {
        c->out_pos = c->out_len = 0;
    } else if (c->out_len + n > CONN_OUT_CAP && c->out_pos > 0) {
        memmove(c->out, c->out + c->out_pos, c->out_len - c->out_pos);
        c->out_len -= c->out_pos;
        c->out_pos = 0;
    }
    return c->out_len + n <= CONN_OUT_CAP;
}

static void out_append(struct conn *c, const void *data, size_t n)
{
    if (!out_reserve(c, n))
        return;   /* only control bytes come here, and never more than a few KiB */
    memcpy(c->out + c->out_len, data, n);
    c->out_len += n;
}

/* Appends a command frame whose body is name + data. */
static void out_command(struct conn *c, const char *name, const void *data, size_t data_len)
{
    size_t name_len = strlen(name);
    size_t body = 1 + name_len + data_len;
    if (!out_reserve(c, ZMTP_FRAME_HEADER_MAX + body))
        return;
    c->out_len += zmtp_frame_header_write(c->out + c->out_len, body, ZMTP_FLAG_COMMAND);
    c->out_len += zmtp_command_name_write(c->out + c->out_len, 1 + name_len, name);
    if (data_len)
        memcpy(c->out + c->out_len, data, data_len);
    c->out_len += data_len;
}

static void send_ping(struct conn *c)
{
    uint8_t ttl[2];
    unsigned tenths = (unsigned)c->p.opt.heartbeat_ttl / 100;
    ttl[0] = (uint8_t)(tenths >> 8);
    ttl[1] = (uint8_t)tenths;
    out_command(c, "PING", ttl, sizeof ttl);
    /* The timeout runs from the oldest PING that no traffic has answered yet. */
    if (!c->ping_sent_ms || c->last_rx_ms >= c->ping_sent_ms)
        c->ping_sent_ms = zn_now_ms();
    conn_output(c);
}

/* ---- handshake ---------------------------------------------------------------------------------------- */
static int mech_send_pending(struct conn *c)
{
    uint8_t body[ZMTP_MECH_COMMAND_MIN * 2];
    for (;;) {
        int n = c->mech->next_command(c->mech_state, body, sizeof body);
        if (n < 0)
            return n;
        if (n == 0)
            return 0;
        if (!out_reserve(c, ZMTP_FRAME_HEADER_MAX + (size_t)n))
            return ZMTP_E_TOO_LARGE;
        c->out_len += zmtp_frame_header_write(c->out + c->out_len, (uint64_t)n, ZMTP_FLAG_COMMAND);
        memcpy(c->out + c->out_len, body, (size_t)n);
        c->out_len += (size_t)n;
    }
}

static int meta_add(struct msg_meta *meta, const char *name, const void *value, size_t len)
{
    char *n = strdup(name);
    char *v = malloc(len + 1);
    if (!n || !v) {
        free(n);
        free(v);
        return -ENOMEM;
    }
    if (len)
        memcpy(v, value, len);
    v[len] = 0;
    meta->props[meta->count].name = n;
    meta->props[meta->count].value = v;
    meta->props[meta->count].value_len = len;
    meta->count++;
    return 0;
}

/* Builds the properties received messages carry: what the peer sent, plus Peer-Address. */
static int build_meta(struct conn *c, const struct zmtp_peer_info *peer)
{
    size_t count = 1;
    const uint8_t *pos = peer ? peer->metadata : NULL;
    struct zmtp_property prop;
    if (pos)
        while (zmtp_metadata_next(&pos, peer->metadata + peer->metadata_len, &prop) == 1)
            count++;
    struct msg_meta *meta = msg_meta_new(count);
    if (!meta)
        return -ENOMEM;
    int rc = meta_add(meta, "Peer-Address", c->peer_address, strlen(c->peer_address));
    pos = peer ? peer->metadata : NULL;
    while (rc == 0 && pos && zmtp_metadata_next(&pos, peer->metadata + peer->metadata_len, &prop) == 1) {
        char name[256];
        memcpy(name, prop.name, prop.name_len);
        name[prop.name_len] = 0;
        rc = meta_add(meta, name, prop.value, prop.value_len);
    }
    if (rc < 0) {
        msg_meta_unref(meta);
        return rc;
    }
    if (c->meta)
        msg_meta_unref(c->meta);
    c->meta = meta;
    return 0;
}

/* STREAM: an empty frame tells the socket the peer connected or went away (raw reads are never empty).
 * Written past the high-water mark like libzmq's, and flushed at once, which is safe as raw messages are
 * always single frames. */
static void raw_notify(struct conn *c)
{
    struct msg m;
    msg_init(&m);
    if (c->meta)
        msg_set_meta(&m, c->meta);
    if (pipe_write(c->end, &m) < 0)
        msg_close(&m);
    pipe_flush(c->end);
}

/* ROUTER, on a pipe made before the handshake: the peer's routing id goes to the socket in band, ahead of
 * the peer's messages (the socket already owns the pipe end, so its peer_id is not ours to write). */
static void push_routing_id(struct conn *c, const uint8_t *id, size_t len)
{
    struct msg m;
    if (msg_init_size(&m, len) < 0)
        return;   /* the socket then generates an id */
    if (len)
        memcpy(msg_data(&m), id, len);
    m.flags = MSGF_ROUTING_ID;
    if (pipe_write(c->end, &m) < 0)
        msg_close(&m);
    pipe_flush(c->end);
}

/* The handshake is complete: make or reuse the pipe and start moving messages. */
static void conn_ready(struct conn *c, const uint8_t *peer_id, size_t peer_id_len)
{
    /* Our own connect named its peer (ZMQ_CONNECT_ROUTING_ID): that wins over what the peer announced. */
    if (c->connecter && c->p.opt.connect_routing_id_set) {
        peer_id = c->p.opt.connect_routing_id;
        peer_id_len = c->p.opt.connect_routing_id_len;
    }
    io_timer_cancel(c->p.io, &c->handshake_timer);
    c->state = CONN_ACTIVE;
    c->reconnect_ivl = c->p.opt.reconnect_ivl;
    c->last_rx_ms = zn_now_ms();
    if (!c->end) {
        struct pipe *pipe = pipe_new((uint64_t)c->p.opt.sndhwm, (uint64_t)c->p.opt.rcvhwm);
        if (!pipe) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
            return;
        }
        struct pipe_end *sock_end = &pipe->end[0];
        c->end = &pipe->end[1];
        c->end->owner = c;
        pipe_end_set_mailbox(c->end, c->p.io->mbox);
        pipe_end_set_mailbox(sock_end, c->p.sock_mbox);
        if (peer_id_len)
            memcpy(sock_end->peer_id, peer_id, peer_id_len);
        sock_end->peer_id_len = (uint8_t)peer_id_len;
        sock_end->zmtp_minor = c->version == 3 ? c->minor : -1;
        struct cmd cmd = {.type = CMD_PIPE_ATTACH, .end = sock_end};
        if (mailbox_post(c->p.sock_mbox, &cmd) < 0) {
            pipe_close(sock_end);
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
            return;
        }
    } else {
        struct pipe_end *sock_end = pipe_peer_end(c->end);
        sock_end->zmtp_minor = c->version == 3 ? c->minor : -1;
        if (c->p.opt.type == ZMQ_ROUTER && !c->raw)
            push_routing_id(c, peer_id, peer_id_len);
        if (c->ever_ready) {
            struct cmd cmd = {.type = CMD_PIPE_HICCUP, .end = sock_end};
            (void)mailbox_post(c->p.sock_mbox, &cmd);
        }
    }
    c->ever_ready = true;
    if (c->raw)
        raw_notify(c);
    else
        conn_event(c, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0);
    if (c->p.opt.heartbeat_ivl > 0 && c->version == 3)
        io_timer_start(c->p.io, &c->heartbeat_timer, (uint64_t)c->p.opt.heartbeat_ivl);
    conn_output(c);
}

static int mech_start(struct conn *c)
{
    c->mech = zmtp_mechanism_find("NULL");
    if (c->p.opt.mechanism != ZMQ_NULL || !c->mech)
        return ZMTP_E_MECHANISM;
    c->mech_state = calloc(1, c->mech->state_size);
    if (!c->mech_state)
        return ZMTP_E_NOMEM;
    struct zmtp_mech_config cfg = {
        .socket_type = c->p.opt.type,
        .identity = c->p.opt.routing_id,
        .identity_len = c->p.opt.routing_id_len,
        .as_server = false,
    };
    int rc = c->mech->init(c->mech_state, &cfg);
    if (rc < 0)
        return rc;
    return mech_send_pending(c);
}

static void mech_finish(struct conn *c)
{
    if (c->mech_state) {
        c->mech->fini(c->mech_state);
        free(c->mech_state);
    }
    c->mech_state = NULL;
    c->mech = NULL;
}

/* Consumes greeting bytes from the input buffer, staging our own greeting as libzmq does: signature
 * first, our major version once the peer's signature is in, the rest once its version is known. */
static int greeting_input(struct conn *c)
{
    while (c->state == CONN_GREETING && c->in_pos < c->in_len) {
        size_t want = c->greet_len < ZMTP_SIGNATURE_SIZE ? ZMTP_SIGNATURE_SIZE
                      : c->greet_len < ZMTP_GREETING_MINOR ? ZMTP_GREETING_MINOR
                      : c->version == 2 ? ZMTP2_GREETING_SIZE
                                        : ZMTP_GREETING_SIZE;
        size_t take = want - c->greet_len;
        if (take > c->in_len - c->in_pos)
            take = c->in_len - c->in_pos;
        memcpy(c->greet + c->greet_len, c->in + c->in_pos, take);
        c->greet_len += take;
        c->in_pos += take;
        if (c->greet_len <= ZMTP_SIGNATURE_SIZE) {
            int rc = zmtp_signature_check(c->greet, c->greet_len);
            if (rc < 0)
                return rc;
            if (rc == 0)
                return 0;
            if (!c->sent_major) {
                uint8_t major = ZMTP_VERSION_MAJOR;
                out_append(c, &major, 1);
                c->sent_major = true;
            }
            continue;
        }
        if (c->greet_len == ZMTP_GREETING_MINOR && !c->version) {
            uint8_t major = c->greet[ZMTP_GREETING_MAJOR];
            if (major >= 3) {
                uint8_t tail[ZMTP_GREETING_TAIL_SIZE];
                zmtp_greeting_tail_write(tail, ZMTP_VERSION_MINOR, "NULL", false);
                out_append(c, tail, sizeof tail);
                c->version = 3;
            } else if (major == 1 || major == 2) {
                /* ZMTP 2.0 (RFC 15): our socket type, then our identity as a final short frame. */
                uint8_t hello[3 + 255];
                hello[0] = (uint8_t)c->p.opt.type;
                hello[1] = 0;
                hello[2] = c->p.opt.routing_id_len;
                memcpy(hello + 3, c->p.opt.routing_id, c->p.opt.routing_id_len);
                out_append(c, hello, 3 + (size_t)c->p.opt.routing_id_len);
                c->version = 2;
            } else {
                return ZMTP_E_VERSION;
            }
            continue;
        }
        if (c->version == 2 && c->greet_len == ZMTP2_GREETING_SIZE) {
            int peer_type = c->greet[ZMTP2_GREETING_SIZE - 1];
            if (!zmtp2_socket_type_valid(peer_type) || !zmtp_socket_types_compatible(c->p.opt.type, peer_type))
                return ZMTP_E_SOCKET_TYPE;
            if (c->p.opt.mechanism != ZMQ_NULL)
                return ZMTP_E_MECHANISM;
            c->state = CONN_IDENTITY;
            return 0;
        }
        if (c->version == 3 && c->greet_len == ZMTP_GREETING_SIZE) {
            struct zmtp_greeting g;
            int rc = zmtp_greeting_parse(c->greet, &g);
            if (rc < 0)
                return rc;
            if (strcmp(g.mechanism, "NULL") != 0)
                return ZMTP_E_MECHANISM;
            c->minor = g.minor;
            c->state = CONN_HANDSHAKE;
            return mech_start(c);
        }
    }
    return 0;
}

/* One complete command frame during the 3.x handshake. */
static int handshake_command(struct conn *c, const uint8_t *body, size_t len)
{
    int rc = c->mech->process_command(c->mech_state, body, len);
    if (rc < 0) {
        (void)mech_send_pending(c);   /* an ERROR command, if the mechanism has one */
        return rc;
    }
    rc = mech_send_pending(c);
    if (rc < 0)
        return rc;
    if (c->mech->status(c->mech_state) == ZMTP_MECH_READY) {
        const struct zmtp_peer_info *peer = c->mech->peer(c->mech_state);
        if (build_meta(c, peer) < 0)
            return ZMTP_E_NOMEM;
        uint8_t id[ZMTP_IDENTITY_MAX];
        size_t id_len = peer->identity_len;
        memcpy(id, peer->identity, id_len);
        mech_finish(c);
        conn_ready(c, id, id_len);
    }
    return 0;
}

/* ---- inbound traffic ---------------------------------------------------------------------------------- */
static void pause_input(struct conn *c)
{
    c->in_paused = true;
    io_set_events(c->p.io, &c->h, c->want_out ? EPOLLOUT : 0);
}

/* Hands one frame to the pipe. false: no room (the frame waits in in_frame and input pauses). */
static bool deliver(struct conn *c, struct msg *m, bool more)
{
    if (!c->in_more && !pipe_check_write(c->end)) {
        if (m != &c->in_frame)
            msg_move(&c->in_frame, m);
        c->in_frame.flags = more ? MSGF_MORE : 0;
        c->in_pending = true;
        pause_input(c);
        return false;
    }
    m->flags = more ? MSGF_MORE : 0;
    if (c->meta)
        msg_set_meta(m, c->meta);
    if (pipe_write(c->end, m) < 0) {
        msg_close(m);
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
        return false;
    }
    c->in_more = more;
    return true;
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
        out_command(c, "PONG", ctx, ctx_len);
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
        if (build_meta(c, NULL) < 0) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory");
            return false;
        }
        conn_ready(c, id, len);
        return c->state == CONN_ACTIVE;
    }
    if (c->state == CONN_HANDSHAKE) {
        int rc = flags & ZMTP_FLAG_COMMAND ? handshake_command(c, body, len) : ZMTP_E_COMMAND;
        if (rc < 0) {
            conn_fail(c, rc == ZMTP_E_AUTH ? ZMQ_EVENT_HANDSHAKE_FAILED_AUTH : ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                      zmtp_strerror(rc));
            return false;
        }
        return c->state != CONN_DEAD && c->h.fd >= 0;
    }
    if (flags & ZMTP_FLAG_COMMAND)
        return active_command(c, body, len);
    struct msg local;
    if (!m) {
        if (msg_init_size(&local, len) < 0) {
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
        if (c->state == CONN_GREETING) {
            int rc = greeting_input(c);
            if (rc < 0) {
                conn_fail(c, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp_strerror(rc));
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
        struct zmtp_frame_header hdr;
        int hlen = zmtp_frame_header_parse(p, avail, c->version, max, &hdr);
        if (hlen == 0)
            return true;
        if (hlen < 0) {
            conn_fail(c, c->state == CONN_ACTIVE ? ZMQ_EVENT_DISCONNECTED : ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                      zmtp_strerror(hlen));
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
            conn_fail(c, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, "oversized command");
            return false;
        }
        /* Large frame: size its message once (the codec checked hdr.size against ZMQ_MAXMSGSIZE) and read the
         * rest of the body straight into it. */
        if (msg_init_size(&c->in_frame, hdr.size) < 0) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "out of memory for a large frame");
            return false;
        }
        memcpy(msg_data(&c->in_frame), p + hlen, body_avail);
        c->in_frame.flags = hdr.flags & ZMTP_FLAG_MORE ? MSGF_MORE : 0;
        c->in_frame_have = body_avail;
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

static void input_done(struct conn *c)
{
    if (c->end && c->h.fd >= 0)
        pipe_flush(c->end);
}

static bool read_direct(struct conn *c)
{
    size_t size = msg_size(&c->in_frame);
    ssize_t n = read(c->h.fd, (uint8_t *)msg_data(&c->in_frame) + c->in_frame_have, size - c->in_frame_have);
    if (n == 0) {
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "connection closed by peer");
        return false;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, strerror(errno));
        return false;
    }
    c->last_rx_ms = zn_now_ms();
    c->in_frame_have += (size_t)n;
    if (c->in_frame_have < size)
        return false;
    c->in_direct = false;
    return deliver(c, &c->in_frame, c->in_frame.flags & MSGF_MORE);
}

static void conn_input(struct conn *c)
{
    for (int i = 0; i < CONN_READS_PER_EVENT && !c->in_paused && c->h.fd >= 0; i++) {
        if (c->in_direct) {
            if (!read_direct(c))
                break;
            continue;
        }
        if (c->in_pos > 0) {
            memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
            c->in_len -= c->in_pos;
            c->in_pos = 0;
        }
        size_t room = CONN_IN_CAP - c->in_len;
        ssize_t n = read(c->h.fd, c->in + c->in_len, room);
        if (n == 0) {
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, "connection closed by peer");
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                conn_fail(c, ZMQ_EVENT_DISCONNECTED, strerror(errno));
            break;
        }
        c->in_len += (size_t)n;
        c->last_rx_ms = zn_now_ms();
        bool go_on = c->raw ? raw_input(c) : decode_frames(c);
        if (c->h.fd < 0)
            return;
        if (!go_on && !c->in_direct)
            break;
        if ((size_t)n < room)
            break;   /* the socket is drained: skip the read that would say EAGAIN */
    }
    input_done(c);
    if (c->want_out)
        conn_output(c);
}

/* Resumes input after the socket made room in the pipe. */
static void conn_resume_input(struct conn *c)
{
    if (c->in_pending) {
        if (!deliver(c, &c->in_frame, c->in_frame.flags & MSGF_MORE))
            return;
        c->in_pending = false;
    }
    c->in_paused = false;
    io_set_events(c->p.io, &c->h, EPOLLIN | (c->want_out ? EPOLLOUT : 0));
    if (!c->raw && c->in_pos < c->in_len && !decode_frames(c)) {
        input_done(c);
        return;
    }
    input_done(c);
}

/* ---- outbound traffic ---------------------------------------------------------------------------------- */
/* Converts a subscription message to a 3.1 command if this peer wants those. */
static bool encode_subscription(struct conn *c, struct msg *m)
{
    if ((c->p.opt.type != ZMQ_SUB && c->p.opt.type != ZMQ_XSUB) || c->version != 3 || c->minor < 1 ||
        c->out_more || (m->flags & MSGF_MORE))
        return false;
    size_t size = msg_size(m);
    const uint8_t *d = msg_data(m);
    if (size < 1 || d[0] > 1 || size > CONN_BIG_FRAME)
        return false;
    out_command(c, d[0] ? "SUBSCRIBE" : "CANCEL", d + 1, size - 1);
    return true;
}

/* Moves frames from the pipe into the output buffer until it is full or a big frame is next. */
static void conn_encode(struct conn *c)
{
    struct msg m;
    while (!c->out_has_big && out_reserve(c, ZMTP_FRAME_HEADER_MAX + 64)) {
        if (!pipe_read(c->end, &m))
            return;
        bool more = m.flags & MSGF_MORE;
        if (c->out_dropping) {
            c->out_dropping = more;
            msg_close(&m);
            continue;
        }
        if (!c->raw && encode_subscription(c, &m)) {
            msg_close(&m);
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
        msg_close(&m);
    }
}

static void set_want_out(struct conn *c, bool want)
{
    c->want_out = want;
    if (c->h.fd >= 0 && c->state != CONN_CONNECTING)
        io_set_events(c->p.io, &c->h, (c->in_paused ? 0 : EPOLLIN) | (want ? EPOLLOUT : 0));
}

static bool conn_drained(struct conn *c)
{
    return c->out_pos == c->out_len && !c->out_has_big && (!c->end || !pipe_check_read(c->end));
}

static void maybe_finish(struct conn *c)
{
    if (!c->closing || c->state == CONN_DEAD)
        return;
    if (c->linger == 0 || conn_drained(c))
        conn_terminate(c);
}

static void conn_output(struct conn *c)
{
    if (c->h.fd < 0 || c->state == CONN_CONNECTING || c->state == CONN_DEAD)
        return;
    for (;;) {
        if (c->state == CONN_ACTIVE && c->end)
            conn_encode(c);
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
        ssize_t n = writev(c->h.fd, iov, iovcnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                set_want_out(c, true);
                return;
            }
            conn_fail(c, ZMQ_EVENT_DISCONNECTED, strerror(errno));
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
    if (c->want_out)
        set_want_out(c, false);
    maybe_finish(c);
}

/* ---- connection lifecycle ----------------------------------------------------------------------------- */
static void conn_reset_stream(struct conn *c)
{
    if (c->h.fd >= 0) {
        io_remove(c->p.io, &c->h);
    }
    mech_finish(c);
    c->state = CONN_WAIT_RECONNECT;
    c->greet_len = 0;
    c->sent_major = c->sent_tail = false;
    c->version = c->minor = 0;
    c->in_pos = c->in_len = 0;
    c->out_pos = c->out_len = 0;
    c->in_direct = c->in_pending = c->in_paused = false;
    c->want_out = false;
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
    if (c->end) {
        pipe_flush(c->end);      /* whole messages already read still reach the socket */
        pipe_rollback(c->end);   /* the one cut short does not */
        c->in_more = false;
    }
    io_timer_cancel(c->p.io, &c->handshake_timer);
    io_timer_cancel(c->p.io, &c->heartbeat_timer);
    io_timer_cancel(c->p.io, &c->ttl_timer);
    c->ping_sent_ms = 0;
    c->peer_ttl_ms = 0;
}

static void conn_close_fd(struct conn *c)
{
    int fd = c->h.fd;
    conn_reset_stream(c);
    if (fd >= 0)
        close(fd);
}

static void conn_schedule_reconnect(struct conn *c)
{
    c->state = CONN_WAIT_RECONNECT;
    int ivl = c->reconnect_ivl;
    io_timer_start(c->p.io, &c->reconnect_timer, (uint64_t)ivl);
    conn_event(c, ZMQ_EVENT_CONNECT_RETRIED, (uint64_t)ivl);
    /* Exponential backoff up to ZMQ_RECONNECT_IVL_MAX when it is larger than the base interval. */
    if (c->p.opt.reconnect_ivl_max > c->p.opt.reconnect_ivl) {
        int next = c->reconnect_ivl * 2;
        c->reconnect_ivl = next > c->p.opt.reconnect_ivl_max ? c->p.opt.reconnect_ivl_max : next;
    }
}

static void conn_fail(struct conn *c, int event, const char *reason)
{
    ZN_UNUSED(reason);
    if (c->state == CONN_DEAD)
        return;
    int fd = c->h.fd;
    bool was_open = fd >= 0;
    if (c->raw && c->state == CONN_ACTIVE && c->end)
        raw_notify(c);   /* after the data already read: it flushes those too */
    conn_close_fd(c);
    if (was_open) {
        /* libzmq's values: the fd for DISCONNECTED, an error code for the handshake failures */
        conn_event(c, event, event == ZMQ_EVENT_DISCONNECTED ? (uint64_t)fd : (uint64_t)EPROTO);
        if (event != ZMQ_EVENT_DISCONNECTED)
            conn_event(c, ZMQ_EVENT_DISCONNECTED, (uint64_t)fd);
    }
    /* A connecter retries, even after the socket closed, while it still has messages to deliver within
     * ZMQ_LINGER (the linger timer ends that). */
    if (c->connecter && c->p.opt.reconnect_ivl >= 0 && !(c->closing && (c->linger == 0 || conn_drained(c)))) {
        conn_schedule_reconnect(c);
        return;
    }
    conn_terminate(c);
}

static void conn_free(void *arg)
{
    struct conn *c = arg;
    free(c->in);
    free(c->out);
    free(c);
}

static void conn_terminate(struct conn *c)
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
        msg_meta_unref(c->meta);
    c->meta = NULL;
    if (c->listener)
        listener_conn_gone(c->listener, c);
    mailbox_unref(c->p.sock_mbox);
    if (c->p.monitor)
        monitor_unref(c->p.monitor);
    c->p.io->live--;
    if (!c->held)
        io_defer_free(c->p.io, conn_free, c);
}

/* A fresh fd (connected or accepted): start the greeting, or go straight to ACTIVE for STREAM. */
static void conn_start_stream(struct conn *c, int fd)
{
    c->h.fd = fd;
    c->p.stream->tune(fd, &c->p.opt);
    c->p.stream->peer_address(fd, c->peer_address, sizeof c->peer_address);
    if (io_add(c->p.io, &c->h, EPOLLIN) < 0) {
        c->h.fd = -1;
        close(fd);
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, "epoll_ctl failed");
        return;
    }
    c->in_paused = false;
    if (c->raw) {
        if (build_meta(c, NULL) < 0) {
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
    out_append(c, sig, sizeof sig);
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
        conn_event(c, ZMQ_EVENT_CONNECTED, (uint64_t)fd);
        conn_start_stream(c, fd);
        return;
    }
    if (rc == -EINPROGRESS) {
        c->h.fd = fd;
        c->state = CONN_CONNECTING;
        if (io_add(c->p.io, &c->h, EPOLLOUT) < 0) {
            c->h.fd = -1;
            close(fd);
            conn_schedule_reconnect(c);
            return;
        }
        conn_event(c, ZMQ_EVENT_CONNECT_DELAYED, 0);
        if (c->p.opt.connect_timeout > 0)
            io_timer_start(c->p.io, &c->handshake_timer, (uint64_t)c->p.opt.connect_timeout);
        return;
    }
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
        c->state = CONN_WAIT_RECONNECT;
        if (c->p.opt.reconnect_ivl < 0) {
            conn_terminate(c);
            return;
        }
        conn_schedule_reconnect(c);
        return;
    }
    conn_event(c, ZMQ_EVENT_CONNECTED, (uint64_t)fd);
    conn_start_stream(c, fd);
}

static void conn_on_event(struct io_handle *h, uint32_t events)
{
    struct conn *c = CONN_OF(h, h);
    if (c->state == CONN_CONNECTING) {
        conn_connected(c);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (!c->in_paused) {
            conn_input(c);
        } else if (events & (EPOLLERR | EPOLLHUP)) {
            /* The peer hung up while we wait for pipe room: what it sent is still in the kernel. Leave
             * epoll until the socket makes room; reading then finds the data, and the end of file. */
            io_set_events(c->p.io, &c->h, 0);
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
    if (c->state == CONN_DEAD)
        return;
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
        maybe_finish(c);
}

void conn_close(struct conn *c, int linger)
{
    if (c->held) {
        c->held = false;
        if (c->state == CONN_DEAD) {
            io_defer_free(c->p.io, conn_free, c);
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
    maybe_finish(c);
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
