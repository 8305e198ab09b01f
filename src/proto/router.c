/* ROUTER (RFC 28): fair-queues incoming messages and prefixes each with the routing id of the peer it
 * came from; routes each outgoing message by its first frame. Routing ids come from the peer's READY
 * Identity (or ZMQ_CONNECT_ROUTING_ID for our own connects), else are generated (0x00 + 32-bit counter).
 *
 * Options: ZMQ_ROUTER_MANDATORY (unknown id: EHOSTUNREACH; peer at HWM: EAGAIN; otherwise such messages are
 * dropped silently), ZMQ_ROUTER_HANDOVER (a newcomer with an id in use takes it; the old pipe is closed),
 * ZMQ_PROBE_ROUTER (an empty message to every new peer), ZMQ_ROUTER_RAW (deprecated; czmq sets it): the
 * socket's connections speak raw bytes as STREAM's do (core/conn.c), with [id][""] announcing a peer's
 * connect and disconnect; a body frame's MORE flag is ignored and an empty body closes that connection.
 *
 * Receive states: IDLE --router_recv: first frame prefetched, id returned--> PREFETCHED --router_recv:
 * prefetched frame returned--> IN_MESSAGE (more_in) ... last frame --> IDLE (router_end_in).
 * Send states: IDLE --router_send: id frame, pipe looked up--> SENDING (more_out, out or NULL: dropping)
 * --last frame--> IDLE.
 *
 * Invariants:
 *  1. Every attached pipe has a route_peer in proto_data; it is in the table unless ignored (a duplicate
 *     id without handover: libzmq never reads such a peer either) or handed over.
 *  2. A pipe is never closed in the middle of a message the application is reading from it: a handed-over
 *     pipe that is current_in is closed when its message ends (close_current_in).
 *  3. A pipe detached in the middle of a message we write has that partial message rolled back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/options.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "proto/route/route.h"
#include "proto/route/router_table.h"

struct router {
    struct socket *s;
    struct fq fq;
    struct router_table table;
    /* receiving */
    struct msg prefetch;             /* first frame of the message being received */
    bool prefetched;
    bool id_sent;                    /* its routing id frame went to the application */
    uint8_t in_id[ROUTE_ID_MAX];     /* that id, copied (the pipe may go before the frame is taken) */
    uint8_t in_id_len;
    bool more_in;                    /* in the middle of a message from current_in */
    struct pipe_end *current_in;
    bool close_current_in;           /* current_in was handed over: close it after this message */
    /* sending */
    bool more_out;                   /* the id frame is done, body frames follow */
    struct pipe_end *out;            /* where they go; NULL: dropped */
    /* options */
    bool mandatory;
    bool handover;
    bool probe_router;
    bool raw;                        /* ZMQ_ROUTER_RAW */
};

static int router_init(void *self, struct socket *s)
{
    struct router *r = self;
    r->s = s;
    fq_init(&r->fq);
    router_table_init(&r->table);
    msg_init(&r->prefetch);
    return 0;
}

static void router_fini(void *self)
{
    struct router *r = self;
    msg_close(&r->prefetch);
    router_table_fini(&r->table);
    route_set_fini(&r->fq.set);
}

/* The previous holder of an id loses it to a newcomer (ZMQ_ROUTER_HANDOVER). */
static void router_hand_over(struct router *r, struct route_peer *old)
{
    router_table_remove(&r->table, old);
    old->ignored = true;
    if (r->out == old->end) {
        pipe_rollback(old->end);
        r->out = NULL;
    }
    if (old->end == r->current_in && (r->prefetched || r->more_in))
        r->close_current_in = true;
    else
        socket_pipe_dead(r->s, old->end);
}

/* Gives peer its routing id: id if non-empty and free (or taken over with ZMQ_ROUTER_HANDOVER), a
 * generated one if id is empty; a taken id without handover leaves the peer ignored. */
static void router_identify(struct router *r, struct route_peer *peer, const uint8_t *id, size_t len)
{
    struct pipe_end *e = peer->end;
    peer->anonymous = false;
    if (len) {
        peer->id_len = (uint8_t)len;
        memcpy(peer->id, id, len);
        struct route_peer *holder = router_table_find(&r->table, peer->id, peer->id_len);
        if (holder) {
            if (!r->handover) {
                /* libzmq ignores a peer whose id is taken: it is never read or routed to. */
                peer->ignored = true;
                return;
            }
            router_hand_over(r, holder);
        }
    } else {
        router_table_generate_id(&r->table, r->s, peer);
    }
    if (router_table_insert(&r->table, peer) < 0 || fq_attach(&r->fq, e) < 0) {
        router_table_remove(&r->table, peer);
        peer->ignored = true;
        socket_pipe_dead(r->s, e);
    }
}

/* A pipe made before its connection's handshake: its first message is the peer's id (MSGF_ROUTING_ID). */
static void router_identify_in_band(struct router *r, struct route_peer *peer)
{
    struct pipe_end *e = peer->end;
    struct msg m;
    while (pipe_read(e, &m)) {
        bool is_id = m.flags & MSGF_ROUTING_ID;
        if (is_id)
            router_identify(r, peer, msg_data(&m), msg_size(&m));
        msg_close(&m);
        if (is_id)
            return;
    }
    /* The peer may have written its id and closed after the reads above: then a wake is on its way. */
    if (pipe_peer_closed(e) && !pipe_check_read(e))
        socket_pipe_dead(r->s, e);
}

static int router_attach(void *self, struct pipe_end *e)
{
    struct router *r = self;
    struct route_peer *peer = calloc(1, sizeof *peer);
    if (!peer)
        return -ENOMEM;
    peer->end = e;
    e->proto_data = peer;
    if (r->probe_router) {
        struct msg probe;
        msg_init(&probe);
        if (pipe_write(e, &probe) == 0)
            pipe_flush(e);
    }
    if (e->id_in_band && !e->peer_id_len) {
        /* Reading now also arms the wake for when the id arrives. */
        peer->anonymous = true;
        router_identify_in_band(r, peer);
        return 0;
    }
    router_identify(r, peer, e->peer_id, e->peer_id_len);
    return 0;
}

static void router_detach(void *self, struct pipe_end *e)
{
    struct router *r = self;
    struct route_peer *peer = e->proto_data;
    fq_detach(&r->fq, e);
    if (r->out == e) {
        pipe_rollback(e);
        r->out = NULL;
    }
    if (r->current_in == e) {
        /* Only a forced close (socket close) gets here mid-message: start the next message afresh. */
        r->current_in = NULL;
        r->close_current_in = false;
        r->more_in = false;
    }
    if (peer) {
        router_table_remove(&r->table, peer);
        free(peer);
        e->proto_data = NULL;
    }
}

static void router_read_activated(void *self, struct pipe_end *e)
{
    struct router *r = self;
    struct route_peer *peer = e->proto_data;
    if (peer && peer->anonymous) {
        router_identify_in_band(r, peer);
        return;
    }
    if (peer && peer->ignored) {
        /* Never read, so only its closing matters. */
        if (pipe_peer_closed(e))
            socket_pipe_dead(r->s, e);
        return;
    }
    fq_activated(&r->fq, e);
}

static void router_write_activated(void *self, struct pipe_end *e)
{
    (void)self;
    (void)e;
}

/* The message from current_in has ended. */
static void router_end_in(struct router *r)
{
    if (r->close_current_in && r->current_in)
        socket_pipe_dead(r->s, r->current_in);
    r->close_current_in = false;
    r->current_in = NULL;
}

static int router_recv(void *self, struct msg *m)
{
    struct router *r = self;
    while (!r->prefetched && !r->more_in) {
        struct pipe_end *from = NULL;
        int rc = fq_recv(&r->fq, r->s, &r->prefetch, &from);
        if (rc < 0)
            return rc;
        if (r->prefetch.flags & MSGF_ROUTING_ID) {
            /* The peer's id again, after a reconnect: libzmq too assumes it is unchanged. */
            msg_close(&r->prefetch);
            msg_init(&r->prefetch);
            continue;
        }
        struct route_peer *peer = from->proto_data;
        r->in_id_len = peer->id_len;
        memcpy(r->in_id, peer->id, peer->id_len);
        r->prefetched = true;
        r->id_sent = false;
        r->current_in = from;
    }
    if (r->prefetched && !r->id_sent) {
        int rc = msg_init_size(m, r->in_id_len);
        if (rc < 0)
            return rc;   /* nothing lost: the next call tries again */
        memcpy(msg_data(m), r->in_id, r->in_id_len);
        m->flags = MSGF_MORE;
        if (r->prefetch.meta)
            msg_set_meta(m, r->prefetch.meta);
        r->id_sent = true;
        return 0;
    }
    if (r->prefetched) {
        *m = r->prefetch;   /* *m may be uninitialised: a plain move, never msg_move */
        msg_init(&r->prefetch);
        r->prefetched = false;
    } else {
        int rc = fq_recv(&r->fq, r->s, m, NULL);
        if (rc < 0)
            return rc;
    }
    r->more_in = msg_more(m);
    if (!r->more_in)
        router_end_in(r);
    return 0;
}

/* ZMQ_ROUTER_RAW: [id][""] closes that peer's connection once what was sent before has been written. */
static void router_close_out(struct router *r)
{
    struct pipe_end *e = r->out;
    struct route_peer *peer = e->proto_data;
    r->out = NULL;
    if (peer)
        router_table_remove(&r->table, peer);
    fq_detach(&r->fq, e);
    socket_pipe_dead(r->s, e);
}

static int router_send(void *self, struct msg *m)
{
    struct router *r = self;
    if (!r->more_out) {
        /* The routing id. A lone frame (no body) is dropped, as libzmq does. */
        if (msg_more(m)) {
            struct route_peer *peer = router_table_find(&r->table, msg_data(m), msg_size(m));
            r->out = NULL;
            if (peer) {
                struct pipe_end *e = peer->end;
                bool closed = pipe_peer_closed(e);
                if (!closed && pipe_check_write(e)) {
                    r->out = e;
                } else {
                    if (closed && !pipe_check_read(e))
                        socket_pipe_dead(r->s, e);
                    if (r->mandatory)
                        return closed ? -EHOSTUNREACH : -EAGAIN;
                    socket_drop(r->s, closed ? STATS_NO_ROUTE : STATS_HWM, 1);
                }
            } else if (r->mandatory) {
                return -EHOSTUNREACH;
            } else {
                socket_drop(r->s, STATS_NO_ROUTE, 1);
            }
            r->more_out = true;
        }
        msg_close(m);
        msg_init(m);
        return 0;
    }
    if (r->raw)
        m->flags &= (uint8_t)~MSGF_MORE;   /* raw connections carry single frames */
    r->more_out = msg_more(m);
    if (r->out && r->raw && msg_size(m) == 0) {
        router_close_out(r);
    } else if (r->out) {
        if (pipe_write(r->out, m) < 0) {
            pipe_rollback(r->out);
            r->out = NULL;
        } else if (!r->more_out) {
            pipe_flush(r->out);
        }
    }
    if (!r->more_out)
        r->out = NULL;
    msg_close(m);
    msg_init(m);
    return 0;
}

static bool router_has_in(void *self)
{
    struct router *r = self;
    return r->prefetched || r->more_in || fq_has_in(&r->fq, r->s);
}

static bool router_has_out(void *self)
{
    struct router *r = self;
    if (!r->mandatory || r->more_out)
        return true;
    for (size_t i = 0; i < r->table.cap; i++) {
        struct route_peer *p = r->table.slots[i];
        if (p && !pipe_peer_closed(p->end) && pipe_check_write(p->end))
            return true;
    }
    return false;
}

static bool *router_flag(struct router *r, int option)
{
    switch (option) {
    case ZMQ_ROUTER_MANDATORY: return &r->mandatory;
    case ZMQ_ROUTER_HANDOVER: return &r->handover;
    case ZMQ_PROBE_ROUTER: return &r->probe_router;
    default: return NULL;
    }
}

static int router_setopt(void *self, int option, const void *value, size_t len)
{
    struct router *r = self;
    if (option == ZMQ_ROUTER_RAW) {
        /* As libzmq: turning it on makes later connections raw; turning it off again does not undo that
         * (nor does it make connections that exist now raw). Not readable back (EINVAL). */
        int rc = opt_get_flag(value, len, &r->raw);
        if (rc == 0 && r->raw)
            r->s->opt.raw_socket = true;
        return rc;
    }
    bool *field = router_flag(self, option);
    if (!field)
        return -ENOENT;
    return opt_get_flag(value, len, field);
}

/* libzmq's answer: the peer's pipe below its high-water mark (ZMQ_POLLOUT) or not (0); an id that no
 * peer holds, or whose peer has gone, is EHOSTUNREACH. */
static int router_peer_state(void *self, const void *id, size_t len)
{
    struct router *r = self;
    struct route_peer *peer = len <= ROUTE_ID_MAX ? router_table_find(&r->table, id, len) : NULL;
    if (!peer || pipe_peer_closed(peer->end))
        return -EHOSTUNREACH;
    return pipe_check_write(peer->end) ? ZMQ_POLLOUT : 0;
}

const struct proto_ops proto_router = {
    .type = ZMQ_ROUTER,
    .name = "ROUTER",
    .size = sizeof(struct router),
    .init = router_init,
    .fini = router_fini,
    .attach = router_attach,
    .detach = router_detach,
    .read_activated = router_read_activated,
    .write_activated = router_write_activated,
    .send = router_send,
    .recv = router_recv,
    .has_in = router_has_in,
    .has_out = router_has_out,
    .setopt = router_setopt,
    .peer_state = router_peer_state,
};
