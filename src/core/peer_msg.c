/* The byte strings of ZMQ_HELLO_MSG and ZMQ_DISCONNECT_MSG (see peer_msg.h for the invariants). */
#include "core/peer_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "core/msg.h"

struct peer_msg *peer_msg_new(const void *data, size_t len)
{
    struct peer_msg *pm = malloc(sizeof *pm + len);
    if (!pm)
        return NULL;
    atomic_init(&pm->refs, 1);
    pm->len = len;
    memcpy(pm->data, data, len);
    return pm;
}

struct peer_msg *peer_msg_ref(struct peer_msg *pm)
{
    if (pm)
        atomic_fetch_add_explicit(&pm->refs, 1, memory_order_relaxed);
    return pm;
}

void peer_msg_unref(struct peer_msg *pm)
{
    if (pm && atomic_fetch_sub_explicit(&pm->refs, 1, memory_order_acq_rel) == 1)
        free(pm);
}

int peer_msg_to_msg(const struct peer_msg *pm, struct msg *m)
{
    int rc = msg_init_size(m, pm->len);
    if (rc == 0)
        memcpy(msg_data(m), pm->data, pm->len);
    return rc;
}

struct peer_msg *peer_msg_hello_for(int type, struct peer_msg *hello)
{
    return type == ZMQ_ROUTER || type == ZMQ_DEALER ? hello : NULL;
}

struct peer_msg *peer_msg_disconnect_for(int type, struct peer_msg *disconnect)
{
    return type == ZMQ_ROUTER ? disconnect : NULL;
}

int peer_msg_set(struct peer_msg **slot, const void *value, size_t len)
{
    struct peer_msg *pm = NULL;
    if (len) {
        if (!value)
            return -EINVAL;
        pm = peer_msg_new(value, len);
        if (!pm)
            return -ENOMEM;
    }
    peer_msg_unref(*slot);
    *slot = pm;
    return 0;
}
