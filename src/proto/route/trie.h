/* Subscription tries: what SUB/XSUB subscribed to (trie, counted) and who subscribed to what on PUB/XPUB
 * (mtrie, topic -> set of subscribers). Both are one radix tree underneath: edges carry byte strings, so
 * a 10,000-byte topic costs one node, not 10,000.
 *
 * Why one multi-trie for PUB/XPUB rather than a trie per pipe: matching a message walks its first frame
 * once, O(frame length + matched subscribers) however many subscribers there are; a trie per pipe costs
 * O(pipes x length) for every message. The per-pipe view a trie per pipe would give is kept instead as
 * each subscriber's list of memberships (struct mtrie_sub), so a pipe going away costs O(its own
 * subscriptions) rather than a walk of the whole tree, and a hash of (node, subscriber) answers "already
 * subscribed?" in O(1) whatever the fan-in of a topic.
 *
 * Nothing here recurses: descent is a loop, pruning climbs parent pointers and iteration keeps its place
 * in the nodes themselves, so topics a hostile peer makes arbitrarily deep cannot exhaust the stack
 * (libzmq's recursive unsubscribe could). Topics are binary: any bytes, any length, "" matches everything.
 */
#ifndef ZINC_TRIE_H
#define ZINC_TRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trie_node;
struct mtrie_member;

/* ---- trie: a counted set of topics (SUB, XSUB) ------------------------------------------------------- */
struct trie {
    struct trie_node *root;
    size_t topics;                  /* distinct topics with a count > 0 */
};

int trie_init(struct trie *t);                                      /* 0 or -ENOMEM */
void trie_fini(struct trie *t);
int trie_add(struct trie *t, const void *topic, size_t len);        /* 1: new topic, 0: counted again, -ENOMEM */
int trie_remove(struct trie *t, const void *topic, size_t len);     /* 1: last one gone, 0: still held, -ENOENT */
bool trie_match(const struct trie *t, const void *data, size_t len); /* is some topic a prefix of data? */
/* Calls fn for every topic once, in byte order; fn must not change t. A nonzero return from fn stops the
 * walk and is returned; -ENOMEM if the key buffer could not grow. */
typedef int trie_topic_fn(void *arg, const uint8_t *topic, size_t len);
int trie_foreach(const struct trie *t, trie_topic_fn *fn, void *arg);

/* ---- mtrie: topic -> set of subscribers (PUB, XPUB) -------------------------------------------------- */
struct mtrie_sub {                  /* one subscriber (a pipe), embedded in its owner's state */
    struct mtrie_member **members;  /* its subscriptions */
    size_t n, cap;
    void *owner;                    /* what mtrie_match reports for it */
};

struct mtrie {
    struct trie_node *root;
    struct mtrie_member **hash;     /* (node, subscriber) -> membership, open addressing */
    size_t hash_cap, hash_n;
    size_t topics;                  /* distinct topics with at least one subscriber */
    uint8_t *key;                   /* scratch for rebuilding topics in mtrie_remove_sub */
    size_t key_cap;
};

enum mtrie_rm {
    MTRIE_NOT_FOUND,                /* the subscriber did not hold that topic */
    MTRIE_LAST,                     /* it was the topic's last subscriber */
    MTRIE_REMAIN,                   /* others still hold the topic */
};

int mtrie_init(struct mtrie *t);                                    /* 0 or -ENOMEM */
/* Frees the tree; every subscriber must have been removed (mtrie_remove_sub) first. */
void mtrie_fini(struct mtrie *t);
void mtrie_sub_init(struct mtrie_sub *s, void *owner);
/* 1 if the topic had no subscriber before (s is its first), 0 if it had (s itself, maybe), -ENOMEM. */
int mtrie_add(struct mtrie *t, const void *topic, size_t len, struct mtrie_sub *s);
enum mtrie_rm mtrie_remove(struct mtrie *t, const void *topic, size_t len, struct mtrie_sub *s);
/* Removes all of s's subscriptions, calling fn (if not NULL) for each with whether s was its last
 * subscriber. fn must not change t. Returns 0, or -ENOMEM if some topic could not be rebuilt to report it
 * (it is removed all the same). */
typedef void mtrie_removed_fn(void *arg, const uint8_t *topic, size_t len, bool last);
int mtrie_remove_sub(struct mtrie *t, struct mtrie_sub *s, mtrie_removed_fn *fn, void *arg);
/* Calls fn with the owner of every subscription that is a prefix of data (a subscriber holding several
 * such prefixes is reported once per prefix). fn must not change t. */
typedef void mtrie_match_fn(void *arg, void *owner);
void mtrie_match(const struct mtrie *t, const void *data, size_t len, mtrie_match_fn *fn, void *arg);

#endif
