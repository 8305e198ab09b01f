/* Routing id -> peer hash table for ROUTER and STREAM (see router_table.h). */
#include "proto/route/router_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/socket.h"

/* FNV-1a, then a murmur3 finaliser so ids that differ only in their last byte spread over the table. */
static uint32_t id_hash(const uint8_t *id, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= id[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

void router_table_init(struct router_table *t)
{
    t->slots = NULL;
    t->cap = t->count = 0;
}

void router_table_fini(struct router_table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i])
            t->slots[i]->in_table = false;
    free(t->slots);
    router_table_init(t);
}

struct route_peer *router_table_find(const struct router_table *t, const void *id, size_t len)
{
    if (!t->count || len > ROUTE_ID_MAX)
        return NULL;
    uint32_t h = id_hash(id, len);
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct route_peer *p = t->slots[i];
        if (!p)
            return NULL;
        if (p->hash == h && p->id_len == len && memcmp(p->id, id, len) == 0)
            return p;
    }
}

static void place(struct route_peer **slots, size_t cap, struct route_peer *p)
{
    size_t mask = cap - 1;
    size_t i = p->hash & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = p;
}

static int grow(struct router_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 16;
    struct route_peer **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i])
            place(slots, cap, t->slots[i]);
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

int router_table_insert(struct router_table *t, struct route_peer *p)
{
    if ((t->count + 1) * 2 > t->cap) {
        int rc = grow(t);
        if (rc < 0)
            return rc;
    }
    p->hash = id_hash(p->id, p->id_len);
    place(t->slots, t->cap, p);
    p->in_table = true;
    t->count++;
    return 0;
}

void router_table_remove(struct router_table *t, struct route_peer *p)
{
    if (!p->in_table)
        return;
    size_t mask = t->cap - 1;
    size_t i = p->hash & mask;
    while (t->slots[i] != p)
        i = (i + 1) & mask;
    t->slots[i] = NULL;
    p->in_table = false;
    t->count--;
    /* Backward shift: move later members of the probe run into the hole if their home allows it. */
    for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t home = t->slots[j]->hash & mask;
        /* j's entry may fill hole i unless its home lies cyclically in (i, j]. */
        bool home_after_hole = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (home_after_hole)
            continue;
        t->slots[i] = t->slots[j];
        t->slots[j] = NULL;
        i = j;
    }
}

void router_table_generate_id(const struct router_table *t, struct socket *s, struct route_peer *p)
{
    do {
        uint32_t n = socket_next_routing_id(s);
        p->id[0] = 0;
        p->id[1] = (uint8_t)(n >> 24);
        p->id[2] = (uint8_t)(n >> 16);
        p->id[3] = (uint8_t)(n >> 8);
        p->id[4] = (uint8_t)n;
        p->id_len = 5;
    } while (router_table_find(t, p->id, p->id_len));
}
