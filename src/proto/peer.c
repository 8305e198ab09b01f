/* PEER (RFC 51): SERVER's engine (server.c, shared through proto/server.h) under the name PEER, talking
 * only to PEERs, as libzmq's peer_t is its server_t. Each peer, bound or connected, gets a 32-bit routing id
 * (never 0) when its pipe attaches; received messages carry the sender's id (zmq_msg_routing_id), sends go
 * to the peer the message's id names (EHOSTUNREACH for none, EAGAIN/blocking at its high-water mark,
 * ZMQ_SNDMORE EINVAL, multipart input dropped whole). Thread-safe: socket.c serialises every call.
 *
 * What PEER adds is zmq_connect_peer (core/socket.c, socket_connect_peer): a connect whose pipe attaches at
 * once (ZMQ_IMMEDIATE is refused) and whose id is returned, so messages can be queued to a peer before its
 * handshake completes; they are written once it does.
 */
#include "proto/proto.h"
#include "proto/server.h"

const struct proto_ops proto_peer = {
    .type = PROTO_PEER,
    .name = "PEER",
    .size = sizeof(struct server),
    .thread_safe = true,
    .init = server_init,
    .fini = server_fini,
    .attach = server_attach,
    .detach = server_detach,
    .read_activated = server_read_activated,
    .write_activated = server_write_activated,
    .send = server_send,
    .recv = server_recv,
    .has_in = server_has_in,
    .has_out = server_has_out,
};
