/* DEALER (RFC 28): load-balances whole outgoing messages over its peers and fair-queues incoming ones, with
 * no envelope handling at all. ZMQ_PROBE_ROUTER sends each new peer an empty message on attach, so a
 * ROUTER learns the DEALER's routing id before the application says anything. */
#include <errno.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/options.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "proto/route/route.h"

struct dealer {
    struct socket *s;
    struct lb lb;
    struct fq fq;
    bool probe_router;       /* ZMQ_PROBE_ROUTER */
};

static int dealer_init(void *self, struct socket *s)
{
    struct dealer *d = self;
    d->s = s;
    lb_init(&d->lb);
    fq_init(&d->fq);
    return 0;
}

static void dealer_fini(void *self)
{
    struct dealer *d = self;
    route_set_fini(&d->lb.set);
    route_set_fini(&d->fq.set);
}

static int dealer_attach(void *self, struct pipe_end *e)
{
    struct dealer *d = self;
    if (d->probe_router) {
        /* The probe goes out whatever the high-water mark says: it is one empty frame. */
        struct msg probe;
        msg_init(&probe);
        if (pipe_write(e, &probe) == 0)
            pipe_flush(e);
    }
    if (lb_attach(&d->lb, e) < 0 || fq_attach(&d->fq, e) < 0) {
        lb_detach(&d->lb, e);
        return -ENOMEM;
    }
    return 0;
}

static void dealer_detach(void *self, struct pipe_end *e)
{
    struct dealer *d = self;
    lb_detach(&d->lb, e);
    fq_detach(&d->fq, e);
}

static void dealer_read_activated(void *self, struct pipe_end *e) { fq_activated(&((struct dealer *)self)->fq, e); }
static void dealer_write_activated(void *self, struct pipe_end *e) { lb_activated(&((struct dealer *)self)->lb, e); }

static int dealer_send(void *self, struct msg *m)
{
    struct dealer *d = self;
    return lb_send(&d->lb, d->s, m, NULL);
}

static int dealer_recv(void *self, struct msg *m)
{
    struct dealer *d = self;
    return fq_recv(&d->fq, d->s, m, NULL);
}

static bool dealer_has_in(void *self) { struct dealer *d = self; return fq_has_in(&d->fq, d->s); }
static bool dealer_has_out(void *self) { struct dealer *d = self; return lb_has_out(&d->lb, d->s); }

static int dealer_setopt(void *self, int option, const void *value, size_t len)
{
    struct dealer *d = self;
    if (option != ZMQ_PROBE_ROUTER)
        return -ENOENT;
    return opt_get_flag(value, len, &d->probe_router);
}

const struct proto_ops proto_dealer = {
    .type = ZMQ_DEALER,
    .name = "DEALER",
    .size = sizeof(struct dealer),
    .init = dealer_init,
    .fini = dealer_fini,
    .attach = dealer_attach,
    .detach = dealer_detach,
    .read_activated = dealer_read_activated,
    .write_activated = dealer_write_activated,
    .send = dealer_send,
    .recv = dealer_recv,
    .has_in = dealer_has_in,
    .has_out = dealer_has_out,
    .setopt = dealer_setopt,
};
