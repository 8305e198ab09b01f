/* The routing-id table of ROUTER and STREAM sockets: routing id bytes -> peer, an open-addressing hash
 * table (linear probing, backward-shift deletion, load at most 1/2), so lookups on every send stay O(1)
 * with thousands of peers.
 *
 * Each pipe a ROUTER or STREAM serves has one route_peer, hung off pipe_end->proto_data; the table only
 * points at peers, never owns them.
 *
 * Invariants:
 *  1. A peer is in the table exactly while in_table is true, and no two peers in it have equal ids.
 *  2. slots[i] == NULL marks the end of every probe sequence that passes i (no tombstones).
 */
#ifndef ZINC_ROUTER_TABLE_H
#define ZINC_ROUTER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pipe_end;
struct socket;

#define ROUTE_ID_MAX 255

struct route_peer {
    struct pipe_end *end;            /* the pipe this peer is reached through */
    uint32_t hash;                   /* of id, cached for rehashing */
    bool in_table;                   /* routable: its id is in the table */
    bool ignored;                    /* ROUTER: a duplicate id without handover; never read or written */
    bool anonymous;                  /* ROUTER: waiting for the peer's id to arrive in band */
    uint8_t id_len;
    uint8_t id[ROUTE_ID_MAX];
};

struct router_table {
    struct route_peer **slots;       /* cap entries, NULL when free */
    size_t cap;                      /* a power of two, or 0 before the first insert */
    size_t count;
};

void router_table_init(struct router_table *t);
void router_table_fini(struct router_table *t);
struct route_peer *router_table_find(const struct router_table *t, const void *id, size_t len);
/* Adds p under p->id (which must not be in the table yet). 0 or -ENOMEM. */
int router_table_insert(struct router_table *t, struct route_peer *p);
void router_table_remove(struct router_table *t, struct route_peer *p);

/* Gives p a fresh generated id, libzmq's form: 0x00 then a 32-bit big-endian counter, skipping ids in use. */
void router_table_generate_id(const struct router_table *t, struct socket *s, struct route_peer *p);

#endif
