/* The public edge of the RADIO/DISH draft API (RFC 48): zmq_join, zmq_leave, zmq_msg_set_group and
 * zmq_msg_group. Like src/zmq.c it only checks arguments, calls inward (core/socket.c, the DISH in
 * proto/dish.c; core/msg_group.c) and turns the negative code it gets back into -1 with errno set. */
#define ZMQ_BUILD_DRAFT_API
#include <errno.h>
#include <string.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/socket.h"

static int join_or_leave(void *socket_, const char *group_, bool join)
{
    struct socket *s = socket_;
    if (!s || s->tag != SOCKET_TAG) {
        errno = ENOTSOCK;
        return -1;
    }
    if (!group_) {
        errno = EINVAL;
        return -1;
    }
    /* strnlen: a name longer than the limit is refused without reading all of it */
    int rc = socket_join(s, group_, strnlen(group_, ZMQ_GROUP_MAX_LENGTH + 1), join);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return 0;
}

/* EINVAL: longer than ZMQ_GROUP_MAX_LENGTH, or joined already; ENOTSUP: not a DISH. */
int zmq_join(void *socket_, const char *group_) { return join_or_leave(socket_, group_, true); }
/* EINVAL: longer than ZMQ_GROUP_MAX_LENGTH, or not joined; ENOTSUP: not a DISH. */
int zmq_leave(void *socket_, const char *group_) { return join_or_leave(socket_, group_, false); }

/* EINVAL: longer than ZMQ_GROUP_MAX_LENGTH (libzmq 4.3.4 cuts such a name to 255 bytes instead; its
 * manual says EINVAL), or a closed message; EFAULT for no message. */
int zmq_msg_set_group(zmq_msg_t *msg_, const char *group_)
{
    if (!msg_) {
        errno = EFAULT;
        return -1;
    }
    if (!group_) {
        errno = EINVAL;
        return -1;
    }
    int rc = msg_set_group((struct msg *)msg_, group_, strnlen(group_, ZMQ_GROUP_MAX_LENGTH + 1));
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return 0;
}

/* The group, NUL-terminated, valid while the message is; "" when it has none. */
const char *zmq_msg_group(zmq_msg_t *msg_)
{
    if (!msg_)
        return NULL;
    return msg_group((const struct msg *)msg_, NULL);
}
