/* The public zinc_socket_stats, zinc_socket_peers and zinc_ctx_stats_serve (zinc only): each checks its arguments, calls
 * core/stats.c and sets errno from the negative code it gets back. Nothing else happens here. */
#include <errno.h>
#include <string.h>

#include <zmq.h>

#include "core/ctx.h"
#include "core/socket.h"
#include "core/stats_server.h"

static int stats_fail(int err)
{
    errno = err;
    return -1;
}

static struct socket *as_stats_socket(void *p)
{
    struct socket *s = p;
    return s && s->tag == SOCKET_TAG ? s : NULL;
}

int zinc_socket_stats(void *socket, zinc_socket_stats_t *stats, size_t size)
{
    struct socket *s = as_stats_socket(socket);
    if (!s)
        return stats_fail(ENOTSOCK);
    if (!stats)
        return stats_fail(EFAULT);
    if (size < sizeof(uint64_t))
        return stats_fail(EINVAL);
    zinc_socket_stats_t st;
    int rc = stats_socket_locked(s, &st);
    if (rc < 0)
        return stats_fail(-rc);
    size_t n = size < sizeof st ? size : sizeof st;
    memcpy(stats, &st, n);
    return (int)n;
}

int zinc_socket_peers(void *socket, zinc_peer_stats_t *peers, int count)
{
    struct socket *s = as_stats_socket(socket);
    if (!s)
        return stats_fail(ENOTSOCK);
    if (count < 0)
        return stats_fail(EINVAL);
    if (!peers && count > 0)
        return stats_fail(EFAULT);
    int rc = stats_peers_locked(s, peers, count);
    return rc < 0 ? stats_fail(-rc) : rc;
}

int zinc_ctx_stats_serve(void *context, const char *endpoint)
{
    struct ctx *c = context;
    if (!c || c->tag != CTX_TAG)
        return stats_fail(EFAULT);
    if (!endpoint)
        return stats_fail(EINVAL);
    int rc = stats_server_start(c, endpoint);
    return rc < 0 ? stats_fail(-rc) : 0;
}
