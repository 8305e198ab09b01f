/* ZINC_POLLIN_FD: a socket's level-triggered readiness fd, readable exactly while the socket has a message
 * to deliver (ZMQ_EVENTS would say ZMQ_POLLIN), or once its context is terminating (zmq_recv then fails
 * with ETERM). It exists only for sockets that asked for it (socket->level_on); the eventfd and the flag
 * that mirrors it live in the mailbox (mailbox.h invariant 5), because the threads that bring input post
 * there.
 *
 * Who moves it:
 *   up    a post of a command that may bring input (any thread: data or a close on a pipe, an attach, the
 *         context's stop), under the mailbox lock; and the owner, when the socket has input after a call
 *   down  the owner only, after a call that left the socket without input (socket_level_sync)
 *
 * Invariants:
 *  1. After every zmq_send, zmq_recv, ZMQ_EVENTS, zmq_poll and the first ZINC_POLLIN_FD, the fd is readable
 *     if the socket has input (has_in) or is stopped.
 *  2. It is unreadable only when, at the moment it was lowered, no command was queued and has_in said no:
 *     has_in arms every pipe's wake as it looks (the guarantee ZMQ_EVENTS gives ZMQ_FD), so the next input
 *     posts a command, which raises it. REQ and REP, whose has_in says no while they must send, get input
 *     back only from a zmq_send, after which invariant 1 raises it.
 *  3. It may be readable with nothing to read: a post that raced the lower, or a command that brought none
 *     (a close, an attach of an empty pipe). The next zmq_recv (EAGAIN) lowers it: at most one spurious
 *     wake-up per such event, never a spin.
 */
#include "core/socket.h"

#include "core/mailbox.h"

/* How often a sync runs commands that keep arriving before it leaves the fd up and lets the loop return. */
#define LEVEL_ROUNDS 4

static bool level_wanted(struct socket *s)
{
    bool want = s->stopped || s->ops->has_in(s->proto);
    if (s->ndead)
        socket_reap_dead(s);
    return want;
}

int socket_level_fd(struct socket *s)
{
    /* Commands queued may bring input: up at once rather than run them here, which would also drain ZMQ_FD
     * behind the back of a loop that watches that. */
    bool want = level_wanted(s) || mailbox_has_pending(s->mbox);
    int fd = mailbox_level_open(s->mbox, want);
    if (fd >= 0)
        s->level_on = true;
    return fd;
}

void socket_level_sync(struct socket *s)
{
    for (int round = 0; round < LEVEL_ROUNDS; round++) {
        if (level_wanted(s)) {
            mailbox_level_raise(s->mbox);
            return;
        }
        /* the loop is about to sleep on the level fd: a connection a direct receive left muted must be the
         * I/O thread's again, or its next message would wait for the watch timer (conn_direct_recv.c) */
        socket_settle_direct(s);
        if (!mailbox_level_lower(s->mbox))
            return;
        /* commands came in since this call ran them: run them (ETERM sets stopped) and decide again */
        (void)socket_process_commands_held(s, 0);   /* our caller holds a thread-safe socket's lock */
    }
    mailbox_level_raise(s->mbox);
}
