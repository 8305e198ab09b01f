/* msg_bigpool: keeps large message blocks (16 KiB to 2 MiB) for reuse instead of giving them back to
 * malloc at once.
 *
 * Why: a large message is allocated on one thread and freed on another (the application sends and the I/O
 * thread frees once written; the I/O thread receives and the application frees). glibc serves such sizes
 * from the top of a heap and trims that top whenever enough of it is free, so a stream of 64 KiB messages
 * made every new message fault its pages in again: 7 page faults per 64 KiB message across sender and
 * receiver, and half the CPU time of a 64 KiB tcp stream (perf, 2026-12-02). Here freed blocks wait in a
 * short list per size class until the next allocation of that class takes them.
 *
 * Size classes: eight per doubling (a block is at most 1/8 larger than asked for). One mutex guards every
 * class: two lock operations per message of at least 16 KiB, which is nothing next to copying it.
 *
 * Invariants:
 *  1. A block is in exactly one place: a class list here or a live message; every block of a class was
 *     allocated with the class's full size, so any of them serves any request of the class.
 *  2. Bounded: at most BIG_KEEP_BYTES are kept in all; a free beyond that goes to free().
 *  3. fork: the lock is held across fork() (pthread_atfork), so the child never inherits it taken.
 *  4. Under AddressSanitizer the pool is off (msg_pool.c decides): ASan sees every use after free.
 */
#include "core/msg_pool.h"

#include <pthread.h>
#include <stdlib.h>

#define BIG_MIN_SHIFT 14                              /* classes start above 16 KiB ... */
#define BIG_MAX_SHIFT 21                              /* ... and end at 2 MiB */
#define BIG_STEPS 8                                   /* classes per doubling */
#define BIG_CLASSES ((BIG_MAX_SHIFT - BIG_MIN_SHIFT) * BIG_STEPS)
#define BIG_KEEP_BYTES ((size_t)16 << 20)            /* at most 16 MiB kept for reuse */

struct big_block {
    struct big_block *next;
};

static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static struct big_block *big_free[BIG_CLASSES];      /* guarded by big_lock */
static size_t big_kept;                               /* bytes in big_free, guarded by big_lock */
static pthread_once_t big_once = PTHREAD_ONCE_INIT;

static void big_prefork(void) { pthread_mutex_lock(&big_lock); }
static void big_postfork(void) { pthread_mutex_unlock(&big_lock); }
static void big_setup(void) { (void)pthread_atfork(big_prefork, big_postfork, big_postfork); }

/* The class of a request of size bytes and the size its blocks have; -1 outside the pool's range. */
static int big_class_of(size_t size, size_t *block_size)
{
    if (size <= (size_t)1 << BIG_MIN_SHIFT || size > (size_t)1 << BIG_MAX_SHIFT)
        return -1;
    int shift = 63 - __builtin_clzll((unsigned long long)(size - 1));   /* 2^shift < size <= 2^(shift+1) */
    size_t base = (size_t)1 << shift, step = base / BIG_STEPS;
    size_t j = (size - base + step - 1) / step;                           /* 1..BIG_STEPS */
    *block_size = base + j * step;
    return (shift - BIG_MIN_SHIFT) * BIG_STEPS + (int)j - 1;
}

bool msg_bigpool_owns(size_t size)
{
    size_t block_size;
    return big_class_of(size, &block_size) >= 0;
}

void *msg_bigpool_alloc(size_t size)
{
    size_t block_size;
    int k = big_class_of(size, &block_size);
    if (k < 0)
        return malloc(size);
    pthread_once(&big_once, big_setup);
    pthread_mutex_lock(&big_lock);
    struct big_block *b = big_free[k];
    if (b) {
        big_free[k] = b->next;
        big_kept -= block_size;
    }
    pthread_mutex_unlock(&big_lock);
    return b ? (void *)b : malloc(block_size);
}

void msg_bigpool_free(void *p, size_t size)
{
    size_t block_size;
    int k = p ? big_class_of(size, &block_size) : -1;
    if (k < 0) {
        free(p);
        return;
    }
    pthread_once(&big_once, big_setup);
    pthread_mutex_lock(&big_lock);
    bool keep = big_kept + block_size <= BIG_KEEP_BYTES;
    if (keep) {
        struct big_block *b = p;
        b->next = big_free[k];
        big_free[k] = b;
        big_kept += block_size;
    }
    pthread_mutex_unlock(&big_lock);
    if (!keep)
        free(p);
}

void msg_bigpool_trim(void)
{
    struct big_block *all[BIG_CLASSES];
    pthread_mutex_lock(&big_lock);
    for (int k = 0; k < BIG_CLASSES; k++) {
        all[k] = big_free[k];
        big_free[k] = NULL;
    }
    big_kept = 0;
    pthread_mutex_unlock(&big_lock);
    for (int k = 0; k < BIG_CLASSES; k++)
        while (all[k]) {
            struct big_block *next = all[k]->next;
            free(all[k]);
            all[k] = next;
        }
}
