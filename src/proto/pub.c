/* PUB (RFC 29): XPUB (xpub.c) that never receives: subscriptions from its subscribers are applied and
 * nothing is queued for the application. Each message goes to the subscribers whose topics prefix its
 * first frame; a subscriber at its high-water mark misses it (a PUB never blocks), unless
 * ZMQ_XPUB_NODROP, which PUB takes like the other XPUB options, as in libzmq. */
#include <errno.h>

#include <zmq.h>

#include "core/socket.h"
#include "proto/proto.h"
#include "proto/pubsub.h"

static int pub_init(void *self, struct socket *s)
{
    struct xpub *x = self;
    int rc = xpub_init(x, s);
    x->is_pub = true;
    return rc;
}

static int pub_recv(void *self, struct msg *m)
{
    (void)self;
    (void)m;
    return -ENOTSUP;
}

static bool pub_has_in(void *self)
{
    (void)self;
    return false;
}

const struct proto_ops proto_pub = {
    .type = ZMQ_PUB,
    .name = "PUB",
    .size = sizeof(struct xpub),
    .init = pub_init,
    .fini = xpub_fini,
    .attach = xpub_attach,
    .detach = xpub_detach,
    .read_activated = xpub_read_activated,
    .write_activated = xpub_write_activated,
    .send = xpub_send,
    .recv = pub_recv,
    .has_in = pub_has_in,
    .has_out = xpub_has_out,
    .setopt = xpub_setopt,
};
