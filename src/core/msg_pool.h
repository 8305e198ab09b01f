/* msg_pool: small message blocks recycled between threads (see msg_pool.c). Any thread may allocate and
 * any thread may free; a block must be freed with the size it was allocated with. */
#ifndef ZINC_MSG_POOL_H
#define ZINC_MSG_POOL_H

#include <stdbool.h>
#include <stddef.h>

void *msg_pool_alloc(size_t size);           /* like malloc(size); NULL on ENOMEM */
void msg_pool_free(void *p, size_t size);    /* p from msg_pool_alloc(size), or NULL */
bool msg_pool_owns(size_t size);             /* blocks of this size come from the pool (not realloc-able) */
void msg_pool_trim(void);                    /* frees the depot and the calling thread's cache */

#endif
