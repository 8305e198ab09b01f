/* REP (RFC 28): fair-queues requests, strips and keeps each request's envelope (every frame up to and
 * including the empty delimiter), and sends it back in front of the reply on the pipe the request came
 * from. Requests without a delimiter are dropped whole.
 *
 * States (sending_reply, request_begins) and the functions behind each transition:
 *
 *   WAIT_REQUEST --rep_recv: envelope saved, first body frame--> IN_REQUEST --rep_recv: last frame-->
 *   SEND_REPLY --rep_send: envelope + frames ... last frame--> WAIT_REQUEST
 *   rep_send outside SEND_REPLY and rep_recv in SEND_REPLY: EFSM, no state change.
 *
 * Invariants:
 *  1. env holds the saved envelope from the request's first frame until the reply's first frame.
 *  2. A reply whose pipe has gone or is at its high-water mark is dropped whole, as libzmq drops it.
 */
#include <errno.h>
#include <stdlib.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/options.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "proto/route/route.h"

struct rep {
    struct socket *s;
    struct fq fq;
    struct msg *env;                 /* the saved envelope frames (all with MORE) */
    size_t nenv, env_cap;
    struct pipe_end *reply_pipe;     /* where the current request came from; NULL once gone */
    struct pipe_end *out;            /* the reply in progress goes here; NULL: dropping it */
    bool sending_reply;
    bool request_begins;             /* rep_recv is at a request's first frame */
    bool reply_begins;               /* rep_send is at the reply's first frame */
    /* ROUTER options libzmq also takes on REP (its REP is a ROUTER underneath) */
    bool probe_router;
    bool mandatory;
    bool handover;
};

static void rep_env_clear(struct rep *r)
{
    for (size_t i = 0; i < r->nenv; i++)
        msg_close(&r->env[i]);
    r->nenv = 0;
}

static int rep_env_push(struct rep *r, struct msg *m)
{
    if (r->nenv == r->env_cap) {
        size_t cap = r->env_cap ? r->env_cap * 2 : 4;
        struct msg *grown = realloc(r->env, cap * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        r->env = grown;
        r->env_cap = cap;
    }
    r->env[r->nenv++] = *m;   /* a move: the slot is uninitialised, so not msg_move */
    msg_init(m);
    return 0;
}

static int rep_init(void *self, struct socket *s)
{
    struct rep *r = self;
    r->s = s;
    fq_init(&r->fq);
    r->request_begins = true;
    r->reply_begins = true;
    return 0;
}

static void rep_fini(void *self)
{
    struct rep *r = self;
    rep_env_clear(r);
    free(r->env);
    route_set_fini(&r->fq.set);
}

static int rep_attach(void *self, struct pipe_end *e)
{
    struct rep *r = self;
    if (r->probe_router) {
        struct msg probe;
        msg_init(&probe);
        if (pipe_write(e, &probe) == 0)
            pipe_flush(e);
    }
    return fq_attach(&r->fq, e);
}

static void rep_detach(void *self, struct pipe_end *e)
{
    struct rep *r = self;
    if (r->reply_pipe == e)
        r->reply_pipe = NULL;
    if (r->out == e) {
        pipe_rollback(e);   /* never publish half a reply */
        r->out = NULL;
    }
    fq_detach(&r->fq, e);
}

static void rep_read_activated(void *self, struct pipe_end *e) { fq_activated(&((struct rep *)self)->fq, e); }
static void rep_write_activated(void *self, struct pipe_end *e) { (void)self; (void)e; }

static int rep_recv(void *self, struct msg *m)
{
    struct rep *r = self;
    if (r->sending_reply)
        return -EFSM;
    while (r->request_begins) {
        struct pipe_end *from = NULL;
        int rc = fq_recv(&r->fq, r->s, m, &from);
        if (rc < 0)
            return rc;
        if (!msg_more(m)) {
            /* The message ended before a delimiter: not a request. */
            msg_close(m);
            rep_env_clear(r);
            continue;
        }
        bool bottom = msg_size(m) == 0;
        if (rep_env_push(r, m) < 0) {
            /* Out of memory: drop this request whole. */
            msg_close(m);
            rep_env_clear(r);
            while (fq_recv(&r->fq, r->s, m, NULL) == 0) {
                bool more = msg_more(m);
                msg_close(m);
                if (!more)
                    break;
            }
            continue;
        }
        if (bottom) {
            r->reply_pipe = from;
            r->request_begins = false;
        }
    }
    int rc = fq_recv(&r->fq, r->s, m, NULL);
    if (rc < 0)
        return rc;
    if (!msg_more(m)) {
        r->sending_reply = true;
        r->request_begins = true;
    }
    return 0;
}

static int rep_send(void *self, struct msg *m)
{
    struct rep *r = self;
    if (!r->sending_reply)
        return -EFSM;
    if (r->reply_begins) {
        struct pipe_end *e = r->reply_pipe;
        r->out = NULL;
        if (e && !pipe_peer_closed(e) && pipe_check_write(e)) {
            r->out = e;
            for (size_t i = 0; i < r->nenv; i++)
                if (pipe_write(e, &r->env[i]) < 0)
                    msg_close(&r->env[i]);
            r->nenv = 0;
        }
        rep_env_clear(r);
        r->reply_begins = false;
    }
    bool more = msg_more(m);
    if (r->out) {
        if (pipe_write(r->out, m) < 0) {
            msg_close(m);
            msg_init(m);
        }
        if (!more)
            pipe_flush(r->out);
    } else {
        msg_close(m);
        msg_init(m);
    }
    if (!more) {
        r->out = NULL;
        r->reply_pipe = NULL;
        r->sending_reply = false;
        r->reply_begins = true;
    }
    return 0;
}

static bool rep_has_in(void *self)
{
    struct rep *r = self;
    return !r->sending_reply && fq_has_in(&r->fq, r->s);
}

static bool rep_has_out(void *self)
{
    return ((struct rep *)self)->sending_reply;
}

static bool *rep_flag(struct rep *r, int option)
{
    switch (option) {
    case ZMQ_PROBE_ROUTER: return &r->probe_router;
    case ZMQ_ROUTER_MANDATORY: return &r->mandatory;
    case ZMQ_ROUTER_HANDOVER: return &r->handover;
    default: return NULL;
    }
}

static int rep_setopt(void *self, int option, const void *value, size_t len)
{
    if (option == ZMQ_ROUTER_RAW) {
        /* libzmq's REP inherits ROUTER's options and takes this one; a raw REP means nothing: ignored. */
        bool ignored;
        return opt_get_flag(value, len, &ignored);
    }
    bool *field = rep_flag(self, option);
    if (!field)
        return -ENOENT;
    return opt_get_flag(value, len, field);
}

const struct proto_ops proto_rep = {
    .type = ZMQ_REP,
    .name = "REP",
    .size = sizeof(struct rep),
    .init = rep_init,
    .fini = rep_fini,
    .attach = rep_attach,
    .detach = rep_detach,
    .read_activated = rep_read_activated,
    .write_activated = rep_write_activated,
    .send = rep_send,
    .recv = rep_recv,
    .has_in = rep_has_in,
    .has_out = rep_has_out,
    .setopt = rep_setopt,
};
