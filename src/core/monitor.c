/* zmq_socket_monitor: see monitor.h. */
#include "core/monitor.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/socket.h"

struct monitor {
    atomic_int refs;
    pthread_mutex_t lock;
    struct socket *pair;     /* NULL once stopped */
    int events;
};

void monitor_ref(struct monitor *m)
{
    atomic_fetch_add(&m->refs, 1);
}

void monitor_unref(struct monitor *m)
{
    if (atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void monitor_emit(struct monitor *m, int event, uint64_t value, const char *endpoint)
{
    pthread_mutex_lock(&m->lock);
    if (m->pair && (m->events & event)) {
        struct msg head, addr;
        msg_init_size(&head, 6);
        uint16_t ev = (uint16_t)event;
        uint32_t v = (uint32_t)value;
        memcpy(msg_data(&head), &ev, 2);
        memcpy((uint8_t *)msg_data(&head) + 2, &v, 4);
        size_t len = endpoint ? strlen(endpoint) : 0;
        if (msg_init_size(&addr, len) == 0) {
            if (len)
                memcpy(msg_data(&addr), endpoint, len);
            if (socket_send(m->pair, &head, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0) {
                if (socket_send(m->pair, &addr, ZMQ_DONTWAIT) < 0)
                    msg_close(&addr);
            } else {
                msg_close(&head);
                msg_close(&addr);
            }
        } else {
            msg_close(&head);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

void monitor_stop(struct socket *s)
{
    struct monitor *m = s->monitor;
    if (!m)
        return;
    s->monitor = NULL;
    monitor_emit(m, ZMQ_EVENT_MONITOR_STOPPED, 0, "");
    pthread_mutex_lock(&m->lock);
    struct socket *pair = m->pair;
    m->pair = NULL;
    pthread_mutex_unlock(&m->lock);
    if (pair)
        socket_close(pair);
    monitor_unref(m);
}

int monitor_start(struct socket *s, const char *endpoint, int events)
{
    if (!endpoint) {
        monitor_stop(s);
        return 0;
    }
    if (strncmp(endpoint, "inproc://", 9) != 0)
        return -EPROTONOSUPPORT;
    monitor_stop(s);
    struct monitor *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    int err = 0;
    m->pair = socket_new(s->ctx, ZMQ_PAIR, &err);
    if (!m->pair) {
        free(m);
        return -err;
    }
    int linger = 0;
    socket_setopt(m->pair, ZMQ_LINGER, &linger, sizeof linger);
    int rc = socket_bind(m->pair, endpoint);
    if (rc < 0) {
        socket_close(m->pair);
        free(m);
        return rc;
    }
    atomic_init(&m->refs, 1);
    pthread_mutex_init(&m->lock, NULL);
    m->events = events;
    s->monitor = m;
    return 0;
}
