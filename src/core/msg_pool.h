/* msg_pool: message blocks recycled between threads: small ones in per-thread caches (msg_pool.c), large
 * ones (16 KiB to 2 MiB) in size-class lists (msg_bigpool.c). Any thread may allocate and any thread may
 * free; a block must be freed with the size it was allocated with. */
#ifndef ZINC_MSG_POOL_H
#define ZINC_MSG_POOL_H

#include <stdbool.h>
#include <stddef.h>

void *msg_pool_alloc(size_t size);           /* like malloc(size); NULL on ENOMEM */
void msg_pool_free(void *p, size_t size);    /* p from msg_pool_alloc(size), or NULL */

/* The same with the calling thread's cache named by the caller (a thread that keeps it, as an I/O thread
 * does, saves the thread-local lookup per message: about 70 instructions in a dlopen-safe library).
 * cache is msg_pool_thread_cache() of the calling thread, or NULL (then these look it up). */
struct pool_cache;
struct pool_cache *msg_pool_thread_cache(void);   /* this thread's cache, NULL if the pool is off */
void *msg_pool_alloc_in(struct pool_cache *cache, size_t size);
void msg_pool_free_in(struct pool_cache *cache, void *p, size_t size);
bool msg_pool_owns(size_t size);             /* blocks of this size come from the pool (not realloc-able) */
void msg_pool_trim(void);                    /* frees the depot, the large blocks and this thread's cache */

/* Large blocks only (msg_pool_* calls these for their sizes). */
void *msg_bigpool_alloc(size_t size);
void msg_bigpool_free(void *p, size_t size);
bool msg_bigpool_owns(size_t size);
void msg_bigpool_trim(void);

#endif
