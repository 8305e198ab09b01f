/* PUSH (RFC 30): load-balances whole messages across connected PULL peers; never receives. */
#include <errno.h>

#include <zmq.h>

#include "core/socket.h"
#include "proto/proto.h"
#include "proto/route/route.h"

struct push {
    struct lb lb;
    struct socket *s;
};

static int push_init(void *self, struct socket *s)
{
    struct push *p = self;
    lb_init(&p->lb);
    p->s = s;
    return 0;
}

static void push_fini(void *self) { route_set_fini(&((struct push *)self)->lb.set); }
static int push_attach(void *self, struct pipe_end *e) { return lb_attach(&((struct push *)self)->lb, e); }
static void push_detach(void *self, struct pipe_end *e) { lb_detach(&((struct push *)self)->lb, e); }
static void push_read_activated(void *self, struct pipe_end *e) { (void)self; (void)e; }
static void push_write_activated(void *self, struct pipe_end *e) { lb_activated(&((struct push *)self)->lb, e); }

static int push_send(void *self, struct msg *m)
{
    struct push *p = self;
    return lb_send(&p->lb, p->s, m, NULL);
}

static int push_recv(void *self, struct msg *m)
{
    (void)self;
    (void)m;
    return -ENOTSUP;
}

static bool push_has_in(void *self) { (void)self; return false; }
static bool push_has_out(void *self) { struct push *p = self; return lb_has_out(&p->lb, p->s); }

const struct proto_ops proto_push = {
    .type = ZMQ_PUSH,
    .name = "PUSH",
    .size = sizeof(struct push),
    .init = push_init,
    .fini = push_fini,
    .attach = push_attach,
    .detach = push_detach,
    .read_activated = push_read_activated,
    .write_activated = push_write_activated,
    .send = push_send,
    .recv = push_recv,
    .has_in = push_has_in,
    .has_out = push_has_out,
};
