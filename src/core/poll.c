/* zmq_poll: a socket is ready when ZMQ_EVENTS says so; its mailbox eventfd only tells us when to look
 * again (it is readable whenever the socket's state may have changed). Plain fds go straight to poll(2). */
#include "core/poll.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "core/mailbox.h"
#include "core/socket.h"
#include "core/util.h"

#define POLL_STACK_ITEMS 32

/* Fills revents for every item; returns how many have any, or -errno. pfds holds poll(2)'s last answer
 * for plain fds. */
static int poll_collect(zmq_pollitem_t *items, int n, struct pollfd *pfds)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        zmq_pollitem_t *it = &items[i];
        it->revents = 0;
        if (it->socket) {
            struct socket *s = it->socket;
            if (s->tag != SOCKET_TAG)
                return -ENOTSOCK;
            int ev = socket_events(s);
            if (ev < 0)
                return ev;
            it->revents = (short)(ev & it->events & (ZMQ_POLLIN | ZMQ_POLLOUT));
        } else {
            short r = pfds[i].revents;
            if (r & POLLIN)
                it->revents |= ZMQ_POLLIN & it->events;
            if (r & POLLOUT)
                it->revents |= ZMQ_POLLOUT & it->events;
            if (r & POLLPRI)
                it->revents |= ZMQ_POLLPRI & it->events;
            if (r & (POLLERR | POLLHUP | POLLNVAL))
                it->revents |= ZMQ_POLLERR & it->events;
            if ((r & POLLHUP) && (it->events & ZMQ_POLLIN))
                it->revents |= ZMQ_POLLIN;
        }
        if (it->revents)
            count++;
    }
    return count;
}

static void poll_prepare(zmq_pollitem_t *items, int n, struct pollfd *pfds)
{
    for (int i = 0; i < n; i++) {
        if (items[i].socket) {
            struct socket *s = items[i].socket;
            pfds[i].fd = s->mbox->fd;
            pfds[i].events = POLLIN;
        } else {
            pfds[i].fd = items[i].fd;
            pfds[i].events = (short)((items[i].events & ZMQ_POLLIN ? POLLIN : 0) |
                                     (items[i].events & ZMQ_POLLOUT ? POLLOUT : 0) |
                                     (items[i].events & ZMQ_POLLPRI ? POLLPRI : 0));
        }
        pfds[i].revents = 0;
    }
}

int poll_items(zmq_pollitem_t *items, int nitems, long timeout_ms)
{
    if (nitems < 0)
        return -EINVAL;
    if (nitems == 0) {
        if (timeout_ms == 0)
            return 0;
        struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000};
        if (timeout_ms < 0)
            return -EFAULT;
        nanosleep(&ts, NULL);
        return 0;
    }
    if (!items)
        return -EFAULT;
    for (int i = 0; i < nitems; i++)
        if (items[i].socket && ((struct socket *)items[i].socket)->tag != SOCKET_TAG)
            return -ENOTSOCK;
    struct pollfd stack[POLL_STACK_ITEMS];
    struct pollfd *pfds = nitems <= POLL_STACK_ITEMS ? stack : malloc((size_t)nitems * sizeof *pfds);
    if (!pfds)
        return -ENOMEM;
    poll_prepare(items, nitems, pfds);
    uint64_t deadline = timeout_ms > 0 ? zn_now_ms() + (uint64_t)timeout_ms : 0;
    int rc;
    for (;;) {
        /* Look without waiting: plain fds through poll(2), sockets through ZMQ_EVENTS. */
        poll_prepare(items, nitems, pfds);
        if (poll(pfds, (nfds_t)nitems, 0) < 0 && errno != EINTR) {
            rc = -errno;
            break;
        }
        rc = poll_collect(items, nitems, pfds);
        if (rc != 0 || timeout_ms == 0)
            break;
        int wait = -1;
        if (timeout_ms > 0) {
            uint64_t now = zn_now_ms();
            if (now >= deadline)
                break;
            wait = (int)(deadline - now);
        }
        /* Then wait for the next change: a socket's mailbox fd or a plain fd becoming ready. */
        poll_prepare(items, nitems, pfds);
        if (poll(pfds, (nfds_t)nitems, wait) < 0 && errno == EINTR) {
            rc = -EINTR;
            break;
        }
    }
    if (pfds != stack)
        free(pfds);
    return rc;
}
