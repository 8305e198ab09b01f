/* The mailbox: how one thread asks another to act. Many threads post commands; one thread (a socket's
 * user, or an I/O thread) takes them. An eventfd is readable while commands may be waiting; it is what a
 * socket's ZMQ_FD returns and what an I/O thread's epoll watches.
 *
 * Invariants:
 *  1. The eventfd is written only when a post finds the queue empty (one wake per batch).
 *  2. A closed mailbox drops new posts, releasing the pipe reference they carried, so nothing posted
 *     after the owner is gone can leak or touch freed memory.
 *  3. The mailbox is refcounted: its owner and every pipe end that wakes it hold a reference.
 *  4. The eventfd is read only when a write may be unread: posters count their writes (signals, counted
 *     before the write), the taker counts what its reads returned (consumed; each write adds 1), and a
 *     take with signals == consumed skips the read that would only say EAGAIN. zmq_poll asks ZMQ_EVENTS of
 *     every item, so this saves one syscall per idle socket per poll.
 *  5. The level fd (ZINC_POLLIN_FD, core/socket_level.c), once its owner asked for one, is a second eventfd
 *     that is readable exactly while level_set is true (both change only under the lock, together). A post
 *     of a command that may bring input (anything but a room-only wake, CMD_NOOP or CMD_PIPE_HICCUP) raises
 *     it, under the lock, so that no post can write to it after mailbox_close has closed it. Only the owner
 *     lowers it, and a lower that finds commands queued tells the owner to run them and look again: the fd
 *     can be readable with nothing to read (a spurious wake-up), but never unreadable while a command that
 *     may bring input waits.
 */
#ifndef ZINC_MAILBOX_H
#define ZINC_MAILBOX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pipe_end;

enum cmd_type {
    CMD_PIPE_WAKE = 1,   /* end: data, room or close happened on this pipe end */
    CMD_PIPE_ATTACH,     /* end: a new pipe for this socket (handshake done, inproc connect) */
    CMD_PIPE_HICCUP,     /* end: the connection behind this pipe was replaced (resend subscriptions) */
    CMD_STOP,            /* the context is shutting down */
    CMD_IO_CALL,         /* an I/O-thread job: fn(arg) */
    CMD_NOOP,            /* nothing: only wakes the owner (ZMQ_FD readable, as libzmq's is after a bind) */
};

struct cmd {
    enum cmd_type type;
    struct pipe_end *end;              /* holds a pipe reference while queued */
    void (*fn)(void *arg);             /* CMD_IO_CALL */
    void *arg;
    bool room_only;                    /* CMD_PIPE_WAKE for room to write only: brings no input, so it
                                        * leaves the level fd alone (invariant 5) */
};

struct mailbox {
    atomic_int refs;
    int fd;                            /* eventfd, readable while commands may wait */
    pthread_mutex_t lock;
    struct cmd *cmds;                  /* guarded by lock */
    size_t count, cap;
    struct cmd *spare;                 /* an array given back by mailbox_done, guarded by lock */
    size_t spare_cap;
    atomic_size_t pending;             /* == count, readable without the lock */
    atomic_uint_fast64_t signals;      /* eventfd writes begun (invariant 4) */
    uint64_t consumed;                 /* the taker's: eventfd writes its reads have drained */
    bool closed;                       /* guarded by lock */
    int level_fd;                      /* invariant 5: -1 until asked for; changed under lock */
    atomic_bool level_set;             /* level_fd may be readable; changed under lock */
};

struct mailbox *mailbox_new(void);     /* NULL with errno on failure (EMFILE, ENOMEM) */
void mailbox_ref(struct mailbox *mb);
void mailbox_unref(struct mailbox *mb);
/* Posts a command. Takes a pipe reference for cmd->end. Returns 0, or -ENOMEM (nothing queued). */
int mailbox_post(struct mailbox *mb, const struct cmd *cmd);
/* Moves every queued command into *out, an array of *cap entries. Drains the eventfd first. The caller
 * releases each command, then gives the array back with mailbox_done: a steady exchange of commands
 * allocates nothing (posts fill the array the previous take gave back). */
size_t mailbox_take(struct mailbox *mb, struct cmd **out, size_t *cap);
void mailbox_done(struct mailbox *mb, struct cmd *cmds, size_t cap);
static inline bool mailbox_has_pending(struct mailbox *mb)
{
    return atomic_load_explicit(&mb->pending, memory_order_acquire) != 0;
}
/* Closes the mailbox to new posts and releases what is queued. */
void mailbox_close(struct mailbox *mb);
/* The level fd (invariant 5), for the mailbox's owner only. level_open makes it (once; later calls
 * return the same fd), raised when readable is true or commands wait: the fd or -errno. level_raise makes it
 * readable. level_lower makes it unreadable and returns true when commands are queued: the owner must run
 * them and decide again. mailbox_close closes it. */
int mailbox_level_open(struct mailbox *mb, bool readable);
void mailbox_level_raise(struct mailbox *mb);
bool mailbox_level_lower(struct mailbox *mb);
/* Releases the references a taken command holds. */
void cmd_release(struct cmd *cmd);

#endif
