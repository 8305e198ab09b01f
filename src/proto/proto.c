/* The table of socket types, indexed by libzmq's socket type numbers. */
#include <stddef.h>

#include <zmq.h>

#include "proto/proto.h"

extern const struct proto_ops proto_pair, proto_push, proto_pull;
/* Weak so each socket type can land in its own file without touching this table again. */
extern const struct proto_ops proto_pub __attribute__((weak)), proto_sub __attribute__((weak)),
    proto_req __attribute__((weak)), proto_rep __attribute__((weak)), proto_dealer __attribute__((weak)),
    proto_router __attribute__((weak)), proto_xpub __attribute__((weak)), proto_xsub __attribute__((weak)),
    proto_stream __attribute__((weak));

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
    default: return NULL;
    }
}
