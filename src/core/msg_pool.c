/* msg_pool: recycles the small blocks that message payloads live in (struct msg_content + payload) between
 * threads, without a lock per message.
 *
 * Why: a message is usually allocated on one thread and freed on another (the application sends and the I/O
 * thread frees once the bytes are written; the I/O thread receives and the application frees). glibc's
 * per-thread cache only helps a thread that frees what it allocated, so that hand-off costs a locked arena
 * operation per message: about a quarter of the CPU time of 64-byte tcp throughput (perf, 2026-12-02).
 * Here every thread keeps a short list of free blocks per size class and trades whole batches of POOL_BATCH
 * blocks with a shared depot under a mutex: one lock per POOL_BATCH messages, in either direction.
 *
 * Invariants:
 *  1. A block is in exactly one place: a thread's cache, the depot, or a live message. Every block of a
 *     class was allocated with that class's full size, so any of them serves any request of the class.
 *  2. Bounded: a thread's cache holds fewer than 2 * POOL_BATCH blocks per class and the depot at most
 *     POOL_DEPOT_BATCHES batches per class; what does not fit goes back to free().
 *  3. A thread's cache is handed to the depot when the thread exits (pthread key destructor), and the key is
 *     deleted when the library is unloaded, so no destructor outlives the code.
 *  4. fork: the depot locks are held across fork() (pthread_atfork), so the child never inherits a lock
 *     taken by a thread that does not exist there.
 *  5. Under AddressSanitizer the pool is off: every block is malloc'd and freed, so ASan sees every use
 *     after free and LeakSanitizer every leak.
 */
#include "core/msg_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define POOL_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ENABLED 0
#endif
#endif
#ifndef POOL_ENABLED
#define POOL_ENABLED 1
#endif

#define POOL_CLASSES 3          /* blocks of 128, 256 and 512 bytes */
#define POOL_MIN_SHIFT 7
#define POOL_BATCH 128          /* blocks moved between a thread's cache and the depot at once */
#define POOL_DEPOT_BATCHES 16   /* batches the depot keeps per class: two default HWMs (1,000) of messages in
                                 * flight, at most 16 * 128 * (128 + 256 + 512) bytes = 1.8 MB in all */

struct pool_block {
    struct pool_block *next;        /* the next free block of this list or batch */
    struct pool_block *next_batch;  /* in the depot, on a batch's first block: the next batch */
};

struct pool_cache {
    struct pool_block *head[POOL_CLASSES];
    unsigned count[POOL_CLASSES];
    bool registered;                /* the exit destructor knows this thread's cache */
};

struct pool_depot {
    pthread_mutex_t lock;
    struct pool_block *batches;     /* full batches of POOL_BATCH blocks, chained through next_batch */
    unsigned count;
};

/* The default (global-dynamic) TLS model on purpose: initial-exec would save a __tls_get_addr call per
 * message (about 1% of 64-byte throughput) but draws on glibc's small static TLS surplus, and a library
 * dlopen'ed by a binding (pyzmq) must never fail to load because others used it up. */
static _Thread_local struct pool_cache tl_cache;
static struct pool_depot depots[POOL_CLASSES] = {
    {PTHREAD_MUTEX_INITIALIZER, NULL, 0},
    {PTHREAD_MUTEX_INITIALIZER, NULL, 0},
    {PTHREAD_MUTEX_INITIALIZER, NULL, 0},
};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static pthread_key_t pool_key;
static bool pool_key_ok;

static int class_of(size_t size)
{
    for (int k = 0; k < POOL_CLASSES; k++)
        if (size <= (size_t)1 << (POOL_MIN_SHIFT + k))
            return k;
    return -1;
}

static size_t class_size(int k)
{
    return (size_t)1 << (POOL_MIN_SHIFT + k);
}

/* Takes POOL_BATCH blocks off the front of the cache's list k (which holds at least that many). */
static struct pool_block *cache_detach_batch(struct pool_cache *c, int k)
{
    struct pool_block *first = c->head[k], *last = first;
    for (int i = 1; i < POOL_BATCH; i++)
        last = last->next;
    c->head[k] = last->next;
    c->count[k] -= POOL_BATCH;
    last->next = NULL;
    return first;
}

static void free_list(struct pool_block *b)
{
    while (b) {
        struct pool_block *next = b->next;
        free(b);
        b = next;
    }
}

/* Hands a batch to the depot, or frees it when the depot is full (invariant 2). */
static void depot_put(int k, struct pool_block *batch)
{
    struct pool_depot *d = &depots[k];
    pthread_mutex_lock(&d->lock);
    bool kept = d->count < POOL_DEPOT_BATCHES;
    if (kept) {
        batch->next_batch = d->batches;
        d->batches = batch;
        d->count++;
    }
    pthread_mutex_unlock(&d->lock);
    if (!kept)
        free_list(batch);
}

static struct pool_block *depot_take(int k)
{
    struct pool_depot *d = &depots[k];
    pthread_mutex_lock(&d->lock);
    struct pool_block *batch = d->batches;
    if (batch) {
        d->batches = batch->next_batch;
        d->count--;
    }
    pthread_mutex_unlock(&d->lock);
    return batch;
}

/* Thread exit: whole batches go to the depot, the remainder is freed. */
static void cache_release(void *arg)
{
    struct pool_cache *c = arg;
    for (int k = 0; k < POOL_CLASSES; k++) {
        while (c->count[k] >= POOL_BATCH)
            depot_put(k, cache_detach_batch(c, k));
        free_list(c->head[k]);
        c->head[k] = NULL;
        c->count[k] = 0;
    }
    c->registered = false;   /* a later use on this thread registers again (glibc reruns destructors) */
}

static void pool_prefork(void)
{
    for (int k = 0; k < POOL_CLASSES; k++)
        pthread_mutex_lock(&depots[k].lock);
}

static void pool_postfork(void)
{
    for (int k = POOL_CLASSES - 1; k >= 0; k--)
        pthread_mutex_unlock(&depots[k].lock);
}

static void pool_setup(void)
{
    pool_key_ok = pthread_key_create(&pool_key, cache_release) == 0;
    if (pool_key_ok && pthread_atfork(pool_prefork, pool_postfork, pool_postfork) != 0) {
        pthread_key_delete(pool_key);
        pool_key_ok = false;
    }
}

__attribute__((destructor)) static void pool_unload(void)
{
    if (pool_key_ok)
        pthread_key_delete(pool_key);   /* invariant 3: no destructor runs into unloaded code */
    pool_key_ok = false;
}

/* This thread's cache, or NULL if it cannot be released at thread exit (then the pool is not used). */
static struct pool_cache *cache_get(void)
{
    struct pool_cache *c = &tl_cache;
    if (c->registered)
        return c;
    pthread_once(&pool_once, pool_setup);
    if (!pool_key_ok || pthread_setspecific(pool_key, c) != 0)
        return NULL;
    c->registered = true;
    return c;
}

struct pool_cache *msg_pool_thread_cache(void)
{
    return POOL_ENABLED ? cache_get() : NULL;
}

void *msg_pool_alloc(size_t size)
{
    return msg_pool_alloc_in(NULL, size);
}

void msg_pool_free(void *p, size_t size)
{
    msg_pool_free_in(NULL, p, size);
}

void *msg_pool_alloc_in(struct pool_cache *cache, size_t size)
{
    int k = POOL_ENABLED ? class_of(size) : -1;
    if (k < 0)
        return POOL_ENABLED ? msg_bigpool_alloc(size) : malloc(size);
    struct pool_cache *c = cache && cache->registered ? cache : cache_get();
    if (!c)
        return malloc(class_size(k));   /* full class size: it may be freed into a cache later (invariant 1) */
    if (!c->head[k]) {
        struct pool_block *batch = depot_take(k);
        if (!batch)
            return malloc(class_size(k));
        c->head[k] = batch;
        c->count[k] = POOL_BATCH;
    }
    struct pool_block *b = c->head[k];
    c->head[k] = b->next;
    c->count[k]--;
    return b;
}

void msg_pool_free_in(struct pool_cache *cache, void *p, size_t size)
{
    int k = POOL_ENABLED && p ? class_of(size) : -1;
    if (k < 0 && POOL_ENABLED) {
        msg_bigpool_free(p, size);
        return;
    }
    struct pool_cache *c = k < 0 ? NULL : cache && cache->registered ? cache : cache_get();
    if (!c) {
        free(p);
        return;
    }
    struct pool_block *b = p;
    b->next = c->head[k];
    c->head[k] = b;
    if (++c->count[k] == 2 * POOL_BATCH)
        depot_put(k, cache_detach_batch(c, k));
}

/* zmq_ctx_term: the blocks kept for reuse go back to malloc, so a program that terminated its contexts
 * holds none of them (other threads' caches excepted: at most 2 * POOL_BATCH blocks per class each, freed
 * when those threads exit). */
void msg_pool_trim(void)
{
    msg_bigpool_trim();
    struct pool_cache *c = &tl_cache;
    if (c->registered)
        cache_release(c);   /* also unregisters: the next use on this thread registers again */
    for (int k = 0; k < POOL_CLASSES; k++) {
        struct pool_depot *d = &depots[k];
        pthread_mutex_lock(&d->lock);
        struct pool_block *batches = d->batches;
        d->batches = NULL;
        d->count = 0;
        pthread_mutex_unlock(&d->lock);
        while (batches) {
            struct pool_block *next = batches->next_batch;
            free_list(batches);
            batches = next;
        }
    }
}

bool msg_pool_owns(size_t size)
{
    return POOL_ENABLED && (class_of(size) >= 0 || msg_bigpool_owns(size));
}
