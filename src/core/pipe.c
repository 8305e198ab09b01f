/* Lock-free SPSC frame queues in chunks of PIPE_CHUNK_ITEMS messages, with batched publication and the
 * asleep/waiting handshakes described in pipe.h. */
#include "core/pipe.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mailbox.h"
#include "core/options.h"

static struct pipe_chunk *chunk_get(struct pipe_queue *q)
{
    struct pipe_chunk *c = atomic_exchange_explicit(&q->spare, NULL, memory_order_acquire);
    if (!c)
        c = malloc(sizeof *c);
    if (c)
        c->next = NULL;
    return c;
}

static void chunk_recycle(struct pipe_queue *q, struct pipe_chunk *c)
{
    free(atomic_exchange_explicit(&q->spare, c, memory_order_acq_rel));
}

static uint64_t parts_pack(uint32_t snd_part, uint32_t rcv_part)
{
    return (uint64_t)snd_part | (uint64_t)rcv_part << 32;
}

/* The limit the parts make (invariant 6): 0 when a present part is 0, else the sum of the present parts. */
static uint64_t parts_limit(uint64_t parts)
{
    uint32_t snd = (uint32_t)parts, rcv = (uint32_t)(parts >> 32);
    if (snd == 0 || rcv == 0)
        return 0;
    return (snd == PIPE_HWM_NONE ? 0 : snd) + (uint64_t)(rcv == PIPE_HWM_NONE ? 0 : rcv);
}

static uint64_t queue_limit(struct pipe_queue *q)
{
    if (q->conflate)
        return 0;   /* invariant 7: a conflating queue has no high-water mark, whatever the options say */
    return parts_limit(atomic_load_explicit(&q->limit_parts, memory_order_relaxed));
}

/* Reader: every how many messages it reports progress, for the current limit. */
static uint64_t queue_lwm(struct pipe_queue *q)
{
    if (q->conflate)
        return UINT64_MAX;   /* no limit, so no progress to report */
    uint64_t parts = atomic_load_explicit(&q->limit_parts, memory_order_relaxed);
    if (parts != q->r_parts_seen) {
        uint64_t hwm = parts_limit(parts);
        q->r_parts_seen = parts;
        q->r_lwm = hwm ? (hwm + 1) / 2 : UINT64_MAX;
    }
    return q->r_lwm;
}

static uint32_t hwm_part(uint64_t hwm)
{
    return hwm >= PIPE_HWM_NONE ? PIPE_HWM_NONE - 1 : (uint32_t)hwm;
}

static int queue_init(struct pipe_queue *q, uint64_t hwm)
{
    memset(q, 0, sizeof *q);
    struct pipe_chunk *c = malloc(sizeof *c);
    if (!c)
        return -ENOMEM;
    c->next = NULL;
    q->w_chunk = q->b_chunk = q->r_chunk = c;
    atomic_init(&q->limit_parts, parts_pack(hwm_part(hwm), PIPE_HWM_NONE));
    q->r_parts_seen = UINT64_MAX;   /* never a packed value: the first queue_lwm computes r_lwm */
    atomic_init(&q->published, 0);
    atomic_init(&q->msgs_read, 0);
    atomic_init(&q->reader_asleep, 0);
    atomic_init(&q->writer_waiting, 0);
    atomic_init(&q->spare, NULL);
    atomic_init(&q->direct, PIPE_DIRECT_IO);
    atomic_init(&q->direct_offered_once, false);
    return 0;
}

/* Closes count frames starting at (chunk, pos). */
static void close_frames(struct pipe_chunk *chunk, unsigned pos, uint64_t count)
{
    while (count--) {
        if (pos == PIPE_CHUNK_ITEMS) {
            chunk = chunk->next;
            pos = 0;
        }
        msg_close(&chunk->items[pos++]);
    }
}

static void queue_fini(struct pipe_queue *q)
{
    close_frames(q->r_chunk, q->r_pos, q->w_count - q->r_count);
    struct pipe_chunk *c = q->r_chunk;
    while (c) {
        struct pipe_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(atomic_load(&q->spare));
}

struct pipe *pipe_new(uint64_t hwm0, uint64_t hwm1)
{
    struct pipe *p = aligned_alloc(ZN_CACHELINE, (sizeof *p + ZN_CACHELINE - 1) / ZN_CACHELINE * ZN_CACHELINE);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    if (queue_init(&p->queue[0], hwm0) < 0)
        goto fail_queue0;
    if (queue_init(&p->queue[1], hwm1) < 0)
        goto fail_queue1;
    for (int i = 0; i < 2; i++) {
        p->end[i].pipe = p;
        p->end[i].index = i;
        p->end[i].zmtp_minor = -1;
    }
    atomic_init(&p->refs, 2);
    atomic_init(&p->closed_mask, 0);
    return p;
fail_queue1:
    free(p->queue[0].r_chunk);
fail_queue0:
    free(p);
    return NULL;
}

void pipe_set_conflate(struct pipe *p, int queue_index)
{
    struct pipe_queue *q = &p->queue[queue_index];
    q->conflate = true;   /* set before either end is used: both threads see it through the attach */
}

void pipe_conflate_as(struct pipe *p, const struct options *o)
{
    if (options_conflate_out(o))
        pipe_set_conflate(p, 0);
    if (options_conflate_in(o))
        pipe_set_conflate(p, 1);
}

void pipe_ref(struct pipe *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

const int pipe_farewell_closed;

static void farewell_free(struct msg *m)
{
    msg_close(m);
    free(m);
}

void pipe_unref(struct pipe *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (int i = 0; i < 2; i++) {   /* a farewell given to an end that then never closed */
        struct msg *m = atomic_load_explicit(&p->end[i].farewell, memory_order_acquire);
        if (m && m != PIPE_FAREWELL_CLOSED)
            farewell_free(m);
    }
    queue_fini(&p->queue[0]);
    queue_fini(&p->queue[1]);
    for (int i = 0; i < 2; i++) {
        struct mailbox *mb = atomic_load_explicit(&p->end[i].mbox, memory_order_relaxed);
        if (mb)
            mailbox_unref(mb);
        free(p->end[i].uris);
    }
    free(p);
}

void pipe_end_set_uris(struct pipe_end *e, const char *local, const char *remote)
{
    local = local ? local : "";
    remote = remote ? remote : "";
    size_t nl = strlen(local) + 1, nr = strlen(remote) + 1;
    char *u = malloc(nl + nr);
    if (!u)
        return;
    memcpy(u, local, nl);
    memcpy(u + nl, remote, nr);
    free(e->uris);
    e->uris = u;
}

const char *pipe_end_local_uri(const struct pipe_end *e)
{
    return e->uris ? e->uris : "";
}

const char *pipe_end_remote_uri(const struct pipe_end *e)
{
    return e->uris ? e->uris + strlen(e->uris) + 1 : "";
}

uint64_t pipe_queued_out(struct pipe_end *e)
{
    struct pipe_queue *q = &e->pipe->queue[e->index];
    uint64_t read = atomic_load_explicit(&q->msgs_read, memory_order_acquire);
    return q->w_msgs > read ? q->w_msgs - read : 0;
}

/* Walks the published frames the reader has not taken (each is fully written: invariant 2, and a chunk's
 * next pointer is set before any frame in it is published) and counts the last frames of messages. */
uint64_t pipe_queued_in(struct pipe_end *e)
{
    struct pipe_queue *q = &e->pipe->queue[1 - e->index];
    uint64_t published = atomic_load_explicit(&q->published, memory_order_acquire);
    struct pipe_chunk *chunk = q->r_chunk;
    unsigned pos = q->r_pos;
    uint64_t msgs = 0;
    for (uint64_t i = q->r_count; i < published; i++, pos++) {
        if (pos == PIPE_CHUNK_ITEMS) {
            chunk = chunk->next;
            pos = 0;
        }
        if (!(chunk->items[pos].flags & MSGF_MORE))
            msgs++;
    }
    return msgs;
}

/* false: out of memory for the command, the wake is lost. */
static bool wake_for(struct pipe_end *e, bool room_only)
{
    struct mailbox *mb = atomic_load_explicit(&e->mbox, memory_order_seq_cst);
    if (!mb)
        return true;
    struct cmd cmd = {.type = CMD_PIPE_WAKE, .end = e, .room_only = room_only};
    return mailbox_post(mb, &cmd) == 0;
}

/* A wake for data, a close or a token handed back. */
static bool wake(struct pipe_end *e)
{
    return wake_for(e, false);
}

/* A wake for a writer the high-water mark held back: room only, no input (mailbox.h invariant 5). */
static bool wake_room(struct pipe_end *e)
{
    return wake_for(e, true);
}

/* A close must reach the peer, or it would wait on this pipe for ever (and a connection that never ends
 * holds up zmq_ctx_term): without memory for the command, try again every millisecond, as the other close
 * paths do (memory comes back as other threads finish their work). */
static void wake_surely(struct pipe_end *e)
{
    while (!wake(e))
        usleep(1000);
}

void pipe_end_set_mailbox(struct pipe_end *e, struct mailbox *mb)
{
    mailbox_ref(mb);
    struct mailbox *old = atomic_exchange_explicit(&e->mbox, mb, memory_order_seq_cst);
    if (old)
        mailbox_unref(old);
    /* pipe_close does fetch_or(closed_mask) then loads our mbox; we store mbox then load closed_mask (both
     * seq_cst): at least one side sees the other, so a close that found no mailbox is not lost. */
    if (atomic_load_explicit(&e->pipe->closed_mask, memory_order_seq_cst) & (1 << (1 - e->index)))
        wake_surely(e);
}

void pipe_set_limit(struct pipe *p, int queue, uint32_t snd_part, uint32_t rcv_part)
{
    atomic_store_explicit(&p->queue[queue].limit_parts, parts_pack(snd_part, rcv_part), memory_order_relaxed);
}

/* Replaces one half of the limit word, keeping the other (which another thread may be changing). */
static void queue_set_part(struct pipe_queue *q, uint64_t mask, uint64_t value)
{
    uint64_t old = atomic_load_explicit(&q->limit_parts, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&q->limit_parts, &old, (old & ~mask) | value,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void pipe_set_snd_part(struct pipe *p, int queue, uint32_t snd_part)
{
    queue_set_part(&p->queue[queue], UINT32_MAX, snd_part);
}

void pipe_set_rcv_part(struct pipe *p, int queue, uint32_t rcv_part)
{
    queue_set_part(&p->queue[queue], (uint64_t)UINT32_MAX << 32, (uint64_t)rcv_part << 32);
}

uint64_t pipe_limit(struct pipe *p, int queue)
{
    return queue_limit(&p->queue[queue]);
}

void pipe_release_writer(struct pipe *p, int queue)
{
    struct pipe_queue *q = &p->queue[queue];
    /* The writer re-checks on this wake and re-arms writer_waiting if still full (invariant 3 holds). */
    if (atomic_load_explicit(&q->writer_waiting, memory_order_seq_cst) &&
        atomic_exchange_explicit(&q->writer_waiting, 0, memory_order_acq_rel) && !wake_room(&p->end[queue]))
        atomic_store_explicit(&q->writer_waiting, 1, memory_order_seq_cst);   /* lost to ENOMEM: retry later */
}

bool pipe_check_write(struct pipe_end *e)
{
    struct pipe_queue *q = &e->pipe->queue[e->index];
    uint64_t hwm = queue_limit(q);
    if (!hwm)
        return true;
    uint64_t queued = q->w_msgs + q->w_msgs_pending;
    if (queued - q->w_msgs_read_seen < hwm)
        return true;
    q->w_msgs_read_seen = atomic_load_explicit(&q->msgs_read, memory_order_acquire);
    if (queued - q->w_msgs_read_seen < hwm)
        return true;
    atomic_store_explicit(&q->writer_waiting, 1, memory_order_seq_cst);
    q->w_msgs_read_seen = atomic_load_explicit(&q->msgs_read, memory_order_seq_cst);
    return queued - q->w_msgs_read_seen < hwm;
}

int pipe_write(struct pipe_end *e, struct msg *m)
{
    struct pipe_queue *q = &e->pipe->queue[e->index];
    if (q->w_pos == PIPE_CHUNK_ITEMS) {
        /* After a rollback the next chunk may already be linked; reuse it. */
        struct pipe_chunk *next = q->w_chunk->next;
        if (!next) {
            next = chunk_get(q);
            if (!next)
                return -ENOMEM;
            q->w_chunk->next = next;
        }
        q->w_chunk = next;
        q->w_pos = 0;
    }
    memcpy(&q->w_chunk->items[q->w_pos++], m, sizeof *m);
    q->w_count++;
    if (!(m->flags & MSGF_MORE)) {
        q->w_msgs_pending++;
        q->b_chunk = q->w_chunk;
        q->b_pos = q->w_pos;
        q->b_count = q->w_count;
    }
    msg_init(m);
    return 0;
}

/* Writer, in a flush that found the reader asleep: sends through the reader's direct path if it offered
 * the token. A flush less than PIPE_DIRECT_GAP_NS after the previous one that found the token offered (or
 * after the end of the last direct send) goes the usual way, a wake for the reader: a stream of messages
 * is then written by the I/O thread in batches, one syscall for many messages, instead of one syscall per
 * message on the sender's thread. The gap runs from the end of a direct send, not its start, so a slow
 * send (a loaded machine) cannot make the next message of a stream look like a lone one. A writer that
 * waits for input (pipe_direct_wait) clears the gap: what it sends next answers what it received. */
#define PIPE_DIRECT_GAP_NS 8000
static bool try_direct(struct pipe_queue *q)
{
    if (atomic_load_explicit(&q->direct, memory_order_relaxed) != PIPE_DIRECT_IDLE)
        return false;
    uint64_t now = zn_now_ns();
    uint64_t last = q->w_direct_try_ns;
    q->w_direct_try_ns = now;
    if (now - last < PIPE_DIRECT_GAP_NS)
        return false;
    int expected = PIPE_DIRECT_IDLE;
    if (!atomic_compare_exchange_strong_explicit(&q->direct, &expected, PIPE_DIRECT_APP, memory_order_acquire,
                                                 memory_order_relaxed))
        return false;
    if (!q->direct_fn) {   /* offered for receiving only (read after the acquire: set before the offer) */
        atomic_store_explicit(&q->direct, PIPE_DIRECT_IDLE, memory_order_release);
        return false;
    }
    q->direct_fn(q->direct_arg);   /* ends with pipe_direct_release */
    q->w_direct_try_ns = zn_now_ns();
    return true;
}

/* Makes every whole message written readable; false if there was none. order is memory_order_seq_cst for
 * a lone flush, or memory_order_release when the caller issues the full fence itself (pipe_publish). */
static bool queue_publish(struct pipe_queue *q, memory_order order)
{
    if (q->b_count == q->p_count)
        return false;
    q->p_count = q->b_count;
    q->w_msgs += q->w_msgs_pending;
    q->w_msgs_pending = 0;
    atomic_store_explicit(&q->published, q->b_count, order);
    return true;
}

/* After the publication and a full fence: wakes the reader if it went to sleep before seeing it (invariant
 * 3). A wake lost to ENOMEM leaves the reader marked asleep, so the next flush tries again: an I/O thread's
 * conn, unlike a socket (socket_wait re-checks its pipes), has no other way to notice. */
static void queue_wake_reader(struct pipe_end *e, struct pipe_queue *q)
{
    if (atomic_load_explicit(&q->reader_asleep, memory_order_seq_cst) &&
        atomic_exchange_explicit(&q->reader_asleep, 0, memory_order_acq_rel) && !try_direct(q) &&
        !wake(pipe_peer_end(e)))
        atomic_store_explicit(&q->reader_asleep, 1, memory_order_seq_cst);
}

void pipe_flush(struct pipe_end *e)
{
    struct pipe_queue *q = &e->pipe->queue[e->index];
    if (queue_publish(q, memory_order_seq_cst))
        queue_wake_reader(e, q);
}

/* Flushing many pipes (PUB, XPUB): each publication is a plain release store, and one seq_cst fence stands
 * for the per-pipe seq_cst store of pipe_flush. The Dekker argument of invariant 3 holds per pipe: the
 * store of published is sequenced before the fence and the load of reader_asleep after it, against the
 * reader's seq_cst store of reader_asleep and seq_cst load of published (C11 7.17.4: a load after a
 * seq_cst fence sees every store that precedes the fence in the total order; a seq_cst load after the
 * fence in that order sees every store sequenced before it). A serialising store costs a full cache-line
 * round trip per pipe while the next waits; release stores overlap. */
bool pipe_publish(struct pipe_end *e)
{
    return queue_publish(&e->pipe->queue[e->index], memory_order_release);
}

void pipe_publish_fence(void)
{
    atomic_thread_fence(memory_order_seq_cst);
}

void pipe_wake_after_publish(struct pipe_end *e)
{
    queue_wake_reader(e, &e->pipe->queue[e->index]);
}

void pipe_direct_offer(struct pipe_end *reader, void (*fn)(void *arg),
                       int (*recv_fn)(void *arg, int wake_fd, int timeout_ms), void (*settle_fn)(void *arg),
                       void *arg)
{
    struct pipe_queue *q = &reader->pipe->queue[1 - reader->index];
    q->direct_fn = fn;
    q->direct_recv_fn = recv_fn;
    q->direct_settle_fn = settle_fn;
    q->direct_arg = arg;
    atomic_store_explicit(&q->direct_offered_once, true, memory_order_relaxed);
    atomic_store_explicit(&q->direct, PIPE_DIRECT_IDLE, memory_order_release);
}

int pipe_direct_state(struct pipe_end *reader)
{
    return atomic_load_explicit(&reader->pipe->queue[1 - reader->index].direct, memory_order_relaxed);
}

bool pipe_direct_reclaim(struct pipe_end *reader)
{
    struct pipe_queue *q = &reader->pipe->queue[1 - reader->index];
    for (;;) {
        int seen = atomic_load_explicit(&q->direct, memory_order_acquire);
        if (seen == PIPE_DIRECT_IO)
            return false;   /* the writer handed it back (and woke us) */
        if (seen == PIPE_DIRECT_APP) {
            sched_yield();  /* a send or receive in progress: a few non-blocking calls, then it lets go */
            continue;
        }
        /* IDLE, or RECV: the writer sleeps in poll() and finds the token gone when it wakes. Only ever
         * from the state just seen, so a writer that took it meanwhile (APP) is waited for, never robbed. */
        if (atomic_compare_exchange_weak_explicit(&q->direct, &seen, PIPE_DIRECT_IO, memory_order_acquire,
                                                  memory_order_relaxed))
            return seen == PIPE_DIRECT_RECV;
    }
}

void pipe_direct_release(struct pipe_end *reader, bool idle)
{
    struct pipe_queue *q = &reader->pipe->queue[1 - reader->index];
    if (idle) {
        atomic_store_explicit(&q->direct, PIPE_DIRECT_IDLE, memory_order_release);
        return;
    }
    atomic_store_explicit(&q->direct, PIPE_DIRECT_IO, memory_order_release);
    wake_surely(reader);   /* the reader must finish what we left; a lost wake would strand it */
}

/* How long a socket that just sent waits for its connection to offer the token (pipe_direct_wait). */
#define PIPE_DIRECT_SPIN_NS 10000

/* The token is the I/O thread's, which may be in the middle of writing what this socket just sent: if it
 * offers the token within a few microseconds, take the direct path rather than sleep on the mailbox. In
 * a request-reply exchange that keeps the next round on the direct path too (otherwise the I/O thread
 * answers the reply's arrival, and every round after costs its two wakes again). */
static int spin_for_offer(struct pipe_queue *q)
{
    uint64_t start = zn_now_ns();
    for (;;) {
        for (int i = 0; i < 64; i++) {
            int st = atomic_load_explicit(&q->direct, memory_order_relaxed);
            if (st != PIPE_DIRECT_IO)
                return st;
            zn_cpu_relax();
        }
        if (zn_now_ns() - start > PIPE_DIRECT_SPIN_NS)
            return PIPE_DIRECT_IO;
        sched_yield();   /* on a busy machine the I/O thread may be waiting for this CPU */
    }
}

int pipe_direct_wait(struct pipe_end *writer, int wake_fd, int timeout_ms, bool spin)
{
    struct pipe_queue *q = &writer->pipe->queue[writer->index];
    q->w_direct_try_ns = 0;   /* a socket that waits for input is not streaming: its next send may go direct */
    int st = atomic_load_explicit(&q->direct, memory_order_relaxed);
    if (st == PIPE_DIRECT_IO && spin && atomic_load_explicit(&q->direct_offered_once, memory_order_relaxed))
        st = spin_for_offer(q);
    if (st != PIPE_DIRECT_IDLE)
        return PIPE_WAIT_NONE;
    int expected = PIPE_DIRECT_IDLE;
    if (!atomic_compare_exchange_strong_explicit(&q->direct, &expected, PIPE_DIRECT_APP, memory_order_acquire,
                                                 memory_order_relaxed))
        return PIPE_WAIT_NONE;
    if (!q->direct_recv_fn) {   /* read after the acquire: set before the offer that we took */
        atomic_store_explicit(&q->direct, PIPE_DIRECT_IDLE, memory_order_release);
        return PIPE_WAIT_NONE;
    }
    return q->direct_recv_fn(q->direct_arg, wake_fd, timeout_ms);   /* gives the token back */
}

void pipe_direct_settle(struct pipe_end *writer)
{
    struct pipe_queue *q = &writer->pipe->queue[writer->index];
    int expected = PIPE_DIRECT_IDLE;
    if (!atomic_compare_exchange_strong_explicit(&q->direct, &expected, PIPE_DIRECT_APP, memory_order_acquire,
                                                 memory_order_relaxed))
        return;
    if (q->direct_settle_fn)   /* read after the acquire: set before the offer that we took */
        q->direct_settle_fn(q->direct_arg);
    atomic_store_explicit(&q->direct, PIPE_DIRECT_IDLE, memory_order_release);
}

void pipe_direct_park(struct pipe_end *reader)
{
    atomic_store_explicit(&reader->pipe->queue[1 - reader->index].direct, PIPE_DIRECT_RECV, memory_order_release);
}

bool pipe_direct_unpark(struct pipe_end *reader)
{
    int expected = PIPE_DIRECT_RECV;
    return atomic_compare_exchange_strong_explicit(&reader->pipe->queue[1 - reader->index].direct, &expected,
                                                   PIPE_DIRECT_APP, memory_order_acquire, memory_order_relaxed);
}

/* The reader is this thread (direct receive), which found the queue empty and marked itself asleep: it
 * marks itself awake again and needs no wake. No other thread writes or reads this queue meanwhile (the
 * token), so plain ordering suffices. */
void pipe_flush_to_self(struct pipe_end *writer)
{
    struct pipe_queue *q = &writer->pipe->queue[writer->index];
    queue_publish(q, memory_order_release);
    atomic_store_explicit(&q->reader_asleep, 0, memory_order_relaxed);
}

void pipe_rollback(struct pipe_end *e)
{
    struct pipe_queue *q = &e->pipe->queue[e->index];
    close_frames(q->b_chunk, q->b_pos, q->w_count - q->b_count);
    q->w_chunk = q->b_chunk;
    q->w_pos = q->b_pos;
    q->w_count = q->b_count;
}

/* Reader: is there a published frame beyond r_count? If not, go to sleep (arming the writer's wake). */
static bool queue_refresh(struct pipe_queue *q)
{
    q->r_limit = atomic_load_explicit(&q->published, memory_order_acquire);
    if (q->r_count < q->r_limit)
        return true;
    atomic_store_explicit(&q->reader_asleep, 1, memory_order_seq_cst);
    q->r_limit = atomic_load_explicit(&q->published, memory_order_seq_cst);
    if (q->r_count < q->r_limit) {
        atomic_store_explicit(&q->reader_asleep, 0, memory_order_relaxed);
        return true;
    }
    return false;
}

/* Reader: tell a writer held back by the high-water mark how far we got. */
static void queue_report(struct pipe_queue *q, struct pipe_end *writer)
{
    q->r_msgs_reported = q->r_msgs;
    atomic_store_explicit(&q->msgs_read, q->r_msgs, memory_order_seq_cst);
    if (atomic_load_explicit(&q->writer_waiting, memory_order_seq_cst) &&
        atomic_exchange_explicit(&q->writer_waiting, 0, memory_order_acq_rel) && !wake_room(writer))
        atomic_store_explicit(&q->writer_waiting, 1, memory_order_seq_cst);   /* lost to ENOMEM: retry later */
}

bool pipe_check_read(struct pipe_end *e)
{
    struct pipe_queue *q = &e->pipe->queue[1 - e->index];
    return q->r_count < q->r_limit || queue_refresh(q);
}

/* Takes the frame at the read position (one is published). */
static void queue_take(struct pipe_queue *q, struct pipe_end *e, struct msg *m)
{
    if (q->r_pos == PIPE_CHUNK_ITEMS) {
        struct pipe_chunk *done = q->r_chunk;
        q->r_chunk = done->next;
        q->r_pos = 0;
        chunk_recycle(q, done);
    }
    memcpy(m, &q->r_chunk->items[q->r_pos++], sizeof *m);
    q->r_count++;
    if (!(m->flags & MSGF_MORE)) {
        q->r_msgs++;
        if (q->r_msgs - q->r_msgs_reported >= queue_lwm(q) || q->r_count == q->r_limit)
            queue_report(q, pipe_peer_end(e));
    }
}

#define MSGF_INTERNAL (MSGF_COMMAND | MSGF_SUBSCRIBE | MSGF_ROUTING_ID)

/* Conflating queue: is the next frame a published data frame that may replace the one just taken?
 * Never sleeps (the caller has a frame to return). */
static bool queue_newer_data(struct pipe_queue *q)
{
    if (q->r_count == q->r_limit)
        q->r_limit = atomic_load_explicit(&q->published, memory_order_acquire);
    if (q->r_count == q->r_limit)
        return false;
    const struct msg *next = q->r_pos == PIPE_CHUNK_ITEMS ? &q->r_chunk->next->items[0]
                                                            : &q->r_chunk->items[q->r_pos];
    return !(next->flags & MSGF_INTERNAL);
}

bool pipe_read(struct pipe_end *e, struct msg *m)
{
    struct pipe_queue *q = &e->pipe->queue[1 - e->index];
    if (q->r_count == q->r_limit && !queue_refresh(q)) {
        if (q->r_msgs != q->r_msgs_reported)
            queue_report(q, pipe_peer_end(e));
        return false;
    }
    queue_take(q, e, m);
    while (q->conflate && !(m->flags & MSGF_INTERNAL) && queue_newer_data(q)) {
        msg_close(m);
        queue_take(q, e, m);
        e->conflated++;
    }
    if (q->conflate)
        m->flags &= (uint8_t)~MSGF_MORE;   /* libzmq keeps one frame: multipart is not supported */
    return true;
}

const struct msg *pipe_peek(struct pipe_end *e)
{
    struct pipe_queue *q = &e->pipe->queue[1 - e->index];
    if (q->r_count == q->r_limit && !queue_refresh(q)) {
        if (q->r_msgs != q->r_msgs_reported)
            queue_report(q, pipe_peer_end(e));
        return NULL;
    }
    return q->r_pos == PIPE_CHUNK_ITEMS ? &q->r_chunk->next->items[0] : &q->r_chunk->items[q->r_pos];
}

bool pipe_is_conflate(struct pipe_end *e)
{
    return e->pipe->queue[1 - e->index].conflate;
}

bool pipe_peer_closed(struct pipe_end *e)
{
    return atomic_load_explicit(&e->pipe->closed_mask, memory_order_acquire) & (1 << (1 - e->index));
}

void pipe_set_farewell(struct pipe_end *e, struct msg *m)
{
    struct msg *none = NULL;
    if (!atomic_compare_exchange_strong_explicit(&e->farewell, &none, m, memory_order_acq_rel,
                                                 memory_order_acquire))
        farewell_free(m);
}

/* The farewell replaces a message the owner left unfinished, as libzmq's pipe_t::send_disconnect_msg. */
static void write_farewell(struct pipe_end *e)
{
    struct msg *m = atomic_exchange_explicit(&e->farewell, PIPE_FAREWELL_CLOSED, memory_order_acq_rel);
    if (!m || m == PIPE_FAREWELL_CLOSED)
        return;
    pipe_rollback(e);
    if (pipe_write(e, m) < 0)
        msg_close(m);
    free(m);
}

void pipe_close(struct pipe_end *e)
{
    if (e->closed)
        return;
    e->closed = true;
    struct pipe *p = e->pipe;
    write_farewell(e);
    pipe_flush(e);
    int old = atomic_fetch_or_explicit(&p->closed_mask, 1 << e->index, memory_order_seq_cst);
    if (!(old & (1 << (1 - e->index))))
        wake_surely(pipe_peer_end(e));
    pipe_unref(p);
}
