/* The context: I/O threads, the list of open sockets, the inproc registry, and termination.
 *
 * Termination (zmq_ctx_term):
 *   1. terminating is set and every socket gets CMD_STOP, so blocked calls return ETERM (ctx_shutdown does
 *      only this much);
 *   2. term waits until the application has closed every socket (a signal interrupts it: EINTR, and
 *      term may be called again);
 *   3. each I/O thread is stopped, which waits for its lingering connections (bounded by ZMQ_LINGER);
 *   4. the context is freed.
 * The lock guards the socket list, the inproc registry and the I/O thread start.
 */
#ifndef ZINC_CTX_H
#define ZINC_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"

struct reactor;
struct peer_msg;
struct socket;
struct pipe_end;

struct inproc_binding {
    struct inproc_binding *next;
    char *name;
    struct socket *s;
    struct mailbox *mbox;               /* the binder's (reference held) */
    struct options opt;                 /* the binder's options at bind time */
    struct peer_msg *hello;             /* the binder's ZMQ_HELLO_MSG at bind time (reference held), or NULL */
    struct peer_msg *disconnect;        /* and its ZMQ_DISCONNECT_MSG, for its connectors' ends */
};

struct inproc_pending {
    struct inproc_pending *next;
    char *name;
    struct pipe_end *end;               /* the binder's future end of the connector's pipe */
    struct socket *connector;
    struct options opt;                 /* the connector's options at connect time */
};

struct ctx {
    uint32_t tag;                       /* CTX_TAG while alive */
    pthread_mutex_t lock;
    pthread_cond_t sockets_closed;
    int term_fd;                        /* eventfd zmq_ctx_term waits on (signalled when no socket is
                                         * left) so a signal can interrupt it with EINTR; -1 until then */
    /* context options (ctx_options.c); the I/O thread ones apply to threads started afterwards */
    int io_threads;
    int max_sockets;
    int ipv6;
    int blocky;
    int max_msgsz;
    int zero_copy_recv;
    int thread_priority, thread_sched_policy;   /* -1: leave the OS default */
    int thread_name_prefix;
    bool thread_name_prefix_set;        /* names are "<prefix>/ZMQbg/IO/<n>" once set */
    int *thread_cpus;                   /* ZMQ_THREAD_AFFINITY_CPU_ADD/REMOVE, sorted, no duplicates */
    size_t thread_ncpus, thread_cpus_cap;
    struct reactor *io;                 /* io_threads reactors, started on first use */
    int nio;
    int socket_limit;                   /* max_sockets when the first socket was made, as libzmq latches it */
    int io_threads_at_start;            /* io_threads then: 0 leaves only inproc (one reactor runs anyway) */
    unsigned next_io;
    struct socket **sockets;
    size_t nsockets, sockets_cap;
    atomic_bool terminating;
    struct inproc_binding *bindings;
    struct inproc_pending *pending;
    unsigned next_socket_id;            /* the last socket's stats_id (the stats server's "id") */
    /* the stats server (core/stats_server.h): flags under the lock */
    struct socket *stats_sock;          /* its REP socket, owned by its thread */
    pthread_t stats_thread;
    int stats_thread_started;           /* a start claimed the server */
    int stats_thread_running;           /* the thread runs: ctx_term joins it */
    int stats_autostart_tried;          /* ZINC_STATS_ENDPOINT was looked at */
};

#define CTX_TAG 0x7a637478u

struct ctx *ctx_new(void);
int ctx_term(struct ctx *c);
int ctx_shutdown(struct ctx *c);
/* zmq_ctx_set/zmq_ctx_get (ctx_options.c): 0, -EINVAL or -ENOMEM. */
int ctx_set(struct ctx *c, int option, int value);
int ctx_get(struct ctx *c, int option, int *value);
struct thread_params;
/* The scheduling, affinity and name the context gives its I/O thread number index. Lock held. */
void ctx_thread_params(const struct ctx *c, int index, struct thread_params *tp);
/* Registers a new socket; picks its I/O thread (starting the threads on first use). */
int ctx_add_socket(struct ctx *c, struct socket *s);
void ctx_remove_socket(struct ctx *c, struct socket *s);

#endif
