/* RADIO (RFC 48): sends each single-frame message to the DISH peers that joined its group, dropping it for
 * a peer at its high-water mark (a RADIO never blocks, like PUB), or, with ZMQ_XPUB_NODROP set (as libzmq's
 * RADIO takes it), failing with EAGAIN until every such peer has room (blocking sends wait); thread-safe (socket.c serialises every
 * call: proto_ops.thread_safe). Sending with ZMQ_SNDMORE is EINVAL; a message without a group belongs to
 * the group "" and reaches the DISHes that joined "" (as libzmq). Receiving is ENOTSUP.
 *
 * Memberships come up every pipe as MSGF_COMMAND frames (proto/radio_dish.h); pipes are read as soon as
 * they are read-activated, so a join applies whether or not the application ever calls the socket, and
 * anything else a peer sends is dropped (RFC 48: "SHALL silently discard any messages that dishes send").
 * A join of a group the pipe already holds changes nothing, so the DISH's resend after a reconnect is
 * harmless; a peer's memberships end with its pipe. A udp:// pipe (pipe_end.datagram) gets every message:
 * nobody on a datagram can join, and the DISH at the other end filters.
 *
 * Invariants:
 *  1. An attached pipe has its radio_pipe in proto_data and is in dist; groups holds (key, pipe) for each
 *     group the pipe's peer joined and did not leave, from attach to detach.
 *  2. A pipe is read until empty whenever it is read-activated or attached, so its next frame wakes us.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "proto/radio_dish.h"
#include "proto/route/route.h"
#include "proto/route/trie.h"

struct radio_pipe {                 /* pipe_end->proto_data */
    struct mtrie_sub sub;           /* its groups in radio->groups */
    bool more_in;                   /* mid-way through a multipart message it sent (dropped) */
};

struct radio {
    struct socket *s;
    struct dist dist;
    struct mtrie groups;            /* key (radio_dish.h) -> pipes whose peer joined it */
    size_t datagram_pipes;          /* attached udp:// pipes (pipe_end.datagram): they get every group */
    bool nodrop;                    /* ZMQ_XPUB_NODROP: EAGAIN instead of dropping at a high-water mark */
};

static int radio_init(void *self, struct socket *s)
{
    struct radio *r = self;
    r->s = s;
    dist_init(&r->dist);
    return mtrie_init(&r->groups);
}

static void radio_fini(void *self)
{
    struct radio *r = self;
    mtrie_fini(&r->groups);
    route_set_fini(&r->dist.set);
}

/* One frame from a peer: a membership applies, anything else is dropped. Takes m. */
static void radio_frame(struct radio *r, struct radio_pipe *p, struct msg *m)
{
    bool first = !p->more_in;
    p->more_in = msg_more(m);
    size_t size = msg_size(m);
    if (first && !p->more_in && (m->flags & MSGF_COMMAND) && size >= 1 && size - 1 <= MSG_GROUP_MAX) {
        const uint8_t *d = msg_data(m);
        uint8_t key[RADIO_DISH_KEY_MAX];
        size_t klen = radio_dish_key(key, d + 1, size - 1);
        if (d[0] == 1)
            (void)mtrie_add(&r->groups, key, klen, &p->sub);   /* ENOMEM: the peer misses that group */
        else
            (void)mtrie_remove(&r->groups, key, klen, &p->sub);
    }
    msg_close(m);
}

static void radio_drain(struct radio *r, struct pipe_end *e)
{
    struct radio_pipe *p = e->proto_data;
    if (!p)
        return;
    struct msg m;
    msg_init(&m);
    while (pipe_read(e, &m))
        radio_frame(r, p, &m);
}

static int radio_attach(void *self, struct pipe_end *e)
{
    struct radio *r = self;
    struct radio_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    mtrie_sub_init(&p->sub, e);
    if (dist_attach(&r->dist, e) < 0) {
        free(p);
        return -ENOMEM;
    }
    e->proto_data = p;
    if (e->datagram)
        r->datagram_pipes++;
    radio_drain(r, e);
    return 0;
}

static void radio_detach(void *self, struct pipe_end *e)
{
    struct radio *r = self;
    struct radio_pipe *p = e->proto_data;
    dist_detach(&r->dist, e);
    if (p && e->datagram)
        r->datagram_pipes--;
    if (p) {
        (void)mtrie_remove_sub(&r->groups, &p->sub, NULL, NULL);
        free(p);
    }
    e->proto_data = NULL;
}

static void radio_read_activated(void *self, struct pipe_end *e) { radio_drain(self, e); }
static void radio_write_activated(void *self, struct pipe_end *e) { dist_activated(&((struct radio *)self)->dist, e); }

static void radio_match(void *arg, void *owner)
{
    dist_match(&((struct radio *)arg)->dist, owner);
}

/* ZMQ_XPUB_NODROP: may every target take a whole new message? (Arms the room wake of those that cannot.) */
static bool radio_targets_have_room(struct radio *r)
{
    for (size_t i = 0; i < r->dist.matching; i++) {
        struct pipe_end *e = r->dist.set.pipes[i];
        if (!pipe_peer_closed(e) && !pipe_check_write(e))
            return false;
    }
    return true;
}

static int radio_send(void *self, struct msg *m)
{
    struct radio *r = self;
    if (m->flags & MSGF_MORE)
        return -EINVAL;
    size_t len;
    const char *group = msg_group(m, &len);
    uint8_t key[RADIO_DISH_KEY_MAX];
    size_t klen = radio_dish_key(key, group, len);
    dist_unmatch(&r->dist);
    mtrie_match(&r->groups, key, klen, radio_match, r);
    for (size_t i = 0; r->datagram_pipes && i < r->dist.set.n; i++)
        if (r->dist.set.pipes[i]->datagram)
            dist_match(&r->dist, r->dist.set.pipes[i]);
    if (r->dist.matching == 0) {
        msg_close(m);   /* nobody joined: sent, as far as the application can tell */
        msg_init(m);
        return 0;
    }
    if (r->nodrop && !radio_targets_have_room(r)) {
        dist_unmatch(&r->dist);
        return -EAGAIN;
    }
    struct msg head;
    if (msg_init_size(&head, len) < 0)
        return -ENOMEM;
    if (len)
        memcpy(msg_data(&head), group, len);
    head.flags = MSGF_MORE;
    (void)dist_send_to_matching(&r->dist, r->s, &head);
    return dist_send_to_matching(&r->dist, r->s, m);
}

static int radio_recv(void *self, struct msg *m)
{
    (void)self;
    (void)m;
    return -ENOTSUP;
}

/* The option table gives RADIO only ZMQ_XPUB_NODROP, an int already checked for size. */
static int radio_setopt(void *self, int option, const void *value, size_t len)
{
    struct radio *r = self;
    int on;
    if (option != ZMQ_XPUB_NODROP || len != sizeof on)
        return -ENOENT;
    memcpy(&on, value, sizeof on);
    r->nodrop = on != 0;
    return 0;
}

static bool radio_has_in(void *self) { (void)self; return false; }
static bool radio_has_out(void *self) { return dist_has_out(&((struct radio *)self)->dist); }

const struct proto_ops proto_radio = {
    .type = PROTO_RADIO,
    .name = "RADIO",
    .size = sizeof(struct radio),
    .thread_safe = true,
    .init = radio_init,
    .fini = radio_fini,
    .attach = radio_attach,
    .detach = radio_detach,
    .read_activated = radio_read_activated,
    .write_activated = radio_write_activated,
    .send = radio_send,
    .recv = radio_recv,
    .has_in = radio_has_in,
    .has_out = radio_has_out,
    .setopt = radio_setopt,
};
