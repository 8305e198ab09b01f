/* CHANNEL (libzmq 4.3's draft type): PAIR (pair.c) made thread-safe and single-frame. Exactly one peer at
 * a time; a peer that comes while one is attached is refused (its pipe is closed, so its messages never
 * arrive), as libzmq's channel_t and PAIR do. Thread-safe: socket.c serialises every call
 * (proto_ops.thread_safe).
 *  - send: ZMQ_SNDMORE is EINVAL; with no peer, or the peer's queue full, EAGAIN, so a blocking send waits
 *    (ZMQ_SNDTIMEO) and nothing is dropped;
 *  - recv: a multipart message the peer sends anyway is dropped whole.
 *
 * Invariants:
 *  1. peer is the one attached pipe end, or NULL; every other end handed to attach is marked dead at once.
 *  2. Between calls no message is half-read or half-written (every call moves whole messages).
 */
#include <errno.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"

struct channel {
    struct socket *s;
    struct pipe_end *peer;           /* the one peer, or NULL */
};

static int channel_init(void *self, struct socket *s)
{
    ((struct channel *)self)->s = s;
    return 0;
}

static void channel_fini(void *self) { (void)self; }

static int channel_attach(void *self, struct pipe_end *e)
{
    struct channel *c = self;
    if (c->peer)
        socket_pipe_dead(c->s, e);   /* a second peer is not served: detached and closed after this call */
    else
        c->peer = e;
    return 0;
}

static void channel_detach(void *self, struct pipe_end *e)
{
    struct channel *c = self;
    if (c->peer == e)
        c->peer = NULL;
}

/* One pipe: nothing to track; a blocked call looks again after every wake (socket.c). */
static void channel_activated(void *self, struct pipe_end *e) { (void)self; (void)e; }

static int channel_send(void *self, struct msg *m)
{
    struct channel *c = self;
    if (m->flags & MSGF_MORE)
        return -EINVAL;
    if (!c->peer || pipe_peer_closed(c->peer) || !pipe_check_write(c->peer))
        return -EAGAIN;
    if (pipe_write(c->peer, m) < 0)
        return -ENOMEM;
    pipe_flush(c->peer);
    return 0;
}

/* Reads the rest of a multipart message (published whole, so it is all there) and drops it. */
static void channel_skip_rest(struct pipe_end *e, struct msg *m)
{
    while (m->flags & MSGF_MORE) {
        msg_close(m);
        msg_init(m);
        if (!pipe_read(e, m))
            return;
    }
    msg_close(m);
    msg_init(m);
}

static int channel_recv(void *self, struct msg *m)
{
    struct channel *c = self;
    while (c->peer && pipe_read(c->peer, m)) {
        if (!(m->flags & MSGF_MORE))
            return 0;
        channel_skip_rest(c->peer, m);
    }
    if (c->peer && pipe_peer_closed(c->peer) && !pipe_check_read(c->peer))
        socket_pipe_dead(c->s, c->peer);
    return -EAGAIN;
}

static bool channel_has_in(void *self)
{
    struct channel *c = self;
    return c->peer && pipe_check_read(c->peer);
}

static bool channel_has_out(void *self)
{
    struct channel *c = self;
    return c->peer && !pipe_peer_closed(c->peer) && pipe_check_write(c->peer);
}

const struct proto_ops proto_channel = {
    .type = PROTO_CHANNEL,
    .name = "CHANNEL",
    .size = sizeof(struct channel),
    .thread_safe = true,
    .init = channel_init,
    .fini = channel_fini,
    .attach = channel_attach,
    .detach = channel_detach,
    .read_activated = channel_activated,
    .write_activated = channel_activated,
    .send = channel_send,
    .recv = channel_recv,
    .has_in = channel_has_in,
    .has_out = channel_has_out,
};
