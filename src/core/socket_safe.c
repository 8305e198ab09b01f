/* Thread-safe sockets: the socket mutex, the waiter list and the per-thread eventfd (see socket_safe.h
 * for the protocol and its invariants). */
#include "core/socket_safe.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/util.h"

static pthread_once_t thread_fd_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_fd_key;
static bool thread_fd_key_ok;

/* The key holds fd + 1, so that a thread without one reads NULL. */
static void thread_fd_close(void *v)
{
    close((int)((intptr_t)v - 1));
}

static void thread_fd_key_make(void)
{
    thread_fd_key_ok = pthread_key_create(&thread_fd_key, thread_fd_close) == 0;
}

int socket_safe_thread_fd(void)
{
    pthread_once(&thread_fd_once, thread_fd_key_make);
    if (!thread_fd_key_ok)
        return -ENOMEM;
    void *v = pthread_getspecific(thread_fd_key);
    if (v)
        return (int)((intptr_t)v - 1);
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (pthread_setspecific(thread_fd_key, (void *)(intptr_t)(fd + 1)) != 0) {
        close(fd);
        return -ENOMEM;
    }
    return fd;
}

int socket_safe_init(struct socket_safe *ss, bool on)
{
    ss->on = false;
    ss->waiters = NULL;
    if (!on)
        return 0;
    int rc = pthread_mutex_init(&ss->lock, NULL);
    if (rc != 0)
        return -rc;
    ss->on = true;
    return 0;
}

void socket_safe_fini(struct socket_safe *ss)
{
    /* Invariant 4: waiters still listed (a poller that was not told) forget this socket. */
    while (ss->waiters)
        socket_safe_unwatch(ss, ss->waiters);
    if (ss->on)
        pthread_mutex_destroy(&ss->lock);
    ss->on = false;
}

void socket_safe_changed(struct socket_safe *ss)
{
    uint64_t one = 1;
    for (struct safe_waiter *w = ss->waiters; w; w = w->next) {
        ssize_t n = write(w->fd, &one, sizeof one);
        (void)n;   /* EAGAIN: the counter is saturated, so it is readable anyway */
    }
}

void socket_safe_watch(struct socket_safe *ss, struct safe_waiter *w)
{
    w->ss = ss;
    w->prev = NULL;
    w->next = ss->waiters;
    if (ss->waiters)
        ss->waiters->prev = w;
    ss->waiters = w;
}

void socket_safe_unwatch(struct socket_safe *ss, struct safe_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        ss->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    w->ss = NULL;
}

void socket_safe_join(struct socket_safe *ss, struct safe_waiter *w)
{
    pthread_mutex_lock(&ss->lock);
    socket_safe_watch(ss, w);
    pthread_mutex_unlock(&ss->lock);
}

void socket_safe_leave(struct safe_waiter *w)
{
    struct socket_safe *ss = w->ss;
    if (!ss)
        return;
    pthread_mutex_lock(&ss->lock);
    socket_safe_unwatch(ss, w);
    pthread_mutex_unlock(&ss->lock);
}

void socket_safe_drain(int fd)
{
    uint64_t v;
    ssize_t n = read(fd, &v, sizeof v);
    (void)n;   /* EAGAIN: nothing was signalled */
}

int socket_safe_wait(struct socket_safe *ss, int mbox_fd, int timeout_ms)
{
    int fd = socket_safe_thread_fd();
    if (fd < 0)
        return fd;
    struct safe_waiter w = {.fd = fd};
    socket_safe_watch(ss, &w);
    pthread_mutex_unlock(&ss->lock);
    struct pollfd pfd[2] = {{.fd = mbox_fd, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    int rc = poll(pfd, 2, timeout_ms);
    int err = errno;
    pthread_mutex_lock(&ss->lock);
    socket_safe_unwatch(ss, &w);
    socket_safe_drain(fd);
    if (rc < 0)
        return err == EINTR ? -EINTR : -err;
    return rc > 0 && (pfd[0].revents & POLLIN) ? 1 : 0;
}
