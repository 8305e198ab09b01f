/* The I/O thread: one epoll reactor with a timer heap and a mailbox. Connections and listeners live here
 * and are only ever touched by this thread; other threads reach them by posting CMD_IO_CALL jobs or by
 * waking the pipe ends they own (CMD_PIPE_WAKE).
 *
 * Invariants:
 *  1. Every io_handle, io_timer and object passed to io_defer_free belongs to exactly one reactor and is
 *     touched only on its thread.
 *  2. Objects are freed by io_defer_free at the end of a loop turn, so events already fetched for them in
 *     the same turn see a dead handle (fd < 0) instead of freed memory.
 *  3. The thread exits once stop was requested and no live object (connection, listener) remains.
 *  4. I/O buffers (REACTOR_BUF_SIZE bytes) are lent to this thread's connections only while they read or
 *     have bytes to write (reactor_buf_get/put); at most REACTOR_BUF_SPARES idle ones are kept for reuse,
 *     so an idle connection holds none and a busy one costs no malloc per batch.
 */
#ifndef ZINC_REACTOR_H
#define ZINC_REACTOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REACTOR_BUF_SIZE (64 * 1024)
#define REACTOR_BUF_SPARES 4

struct mailbox;
struct pipe_end;
struct pool_cache;

struct io_handle {
    int fd;                                   /* -1 once removed */
    uint32_t events;                          /* EPOLLIN / EPOLLOUT asked for; 0: not in epoll at all */
    void (*on_event)(struct io_handle *h, uint32_t events);
};

/* A timer lives inside its owner (a pairing heap node: arming one never allocates, so no timer can fail
 * for want of memory on the I/O thread). */
struct io_timer {
    uint64_t deadline_ms;
    struct io_timer *child;                   /* first child in the heap */
    struct io_timer *next;                    /* next sibling */
    struct io_timer *prev;                    /* previous sibling, or the parent for a first child */
    bool armed;
    void (*on_expire)(struct io_timer *t);
};

/* A free deferred to the end of the loop turn, kept inside the object it frees (never allocates). */
struct io_deferred {
    void (*fn)(void *arg);
    void *arg;
    struct io_deferred *next;
};

struct reactor {
    int epfd;
    struct mailbox *mbox;
    struct io_handle mbox_handle;
    pthread_t thread;
    struct io_timer *timers;                  /* root of the pairing heap on deadline_ms */
    struct io_deferred *deferred;             /* stack of frees for the end of this turn */
    size_t live;                              /* connections + listeners alive on this thread */
    uint8_t *spare[REACTOR_BUF_SPARES];       /* idle I/O buffers kept for reuse */
    size_t spare_len;
    struct pool_cache *pool;                  /* this thread's msg_pool cache (msg_*_in: no TLS lookup) */
    bool stopping;
    bool running;
    char name[16];                            /* the thread names itself (reactor_main) */
};

/* How an I/O thread is started: the context's ZMQ_THREAD_* options. */
struct thread_params {
    char name[16];                            /* pthread_setname_np: at most 15 characters */
    int sched_policy;                         /* -1: keep the inherited one */
    int priority;                             /* -1: keep the inherited one */
    const int *cpus;                          /* CPUs to run on; none: inherit */
    size_t ncpus;
};

/* Starts the thread and applies tp; a setting the OS refuses (EPERM for a real-time policy, a CPU that
 * does not exist) is skipped, never fatal. 0 or -errno. */
int reactor_start(struct reactor *r, const struct thread_params *tp);
/* Asks the thread to exit once its live objects are gone, and joins it. */
void reactor_stop_and_join(struct reactor *r);

/* Any thread: run fn(arg) on the reactor's thread. 0 or -ENOMEM. */
int reactor_call(struct reactor *r, void (*fn)(void *), void *arg);

/* Reactor thread only. */
int io_add(struct reactor *r, struct io_handle *h, uint32_t events);
/* 0, or -errno when the kernel refused (adding a handle back into epoll can fail with ENOMEM or ENOSPC):
 * the handle's interest is then unchanged. */
int io_set_events(struct reactor *r, struct io_handle *h, uint32_t events);
void io_remove(struct reactor *r, struct io_handle *h);   /* does not close the fd */
/* Direct receive (core/conn_direct.c): mutes a handle that is in epoll (events != 0) without changing what
 * it asked for (only EPOLLERR and EPOLLHUP still report), and unmutes it (back to h->events; epoll then
 * reports at once what is pending). Callable from any thread by whoever owns the handle at the moment
 * (epoll_ctl is thread-safe); neither can fail, since the handle stays in epoll. */
void io_mute(struct reactor *r, struct io_handle *h);
void io_unmute(struct reactor *r, struct io_handle *h);
void io_timer_init(struct io_timer *t, void (*on_expire)(struct io_timer *));
void io_timer_start(struct reactor *r, struct io_timer *t, uint64_t after_ms);
void io_timer_cancel(struct reactor *r, struct io_timer *t);
static inline bool io_timer_armed(const struct io_timer *t) { return t->armed; }
/* Runs fn(arg) at the end of this loop turn; d lives in the object fn frees. */
void io_defer_free(struct reactor *r, struct io_deferred *d, void (*fn)(void *), void *arg);

/* Reactor thread only: lends an I/O buffer of REACTOR_BUF_SIZE bytes (a kept spare, else a new one), NULL
 * on ENOMEM; takes one back (kept as a spare, or freed). */
uint8_t *reactor_buf_get(struct reactor *r);
void reactor_buf_put(struct reactor *r, uint8_t *buf);

/* Implemented by the connection module: a pipe end owned by this thread was woken. */
void conn_on_pipe_wake(struct pipe_end *end);

#endif
