/* The draft API's peer-state entry point, zmq_socket_get_peer_state (src/zmq.c is near its size limit):
 * like src/zmq.c it only checks the handle, calls inward (core/socket.c, the socket type's peer_state)
 * and turns the negative code it gets back into -1 with errno set. */
#define ZMQ_BUILD_DRAFT_API
#include <errno.h>

#include <zmq.h>

#include "core/socket.h"
#include "zmq_edge.h"

/* ZMQ_POLLOUT if the ROUTER's peer with this routing id can take a message now (below its high-water
 * mark), 0 if it cannot; -1 with EHOSTUNREACH (no such peer), ENOTSUP (not a ROUTER) or ENOTSOCK. */
int zmq_socket_get_peer_state(void *socket_, const void *routing_id_, size_t routing_id_size_)
{
    struct socket *s = api_socket(socket_);
    return s ? api_rc(socket_peer_state(s, routing_id_, routing_id_size_)) : api_fail(ENOTSOCK);
}
