/* SCATTER (RFC 49): PUSH made thread-safe and single-frame. Load-balances each message to the next GATHER
 * peer with room (route.h's lb); never receives (ENOTSUP, as libzmq's socket base says for a type without
 * recv). Thread-safe: socket.c serialises every call (proto_ops.thread_safe).
 *  - send: ZMQ_SNDMORE is EINVAL (nothing is queued); with no peer, or every peer at its high-water mark,
 *    EAGAIN, so a blocking send waits (ZMQ_SNDTIMEO) and nothing is dropped.
 *
 * Invariant: lb.sending is always NULL between calls (every message is one frame).
 */
#include <errno.h>

#include "core/msg.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "proto/route/route.h"

struct scatter {
    struct socket *s;
    struct lb lb;
};

static int scatter_init(void *self, struct socket *s)
{
    struct scatter *sc = self;
    sc->s = s;
    lb_init(&sc->lb);
    return 0;
}

static void scatter_fini(void *self) { route_set_fini(&((struct scatter *)self)->lb.set); }
static int scatter_attach(void *self, struct pipe_end *e) { return lb_attach(&((struct scatter *)self)->lb, e); }
static void scatter_detach(void *self, struct pipe_end *e) { lb_detach(&((struct scatter *)self)->lb, e); }
static void scatter_read_activated(void *self, struct pipe_end *e) { (void)self; (void)e; }
static void scatter_write_activated(void *self, struct pipe_end *e) { lb_activated(&((struct scatter *)self)->lb, e); }

static int scatter_send(void *self, struct msg *m)
{
    struct scatter *sc = self;
    if (m->flags & MSGF_MORE)
        return -EINVAL;
    return lb_send(&sc->lb, sc->s, m, NULL);
}

static int scatter_recv(void *self, struct msg *m)
{
    (void)self;
    (void)m;
    return -ENOTSUP;
}

static bool scatter_has_in(void *self) { (void)self; return false; }
static bool scatter_has_out(void *self) { struct scatter *sc = self; return lb_has_out(&sc->lb, sc->s); }

const struct proto_ops proto_scatter = {
    .type = PROTO_SCATTER,
    .name = "SCATTER",
    .size = sizeof(struct scatter),
    .thread_safe = true,
    .init = scatter_init,
    .fini = scatter_fini,
    .attach = scatter_attach,
    .detach = scatter_detach,
    .read_activated = scatter_read_activated,
    .write_activated = scatter_write_activated,
    .send = scatter_send,
    .recv = scatter_recv,
    .has_in = scatter_has_in,
    .has_out = scatter_has_out,
};
