/* SERVER (RFC 41): fair-queues incoming messages and tags each with the 32-bit routing id of the peer it
 * came from (zmq_msg_routing_id); sends each message to the peer its routing id names. Thread-safe
 * (socket.c serialises every call: proto_ops.thread_safe) and single-frame only, as libzmq:
 *  - send: ZMQ_SNDMORE is EINVAL; an id that is 0 or names no peer (never did, or gone) is EHOSTUNREACH;
 *    a peer at its high-water mark is EAGAIN, so a blocking send waits for room (ZMQ_SNDTIMEO);
 *  - recv: a multipart message a peer sends anyway is dropped whole;
 *  - ZMQ_POLLOUT is always set: whether a send blocks depends on the id it names.
 * Each peer's id is given when its pipe attaches (socket_next_routing_id: a random start, never 0) and
 * lasts as long as the pipe: a peer that reconnects over tcp keeps its pipe, and so its id.
 *
 * PEER (peer.c) is this socket under another name, as in libzmq: the hooks are shared through
 * proto/server.h.
 *
 * Invariant: every attached pipe has a route_peer in proto_data, in the table under its 4-byte id (big
 * endian) from attach to detach; pipe_end->routing_id holds the same id.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "proto/proto.h"
#include "proto/server.h"

static void server_id_bytes(uint32_t id, uint8_t out[4])
{
    out[0] = (uint8_t)(id >> 24);
    out[1] = (uint8_t)(id >> 16);
    out[2] = (uint8_t)(id >> 8);
    out[3] = (uint8_t)id;
}

int server_init(void *self, struct socket *s)
{
    struct server *sv = self;
    sv->s = s;
    fq_init(&sv->fq);
    router_table_init(&sv->table);
    return 0;
}

void server_fini(void *self)
{
    struct server *sv = self;
    router_table_fini(&sv->table);
    route_set_fini(&sv->fq.set);
}

int server_attach(void *self, struct pipe_end *e)
{
    struct server *sv = self;
    struct route_peer *peer = calloc(1, sizeof *peer);
    if (!peer)
        return -ENOMEM;
    peer->end = e;
    peer->id_len = 4;
    uint32_t id;
    do {
        id = socket_next_routing_id(sv->s);
        server_id_bytes(id, peer->id);
    } while (router_table_find(&sv->table, peer->id, 4));
    if (router_table_insert(&sv->table, peer) < 0)
        goto fail_table;
    if (fq_attach(&sv->fq, e) < 0)
        goto fail_fq;
    e->routing_id = id;
    e->proto_data = peer;
    return 0;
fail_fq:
    router_table_remove(&sv->table, peer);
fail_table:
    free(peer);
    return -ENOMEM;
}

void server_detach(void *self, struct pipe_end *e)
{
    struct server *sv = self;
    struct route_peer *peer = e->proto_data;
    fq_detach(&sv->fq, e);
    router_table_remove(&sv->table, peer);
    free(peer);
    e->proto_data = NULL;
}

void server_read_activated(void *self, struct pipe_end *e) { fq_activated(&((struct server *)self)->fq, e); }

/* Room again on e: a blocked send retries by itself (socket.c loops on EAGAIN after each wake). */
void server_write_activated(void *self, struct pipe_end *e) { (void)self; (void)e; }

int server_send(void *self, struct msg *m)
{
    struct server *sv = self;
    if (m->flags & MSGF_MORE)
        return -EINVAL;
    uint8_t key[4];
    server_id_bytes(m->routing_id, key);
    struct route_peer *peer = m->routing_id ? router_table_find(&sv->table, key, 4) : NULL;
    if (!peer)
        return -EHOSTUNREACH;
    struct pipe_end *e = peer->end;
    if (pipe_peer_closed(e)) {
        if (!pipe_check_read(e))
            socket_pipe_dead(sv->s, e);
        return -EHOSTUNREACH;   /* the peer is gone: its id will never be routable again */
    }
    if (!pipe_check_write(e))
        return -EAGAIN;
    uint32_t id = m->routing_id;
    m->routing_id = 0;   /* over inproc the message reaches the CLIENT as it is: it carries no id there */
    if (pipe_write(e, m) < 0) {
        m->routing_id = id;
        return -ENOMEM;
    }
    pipe_flush(e);
    return 0;
}

int server_recv(void *self, struct msg *m)
{
    struct server *sv = self;
    struct pipe_end *from = NULL;
    int rc = fq_recv_single(&sv->fq, sv->s, m, &from);
    if (rc == 0)
        m->routing_id = from->routing_id;
    return rc;
}

bool server_has_in(void *self) { struct server *sv = self; return fq_has_in(&sv->fq, sv->s); }
bool server_has_out(void *self) { (void)self; return true; }

const struct proto_ops proto_server = {
    .type = PROTO_SERVER,
    .name = "SERVER",
    .size = sizeof(struct server),
    .thread_safe = true,
    .init = server_init,
    .fini = server_fini,
    .attach = server_attach,
    .detach = server_detach,
    .read_activated = server_read_activated,
    .write_activated = server_write_activated,
    .send = server_send,
    .recv = server_recv,
    .has_in = server_has_in,
    .has_out = server_has_out,
};
