/* GATHER (RFC 49): PULL made thread-safe and single-frame. Fair-queues whole messages from its SCATTER
 * peers (route.h's fq); never sends (ENOTSUP, as libzmq's socket base says for a type without send).
 * Thread-safe: socket.c serialises every call (proto_ops.thread_safe).
 *  - recv: a multipart message a peer sends anyway is dropped whole (RFC 49: "MUST discard any part of a
 *    multipart message"), and the next single-frame message is delivered instead.
 *
 * Invariant: between calls no message is half-read (fq_recv_single reads a multipart message to its end).
 */
#include <errno.h>

#include "core/socket.h"
#include "proto/proto.h"
#include "proto/route/route.h"

struct gather {
    struct socket *s;
    struct fq fq;
};

static int gather_init(void *self, struct socket *s)
{
    struct gather *g = self;
    g->s = s;
    fq_init(&g->fq);
    return 0;
}

static void gather_fini(void *self) { route_set_fini(&((struct gather *)self)->fq.set); }
static int gather_attach(void *self, struct pipe_end *e) { return fq_attach(&((struct gather *)self)->fq, e); }
static void gather_detach(void *self, struct pipe_end *e) { fq_detach(&((struct gather *)self)->fq, e); }
static void gather_read_activated(void *self, struct pipe_end *e) { fq_activated(&((struct gather *)self)->fq, e); }
static void gather_write_activated(void *self, struct pipe_end *e) { (void)self; (void)e; }

static int gather_send(void *self, struct msg *m)
{
    (void)self;
    (void)m;
    return -ENOTSUP;
}

static int gather_recv(void *self, struct msg *m)
{
    struct gather *g = self;
    return fq_recv_single(&g->fq, g->s, m, NULL);
}

static bool gather_has_in(void *self) { struct gather *g = self; return fq_has_in(&g->fq, g->s); }
static bool gather_has_out(void *self) { (void)self; return false; }

const struct proto_ops proto_gather = {
    .type = PROTO_GATHER,
    .name = "GATHER",
    .size = sizeof(struct gather),
    .thread_safe = true,
    .init = gather_init,
    .fini = gather_fini,
    .attach = gather_attach,
    .detach = gather_detach,
    .read_activated = gather_read_activated,
    .write_activated = gather_write_activated,
    .send = gather_send,
    .recv = gather_recv,
    .has_in = gather_has_in,
    .has_out = gather_has_out,
};
