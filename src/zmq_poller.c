/* The public zmq_poller_* functions (libzmq's draft poller): each checks its handles in libzmq's order
 * (EFAULT for the poller, then ENOTSOCK or EBADF), calls core/poller.c, and sets errno from the negative
 * code it gets back. Nothing else happens here. */
#define ZMQ_BUILD_DRAFT_API
#include <errno.h>

#include <zmq.h>

#include "core/poller.h"
#include "core/socket.h"
#include "zmq_edge.h"

static struct poller *as_poller(void *p)
{
    struct poller *pl = p;
    return pl && poller_tag(pl) == POLLER_TAG ? pl : NULL;
}

void *zmq_poller_new(void)
{
    struct poller *p = poller_new();
    if (!p)
        errno = ENOMEM;
    return p;
}

int zmq_poller_destroy(void **poller_p)
{
    struct poller *p = poller_p ? as_poller(*poller_p) : NULL;
    if (!p)
        return api_fail(EFAULT);
    poller_destroy(p);
    *poller_p = NULL;
    return 0;
}

int zmq_poller_size(void *poller)
{
    struct poller *p = as_poller(poller);
    return p ? poller_size(p) : api_fail(EFAULT);
}

int zmq_poller_add(void *poller, void *socket, void *user_data, short events)
{
    struct poller *p = as_poller(poller);
    struct socket *s = api_socket(socket);
    if (!p)
        return api_fail(EFAULT);
    return s ? api_rc(poller_add(p, s, user_data, events)) : api_fail(ENOTSOCK);
}

int zmq_poller_modify(void *poller, void *socket, short events)
{
    struct poller *p = as_poller(poller);
    struct socket *s = api_socket(socket);
    if (!p)
        return api_fail(EFAULT);
    return s ? api_rc(poller_modify(p, s, events)) : api_fail(ENOTSOCK);
}

int zmq_poller_remove(void *poller, void *socket)
{
    struct poller *p = as_poller(poller);
    struct socket *s = api_socket(socket);
    if (!p)
        return api_fail(EFAULT);
    return s ? api_rc(poller_remove(p, s)) : api_fail(ENOTSOCK);
}

int zmq_poller_add_fd(void *poller, zmq_fd_t fd, void *user_data, short events)
{
    struct poller *p = as_poller(poller);
    if (!p)
        return api_fail(EFAULT);
    return fd >= 0 ? api_rc(poller_add_fd(p, fd, user_data, events)) : api_fail(EBADF);
}

int zmq_poller_modify_fd(void *poller, zmq_fd_t fd, short events)
{
    struct poller *p = as_poller(poller);
    if (!p)
        return api_fail(EFAULT);
    return fd >= 0 ? api_rc(poller_modify_fd(p, fd, events)) : api_fail(EBADF);
}

int zmq_poller_remove_fd(void *poller, zmq_fd_t fd)
{
    struct poller *p = as_poller(poller);
    if (!p)
        return api_fail(EFAULT);
    return fd >= 0 ? api_rc(poller_remove_fd(p, fd)) : api_fail(EBADF);
}

int zmq_poller_wait_all(void *poller, zmq_poller_event_t *events, int n_events, long timeout)
{
    struct poller *p = as_poller(poller);
    if (!p || !events)
        return api_fail(EFAULT);
    if (n_events < 0)
        return api_fail(EINVAL);
    return api_rc(poller_wait(p, events, n_events, timeout));
}

/* One event; 0 on success. On failure the event is cleared, as libzmq does. */
int zmq_poller_wait(void *poller, zmq_poller_event_t *event, long timeout)
{
    int rc = zmq_poller_wait_all(poller, event, 1, timeout);
    if (rc < 0 && event)
        *event = (zmq_poller_event_t){.socket = NULL, .fd = -1, .user_data = NULL, .events = 0};
    return rc < 0 ? -1 : 0;
}

int zmq_poller_fd(void *poller, zmq_fd_t *fd)
{
    struct poller *p = as_poller(poller);
    if (!p || !fd)
        return api_fail(EFAULT);
    return api_rc(poller_fd(p, fd));
}
