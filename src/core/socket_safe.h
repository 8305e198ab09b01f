/* Thread-safe sockets (CLIENT, SERVER): what lets several application threads use one socket at once.
 * Every operation on such a socket runs under the socket's mutex, and nothing sleeps while holding it: a
 * thread that must block registers a waiter, lets go of the mutex and sleeps in poll(2) on the socket's
 * mailbox eventfd and its own thread's eventfd. Whoever changes the socket's state (runs its commands,
 * attaches a pipe) signals every registered waiter's eventfd, so a waiter never sleeps through a change
 * another thread made after it last looked, even when that thread drained the mailbox eventfd first.
 *
 * Invariants:
 *  1. s->safe.waiters is touched only under s->safe.lock; a waiter is on the list from the moment its
 *     thread last looked at the socket's state (under the lock) until it looks again (under the lock).
 *  2. A waiter's eventfd belongs to its thread (one per thread, closed when the thread exits); it is
 *     signalled only while registered, and drained only by its thread, either before it looks at the
 *     socket's state again (a change after the look signals it anew) or after unregistering.
 *  3. For a socket that is not thread-safe every function here is a no-op but socket_safe_wait, which
 *     is never called for it.
 *  4. A waiter may also stay registered across calls (a poller's, core/poller.c: its fd is the poller's,
 *     not a thread's). w->ss names the socket whose list holds it, or NULL; socket_safe_fini clears it
 *     for every waiter still listed, so a socket closed before such a waiter leaves is never touched
 *     again by socket_safe_leave.
 */
#ifndef ZINC_SOCKET_SAFE_H
#define ZINC_SOCKET_SAFE_H

#include <pthread.h>
#include <stdbool.h>

struct socket;

struct socket_safe;

struct safe_waiter {
    int fd;                             /* the eventfd to signal: the waiting thread's, or a poller's */
    struct socket_safe *ss;             /* the socket whose list holds it, or NULL (invariant 4) */
    struct safe_waiter *prev, *next;    /* on the socket's list, under its lock */
};

struct socket_safe {
    bool on;                            /* the socket type is thread-safe: the rest is initialised */
    pthread_mutex_t lock;               /* held by every operation on the socket */
    struct safe_waiter *waiters;        /* threads sleeping on this socket */
};

int socket_safe_init(struct socket_safe *ss, bool on);   /* 0 or -errno */
void socket_safe_fini(struct socket_safe *ss);

static inline void socket_safe_lock(struct socket_safe *ss)
{
    if (ss->on)
        pthread_mutex_lock(&ss->lock);
}

static inline void socket_safe_unlock(struct socket_safe *ss)
{
    if (ss->on)
        pthread_mutex_unlock(&ss->lock);
}

/* The socket's state may have changed: wake every registered waiter. Under the lock. */
void socket_safe_changed(struct socket_safe *ss);

/* The calling thread's eventfd, made on first use; -errno if it cannot be made. */
int socket_safe_thread_fd(void);
/* Registers w (with the calling thread's fd) on ss, or takes it off; under the lock. */
void socket_safe_watch(struct socket_safe *ss, struct safe_waiter *w);
void socket_safe_unwatch(struct socket_safe *ss, struct safe_waiter *w);
/* Invariant 4: a waiter that stays registered across calls. join takes the lock itself; leave takes it
 * only while the socket still exists (a no-op for a waiter its socket's close already let go of). */
void socket_safe_join(struct socket_safe *ss, struct safe_waiter *w);
void socket_safe_leave(struct safe_waiter *w);
/* Reads an eventfd empty: the calling thread's (after unwatching everything it was registered with), or
 * a poller's before it looks. */
void socket_safe_drain(int fd);

/* Called with the lock held after the caller found it must wait: sleeps up to timeout_ms (-1: for ever)
 * without the lock until the mailbox has commands or another thread changed the socket, and returns with
 * the lock held: 1 if the mailbox eventfd was readable (run the commands), 0 otherwise, or -EINTR,
 * -ENOMEM/-EMFILE (no thread eventfd). */
int socket_safe_wait(struct socket_safe *ss, int mbox_fd, int timeout_ms);

#endif
