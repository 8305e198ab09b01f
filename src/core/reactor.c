/* The I/O thread loop: epoll_wait with the nearest timer as timeout, dispatch fd events, expire timers,
 * run mailbox commands, then free what was retired during the turn. */
#include "core/reactor.h"

#include <sched.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/mailbox.h"
#include "core/msg_pool.h"
#include "core/pipe.h"
#include "core/util.h"

#define REACTOR_EVENTS 256

/* ---- timer heap ------------------------------------------------------------------------------------ */
/* A pairing heap: each node links to its first child and its siblings, the root is the earliest deadline.
 * Insert and meld are O(1); removing a node merges its children in two passes (amortised O(log n)). */
static struct io_timer *heap_meld(struct io_timer *a, struct io_timer *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (b->deadline_ms < a->deadline_ms) {
        struct io_timer *t = a;
        a = b;
        b = t;
    }
    b->prev = a;
    b->next = a->child;
    if (a->child)
        a->child->prev = b;
    a->child = b;
    a->next = a->prev = NULL;
    return a;
}

/* Melds a sibling list into one heap: pairs left to right, then the pairs right to left. */
static struct io_timer *heap_merge_pairs(struct io_timer *first)
{
    struct io_timer *pairs = NULL;   /* melded pairs, a stack linked through next */
    while (first) {
        struct io_timer *a = first, *b = first->next;
        first = b ? b->next : NULL;
        a->next = a->prev = NULL;
        if (b)
            b->next = b->prev = NULL;
        struct io_timer *m = heap_meld(a, b);
        m->next = pairs;
        pairs = m;
    }
    struct io_timer *root = NULL;
    while (pairs) {
        struct io_timer *rest = pairs->next;
        pairs->next = NULL;
        root = heap_meld(root, pairs);
        pairs = rest;
    }
    return root;
}

void io_timer_init(struct io_timer *t, void (*on_expire)(struct io_timer *))
{
    memset(t, 0, sizeof *t);
    t->on_expire = on_expire;
}

void io_timer_cancel(struct reactor *r, struct io_timer *t)
{
    if (!t->armed)
        return;
    t->armed = false;
    struct io_timer *children = t->child;
    t->child = NULL;
    if (t == r->timers) {
        r->timers = heap_merge_pairs(children);
        return;
    }
    if (t->prev->child == t)   /* a first child: prev is the parent */
        t->prev->child = t->next;
    else
        t->prev->next = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->next = t->prev = NULL;
    r->timers = heap_meld(r->timers, heap_merge_pairs(children));
}

void io_timer_start(struct reactor *r, struct io_timer *t, uint64_t after_ms)
{
    io_timer_cancel(r, t);
    t->deadline_ms = zn_now_ms() + after_ms;
    t->armed = true;
    r->timers = heap_meld(r->timers, t);
}

static int next_timeout(struct reactor *r)
{
    if (!r->timers)
        return -1;
    uint64_t now = zn_now_ms();
    uint64_t d = r->timers->deadline_ms;
    return d <= now ? 0 : (int)(d - now > 60000 ? 60000 : d - now);
}

static void run_timers(struct reactor *r)
{
    uint64_t now = zn_now_ms();
    while (r->timers && r->timers->deadline_ms <= now) {
        struct io_timer *t = r->timers;
        io_timer_cancel(r, t);
        t->on_expire(t);
    }
}

/* ---- fds ------------------------------------------------------------------------------------------- */
int io_add(struct reactor *r, struct io_handle *h, uint32_t events)
{
    h->events = 0;
    if (!events)
        return 0;
    struct epoll_event ev = {.events = events, .data.ptr = h};
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, h->fd, &ev) < 0)
        return -errno;
    h->events = events;
    return 0;
}

int io_set_events(struct reactor *r, struct io_handle *h, uint32_t events)
{
    if (h->fd < 0 || h->events == events)
        return 0;
    /* No interest at all means out of epoll: EPOLLHUP and EPOLLERR cannot be masked, and a paused
     * connection whose peer hung up would otherwise wake the loop forever. */
    int op = h->events == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    struct epoll_event ev = {.events = events, .data.ptr = h};
    if (epoll_ctl(r->epfd, op, h->fd, &ev) < 0 && op != EPOLL_CTL_DEL)
        return -errno;   /* ADD: ENOMEM, or ENOSPC past max_user_watches; the handle keeps its interest */
    h->events = events;
    return 0;
}

void io_mute(struct reactor *r, struct io_handle *h)
{
    struct epoll_event ev = {.events = 0, .data.ptr = h};
    (void)epoll_ctl(r->epfd, EPOLL_CTL_MOD, h->fd, &ev);
}

void io_unmute(struct reactor *r, struct io_handle *h)
{
    struct epoll_event ev = {.events = h->events, .data.ptr = h};
    (void)epoll_ctl(r->epfd, EPOLL_CTL_MOD, h->fd, &ev);
}

void io_remove(struct reactor *r, struct io_handle *h)
{
    if (h->fd >= 0 && h->events)
        epoll_ctl(r->epfd, EPOLL_CTL_DEL, h->fd, NULL);
    h->fd = -1;
    h->events = 0;
}

void io_defer_free(struct reactor *r, struct io_deferred *d, void (*fn)(void *), void *arg)
{
    d->fn = fn;
    d->arg = arg;
    d->next = r->deferred;
    r->deferred = d;
}

uint8_t *reactor_buf_get(struct reactor *r)
{
    if (r->spare_len)
        return r->spare[--r->spare_len];
    return malloc(REACTOR_BUF_SIZE);
}

void reactor_buf_put(struct reactor *r, uint8_t *buf)
{
    if (buf && r->spare_len < REACTOR_BUF_SPARES)
        r->spare[r->spare_len++] = buf;
    else
        free(buf);
}

static void run_deferred(struct reactor *r)
{
    /* A deferred free may defer more; loop until none remain. */
    while (r->deferred) {
        struct io_deferred *d = r->deferred;
        r->deferred = d->next;
        d->fn(d->arg);   /* frees the object that holds d */
    }
}

/* ---- mailbox --------------------------------------------------------------------------------------- */
static void on_mailbox(struct io_handle *h, uint32_t events)
{
    ZN_UNUSED(events);
    struct reactor *r = (struct reactor *)((char *)h - offsetof(struct reactor, mbox_handle));
    struct cmd *cmds;
    size_t cap;
    size_t n = mailbox_take(r->mbox, &cmds, &cap);
    for (size_t i = 0; i < n; i++) {
        switch (cmds[i].type) {
        case CMD_IO_CALL: cmds[i].fn(cmds[i].arg); break;
        case CMD_PIPE_WAKE:
            if (cmds[i].end->owner && !cmds[i].end->closed) {
                if (cmds[i].end->io_wake)
                    cmds[i].end->io_wake(cmds[i].end);
                else
                    conn_on_pipe_wake(cmds[i].end);
            }
            break;
        default: break;
        }
        cmd_release(&cmds[i]);
    }
    mailbox_done(r->mbox, cmds, cap);
}

static void *reactor_main(void *arg)
{
    struct reactor *r = arg;
    struct epoll_event events[REACTOR_EVENTS];
    /* Named from inside (prctl, as libzmq does): naming another thread makes glibc open
     * /proc/self/task/<tid>/comm, and a process whose /proc entries were looked up that way costs its
     * reaper's kernel seconds of dcache walking on some kernels (zinc_soak measured 1-8 s per reaped peer). */
    (void)pthread_setname_np(pthread_self(), r->name);
    r->pool = msg_pool_thread_cache();
    while (!(r->stopping && r->live == 0)) {
        int n = epoll_wait(r->epfd, events, REACTOR_EVENTS, next_timeout(r));
        if (n < 0 && errno != EINTR)
            ZN_PANIC("epoll_wait failed");
        for (int i = 0; i < n; i++) {
            struct io_handle *h = events[i].data.ptr;
            if (h->fd >= 0)
                h->on_event(h, events[i].events);
        }
        run_timers(r);
        run_deferred(r);
    }
    return NULL;
}

static void on_stop(void *arg)
{
    ((struct reactor *)arg)->stopping = true;
}

/* Applied from the starting thread, so the settings hold before the first socket call returns (the name
 * excepted: the thread sets it itself). */
static void apply_thread_params(pthread_t thread, const struct thread_params *tp)
{
    if (tp->ncpus) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (size_t i = 0; i < tp->ncpus; i++)
            if (tp->cpus[i] >= 0 && tp->cpus[i] < CPU_SETSIZE)
                CPU_SET(tp->cpus[i], &set);
        (void)pthread_setaffinity_np(thread, sizeof set, &set);
    }
    if (tp->sched_policy != -1 || tp->priority != -1) {
        int policy;
        struct sched_param param;
        if (pthread_getschedparam(thread, &policy, &param) != 0)
            return;
        if (tp->sched_policy != -1)
            policy = tp->sched_policy;
        if (tp->priority != -1)
            param.sched_priority = tp->priority;
        (void)pthread_setschedparam(thread, policy, &param);
    }
}

int reactor_start(struct reactor *r, const struct thread_params *tp)
{
    memset(r, 0, sizeof *r);
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (r->epfd < 0) {
        int err = errno;
        return -err;
    }
    r->mbox = mailbox_new();
    if (!r->mbox) {
        int err = errno;
        close(r->epfd);
        return -err;
    }
    memcpy(r->name, tp->name, sizeof r->name);
    r->mbox_handle.fd = r->mbox->fd;
    r->mbox_handle.on_event = on_mailbox;
    int rc = io_add(r, &r->mbox_handle, EPOLLIN);
    if (rc == 0)
        rc = -pthread_create(&r->thread, NULL, reactor_main, r);
    if (rc == 0)
        apply_thread_params(r->thread, tp);
    if (rc < 0) {
        mailbox_unref(r->mbox);
        close(r->epfd);
        return rc;
    }
    r->running = true;
    return 0;
}

void reactor_stop_and_join(struct reactor *r)
{
    if (!r->running)
        return;
    while (reactor_call(r, on_stop, r) < 0)
        usleep(1000);
    pthread_join(r->thread, NULL);
    r->running = false;
    mailbox_close(r->mbox);
    mailbox_unref(r->mbox);
    close(r->epfd);
    while (r->spare_len)
        free(r->spare[--r->spare_len]);
}

int reactor_call(struct reactor *r, void (*fn)(void *), void *arg)
{
    struct cmd cmd = {.type = CMD_IO_CALL, .fn = fn, .arg = arg};
    return mailbox_post(r->mbox, &cmd);
}
