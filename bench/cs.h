/* What csthr and cslat share: the socket pair under test, chosen by -p. `-p client` is the draft API's
 * CLIENT/SERVER (RFC 41: thread-safe, single-frame messages, the SERVER names a peer by a 32-bit routing
 * id carried in the message); `-p dealer` (the default) the classic DEALER/ROUTER doing the same work (the
 * ROUTER names a peer by an id frame before the body). Debian's libzmq 4.3.4 is built without the draft
 * API, so the _libzmq binaries skip `-p client` (CMake defines BENCH_DRAFT_API for the _zinc ones only). */
#ifndef BENCH_CS_H
#define BENCH_CS_H

#ifdef BENCH_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif
#include <zmq.h>

#include "bench.h"

/* Skips the run before anything starts when this build cannot make the pair asked for. */
static inline void cs_require(const struct bench_args *args)
{
#ifndef BENCH_DRAFT_API
    if (args->client_server)
        bench_skip("CLIENT/SERVER need libzmq's draft API; this libzmq was built without it");
#else
    (void)args;
#endif
}

/* The binding end's socket (server: SERVER or ROUTER) or the connecting end's (CLIENT or DEALER). */
static inline void *cs_socket(struct bench_end *end, int server)
{
    int type = server ? ZMQ_ROUTER : ZMQ_DEALER;
#ifdef BENCH_DRAFT_API
    if (end->args->client_server)
        type = server ? ZMQ_SERVER : ZMQ_CLIENT;
#endif
    void *s = zmq_socket(end->ctx, type);
    if (!s)
        bench_check(-1, "zmq_socket %d", type);
    return s;
}

/* Where a reply goes: the SERVER's routing id, or the ROUTER's id frame. */
struct cs_route {
    uint32_t routing_id;
    zmq_msg_t id;
};

/* Receives one request on the server end into body, with its route (a ROUTER's id frame is kept in
 * route->id, which the caller initialised). */
static inline void cs_server_recv(const struct bench_args *args, void *server, zmq_msg_t *body,
                                  struct cs_route *route)
{
#ifdef BENCH_DRAFT_API
    if (args->client_server) {
        bench_check(bench_msg_recv(body, server, 0), "zmq_msg_recv");
        route->routing_id = zmq_msg_routing_id(body);
        return;
    }
#else
    (void)args;
#endif
    bench_check(bench_msg_recv(&route->id, server, 0), "zmq_msg_recv (id)");
    if (!zmq_msg_more(&route->id))
        bench_fail("a ROUTER message without its body");
    bench_check(bench_msg_recv(body, server, 0), "zmq_msg_recv");
}

/* Sends body back along route (body is handed over; a ROUTER's id frame is copied, route keeps it). */
static inline void cs_server_send(const struct bench_args *args, void *server, zmq_msg_t *body,
                                  struct cs_route *route)
{
#ifdef BENCH_DRAFT_API
    if (args->client_server) {
        bench_check(zmq_msg_set_routing_id(body, route->routing_id), "zmq_msg_set_routing_id");
        bench_check(bench_msg_send(body, server, 0), "zmq_msg_send");
        return;
    }
#else
    (void)args;
#endif
    zmq_msg_t id;
    zmq_msg_init(&id);
    bench_check(zmq_msg_copy(&id, &route->id), "zmq_msg_copy");
    bench_check(bench_msg_send(&id, server, ZMQ_SNDMORE), "zmq_msg_send (id)");
    bench_check(bench_msg_send(body, server, 0), "zmq_msg_send");
}

static inline const char *cs_pattern(const struct bench_args *args)
{
    return args->client_server ? "client/server" : "dealer/router";
}

#endif
