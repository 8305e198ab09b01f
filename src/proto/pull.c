/* PULL (RFC 30): fair-queues whole messages from connected PUSH peers; never sends. */
#include <errno.h>

#include <zmq.h>

#include "core/socket.h"
#include "proto/proto.h"
#include "proto/route/route.h"

struct pull {
    struct fq fq;
    struct socket *s;
};

static int pull_init(void *self, struct socket *s)
{
    struct pull *p = self;
    fq_init(&p->fq);
    p->s = s;
    return 0;
}

static void pull_fini(void *self) { route_set_fini(&((struct pull *)self)->fq.set); }
static int pull_attach(void *self, struct pipe_end *e) { return fq_attach(&((struct pull *)self)->fq, e); }
static void pull_detach(void *self, struct pipe_end *e) { fq_detach(&((struct pull *)self)->fq, e); }
static void pull_read_activated(void *self, struct pipe_end *e) { fq_activated(&((struct pull *)self)->fq, e); }
static void pull_write_activated(void *self, struct pipe_end *e) { (void)self; (void)e; }

static int pull_send(void *self, struct msg *m)
{
    (void)self;
    (void)m;
    return -ENOTSUP;
}

static int pull_recv(void *self, struct msg *m)
{
    struct pull *p = self;
    return fq_recv(&p->fq, p->s, m, NULL);
}

static bool pull_has_in(void *self) { struct pull *p = self; return fq_has_in(&p->fq, p->s); }
static bool pull_has_out(void *self) { (void)self; return false; }

const struct proto_ops proto_pull = {
    .type = ZMQ_PULL,
    .name = "PULL",
    .size = sizeof(struct pull),
    .init = pull_init,
    .fini = pull_fini,
    .attach = pull_attach,
    .detach = pull_detach,
    .read_activated = pull_read_activated,
    .write_activated = pull_write_activated,
    .send = pull_send,
    .recv = pull_recv,
    .has_in = pull_has_in,
    .has_out = pull_has_out,
};
