/* DISH (RFC 48): fair-queues the messages of its RADIO peers and delivers only those of the groups it
 * joined, each with its group set (zmq_msg_group); thread-safe (socket.c serialises every call:
 * proto_ops.thread_safe). Sending is ENOTSUP.
 *
 * zmq_join / zmq_leave (dish_join): a group of up to 255 bytes; joining a group twice or leaving one not
 * joined is EINVAL, as libzmq. Each change goes to every peer as a membership frame (proto/radio_dish.h),
 * written whatever the pipe's high-water mark (never dropped: the connection holds a command that does
 * not fit its buffer until it does), and every new pipe and every pipe whose connection was replaced
 * (hiccup) gets a join for each group, so a RADIO learns them after a reconnect too.
 *
 * Incoming messages are two frames (group, body: radio_dish.h). Anything else (a lone frame, more than two
 * frames, a group over 255 bytes or holding a NUL) is dropped whole, as are messages of groups not joined. Messages of one
 * group share one refcounted group name (last_group) instead of one allocation each.
 *
 * Invariants:
 *  1. groups holds the key of every joined group, once; every attached pipe was sent a join for each at
 *     attach or hiccup, and every change since.
 *  2. has_message: message holds the next message the application gets (prefetched by has_in), already
 *     filtered, with its group set.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "proto/radio_dish.h"
#include "proto/route/route.h"
#include "proto/route/trie.h"

struct dish {
    struct socket *s;
    struct fq fq;
    struct dist dist;               /* every peer: memberships go to all */
    struct trie groups;             /* keys (radio_dish.h) of the joined groups */
    struct msg_group *last_group;   /* the group of the last message delivered, shared with the next */
    bool has_message;
    struct msg message;
};

static int dish_init(void *self, struct socket *s)
{
    struct dish *d = self;
    d->s = s;
    fq_init(&d->fq);
    dist_init(&d->dist);
    msg_init(&d->message);
    s->opt.linger = 0;   /* libzmq: a closing DISH does not wait to deliver its memberships */
    return trie_init(&d->groups);
}

static void dish_fini(void *self)
{
    struct dish *d = self;
    if (d->has_message)
        msg_close(&d->message);
    d->has_message = false;
    if (d->last_group)
        msg_group_unref(d->last_group);
    d->last_group = NULL;
    trie_fini(&d->groups);
    route_set_fini(&d->fq.set);
    route_set_fini(&d->dist.set);
}

/* ---- memberships ------------------------------------------------------------------------------------ */
/* Writes one membership frame to e (no flush). */
static int write_membership(struct pipe_end *e, bool join, const void *group, size_t len)
{
    struct msg m;
    if (msg_init_size(&m, len + 1) < 0)
        return -ENOMEM;
    uint8_t *p = msg_data(&m);
    p[0] = join ? 1 : 0;
    if (len)
        memcpy(p + 1, group, len);
    m.flags = MSGF_COMMAND;
    if (pipe_write(e, &m) < 0) {
        msg_close(&m);
        return -ENOMEM;
    }
    return 0;
}

static int resend_one(void *arg, const uint8_t *key, size_t klen)
{
    return write_membership(arg, true, key, klen - 1);   /* the key's last byte is its NUL */
}

static void resend_all(struct dish *d, struct pipe_end *e)
{
    (void)trie_foreach(&d->groups, resend_one, e);
    pipe_flush(e);
}

static int dish_join(void *self, const char *group, size_t len, bool join)
{
    struct dish *d = self;
    if (len > MSG_GROUP_MAX)
        return -EINVAL;
    uint8_t key[RADIO_DISH_KEY_MAX];
    size_t klen = radio_dish_key(key, group, len);
    if (join) {
        int rc = trie_add(&d->groups, key, klen);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            (void)trie_remove(&d->groups, key, klen);
            return -EINVAL;   /* joined already */
        }
    } else if (trie_remove(&d->groups, key, klen) < 0) {
        return -EINVAL;       /* not joined */
    }
    struct route_set *rs = &d->dist.set;
    for (size_t i = 0; i < rs->n; i++) {
        (void)write_membership(rs->pipes[i], join, group, len);   /* ENOMEM: that peer misses it */
        pipe_flush(rs->pipes[i]);
    }
    return 0;
}

/* ---- pipes ------------------------------------------------------------------------------------------ */
static int dish_attach(void *self, struct pipe_end *e)
{
    struct dish *d = self;
    if (fq_attach(&d->fq, e) < 0)
        return -ENOMEM;
    if (dist_attach(&d->dist, e) < 0) {
        fq_detach(&d->fq, e);
        return -ENOMEM;
    }
    resend_all(d, e);
    return 0;
}

static void dish_detach(void *self, struct pipe_end *e)
{
    struct dish *d = self;
    fq_detach(&d->fq, e);
    dist_detach(&d->dist, e);
}

static void dish_read_activated(void *self, struct pipe_end *e) { fq_activated(&((struct dish *)self)->fq, e); }
static void dish_write_activated(void *self, struct pipe_end *e) { dist_activated(&((struct dish *)self)->dist, e); }
static void dish_hiccup(void *self, struct pipe_end *e) { resend_all(self, e); }

/* ---- receiving -------------------------------------------------------------------------------------- */
/* Puts the group g (len bytes) on m, sharing last_group when it is the same. 0 or -ENOMEM. */
static int stamp_group(struct dish *d, struct msg *m, const uint8_t *g, size_t len)
{
    if (len == 0)
        return msg_set_group(m, NULL, 0);
    struct msg_group *last = d->last_group;
    if (!last || last->len != len || memcmp(last->name, g, len) != 0) {
        struct msg_group *fresh = msg_group_new(g, len);
        if (!fresh)
            return -ENOMEM;
        if (last)
            msg_group_unref(last);
        d->last_group = last = fresh;
    }
    return msg_set_group_ref(m, last);
}

/* Drops the rest of a message whose frame m (with MORE) was just read. */
static void skip_rest(struct dish *d, struct msg *m)
{
    int rc = 0;
    while (rc == 0 && (m->flags & MSGF_MORE)) {
        msg_close(m);
        msg_init(m);
        rc = fq_recv(&d->fq, d->s, m, NULL);
    }
    if (rc == 0)
        msg_close(m);
    msg_init(m);
}

/* The next message of a joined group, with its group set, into m (empty). 0 or -EAGAIN. */
static int next_message(struct dish *d, struct msg *m)
{
    for (;;) {
        struct msg head;
        int rc = fq_recv(&d->fq, d->s, &head, NULL);
        if (rc < 0)
            return rc;
        if (!(head.flags & MSGF_MORE)) {
            msg_close(&head);   /* a lone frame is no RADIO message */
            continue;
        }
        rc = fq_recv(&d->fq, d->s, m, NULL);   /* the rest is in the pipe once the head is */
        if (rc < 0) {
            msg_close(&head);
            return rc;
        }
        size_t len = msg_size(&head);
        const uint8_t *g = msg_data(&head);
        uint8_t key[RADIO_DISH_KEY_MAX];
        /* RFC 48: group bytes are 1-255, so a NUL cannot make one group look like another */
        bool ok = !(m->flags & MSGF_MORE) && len <= MSG_GROUP_MAX && (len == 0 || !memchr(g, 0, len)) &&
                  trie_match(&d->groups, key, radio_dish_key(key, g, len)) && stamp_group(d, m, g, len) == 0;
        msg_close(&head);
        if (ok)
            return 0;
        skip_rest(d, m);
    }
}

static int dish_recv(void *self, struct msg *m)
{
    struct dish *d = self;
    if (d->has_message) {
        *m = d->message;   /* m is empty: a plain move */
        msg_init(&d->message);
        d->has_message = false;
        return 0;
    }
    return next_message(d, m);
}

static bool dish_has_in(void *self)
{
    struct dish *d = self;
    if (d->has_message)
        return true;
    msg_init(&d->message);
    d->has_message = next_message(d, &d->message) == 0;
    return d->has_message;
}

static int dish_send(void *self, struct msg *m)
{
    (void)self;
    (void)m;
    return -ENOTSUP;
}

static bool dish_has_out(void *self) { (void)self; return false; }

const struct proto_ops proto_dish = {
    .type = PROTO_DISH,
    .name = "DISH",
    .size = sizeof(struct dish),
    .thread_safe = true,
    .init = dish_init,
    .fini = dish_fini,
    .attach = dish_attach,
    .detach = dish_detach,
    .read_activated = dish_read_activated,
    .write_activated = dish_write_activated,
    .hiccup = dish_hiccup,
    .send = dish_send,
    .recv = dish_recv,
    .has_in = dish_has_in,
    .has_out = dish_has_out,
    .join = dish_join,
};
