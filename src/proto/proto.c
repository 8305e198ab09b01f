/* The table of socket types, indexed by libzmq's socket type numbers. */
#include <stddef.h>

#include <zmq.h>

#include "proto/proto.h"

extern const struct proto_ops proto_pair, proto_push, proto_pull;
extern const struct proto_ops proto_req, proto_rep, proto_dealer, proto_router, proto_stream;
extern const struct proto_ops proto_pub, proto_sub, proto_xpub, proto_xsub;
extern const struct proto_ops proto_server, proto_client;
extern const struct proto_ops proto_gather, proto_scatter, proto_peer, proto_channel;
extern const struct proto_ops proto_radio, proto_dish;

const struct proto_ops *proto_find(int type)
{
    switch (type) {
    case ZMQ_PAIR: return &proto_pair;
    case ZMQ_PUSH: return &proto_push;
    case ZMQ_PULL: return &proto_pull;
    case ZMQ_PUB: return &proto_pub;
    case ZMQ_SUB: return &proto_sub;
    case ZMQ_REQ: return &proto_req;
    case ZMQ_REP: return &proto_rep;
    case ZMQ_DEALER: return &proto_dealer;
    case ZMQ_ROUTER: return &proto_router;
    case ZMQ_XPUB: return &proto_xpub;
    case ZMQ_XSUB: return &proto_xsub;
    case ZMQ_STREAM: return &proto_stream;
    case PROTO_SERVER: return &proto_server;
    case PROTO_CLIENT: return &proto_client;
    case PROTO_GATHER: return &proto_gather;
    case PROTO_SCATTER: return &proto_scatter;
    case PROTO_PEER: return &proto_peer;
    case PROTO_CHANNEL: return &proto_channel;
    case PROTO_RADIO: return &proto_radio;
    case PROTO_DISH: return &proto_dish;
    default: return NULL;
    }
}
