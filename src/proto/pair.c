/* PAIR (RFC 31): exactly one peer at a time; later peers are refused (their pipe is closed) while the
 * first is attached. Sends block (or EAGAIN) while the single pipe is full or absent. */
#include <errno.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"

struct pair {
    struct socket *s;
    struct pipe_end *peer;
    bool sending;            /* mid-message on peer */
    bool dropping;           /* the peer vanished mid-message: swallow the rest */
    bool receiving;
};

static int pair_init(void *self, struct socket *s)
{
    ((struct pair *)self)->s = s;
    return 0;
}

static void pair_fini(void *self) { (void)self; }

static int pair_attach(void *self, struct pipe_end *e)
{
    struct pair *p = self;
    if (p->peer) {
        /* RFC 31: a second peer is not served; drop it. */
        socket_pipe_dead(p->s, e);
        return 0;
    }
    p->peer = e;
    return 0;
}

static void pair_detach(void *self, struct pipe_end *e)
{
    struct pair *p = self;
    if (p->peer != e)
        return;
    p->peer = NULL;
    if (p->sending)
        p->dropping = true;
    p->sending = p->receiving = false;
}

static void pair_activated(void *self, struct pipe_end *e) { (void)self; (void)e; }

static int pair_send(void *self, struct msg *m)
{
    struct pair *p = self;
    bool more = m->flags & MSGF_MORE;
    if (p->dropping) {
        p->dropping = more;
        msg_close(m);
        msg_init(m);
        return 0;
    }
    if (!p->peer)
        return -EAGAIN;
    if (!p->sending && (pipe_peer_closed(p->peer) || !pipe_check_write(p->peer)))
        return -EAGAIN;
    if (pipe_write(p->peer, m) < 0)
        return -ENOMEM;
    p->sending = more;
    if (!more)
        pipe_flush(p->peer);
    return 0;
}

static int pair_recv(void *self, struct msg *m)
{
    struct pair *p = self;
    if (!p->peer)
        return -EAGAIN;
    if (!pipe_read(p->peer, m)) {
        if (pipe_peer_closed(p->peer) && !pipe_check_read(p->peer))
            socket_pipe_dead(p->s, p->peer);
        return -EAGAIN;
    }
    p->receiving = m->flags & MSGF_MORE;
    return 0;
}

static bool pair_has_in(void *self)
{
    struct pair *p = self;
    return p->peer && (p->receiving || pipe_check_read(p->peer));
}

static bool pair_has_out(void *self)
{
    struct pair *p = self;
    return p->peer && (p->sending || (!pipe_peer_closed(p->peer) && pipe_check_write(p->peer)));
}

const struct proto_ops proto_pair = {
    .type = ZMQ_PAIR,
    .name = "PAIR",
    .size = sizeof(struct pair),
    .init = pair_init,
    .fini = pair_fini,
    .attach = pair_attach,
    .detach = pair_detach,
    .read_activated = pair_activated,
    .write_activated = pair_activated,
    .send = pair_send,
    .recv = pair_recv,
    .has_in = pair_has_in,
    .has_out = pair_has_out,
};
