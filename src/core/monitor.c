/* zmq_socket_monitor: the per-socket monitor slot and the event messages. See monitor.h for the design
 * and its invariants. */
#include "core/monitor.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/socket.h"

struct monitor {
    atomic_int refs;
    pthread_mutex_t lock;
    struct socket *pair;     /* guarded by lock: the running monitor's PAIR, NULL while stopped */
    int events;              /* guarded by lock: its event mask */
};

struct monitor *monitor_new(void)
{
    struct monitor *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void monitor_ref(struct monitor *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}


/* Sends one two-frame event on pair without blocking; drops it whole if the PAIR cannot take it. */
static void monitor_send(struct socket *pair, int event, uint64_t value, const char *endpoint)
{
    struct msg head, addr;
    if (msg_init_size(&head, 6) < 0)
        return;
    uint16_t ev = (uint16_t)event;
    uint32_t v = (uint32_t)value;
    memcpy(msg_data(&head), &ev, 2);
    memcpy((uint8_t *)msg_data(&head) + 2, &v, 4);
    size_t len = endpoint ? strlen(endpoint) : 0;
    if (msg_init_size(&addr, len) < 0) {
        msg_close(&head);
        return;
    }
    if (len)
        memcpy(msg_data(&addr), endpoint, len);
    if (socket_send(pair, &head, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        msg_close(&head);
        msg_close(&addr);
        return;
    }
    if (socket_send(pair, &addr, ZMQ_DONTWAIT) < 0)
        msg_close(&addr);
}

/* The last reference: the socket is closed and none of its listeners and connections can emit any more
 * (those that lingered after zmq_close have ended), which is when libzmq's monitor stops too. */
void monitor_unref(struct monitor *m)
{
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_lock(&m->lock);
    struct socket *pair = m->pair;
    if (pair && (m->events & ZMQ_EVENT_MONITOR_STOPPED))
        monitor_send(pair, ZMQ_EVENT_MONITOR_STOPPED, 0, "");
    m->pair = NULL;
    pthread_mutex_unlock(&m->lock);
    if (pair)
        socket_close(pair);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void monitor_emit(struct monitor *m, int event, uint64_t value, const char *endpoint)
{
    pthread_mutex_lock(&m->lock);
    if (m->pair && (m->events & event))
        monitor_send(m->pair, event, value, endpoint);
    pthread_mutex_unlock(&m->lock);
}

void monitor_stop(struct socket *s)
{
    struct monitor *m = s->monitor;
    pthread_mutex_lock(&m->lock);
    struct socket *pair = m->pair;
    if (pair && (m->events & ZMQ_EVENT_MONITOR_STOPPED))
        monitor_send(pair, ZMQ_EVENT_MONITOR_STOPPED, 0, "");
    m->pair = NULL;
    m->events = 0;
    pthread_mutex_unlock(&m->lock);
    if (pair)
        socket_close(pair);   /* linger 0; what was sent stays readable by the application's PAIR */
}

/* libzmq's checks of the endpoint, in its order: syntax (EINVAL), a transport it knows that PAIR cannot use
 * (ENOCOMPATPROTO), any transport but inproc (EPROTONOSUPPORT). */
static int monitor_check_endpoint(const char *endpoint)
{
    const char *sep = strstr(endpoint, "://");
    if (!sep || sep == endpoint || !sep[3])
        return -EINVAL;
    size_t n = (size_t)(sep - endpoint);
    static const char *const pair_incompatible[] = {"udp", "pgm", "epgm", "norm"};
    for (size_t i = 0; i < sizeof pair_incompatible / sizeof pair_incompatible[0]; i++)
        if (strlen(pair_incompatible[i]) == n && memcmp(endpoint, pair_incompatible[i], n) == 0)
            return -ENOCOMPATPROTO;
    if (n != 6 || memcmp(endpoint, "inproc", 6) != 0)
        return -EPROTONOSUPPORT;
    return 0;
}

int monitor_start(struct socket *s, const char *endpoint, int events)
{
    if ((unsigned)events >> 16)
        return -EINVAL;   /* version 1 events are 16 bits */
    if (!endpoint) {
        monitor_stop(s);
        return 0;
    }
    int rc = monitor_check_endpoint(endpoint);
    if (rc < 0)
        return rc;
    /* As in libzmq, the running monitor is stopped first, even if the new one then fails to start. */
    monitor_stop(s);
    int err = 0;
    struct socket *pair = socket_new(s->ctx, ZMQ_PAIR, &err);
    if (!pair)
        return -err;
    int linger = 0;
    socket_setopt(pair, ZMQ_LINGER, &linger, sizeof linger);
    rc = socket_bind(pair, endpoint);
    if (rc < 0) {
        socket_close(pair);
        return rc;
    }
    struct monitor *m = s->monitor;
    pthread_mutex_lock(&m->lock);
    m->pair = pair;
    m->events = events;
    pthread_mutex_unlock(&m->lock);
    return 0;
}
