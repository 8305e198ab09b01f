/* The message: libzmq's 64-byte zmq_msg_t, laid out our way. Small payloads live inside the struct;
 * large ones live in a reference-counted content block shared by copies and freed (through the user's
 * callback, on whatever thread drops the last reference) when the last copy closes.
 *
 * Invariants:
 *  1. sizeof(struct msg) == 64 == sizeof(zmq_msg_t); a msg may be moved with memcpy (no self pointers).
 *  2. type == MSG_CLOSED only after msg_close; every other operation on a closed msg fails with EFAULT.
 *  3. A LARGE msg holds exactly one reference on its content; meta holds one reference if non-NULL.
 *  4. MSGF_GROUP set: u.grp.group holds one reference on a RADIO/DISH group (msg_set_group), and the payload
 *     leaves the union's last 8 bytes free (LARGE, CONST, or INLINE of at most MSG_GROUP_INLINE_MAX bytes).
 *     Without it the group slot means nothing, so messages with no group cost what they always did.
 */
#ifndef ZINC_MSG_H
#define ZINC_MSG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_INLINE_MAX 48

enum msg_type {
    MSG_CLOSED = 0,  /* closed or never initialised */
    MSG_INLINE = 1,  /* payload in u.inline_data, size in inline_size */
    MSG_LARGE = 2,   /* payload in a refcounted content block */
    MSG_CONST = 3,   /* payload owned by the application forever (zmq_send_const) */
};

enum msg_flags {
    MSGF_MORE = 0x01,     /* another frame of this message follows */
    MSGF_COMMAND = 0x02,  /* internal: a ZMTP command travelling on a pipe (e.g. PING), not user data */
    MSGF_SUBSCRIBE = 0x04,/* internal: tags a SUBSCRIBE/CANCEL that arrived as a ZMTP 3.1 command */
    MSGF_ROUTING_ID = 0x08,/* internal: the peer's routing id, put on a ROUTER's connect pipe by its conn */
    MSGF_SHARED = 0x10,   /* zmq_msg_copy shared it (libzmq's ZMQ_SHARED: sticky, set beyond 33 bytes) */
    MSGF_GROUP = 0x20,    /* u.grp.group holds a RADIO/DISH group (invariant 4) */
};

/* A RADIO/DISH group (RFC 48: 0..255 bytes), immutable and refcounted: shared by copies of a message and
 * by the messages a DISH stamps with the same group. name is NUL-terminated (zmq_msg_group returns it). */
#define MSG_GROUP_MAX 255
struct msg_group {
    atomic_int refs;
    uint8_t len;
    char name[];         /* len bytes + NUL */
};

/* libzmq keeps up to this many bytes inside zmq_msg_t; only bigger messages are shared by copies there. */
#define MSG_LIBZMQ_INLINE_MAX 33

/* The property under which connections record their fd (libzmq's private name; ZMQ_SRCFD reads it). */
#define MSG_PROP_FD "__fd"

typedef void (msg_free_fn)(void *data, void *hint);

struct msg_content {
    atomic_int refs;     /* copies sharing this block */
    void *data;          /* the payload */
    size_t size;
    msg_free_fn *ffn;    /* NULL when data was allocated with the block */
    void *hint;
};

/* Peer properties attached to received messages (zmq_msg_gets). Immutable once built; refcounted. */
struct msg_meta {
    atomic_int refs;
    size_t count;
    struct {
        char *name;
        char *value;     /* NUL-terminated copy of the property value */
        size_t value_len;
    } props[];
};

struct msg {
    union {
        uint8_t inline_data[MSG_INLINE_MAX];
        struct {
            struct msg_content *content;
            uint8_t *data;
            size_t size;
        } large;
        struct {
            const void *data;
            size_t size;
        } cnst;
        struct {
            uint8_t payload[MSG_INLINE_MAX - sizeof(void *)];   /* whatever the payload uses */
            struct msg_group *group;                          /* valid only with MSGF_GROUP */
        } grp;
    } u;
    struct msg_meta *meta;   /* peer properties, or NULL */
    uint32_t routing_id;     /* peer id for server-style sockets; 0 if none */
    uint8_t inline_size;
    uint8_t type;            /* enum msg_type */
    uint8_t flags;           /* enum msg_flags */
    uint8_t reserved;
};

_Static_assert(sizeof(struct msg) == 64, "msg must be libzmq's zmq_msg_t size");
/* An inline payload that leaves room for the group pointer; LARGE and CONST never reach it. */
#define MSG_GROUP_INLINE_MAX (MSG_INLINE_MAX - sizeof(void *))
_Static_assert(sizeof(((struct msg *)0)->u.large) <= MSG_GROUP_INLINE_MAX, "group slot overlaps LARGE");
_Static_assert(sizeof(((struct msg *)0)->u.cnst) <= MSG_GROUP_INLINE_MAX, "group slot overlaps CONST");

void msg_init(struct msg *m);
int msg_init_size(struct msg *m, size_t size);           /* 0 or -ENOMEM */
/* Grows or shrinks a LARGE message that msg_init_size made and nobody shares (its first bytes kept) to
 * size > MSG_INLINE_MAX: 0, -EINVAL (not such a message), or -ENOMEM (unchanged). */
int msg_resize(struct msg *m, size_t size);
int msg_init_data(struct msg *m, void *data, size_t size, msg_free_fn *ffn, void *hint);
int msg_init_const(struct msg *m, const void *data, size_t size);
int msg_close(struct msg *m);                            /* 0 or -EFAULT */
/* The same, with the calling thread's msg_pool cache (msg_pool_thread_cache) named: no thread-local lookup. */
struct pool_cache;
int msg_init_size_in(struct msg *m, size_t size, struct pool_cache *cache);
int msg_close_in(struct msg *m, struct pool_cache *cache);
/* A LARGE message of size bytes whatever the size (a payload that must not be inline): 0 or -ENOMEM. */
int msg_init_block(struct msg *m, size_t size, struct pool_cache *cache);
int msg_copy(struct msg *dst, struct msg *src);          /* shares large content */
/* n copies at the cost of one atomic operation (PUB: one message to n pipes): msg_share_n takes the n
 * references up front, then each msg_copy_shared makes one copy with no atomic operation. Each copy
 * owns one of the references (closed with msg_close); make exactly n. */
void msg_share_n(struct msg *src, int n);
void msg_copy_shared(struct msg *dst, const struct msg *src);
int msg_move(struct msg *dst, struct msg *src);          /* src becomes an empty message */
bool msg_is_shared(const struct msg *m);

/* Groups (core/msg_group.c). msg_set_group copies len bytes (len 0 clears the group): 0, -EINVAL (len over
 * MSG_GROUP_MAX, or m closed) or -ENOMEM (m unchanged); an inline payload too big to leave the group its
 * slot moves to a block of its own. msg_set_group_ref does the same with a group someone holds (one more
 * reference taken). msg_group gives the NUL-terminated name ("" when none) and its length. */
int msg_set_group(struct msg *m, const void *name, size_t len);
int msg_set_group_ref(struct msg *m, struct msg_group *g);
const char *msg_group(const struct msg *m, size_t *len);
struct msg_group *msg_group_new(const void *name, size_t len);   /* one reference, or NULL */
void msg_group_unref(struct msg_group *g);
static inline void msg_group_ref(struct msg_group *g)
{
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

static inline bool msg_valid(const struct msg *m)
{
    return m->type >= MSG_INLINE && m->type <= MSG_CONST;
}
static inline void *msg_data(struct msg *m)
{
    switch (m->type) {
    case MSG_INLINE: return m->u.inline_data;
    case MSG_LARGE: return m->u.large.data;
    case MSG_CONST: return (void *)m->u.cnst.data;
    default: return NULL;
    }
}
static inline size_t msg_size(const struct msg *m)
{
    switch (m->type) {
    case MSG_INLINE: return m->inline_size;
    case MSG_LARGE: return m->u.large.size;
    case MSG_CONST: return m->u.cnst.size;
    default: return 0;
    }
}
static inline bool msg_more(const struct msg *m) { return (m->flags & MSGF_MORE) != 0; }

/* Metadata. */
struct msg_meta *msg_meta_new(size_t count);
void msg_meta_ref(struct msg_meta *meta);
void msg_meta_unref(struct msg_meta *meta);
const char *msg_meta_get(const struct msg_meta *meta, const char *name);
void msg_set_meta(struct msg *m, struct msg_meta *meta);   /* takes a new reference */
/* One holder (a connection) that stamps many messages with the same metadata takes its references in
 * batches: *credit counts references it holds beyond its own. msg_attach_meta gives one of them to m (whose
 * meta must be NULL), taking MSG_META_CREDIT_BATCH more when none is left; msg_meta_release drops the
 * holder's own reference and its unused credit at once. */
#define MSG_META_CREDIT_BATCH 1024u
void msg_attach_meta(struct msg *m, struct msg_meta *meta, unsigned *credit);
void msg_meta_release(struct msg_meta *meta, unsigned *credit);

#endif
