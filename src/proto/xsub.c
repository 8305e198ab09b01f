/* XSUB (RFC 29): receives everything its publishers send (no filtering), and sends upstream whatever the
 * application writes; messages 0x01 + topic / 0x00 + topic are subscriptions, remembered so that every new
 * or reconnected publisher learns them all. Also the engine behind SUB (sub.c): see pubsub.h.
 *
 * Subscriptions upstream (libzmq 4.3's rules, checked against it):
 *  - every subscribe is sent, duplicates too (an XPUB_VERBOSE upstream wants to see them);
 *  - a cancel is sent only when the topic's count drops to zero; a one-frame cancel of anything else is
 *    dropped (in a multipart message it is sent anyway, so the message keeps its frames);
 *  - a new pipe, and a pipe whose connection was replaced (hiccup), get one subscribe per topic.
 * One-frame subscriptions are written to every pipe whatever its high-water mark: they are few, the
 * application made them, and a dropped subscription would go silently unanswered. Other messages go out
 * through dist, dropped for pipes at the high-water mark (XSUB never blocks).
 *
 * Invariants:
 *  1. subs holds what the application subscribed minus what it cancelled, counted. Every pipe was sent a
 *     subscribe per topic of subs when it attached or hiccuped (resend_all), and every change since.
 *  2. Subscriptions are written to a pipe only at a message boundary: at once when the application is not
 *     mid-message (more_send false), else when that message ends (resend, resend_deferred).
 *  3. has_message: message holds the next frame the application gets, already filtered; more_recv is
 *     false while it waits (next_frame sets it when the frame is handed over).
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
#include "proto/pubsub.h"

int xsub_init(void *self, struct socket *s)
{
    struct xsub *x = self;
    x->s = s;
    fq_init(&x->fq);
    dist_init(&x->dist);
    msg_init(&x->message);
    /* libzmq: a closing subscriber does not wait to deliver its pending subscriptions */
    s->opt.linger = 0;
    return trie_init(&x->subs);
}

void xsub_fini(void *self)
{
    struct xsub *x = self;
    if (x->has_message)
        msg_close(&x->message);
    x->has_message = false;
    trie_fini(&x->subs);
    route_set_fini(&x->fq.set);
    route_set_fini(&x->dist.set);
    free(x->resend);
    x->resend = NULL;
    x->nresend = x->resend_cap = 0;
}

/* ---- subscriptions upstream ------------------------------------------------------------------------- */
/* Writes one subscription message to e (no flush). */
static int write_subscription(struct pipe_end *e, bool subscribe, const void *topic, size_t len)
{
    struct msg m;
    if (msg_init_size(&m, len + 1) < 0)
        return -ENOMEM;
    uint8_t *d = msg_data(&m);
    d[0] = subscribe ? 1 : 0;
    if (len)
        memcpy(d + 1, topic, len);
    if (pipe_write(e, &m) < 0) {
        msg_close(&m);
        return -ENOMEM;
    }
    return 0;
}

static int resend_one(void *arg, const uint8_t *topic, size_t len)
{
    return write_subscription(arg, true, topic, len);
}

static void resend_all(struct xsub *x, struct pipe_end *e)
{
    (void)trie_foreach(&x->subs, resend_one, e);
    pipe_flush(e);
}

/* A one-frame subscription message m (already in its wire form) to every pipe; takes m. */
static void send_to_every_pipe(struct xsub *x, struct msg *m)
{
    struct route_set *rs = &x->dist.set;
    m->flags &= (uint8_t)~MSGF_MORE;
    for (size_t i = 0; i < rs->n; i++) {
        struct msg copy;
        msg_init(&copy);
        if (i + 1 < rs->n)
            msg_copy(&copy, m);
        else
            msg_move(&copy, m);
        if (pipe_write(rs->pipes[i], &copy) < 0)
            msg_close(&copy);
        pipe_flush(rs->pipes[i]);
    }
    msg_close(m);
    msg_init(m);
}

int xsub_subscription(struct xsub *x, bool subscribe, const void *topic, size_t len)
{
    if (subscribe) {
        if (trie_add(&x->subs, topic, len) < 0)
            return -ENOMEM;
    } else if (trie_remove(&x->subs, topic, len) != 1) {
        return 0;   /* still held, or never subscribed: nothing to tell upstream */
    }
    struct msg m;
    if (msg_init_size(&m, len + 1) < 0)
        return -ENOMEM;
    uint8_t *d = msg_data(&m);
    d[0] = subscribe ? 1 : 0;
    if (len)
        memcpy(d + 1, topic, len);
    send_to_every_pipe(x, &m);
    return 0;
}

/* Hiccups that arrived mid-message, served once the message is complete. */
static void resend_deferred(struct xsub *x)
{
    while (x->nresend) {
        struct pipe_end *e = x->resend[--x->nresend];
        resend_all(x, e);
    }
}

static int xsub_send(void *self, struct msg *m)
{
    struct xsub *x = self;
    size_t size = msg_size(m);
    const uint8_t *d = msg_data(m);
    bool first = !x->more_send;
    bool more = m->flags & MSGF_MORE;
    bool single = first && !more;
    bool is_sc = false;
    if (first || x->process_subscribe)
        is_sc = size > 0 && d[0] <= 1;
    if (first)
        x->process_subscribe = !x->only_first_subscribe || is_sc;
    if (is_sc) {
        bool subscribe = d[0] == 1;
        if (subscribe) {
            if (trie_add(&x->subs, d + 1, size - 1) < 0)
                return -ENOMEM;
        } else if (trie_remove(&x->subs, d + 1, size - 1) != 1 && single) {
            msg_close(m);
            msg_init(m);
            return 0;
        }
        if (single) {
            send_to_every_pipe(x, m);
            return 0;
        }
    }
    x->more_send = more;
    int rc = dist_send_to_all(&x->dist, x->s, m);
    if (!more)
        resend_deferred(x);
    return rc;
}

/* ---- pipes ---------------------------------------------------------------------------------------------- */
int xsub_attach(void *self, struct pipe_end *e)
{
    struct xsub *x = self;
    if (fq_attach(&x->fq, e) < 0)
        return -ENOMEM;
    if (dist_attach(&x->dist, e) < 0) {
        fq_detach(&x->fq, e);
        return -ENOMEM;
    }
    /* a new pipe is at a message boundary even if the application is mid-message: dist will not pick
     * it until the next message */
    resend_all(x, e);
    return 0;
}

void xsub_detach(void *self, struct pipe_end *e)
{
    struct xsub *x = self;
    if (x->fq.receiving == e)
        x->more_recv = false;
    fq_detach(&x->fq, e);
    dist_detach(&x->dist, e);
    for (size_t i = 0; i < x->nresend; i++)
        if (x->resend[i] == e)
            x->resend[i--] = x->resend[--x->nresend];
}

void xsub_write_activated(void *self, struct pipe_end *e)
{
    dist_activated(&((struct xsub *)self)->dist, e);
}

void xsub_hiccup(void *self, struct pipe_end *e)
{
    struct xsub *x = self;
    if (!x->more_send) {
        resend_all(x, e);
        return;
    }
    /* mid-message this pipe may be among the message's targets: writing now would split the message */
    for (size_t i = 0; i < x->nresend; i++)
        if (x->resend[i] == e)
            return;
    if (x->nresend == x->resend_cap) {
        size_t cap = x->resend_cap ? x->resend_cap * 2 : 4;
        struct pipe_end **grown = realloc(x->resend, cap * sizeof *grown);
        if (!grown) {
            resend_all(x, e);   /* better a split message than lost subscriptions */
            return;
        }
        x->resend = grown;
        x->resend_cap = cap;
    }
    x->resend[x->nresend++] = e;
}

/* ---- receiving ------------------------------------------------------------------------------------------ */
static bool matches(struct xsub *x, struct msg *m)
{
    bool hit = trie_match(&x->subs, msg_data(m), msg_size(m));
    return hit != (x->s->opt.invert_matching != 0);
}

/* The next frame from the pipes the application may see (filtered for SUB). 0 or -EAGAIN. */
static int fetch_frame(struct xsub *x, struct msg *m)
{
    for (;;) {
        int rc = fq_recv(&x->fq, x->s, m, NULL);
        if (rc < 0)
            return rc;
        if (x->more_recv || !x->filter || matches(x, m)) {
            x->more_recv = msg_more(m);
            return 0;
        }
        /* no subscription matches: the rest of the message is in the pipe already; drop it all */
        socket_drop(x->s, STATS_FILTERED, 1);
        while (msg_more(m)) {
            msg_close(m);
            msg_init(m);
            if (fq_recv(&x->fq, x->s, m, NULL) < 0)
                break;
        }
        msg_close(m);
        msg_init(m);
    }
}

/* The frame prefetched by has_in (or kept by conflate), else the next from the pipes. */
static int next_frame(struct xsub *x, struct msg *m)
{
    if (!x->has_message)
        return fetch_frame(x, m);
    *m = x->message;   /* m is empty, maybe uninitialised: a plain move */
    msg_init(&x->message);
    x->has_message = false;
    x->more_recv = msg_more(m);
    return 0;
}

/* ZMQ_CONFLATE: read everything there is and keep only the newest frame, in x->message. libzmq keeps one
 * part of a multipart message too ("does not support multi-part messages"). */
static void conflate_drain(struct xsub *x)
{
    struct msg m;
    msg_init(&m);
    x->more_recv = false;
    while (fetch_frame(x, &m) == 0) {
        if (x->has_message) {
            msg_close(&x->message);
            socket_drop(x->s, STATS_CONFLATED, 1);
        }
        m.flags &= (uint8_t)~MSGF_MORE;
        msg_move(&x->message, &m);
        x->has_message = true;
    }
    x->more_recv = false;
}

int xsub_recv(void *self, struct msg *m)
{
    struct xsub *x = self;
    if (x->s->opt.conflate)
        conflate_drain(x);
    return next_frame(x, m);
}

bool xsub_has_in(void *self)
{
    struct xsub *x = self;
    if (x->more_recv || x->has_message)
        return true;
    if (x->s->opt.conflate) {
        conflate_drain(x);
        return x->has_message;
    }
    if (fetch_frame(x, &x->message) < 0)
        return false;
    /* keep it for xsub_recv; fetch_frame set more_recv for the frame as if received */
    x->more_recv = false;
    x->has_message = true;
    return true;
}

void xsub_read_activated(void *self, struct pipe_end *e)
{
    struct xsub *x = self;
    fq_activated(&x->fq, e);
    /* conflating: take what arrived now, so the pipe never fills while the application is not reading */
    if (x->s->opt.conflate)
        conflate_drain(x);
}

static bool xsub_has_out(void *self)
{
    (void)self;
    return true;
}

static int xsub_setopt(void *self, int option, const void *value, size_t len)
{
    struct xsub *x = self;
    if (option != PUBSUB_ONLY_FIRST_SUBSCRIBE)
        return -ENOENT;
    return opt_get_flag(value, len, &x->only_first_subscribe);
}

const struct proto_ops proto_xsub = {
    .type = ZMQ_XSUB,
    .name = "XSUB",
    .size = sizeof(struct xsub),
    .init = xsub_init,
    .fini = xsub_fini,
    .attach = xsub_attach,
    .detach = xsub_detach,
    .read_activated = xsub_read_activated,
    .write_activated = xsub_write_activated,
    .hiccup = xsub_hiccup,
    .send = xsub_send,
    .recv = xsub_recv,
    .has_in = xsub_has_in,
    .has_out = xsub_has_out,
    .setopt = xsub_setopt,
};
