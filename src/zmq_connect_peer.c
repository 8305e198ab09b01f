/* The draft API's zmq_connect_peer (RFC 51's "API to connect and retrieve the routing id ... in atomic
 * manner"; src/zmq.c is near its size limit): like src/zmq.c it only checks the handle, calls inward
 * (core/socket.c, socket_connect_peer) and turns the negative code it gets back into errno. Its failure
 * value is 0, not -1: 0 is never a routing id. */
#define ZMQ_BUILD_DRAFT_API
#include <errno.h>

#include <zmq.h>

#include "core/socket.h"

/* The new peer's routing id, usable at once (messages to it queue until its handshake completes); 0 with
 * errno ENOTSOCK, ENOTSUP (not a PEER), EFAULT (ZMQ_IMMEDIATE set), ETERM, or zmq_connect's errors (EINVAL,
 * EPROTONOSUPPORT, ENOCOMPATPROTO, EMTHREAD, ...). */
uint32_t zmq_connect_peer(void *socket_, const char *endpoint_)
{
    struct socket *s = socket_;
    if (!s || s->tag != SOCKET_TAG) {
        errno = ENOTSOCK;
        return 0;
    }
    uint32_t id = 0;
    int rc = socket_connect_peer(s, endpoint_, &id);
    if (rc < 0) {
        errno = -rc;
        return 0;
    }
    return id;
}
