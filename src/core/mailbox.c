/* Multi-producer, single-consumer command queue guarded by a mutex, signalled through an eventfd. Commands
 * are rare (one per batch of messages, or per connection event), so a short lock is cheaper than cleverness. */
#include "core/mailbox.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/pipe.h"
#include "core/util.h"

struct mailbox *mailbox_new(void)
{
    struct mailbox *mb = calloc(1, sizeof *mb);
    if (!mb) {
        errno = ENOMEM;
        return NULL;
    }
    mb->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (mb->fd < 0) {
        int err = errno;
        free(mb);
        errno = err;
        return NULL;
    }
    atomic_init(&mb->refs, 1);
    atomic_init(&mb->pending, 0);
    atomic_init(&mb->signals, 0);
    atomic_init(&mb->level_set, false);
    mb->level_fd = -1;
    pthread_mutex_init(&mb->lock, NULL);
    return mb;
}

void mailbox_ref(struct mailbox *mb)
{
    atomic_fetch_add_explicit(&mb->refs, 1, memory_order_relaxed);
}

void mailbox_unref(struct mailbox *mb)
{
    if (atomic_fetch_sub_explicit(&mb->refs, 1, memory_order_acq_rel) != 1)
        return;
    mailbox_close(mb);
    close(mb->fd);
    pthread_mutex_destroy(&mb->lock);
    free(mb->cmds);
    free(mb->spare);
    free(mb);
}

/* An attach hands the socket its end of a new pipe: when the socket is gone (its mailbox closed), nobody
 * else will close that end, so the pipe would never be freed. Close it here instead. */
static void cmd_drop(const struct cmd *cmd)
{
    if (cmd->type == CMD_PIPE_ATTACH && cmd->end)
        pipe_close(cmd->end);
}

void cmd_release(struct cmd *cmd)
{
    if (cmd->end)
        pipe_unref(cmd->end->pipe);
    cmd->end = NULL;
}

static void mailbox_signal(struct mailbox *mb)
{
    uint64_t one = 1;
    atomic_fetch_add_explicit(&mb->signals, 1, memory_order_seq_cst);   /* before the write: invariant 4 */
    ssize_t n = write(mb->fd, &one, sizeof one);
    /* EAGAIN means the counter is already huge: the reader is certainly going to wake. */
    if (n < 0 && errno != EAGAIN)
        ZN_PANIC("eventfd write failed");
}

/* Lock held, level fd open: makes it readable (invariant 5). */
static void level_raise_locked(struct mailbox *mb)
{
    if (atomic_load_explicit(&mb->level_set, memory_order_relaxed))
        return;
    uint64_t one = 1;
    ssize_t n = write(mb->level_fd, &one, sizeof one);
    if (n < 0 && errno != EAGAIN)
        ZN_PANIC("eventfd write failed");
    atomic_store_explicit(&mb->level_set, true, memory_order_release);
}

/* Room to send, a wake-up for ZMQ_FD's sake, and a connection replaced under a pipe (which only makes a
 * SUB resend its subscriptions) bring no input; anything else may. */
static bool cmd_may_bring_input(const struct cmd *cmd)
{
    return cmd->type != CMD_NOOP && cmd->type != CMD_PIPE_HICCUP && !cmd->room_only;
}

int mailbox_post(struct mailbox *mb, const struct cmd *cmd)
{
    pthread_mutex_lock(&mb->lock);
    if (mb->closed) {
        pthread_mutex_unlock(&mb->lock);
        cmd_drop(cmd);
        return 0;
    }
    if (!mb->cmds && mb->spare) {   /* the array the last take gave back */
        mb->cmds = mb->spare;
        mb->cap = mb->spare_cap;
        mb->spare = NULL;
        mb->spare_cap = 0;
    }
    if (mb->count == mb->cap) {
        size_t cap = mb->cap ? mb->cap * 2 : 16;
        struct cmd *grown = realloc(mb->cmds, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&mb->lock);
            return -ENOMEM;
        }
        mb->cmds = grown;
        mb->cap = cap;
    }
    if (cmd->end)
        pipe_ref(cmd->end->pipe);
    mb->cmds[mb->count++] = *cmd;
    bool was_empty = mb->count == 1;
    atomic_store_explicit(&mb->pending, mb->count, memory_order_release);
    if (mb->level_fd >= 0 && cmd_may_bring_input(cmd))
        level_raise_locked(mb);
    pthread_mutex_unlock(&mb->lock);
    if (was_empty)
        mailbox_signal(mb);
    return 0;
}

size_t mailbox_take(struct mailbox *mb, struct cmd **out, size_t *cap)
{
    /* Drain the eventfd before looking: a post that lands after this read signals again. A write begun
     * but not yet made leaves signals ahead of consumed, so the next take reads again. */
    if (atomic_load_explicit(&mb->signals, memory_order_seq_cst) != mb->consumed) {
        uint64_t value;
        ssize_t n;
        while ((n = read(mb->fd, &value, sizeof value)) < 0 && errno == EINTR)
            ;
        if (n == (ssize_t)sizeof value)
            mb->consumed += value;
    }
    pthread_mutex_lock(&mb->lock);
    size_t n = mb->count;
    *out = mb->cmds;
    *cap = mb->cap;
    mb->cmds = NULL;
    mb->count = mb->cap = 0;
    atomic_store_explicit(&mb->pending, 0, memory_order_release);
    pthread_mutex_unlock(&mb->lock);
    return n;
}

void mailbox_done(struct mailbox *mb, struct cmd *cmds, size_t cap)
{
    if (!cmds)
        return;
    pthread_mutex_lock(&mb->lock);
    bool keep = !mb->closed && !mb->spare;
    if (keep) {
        mb->spare = cmds;
        mb->spare_cap = cap;
    }
    pthread_mutex_unlock(&mb->lock);
    if (!keep)
        free(cmds);
}

int mailbox_level_open(struct mailbox *mb, bool readable)
{
    pthread_mutex_lock(&mb->lock);
    if (mb->level_fd < 0) {
        mb->level_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (mb->level_fd < 0) {
            int err = errno;
            pthread_mutex_unlock(&mb->lock);
            return -err;
        }
    }
    if (readable || mb->count)
        level_raise_locked(mb);
    int fd = mb->level_fd;
    pthread_mutex_unlock(&mb->lock);
    return fd;
}

void mailbox_level_raise(struct mailbox *mb)
{
    if (atomic_load_explicit(&mb->level_set, memory_order_acquire))
        return;   /* only the owner lowers it, and the owner is the caller */
    pthread_mutex_lock(&mb->lock);
    level_raise_locked(mb);
    pthread_mutex_unlock(&mb->lock);
}

bool mailbox_level_lower(struct mailbox *mb)
{
    /* Seen unset: a post that sets it meanwhile leaves it readable with its command queued, which the
     * owner's next call runs; the fd is then at worst readable for nothing once. */
    if (!atomic_load_explicit(&mb->level_set, memory_order_acquire))
        return false;
    pthread_mutex_lock(&mb->lock);
    uint64_t value;
    while (read(mb->level_fd, &value, sizeof value) < 0 && errno == EINTR)
        ;
    atomic_store_explicit(&mb->level_set, false, memory_order_release);
    bool queued = mb->count != 0;
    pthread_mutex_unlock(&mb->lock);
    return queued;
}

void mailbox_close(struct mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    mb->closed = true;
    if (mb->level_fd >= 0) {   /* under the lock: no post can write to it after this (invariant 5) */
        close(mb->level_fd);
        mb->level_fd = -1;
    }
    struct cmd *cmds = mb->cmds;
    size_t n = mb->count;
    mb->cmds = NULL;
    mb->count = mb->cap = 0;
    struct cmd *spare = mb->spare;
    mb->spare = NULL;
    mb->spare_cap = 0;
    atomic_store_explicit(&mb->pending, 0, memory_order_release);
    pthread_mutex_unlock(&mb->lock);
    for (size_t i = 0; i < n; i++) {
        cmd_drop(&cmds[i]);
        cmd_release(&cmds[i]);
    }
    free(cmds);
    free(spare);
}
