/* The connection's handshake: the staged greeting, the mechanism's commands, the peer's metadata, and the
 * moment a conn becomes ACTIVE (conn_ready). See conn.c for the state diagram. */
#include "core/conn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zmq.h>

#include "core/mailbox.h"
#include "core/msg.h"
#include "core/pipe.h"
#include "core/reactor.h"
#include "core/util.h"
#include "zmtp/zmtp.h"

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
        if (!conn_out_reserve(c, ZMTP_FRAME_HEADER_MAX + (size_t)n))
            return c->out ? ZMTP_E_TOO_LARGE : ZMTP_E_NOMEM;
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

static size_t meta_count(const uint8_t *pos, size_t len)
{
    const uint8_t *end = pos ? pos + len : NULL;
    struct zmtp_property prop;
    size_t count = 0;
    while (pos && zmtp_metadata_next(&pos, end, &prop) == 1)
        count++;
    return count;
}

/* Adds every property of a validated list. */
static int meta_add_list(struct msg_meta *meta, const uint8_t *pos, size_t len)
{
    const uint8_t *end = pos ? pos + len : NULL;
    struct zmtp_property prop;
    int rc = 0;
    while (rc == 0 && pos && zmtp_metadata_next(&pos, end, &prop) == 1) {
        char name[256];
        memcpy(name, prop.name, prop.name_len);
        name[prop.name_len] = 0;
        rc = meta_add(meta, name, prop.value, prop.value_len);
    }
    return rc;
}

/* Builds the properties received messages carry: Peer-Address, the fd (MSG_PROP_FD, which ZMQ_SRCFD
 * reads, as libzmq), what the peer sent, and what the ZAP handler said (User-Id and its metadata), as
 * zmq_msg_gets shows them. */
int conn_build_meta(struct conn *c, const struct zmtp_peer_info *peer)
{
    const uint8_t *peer_meta = peer ? peer->metadata : NULL;
    size_t peer_len = peer ? peer->metadata_len : 0;
    size_t count = 2 + meta_count(peer_meta, peer_len) + meta_count(c->zap_meta, c->zap_meta_len) +
                   (c->zap_user_id_len ? 1 : 0);
    struct msg_meta *meta = msg_meta_new(count);
    if (!meta)
        return -ENOMEM;
    int rc = meta_add(meta, "Peer-Address", c->peer_address, strlen(c->peer_address));
    char fd[16];
    snprintf(fd, sizeof fd, "%d", c->h.fd);
    if (rc == 0)
        rc = meta_add(meta, MSG_PROP_FD, fd, strlen(fd));
    if (rc == 0 && c->zap_user_id_len)
        rc = meta_add(meta, "User-Id", c->zap_user_id, c->zap_user_id_len);
    if (rc == 0)
        rc = meta_add_list(meta, c->zap_meta, c->zap_meta_len);
    if (rc == 0)
        rc = meta_add_list(meta, peer_meta, peer_len);
    if (rc < 0) {
        msg_meta_unref(meta);
        return rc;
    }
    if (c->meta)
        msg_meta_release(c->meta, &c->meta_credit);
    c->meta = meta;
    return 0;
}

/* STREAM: an empty frame tells the socket the peer connected or went away (raw reads are never empty).
 * Written past the high-water mark like libzmq's, and flushed at once, which is safe as raw messages are
 * always single frames. */
void conn_raw_notify(struct conn *c)
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
void conn_ready(struct conn *c, const uint8_t *peer_id, size_t peer_id_len)
{
    /* Our own connect named its peer (ZMQ_CONNECT_ROUTING_ID): that wins over what the peer announced. */
    if (c->connecter && c->p.opt.connect_routing_id_set) {
        peer_id = c->p.opt.connect_routing_id;
        peer_id_len = c->p.opt.connect_routing_id_len;
    }
    if (c->out_error) {   /* our side of the handshake was not all written (conn_io.c output_lost) */
        errno = c->out_error;
        conn_fail(c, ZMQ_EVENT_DISCONNECTED, strerror(errno));
        return;
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
        pipe_conflate_as(pipe, &c->p.opt);
        struct pipe_end *sock_end = &pipe->end[0];
        c->end = &pipe->end[1];
        c->end->owner = c;
        pipe_end_set_mailbox(c->end, c->p.io->mbox);
        pipe_end_set_mailbox(sock_end, c->p.sock_mbox);
        if (peer_id_len)
            memcpy(sock_end->peer_id, peer_id, peer_id_len);
        sock_end->peer_id_len = (uint8_t)peer_id_len;
        sock_end->zmtp_minor = c->version == 3 ? c->minor : -1;
        /* before the socket can see the end: the uris are never written again */
        pipe_end_set_uris(sock_end, c->local_uri, c->connecter ? c->p.endpoint : c->remote_uri);
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
    conn_notify_ready(c);   /* ROUTER_NOTIFY, HELLO_MSG */
    if (c->raw)
        conn_raw_notify(c);
    else
        conn_event(c, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0);
    if (c->p.opt.heartbeat_ivl > 0 && c->version == 3)
        io_timer_start(c->p.io, &c->heartbeat_timer, (uint64_t)c->p.opt.heartbeat_ivl);
    conn_output(c);
}

static int mech_start(struct conn *c)
{
    c->mech = zmtp_mechanism_find(conn_mech_name(c));
    if (!c->mech)
        return ZMTP_E_MECHANISM;
    c->mech_state = calloc(1, c->mech->state_size);
    if (!c->mech_state)
        return ZMTP_E_NOMEM;
    struct zmtp_mech_config cfg;
    conn_mech_config(c, &cfg);
    int rc = c->mech->init(c->mech_state, &cfg);
    if (rc < 0)
        return rc;
    return conn_mech_advance(c);
}

void conn_mech_finish(struct conn *c)
{
    if (c->mech_state) {
        c->mech->fini(c->mech_state);
        free(c->mech_state);
    }
    c->mech_state = NULL;
    c->mech = NULL;
    c->xform = NULL;
}

/* The mechanism is READY: peer metadata for messages, the transform (CURVE keeps its state for it),
 * then the conn goes ACTIVE. */
static int mech_ready(struct conn *c)
{
    const struct zmtp_peer_info *peer = c->mech->peer(c->mech_state);
    int rc = conn_build_meta(c, peer);
    free(c->zap_meta);
    c->zap_meta = NULL;
    c->zap_meta_len = 0;
    if (rc < 0)
        return ZMTP_E_NOMEM;
    uint8_t id[ZMTP_IDENTITY_MAX];
    size_t id_len = peer->identity_len;
    memcpy(id, peer->identity, id_len);
    if (c->mech->transform)
        c->xform = c->mech->transform;
    else
        conn_mech_finish(c);
    conn_ready(c, id, id_len);
    return 0;
}

/* Sends what the mechanism has to say, starts its ZAP request if it waits for one, and finishes the
 * handshake once it is READY. 0 or a ZMTP_E_ code. */
int conn_mech_advance(struct conn *c)
{
    int rc = mech_send_pending(c);
    if (rc < 0)
        return rc;
    rc = conn_zap_step(c);
    if (rc < 0)
        return rc;
    rc = mech_send_pending(c);   /* what a decision taken at once (no handler) released */
    if (rc < 0)
        return rc;
    if (c->mech->status(c->mech_state) == ZMTP_MECH_READY)
        return mech_ready(c);
    return 0;
}

static void map_code(int code, int *event, uint64_t *value)
{
    *event = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    switch (code) {
    case ZMTP_E_MECHANISM: *value = ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH; break;
    case ZMTP_E_COMMAND: *value = ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND; break;
    case ZMTP_E_MALFORMED: *value = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED; break;
    case ZMTP_E_MALFORMED_HELLO: *value = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO; break;
    case ZMTP_E_MALFORMED_WELCOME: *value = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME; break;
    case ZMTP_E_MALFORMED_INITIATE: *value = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE; break;
    case ZMTP_E_MALFORMED_READY: *value = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY; break;
    case ZMTP_E_MALFORMED_MESSAGE: *value = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE; break;
    case ZMTP_E_MALFORMED_ERROR: *value = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR; break;
    case ZMTP_E_METADATA:
    case ZMTP_E_SOCKET_TYPE: *value = ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA; break;
    case ZMTP_E_CRYPTO: *value = ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC; break;
    case ZMTP_E_SEQUENCE: *value = ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE; break;
    case ZMTP_E_KEY_EXCHANGE: *value = ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE; break;
    case ZMTP_E_NOMEM: *event = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL; *value = ENOMEM; break;
    default: *value = EPROTO; break;
    }
}

void conn_handshake_fail(struct conn *c, int code)
{
    /* What we owe the peer goes out first: the rest of our greeting (so it can see the mismatch too), or
     * the mechanism's ERROR command. The peer may be gone already; that does not change our report. */
    if (c->state == CONN_DEAD || c->h.fd < 0)
        return;
    conn_output_last(c);
    int event;
    uint64_t value;
    map_code(code, &event, &value);
    if (c->hs_event) {
        event = c->hs_event;
        value = c->hs_value;
    } else if (code == ZMTP_E_AUTH) {
        event = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
        value = (uint64_t)c->zap_status;
    } else if (code == ZMTP_E_ERROR_CMD && c->mech_state) {
        /* The peer's ZAP handler refused us: its ERROR carries the status code. libzmq reports that as
         * an authentication failure and stops reconnecting. */
        const struct zmtp_peer_info *peer = c->mech->peer(c->mech_state);
        int status = zmtp_error_status_code(peer->error_reason, peer->error_reason_len);
        if (status) {
            event = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
            value = (uint64_t)status;
            c->no_reconnect = true;
        }
    }
    /* libzmq raises no handshake event for a peer's bad metadata, wrong socket type or ERROR without a ZAP
     * status under NULL: DISCONNECTED alone (tests/api/test_monitor_compat.c checks it against 4.3.4) */
    bool quiet = c->p.opt.mechanism == ZMQ_NULL &&
                 (code == ZMTP_E_METADATA || code == ZMTP_E_SOCKET_TYPE || code == ZMTP_E_MALFORMED_READY ||
                  code == ZMTP_E_ERROR_CMD) && event != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && !c->hs_event;
    if (quiet)
        event = ZMQ_EVENT_DISCONNECTED;
    else if (code == ZMTP_E_SIGNATURE || code == ZMTP_E_VERSION)
        value = ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED;   /* libzmq would try ZMTP 1.0; zinc refuses the peer */
    conn_fail_value(c, event, value, zmtp_strerror(code));
}

/* Consumes greeting bytes from the input buffer, staging our own greeting as libzmq does: signature
 * first, our major version once the peer's signature is in, the rest once its version is known. */
int conn_greeting_input(struct conn *c)
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
                if (!conn_out_append(c, &major, 1))
                    return ZMTP_E_NOMEM;
                c->sent_major = true;
            }
            continue;
        }
        if (c->greet_len == ZMTP_GREETING_MINOR && !c->version) {
            uint8_t major = c->greet[ZMTP_GREETING_MAJOR];
            if (major >= 3) {
                uint8_t tail[ZMTP_GREETING_TAIL_SIZE];
                zmtp_greeting_tail_write(tail, ZMTP_VERSION_MINOR, conn_mech_name(c), false);
                if (!conn_out_append(c, tail, sizeof tail))
                    return ZMTP_E_NOMEM;
                c->version = 3;
            } else if (major == 1 || major == 2) {
                /* ZMTP 2.0 (RFC 15): our socket type, then our identity as a final short frame. */
                uint8_t hello[3 + 255];
                hello[0] = (uint8_t)c->p.opt.type;
                hello[1] = 0;
                hello[2] = c->p.opt.routing_id_len;
                memcpy(hello + 3, c->p.opt.routing_id, c->p.opt.routing_id_len);
                if (!conn_out_append(c, hello, 3 + (size_t)c->p.opt.routing_id_len))
                    return ZMTP_E_NOMEM;
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
            /* ZMTP 2.0 has no security: refused when a mechanism or ZAP is in use (as libzmq does). */
            if (c->p.opt.mechanism != ZMQ_NULL || c->p.opt.zap_domain.len)
                return ZMTP_E_MECHANISM;
            c->state = CONN_IDENTITY;
            return 0;
        }
        if (c->version == 3 && c->greet_len == ZMTP_GREETING_SIZE) {
            struct zmtp_greeting g;
            int rc = zmtp_greeting_parse(c->greet, &g);
            if (rc < 0)
                return rc;
            if (strcmp(g.mechanism, conn_mech_name(c)) != 0)
                return ZMTP_E_MECHANISM;
            c->minor = g.minor;
            c->state = CONN_HANDSHAKE;
            return mech_start(c);
        }
    }
    return 0;
}

/* One complete command frame during the 3.x handshake. */
int conn_handshake_command(struct conn *c, const uint8_t *body, size_t len)
{
    int rc = c->mech->process_command(c->mech_state, body, len);
    if (rc < 0) {
        (void)mech_send_pending(c);   /* an ERROR command, if the mechanism has one */
        return rc;
    }
    return conn_mech_advance(c);
}

