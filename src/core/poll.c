/* zmq_poll: a socket is ready when ZMQ_EVENTS says so; its mailbox eventfd only tells us when to look
 * again (it is readable whenever the socket's state may have changed). Plain fds go straight to poll(2).
 * A thread-safe socket's mailbox may be drained by another thread between our look and our sleep, so for
 * those we also register this thread's eventfd as a waiter (core/socket_safe.h) for the whole call, and
 * sleep on it too: as libzmq 4.3 (which polls such sockets through its zmq_poller), they just work. */
#include "core/poll.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
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

/* Registers (on) or unregisters this thread as a waiter on every thread-safe socket among the items. */
static void poll_watch(zmq_pollitem_t *items, int n, struct safe_waiter *w, bool on)
{
    for (int i = 0; i < n; i++) {
        struct socket *s = items[i].socket;
        if (!s || !s->safe.on)
            continue;
        socket_safe_lock(&s->safe);
        if (on)
            socket_safe_watch(&s->safe, &w[i]);
        else
            socket_safe_unwatch(&s->safe, &w[i]);
        socket_safe_unlock(&s->safe);
    }
}

/* The calling thread's eventfd if any item is a thread-safe socket; -1 if none; -errno. */
static int poll_safe_fd(zmq_pollitem_t *items, int n)
{
    for (int i = 0; i < n; i++)
        if (items[i].socket && ((struct socket *)items[i].socket)->safe.on)
            return socket_safe_thread_fd();
    return -1;
}

static int poll_loop(zmq_pollitem_t *items, int nitems, long timeout_ms, struct pollfd *pfds, int safe_fd);

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
    int safe_fd = poll_safe_fd(items, nitems);
    if (safe_fd < -1)
        return safe_fd;
    struct pollfd stack[POLL_STACK_ITEMS + 1];
    struct safe_waiter wstack[POLL_STACK_ITEMS];
    bool small = nitems <= POLL_STACK_ITEMS;
    struct pollfd *pfds = small ? stack : malloc((size_t)(nitems + 1) * sizeof *pfds);
    struct safe_waiter *w = small || safe_fd < 0 ? wstack : calloc((size_t)nitems, sizeof *w);
    int rc = -ENOMEM;
    if (pfds && w) {
        for (int i = 0; safe_fd >= 0 && i < nitems; i++)
            w[i].fd = safe_fd;
        if (safe_fd >= 0)
            poll_watch(items, nitems, w, true);
        rc = poll_loop(items, nitems, timeout_ms, pfds, safe_fd);
        if (safe_fd >= 0) {
            poll_watch(items, nitems, w, false);
            socket_safe_drain(safe_fd);
        }
    }
    if (pfds != stack)
        free(pfds);
    if (w != wstack)
        free(w);
    return rc;
}

/* Looks, then sleeps until something may have changed, until an item is ready or the time is up. pfds has
 * room for nitems + 1: the last is this thread's waiter eventfd when safe_fd >= 0. */
static int poll_loop(zmq_pollitem_t *items, int nitems, long timeout_ms, struct pollfd *pfds, int safe_fd)
{
    nfds_t nfds = (nfds_t)nitems + (safe_fd >= 0);
    pfds[nitems] = (struct pollfd){.fd = safe_fd, .events = POLLIN};
    uint64_t deadline = timeout_ms > 0 ? zn_now_ms() + (uint64_t)timeout_ms : 0;
    int rc;
    for (;;) {
        /* Look without waiting: plain fds through poll(2), sockets through ZMQ_EVENTS. A change after this
         * look signals safe_fd again. */
        if (safe_fd >= 0)
            socket_safe_drain(safe_fd);
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
        if (poll(pfds, nfds, wait) < 0 && errno == EINTR) {
            rc = -EINTR;
            break;
        }
    }
    return rc;
}
