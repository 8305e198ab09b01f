/* Context lifetime, options, I/O threads and the socket list. See ctx.h for the termination sequence. */
#include "core/ctx.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <zmq.h>

#include "core/mailbox.h"
#include "core/peer_msg.h"
#include "core/pipe.h"
#include "core/reactor.h"
#include "core/socket.h"
#include "core/stats_server.h"
#include "core/msg_pool.h"

struct ctx *ctx_new(void)
{
    struct ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->tag = CTX_TAG;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->sockets_closed, NULL);
    c->io_threads = ZMQ_IO_THREADS_DFLT;
    c->max_sockets = ZMQ_MAX_SOCKETS_DFLT;
    c->blocky = 1;
    c->max_msgsz = 0x7fffffff;
    c->zero_copy_recv = 1;
    c->thread_priority = ZMQ_THREAD_PRIORITY_DFLT;
    c->thread_sched_policy = ZMQ_THREAD_SCHED_POLICY_DFLT;
    atomic_init(&c->terminating, false);
    c->term_fd = -1;
    return c;
}

/* Called with the lock held. */
static int ctx_start_io(struct ctx *c)
{
    int n = c->io_threads > 0 ? c->io_threads : 1;
    c->io = calloc((size_t)n, sizeof *c->io);
    if (!c->io)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        struct thread_params tp;
        ctx_thread_params(c, i, &tp);
        int rc = reactor_start(&c->io[i], &tp);
        if (rc < 0) {
            while (i--)
                reactor_stop_and_join(&c->io[i]);
            free(c->io);
            c->io = NULL;
            return rc;
        }
    }
    c->nio = n;
    c->socket_limit = c->max_sockets;
    c->io_threads_at_start = c->io_threads;
    return 0;
}

int ctx_add_socket(struct ctx *c, struct socket *s)
{
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    if (atomic_load(&c->terminating))
        rc = -ETERM;
    else if (!c->io)
        rc = ctx_start_io(c);
    if (rc == 0 && c->nsockets >= (size_t)c->socket_limit)
        rc = -EMFILE;
    if (rc == 0 && c->nsockets == c->sockets_cap) {
        size_t cap = c->sockets_cap ? c->sockets_cap * 2 : 16;
        struct socket **grown = realloc(c->sockets, cap * sizeof *grown);
        if (!grown)
            rc = -ENOMEM;
        else {
            c->sockets = grown;
            c->sockets_cap = cap;
        }
    }
    if (rc == 0) {
        s->slot = c->nsockets;
        s->stats_id = ++c->next_socket_id;
        c->sockets[c->nsockets++] = s;
        s->io = &c->io[c->next_io++ % (unsigned)c->nio];
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void ctx_remove_socket(struct ctx *c, struct socket *s)
{
    pthread_mutex_lock(&c->lock);
    size_t i = s->slot;
    if (i < c->nsockets && c->sockets[i] == s) {
        c->sockets[i] = c->sockets[--c->nsockets];
        c->sockets[i]->slot = i;
    }
    /* Forget inproc registrations of this socket. */
    for (struct inproc_binding **pp = &c->bindings; *pp;) {
        struct inproc_binding *b = *pp;
        if (b->s == s) {
            *pp = b->next;
            peer_msg_unref(b->hello);
            peer_msg_unref(b->disconnect);
            mailbox_unref(b->mbox);
            free(b->name);
            free(b);
        } else {
            pp = &b->next;
        }
    }
    for (struct inproc_pending *p = c->pending; p; p = p->next)
        if (p->connector == s)
            p->connector = NULL;
    if (c->nsockets == 0) {
        pthread_cond_broadcast(&c->sockets_closed);
        if (c->term_fd >= 0) {
            uint64_t one = 1;
            (void)!write(c->term_fd, &one, sizeof one);
        }
    }
    pthread_mutex_unlock(&c->lock);
}

int ctx_shutdown(struct ctx *c)
{
    pthread_mutex_lock(&c->lock);
    if (!atomic_exchange(&c->terminating, true))
        for (size_t i = 0; i < c->nsockets; i++)
            socket_stop(c->sockets[i]);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* Waits until every socket is closed. A signal interrupts the wait with -EINTR, as in libzmq: the context
 * stays valid and zmq_ctx_term may be called again. Without an eventfd (EMFILE) it waits uninterruptibly. */
static int ctx_wait_sockets_closed(struct ctx *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->term_fd < 0)
        c->term_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    while (c->nsockets && c->term_fd < 0)
        pthread_cond_wait(&c->sockets_closed, &c->lock);
    while (c->nsockets) {
        struct pollfd pfd = {.fd = c->term_fd, .events = POLLIN};
        pthread_mutex_unlock(&c->lock);
        int rc = poll(&pfd, 1, -1);
        if (rc < 0 && errno == EINTR)
            return -EINTR;
        uint64_t value;
        (void)!read(pfd.fd, &value, sizeof value);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

int ctx_term(struct ctx *c)
{
    ctx_shutdown(c);
    int rc = ctx_wait_sockets_closed(c);
    if (rc < 0)
        return rc;
    stats_server_join(c);   /* its socket is closed, so its thread is ending */
    for (int i = 0; i < c->nio; i++)
        reactor_stop_and_join(&c->io[i]);
    while (c->pending) {
        struct inproc_pending *p = c->pending;
        c->pending = p->next;
        pipe_close(p->end);
        free(p->name);
        free(p);
    }
    free(c->io);
    free(c->sockets);
    free(c->thread_cpus);
    if (c->term_fd >= 0)
        close(c->term_fd);
    c->tag = 0;
    pthread_cond_destroy(&c->sockets_closed);
    pthread_mutex_destroy(&c->lock);
    free(c);
    msg_pool_trim();   /* a terminated context leaves no pooled blocks behind (but other threads' caches) */
    return 0;
}
