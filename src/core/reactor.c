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
#include "core/pipe.h"
#include "core/util.h"

#define REACTOR_EVENTS 256

/* ---- timer heap ------------------------------------------------------------------------------------ */
static void heap_swap(struct reactor *r, size_t a, size_t b)
{
    struct io_timer *t = r->heap[a];
    r->heap[a] = r->heap[b];
    r->heap[b] = t;
    r->heap[a]->heap_index = a;
    r->heap[b]->heap_index = b;
}

static void heap_up(struct reactor *r, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (r->heap[parent]->deadline_ms <= r->heap[i]->deadline_ms)
            break;
        heap_swap(r, i, parent);
        i = parent;
    }
}

static void heap_down(struct reactor *r, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, rr = l + 1, m = i;
        if (l < r->heap_len && r->heap[l]->deadline_ms < r->heap[m]->deadline_ms)
            m = l;
        if (rr < r->heap_len && r->heap[rr]->deadline_ms < r->heap[m]->deadline_ms)
            m = rr;
        if (m == i)
            return;
        heap_swap(r, i, m);
        i = m;
    }
}

void io_timer_init(struct io_timer *t, void (*on_expire)(struct io_timer *))
{
    t->heap_index = (size_t)-1;
    t->deadline_ms = 0;
    t->on_expire = on_expire;
}

void io_timer_cancel(struct reactor *r, struct io_timer *t)
{
    size_t i = t->heap_index;
    if (i == (size_t)-1)
        return;
    t->heap_index = (size_t)-1;
    r->heap_len--;
    if (i == r->heap_len)
        return;
    r->heap[i] = r->heap[r->heap_len];
    r->heap[i]->heap_index = i;
    heap_up(r, i);
    heap_down(r, r->heap[i]->heap_index);
}

void io_timer_start(struct reactor *r, struct io_timer *t, uint64_t after_ms)
{
    io_timer_cancel(r, t);
    if (r->heap_len == r->heap_cap) {
        size_t cap = r->heap_cap ? r->heap_cap * 2 : 64;
        struct io_timer **grown = realloc(r->heap, cap * sizeof *grown);
        if (!grown)
            ZN_PANIC("out of memory growing the timer heap");
        r->heap = grown;
        r->heap_cap = cap;
    }
    t->deadline_ms = zn_now_ms() + after_ms;
    t->heap_index = r->heap_len;
    r->heap[r->heap_len++] = t;
    heap_up(r, t->heap_index);
}

static int next_timeout(struct reactor *r)
{
    if (!r->heap_len)
        return -1;
    uint64_t now = zn_now_ms();
    uint64_t d = r->heap[0]->deadline_ms;
    return d <= now ? 0 : (int)(d - now > 60000 ? 60000 : d - now);
}

static void run_timers(struct reactor *r)
{
    uint64_t now = zn_now_ms();
    while (r->heap_len && r->heap[0]->deadline_ms <= now) {
        struct io_timer *t = r->heap[0];
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

void io_set_events(struct reactor *r, struct io_handle *h, uint32_t events)
{
    if (h->fd < 0 || h->events == events)
        return;
    /* No interest at all means out of epoll: EPOLLHUP and EPOLLERR cannot be masked, and a paused
     * connection whose peer hung up would otherwise wake the loop forever. */
    int op = h->events == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    struct epoll_event ev = {.events = events, .data.ptr = h};
    if (epoll_ctl(r->epfd, op, h->fd, &ev) < 0)
        ZN_PANIC("epoll_ctl failed");
    h->events = events;
}

void io_remove(struct reactor *r, struct io_handle *h)
{
    if (h->fd >= 0 && h->events)
        epoll_ctl(r->epfd, EPOLL_CTL_DEL, h->fd, NULL);
    h->fd = -1;
    h->events = 0;
}

void io_defer_free(struct reactor *r, void (*fn)(void *), void *arg)
{
    if (r->deferred_len == r->deferred_cap) {
        size_t cap = r->deferred_cap ? r->deferred_cap * 2 : 16;
        struct deferred *grown = realloc(r->deferred, cap * sizeof *grown);
        if (!grown)
            ZN_PANIC("out of memory growing the deferred-free list");
        r->deferred = grown;
        r->deferred_cap = cap;
    }
    r->deferred[r->deferred_len++] = (struct deferred){fn, arg};
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
    while (r->deferred_len) {
        struct deferred d = r->deferred[--r->deferred_len];
        d.fn(d.arg);
    }
}

/* ---- mailbox --------------------------------------------------------------------------------------- */
static void on_mailbox(struct io_handle *h, uint32_t events)
{
    ZN_UNUSED(events);
    struct reactor *r = (struct reactor *)((char *)h - offsetof(struct reactor, mbox_handle));
    struct cmd *cmds;
    size_t n = mailbox_take(r->mbox, &cmds);
    for (size_t i = 0; i < n; i++) {
        switch (cmds[i].type) {
        case CMD_IO_CALL: cmds[i].fn(cmds[i].arg); break;
        case CMD_PIPE_WAKE: if (cmds[i].end->owner && !cmds[i].end->closed) conn_on_pipe_wake(cmds[i].end); break;
        default: break;
        }
        cmd_release(&cmds[i]);
    }
    free(cmds);
}

static void *reactor_main(void *arg)
{
    struct reactor *r = arg;
    struct epoll_event events[REACTOR_EVENTS];
    /* Named from inside (prctl, as libzmq does): naming another thread makes glibc open
     * /proc/self/task/<tid>/comm, and a process whose /proc entries were looked up that way costs its
     * reaper's kernel seconds of dcache walking on some kernels (zinc_soak measured 1-8 s per reaped peer). */
    (void)pthread_setname_np(pthread_self(), r->name);
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
    /* The first timer and the first deferred free come from the I/O thread, where an allocation failure
     * can only abort: take their room here, where it is an ENOMEM for zmq_socket. (Growth beyond these
     * still aborts: more than 64 timers or 16 deferred frees at once on one thread.) */
    r->heap = malloc(64 * sizeof *r->heap);
    r->deferred = malloc(16 * sizeof *r->deferred);
    if (!r->heap || !r->deferred) {
        free(r->heap);
        free(r->deferred);
        return -ENOMEM;
    }
    r->heap_cap = 64;
    r->deferred_cap = 16;
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (r->epfd < 0) {
        int err = errno;
        free(r->heap);
        free(r->deferred);
        return -err;
    }
    r->mbox = mailbox_new();
    if (!r->mbox) {
        int err = errno;
        close(r->epfd);
        free(r->heap);
        free(r->deferred);
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
        free(r->heap);
        free(r->deferred);
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
    free(r->heap);
    free(r->deferred);
    while (r->spare_len)
        free(r->spare[--r->spare_len]);
}

int reactor_call(struct reactor *r, void (*fn)(void *), void *arg)
{
    struct cmd cmd = {.type = CMD_IO_CALL, .fn = fn, .arg = arg};
    return mailbox_post(r->mbox, &cmd);
}
