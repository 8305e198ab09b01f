/* The pipe: a bidirectional link between two ends (a socket and a connection, or two sockets for inproc),
 * made of two lock-free single-producer/single-consumer queues of message frames. Each end owns the
 * write side of one queue and the read side of the other.
 *
 * Batching: frames written are invisible to the reader until pipe_flush publishes them, which the writer
 * does at message boundaries (so a message arrives whole or not at all) and once per batch. A reader that
 * finds its queue empty marks itself asleep; the flush that sees that mark posts exactly one CMD_PIPE_WAKE
 * to the reader's mailbox. The same handshake runs backwards for a writer stopped by the high-water mark.
 *
 * State of one queue:
 *
 *     writer: write* -> flush -> (reader asleep? wake it)        reader: read until empty -> sleep
 *
 * Invariants:
 *  1. Only the owning end's thread touches its w_* (writer) or r_* (reader) fields.
 *  2. published only grows, and only at message boundaries; items < published are fully written.
 *  3. Sleep/wake use a seq_cst store then a seq_cst load on each side (Dekker), so a wake is never lost.
 *  4. The high-water mark counts whole messages: msgs_written - msgs_read < hwm admits a new message.
 *  5. The pipe is freed when both ends have closed and no queued command holds a reference.
 *  6. A queue's limit is one atomic word of two parts, the writer's SNDHWM and the reader's RCVHWM (inproc
 *     adds both, as libzmq does; tcp and ipc queues have one part, the other PIPE_HWM_NONE). Any thread
 *     may change it (zmq_setsockopt on either socket, an inproc bind); it guards no data, so both sides
 *     read it relaxed. A writer held back under an old limit is released by the reader's next report,
 *     at the latest when the reader drains the queue (pipe_read), so a stale limit never deadlocks.
 *  7. A conflating queue (pipe_set_conflate) has no high-water mark, and each pipe_read returns only the
 *     newest of the data frames published so far; internal frames (routing ids, subscriptions) are never
 *     dropped. The frames it skips are closed by the reader.
 *  8. Direct send and receive (see below): the reader's side of a queue belongs to whoever holds its
 *     direct token. The token is PIPE_DIRECT_IO unless the reader (a connection) offered it; the writer
 *     may then take it (IDLE -> APP, one compare-and-swap) and act as the reader for one send, or as the
 *     connection for one receive. Every hand-over of the token is a release store or an acquire CAS, so
 *     the reader's fields (r_*) and the reader's own state pass between the threads with it. In RECV the
 *     writer holds nothing: it only sleeps, and touches nothing of the reader's unless it wins RECV -> APP.
 */
#ifndef ZINC_PIPE_H
#define ZINC_PIPE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"
#include "core/util.h"

#define PIPE_CHUNK_ITEMS 128

struct mailbox;

struct pipe_chunk {
    struct msg items[PIPE_CHUNK_ITEMS];
    struct pipe_chunk *next;
};

struct pipe_queue {
    /* writer's side */
    struct pipe_chunk *w_chunk;
    unsigned w_pos;
    uint64_t w_count;                    /* frames written, flushed or not */
    uint64_t w_msgs;                     /* whole messages flushed */
    uint64_t w_msgs_pending;             /* whole messages written since the last flush */
    uint64_t p_count;                    /* frames published by the last flush (writer's copy) */
    uint64_t w_msgs_read_seen;           /* cached copy of msgs_read */
    struct pipe_chunk *b_chunk;          /* write position after the last whole message: what flush */
    unsigned b_pos;                      /* publishes and where rollback cuts back to */
    uint64_t b_count;
    bool conflate;                       /* ZMQ_CONFLATE: the reader keeps only the newest data frame */

    /* shared, each on its own line */
    _Alignas(ZN_CACHELINE) atomic_uint_fast64_t published;  /* frames readable */
    _Alignas(ZN_CACHELINE) atomic_uint_fast64_t msgs_read;  /* messages consumed, as last reported */
    _Alignas(ZN_CACHELINE) atomic_int reader_asleep;
    atomic_int writer_waiting;
    _Atomic(struct pipe_chunk *) spare;  /* one recycled chunk */
    atomic_uint_fast64_t limit_parts;    /* invariant 6: SNDHWM part | RCVHWM part << 32 */

    /* direct send and receive (invariant 8) */
    _Alignas(ZN_CACHELINE) atomic_int direct;  /* PIPE_DIRECT_IO / _IDLE / _APP / _RECV */
    void (*direct_fn)(void *arg);        /* the reader's send, run by the writer holding the token */
    int (*direct_recv_fn)(void *arg, int wake_fd, int timeout_ms);  /* its receive (NULL: none) */
    void (*direct_settle_fn)(void *arg); /* undoes what a receive left for the next one (NULL: none) */
    void *direct_arg;                    /*   (all set by the reader before it offers the token) */
    atomic_bool direct_offered_once;     /* the reader offers the token at all (pipe_direct_wait spins) */
    uint64_t w_direct_try_ns;            /* writer's: when it last found the token offered */

    /* reader's side */
    _Alignas(ZN_CACHELINE) struct pipe_chunk *r_chunk;
    unsigned r_pos;
    uint64_t r_count;                    /* frames read */
    uint64_t r_limit;                    /* cached copy of published */
    uint64_t r_msgs;                     /* messages read */
    uint64_t r_msgs_reported;
    uint64_t r_parts_seen;               /* limit_parts when r_lwm was computed */
    uint64_t r_lwm;                      /* reader reports progress every r_lwm messages */
};

struct pipe;

struct pipe_end {
    struct pipe *pipe;
    int index;                           /* 0 or 1: writes queue[index], reads queue[1 - index] */
    uint32_t conflated;                  /* reader's: frames a conflating pipe_read replaced, until the
                                          * reader moves them to its socket's counters (core/stats.h) */
    _Atomic(struct mailbox *) mbox;      /* who is woken for this end (holds a reference); set by the
                                          * end's new owner while the peer's thread may read it to wake */
    void *owner;                         /* the socket or connection using this end */
    void *proto_data;                    /* the socket type's per-pipe state */
    uint32_t routing_id;                 /* id the owner knows this pipe by (ROUTER, STREAM, ...) */
    uint8_t peer_id[256];                /* routing id bytes announced by / assigned to the peer */
    uint8_t peer_id_len;
    bool datagram;                       /* the peer is a udp:// engine (transport/udp.c): a RADIO sends it
                                          * every group, since a datagram peer cannot join */
    void (*io_wake)(struct pipe_end *e); /* an I/O-thread end that is no connection (udp): its wake, run by
                                          * the reactor instead of conn_on_pipe_wake; NULL for connections */
    bool id_in_band;                     /* ROUTER connect pipe made before the handshake: the peer's id
                                          * comes as a MSGF_ROUTING_ID message, after each handshake */
    size_t in_slot;                      /* owner-private: index in the fair-queue set */
    size_t out_slot;                     /* owner-private: index in the load-balance / distribute set */
    size_t sock_slot;                    /* owner-private: index in the socket's pipe list */
    bool closed;                         /* this end called pipe_close */
    int zmtp_minor;                      /* set by the connection: peer speaks ZMTP 3.<minor>; -1: 2.0/inproc */
    bool inproc;                         /* both ends are sockets: each queue's limit has two parts */
    char *uris;                          /* "local\0remote\0" for ZMQ_EVENT_PIPES_STATS, or NULL: set once
                                          * before the end is handed to its owner, freed with the pipe */
    _Atomic(struct msg *) farewell;      /* inproc connector: the binder's ZMQ_DISCONNECT_MSG, written by
                                          * pipe_close (NULL: none; PIPE_FAREWELL_CLOSED: too late) */
};

#define PIPE_FAREWELL_CLOSED ((struct msg *)&pipe_farewell_closed)
extern const int pipe_farewell_closed;

struct pipe {
    struct pipe_queue queue[2];
    struct pipe_end end[2];
    atomic_int refs;
    atomic_int closed_mask;              /* bit i: end i closed */
};

/* Creates a pipe. hwm[i] limits queue i (written by end i), 0: no limit. Both ends start with refs held by
 * their owners. Returns NULL on ENOMEM. */
struct pipe *pipe_new(uint64_t hwm0, uint64_t hwm1);

/* Queue limits (invariant 6). A part is a socket's ZMQ_SNDHWM or ZMQ_RCVHWM; PIPE_HWM_NONE: no such part.
 * The limit is 0 (none) when a present part is 0, else the sum of the present parts. */
#define PIPE_HWM_NONE UINT32_MAX
void pipe_set_limit(struct pipe *p, int queue, uint32_t snd_part, uint32_t rcv_part);
void pipe_set_snd_part(struct pipe *p, int queue, uint32_t snd_part);   /* keeps the RCVHWM part */
void pipe_set_rcv_part(struct pipe *p, int queue, uint32_t rcv_part);   /* keeps the SNDHWM part */
uint64_t pipe_limit(struct pipe *p, int queue);
/* Wakes queue's writer if the limit held it back, so it looks again (after a limit was raised). */
void pipe_release_writer(struct pipe *p, int queue);

/* ZMQ_CONFLATE on queue i (written by end i): call before either end is used. */
void pipe_set_conflate(struct pipe *p, int queue_index);
/* Applies ZMQ_CONFLATE from the options of the socket at end 0 (options_conflate_out/in). */
struct options;
void pipe_conflate_as(struct pipe *p, const struct options *o);
void pipe_ref(struct pipe *p);
void pipe_unref(struct pipe *p);
/* Binds an end to the mailbox that should be woken for it (once per end: replacing a mailbox is safe only
 * while no other thread can wake this end). If the peer closed before, the new mailbox gets that wake. */
void pipe_end_set_mailbox(struct pipe_end *e, struct mailbox *mb);
static inline struct pipe_end *pipe_peer_end(struct pipe_end *e) { return &e->pipe->end[1 - e->index]; }

/* Names the end's connection for monitor events (pipes stats): local and remote uri (NULL: empty). Call
 * before the end is handed to its owner; out of memory leaves both empty. */
void pipe_end_set_uris(struct pipe_end *e, const char *local, const char *remote);
const char *pipe_end_local_uri(const struct pipe_end *e);    /* "" when unset */
const char *pipe_end_remote_uri(const struct pipe_end *e);
/* Queue depths for ZMQ_EVENT_PIPES_STATS, in whole messages, on the thread that owns e. Out: flushed by e
 * and not yet read by the peer, as the peer last reported (it reports every (hwm + 1) / 2 messages and when
 * it drains the queue, so this may count up to that many too many). In: published by the peer and not yet
 * read by e (exact). */
uint64_t pipe_queued_out(struct pipe_end *e);
uint64_t pipe_queued_in(struct pipe_end *e);

/* Writer side. */
bool pipe_check_write(struct pipe_end *e);   /* room for a new message? (arms the room wake if not) */
int pipe_write(struct pipe_end *e, struct msg *m); /* moves m in; 0 or -ENOMEM */
void pipe_flush(struct pipe_end *e);         /* publishes every whole message written; never part of one */
/* pipe_flush for many pipes with one full fence: pipe_publish on each (true: something was published),
 * then pipe_publish_fence() once, then pipe_wake_after_publish on each (on a pipe that published nothing
 * it at worst wakes a sleeping reader that finds nothing new). */
bool pipe_publish(struct pipe_end *e);
void pipe_publish_fence(void);
void pipe_wake_after_publish(struct pipe_end *e);
void pipe_rollback(struct pipe_end *e);      /* drops the frames of a message left unfinished */
/* Reader side. */
bool pipe_read(struct pipe_end *e, struct msg *m);  /* false when empty (and marks the reader asleep) */
/* Like pipe_read without taking. Not a free look: when it returns true it may have marked the reader asleep
 * and awake again, and a writer that published meanwhile then skipped the wake, counting on this reader to
 * take what it saw. A socket re-checks its pipes whenever it waits, so it may look and leave; the I/O
 * thread's conn is only called back by a wake, so a look that finds data must be followed by reading it
 * (conn_direct_offer and conn_drained's callers do). */
bool pipe_check_read(struct pipe_end *e);
/* The next published frame, left in place (NULL and asleep, like pipe_read, when there is none). Not for
 * conflating queues (pipe_is_conflate), where the frame read may be a later one. */
const struct msg *pipe_peek(struct pipe_end *e);
bool pipe_is_conflate(struct pipe_end *e);    /* is the queue e reads conflating? */

/* Direct send and receive (invariant 8), for a queue read by a connection on an I/O thread and written by a socket.
 * When the connection is idle (nothing to write, the queue empty and its reader asleep) it offers the
 * token; the writer's next pipe_flush that would wake the reader instead takes the token and calls fn,
 * which reads the queue as the reader and writes the frames to the fd itself, on the application thread,
 * so a lone message costs no wake-up of the I/O thread. fn must end with pipe_direct_release. The
 * connection takes the token back (waiting out a send in progress) before it does anything else. */
#define PIPE_DIRECT_IO   0   /* the reader has it (the initial state) */
#define PIPE_DIRECT_IDLE 1   /* offered: the writer may take it */
#define PIPE_DIRECT_APP  2   /* the writer is sending, or receiving for the reader */
#define PIPE_DIRECT_RECV 3   /* the writer sleeps in poll() on the reader's fd; the reader may take it back */
/* reader: IO -> IDLE. fn may be NULL (no direct send: a flush wakes the reader as ever), and so may
 * recv_fn (no direct receive: see pipe_direct_wait) and settle_fn (see pipe_direct_settle). */
void pipe_direct_offer(struct pipe_end *reader, void (*fn)(void *arg),
                       int (*recv_fn)(void *arg, int wake_fd, int timeout_ms), void (*settle_fn)(void *arg),
                       void *arg);
/* The reader's view of the token (PIPE_DIRECT_*), a relaxed look that decides nothing by itself. */
int pipe_direct_state(struct pipe_end *reader);
/* reader: IDLE, APP or RECV -> IO (waits for APP to end; RECV is taken at once, the writer's poll() then
 * finds it gone). true: it was taken from RECV, and the reader must undo what the writer's receive set up
 * before parking (the fd's epoll interest). */
bool pipe_direct_reclaim(struct pipe_end *reader);
/* Writer, holding APP: idle (the queue read empty, everything written): back to IDLE; else to IO, and the
 * reader is woken to finish (what is left in the queue, or bytes the fd did not take). */
void pipe_direct_release(struct pipe_end *reader, bool idle);

/* Direct receive: a socket about to block for input on its only pipe, whose connection offered the token
 * with a recv_fn, takes the token (IDLE -> APP) and runs recv_fn(arg, wake_fd, timeout_ms) on its own
 * thread: it sleeps in poll() on the socket's wake_fd and the connection's fd at once, and reads what
 * arrives itself, writing the messages into the queue the connection writes (the socket then being both
 * writer and reader of that queue, which the token makes safe), so a lone message costs no wake of the I/O
 * thread nor of the socket. `writer` is the socket's end. Returns PIPE_WAIT_NONE when there was no token
 * to take (wait on wake_fd as usual), else what recv_fn returned (see conn_direct.c), the token given back.
 * spin: the socket sent since it last received, so the I/O thread may be busy writing that and about to
 * offer the token: wait a few microseconds for it. */
#define PIPE_WAIT_NONE (-1000)
#define PIPE_WAIT_WOKEN 1       /* something may have changed: run the mailbox's commands and look again */
#define PIPE_WAIT_DELIVERED 2   /* recv_fn wrote messages into the pipe: the socket marks it readable */
/* and 0: timed out; -EINTR: a signal. */
int pipe_direct_wait(struct pipe_end *writer, int wake_fd, int timeout_ms, bool spin);
/* For recv_fn, holding APP: APP -> RECV before it sleeps; after, RECV -> APP (false: the reader took the
 * token meanwhile, so recv_fn must touch nothing of the reader's and return). */
void pipe_direct_park(struct pipe_end *reader);
bool pipe_direct_unpark(struct pipe_end *reader);
/* Writer: a receive may leave something set up for the next one (the connection's fd muted in the I/O
 * thread's epoll, conn_direct_recv.c); before the socket waits or reports readiness any other way, this
 * takes the token if it is offered (IDLE -> APP), runs settle_fn to undo that, and hands it back. Token
 * not offered: the reader holds it and has undone it already. */
void pipe_direct_settle(struct pipe_end *writer);
/* For recv_fn: publishes what it wrote into the queue the socket reads, and marks that reader (its own
 * thread) awake instead of waking it through the mailbox. `writer` is the connection's end. */
void pipe_flush_to_self(struct pipe_end *writer);

/* Both. */
bool pipe_peer_closed(struct pipe_end *e);
/* This end is done: the peer is woken; unread inbound frames are dropped when the pipe is freed; frames
 * already flushed outbound stay readable by the peer (linger). Drops the owner's reference. */
void pipe_close(struct pipe_end *e);
/* Gives e a last message to write when it closes (a heap struct msg, taken over): the binder's
 * ZMQ_DISCONNECT_MSG on an inproc connector's end. Any thread may set it once, while e's owner may be
 * closing it: a farewell that comes after the close is freed unsent. */
void pipe_set_farewell(struct pipe_end *e, struct msg *m);

#endif
