/* zmq_ctx_set/zmq_ctx_get: the context options of libzmq 4.3.4, with its ranges (measured against
 * Debian's build), and the settings they give the I/O threads. Everything runs under the context lock.
 *
 * libzmq's quirks kept: ZMQ_THREAD_PRIORITY and ZMQ_SOCKET_LIMIT share the number 3, so zmq_ctx_get(3)
 * reads the socket limit; ZMQ_THREAD_NAME_PREFIX is an int; ZMQ_IO_THREADS and ZMQ_MAX_SOCKETS may be set
 * at any time but count only until the first socket is made; the CPU affinity list cannot be read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "core/ctx.h"
#include "core/reactor.h"

#define CTX_SOCKET_LIMIT 65535          /* what libzmq reports for ZMQ_SOCKET_LIMIT */
#define CTX_ZERO_COPY_RECV 10           /* ZMQ_ZERO_COPY_RECV: a draft option Debian's libzmq takes */

static size_t cpu_index(const struct ctx *c, int cpu)
{
    size_t i = 0;
    while (i < c->thread_ncpus && c->thread_cpus[i] < cpu)
        i++;
    return i;
}

static int cpu_add(struct ctx *c, int cpu)
{
    size_t i = cpu_index(c, cpu);
    if (i < c->thread_ncpus && c->thread_cpus[i] == cpu)
        return 0;
    if (c->thread_ncpus == c->thread_cpus_cap) {
        size_t cap = c->thread_cpus_cap ? c->thread_cpus_cap * 2 : 8;
        int *grown = realloc(c->thread_cpus, cap * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        c->thread_cpus = grown;
        c->thread_cpus_cap = cap;
    }
    memmove(&c->thread_cpus[i + 1], &c->thread_cpus[i], (c->thread_ncpus - i) * sizeof(int));
    c->thread_cpus[i] = cpu;
    c->thread_ncpus++;
    return 0;
}

/* libzmq refuses to remove a CPU that is not in the list. */
static int cpu_remove(struct ctx *c, int cpu)
{
    size_t i = cpu_index(c, cpu);
    if (i == c->thread_ncpus || c->thread_cpus[i] != cpu)
        return -EINVAL;
    memmove(&c->thread_cpus[i], &c->thread_cpus[i + 1], (c->thread_ncpus - i - 1) * sizeof(int));
    c->thread_ncpus--;
    return 0;
}

/* Every option but the name prefix wants a value of at least min. */
static int set_locked(struct ctx *c, int option, int value)
{
    int min = option == ZMQ_MAX_SOCKETS ? 1 : 0;
    if (option != ZMQ_THREAD_NAME_PREFIX && value < min)
        return -EINVAL;
    switch (option) {
    case ZMQ_IO_THREADS: c->io_threads = value; return 0;
    case ZMQ_MAX_SOCKETS: c->max_sockets = value; return 0;
    case ZMQ_THREAD_PRIORITY: c->thread_priority = value; return 0;
    case ZMQ_THREAD_SCHED_POLICY: c->thread_sched_policy = value; return 0;
    case ZMQ_MAX_MSGSZ: c->max_msgsz = value; return 0;
    case ZMQ_THREAD_AFFINITY_CPU_ADD: return cpu_add(c, value);
    case ZMQ_THREAD_AFFINITY_CPU_REMOVE: return cpu_remove(c, value);
    case ZMQ_THREAD_NAME_PREFIX:
        c->thread_name_prefix = value;
        c->thread_name_prefix_set = true;
        return 0;
    case CTX_ZERO_COPY_RECV: c->zero_copy_recv = value != 0; return 0;
    case ZMQ_IPV6: c->ipv6 = value != 0; return 0;
    case ZMQ_BLOCKY: c->blocky = value != 0; return 0;
    default: return -EINVAL;   /* unknown, or read-only (ZMQ_MSG_T_SIZE) */
    }
}

int ctx_set(struct ctx *c, int option, int value)
{
    pthread_mutex_lock(&c->lock);
    int rc = set_locked(c, option, value);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static bool get_locked(const struct ctx *c, int option, int *v)
{
    switch (option) {
    case ZMQ_IO_THREADS: *v = c->io_threads; return true;
    case ZMQ_MAX_SOCKETS: *v = c->max_sockets; return true;
    case ZMQ_SOCKET_LIMIT: *v = CTX_SOCKET_LIMIT; return true;   /* also ZMQ_THREAD_PRIORITY's number */
    case ZMQ_THREAD_SCHED_POLICY: *v = c->thread_sched_policy; return true;
    case ZMQ_MAX_MSGSZ: *v = c->max_msgsz; return true;
    case ZMQ_MSG_T_SIZE: *v = (int)sizeof(zmq_msg_t); return true;
    case ZMQ_THREAD_NAME_PREFIX: *v = c->thread_name_prefix; return true;
    case CTX_ZERO_COPY_RECV: *v = c->zero_copy_recv; return true;
    case ZMQ_IPV6: *v = c->ipv6; return true;
    case ZMQ_BLOCKY: *v = c->blocky; return true;
    default: return false;   /* unknown, or write-only (the affinity list) */
    }
}

/* Any int is a possible value (THREAD_SCHED_POLICY's default is -1), so the error comes back apart. */
int ctx_get(struct ctx *c, int option, int *value)
{
    pthread_mutex_lock(&c->lock);
    bool known = get_locked(c, option, value);
    pthread_mutex_unlock(&c->lock);
    return known ? 0 : -EINVAL;
}

void ctx_thread_params(const struct ctx *c, int index, struct thread_params *tp)
{
    /* libzmq's names, "ZMQbg/IO/0", prefixed "<prefix>/" once a prefix is set; the kernel keeps 15 bytes */
    if (c->thread_name_prefix_set)
        snprintf(tp->name, sizeof tp->name, "%d/ZMQbg/IO/%d", c->thread_name_prefix, index);
    else
        snprintf(tp->name, sizeof tp->name, "ZMQbg/IO/%d", index);
    tp->sched_policy = c->thread_sched_policy;
    tp->priority = c->thread_priority;
    tp->cpus = c->thread_cpus;
    tp->ncpus = c->thread_ncpus;
}
