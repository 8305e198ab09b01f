/* CLIENT (RFC 41): load-balances outgoing messages over its SERVER peers and fair-queues incoming ones,
 * like DEALER, but thread-safe (socket.c serialises every call: proto_ops.thread_safe) and single-frame
 * only: sending with ZMQ_SNDMORE is EINVAL, and a multipart message a peer sends anyway is dropped whole,
 * as libzmq does.
 *
 * Invariant: between calls no message is half-read (client_recv reads a multipart message to its end).
 */
#include <errno.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "proto/route/route.h"

struct client {
    struct socket *s;
    struct lb lb;
    struct fq fq;
};

static int client_init(void *self, struct socket *s)
{
    struct client *c = self;
    c->s = s;
    lb_init(&c->lb);
    fq_init(&c->fq);
    return 0;
}

static void client_fini(void *self)
{
    struct client *c = self;
    route_set_fini(&c->lb.set);
    route_set_fini(&c->fq.set);
}

static int client_attach(void *self, struct pipe_end *e)
{
    struct client *c = self;
    if (lb_attach(&c->lb, e) < 0)
        return -ENOMEM;
    if (fq_attach(&c->fq, e) < 0) {
        lb_detach(&c->lb, e);
        return -ENOMEM;
    }
    return 0;
}

static void client_detach(void *self, struct pipe_end *e)
{
    struct client *c = self;
    lb_detach(&c->lb, e);
    fq_detach(&c->fq, e);
}

static void client_read_activated(void *self, struct pipe_end *e) { fq_activated(&((struct client *)self)->fq, e); }
static void client_write_activated(void *self, struct pipe_end *e) { lb_activated(&((struct client *)self)->lb, e); }

static int client_send(void *self, struct msg *m)
{
    struct client *c = self;
    if (m->flags & MSGF_MORE)
        return -EINVAL;
    return lb_send(&c->lb, c->s, m, NULL);
}

static int client_recv(void *self, struct msg *m)
{
    struct client *c = self;
    int rc = fq_recv_single(&c->fq, c->s, m, NULL);
    if (rc == 0)
        m->routing_id = 0;
    return rc;
}

static bool client_has_in(void *self) { struct client *c = self; return fq_has_in(&c->fq, c->s); }
static bool client_has_out(void *self) { struct client *c = self; return lb_has_out(&c->lb, c->s); }

const struct proto_ops proto_client = {
    .type = PROTO_CLIENT,
    .name = "CLIENT",
    .size = sizeof(struct client),
    .thread_safe = true,
    .init = client_init,
    .fini = client_fini,
    .attach = client_attach,
    .detach = client_detach,
    .read_activated = client_read_activated,
    .write_activated = client_write_activated,
    .send = client_send,
    .recv = client_recv,
    .has_in = client_has_in,
    .has_out = client_has_out,
};
