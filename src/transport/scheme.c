/* Endpoint strings before any transport sees them: "scheme://address" syntax and libzmq 4.3.4's errno for
 * each failure (EINVAL for a malformed string, EPROTONOSUPPORT for an unknown scheme, ENOCOMPATPROTO for a
 * multicast or datagram scheme the socket type cannot use), and the canonical form a tcp endpoint is known
 * by for zmq_unbind/zmq_disconnect. udp:// exists for RADIO and DISH only (transport/udp.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "proto/proto.h"
#include "transport/tcp_addr.h"
#include "transport/transport.h"

/* Schemes libzmq knows that zinc does not implement, and the socket types libzmq allows on them. */
static bool multicast_type(int type)
{
    return type == ZMQ_PUB || type == ZMQ_SUB || type == ZMQ_XPUB || type == ZMQ_XSUB;
}

static int foreign_scheme_error(const char *scheme, size_t n, int type)
{
    static const char *const multicast[] = {"pgm", "epgm", "norm"};
    for (size_t i = 0; i < sizeof multicast / sizeof multicast[0]; i++)
        if (strlen(multicast[i]) == n && strncmp(scheme, multicast[i], n) == 0)
            return multicast_type(type) ? -EPROTONOSUPPORT : -ENOCOMPATPROTO;
    return -EPROTONOSUPPORT;
}

int transport_parse(const char *uri, int type, const struct transport_ops **tp, const char **addr)
{
    if (!uri)
        return -EINVAL;
    const char *sep = strstr(uri, "://");
    if (!sep || sep == uri || sep[3] == 0)
        return -EINVAL;
    *tp = transport_find(uri, addr);
    if (!*tp)
        return foreign_scheme_error(uri, (size_t)(sep - uri), type);
    /* udp is for RADIO/DISH only (libzmq's DGRAM too, which zinc does not have) */
    if (*tp == &transport_udp && type != PROTO_RADIO && type != PROTO_DISH)
        return -ENOCOMPATPROTO;
    return 0;
}

int transport_tcp_canonical(const char *addr, bool ipv6, char *out, size_t cap)
{
    struct tcp_target t;
    int rc = tcp_addr_resolve(addr, ipv6, false, &t);
    if (rc < 0)
        rc = tcp_addr_resolve(addr, ipv6, true, &t);
    if (rc < 0)
        return rc;
    tcp_addr_format(&t.dst, out, cap);
    return 0;
}
