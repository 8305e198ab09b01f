/* SUB (RFC 29): XSUB (xsub.c) with ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE instead of sending, and filtering on
 * receive as well, in case a publisher does not filter (libzmq does the same). Subscriptions are counted:
 * subscribing twice and unsubscribing once leaves the topic subscribed. ZMQ_INVERT_MATCHING and
 * ZMQ_CONFLATE are the generic options, read when a message arrives. */
#include <errno.h>

#include <zmq.h>

#include "core/socket.h"
#include "proto/proto.h"
#include "proto/pubsub.h"

static int sub_init(void *self, struct socket *s)
{
    struct xsub *x = self;
    int rc = xsub_init(x, s);
    x->filter = true;
    return rc;
}

static int sub_send(void *self, struct msg *m)
{
    (void)self;
    (void)m;
    return -ENOTSUP;
}

static bool sub_has_out(void *self)
{
    (void)self;
    return false;
}

static int sub_setopt(void *self, int option, const void *value, size_t len)
{
    if (option != ZMQ_SUBSCRIBE && option != ZMQ_UNSUBSCRIBE)
        return -ENOENT;
    if (!value && len)
        return -EINVAL;
    return xsub_subscription(self, option == ZMQ_SUBSCRIBE, value, len);
}

const struct proto_ops proto_sub = {
    .type = ZMQ_SUB,
    .name = "SUB",
    .size = sizeof(struct xsub),
    .init = sub_init,
    .fini = xsub_fini,
    .attach = xsub_attach,
    .detach = xsub_detach,
    .read_activated = xsub_read_activated,
    .write_activated = xsub_write_activated,
    .hiccup = xsub_hiccup,
    .send = sub_send,
    .recv = xsub_recv,
    .has_in = xsub_has_in,
    .has_out = sub_has_out,
    .setopt = sub_setopt,
};
