/* STREAM: plain TCP peers with no ZMTP (core/conn.c runs STREAM connections raw). Every message the
 * application sees is [routing id][bytes]: each read from a peer arrives as [id][data], and [id][data]
 * sent is written to that peer as is. The connection puts an empty frame on the pipe when the peer
 * connects and when it goes away; with ZMQ_STREAM_NOTIFY (default on) those reach the application as
 * [id][""]. Sending [id][""] closes that peer's connection once what was sent before has been written.
 *
 * Routing ids are generated (0x00 + 32-bit counter), or ZMQ_CONNECT_ROUTING_ID for our own connects.
 *
 * Receive states: IDLE --stream_recv: frame prefetched, id returned--> PREFETCHED --stream_recv: data-->
 * IDLE. Send states: IDLE --stream_send: id frame--> ADDRESSED (out, or NULL: drop) --data frame--> IDLE.
 *
 * Invariants:
 *  1. Every attached pipe has a route_peer in proto_data and is in the table until it is closed or gone.
 *  2. Frames on a STREAM pipe are always single-frame messages; the data frame's MORE flag is ignored.
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

struct stream {
    struct socket *s;
    struct fq fq;
    struct router_table table;
    /* receiving */
    struct msg prefetch;             /* the data frame whose id goes out first */
    bool prefetched;
    bool id_sent;
    uint8_t in_id[ROUTE_ID_MAX];
    uint8_t in_id_len;
    /* sending */
    bool addressed;                  /* the id frame is done: the data frame is next */
    struct pipe_end *out;            /* its pipe, or NULL: the data frame is dropped */
    bool notify;                     /* ZMQ_STREAM_NOTIFY */
};

static int stream_init(void *self, struct socket *s)
{
    struct stream *st = self;
    st->s = s;
    fq_init(&st->fq);
    router_table_init(&st->table);
    msg_init(&st->prefetch);
    st->notify = true;
    return 0;
}

static void stream_fini(void *self)
{
    struct stream *st = self;
    msg_close(&st->prefetch);
    router_table_fini(&st->table);
    route_set_fini(&st->fq.set);
}

static int stream_attach(void *self, struct pipe_end *e)
{
    struct stream *st = self;
    struct route_peer *peer = calloc(1, sizeof *peer);
    if (!peer)
        return -ENOMEM;
    peer->end = e;
    e->proto_data = peer;
    /* A connect-side pipe carries ZMQ_CONNECT_ROUTING_ID, if one was set; raw peers announce nothing. */
    peer->id_len = e->peer_id_len;
    memcpy(peer->id, e->peer_id, e->peer_id_len);
    if (!peer->id_len || router_table_find(&st->table, peer->id, peer->id_len))
        router_table_generate_id(&st->table, st->s, peer);
    if (router_table_insert(&st->table, peer) < 0 || fq_attach(&st->fq, e) < 0) {
        router_table_remove(&st->table, peer);
        e->proto_data = NULL;
        free(peer);
        return -ENOMEM;
    }
    return 0;
}

static void stream_detach(void *self, struct pipe_end *e)
{
    struct stream *st = self;
    struct route_peer *peer = e->proto_data;
    fq_detach(&st->fq, e);
    if (st->out == e)
        st->out = NULL;
    if (peer) {
        router_table_remove(&st->table, peer);
        free(peer);
        e->proto_data = NULL;
    }
}

static void stream_read_activated(void *self, struct pipe_end *e) { fq_activated(&((struct stream *)self)->fq, e); }
static void stream_write_activated(void *self, struct pipe_end *e) { (void)self; (void)e; }

static int stream_recv(void *self, struct msg *m)
{
    struct stream *st = self;
    while (!st->prefetched) {
        struct pipe_end *from = NULL;
        int rc = fq_recv(&st->fq, st->s, &st->prefetch, &from);
        if (rc < 0)
            return rc;
        if (msg_size(&st->prefetch) == 0 && !st->notify) {
            /* a connect or disconnect notification nobody asked for */
            msg_close(&st->prefetch);
            msg_init(&st->prefetch);
            continue;
        }
        struct route_peer *peer = from->proto_data;
        st->in_id_len = peer->id_len;
        memcpy(st->in_id, peer->id, peer->id_len);
        st->prefetched = true;
        st->id_sent = false;
    }
    if (!st->id_sent) {
        int rc = msg_init_size(m, st->in_id_len);
        if (rc < 0)
            return rc;
        memcpy(msg_data(m), st->in_id, st->in_id_len);
        m->flags = MSGF_MORE;
        if (st->prefetch.meta)
            msg_set_meta(m, st->prefetch.meta);
        st->id_sent = true;
        return 0;
    }
    *m = st->prefetch;   /* *m may be uninitialised: a plain move, never msg_move */
    msg_init(&st->prefetch);
    m->flags &= (uint8_t)~MSGF_MORE;
    st->prefetched = false;
    return 0;
}

static int stream_send(void *self, struct msg *m)
{
    struct stream *st = self;
    if (!st->addressed) {
        /* The routing id. A lone id frame (no MORE) still makes the next frame its data, as in libzmq. */
        st->out = NULL;
        if (msg_more(m)) {
            struct route_peer *peer = router_table_find(&st->table, msg_data(m), msg_size(m));
            if (!peer)
                return -EHOSTUNREACH;
            struct pipe_end *e = peer->end;
            if (pipe_peer_closed(e)) {
                if (!pipe_check_read(e))
                    socket_pipe_dead(st->s, e);
                return -EHOSTUNREACH;
            }
            if (!pipe_check_write(e))
                return -EAGAIN;
            st->out = e;
        }
        st->addressed = true;
        msg_close(m);
        msg_init(m);
        return 0;
    }
    st->addressed = false;
    struct pipe_end *e = st->out;
    st->out = NULL;
    if (e && msg_size(m) == 0) {
        /* [id][""]: close this peer. What was sent before stays in the pipe and is written first. */
        struct route_peer *peer = e->proto_data;
        if (peer)
            router_table_remove(&st->table, peer);
        fq_detach(&st->fq, e);
        socket_pipe_dead(st->s, e);
    } else if (e) {
        m->flags &= (uint8_t)~MSGF_MORE;
        if (pipe_write(e, m) == 0) {
            pipe_flush(e);
            return 0;
        }
    }
    msg_close(m);
    msg_init(m);
    return 0;
}

static bool stream_has_in(void *self)
{
    struct stream *st = self;
    return st->prefetched || fq_has_in(&st->fq, st->s);
}

static bool stream_has_out(void *self)
{
    (void)self;
    return true;
}

/* ZMQ_STREAM_NOTIFY is write-only, as in libzmq (getsockopt: EINVAL through the generic options). */
static int stream_setopt(void *self, int option, const void *value, size_t len)
{
    struct stream *st = self;
    int v;
    if (option != ZMQ_STREAM_NOTIFY)
        return -ENOENT;
    if (opt_get_int(value, len, &v) < 0 || v < 0 || v > 1)   /* libzmq: 0 or 1 only */
        return -EINVAL;
    st->notify = v;
    return 0;
}

const struct proto_ops proto_stream = {
    .type = ZMQ_STREAM,
    .name = "STREAM",
    .size = sizeof(struct stream),
    .init = stream_init,
    .fini = stream_fini,
    .attach = stream_attach,
    .detach = stream_detach,
    .read_activated = stream_read_activated,
    .write_activated = stream_write_activated,
    .send = stream_send,
    .recv = stream_recv,
    .has_in = stream_has_in,
    .has_out = stream_has_out,
    .setopt = stream_setopt,
};
