/* What every src/zmq*.c edge file shares: turning an internal result into the API's convention (-1 with
 * errno set, the only place errno is set for callers) and checking a socket handle. Tiny and stable:
 * several edge files include it, so add to it only what all of them need.
 *
 * Invariant: internal functions return >= 0 or -errno; errno is written here and nowhere else. */
#ifndef ZINC_ZMQ_EDGE_H
#define ZINC_ZMQ_EDGE_H

#include <errno.h>
#include <stddef.h>

#include "core/socket.h"

/* -1 with errno = err. */
static inline int api_fail(int err)
{
    errno = err;
    return -1;
}

/* An internal result (>= 0, or -errno) as the API returns it. */
static inline int api_rc(int rc)
{
    return rc < 0 ? api_fail(-rc) : rc;
}

/* The live socket behind a handle, or NULL (the caller fails with ENOTSOCK). */
static inline struct socket *api_socket(void *p)
{
    struct socket *s = p;
    return s && s->tag == SOCKET_TAG ? s : NULL;
}

#endif
