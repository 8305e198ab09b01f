/* Message lifetime: inline, large (refcounted content, user free callbacks) and const payloads, and the
 * refcounted peer metadata that received messages carry. */
#include "core/msg.h"
#include "core/msg_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void msg_init(struct msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = MSG_INLINE;
}

int msg_init_size(struct msg *m, size_t size)
{
    return msg_init_size_in(m, size, NULL);
}

int msg_init_size_in(struct msg *m, size_t size, struct pool_cache *cache)
{
    msg_init(m);
    if (size <= MSG_INLINE_MAX) {
        m->inline_size = (uint8_t)size;
        return 0;
    }
    return msg_init_block(m, size, cache);
}

int msg_init_block(struct msg *m, size_t size, struct pool_cache *cache)
{
    msg_init(m);
    if (size > SIZE_MAX - sizeof(struct msg_content))
        return -ENOMEM;
    /* One block: the content header followed by the payload. */
    struct msg_content *c = msg_pool_alloc_in(cache, sizeof *c + size);
    if (!c)
        return -ENOMEM;
    atomic_init(&c->refs, 1);
    c->data = c + 1;
    c->size = size;
    c->ffn = NULL;
    c->hint = NULL;
    m->type = MSG_LARGE;
    m->u.large.content = c;
    m->u.large.data = c->data;
    m->u.large.size = size;
    return 0;
}

int msg_resize(struct msg *m, size_t size)
{
    if (m->type != MSG_LARGE || m->u.large.content->ffn || size <= MSG_INLINE_MAX ||
        atomic_load_explicit(&m->u.large.content->refs, memory_order_relaxed) != 1)
        return -EINVAL;
    if (size > SIZE_MAX - sizeof(struct msg_content))
        return -ENOMEM;
    struct msg_content *old = m->u.large.content, *c;
    if (msg_pool_owns(sizeof *old + old->size) || msg_pool_owns(sizeof *c + size)) {
        c = msg_pool_alloc(sizeof *c + size);
        if (!c)
            return -ENOMEM;
        atomic_init(&c->refs, 1);
        c->ffn = NULL;
        c->hint = NULL;
        memcpy(c + 1, old + 1, old->size < size ? old->size : size);
        msg_pool_free(old, sizeof *old + old->size);
    } else {
        c = realloc(old, sizeof *c + size);
        if (!c)
            return -ENOMEM;   /* the message is unchanged */
    }
    c->data = c + 1;
    c->size = size;
    m->u.large.content = c;
    m->u.large.data = c->data;
    m->u.large.size = size;
    return 0;
}

int msg_init_data(struct msg *m, void *data, size_t size, msg_free_fn *ffn, void *hint)
{
    msg_init(m);
    if (!ffn) {
        /* libzmq treats a NULL free function as "the application keeps it alive": a const message. */
        return msg_init_const(m, data, size);
    }
    struct msg_content *c = malloc(sizeof *c);
    if (!c)
        return -ENOMEM;
    atomic_init(&c->refs, 1);
    c->data = data;
    c->size = size;
    c->ffn = ffn;
    c->hint = hint;
    m->type = MSG_LARGE;
    m->u.large.content = c;
    m->u.large.data = data;
    m->u.large.size = size;
    return 0;
}

int msg_init_const(struct msg *m, const void *data, size_t size)
{
    msg_init(m);
    m->type = MSG_CONST;
    m->u.cnst.data = data;
    m->u.cnst.size = size;
    return 0;
}

/* The last reference needs no read-modify-write: a count of 1 seen by its holder cannot change under it (no
 * other thread holds a reference to copy), and the acquire load orders the other holders' earlier drops (their
 * acq_rel decrements) before the free. Most messages have one owner, so this saves an atomic per message. */
static void content_unref(struct msg_content *c, struct pool_cache *cache)
{
    if (atomic_load_explicit(&c->refs, memory_order_acquire) != 1 &&
        atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (c->ffn) {
        c->ffn(c->data, c->hint);
        free(c);
    } else {
        msg_pool_free_in(cache, c, sizeof *c + c->size);
    }
}

int msg_close(struct msg *m)
{
    return msg_close_in(m, NULL);
}

int msg_close_in(struct msg *m, struct pool_cache *cache)
{
    if (!msg_valid(m))
        return -EFAULT;
    if (m->type == MSG_LARGE)
        content_unref(m->u.large.content, cache);
    if (m->meta)
        msg_meta_unref(m->meta);
    if (m->flags & MSGF_GROUP)
        msg_group_unref(m->u.grp.group);
    m->meta = NULL;
    m->flags &= (uint8_t)~MSGF_GROUP;
    m->type = MSG_CLOSED;
    return 0;
}

int msg_copy(struct msg *dst, struct msg *src)
{
    if (!msg_valid(src))
        return -EFAULT;
    if (dst != src) {
        if (msg_valid(dst))
            msg_close(dst);
        if (src->type == MSG_LARGE)
            atomic_fetch_add_explicit(&src->u.large.content->refs, 1, memory_order_relaxed);
        if (src->meta)
            msg_meta_ref(src->meta);
        if (src->flags & MSGF_GROUP)
            msg_group_ref(src->u.grp.group);
        if (msg_size(src) > MSG_LIBZMQ_INLINE_MAX)
            src->flags |= MSGF_SHARED;
        memcpy(dst, src, sizeof *dst);
    }
    return 0;
}

void msg_share_n(struct msg *src, int n)
{
    if (n <= 0 || !msg_valid(src))
        return;
    if (src->type == MSG_LARGE)
        atomic_fetch_add_explicit(&src->u.large.content->refs, n, memory_order_relaxed);
    if (src->meta)
        atomic_fetch_add_explicit(&src->meta->refs, n, memory_order_relaxed);
    if (src->flags & MSGF_GROUP)
        atomic_fetch_add_explicit(&src->u.grp.group->refs, n, memory_order_relaxed);
    if (msg_size(src) > MSG_LIBZMQ_INLINE_MAX)
        src->flags |= MSGF_SHARED;
}

void msg_copy_shared(struct msg *dst, const struct msg *src)
{
    memcpy(dst, src, sizeof *dst);
}

int msg_move(struct msg *dst, struct msg *src)
{
    if (!msg_valid(src))
        return -EFAULT;
    if (dst != src) {
        if (msg_valid(dst))
            msg_close(dst);
        memcpy(dst, src, sizeof *dst);
        msg_init(src);
    }
    return 0;
}

bool msg_is_shared(const struct msg *m)
{
    if (m->type == MSG_CONST || (m->flags & MSGF_SHARED))
        return true;
    return m->type == MSG_LARGE &&
           atomic_load_explicit(&m->u.large.content->refs, memory_order_relaxed) > 1;
}

struct msg_meta *msg_meta_new(size_t count)
{
    struct msg_meta *meta = calloc(1, sizeof *meta + count * sizeof meta->props[0]);
    if (!meta)
        return NULL;
    atomic_init(&meta->refs, 1);
    meta->count = 0;
    return meta;
}

void msg_meta_ref(struct msg_meta *meta)
{
    atomic_fetch_add_explicit(&meta->refs, 1, memory_order_relaxed);
}

static void meta_unref_n(struct msg_meta *meta, int n)
{
    if (atomic_fetch_sub_explicit(&meta->refs, n, memory_order_acq_rel) != n)
        return;
    for (size_t i = 0; i < meta->count; i++) {
        free(meta->props[i].name);
        free(meta->props[i].value);
    }
    free(meta);
}

/* Exact names, as libzmq's zmq_msg_gets ("socket-type" is not "Socket-Type" there). */
const char *msg_meta_get(const struct msg_meta *meta, const char *name)
{
    for (size_t i = 0; meta && i < meta->count; i++)
        if (strcmp(meta->props[i].name, name) == 0)
            return meta->props[i].value;
    return NULL;
}

void msg_meta_unref(struct msg_meta *meta)
{
    meta_unref_n(meta, 1);
}

/* Why batches: the connection's I/O thread stamps every received message while the application thread
 * drops them; one shared count written by both threads per message bounced its cache line between the
 * two CPUs (9% of 64-byte tcp throughput, perf 2026-12-02). Safe: the holder's own reference keeps the count
 * above zero, so taking more needs no check, and unused credit is given back in msg_meta_release. */
void msg_attach_meta(struct msg *m, struct msg_meta *meta, unsigned *credit)
{
    if (*credit == 0) {
        atomic_fetch_add_explicit(&meta->refs, (int)MSG_META_CREDIT_BATCH, memory_order_relaxed);
        *credit = MSG_META_CREDIT_BATCH;
    }
    (*credit)--;
    m->meta = meta;
}

void msg_meta_release(struct msg_meta *meta, unsigned *credit)
{
    int n = 1 + (int)*credit;
    *credit = 0;
    meta_unref_n(meta, n);
}

void msg_set_meta(struct msg *m, struct msg_meta *meta)
{
    if (m->meta == meta)
        return;
    if (meta)
        msg_meta_ref(meta);
    if (m->meta)
        msg_meta_unref(m->meta);
    m->meta = meta;
}
