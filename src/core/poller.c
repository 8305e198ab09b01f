/* The poller behind zmq_poller_*: registration is kept in a table between waits, so a wait costs one
 * poll(2) over a ready-made pollfd array plus one socket_events per socket, with no allocation.
 *
 * Invariants:
 *  1. items[0..n) are the registrations, dense and in no particular order (remove moves the last item
 *     into the hole). pfds[i] is what poll(2) waits on for items[i]: a single-threaded socket's readiness
 *     fd (its mailbox eventfd) with POLLIN, or the plain fd with the requested POLLIN/POLLOUT/POLLPRI; its
 *     fd is -1 (ignored by poll) while items[i].events is 0, so a disabled fd reports nothing, not even
 *     POLLHUP, and always for a thread-safe socket (invariant 6 covers those). pfds has room for one
 *     more entry, pfds[n], which a sleeping wait fills with ep_fd.
 *  2. slots is an open-addressing index of items (linear probing, 0 empty, else item index + 1), at most
 *     half full. A socket's key is its address (even), a plain fd's key is fd * 2 + 1, so a socket and an
 *     fd never share a key and each can be registered once.
 *  3. enabled counts the items whose events are not 0, enabled_fds those of them that are plain fds,
 *     enabled_safe those that are thread-safe sockets.
 *  4. A socket is ready only when socket_events says so. Its fd is readable whenever socket_events might
 *     answer differently, except for the caller's own send and recv on it, so every wait first asks
 *     socket_events of every socket (poller_wait's first pass) and then, after blocking, only of those
 *     whose fd fired (for thread-safe sockets: all of them, when ep_fd fired).
 *  5. cursor is where the next report starts: when more items are ready than the caller has room for,
 *     the next wait begins after the last one reported, so no ready item is starved (libzmq always starts
 *     from the first and may report the same subset forever; its manual allows either).
 *  6. Thread-safe sockets (CLIENT, SERVER, and any type whose proto_ops.thread_safe is set): other threads
 *     may drain such a socket's mailbox between our look and our sleep, so its mailbox fd alone would lose
 *     wake-ups. From the first one added, the poller owns wake_fd, an eventfd, and ep_fd, an epoll set
 *     holding wake_fd; both live until poller_destroy (as libzmq's signaler does). While a thread-safe
 *     socket is registered with events, its item's waiter (wake_fd) is on the socket's waiter list
 *     (core/socket_safe.h), so whichever thread runs the socket's commands signals wake_fd, and its
 *     mailbox fd is in ep_fd; with events 0 it is in neither. ep_fd is therefore readable whenever one of
 *     them may have changed since we last looked, provided wake_fd is drained before the look (never
 *     after it): a wait sleeps on ep_fd for all of them, and zmq_poller_fd hands ep_fd out.
 */
#define ZMQ_BUILD_DRAFT_API
#include "core/poller.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/mailbox.h"
#include "core/socket.h"
#include "core/socket_safe.h"
#include "core/util.h"

#define POLLER_EVENTS (ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR | ZMQ_POLLPRI)

struct poller_item {
    struct socket *sock;                /* the socket, or NULL for a plain fd */
    int fd;                             /* the plain fd, or -1 for a socket */
    void *user_data;                    /* handed back with every event, never touched */
    short events;                       /* ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR | ZMQ_POLLPRI, or 0 */
    struct safe_waiter *waiter;         /* a thread-safe socket's: our node on its waiter list
                                         * (invariant 6; owned, at a fixed address); else NULL */
};

struct poller {
    uint32_t tag;                       /* POLLER_TAG while alive */
    struct poller_item *items;          /* invariant 1 */
    struct pollfd *pfds;                /* parallel to items, plus one (invariant 1) */
    size_t n, cap;
    uint32_t *slots;                    /* invariant 2 */
    size_t nslots;                      /* a power of two, or 0 before the first add */
    size_t enabled;                     /* invariant 3 */
    size_t enabled_fds;                 /* invariant 3 */
    size_t enabled_safe;                /* invariant 3 */
    size_t cursor;                      /* invariant 5 */
    int wake_fd;                        /* invariant 6: eventfd, or -1 before the first thread-safe socket */
    int ep_fd;                          /* invariant 6: epoll set, or -1 likewise; zmq_poller_fd */
    bool safe_fired;                    /* the last sleep found ep_fd readable */
};

struct poller *poller_new(void)
{
    struct poller *p = calloc(1, sizeof *p);
    if (p) {
        p->tag = POLLER_TAG;
        p->wake_fd = -1;
        p->ep_fd = -1;
    }
    return p;
}

void poller_destroy(struct poller *p)
{
    p->tag = 0;
    /* Off every waiter list before wake_fd closes: no socket may write to it afterwards. */
    for (size_t i = 0; i < p->n; i++) {
        if (p->items[i].waiter) {
            socket_safe_leave(p->items[i].waiter);
            free(p->items[i].waiter);
        }
    }
    if (p->ep_fd >= 0)
        close(p->ep_fd);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    free(p->items);
    free(p->pfds);
    free(p->slots);
    free(p);
}

uint32_t poller_tag(const struct poller *p)
{
    return p->tag;
}

int poller_size(const struct poller *p)
{
    return (int)p->n;
}

/* ---- the index (invariant 2) ------------------------------------------------------------------------ */

static uintptr_t key_of_socket(const struct socket *s)
{
    return (uintptr_t)s;
}

static uintptr_t key_of_fd(int fd)
{
    return (uintptr_t)(unsigned)fd * 2u + 1u;
}

static uintptr_t item_key(const struct poller_item *it)
{
    return it->sock ? key_of_socket(it->sock) : key_of_fd(it->fd);
}

static size_t key_home(const struct poller *p, uintptr_t key)
{
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15u;
    return (size_t)(h ^ (h >> 29)) & (p->nslots - 1);
}

/* The slot holding key, or nslots when it is not registered. */
static size_t index_find(const struct poller *p, uintptr_t key)
{
    if (!p->nslots)
        return 0;
    size_t mask = p->nslots - 1;
    for (size_t j = key_home(p, key);; j = (j + 1) & mask) {
        if (!p->slots[j])
            return p->nslots;
        if (item_key(&p->items[p->slots[j] - 1]) == key)
            return j;
    }
}

static void index_put(struct poller *p, size_t item)
{
    size_t mask = p->nslots - 1;
    size_t j = key_home(p, item_key(&p->items[item]));
    while (p->slots[j])
        j = (j + 1) & mask;
    p->slots[j] = (uint32_t)item + 1;
}

/* Empties slot `hole`, moving later entries of its probe run back so every key stays reachable. */
static void index_delete(struct poller *p, size_t hole)
{
    size_t mask = p->nslots - 1;
    for (size_t j = (hole + 1) & mask; p->slots[j]; j = (j + 1) & mask) {
        size_t home = key_home(p, item_key(&p->items[p->slots[j] - 1]));
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            p->slots[hole] = p->slots[j];
            hole = j;
        }
    }
    p->slots[hole] = 0;
}

/* Room for one more item: the arrays grow by doubling, the index stays at most half full. */
static int poller_reserve(struct poller *p)
{
    if (p->n == p->cap) {
        if (p->cap >= UINT32_MAX / 4)
            return -ENOMEM;
        size_t cap = p->cap ? p->cap * 2 : 8;
        struct poller_item *items = realloc(p->items, cap * sizeof *items);
        if (!items)
            return -ENOMEM;
        p->items = items;
        struct pollfd *pfds = realloc(p->pfds, (cap + 1) * sizeof *pfds);
        if (!pfds)
            return -ENOMEM;
        p->pfds = pfds;
        p->cap = cap;
    }
    if (2 * (p->n + 1) > p->nslots) {
        size_t nslots = p->nslots ? p->nslots * 2 : 16;
        uint32_t *slots = calloc(nslots, sizeof *slots);
        if (!slots)
            return -ENOMEM;
        free(p->slots);
        p->slots = slots;
        p->nslots = nslots;
        for (size_t i = 0; i < p->n; i++)
            index_put(p, i);
    }
    return 0;
}

/* ---- thread-safe sockets (invariant 6) -------------------------------------------------------------- */

/* Makes wake_fd and ep_fd on the first thread-safe socket: 0 or -errno (EMFILE, ENFILE, ENOMEM). */
static int poller_safe_open(struct poller *p)
{
    if (p->ep_fd >= 0)
        return 0;
    int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake < 0)
        return -errno;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev) < 0) {
        int err = errno;
        if (ep >= 0)
            close(ep);
        close(wake);
        return -err;
    }
    p->wake_fd = wake;
    p->ep_fd = ep;
    return 0;
}

/* Starts (on) or stops following a thread-safe socket: its mailbox fd in ep_fd, our waiter on its list.
 * 0 or -errno (epoll refused the fd: ENOMEM, ENOSPC); stopping cannot fail. */
static int poller_safe_follow(struct poller *p, struct poller_item *it, bool on)
{
    int mbox_fd = it->sock->mbox->fd;
    if (!on) {
        socket_safe_leave(it->waiter);
        (void)epoll_ctl(p->ep_fd, EPOLL_CTL_DEL, mbox_fd, NULL);
        return 0;
    }
    struct epoll_event ev = {.events = EPOLLIN};
    if (epoll_ctl(p->ep_fd, EPOLL_CTL_ADD, mbox_fd, &ev) < 0)
        return -errno;
    socket_safe_join(&it->sock->safe, it->waiter);
    return 0;
}

/* ---- registration ----------------------------------------------------------------------------------- */

/* Sets pfds[i] from items[i] (invariant 1), follows a thread-safe socket while it has events (invariant
 * 6) and keeps the enabled counts (invariant 3). 0, or -errno with nothing changed. */
static int poller_set_events(struct poller *p, size_t i, short events)
{
    struct poller_item *it = &p->items[i];
    struct pollfd *pfd = &p->pfds[i];
    bool was = it->events != 0, now = events != 0;
    if (it->waiter && was != now) {
        int rc = poller_safe_follow(p, it, now);
        if (rc < 0)
            return rc;
        p->enabled_safe += now ? 1 : (size_t)-1;
    }
    p->enabled += (size_t)now - (size_t)was;
    if (!it->sock)
        p->enabled_fds += (size_t)now - (size_t)was;
    it->events = events;
    pfd->revents = 0;
    if (!events || it->waiter) {
        pfd->fd = -1;
        pfd->events = 0;
    } else if (it->sock) {
        pfd->fd = it->sock->mbox->fd;
        pfd->events = POLLIN;
    } else {
        pfd->fd = it->fd;
        pfd->events = (short)((events & ZMQ_POLLIN ? POLLIN : 0) | (events & ZMQ_POLLOUT ? POLLOUT : 0) |
                              (events & ZMQ_POLLPRI ? POLLPRI : 0));
    }
    return 0;
}

/* A thread-safe socket's item needs the poller's fds and a waiter of its own: 0 or -errno. */
static int poller_safe_item(struct poller *p, struct socket *s, struct safe_waiter **waiter)
{
    *waiter = NULL;
    if (!s || !s->safe.on)
        return 0;
    int rc = poller_safe_open(p);
    if (rc < 0)
        return rc;
    *waiter = calloc(1, sizeof **waiter);
    if (!*waiter)
        return -ENOMEM;
    (*waiter)->fd = p->wake_fd;
    return 0;
}

static int poller_insert(struct poller *p, struct socket *s, int fd, void *user_data, short events)
{
    if (events & ~POLLER_EVENTS)
        return -EINVAL;
    uintptr_t key = s ? key_of_socket(s) : key_of_fd(fd);
    if (index_find(p, key) != p->nslots)
        return -EINVAL;
    int rc = poller_reserve(p);
    struct safe_waiter *waiter = NULL;
    if (rc == 0)
        rc = poller_safe_item(p, s, &waiter);
    if (rc < 0)
        return rc;
    size_t i = p->n++;
    p->items[i] = (struct poller_item){
        .sock = s, .fd = s ? -1 : fd, .user_data = user_data, .events = 0, .waiter = waiter};
    p->pfds[i] = (struct pollfd){.fd = -1};
    rc = poller_set_events(p, i, events);
    if (rc < 0) {
        p->n--;
        free(waiter);
        return rc;
    }
    index_put(p, i);
    return 0;
}

static int poller_change(struct poller *p, uintptr_t key, short events)
{
    if (events & ~POLLER_EVENTS)
        return -EINVAL;
    size_t slot = index_find(p, key);
    if (slot == p->nslots)
        return -EINVAL;
    return poller_set_events(p, p->slots[slot] - 1, events);
}

/* Removes the item in `slot`; the last item takes its place in the arrays and in the index. */
static int poller_delete(struct poller *p, uintptr_t key)
{
    size_t slot = index_find(p, key);
    if (slot == p->nslots)
        return -EINVAL;
    size_t i = p->slots[slot] - 1;
    size_t last = p->n - 1;
    (void)poller_set_events(p, i, 0);   /* to 0: cannot fail; stops following a thread-safe socket */
    free(p->items[i].waiter);
    index_delete(p, slot);
    if (i != last) {
        p->items[i] = p->items[last];
        p->pfds[i] = p->pfds[last];
        p->slots[index_find(p, item_key(&p->items[i]))] = (uint32_t)i + 1;
    }
    p->n = last;
    if (p->cursor >= p->n)
        p->cursor = 0;
    return 0;
}

int poller_add(struct poller *p, struct socket *s, void *user_data, short events)
{
    return poller_insert(p, s, -1, user_data, events);
}

int poller_modify(struct poller *p, struct socket *s, short events)
{
    return poller_change(p, key_of_socket(s), events);
}

int poller_remove(struct poller *p, struct socket *s)
{
    return poller_delete(p, key_of_socket(s));
}

int poller_add_fd(struct poller *p, int fd, void *user_data, short events)
{
    return poller_insert(p, NULL, fd, user_data, events);
}

int poller_modify_fd(struct poller *p, int fd, short events)
{
    return poller_change(p, key_of_fd(fd), events);
}

int poller_remove_fd(struct poller *p, int fd)
{
    return poller_delete(p, key_of_fd(fd));
}

/* ---- waiting ---------------------------------------------------------------------------------------- */

/* A plain fd's events from poll(2)'s answer, as libzmq maps them: anything beyond POLLIN, POLLOUT and
 * POLLPRI (POLLERR, POLLHUP, POLLNVAL) is ZMQ_POLLERR, reported whether asked for or not. */
static short fd_events(short revents)
{
    short ev = 0;
    if (revents & POLLIN)
        ev |= ZMQ_POLLIN;
    if (revents & POLLOUT)
        ev |= ZMQ_POLLOUT;
    if (revents & POLLPRI)
        ev |= ZMQ_POLLPRI;
    if (revents & ~(POLLIN | POLLOUT | POLLPRI))
        ev |= ZMQ_POLLERR;
    return ev;
}

/* What item i has to report now (0: nothing), or -ETERM. all: ask every socket, not only those whose fd
 * fired in the last poll (invariant 4). */
static int item_ready(struct poller *p, size_t i, bool all)
{
    struct poller_item *it = &p->items[i];
    if (!it->events)
        return 0;
    if (!it->sock)
        return fd_events(p->pfds[i].revents);
    if (!all && !(it->waiter ? p->safe_fired : p->pfds[i].revents))
        return 0;
    int ev = socket_events(it->sock);
    return ev < 0 ? ev : ev & it->events & (ZMQ_POLLIN | ZMQ_POLLOUT);
}

/* Fills events[0..n_events) from the items, starting at the cursor (invariant 5): how many, or -ETERM. */
static int poller_collect(struct poller *p, zmq_poller_event_t *events, int n_events, bool all)
{
    int found = 0;
    size_t i = p->cursor < p->n ? p->cursor : 0;
    for (size_t k = 0; k < p->n && found < n_events; k++, i = i + 1 < p->n ? i + 1 : 0) {
        int ev = item_ready(p, i, all);
        if (ev < 0)
            return ev;
        if (!ev)
            continue;
        const struct poller_item *it = &p->items[i];
        events[found++] = (zmq_poller_event_t){
            .socket = it->sock, .fd = it->fd, .user_data = it->user_data, .events = (short)ev};
        if (found == n_events)
            p->cursor = i + 1 < p->n ? i + 1 : 0;
    }
    return found;
}

/* poll(2) over every item, and over ep_fd too when sleeping with thread-safe sockets enabled (invariant
 * 6; it fired: wake_fd is drained before anyone looks): 0, -EINTR or -ENOMEM. */
static int poller_poll(struct poller *p, int timeout_ms)
{
    bool safe = timeout_ms != 0 && p->enabled_safe;
    p->pfds[p->n] = (struct pollfd){.fd = p->ep_fd, .events = POLLIN};
    if (poll(p->pfds, (nfds_t)p->n + safe, timeout_ms) < 0)
        return errno == EINTR ? -EINTR : -errno;
    p->safe_fired = safe && p->pfds[p->n].revents;
    if (p->safe_fired)
        socket_safe_drain(p->wake_fd);
    return 0;
}

/* Nothing could ever be reported: libzmq refuses to block forever (EFAULT) and otherwise lets the
 * timeout pass (EAGAIN). */
static int poller_wait_idle(long timeout_ms)
{
    if (timeout_ms < 0)
        return -EFAULT;
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000};
    if (timeout_ms > 0 && nanosleep(&ts, NULL) < 0)
        return -EINTR;
    return -EAGAIN;
}

int poller_wait(struct poller *p, zmq_poller_event_t *events, int n_events, long timeout_ms)
{
    if (!p->enabled || n_events == 0)
        return poller_wait_idle(timeout_ms);
    uint64_t deadline = timeout_ms > 0 ? zn_now_ms() + (uint64_t)timeout_ms : 0;
    /* First pass: plain fds through poll(2) without waiting (no system call when there are none), every
     * socket through socket_events, after draining wake_fd (a change after the look signals it anew). */
    if (p->enabled_safe)
        socket_safe_drain(p->wake_fd);
    int rc = p->enabled_fds ? poller_poll(p, 0) : 0;
    int found = rc < 0 ? rc : poller_collect(p, events, n_events, true);
    while (found == 0) {
        int wait_ms = -1;
        if (timeout_ms == 0)
            return -EAGAIN;
        if (timeout_ms > 0) {
            uint64_t now = zn_now_ms();
            if (now >= deadline)
                return -EAGAIN;
            wait_ms = deadline - now > INT32_MAX ? INT32_MAX : (int)(deadline - now);
        }
        /* Then sleep until a plain fd is ready or a socket's fd (or ep_fd) says to ask it again. */
        rc = poller_poll(p, wait_ms);
        found = rc < 0 ? rc : poller_collect(p, events, n_events, false);
    }
    return found;
}

int poller_fd(struct poller *p, int *fd)
{
    if (p->ep_fd < 0)
        return -EINVAL;   /* no thread-safe socket was ever added (invariant 6) */
    *fd = p->ep_fd;
    return 0;
}
