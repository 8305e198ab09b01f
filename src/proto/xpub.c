/* XPUB (RFC 29): a publisher that shows the application its subscribers' subscriptions. Also the engine
 * behind PUB (pub.c): see pubsub.h.
 *
 * Upstream (from subscribers): every frame starting with 0x01 / 0x00 is a subscribe / cancel of the rest
 * as a topic (ZMQ_ONLY_FIRST_SUBSCRIBE: only when a message's first frame is one); it is applied to the
 * pipe's subscriptions, and queued for the application when it changes what the XPUB must publish:
 *   subscribe: when the topic had no subscriber (ZMQ_XPUB_VERBOSE: always);
 *   cancel:    when the topic lost its last subscriber, or the pipe did not hold it (ZMQ_XPUB_VERBOSER:
 *              always) -- libzmq's rules, checked against it;
 *   a pipe going away cancels its topics the same way.
 * Other frames are queued for the application as they are (a PUB drops them). Pipes are read whenever they
 * are read-activated, so subscriptions apply even if the application never receives; once the queue holds
 * ZMQ_RCVHWM upstream data messages, pipes that bring more wait (in stalled) for the application.
 *
 * ZMQ_XPUB_MANUAL: subscriptions are queued but not applied; the application applies them with
 * ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE on the XPUB, to the pipe the last subscription it received came from.
 * What each pipe asked for is kept (manual_subs) so that its leaving queues a cancel for each.
 *
 * Downstream: a message's first frame is matched against the subscriptions (mtrie), the matching pipes
 * get the whole message through dist, which skips pipes at their high-water mark (dropped, unless
 * ZMQ_XPUB_NODROP: then the send fails with EAGAIN until they all have room). A message the application
 * sends that starts with 0x01 / 0x00 is just data.
 *
 * Invariants:
 *  1. An attached pipe has its xpub_pipe in proto_data and is in dist and in stalled; it is active in
 *     stalled only while it was left unread with input (xpub_drain), and recv, has_in and send resume it.
 *  2. Otherwise a pipe is read until empty, so its reader sleeps and its next frame brings a wake
 *     (xpub_read_activated): no subscription waits for the application.
 *  3. q_data_msgs counts the queued frames that end an upstream data message.
 *  4. A queued entry's from is NULL or an attached pipe (xpub_detach clears it), and so is last_pipe.
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

struct xpub_pending {
    struct msg m;                   /* a notification (0x01/0x00 + topic) or a frame of upstream data */
    struct pipe_end *from;          /* manual mode: the pipe the notification came from; NULL once gone */
    bool notification;
};

struct xpub_pipe {                  /* pipe_end->proto_data */
    struct mtrie_sub sub;           /* its subscriptions in x->subs */
    struct mtrie_sub manual;        /* what it asked for, in x->manual_subs */
    bool more_in;                   /* mid-message reading it */
    bool process_subscribe;         /* frames of the current message may be subscriptions */
};

int xpub_init(void *self, struct socket *s)
{
    struct xpub *x = self;
    x->s = s;
    dist_init(&x->dist);
    x->stalled.out = false;
    msg_init(&x->welcome);
    if (mtrie_init(&x->subs) < 0)
        return -ENOMEM;
    if (mtrie_init(&x->manual_subs) < 0) {
        mtrie_fini(&x->subs);
        return -ENOMEM;
    }
    return 0;
}

void xpub_fini(void *self)
{
    struct xpub *x = self;
    for (size_t i = 0; i < x->q_len; i++)
        msg_close(&x->queue[(x->q_head + i) & (x->q_cap - 1)].m);
    free(x->queue);
    x->queue = NULL;
    x->q_len = x->q_cap = x->q_head = 0;
    mtrie_fini(&x->subs);
    mtrie_fini(&x->manual_subs);
    route_set_fini(&x->dist.set);
    route_set_fini(&x->stalled);
    if (x->has_welcome)
        msg_close(&x->welcome);
    x->has_welcome = false;
}

/* ---- the application's queue ---------------------------------------------------------------------------- */
/* Takes m (leaving it empty) on success; on -ENOMEM m is untouched. */
static int queue_push(struct xpub *x, struct msg *m, struct pipe_end *from, bool notification)
{
    if (x->q_len == x->q_cap) {
        size_t cap = x->q_cap ? x->q_cap * 2 : 16;
        struct xpub_pending *grown = malloc(cap * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        for (size_t i = 0; i < x->q_len; i++)
            grown[i] = x->queue[(x->q_head + i) & (x->q_cap - 1)];
        free(x->queue);
        x->queue = grown;
        x->q_cap = cap;
        x->q_head = 0;
    }
    struct xpub_pending *p = &x->queue[(x->q_head + x->q_len) & (x->q_cap - 1)];
    msg_init(&p->m);
    msg_move(&p->m, m);
    p->from = from;
    p->notification = notification;
    x->q_len++;
    return 0;
}

/* A cancel made by a pipe going away. */
static void queue_cancel(struct xpub *x, const uint8_t *topic, size_t len)
{
    if (x->is_pub)
        return;
    struct msg m;
    if (msg_init_size(&m, len + 1) < 0)
        return;
    uint8_t *d = msg_data(&m);
    d[0] = 0;
    if (len)
        memcpy(d + 1, topic, len);
    if (queue_push(x, &m, NULL, true) < 0)
        msg_close(&m);
}

/* ---- reading subscribers -------------------------------------------------------------------------------- */
/* One frame from pipe e; takes m. Returns true if it completed an upstream data message in the queue. */
static bool xpub_frame(struct xpub *x, struct pipe_end *e, struct xpub_pipe *p, struct msg *m)
{
    bool first = !p->more_in;
    bool more = msg_more(m);
    p->more_in = more;
    size_t size = msg_size(m);
    const uint8_t *d = msg_data(m);
    bool is_sc = (first || p->process_subscribe) && size > 0 && d[0] <= 1;
    if (first)
        p->process_subscribe = !x->only_first_subscribe || is_sc;
    if (!is_sc) {
        /* upstream data (from an XSUB): for the application; a PUB never reads it */
        if (!x->is_pub && queue_push(x, m, NULL, false) == 0) {
            if (!more)
                x->q_data_msgs++;
            return !more;
        }
        msg_close(m);
        msg_init(m);
        return false;
    }
    bool subscribe = d[0] == 1;
    const uint8_t *topic = d + 1;
    size_t len = size - 1;
    bool notify;
    if (x->manual) {
        if (subscribe)
            (void)mtrie_add(&x->manual_subs, topic, len, &p->manual);
        else
            (void)mtrie_remove(&x->manual_subs, topic, len, &p->manual);
        notify = true;
    } else if (subscribe) {
        int rc = mtrie_add(&x->subs, topic, len, &p->sub);
        notify = rc == 1 || (rc == 0 && x->verbose_subs);
    } else {
        notify = mtrie_remove(&x->subs, topic, len, &p->sub) != MTRIE_REMAIN || x->verbose_unsubs;
    }
    /* the message is its own notification: same bytes, and it keeps the peer's properties */
    m->flags &= (uint8_t)~MSGF_MORE;
    if (notify && !x->is_pub && queue_push(x, m, x->manual ? e : NULL, true) == 0)
        return false;
    msg_close(m);
    msg_init(m);
    return false;
}

/* Has the application's queue as many upstream data messages as ZMQ_RCVHWM allows? */
static bool queue_full(struct xpub *x)
{
    int hwm = x->s->opt.rcvhwm;
    return hwm > 0 && x->q_data_msgs >= (size_t)hwm;
}

/* Reads e until it is empty, or until a data message fills the application's queue: then e waits in
 * stalled until the application reads. Subscriptions never stall a pipe, so a pipe that carries only
 * those is always read to the end; the queue may overshoot by one message per pipe. */
static void xpub_drain(struct xpub *x, struct pipe_end *e)
{
    struct xpub_pipe *p = e->proto_data;
    if (!p)
        return;
    struct msg m;
    msg_init(&m);
    while (pipe_read(e, &m)) {
        if (xpub_frame(x, e, p, &m) && queue_full(x)) {
            route_set_activate(&x->stalled, e);
            return;
        }
    }
    route_set_deactivate(&x->stalled, e);
    if (pipe_peer_closed(e) && !pipe_check_read(e))
        socket_pipe_dead(x->s, e);
}

static void drain_stalled(struct xpub *x)
{
    while (x->stalled.active > 0 && !queue_full(x))
        xpub_drain(x, x->stalled.pipes[0]);
}

/* ---- pipes ---------------------------------------------------------------------------------------------- */
int xpub_attach(void *self, struct pipe_end *e)
{
    struct xpub *x = self;
    struct xpub_pipe *p = calloc(1, sizeof *p);
    if (!p)
        goto fail;
    if (dist_attach(&x->dist, e) < 0)
        goto fail_dist;
    if (route_set_add(&x->stalled, e, false) < 0)
        goto fail_stalled;
    mtrie_sub_init(&p->sub, e);
    mtrie_sub_init(&p->manual, e);
    e->proto_data = p;
    if (x->has_welcome) {
        struct msg copy;
        msg_init(&copy);
        msg_copy(&copy, &x->welcome);
        if (pipe_write(e, &copy) < 0)
            msg_close(&copy);
        pipe_flush(e);
    }
    /* subscriptions may be waiting already */
    xpub_drain(x, e);
    return 0;
fail_stalled:
    dist_detach(&x->dist, e);
fail_dist:
    free(p);
fail:
    return -ENOMEM;
}

static void on_pipe_gone(void *arg, const uint8_t *topic, size_t len, bool last)
{
    struct xpub *x = arg;
    if (last || x->verbose_unsubs)
        queue_cancel(x, topic, len);
}

static void on_manual_pipe_gone(void *arg, const uint8_t *topic, size_t len, bool last)
{
    (void)last;
    struct xpub *x = arg;
    queue_cancel(x, topic, len);
    x->last_pipe = NULL;
}

void xpub_detach(void *self, struct pipe_end *e)
{
    struct xpub *x = self;
    struct xpub_pipe *p = e->proto_data;
    if (p) {
        /* both tries, whatever the mode now: it may have changed since the pipe subscribed */
        if (x->manual) {
            (void)mtrie_remove_sub(&x->manual_subs, &p->manual, on_manual_pipe_gone, x);
            (void)mtrie_remove_sub(&x->subs, &p->sub, NULL, NULL);
        } else {
            (void)mtrie_remove_sub(&x->subs, &p->sub, on_pipe_gone, x);
            (void)mtrie_remove_sub(&x->manual_subs, &p->manual, NULL, NULL);
        }
        free(p);
        e->proto_data = NULL;
    }
    if (x->last_pipe == e)
        x->last_pipe = NULL;
    for (size_t i = 0; i < x->q_len; i++) {
        struct xpub_pending *q = &x->queue[(x->q_head + i) & (x->q_cap - 1)];
        if (q->from == e)
            q->from = NULL;
    }
    dist_detach(&x->dist, e);
    route_set_remove(&x->stalled, e);
}

void xpub_read_activated(void *self, struct pipe_end *e)
{
    xpub_drain(self, e);
}

void xpub_write_activated(void *self, struct pipe_end *e)
{
    dist_activated(&((struct xpub *)self)->dist, e);
}

/* ---- sending -------------------------------------------------------------------------------------------- */
static void match_pipe(void *arg, void *owner)
{
    dist_match(&((struct xpub *)arg)->dist, owner);
}

static void match_last_pipe(void *arg, void *owner)
{
    struct xpub *x = arg;
    if (owner == x->last_pipe)
        dist_match(&x->dist, owner);
}

/* ZMQ_XPUB_NODROP: may every target take a whole new message? (Arms the room wake of those that cannot.) */
static bool targets_have_room(struct xpub *x)
{
    for (size_t i = 0; i < x->dist.matching; i++) {
        struct pipe_end *e = x->dist.set.pipes[i];
        if (!pipe_peer_closed(e) && !pipe_check_write(e))
            return false;
    }
    return true;
}

int xpub_send(void *self, struct msg *m)
{
    struct xpub *x = self;
    bool more = msg_more(m);
    if (!x->more_send) {
        if (x->stalled.active)
            drain_stalled(x);
        dist_unmatch(&x->dist);
        if (x->manual && x->send_last_pipe && x->last_pipe) {
            mtrie_match(&x->subs, msg_data(m), msg_size(m), match_last_pipe, x);
            x->last_pipe = NULL;
        } else {
            mtrie_match(&x->subs, msg_data(m), msg_size(m), match_pipe, x);
        }
        if (x->s->opt.invert_matching)
            dist_reverse_match(&x->dist);
        if (x->nodrop && !targets_have_room(x)) {
            dist_unmatch(&x->dist);
            return -EAGAIN;
        }
    }
    x->more_send = more;
    return dist_send_to_matching(&x->dist, x->s, m);
}

bool xpub_has_out(void *self)
{
    return dist_has_out(&((struct xpub *)self)->dist);
}

/* ---- receiving ------------------------------------------------------------------------------------------ */
int xpub_recv(void *self, struct msg *m)
{
    struct xpub *x = self;
    if (x->stalled.active)
        drain_stalled(x);
    if (!x->q_len)
        return -EAGAIN;
    struct xpub_pending *p = &x->queue[x->q_head];
    x->q_head = (x->q_head + 1) & (x->q_cap - 1);
    x->q_len--;
    if (p->notification) {
        if (x->manual)
            x->last_pipe = p->from;
    } else if (!msg_more(&p->m)) {
        x->q_data_msgs--;
    }
    *m = p->m;   /* m is empty, maybe uninitialised: a plain move */
    return 0;
}

bool xpub_has_in(void *self)
{
    struct xpub *x = self;
    if (x->stalled.active)
        drain_stalled(x);
    return x->q_len > 0;
}

/* ---- options -------------------------------------------------------------------------------------------- */
int xpub_setopt(void *self, int option, const void *value, size_t len)
{
    struct xpub *x = self;
    switch (option) {
    case ZMQ_XPUB_VERBOSE:
    case ZMQ_XPUB_VERBOSER:
    case ZMQ_XPUB_NODROP:
    case ZMQ_XPUB_MANUAL:
    case PUBSUB_XPUB_MANUAL_LAST_VALUE:
    case PUBSUB_ONLY_FIRST_SUBSCRIBE: {
        int v;
        if (opt_get_int(value, len, &v) < 0 || v < 0)
            return -EINVAL;
        bool on = v != 0;
        switch (option) {
        case ZMQ_XPUB_VERBOSE: x->verbose_subs = on; x->verbose_unsubs = false; break;
        case ZMQ_XPUB_VERBOSER: x->verbose_subs = x->verbose_unsubs = on; break;
        case ZMQ_XPUB_NODROP: x->nodrop = on; break;
        case ZMQ_XPUB_MANUAL: x->manual = on; break;
        case PUBSUB_XPUB_MANUAL_LAST_VALUE: x->manual = x->send_last_pipe = on; break;
        default: x->only_first_subscribe = on; break;
        }
        return 0;
    }
    case ZMQ_SUBSCRIBE:
    case ZMQ_UNSUBSCRIBE: {
        /* manual mode only: applies to the pipe of the last subscription received (if it is still here) */
        if (!x->manual || (!value && len))
            return -EINVAL;
        struct xpub_pipe *p = x->last_pipe ? x->last_pipe->proto_data : NULL;
        if (!p)
            return 0;
        if (option == ZMQ_SUBSCRIBE)
            return mtrie_add(&x->subs, value, len, &p->sub) < 0 ? -ENOMEM : 0;
        (void)mtrie_remove(&x->subs, value, len, &p->sub);
        return 0;
    }
    case ZMQ_XPUB_WELCOME_MSG:
        if (!value && len)
            return -EINVAL;
        if (x->has_welcome)
            msg_close(&x->welcome);
        msg_init(&x->welcome);
        x->has_welcome = false;
        if (len) {
            if (msg_init_size(&x->welcome, len) < 0) {
                msg_init(&x->welcome);
                return -ENOMEM;
            }
            memcpy(msg_data(&x->welcome), value, len);
            x->has_welcome = true;
        }
        return 0;
    default:
        return -ENOENT;
    }
}

const struct proto_ops proto_xpub = {
    .type = ZMQ_XPUB,
    .name = "XPUB",
    .size = sizeof(struct xpub),
    .init = xpub_init,
    .fini = xpub_fini,
    .attach = xpub_attach,
    .detach = xpub_detach,
    .read_activated = xpub_read_activated,
    .write_activated = xpub_write_activated,
    .send = xpub_send,
    .recv = xpub_recv,
    .has_in = xpub_has_in,
    .has_out = xpub_has_out,
    .setopt = xpub_setopt,
};
