/* Unit tests for src/proto/route/trie.c: the counted trie (SUB/XSUB) and the multi-trie (PUB/XPUB),
 * checked against a naive model on random operations, at 100,000 subscriptions with a time bound, and
 * with topics 10,000 bytes long and 10,000 levels deep on a 64 KiB thread stack (no recursion). */
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "proto/route/trie.h"

#define B(lit) (lit), (sizeof(lit) - 1)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* ---- listing topics ------------------------------------------------------------------------------------ */
struct listing {
    char out[16384];
    size_t len;
    size_t count;
};

/* Appends "topic|" (binary bytes shown as-is; tests use printable ones). */
static int list_topic(void *arg, const uint8_t *topic, size_t len)
{
    struct listing *l = arg;
    if (l->len + len + 1 < sizeof l->out) {
        memcpy(l->out + l->len, topic, len);
        l->len += len;
        l->out[l->len++] = '|';
        l->out[l->len] = 0;
    }
    l->count++;
    return 0;
}

static const char *listing_of(const struct trie *t, struct listing *l)
{
    memset(l, 0, sizeof *l);
    CHECK_EQ(trie_foreach(t, list_topic, l), 0);
    return l->out;
}

#define CHECK_LIST(t, want)                                                                                  \
    do {                                                                                                     \
        struct listing l_;                                                                                   \
        const char *got_ = listing_of((t), &l_);                                                             \
        CHECK_MEM(got_, strlen(got_), want, strlen(want));                                                   \
    } while (0)

/* ---- trie ---------------------------------------------------------------------------------------------- */
static void test_trie_counts_and_prefixes(void)
{
    struct trie t;
    CHECK_EQ(trie_init(&t), 0);
    CHECK(!trie_match(&t, B("anything")));
    CHECK(!trie_match(&t, B("")));
    CHECK_EQ(trie_add(&t, B("AB")), 1);
    CHECK_EQ(trie_add(&t, B("AB")), 0);
    CHECK_EQU(t.topics, 1);
    CHECK(trie_match(&t, B("AB")));
    CHECK(trie_match(&t, B("ABC")));
    CHECK(!trie_match(&t, B("A")));
    CHECK(!trie_match(&t, B("BA")));
    CHECK(!trie_match(&t, B("xAB")));
    CHECK_EQ(trie_remove(&t, B("AB")), 0);
    CHECK(trie_match(&t, B("ABC")));
    CHECK_EQ(trie_remove(&t, B("AB")), 1);
    CHECK(!trie_match(&t, B("ABC")));
    CHECK_EQ(trie_remove(&t, B("AB")), -ENOENT);
    CHECK_EQ(trie_remove(&t, B("never")), -ENOENT);
    CHECK_EQ(trie_remove(&t, B("")), -ENOENT);
    CHECK_EQU(t.topics, 0);

    /* binary topics, NUL bytes included */
    CHECK_EQ(trie_add(&t, "\0\1", 2), 1);
    CHECK(trie_match(&t, "\0\1z", 3));
    CHECK(!trie_match(&t, "\0\2", 2));
    CHECK(!trie_match(&t, "\0", 1));
    CHECK_EQ(trie_remove(&t, "\0\1", 2), 1);

    /* the empty topic matches everything, the empty message included */
    CHECK_EQ(trie_add(&t, B("")), 1);
    CHECK(trie_match(&t, B("")));
    CHECK(trie_match(&t, "\xff", 1));
    CHECK_LIST(&t, "|");
    CHECK_EQ(trie_remove(&t, B("")), 1);
    CHECK(!trie_match(&t, B("")));
    trie_fini(&t);
}

/* Splits and merges: every insertion/removal order of a family of nested and sibling topics. */
static void test_trie_split_and_merge(void)
{
    static const char *topics[] = {"abc", "abd", "ab", "a", "abcde", "b", "abcdf"};
    enum { N = sizeof topics / sizeof topics[0] };
    for (unsigned order = 0; order < 64; order++) {
        struct trie t;
        CHECK_EQ(trie_init(&t), 0);
        unsigned perm[N];
        for (unsigned i = 0; i < N; i++)
            perm[i] = i;
        for (unsigned i = N - 1; i > 0; i--) {
            unsigned j = rnd() % (i + 1), x = perm[i];
            perm[i] = perm[j];
            perm[j] = x;
        }
        for (unsigned i = 0; i < N; i++)
            CHECK_EQ(trie_add(&t, topics[perm[i]], strlen(topics[perm[i]])), 1);
        CHECK_LIST(&t, "a|ab|abc|abcde|abcdf|abd|b|");
        CHECK(trie_match(&t, B("abcdz")));
        CHECK(trie_match(&t, B("bz")));
        CHECK(!trie_match(&t, B("c")));
        for (unsigned i = N - 1; i > 0; i--) {
            unsigned j = rnd() % (i + 1), x = perm[i];
            perm[i] = perm[j];
            perm[j] = x;
        }
        for (unsigned i = 0; i < N; i++) {
            const char *tp = topics[perm[i]];
            CHECK_EQ(trie_remove(&t, tp, strlen(tp)), 1);
            /* each family member matches exactly when some remaining topic is a prefix of it */
            for (unsigned k = 0; k < N; k++) {
                bool want = false;
                for (unsigned r = i + 1; r < N; r++) {
                    const char *rt = topics[perm[r]];
                    want |= strncmp(rt, topics[k], strlen(rt)) == 0;
                }
                CHECK(trie_match(&t, topics[k], strlen(topics[k])) == want);
            }
        }
        CHECK_LIST(&t, "");
        CHECK_EQU(t.topics, 0);
        trie_fini(&t);
    }
}

/* Random operations over a small alphabet (so topics nest and share prefixes) against a naive model. */
#define MODEL_MAX 2048
struct model_topic {
    char s[8];
    size_t len;
    int count;
};

static int model_find(struct model_topic *m, int n, const char *s, size_t len)
{
    for (int i = 0; i < n; i++)
        if (m[i].len == len && memcmp(m[i].s, s, len) == 0)
            return i;
    return -1;
}

static int cmp_topic(const void *a, const void *b)
{
    const struct model_topic *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void random_topic(char *s, size_t *len, size_t max)
{
    *len = rnd() % (max + 1);
    for (size_t i = 0; i < *len; i++)
        s[i] = (char)("ab\0c"[rnd() % 3 + (rnd() % 8 == 0)]);
}

static void test_trie_against_model(void)
{
    struct trie t;
    CHECK_EQ(trie_init(&t), 0);
    static struct model_topic m[MODEL_MAX];
    int n = 0;
    int mismatches = 0;
    for (int step = 0; step < 20000; step++) {
        char s[8];
        size_t len;
        random_topic(s, &len, 5);
        int i = model_find(m, n, s, len);
        if (rnd() % 2) {
            int rc = trie_add(&t, s, len);
            if (i < 0) {
                mismatches += rc != 1;
                memcpy(m[n].s, s, len);
                m[n].len = len;
                m[n].count = 1;
                n++;
            } else {
                mismatches += rc != (m[i].count == 0);
                m[i].count++;
            }
        } else {
            int rc = trie_remove(&t, s, len);
            if (i < 0 || m[i].count == 0)
                mismatches += rc != -ENOENT;
            else
                mismatches += rc != (--m[i].count == 0);
        }
        /* match a random message against the model */
        char msg[8];
        size_t mlen;
        random_topic(msg, &mlen, 7);
        bool want = false;
        for (int k = 0; k < n && !want; k++)
            want = m[k].count > 0 && m[k].len <= mlen && memcmp(m[k].s, msg, m[k].len) == 0;
        mismatches += trie_match(&t, msg, mlen) != want;
    }
    CHECK_EQ(mismatches, 0);
    /* foreach lists exactly the live topics, in byte order */
    struct model_topic live[MODEL_MAX];
    int nlive = 0;
    for (int k = 0; k < n; k++)
        if (m[k].count > 0)
            live[nlive++] = m[k];
    qsort(live, (size_t)nlive, sizeof live[0], cmp_topic);
    struct listing l;
    memset(&l, 0, sizeof l);
    size_t expect_len = 0;
    static char expect[16384];
    for (int k = 0; k < nlive; k++) {
        memcpy(expect + expect_len, live[k].s, live[k].len);
        expect_len += live[k].len;
        expect[expect_len++] = '|';
    }
    CHECK_EQ(trie_foreach(&t, list_topic, &l), 0);
    CHECK_EQU(l.count, (size_t)nlive);
    CHECK_EQU(t.topics, (size_t)nlive);
    CHECK_MEM(l.out, l.len, expect, expect_len);
    trie_fini(&t);
}

static int stop_at_second(void *arg, const uint8_t *topic, size_t len)
{
    (void)topic;
    (void)len;
    return ++*(int *)arg == 2 ? 42 : 0;
}

static void test_trie_foreach_stops(void)
{
    struct trie t;
    CHECK_EQ(trie_init(&t), 0);
    trie_add(&t, B("x"));
    trie_add(&t, B("y"));
    trie_add(&t, B("z"));
    int calls = 0;
    CHECK_EQ(trie_foreach(&t, stop_at_second, &calls), 42);
    CHECK_EQ(calls, 2);
    trie_fini(&t);
}

/* ---- mtrie --------------------------------------------------------------------------------------------- */
struct hits {
    int n;
    void *owners[256];
};

static void record_hit(void *arg, void *owner)
{
    struct hits *h = arg;
    if (h->n < 256)
        h->owners[h->n] = owner;
    h->n++;
}

static int hit_count(const struct hits *h, void *owner)
{
    int c = 0;
    for (int i = 0; i < h->n && i < 256; i++)
        c += h->owners[i] == owner;
    return c;
}

struct removed {
    char out[1024];
    size_t len;
    int lasts;
};

static void record_removed(void *arg, const uint8_t *topic, size_t len, bool last)
{
    struct removed *r = arg;
    if (r->len + len + 2 < sizeof r->out) {
        memcpy(r->out + r->len, topic, len);
        r->len += len;
        r->out[r->len++] = last ? '!' : '|';
        r->out[r->len] = 0;
    }
    r->lasts += last;
}

static void test_mtrie_basics(void)
{
    struct mtrie t;
    CHECK_EQ(mtrie_init(&t), 0);
    int o1, o2, o3;
    struct mtrie_sub s1, s2, s3;
    mtrie_sub_init(&s1, &o1);
    mtrie_sub_init(&s2, &o2);
    mtrie_sub_init(&s3, &o3);

    CHECK_EQ(mtrie_add(&t, B("topic"), &s1), 1);
    CHECK_EQ(mtrie_add(&t, B("topic"), &s1), 0);   /* a set, not a count */
    CHECK_EQ(mtrie_add(&t, B("topic"), &s2), 0);
    CHECK_EQ(mtrie_add(&t, B("top"), &s3), 1);
    CHECK_EQ(mtrie_add(&t, B(""), &s3), 1);
    CHECK_EQU(t.topics, 3);

    struct hits h = {0};
    mtrie_match(&t, B("topical"), record_hit, &h);
    CHECK_EQ(h.n, 4);                               /* "" and "top" for s3, "topic" for s1 and s2 */
    CHECK_EQ(hit_count(&h, &o1), 1);
    CHECK_EQ(hit_count(&h, &o2), 1);
    CHECK_EQ(hit_count(&h, &o3), 2);
    memset(&h, 0, sizeof h);
    mtrie_match(&t, B("to"), record_hit, &h);
    CHECK_EQ(h.n, 1);
    CHECK_EQ(hit_count(&h, &o3), 1);

    CHECK_EQ(mtrie_remove(&t, B("topic"), &s3), MTRIE_NOT_FOUND);
    CHECK_EQ(mtrie_remove(&t, B("nothing"), &s1), MTRIE_NOT_FOUND);
    CHECK_EQ(mtrie_remove(&t, B("topic"), &s1), MTRIE_REMAIN);
    CHECK_EQ(mtrie_remove(&t, B("topic"), &s1), MTRIE_NOT_FOUND);
    CHECK_EQ(mtrie_remove(&t, B("topic"), &s2), MTRIE_LAST);
    CHECK_EQU(t.topics, 2);
    memset(&h, 0, sizeof h);
    mtrie_match(&t, B("topical"), record_hit, &h);
    CHECK_EQ(h.n, 2);

    /* a subscriber leaving reports each of its topics and whether it was the last holder */
    CHECK_EQ(mtrie_add(&t, B("top"), &s1), 0);
    CHECK_EQ(mtrie_add(&t, "\0bin", 4, &s1), 1);
    struct removed r = {0};
    CHECK_EQ(mtrie_remove_sub(&t, &s3, record_removed, &r), 0);
    CHECK_EQ(r.lasts, 1);                           /* "" was s3's alone; "top" is still s1's */
    CHECK(strstr(r.out, "top|") != NULL);
    CHECK(memchr(r.out, '!', r.len) == r.out);      /* "" reported as last: the first char is its marker */
    CHECK_EQU(s3.n, 0);
    memset(&r, 0, sizeof r);
    CHECK_EQ(mtrie_remove_sub(&t, &s1, record_removed, &r), 0);
    CHECK_EQ(r.lasts, 2);
    CHECK_EQU(t.topics, 0);
    CHECK_EQ(mtrie_remove_sub(&t, &s2, NULL, NULL), 0);
    memset(&h, 0, sizeof h);
    mtrie_match(&t, B("topical"), record_hit, &h);
    CHECK_EQ(h.n, 0);
    CHECK_EQU(t.hash_n, 0);
    mtrie_fini(&t);
}

/* Random adds/removes by 8 subscribers against a model matrix; some subscribers leave and come back. */
static void test_mtrie_against_model(void)
{
    enum { SUBS = 8 };
    struct mtrie t;
    CHECK_EQ(mtrie_init(&t), 0);
    struct mtrie_sub subs[SUBS];
    int owners[SUBS];
    for (int i = 0; i < SUBS; i++)
        mtrie_sub_init(&subs[i], &owners[i]);
    static struct model_topic topics[MODEL_MAX];
    static bool held[MODEL_MAX][SUBS];
    int n = 0, mismatches = 0;
    for (int step = 0; step < 20000; step++) {
        char s[8];
        size_t len;
        random_topic(s, &len, 4);
        int i = model_find(topics, n, s, len);
        if (i < 0) {
            i = n++;
            memcpy(topics[i].s, s, len);
            topics[i].len = len;
        }
        int who = (int)(rnd() % SUBS);
        int holders = 0;
        for (int k = 0; k < SUBS; k++)
            holders += held[i][k];
        unsigned op = rnd() % 16;
        if (op < 8) {
            mismatches += mtrie_add(&t, s, len, &subs[who]) != (holders == 0);
            held[i][who] = true;
        } else if (op < 15) {
            enum mtrie_rm want = !held[i][who] ? MTRIE_NOT_FOUND : holders == 1 ? MTRIE_LAST : MTRIE_REMAIN;
            mismatches += mtrie_remove(&t, s, len, &subs[who]) != want;
            held[i][who] = false;
        } else {
            struct removed r = {0};
            CHECK_EQ(mtrie_remove_sub(&t, &subs[who], record_removed, &r), 0);
            int lasts = 0;
            for (int k = 0; k < n; k++) {
                if (!held[k][who])
                    continue;
                int others = 0;
                for (int x = 0; x < SUBS; x++)
                    others += x != who && held[k][x];
                lasts += others == 0;
                held[k][who] = false;
            }
            mismatches += r.lasts != lasts;
        }
        char msg[8];
        size_t mlen;
        random_topic(msg, &mlen, 6);
        struct hits h = {0};
        mtrie_match(&t, msg, mlen, record_hit, &h);
        int want_hits = 0;
        for (int k = 0; k < n; k++)
            if (topics[k].len <= mlen && memcmp(topics[k].s, msg, topics[k].len) == 0)
                for (int x = 0; x < SUBS; x++)
                    want_hits += held[k][x];
        mismatches += h.n != want_hits;
    }
    CHECK_EQ(mismatches, 0);
    for (int i = 0; i < SUBS; i++)
        CHECK_EQ(mtrie_remove_sub(&t, &subs[i], NULL, NULL), 0);
    CHECK_EQU(t.topics, 0);
    CHECK_EQU(t.hash_n, 0);
    mtrie_fini(&t);
}

/* ---- scale --------------------------------------------------------------------------------------------- */
enum { BIG = 100000 };

static size_t big_topic(char *buf, int i)
{
    /* a mix of shared prefixes (like real topic names) and random binary tails */
    int n = snprintf(buf, 64, "market.%d.%d.", i % 97, i);
    for (int k = 0; k < (int)(i % 5); k++)
        buf[n++] = (char)(rnd() & 0xff);
    return (size_t)n;
}

static void test_trie_100k(void)
{
    static char topic[BIG][64];
    static size_t tlen[BIG];
    struct trie t;
    CHECK_EQ(trie_init(&t), 0);
    double t0 = now_s();
    int fails = 0;
    for (int i = 0; i < BIG; i++) {
        tlen[i] = big_topic(topic[i], i);
        fails += trie_add(&t, topic[i], tlen[i]) != 1;
    }
    double t1 = now_s();
    char msg[128];
    for (int i = 0; i < BIG; i++) {
        memcpy(msg, topic[i], tlen[i]);
        memcpy(msg + tlen[i], "payload", 7);
        fails += !trie_match(&t, msg, tlen[i] + 7);
        fails += trie_match(&t, "nomatch", 7);
    }
    double t2 = now_s();
    struct listing l;
    memset(&l, 0, sizeof l);
    CHECK_EQ(trie_foreach(&t, list_topic, &l), 0);
    CHECK_EQU(l.count, (size_t)BIG);
    for (int i = 0; i < BIG; i++)
        fails += trie_remove(&t, topic[i], tlen[i]) != 1;
    double t3 = now_s();
    CHECK_EQ(fails, 0);
    CHECK_EQU(t.topics, 0);
    fprintf(stderr, "trie 100k: add %.3fs, match 200k %.3fs, remove %.3fs\n", t1 - t0, t2 - t1, t3 - t2);
    /* No time bound: speed lives in bench/ (bench/run --scale: matching cost from 1 to 1,000,000 topics), and
     * a timed check fails on a loaded machine. Quadratic behaviour would take minutes here and meet ctest's
     * timeout. */
    trie_fini(&t);
}

static void test_mtrie_100k(void)
{
    enum { SUBS = 100 };
    static char topic[BIG][64];
    static size_t tlen[BIG];
    static struct mtrie_sub subs[SUBS];
    static int owners[SUBS];
    struct mtrie t;
    CHECK_EQ(mtrie_init(&t), 0);
    for (int i = 0; i < SUBS; i++)
        mtrie_sub_init(&subs[i], &owners[i]);
    double t0 = now_s();
    int fails = 0;
    for (int i = 0; i < BIG; i++) {
        tlen[i] = big_topic(topic[i], i);
        fails += mtrie_add(&t, topic[i], tlen[i], &subs[i % SUBS]) != 1;
    }
    /* one hot topic every subscriber holds */
    for (int i = 0; i < SUBS; i++)
        fails += mtrie_add(&t, B("market."), &subs[i]) != (i == 0);
    double t1 = now_s();
    char msg[128];
    for (int i = 0; i < BIG; i++) {
        memcpy(msg, topic[i], tlen[i]);
        struct hits h = {0};
        mtrie_match(&t, msg, tlen[i], record_hit, &h);
        fails += h.n != SUBS + 1;
        fails += hit_count(&h, &owners[i % SUBS]) != 2;
    }
    double t2 = now_s();
    /* half the subscriptions removed one by one, then the subscribers leave */
    for (int i = 0; i < BIG; i += 2)
        fails += mtrie_remove(&t, topic[i], tlen[i], &subs[i % SUBS]) != MTRIE_LAST;
    int lasts = 0;
    for (int i = 0; i < SUBS; i++) {
        struct removed r = {0};
        CHECK_EQ(mtrie_remove_sub(&t, &subs[i], record_removed, &r), 0);
        lasts += r.lasts;
    }
    double t3 = now_s();
    CHECK_EQ(fails, 0);
    CHECK_EQ(lasts, BIG / 2 + 1);
    CHECK_EQU(t.topics, 0);
    CHECK_EQU(t.hash_n, 0);
    fprintf(stderr, "mtrie 100k: add %.3fs, match 100k %.3fs, remove %.3fs\n", t1 - t0, t2 - t1, t3 - t2);
    /* no time bound (see test_trie_100k) */
    mtrie_fini(&t);
}

/* A peer's short messages must not make the trie copy a long label each time: one 4 MiB topic, then
 * 100,000 subscribe/cancel cycles of its first byte (each split and merged the long edge when labels were
 * moved around; now a split copies only the short upper part, and the long edge is never merged back). */
static void test_no_work_amplification(void)
{
    enum { LONG = 4 << 20, CYCLES = 100000 };
    uint8_t *topic = malloc(LONG);
    CHECK(topic != NULL);
    memset(topic, 'L', LONG);
    double t0 = now_s();
    struct trie t;
    CHECK_EQ(trie_init(&t), 0);
    CHECK_EQ(trie_add(&t, topic, LONG), 1);
    int fails = 0;
    for (int i = 0; i < CYCLES; i++) {
        fails += trie_add(&t, topic, 1 + (size_t)(i % 3)) != 1;
        fails += trie_remove(&t, topic, 1 + (size_t)(i % 3)) != 1;
    }
    CHECK(trie_match(&t, topic, LONG));
    CHECK(!trie_match(&t, topic, 2));
    CHECK_EQ(trie_remove(&t, topic, LONG), 1);
    CHECK_EQU(t.topics, 0);
    trie_fini(&t);

    struct mtrie mt;
    CHECK_EQ(mtrie_init(&mt), 0);
    int owner;
    struct mtrie_sub s;
    mtrie_sub_init(&s, &owner);
    CHECK_EQ(mtrie_add(&mt, topic, LONG, &s), 1);
    for (int i = 0; i < CYCLES; i++) {
        fails += mtrie_add(&mt, topic, 1 + (size_t)(i % 3), &s) != 1;
        fails += mtrie_remove(&mt, topic, 1 + (size_t)(i % 3), &s) != MTRIE_LAST;
    }
    CHECK_EQ(mtrie_remove_sub(&mt, &s, NULL, NULL), 0);
    CHECK_EQU(mt.topics, 0);
    mtrie_fini(&mt);
    double t1 = now_s();
    CHECK_EQ(fails, 0);
    fprintf(stderr, "4 MiB topic, 2 x 100k short subscribe/cancel cycles: %.3fs\n", t1 - t0);
    /* no time bound (see test_trie_100k): copying the long edge per cycle would take minutes */
    free(topic);
}

/* ---- depth, on a small stack ------------------------------------------------------------------------- */
/* 10,000 levels; 3,000 under ThreadSanitizer, which instruments every step of these quadratic walks
 * (10,000 took 30 s to 3 minutes there): still far past what recursion on the small stack below survives. */
#if defined(__SANITIZE_THREAD__)
#define TRIE_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TRIE_UNDER_TSAN 1
#endif
#endif
#ifdef TRIE_UNDER_TSAN
enum { DEEP = 3000 };
#else
enum { DEEP = 10000 };
#endif

static void *deep_body(void *arg)
{
    (void)arg;
    static uint8_t topic[DEEP];
    memset(topic, 'd', sizeof topic);
    topic[DEEP / 2] = 0;

    /* one DEEP-byte topic */
    struct trie t;
    CHECK_EQ(trie_init(&t), 0);
    CHECK_EQ(trie_add(&t, topic, DEEP), 1);
    CHECK(trie_match(&t, topic, DEEP));
    CHECK(!trie_match(&t, topic, DEEP - 1));
    CHECK_EQ(trie_remove(&t, topic, DEEP), 1);

    /* DEEP nested topics "d", "dd", ...: DEEP levels of nodes */
    int fails = 0;
    for (size_t len = 1; len <= DEEP; len++)
        fails += trie_add(&t, topic, len) != 1;
    struct listing l;
    memset(&l, 0, sizeof l);
    CHECK_EQ(trie_foreach(&t, list_topic, &l), 0);
    CHECK_EQU(l.count, (size_t)DEEP);
    CHECK(trie_match(&t, topic, DEEP));
    /* unsubscribe from the deepest up (each removal frees a leaf), then rebuild and remove from the top
     * (each removal merges a node into its only child) */
    for (size_t len = DEEP; len >= 1; len--)
        fails += trie_remove(&t, topic, len) != 1;
    CHECK_EQU(t.topics, 0);
    for (size_t len = 1; len <= DEEP; len++)
        fails += trie_add(&t, topic, len) != 1;
    for (size_t len = 1; len <= DEEP; len++)
        fails += trie_remove(&t, topic, len) != 1;
    CHECK_EQU(t.topics, 0);
    /* and a deep tree freed whole */
    for (size_t len = 1; len <= DEEP; len++)
        fails += trie_add(&t, topic, len) != 1;
    trie_fini(&t);

    /* the same on the multi-trie, and a subscriber holding the whole chain leaving at once */
    struct mtrie mt;
    CHECK_EQ(mtrie_init(&mt), 0);
    int owner;
    struct mtrie_sub s;
    mtrie_sub_init(&s, &owner);
    for (size_t len = 1; len <= DEEP; len++)
        fails += mtrie_add(&mt, topic, len, &s) != 1;
    struct hits h = {0};
    mtrie_match(&mt, topic, DEEP, record_hit, &h);
    CHECK_EQ(h.n, DEEP);
    struct removed r = {0};
    CHECK_EQ(mtrie_remove_sub(&mt, &s, record_removed, &r), 0);
    CHECK_EQ(r.lasts, DEEP);
    CHECK_EQU(mt.topics, 0);
    for (size_t len = 1; len <= DEEP; len++)
        fails += mtrie_add(&mt, topic, len, &s) != 1;
    for (size_t len = DEEP; len >= 1; len--)
        fails += mtrie_remove(&mt, topic, len, &s) != MTRIE_LAST;
    CHECK_EQ(mtrie_add(&mt, topic, DEEP, &s), 1);
    CHECK_EQ(mtrie_remove(&mt, topic, DEEP, &s), MTRIE_LAST);
    CHECK_EQ(mtrie_remove_sub(&mt, &s, NULL, NULL), 0);
    mtrie_fini(&mt);
    CHECK_EQ(fails, 0);
    return NULL;
}

static void test_deep_on_small_stack(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* sanitizers need more stack per frame; recursion 10,000 deep would still overflow this */
    size_t stack = 64 * 1024;
#if defined(__SANITIZE_ADDRESS__)
    stack = 256 * 1024;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    stack = 256 * 1024;
#endif
#endif
    CHECK_EQ(pthread_attr_setstacksize(&attr, stack), 0);
    pthread_t th;
    int rc = pthread_create(&th, &attr, deep_body, NULL);   /* checked after the join: the thread counts too */
    if (rc == 0)
        pthread_join(th, NULL);
    CHECK_EQ(rc, 0);
    pthread_attr_destroy(&attr);
}

int main(void)
{
    test_trie_counts_and_prefixes();
    test_trie_split_and_merge();
    test_trie_against_model();
    test_trie_foreach_stops();
    test_mtrie_basics();
    test_mtrie_against_model();
    test_trie_100k();
    test_mtrie_100k();
    test_no_work_amplification();
    test_deep_on_small_stack();
    return unit_summary("test_trie");
}
