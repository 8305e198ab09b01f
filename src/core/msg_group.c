/* RADIO/DISH groups on messages (RFC 48): a refcounted, immutable name that a message points to from the
 * last 8 bytes of its payload union (core/msg.h, invariant 4), so struct msg stays 64 bytes and a message
 * without a group pays nothing but the MSGF_GROUP test in msg_close/msg_copy.
 *
 * Invariant: a message with MSGF_GROUP holds exactly one reference on u.grp.group; msg_close drops it,
 * msg_copy and msg_share_n take more, msg_move hands it over with the 64 bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"

struct msg_group *msg_group_new(const void *name, size_t len)
{
    if (len > MSG_GROUP_MAX)
        return NULL;
    struct msg_group *g = malloc(sizeof *g + len + 1);
    if (!g)
        return NULL;
    atomic_init(&g->refs, 1);
    g->len = (uint8_t)len;
    if (len)
        memcpy(g->name, name, len);
    g->name[len] = 0;
    return g;
}

void msg_group_unref(struct msg_group *g)
{
    if (atomic_load_explicit(&g->refs, memory_order_acquire) == 1 ||
        atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
        free(g);
}

/* An inline payload that would overlap the group slot moves to a block of its own; the rest of the
 * message (flags, meta, routing id) stays. 0 or -ENOMEM (m unchanged). */
static int make_room(struct msg *m)
{
    if (m->type != MSG_INLINE || m->inline_size <= MSG_GROUP_INLINE_MAX)
        return 0;
    struct msg big;
    if (msg_init_block(&big, m->inline_size, NULL) < 0)
        return -ENOMEM;
    memcpy(msg_data(&big), m->u.inline_data, m->inline_size);
    m->type = MSG_LARGE;
    m->u.large.content = big.u.large.content;
    m->u.large.data = big.u.large.data;
    m->u.large.size = big.u.large.size;
    return 0;
}

/* Installs g (whose reference m takes over) in place of m's group. */
static void put_group(struct msg *m, struct msg_group *g)
{
    if (m->flags & MSGF_GROUP)
        msg_group_unref(m->u.grp.group);
    if (g) {
        m->u.grp.group = g;
        m->flags |= MSGF_GROUP;
    } else {
        m->flags &= (uint8_t)~MSGF_GROUP;
    }
}

int msg_set_group(struct msg *m, const void *name, size_t len)
{
    if (!msg_valid(m) || len > MSG_GROUP_MAX)
        return -EINVAL;
    if (len == 0) {
        put_group(m, NULL);
        return 0;
    }
    if (make_room(m) < 0)
        return -ENOMEM;
    struct msg_group *g = msg_group_new(name, len);
    if (!g)
        return -ENOMEM;
    put_group(m, g);
    return 0;
}

int msg_set_group_ref(struct msg *m, struct msg_group *g)
{
    if (!msg_valid(m))
        return -EINVAL;
    if (make_room(m) < 0)
        return -ENOMEM;
    msg_group_ref(g);
    put_group(m, g);
    return 0;
}

const char *msg_group(const struct msg *m, size_t *len)
{
    if (msg_valid(m) && (m->flags & MSGF_GROUP)) {
        if (len)
            *len = m->u.grp.group->len;
        return m->u.grp.group->name;
    }
    if (len)
        *len = 0;
    return "";
}
