/* REQ (RFC 28): a DEALER that alternates strictly between sending one request and receiving one reply.
 * Requests go round-robin behind an empty delimiter frame (and, with ZMQ_REQ_CORRELATE, a 4-byte request
 * id before it); a reply is accepted only from the pipe the request went to and only with the right
 * envelope, everything else is dropped.
 *
 * States (receiving_reply, at_start) and the functions behind each transition:
 *
 *   SEND_START --req_send: envelope + first frame--> SENDING --req_send: last frame--> RECV_START
 *   RECV_START --req_recv: envelope matched, first body frame--> RECEIVING --req_recv: last frame--> SEND_START
 *   RECV_START/RECEIVING --req_send with ZMQ_REQ_RELAXED--> SEND_START (the pending reply will be dropped)
 *   req_recv in SEND_START/SENDING, req_send in RECV_START/RECEIVING (strict): EFSM, no state change.
 *
 * Invariants:
 *  1. reply_pipe is the pipe of the last request (NULL once it is gone: then any pipe may answer, as in
 *     libzmq).
 *  2. A failed send (EAGAIN: no peer with room) leaves the state machine where it was.
 *  3. Envelopes are checked a whole message at a time: a rejected reply is drained to its last frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/options.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "proto/route/route.h"

struct req {
    struct socket *s;
    struct lb lb;
    struct fq fq;
    struct pipe_end *reply_pipe;     /* where the last request went */
    bool receiving_reply;            /* a request is out: recv is next */
    bool at_start;                   /* at the first frame of a request (send) or reply (recv) */
    bool strict;                     /* !ZMQ_REQ_RELAXED */
    bool correlate;                  /* ZMQ_REQ_CORRELATE */
    bool probe_router;               /* ZMQ_PROBE_ROUTER */
    uint32_t request_id;
};

static int req_init(void *self, struct socket *s)
{
    struct req *r = self;
    r->s = s;
    lb_init(&r->lb);
    fq_init(&r->fq);
    r->at_start = true;
    r->strict = true;
    r->request_id = (uint32_t)rand();
    return 0;
}

static void req_fini(void *self)
{
    struct req *r = self;
    route_set_fini(&r->lb.set);
    route_set_fini(&r->fq.set);
}

static int req_attach(void *self, struct pipe_end *e)
{
    struct req *r = self;
    if (r->probe_router) {
        struct msg probe;
        msg_init(&probe);
        if (pipe_write(e, &probe) == 0)
            pipe_flush(e);
    }
    if (lb_attach(&r->lb, e) < 0 || fq_attach(&r->fq, e) < 0) {
        lb_detach(&r->lb, e);
        return -ENOMEM;
    }
    return 0;
}

static void req_detach(void *self, struct pipe_end *e)
{
    struct req *r = self;
    if (r->reply_pipe == e)
        r->reply_pipe = NULL;
    lb_detach(&r->lb, e);
    fq_detach(&r->fq, e);
}

static void req_read_activated(void *self, struct pipe_end *e) { fq_activated(&((struct req *)self)->fq, e); }
static void req_write_activated(void *self, struct pipe_end *e) { lb_activated(&((struct req *)self)->lb, e); }

/* Sends one envelope frame (empty, or the request id) with MORE set. */
static int req_send_envelope_frame(struct req *r, const void *data, size_t len)
{
    struct msg m;
    int rc = msg_init_size(&m, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(msg_data(&m), data, len);
    m.flags = MSGF_MORE;
    rc = lb_send(&r->lb, r->s, &m, &r->reply_pipe);
    if (rc < 0)
        msg_close(&m);
    return rc;
}

static int req_send(void *self, struct msg *m)
{
    struct req *r = self;
    if (r->receiving_reply) {
        if (r->strict)
            return -EFSM;
        /* ZMQ_REQ_RELAXED: give up on the pending reply. */
        r->receiving_reply = false;
        r->at_start = true;
    }
    if (r->at_start) {
        /* Pick the pipe before touching any state, so EAGAIN changes nothing. */
        if (!lb_has_out(&r->lb, r->s))
            return -EAGAIN;
        r->reply_pipe = NULL;
        int rc;
        if (r->correlate) {
            r->request_id++;
            rc = req_send_envelope_frame(r, &r->request_id, sizeof r->request_id);
            if (rc < 0)
                return rc;
        }
        rc = req_send_envelope_frame(r, NULL, 0);
        if (rc < 0)
            return rc;
        r->at_start = false;
        /* Drop whatever arrived before this request (stale replies of earlier ones), so an old answer is
         * never taken for the new one. */
        struct msg drop;
        while (fq_recv(&r->fq, r->s, &drop, NULL) == 0)
            msg_close(&drop);
    }
    bool more = msg_more(m);
    int rc = lb_send(&r->lb, r->s, m, NULL);
    if (rc < 0)
        return rc;
    if (!more) {
        r->receiving_reply = true;
        r->at_start = true;
    }
    return 0;
}

/* Receives the next frame from the reply pipe, dropping frames from any other. */
static int req_recv_from_reply_pipe(struct req *r, struct msg *m)
{
    for (;;) {
        struct pipe_end *from = NULL;
        int rc = fq_recv(&r->fq, r->s, m, &from);
        if (rc < 0)
            return rc;
        if (!r->reply_pipe || from == r->reply_pipe)
            return 0;
        msg_close(m);
    }
}

/* Drops the rest of a message whose current frame m was rejected. */
static void req_skip_rest(struct req *r, struct msg *m)
{
    while (msg_more(m)) {
        msg_close(m);
        if (req_recv_from_reply_pipe(r, m) < 0)
            return;   /* cannot happen: messages are whole in the pipe */
    }
    msg_close(m);
}

static int req_recv(void *self, struct msg *m)
{
    struct req *r = self;
    if (!r->receiving_reply)
        return -EFSM;
    while (r->at_start) {
        int rc;
        if (r->correlate) {
            rc = req_recv_from_reply_pipe(r, m);
            if (rc < 0)
                return rc;
            if (!msg_more(m) || msg_size(m) != sizeof r->request_id ||
                memcmp(msg_data(m), &r->request_id, sizeof r->request_id) != 0) {
                req_skip_rest(r, m);
                continue;
            }
            msg_close(m);
        }
        rc = req_recv_from_reply_pipe(r, m);
        if (rc < 0)
            return rc;
        if (!msg_more(m) || msg_size(m) != 0) {
            req_skip_rest(r, m);
            continue;
        }
        msg_close(m);
        r->at_start = false;
    }
    int rc = req_recv_from_reply_pipe(r, m);
    if (rc < 0)
        return rc;
    if (!msg_more(m)) {
        r->receiving_reply = false;
        r->at_start = true;
    }
    return 0;
}

static bool req_has_in(void *self)
{
    struct req *r = self;
    return r->receiving_reply && fq_has_in(&r->fq, r->s);
}

static bool req_has_out(void *self)
{
    struct req *r = self;
    if (r->receiving_reply && r->strict)
        return false;
    return lb_has_out(&r->lb, r->s);
}

static int req_setopt(void *self, int option, const void *value, size_t len)
{
    struct req *r = self;
    bool *field;
    switch (option) {
    case ZMQ_REQ_CORRELATE: field = &r->correlate; break;
    case ZMQ_REQ_RELAXED: field = &r->strict; break;
    case ZMQ_PROBE_ROUTER: field = &r->probe_router; break;
    default: return -ENOENT;
    }
    int v;
    if (opt_get_int(value, len, &v) < 0 || v < 0)
        return -EINVAL;
    *field = option == ZMQ_REQ_RELAXED ? v == 0 : v != 0;
    return 0;
}

const struct proto_ops proto_req = {
    .type = ZMQ_REQ,
    .name = "REQ",
    .size = sizeof(struct req),
    .init = req_init,
    .fini = req_fini,
    .attach = req_attach,
    .detach = req_detach,
    .read_activated = req_read_activated,
    .write_activated = req_write_activated,
    .send = req_send,
    .recv = req_recv,
    .has_in = req_has_in,
    .has_out = req_has_out,
    .setopt = req_setopt,
};
