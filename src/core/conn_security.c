/* The connection's security: which mechanism our options select and its config, the ZAP exchange around
 * the handshake (never blocking the I/O thread: the reply wakes us through a pipe, see core/zap.h), and the
 * per-frame transform a mechanism keeps after READY (CURVE MESSAGE boxes).
 *
 * ZAP, as libzmq 4.3 does it (checked against it by tests/api/test_security_*.c):
 *   - NULL consults the handler only when ZMQ_ZAP_DOMAIN is set; PLAIN and CURVE servers always do.
 *   - No handler bound: a PLAIN server fails the handshake (HANDSHAKE_FAILED_NO_DETAIL, EFAULT); NULL and
 *     CURVE go on without one, unless ZMQ_ZAP_ENFORCE_DOMAIN is set (then they fail the same way).
 *   - 200 goes on; 300 closes quietly; 400 and 500 send ERROR with the code, then close. Each refusal is
 *     HANDSHAKE_FAILED_AUTH with the code on our monitor.
 *   - A malformed reply is HANDSHAKE_FAILED_PROTOCOL with a ZMQ_PROTOCOL_ERROR_ZAP_* value.
 */
#include "core/conn_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93   /* a draft option in zmq.h; Debian's libzmq 4.3.4 takes it */
#endif

#include "core/ctx.h"
#include "core/mailbox.h"
#include "core/msg.h"
#include "core/zap.h"
#include "zmtp/zmtp.h"

const char *conn_mech_name(const struct conn *c)
{
    switch (c->p.opt.mechanism) {
    case ZMQ_PLAIN: return "PLAIN";
    case ZMQ_CURVE: return "CURVE";
    default: return "NULL";
    }
}

void conn_mech_config(const struct conn *c, struct zmtp_mech_config *cfg)
{
    const struct options *o = &c->p.opt;
    memset(cfg, 0, sizeof *cfg);
    cfg->socket_type = o->type;
    cfg->identity = o->routing_id;
    cfg->identity_len = o->routing_id_len;
    switch (o->mechanism) {
    case ZMQ_PLAIN:
        cfg->as_server = o->as_server;
        cfg->username = o->plain_username.text;
        cfg->password = o->plain_password.text;
        break;
    case ZMQ_CURVE:
        cfg->as_server = o->as_server;
        cfg->public_key = o->curve_public_set ? o->curve_public : NULL;
        cfg->secret_key = o->curve_secret_set ? o->curve_secret : NULL;
        cfg->server_key = o->curve_server_key_set ? o->curve_server_key : NULL;
        break;
    default:
        cfg->zap = o->zap_domain.len != 0;
        return;
    }
    cfg->zap = cfg->as_server;
}

static int zap_fail(struct conn *c, int event, uint64_t value)
{
    c->hs_event = event;
    c->hs_value = value;
    return ZMTP_E_AUTH;
}

int conn_zap_step(struct conn *c)
{
    if (c->zap_asked || c->mech->status(c->mech_state) != ZMTP_MECH_ZAP_PENDING)
        return 0;
    c->zap_asked = true;
    struct zmtp_zap_request req;
    if (c->mech->zap_request(c->mech_state, &req) < 0)
        return ZMTP_E_COMMAND;
    struct zap_fields f = {
        .domain = c->p.opt.zap_domain.text,
        .address = c->peer_address,
        .identity = c->p.opt.routing_id,   /* libzmq sends the server socket's own routing id */
        .identity_len = c->p.opt.routing_id_len,
    };
    int rc = zap_client_start(&c->zap, c->p.ctx, c->p.io->mbox, c, &f, &req);
    if (rc == 0)
        return 0;   /* conn_zap_wake resumes */
    if (rc != -ENOENT)
        return zap_fail(c, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, ENOMEM);
    if (c->p.opt.mechanism == ZMQ_PLAIN || c->p.opt.zap_enforce_domain)
        return zap_fail(c, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EFAULT);
    c->mech->zap_result(c->mech_state, 200);   /* no handler: NULL and CURVE admit the peer */
    return 0;
}

/* The handler answered: keep what a 200 says for the messages' metadata, refuse on anything else. */
static int zap_apply(struct conn *c, struct zap_reply *r)
{
    if (r->status_code != 200) {
        free(r->metadata);
        c->zap_status = r->status_code;
        c->mech->zap_result(c->mech_state, r->status_code);
        (void)conn_mech_advance(c);   /* the ERROR command (400, 500) */
        conn_output(c);
        return ZMTP_E_AUTH;
    }
    memcpy(c->zap_user_id, r->user_id, r->user_id_len);
    c->zap_user_id_len = r->user_id_len;
    free(c->zap_meta);
    c->zap_meta = r->metadata;
    c->zap_meta_len = r->metadata_len;
    c->mech->zap_result(c->mech_state, 200);
    return conn_mech_advance(c);
}

void conn_zap_wake(struct conn *c)
{
    if (c->state != CONN_HANDSHAKE || !c->mech_state)
        return;
    struct zap_reply reply;
    int64_t rc = zap_client_poll(&c->zap, &reply);
    if (rc == 0)
        return;
    int code;
    if (rc == -EPIPE) {
        code = zap_fail(c, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EPIPE);
    } else if (rc < 0) {
        code = zap_fail(c, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, (uint64_t)-rc);
    } else {
        code = zap_apply(c, &reply);
    }
    if (code < 0) {
        conn_handshake_fail(c, code);
        return;
    }
    conn_output(c);
}

void conn_zap_reset(struct conn *c)
{
    zap_client_close(&c->zap);
    free(c->zap_meta);
    c->zap_meta = NULL;
    c->zap_meta_len = 0;
    c->zap_user_id_len = 0;
    c->zap_asked = false;
    c->zap_status = 0;
    c->hs_event = 0;
    c->hs_value = 0;
}

/* ---- the message transform ------------------------------------------------------------------------------ */
bool conn_xform_out(struct conn *c, uint8_t flags, const uint8_t *data, size_t len)
{
    size_t body = c->xform->wrap_size(len);
    if (!conn_out_reserve(c, ZMTP_FRAME_HEADER_MAX + body))
        return false;
    uint8_t *hdr = c->out + c->out_len;
    size_t hlen = zmtp_frame_header_write(hdr, body, 0);
    int n = c->xform->wrap(c->mech_state, flags, data, len, hdr + hlen);
    if (n < 0)
        return false;
    c->out_len += hlen + (size_t)n;
    return true;
}
