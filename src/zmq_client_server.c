/* The public edge of the CLIENT/SERVER draft API (RFC 41): a message's routing id. Like src/zmq.c it only
 * checks arguments and sets errno; the id lives in struct msg (core/msg.h), set by SERVER on receive and
 * read by SERVER on send (proto/server.c). */
#define ZMQ_BUILD_DRAFT_API
#include <errno.h>

#include <zmq.h>

#include "core/msg.h"
#include "zmq_edge.h"

/* libzmq: 0 means "no routing id" and cannot be set (EINVAL). */
int zmq_msg_set_routing_id(zmq_msg_t *msg, uint32_t routing_id)
{
    if (routing_id == 0)
        return api_fail(EINVAL);
    ((struct msg *)msg)->routing_id = routing_id;
    return 0;
}

uint32_t zmq_msg_routing_id(zmq_msg_t *msg)
{
    return ((struct msg *)msg)->routing_id;
}
