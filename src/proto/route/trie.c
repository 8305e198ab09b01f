/* The radix tree under trie and mtrie (see trie.h for why it is shaped this way).
 *
 * Invariants:
 *  1. The root's label is empty; every other node's label is non-empty, and a node's children start with
 *     distinct bytes, kept sorted by that first byte (child_find is a binary search).
 *  2. A non-root node holds a value (count > 0) or has children: tree_prune frees childless empty nodes,
 *     and merges an empty node with its only child when that costs no more than the cancel that emptied
 *     it (see tree_prune), so the tree stays compact without letting a peer's short cancels copy a long
 *     label over and over. (A merge that cannot allocate is skipped too; the tree stays correct.)
 *  3. Nodes never move, so mtrie memberships may point at them: tree_split keeps the existing node as
 *     the lower half (its label just starts later in its block), and a merge keeps the child.
 *  4. Work is proportional to the bytes of the topic handled: a split copies only the new upper part,
 *     which is part of the topic being added.
 *  4. trie: count is how many times the topic ending at the node was added minus removed.
 *     mtrie: count == number of members; m->node->members[m->node_idx] == m and
 *     m->sub->members[m->sub_idx] == m for every membership m, and every membership is in the hash.
 */
#include "proto/route/trie.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Lookups are cache-friendly, since a million subscriptions make a tree far bigger than the caches: a
 * node's child pointers and, right after them in the same block, each child's first byte (child_bytes), so
 * child_find searches a few contiguous bytes instead of chasing every candidate's label; and a node's
 * label is allocated with the node (label_block == node_inline_label) until a merge gives it a new one. */
struct trie_node {
    struct trie_node *parent;
    struct trie_node **child;       /* child_cap pointers, then child_cap first bytes (invariant 1) */
    uint8_t *label;                 /* the edge from parent, inside label_block; NULL for the root */
    size_t label_len;
    uint8_t *label_block;           /* the allocation label points into (maybe the node's own) */
    unsigned nchild, child_cap;     /* at most 256 */
    size_t count;                   /* trie: subscriptions of this exact topic; mtrie: members */
    struct mtrie_member **members;  /* mtrie only */
    size_t members_cap;
};

struct mtrie_member {
    struct trie_node *node;
    struct mtrie_sub *sub;
    size_t node_idx;                /* index in node->members */
    size_t sub_idx;                 /* index in sub->members */
};

/* ---- the radix tree ----------------------------------------------------------------------------------- */
static uint8_t *node_inline_label(struct trie_node *n)
{
    return (uint8_t *)(n + 1);
}

static struct trie_node *node_new(const uint8_t *label, size_t len)
{
    if (len > SIZE_MAX - sizeof(struct trie_node))
        return NULL;
    struct trie_node *n = calloc(1, sizeof *n + len);
    if (!n)
        return NULL;
    if (len) {
        n->label = n->label_block = node_inline_label(n);
        memcpy(n->label, label, len);
        n->label_len = len;
    }
    return n;
}

static void node_set_label_block(struct trie_node *n, uint8_t *block)
{
    if (n->label_block != node_inline_label(n))
        free(n->label_block);
    n->label_block = block;
}

static void node_free(struct trie_node *n)
{
    free(n->child);
    node_set_label_block(n, NULL);
    free(n->members);
    free(n);
}

/* The first bytes of n's children's labels, in child order (after the child_cap pointers). */
static uint8_t *child_bytes(const struct trie_node *n)
{
    return (uint8_t *)(n->child + n->child_cap);
}

/* Moves n's children to a block for cap of them. 0 or -ENOMEM (n unchanged). */
static int child_grow(struct trie_node *n, unsigned cap)
{
    struct trie_node **block = malloc(cap * (sizeof *block + 1));
    if (!block)
        return -ENOMEM;
    if (n->nchild) {
        memcpy(block, n->child, n->nchild * sizeof *block);
        memcpy((uint8_t *)(block + cap), child_bytes(n), n->nchild);
    }
    free(n->child);
    n->child = block;
    n->child_cap = cap;
    return 0;
}

/* The child whose label starts with byte, or NULL; *at gets its index or where it would go. */
static struct trie_node *child_find(const struct trie_node *n, uint8_t byte, unsigned *at)
{
    const uint8_t *bytes = n->nchild ? child_bytes(n) : NULL;
    unsigned lo = 0, hi = n->nchild;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        uint8_t b = bytes[mid];
        if (b == byte) {
            *at = mid;
            return n->child[mid];
        }
        if (b < byte)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return NULL;
}

static int child_insert(struct trie_node *n, unsigned at, struct trie_node *c)
{
    if (n->nchild == n->child_cap) {
        unsigned cap = n->child_cap ? n->child_cap * 2 : 2;
        if (cap > 256)
            cap = 256;
        if (child_grow(n, cap) < 0)
            return -ENOMEM;
    }
    uint8_t *bytes = child_bytes(n);
    memmove(n->child + at + 1, n->child + at, (n->nchild - at) * sizeof *n->child);
    memmove(bytes + at + 1, bytes + at, n->nchild - at);
    n->child[at] = c;
    bytes[at] = c->label[0];
    n->nchild++;
    c->parent = n;
    return 0;
}

static void child_remove(struct trie_node *n, unsigned at)
{
    uint8_t *bytes = child_bytes(n);
    memmove(n->child + at, n->child + at + 1, (n->nchild - at - 1) * sizeof *n->child);
    memmove(bytes + at, bytes + at + 1, n->nchild - at - 1);
    n->nchild--;
}

static size_t common_prefix(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen, i = 0;
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

/* Splits c's edge after m bytes (0 < m < c->label_len): a new node takes the first m bytes and c, which
 * keeps its identity (invariant 3), hangs below it with the rest. Returns the new node or NULL. */
static struct trie_node *tree_split(struct trie_node *c, size_t m)
{
    struct trie_node *mid = node_new(c->label, m);
    if (!mid)
        return NULL;
    if (child_grow(mid, 2) < 0) {
        node_free(mid);
        return NULL;
    }
    struct trie_node *p = c->parent;
    unsigned at;
    struct trie_node *found = child_find(p, c->label[0], &at);
    assert(found == c);
    (void)found;
    p->child[at] = mid;   /* same first byte: mid's label is the head of c's */
    mid->parent = p;
    c->label += m;   /* no copy: the tail stays where it is in c's block */
    c->label_len -= m;
    mid->child[0] = c;
    child_bytes(mid)[0] = c->label[0];
    mid->nchild = 1;
    c->parent = mid;
    return mid;
}

/* The node for key exactly, or NULL. With create, missing nodes are made (NULL then means ENOMEM). */
static struct trie_node *tree_lookup(struct trie_node *root, const uint8_t *key, size_t len, bool create)
{
    struct trie_node *n = root;
    size_t pos = 0;
    while (pos < len) {
        unsigned at;
        struct trie_node *c = child_find(n, key[pos], &at);
        if (!c) {
            if (!create)
                return NULL;
            struct trie_node *leaf = node_new(key + pos, len - pos);
            if (!leaf)
                return NULL;
            if (child_insert(n, at, leaf) < 0) {
                node_free(leaf);
                return NULL;
            }
            return leaf;
        }
        size_t m = common_prefix(c->label, c->label_len, key + pos, len - pos);
        if (m == c->label_len) {
            n = c;
            pos += m;
            continue;
        }
        if (!create)
            return NULL;
        /* key leaves (or ends inside) c's edge: split it there */
        struct trie_node *mid = tree_split(c, m);
        if (!mid)
            return NULL;
        pos += m;
        if (pos == len)
            return mid;
        struct trie_node *leaf = node_new(key + pos, len - pos);
        if (!leaf)
            return NULL;   /* mid stays, empty with one child: legal, merged by a later prune */
        unsigned at2;
        (void)child_find(mid, key[pos], &at2);
        if (child_insert(mid, at2, leaf) < 0) {
            node_free(leaf);
            return NULL;
        }
        return leaf;
    }
    return n;
}

/* Restores invariant 2 after n lost its value or a child, climbing as far as nodes become empty. */
static void tree_prune(struct trie_node *n)
{
    while (n->parent && n->count == 0) {
        struct trie_node *p = n->parent;
        if (n->nchild == 0) {
            unsigned at;
            struct trie_node *found = child_find(p, n->label[0], &at);
            assert(found == n);
            (void)found;
            child_remove(p, at);
            node_free(n);
            n = p;
            continue;
        }
        /* Merge with an only child, which keeps its identity and takes n's label in front of its own.
         * Copying n's label is paid for by the cancel that emptied n (its topic ends with that label);
         * a long child label is not, so then n stays (empty, one child) until its subtree goes. */
        struct trie_node *c = n->nchild == 1 ? n->child[0] : NULL;
        if (c && (c->label_len <= 64 || c->label_len <= n->label_len)) {
            uint8_t *label = malloc(n->label_len + c->label_len);
            if (!label)
                return;
            memcpy(label, n->label, n->label_len);
            memcpy(label + n->label_len, c->label, c->label_len);
            node_set_label_block(c, label);
            c->label = label;
            c->label_len += n->label_len;
            unsigned at;
            struct trie_node *found = child_find(p, n->label[0], &at);
            assert(found == n);
            (void)found;
            p->child[at] = c;   /* same first byte: c's label now starts with n's */
            c->parent = p;
            n->nchild = 0;
            node_free(n);
        }
        return;
    }
}

/* Frees the whole tree without recursion: each step detaches the last child and goes down into it. */
static void tree_free(struct trie_node *root)
{
    struct trie_node *n = root;
    while (n) {
        if (n->nchild) {
            n = n->child[--n->nchild];
            continue;
        }
        struct trie_node *p = n->parent;
        node_free(n);
        n = p;
    }
}

/* ---- trie ---------------------------------------------------------------------------------------------- */
int trie_init(struct trie *t)
{
    t->topics = 0;
    t->root = node_new(NULL, 0);
    return t->root ? 0 : -ENOMEM;
}

void trie_fini(struct trie *t)
{
    if (t->root)
        tree_free(t->root);
    t->root = NULL;
    t->topics = 0;
}

int trie_add(struct trie *t, const void *topic, size_t len)
{
    struct trie_node *n = tree_lookup(t->root, topic, len, true);
    if (!n)
        return -ENOMEM;
    if (n->count++ > 0)
        return 0;
    t->topics++;
    return 1;
}

int trie_remove(struct trie *t, const void *topic, size_t len)
{
    struct trie_node *n = tree_lookup(t->root, topic, len, false);
    if (!n || n->count == 0)
        return -ENOENT;
    if (--n->count > 0)
        return 0;
    t->topics--;
    tree_prune(n);
    return 1;
}

bool trie_match(const struct trie *t, const void *data, size_t len)
{
    const uint8_t *d = data;
    const struct trie_node *n = t->root;
    size_t pos = 0;
    for (;;) {
        if (n->count)
            return true;
        if (pos == len)
            return false;
        unsigned at;
        const struct trie_node *c = child_find(n, d[pos], &at);
        if (!c || c->label_len > len - pos || memcmp(c->label, d + pos, c->label_len) != 0)
            return false;
        pos += c->label_len;
        n = c;
    }
}

/* Pre-order walk keeping the key of the current node in a growing buffer. */
int trie_foreach(const struct trie *t, trie_topic_fn *fn, void *arg)
{
    uint8_t *key = NULL;
    size_t klen = 0, kcap = 0;
    int rc = 0;
    const struct trie_node *n = t->root;
    for (;;) {
        if (n->count) {
            rc = fn(arg, key ? key : (const uint8_t *)"", klen);
            if (rc)
                break;
        }
        const struct trie_node *next = n->nchild ? n->child[0] : NULL;
        /* no children: climb until some ancestor has a next sibling */
        while (!next && n->parent) {
            const struct trie_node *p = n->parent;
            unsigned at;
            (void)child_find(p, n->label[0], &at);
            klen -= n->label_len;
            if (at + 1 < p->nchild)
                next = p->child[at + 1];
            n = p;
        }
        if (!next)
            break;
        if (klen + next->label_len > kcap) {
            size_t cap = kcap ? kcap : 64;
            while (cap < klen + next->label_len)
                cap *= 2;
            uint8_t *grown = realloc(key, cap);
            if (!grown) {
                rc = -ENOMEM;
                break;
            }
            key = grown;
            kcap = cap;
        }
        memcpy(key + klen, next->label, next->label_len);
        klen += next->label_len;
        n = next;
    }
    free(key);
    return rc;
}

/* ---- mtrie --------------------------------------------------------------------------------------------- */
static size_t hash_of(const struct trie_node *node, const struct mtrie_sub *sub)
{
    uint64_t h = (uint64_t)(uintptr_t)node * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)sub * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)h;
}

/* Index of the (node, sub) slot, or of the empty slot where it would go. */
static size_t hash_slot(const struct mtrie *t, const struct trie_node *node, const struct mtrie_sub *sub)
{
    size_t mask = t->hash_cap - 1, i = hash_of(node, sub) & mask;
    while (t->hash[i] && (t->hash[i]->node != node || t->hash[i]->sub != sub))
        i = (i + 1) & mask;
    return i;
}

static int hash_grow(struct mtrie *t)
{
    size_t cap = t->hash_cap ? t->hash_cap * 2 : 64;
    struct mtrie_member **old = t->hash;
    size_t old_cap = t->hash_cap;
    struct mtrie_member **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    t->hash = slots;
    t->hash_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            t->hash[hash_slot(t, old[i]->node, old[i]->sub)] = old[i];
    free(old);
    return 0;
}

/* Linear-probing delete with backward shift: no tombstones, so lookups never slow down with churn. */
static void hash_delete(struct mtrie *t, size_t i)
{
    size_t mask = t->hash_cap - 1;
    t->hash[i] = NULL;
    t->hash_n--;
    for (size_t j = (i + 1) & mask; t->hash[j]; j = (j + 1) & mask) {
        size_t home = hash_of(t->hash[j]->node, t->hash[j]->sub) & mask;
        /* move j back into the hole at i unless its home lies cyclically in (i, j] */
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            t->hash[i] = t->hash[j];
            t->hash[j] = NULL;
            i = j;
        }
    }
}

int mtrie_init(struct mtrie *t)
{
    memset(t, 0, sizeof *t);
    t->root = node_new(NULL, 0);
    return t->root ? 0 : -ENOMEM;
}

void mtrie_fini(struct mtrie *t)
{
    for (size_t i = 0; i < t->hash_cap; i++)
        free(t->hash[i]);
    free(t->hash);
    if (t->root)
        tree_free(t->root);
    free(t->key);
    memset(t, 0, sizeof *t);
}

void mtrie_sub_init(struct mtrie_sub *s, void *owner)
{
    s->members = NULL;
    s->n = s->cap = 0;
    s->owner = owner;
}

static int grow_ptrs(struct mtrie_member ***arr, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 4;
    struct mtrie_member **grown = realloc(*arr, c * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    *arr = grown;
    *cap = c;
    return 0;
}

int mtrie_add(struct mtrie *t, const void *topic, size_t len, struct mtrie_sub *s)
{
    struct trie_node *n = tree_lookup(t->root, topic, len, true);
    if (!n)
        return -ENOMEM;
    bool first = n->count == 0;
    if (!first && t->hash[hash_slot(t, n, s)])
        return 0;
    /* reserve everything before linking anything, so failure leaves no half-made membership */
    if ((t->hash_n + 1) * 2 > t->hash_cap && hash_grow(t) < 0)
        goto fail;
    if (grow_ptrs(&n->members, &n->members_cap, n->count + 1) < 0 || grow_ptrs(&s->members, &s->cap, s->n + 1) < 0)
        goto fail;
    struct mtrie_member *m = malloc(sizeof *m);
    if (!m)
        goto fail;
    m->node = n;
    m->sub = s;
    m->node_idx = n->count;
    m->sub_idx = s->n;
    n->members[n->count++] = m;
    s->members[s->n++] = m;
    t->hash[hash_slot(t, n, s)] = m;
    t->hash_n++;
    if (first)
        t->topics++;
    return first ? 1 : 0;
fail:
    if (n->count == 0)
        tree_prune(n);
    return -ENOMEM;
}

/* Unlinks membership m (found at hash slot i) everywhere and frees it; true if its node became empty.
 * The caller prunes the node. */
static bool member_unlink(struct mtrie *t, struct mtrie_member *m, size_t i)
{
    struct trie_node *n = m->node;
    struct mtrie_sub *s = m->sub;
    struct mtrie_member *last = n->members[--n->count];
    n->members[m->node_idx] = last;
    last->node_idx = m->node_idx;
    last = s->members[--s->n];
    s->members[m->sub_idx] = last;
    last->sub_idx = m->sub_idx;
    hash_delete(t, i);
    free(m);
    if (n->count)
        return false;
    t->topics--;
    return true;
}

enum mtrie_rm mtrie_remove(struct mtrie *t, const void *topic, size_t len, struct mtrie_sub *s)
{
    struct trie_node *n = tree_lookup(t->root, topic, len, false);
    if (!n || n->count == 0)
        return MTRIE_NOT_FOUND;
    size_t i = hash_slot(t, n, s);
    if (!t->hash[i])
        return MTRIE_NOT_FOUND;
    if (!member_unlink(t, t->hash[i], i))
        return MTRIE_REMAIN;
    tree_prune(n);
    return MTRIE_LAST;
}

/* Rebuilds the topic of node n into t->key, from its end upwards. -ENOMEM or 0 with *len set. */
static int topic_of(struct mtrie *t, const struct trie_node *n, size_t *len)
{
    size_t total = 0;
    for (const struct trie_node *p = n; p; p = p->parent)
        total += p->label_len;
    if (total > t->key_cap) {
        uint8_t *grown = realloc(t->key, total);
        if (!grown)
            return -ENOMEM;
        t->key = grown;
        t->key_cap = total;
    }
    size_t end = total;
    for (const struct trie_node *p = n; p; p = p->parent) {
        end -= p->label_len;
        if (p->label_len)
            memcpy(t->key + end, p->label, p->label_len);
    }
    *len = total;
    return 0;
}

int mtrie_remove_sub(struct mtrie *t, struct mtrie_sub *s, mtrie_removed_fn *fn, void *arg)
{
    int rc = 0;
    while (s->n) {
        struct mtrie_member *m = s->members[s->n - 1];
        struct trie_node *n = m->node;
        bool last = member_unlink(t, m, hash_slot(t, n, s));
        if (fn) {
            size_t len;
            if (topic_of(t, n, &len) == 0)
                fn(arg, t->key ? t->key : (const uint8_t *)"", len, last);
            else
                rc = -ENOMEM;
        }
        if (last)
            tree_prune(n);
    }
    free(s->members);
    s->members = NULL;
    s->cap = 0;
    return rc;
}

void mtrie_match(const struct mtrie *t, const void *data, size_t len, mtrie_match_fn *fn, void *arg)
{
    const uint8_t *d = data;
    const struct trie_node *n = t->root;
    size_t pos = 0;
    for (;;) {
        for (size_t i = 0; i < n->count; i++)
            fn(arg, n->members[i]->sub->owner);
        if (pos == len)
            return;
        unsigned at;
        const struct trie_node *c = child_find(n, d[pos], &at);
        if (!c || c->label_len > len - pos || memcmp(c->label, d + pos, c->label_len) != 0)
            return;
        pos += c->label_len;
        n = c;
    }
}
