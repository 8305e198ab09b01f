/* The draft API's monitor entry points (zmq_socket_monitor_versioned, zmq_socket_monitor_pipes_stats): like
 * src/zmq.c, each checks its handle, calls inward (core/monitor.c) and sets errno from the negative code
 * it gets back. Nothing else lives here. */
#define ZMQ_BUILD_DRAFT_API
#include <errno.h>

#include <zmq.h>

#include "core/monitor.h"
#include "core/socket.h"
#include "zmq_edge.h"

int zmq_socket_monitor_versioned(void *socket_, const char *endpoint_, uint64_t events_, int event_version_,
                                 int type_)
{
    struct socket *s = api_socket(socket_);
    if (!s)
        return api_fail(ENOTSOCK);
    return api_rc(monitor_start_versioned(s, endpoint_, events_, event_version_, type_));
}

int zmq_socket_monitor_pipes_stats(void *socket_)
{
    struct socket *s = api_socket(socket_);
    if (!s)
        return api_fail(ENOTSOCK);
    return api_rc(monitor_pipes_stats(s));
}
