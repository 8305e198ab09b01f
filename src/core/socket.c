/* The socket core: commands from other threads, blocking with timeouts, endpoints, options, and the calls
 * into the socket type's ops table. See socket.h for the lifetime and invariants. */
#include "core/socket.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "core/ctx.h"
#include "core/mailbox.h"
#include "core/monitor.h"
#include "core/msg.h"
#include "core/option_table.h"
#include "core/peer_msg.h"
#include "core/pipe.h"
#include "core/reactor.h"
#include "core/socket_safe.h"
#include "core/stats_server.h"
#include "core/util.h"
#include "transport/transport.h"

/* On the fast path the mailbox is looked at (one atomic load) every call, and drained when non-empty. */

struct socket *socket_new(struct ctx *ctx, int type, int *err)
{
    const struct proto_ops *ops = proto_find(type);
    if (!ops) {
        *err = EINVAL;
        return NULL;
    }
    size_t head = (sizeof(struct socket) + 15) & ~(size_t)15;
    struct socket *s = calloc(1, head + ops->size);
    if (!s) {
        *err = ENOMEM;
        return NULL;
    }
    s->ctx = ctx;
    s->ops = ops;
    s->proto = (char *)s + head;
    options_init(&s->opt, type);
    s->opt.ipv6 = ctx->ipv6;
    if (!ctx->blocky)
        s->opt.linger = 0;   /* ZMQ_BLOCKY off: sockets do not hold zmq_ctx_term up */
    s->next_routing_id = (uint32_t)rand();
    s->monitor = monitor_new();
    if (!s->monitor) {
        *err = ENOMEM;
        goto fail_monitor;
    }
    s->mbox = mailbox_new();
    if (!s->mbox) {
        *err = errno;
        goto fail_mailbox;
    }
    int rc = socket_safe_init(&s->safe, ops->thread_safe);
    if (rc < 0) {
        *err = -rc;
        goto fail_safe;
    }
    rc = ctx_add_socket(ctx, s);
    if (rc < 0) {
        *err = -rc;
        goto fail_ctx;
    }
    rc = ops->init(s->proto, s);
    if (rc < 0) {
        *err = -rc;
        goto fail_init;
    }
    s->tag = SOCKET_TAG;
    stats_server_autostart(ctx);   /* ZINC_STATS_ENDPOINT: looked at once, with the context's first socket */
    return s;
fail_init:
    ctx_remove_socket(ctx, s);
fail_ctx:
    socket_safe_fini(&s->safe);
fail_safe:
    mailbox_unref(s->mbox);
fail_mailbox:
    monitor_unref(s->monitor);
fail_monitor:
    free(s);
    return NULL;
}

/* ---- pipes ------------------------------------------------------------------------------------------- */
int socket_attach_pipe(struct socket *s, struct pipe_end *e)
{
    if (s->npipes == s->pipes_cap) {
        size_t cap = s->pipes_cap ? s->pipes_cap * 2 : 8;
        struct pipe_end **grown = realloc(s->pipes, cap * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        s->pipes = grown;
        s->pipes_cap = cap;
    }
    struct socket *was_owner = e->owner;
    e->owner = s;
    e->sock_slot = s->npipes;
    s->pipes[s->npipes++] = e;
    /* The socket type may run out of memory for its own tables: then the pipe is not attached at all, and
     * the caller closes it (zmq_connect fails with ENOMEM) rather than keep a pipe nobody serves. */
    int rc = s->ops->attach(s->proto, e);
    if (rc < 0) {
        s->npipes--;
        e->owner = was_owner;
        return rc;
    }
    socket_safe_changed(&s->safe);   /* a thread-safe socket's blocked sender may now have a peer */
    atomic_store_explicit(&s->stats.peers, s->npipes, memory_order_relaxed);
    return 0;
}

static void socket_detach_pipe(struct socket *s, struct pipe_end *e)
{
    if (e->owner != s || e->closed)
        return;
    s->ops->detach(s->proto, e);
    size_t i = e->sock_slot;
    s->pipes[i] = s->pipes[--s->npipes];
    s->pipes[i]->sock_slot = i;
    atomic_store_explicit(&s->stats.peers, s->npipes, memory_order_relaxed);
    for (struct endpoint *ep = s->endpoints; ep; ep = ep->next)
        if (ep->end == e)
            ep->end = NULL;
    e->owner = NULL;
    pipe_close(e);
}

void socket_pipe_dead(struct socket *s, struct pipe_end *e)
{
    for (size_t i = 0; i < s->ndead; i++)
        if (s->dead[i] == e)
            return;
    if (s->ndead == s->dead_cap) {
        size_t cap = s->dead_cap ? s->dead_cap * 2 : 8;
        struct pipe_end **grown = realloc(s->dead, cap * sizeof *grown);
        if (!grown)
            return;   /* retried on the pipe's next wake */
        s->dead = grown;
        s->dead_cap = cap;
    }
    pipe_ref(e->pipe);
    s->dead[s->ndead++] = e;
}

void socket_reap_dead(struct socket *s)
{
    while (s->ndead) {
        struct pipe_end *e = s->dead[--s->ndead];
        struct pipe *p = e->pipe;
        socket_detach_pipe(s, e);
        pipe_unref(p);
    }
}

uint32_t socket_next_routing_id(struct socket *s)
{
    uint32_t id = ++s->next_routing_id;
    if (id == 0)
        id = ++s->next_routing_id;
    return id;
}

void socket_stop(struct socket *s)
{
    struct cmd cmd = {.type = CMD_STOP};
    (void)mailbox_post(s->mbox, &cmd);
}

/* ---- commands ---------------------------------------------------------------------------------------- */
static void socket_command(struct socket *s, struct cmd *cmd)
{
    struct pipe_end *e = cmd->end;
    switch (cmd->type) {
    case CMD_PIPE_ATTACH:
        if (socket_attach_pipe(s, e) < 0)
            pipe_close(e);
        break;
    case CMD_PIPE_WAKE:
        if (e->owner != s || e->closed)
            break;
        if (pipe_peer_closed(e) && !pipe_check_read(e)) {
            socket_pipe_dead(s, e);
            break;
        }
        s->ops->read_activated(s->proto, e);
        s->ops->write_activated(s->proto, e);
        break;
    case CMD_PIPE_HICCUP:
        if (e->owner == s && !e->closed && s->ops->hiccup)
            s->ops->hiccup(s->proto, e);
        break;
    case CMD_STOP:
        s->stopped = true;
        break;
    default:
        break;
    }
}

/* Runs the commands in the mailbox (draining its eventfd even when none is queued). 0 or -ETERM. */
static int socket_run_commands(struct socket *s)
{
    struct cmd *cmds;
    size_t cap;
    size_t n = mailbox_take(s->mbox, &cmds, &cap);
    for (size_t i = 0; i < n; i++) {
        socket_command(s, &cmds[i]);
        cmd_release(&cmds[i]);
    }
    mailbox_done(s->mbox, cmds, cap);
    socket_reap_dead(s);
    if (n && s->safe.on)
        socket_safe_changed(&s->safe);   /* threads blocked on this socket look again */
    return s->stopped ? -ETERM : 0;
}

/* A direct receive may leave its connection's fd muted for the next one (core/conn_direct_recv.c): before
 * this thread waits on its mailbox or reports readiness, the I/O thread must hear every fd again. */
void socket_settle_direct(struct socket *s)
{
    if (!s->direct_settle_due)
        return;
    s->direct_settle_due = false;
    for (size_t i = 0; i < s->npipes; i++)
        pipe_direct_settle(s->pipes[i]);
}

/* Waits up to timeout_ms (-1: forever, 0: not at all) for commands and runs them. 0, -EINTR or -ETERM. */
static int process_commands(struct socket *s, int timeout_ms)
{
    if (timeout_ms != 0 && s->safe.on) {
        /* Other threads may use the socket meanwhile: sleep without its lock (core/socket_safe.h). */
        int rc = socket_safe_wait(&s->safe, s->mbox->fd, timeout_ms);
        return rc < 0 ? rc : socket_run_commands(s);
    }
    if (timeout_ms != 0) {
        socket_settle_direct(s);
        struct pollfd pfd = {.fd = s->mbox->fd, .events = POLLIN};
        int rc = poll(&pfd, 1, timeout_ms);
        if (rc < 0 && errno == EINTR)
            return -EINTR;
        if (rc == 0)
            return 0;
    } else if (!mailbox_has_pending(s->mbox)) {
        return s->stopped ? -ETERM : 0;
    }
    return socket_run_commands(s);
}

/* Milliseconds left until the deadline (timeout_ms < 0: -1, for ever); -1 with *expired when it passed. */
static int wait_left(int timeout_ms, uint64_t deadline, bool *expired)
{
    *expired = false;
    if (timeout_ms < 0)
        return -1;
    uint64_t now = zn_now_ms();
    if (now >= deadline) {
        *expired = true;
        return -1;
    }
    return (int)(deadline - now);
}

/* A socket that keeps blocking for input without sending in between (a PULL or SUB draining a stream) is
 * better served by the I/O thread, which reads in batches on its own CPU while this thread works through
 * the last batch: taking the reads onto this thread makes the slower side of the stream slower still (a
 * pyzmq receiver fell to half its rate). So a socket waits on the fd itself only after a send (a request
 * or a reply), or when it looks like a receiver of lone messages: its last wait for input was followed by
 * at most one message, and ended long enough ago that this input is not the next piece of a stream. */
#define SOCKET_STREAM_GAP_NS 50000

/* Waiting for input with one pipe: its connection, if idle, lets this thread wait on the connection's fd
 * as well and read a lone message itself (pipe_direct_wait, core/conn_direct_recv.c). PIPE_WAIT_NONE: it
 * could not, wait as usual. */
static int socket_wait_direct(struct socket *s, int wait)
{
    /* Not on a thread-safe socket: the direct receive sleeps as the pipe's writer, which would have to hold
     * the socket's lock while it sleeps. */
    if (s->safe.on || s->npipes != 1 || s->pipes[0]->inproc || s->pipes[0]->closed)
        return PIPE_WAIT_NONE;
    if (!s->sent_since_recv && (s->recvs_since_wait > 1 || zn_now_ns() - s->input_wait_end_ns < SOCKET_STREAM_GAP_NS))
        return PIPE_WAIT_NONE;
    struct pipe_end *e = s->pipes[0];
    int rc = pipe_direct_wait(e, s->mbox->fd, wait, s->sent_since_recv);
    if (rc != PIPE_WAIT_NONE)
        s->direct_settle_due = true;
    if (rc == PIPE_WAIT_DELIVERED)
        s->ops->read_activated(s->proto, e);
    if (rc == PIPE_WAIT_DELIVERED || rc == PIPE_WAIT_WOKEN)
        return socket_run_commands(s);
    return rc;   /* 0 (timed out), -EINTR, or PIPE_WAIT_NONE */
}

/* Blocks until the deadline (0: none) for something to change; for input, perhaps receiving on this thread
 * (socket_wait_direct). 0, -EAGAIN (timed out), -EINTR, -ETERM. */
static int socket_wait(struct socket *s, int timeout_ms, uint64_t deadline, bool input)
{
    bool expired;
    int wait = wait_left(timeout_ms, deadline, &expired);
    if (expired)
        return -EAGAIN;
    if (!input)
        return process_commands(s, wait);
    int rc = socket_wait_direct(s, wait);
    if (rc == PIPE_WAIT_NONE) {
        wait = wait_left(timeout_ms, deadline, &expired);
        rc = process_commands(s, expired ? 0 : wait);   /* expired: one more look; the caller's next
                                                                 * wait reports the timeout */
    }
    s->input_wait_end_ns = zn_now_ns();
    s->recvs_since_wait = 0;
    return rc;
}

/* Has the socket seen the context's stop? A call that would run the socket's commands in libzmq (send,
 * recv, bind, connect, unbind, disconnect) takes the stop now, so options fail with ETERM afterwards too. */
static bool socket_terminated(struct socket *s)
{
    if (!s->stopped && atomic_load_explicit(&s->ctx->terminating, memory_order_relaxed))
        s->stopped = true;
    return s->stopped;
}

static int send_locked(struct socket *s, struct msg *m, int flags)
{
    if (socket_terminated(s))
        return -ETERM;
    if (flags & ZMQ_SNDMORE)
        m->flags |= MSGF_MORE;
    else
        m->flags &= (uint8_t)~MSGF_MORE;
    if (mailbox_has_pending(s->mbox)) {
        int rc = process_commands(s, 0);
        if (rc < 0)
            return rc;
    }
    int timeout = (flags & ZMQ_DONTWAIT) ? 0 : s->opt.sndtimeo;
    uint64_t deadline = timeout > 0 ? zn_now_ms() + (uint64_t)timeout : 0;
    size_t size = msg_size(m);   /* the type takes m on success */
    for (;;) {
        int rc = s->ops->send(s->proto, m);
        if (s->ndead)
            socket_reap_dead(s);
        if (rc == 0) {
            s->sent_since_recv = true;
            stats_bump(&s->stats.bytes_out, size);
            stats_bump(&s->stats.msgs_out, !(flags & ZMQ_SNDMORE));
        }
        if (rc != -EAGAIN || timeout == 0)
            return rc;
        rc = socket_wait(s, timeout, deadline, false);
        if (rc < 0)
            return rc;
    }
}

static int recv_locked(struct socket *s, struct msg *m, int flags)
{
    if (socket_terminated(s))
        return -ETERM;
    if (mailbox_has_pending(s->mbox)) {
        int rc = process_commands(s, 0);
        if (rc < 0)
            return rc;
    }
    int timeout = (flags & ZMQ_DONTWAIT) ? 0 : s->opt.rcvtimeo;
    uint64_t deadline = timeout > 0 ? zn_now_ms() + (uint64_t)timeout : 0;
    for (;;) {
        int rc = s->ops->recv(s->proto, m);
        if (s->ndead)
            socket_reap_dead(s);
        if (rc == 0) {
            s->rcvmore = msg_more(m);
            stats_bump(&s->stats.bytes_in, msg_size(m));
            stats_bump(&s->stats.msgs_in, !s->rcvmore);
            s->sent_since_recv = false;
            s->recvs_since_wait += !s->rcvmore;   /* whole messages */
            return 0;
        }
        if (rc == -EAGAIN && timeout == 0)
            socket_settle_direct(s);   /* a polling loop of non-blocking receives needs the I/O thread */
        if (rc != -EAGAIN || timeout == 0)
            return rc;
        rc = socket_wait(s, timeout, deadline, true);
        if (rc < 0)
            return rc;
    }
}

static int events_locked(struct socket *s)
{
    /* Always drain the mailbox here (even when it looks empty): a wake that raced a previous drain may
     * have left the eventfd readable, and pollers must not see it readable forever. */
    if (socket_run_commands(s) < 0)
        return -ETERM;
    /* Before the answer: the level fd's sync may run commands that came meanwhile (draining ZMQ_FD), and
     * the answer must count them, or a ZMQ_FD loop would sleep with their message waiting. */
    socket_level_after(s);
    if (s->stopped)
        return -ETERM;
    int ev = 0;
    if (s->ops->has_in(s->proto))
        ev |= ZMQ_POLLIN;
    if (s->ops->has_out(s->proto))
        ev |= ZMQ_POLLOUT;
    if (s->ndead)
        socket_reap_dead(s);
    if (!(ev & ZMQ_POLLIN))
        socket_settle_direct(s);   /* the caller may now wait on ZMQ_FD for input */
    return ev;
}

/* libzmq's socket has a command pending for itself after a tcp/ipc bind, connect, unbind or disconnect
 * (its I/O objects report back), so ZMQ_FD turns readable once and event loops that poll it right away
 * (czmq's zpoller) wake up. Programs rely on that wake-up: post a command that does nothing. */
static void socket_wake_self(struct socket *s)
{
    struct cmd cmd = {.type = CMD_NOOP};
    (void)mailbox_post(s->mbox, &cmd);   /* ENOMEM: only the spurious wake-up is lost */
}

/* ---- endpoints --------------------------------------------------------------------------------------- */
static struct endpoint *endpoint_new(const struct transport_ops *tp, const char *uri, bool is_bind)
{
    struct endpoint *ep = calloc(1, sizeof *ep);
    if (!ep)
        return NULL;
    ep->uri = strdup(uri);
    if (!ep->uri) {
        free(ep);
        return NULL;
    }
    ep->tp = tp;
    ep->is_bind = is_bind;
    return ep;
}

static void endpoint_free(struct endpoint *ep)
{
    free(ep->uri);
    free(ep->resolved);
    free(ep);
}

static int socket_add_endpoint(struct socket *s, const char *uri, bool is_bind)
{
    if (socket_terminated(s))
        return -ETERM;
    const char *addr;
    const struct transport_ops *tp;
    int prc = transport_parse(uri, s->opt.type, &tp, &addr);
    if (prc < 0)
        return prc;
    if (tp->stream && s->ctx->io_threads_at_start == 0)
        return -EMTHREAD;   /* ZMQ_IO_THREADS 0: as in libzmq, only inproc works */
    struct endpoint *ep = endpoint_new(tp, uri, is_bind);
    if (!ep)
        return -ENOMEM;
    int rc = is_bind ? tp->bind(s, addr, ep) : tp->connect(s, addr, ep);
    if (rc < 0) {
        endpoint_free(ep);
        return rc;
    }
    ep->next = s->endpoints;
    s->endpoints = ep;
    if (tp->stream)
        socket_wake_self(s);
    if (!is_bind)
        s->opt.connect_routing_id_set = false;   /* ZMQ_CONNECT_ROUTING_ID names one connect only */
    const char *shown = ep->resolved ? ep->resolved : ep->uri;
    snprintf(s->last_endpoint, sizeof s->last_endpoint, "%s", shown);
    stats_label_set(s, shown);
    return 0;
}

static int bind_locked(struct socket *s, const char *uri)
{
    return socket_add_endpoint(s, uri, true);
}

static int connect_locked(struct socket *s, const char *uri)
{
    return socket_add_endpoint(s, uri, false);
}

/* zmq_connect_peer (RFC 51): a connect whose pipe is attached before this returns, so the PEER has given
 * it its routing id already. libzmq's order of checks: the type (ENOTSUP), then ZMQ_IMMEDIATE (EFAULT: its
 * pipe would wait for the handshake), then the connect's own errors. */
static int connect_peer_locked(struct socket *s, const char *uri, uint32_t *id)
{
    if (s->stopped)
        return -ETERM;
    if (s->opt.type != PROTO_PEER)
        return -ENOTSUP;
    if (s->opt.immediate)
        return -EFAULT;
    int rc = connect_locked(s, uri);
    if (rc < 0)
        return rc;
    /* The newest endpoint is this connect's; its end was attached (not immediate, not raw: listener.c). */
    struct pipe_end *e = s->endpoints->end;
    assert(e && e->routing_id != 0);
    *id = e->routing_id;
    return 0;
}

/* The name libzmq knows an endpoint by: a bind by its resolved endpoint (ZMQ_LAST_ENDPOINT, so a wildcard
 * bind is unbound by its real port), a connect by the string it was given. */
static bool endpoint_named(const struct endpoint *ep, const char *name)
{
    const char *key = ep->is_bind && ep->resolved ? ep->resolved : ep->uri;
    return strcmp(key, name) == 0;
}

/* Ends every endpoint called name. libzmq keeps tcp and ipc binds and connects in one table, so either
 * call ends either kind there; inproc keeps them apart. */
static int socket_end_endpoints(struct socket *s, const char *name, bool is_bind)
{
    int found = 0;
    for (struct endpoint **pp = &s->endpoints; *pp;) {
        struct endpoint *ep = *pp;
        bool kind_ok = ep->tp != &transport_inproc || ep->is_bind == is_bind;
        if (!kind_ok || !endpoint_named(ep, name)) {
            pp = &ep->next;
            continue;
        }
        *pp = ep->next;
        if (ep->end)
            socket_detach_pipe(s, ep->end);
        ep->tp->close(s, ep, s->opt.linger);
        if (ep->tp->stream)
            socket_wake_self(s);
        endpoint_free(ep);
        found++;
    }
    return found;
}

static int socket_remove_endpoint(struct socket *s, const char *uri, bool is_bind)
{
    if (socket_terminated(s))
        return -ETERM;
    const char *addr;
    const struct transport_ops *tp;
    int rc = transport_parse(uri, s->opt.type, &tp, &addr);
    if (rc < 0)
        return rc;
    if (socket_end_endpoints(s, uri, is_bind))
        return 0;
    /* "tcp://localhost:5555" also names the endpoint "tcp://127.0.0.1:5555", as in libzmq */
    char canon[TRANSPORT_URI_MAX];
    if (tp == &transport_tcp && transport_tcp_canonical(addr, s->opt.ipv6 != 0, canon, sizeof canon) == 0 &&
        strcmp(canon, uri) != 0 && socket_end_endpoints(s, canon, is_bind))
        return 0;
    return -ENOENT;
}

static int unbind_locked(struct socket *s, const char *uri)
{
    return socket_remove_endpoint(s, uri, true);
}

static int disconnect_locked(struct socket *s, const char *uri)
{
    return socket_remove_endpoint(s, uri, false);
}

/* ---- options ----------------------------------------------------------------------------------------- */
/* A new ZMQ_SNDHWM / ZMQ_RCVHWM applies to the pipes the socket already has, as in libzmq 4.3: to the
 * queue this socket writes, or reads; inproc queues keep the peer socket's part (pipe.h invariant 6). */
static void socket_apply_hwm(struct socket *s, int option)
{
    for (size_t i = 0; i < s->npipes; i++) {
        struct pipe_end *e = s->pipes[i];
        if (option == ZMQ_SNDHWM) {
            uint32_t v = (uint32_t)s->opt.sndhwm;
            if (e->inproc)
                pipe_set_snd_part(e->pipe, e->index, v);
            else
                pipe_set_limit(e->pipe, e->index, v, PIPE_HWM_NONE);
        } else {
            uint32_t v = (uint32_t)s->opt.rcvhwm;
            if (e->inproc)
                pipe_set_rcv_part(e->pipe, 1 - e->index, v);
            else
                pipe_set_limit(e->pipe, 1 - e->index, PIPE_HWM_NONE, v);
        }
    }
}

/* The option's row if it applies to this socket's type and its mechanism is available, else NULL: libzmq
 * says EINVAL for an option it does not know, or that this socket type does not take. */
static const struct opt_desc *socket_option(const struct socket *s, int option, unsigned access)
{
    const struct opt_desc *d = option_find(option);
    if (!d || !(d->flags & access) || !(d->types & OPT_TYPE(s->opt.type)))
        return NULL;
    /* PLAIN stays readable: libzmq always has it, so readers expect its (empty) settings */
    if (!option_mech_available(d->mech) && (access == OPT_SET || d->mech != ZMQ_PLAIN))
        return NULL;
    return d;
}

/* As in libzmq, options fail with ETERM only once the socket has seen the context's stop (a blocked or
 * later call processed it), not as soon as zmq_ctx_shutdown runs: code that sets ZMQ_LINGER right before
 * zmq_close on a terminating context (cppzmq throws on failure) keeps working. */
static int setopt_locked(struct socket *s, int option, const void *value, size_t len)
{
    if (s->stopped)
        return -ETERM;
    const struct opt_desc *d = socket_option(s, option, OPT_SET);
    if (!d)
        return -EINVAL;
    if (d->home == HOME_SOCKET)   /* the only settable ones: ZMQ_HELLO_MSG, ZMQ_DISCONNECT_MSG */
        return peer_msg_set(option == OPT_HELLO_MSG ? &s->hello_msg : &s->disconnect_msg, value, len);
    if (d->home == HOME_OPTIONS) {
        int rc = options_set(&s->opt, d, value, len);
        if (rc == 0 && (option == ZMQ_SNDHWM || option == ZMQ_RCVHWM))
            socket_apply_hwm(s, option);
        return rc;
    }
    int rc = options_check(d, value, len);
    if (rc == 0)
        rc = s->ops->setopt ? s->ops->setopt(s->proto, option, value, len) : -ENOENT;
    return rc == -ENOENT ? -EINVAL : rc;
}

/* Socket state: read into any buffer of at least sizeof(int) (LAST_ENDPOINT: of its length and NUL). */
static int socket_get_state(struct socket *s, int option, void *value, size_t *len)
{
    switch (option) {
    case ZMQ_RCVMORE: return opt_put_int(value, len, s->rcvmore);
    case ZMQ_FD:
        /* libzmq: a thread-safe socket has no ZMQ_FD (EINVAL); its mailbox fd would be drained by any
         * thread using the socket, so it cannot say when to look again. */
        return s->safe.on ? -EINVAL : opt_put_int(value, len, s->mbox->fd);
    case ZMQ_EVENTS: {
        int ev = events_locked(s);
        return ev < 0 ? ev : opt_put_int(value, len, ev);
    }
    case ZMQ_LAST_ENDPOINT: return opt_put_bytes(value, len, s->last_endpoint, strlen(s->last_endpoint) + 1);
    case ZMQ_THREAD_SAFE: return opt_put_int(value, len, s->safe.on);
    default: return -EINVAL;
    }
}

static int getopt_locked(struct socket *s, int option, void *value, size_t *len)
{
    if (s->stopped)
        return -ETERM;
    if (option == ZINC_STATS) {       /* zinc's own, read-only: zinc_socket_stats_t, of any size >= 8 */
        zinc_socket_stats_t st;
        if (*len < 8)
            return -EINVAL;
        int rc = socket_stats(s, &st);
        if (rc < 0)
            return rc;
        *len = *len < sizeof st ? *len : sizeof st;
        memcpy(value, &st, *len);
        return 0;
    }
    if (option == ZINC_POLLIN_FD) {   /* zinc's own: not in libzmq's option table */
        if (*len < sizeof(int))
            return -EINVAL;           /* before the fd is made: a failed call leaves nothing behind */
        int fd = socket_level_fd(s);
        return fd < 0 ? fd : opt_put_int(value, len, fd);
    }
    const struct opt_desc *d = socket_option(s, option, OPT_GET);
    if (!d)
        return -EINVAL;
    if (d->home == HOME_SOCKET)
        return socket_get_state(s, option, value, len);
    return options_get(&s->opt, d, value, len);
}

int socket_peer_state(struct socket *s, const void *id, size_t len)
{
    if (!s->ops->peer_state)
        return -ENOTSUP;
    (void)socket_process_commands(s, 0);   /* peers attached meanwhile count; ETERM: answer all the same */
    return s->ops->peer_state(s->proto, id, len);
}

/* zmq_join / zmq_leave (RFC 48): DISH only, as libzmq (other types: ENOTSUP). */
static int join_locked(struct socket *s, const char *group, size_t len, bool join)
{
    if (!s->ops->join)
        return -ENOTSUP;
    return s->ops->join(s->proto, group, len, join);
}

/* ---- close ------------------------------------------------------------------------------------------- */
int socket_close(struct socket *s)
{
    s->tag = 0;
    /* Endpoints first: the I/O thread learns the linger value before it sees the pipes close. */
    while (s->endpoints) {
        struct endpoint *ep = s->endpoints;
        s->endpoints = ep->next;
        ep->tp->close(s, ep, s->opt.linger);
        endpoint_free(ep);
    }
    /* The monitor runs on while connections linger; the last one to end (or this, if none does) sends
     * MONITOR_STOPPED, after every event including the endpoints' CLOSED above. */
    monitor_drop_close(s->monitor);
    monitor_unref(s->monitor);
    /* Let commands already queued (attaches) land, so their pipes are closed below rather than leaked. */
    struct cmd *cmds;
    size_t cap;
    size_t n = mailbox_take(s->mbox, &cmds, &cap);
    for (size_t i = 0; i < n; i++) {
        if (cmds[i].type == CMD_PIPE_ATTACH && socket_attach_pipe(s, cmds[i].end) < 0)
            pipe_close(cmds[i].end);
        cmd_release(&cmds[i]);
    }
    mailbox_done(s->mbox, cmds, cap);
    while (s->ndead)
        pipe_unref(s->dead[--s->ndead]->pipe);   /* the loop below closes them all */
    while (s->npipes) {
        struct pipe_end *e = s->pipes[--s->npipes];
        s->ops->detach(s->proto, e);
        e->owner = NULL;
        pipe_close(e);
    }
    s->ops->fini(s->proto);
    mailbox_close(s->mbox);
    /* Leave the context's list before dropping the mailbox: zmq_ctx_term on another thread (or an I/O
     * thread closing a monitor's PAIR) may be posting CMD_STOP to every listed socket. */
    ctx_remove_socket(s->ctx, s);
    mailbox_unref(s->mbox);
    free(s->pipes);
    free(s->dead);
    peer_msg_unref(s->hello_msg);
    peer_msg_unref(s->disconnect_msg);
    options_wipe_secrets(&s->opt);
    socket_safe_fini(&s->safe);
    free(s);
    return 0;
}

/* ---- the entry points: thread-safe sockets take their lock (core/socket_safe.h) ------------------------ */
#define SOCKET_LOCKED(s, call)                                                                             \
    do {                                                                                                   \
        socket_safe_lock(&(s)->safe);                                                                      \
        int locked_rc_ = (call);                                                                           \
        socket_safe_unlock(&(s)->safe);                                                                    \
        return locked_rc_;                                                                                 \
    } while (0)

/* A send can change ZMQ_POLLIN too (a REQ or REP that sent may receive again): the level fd follows both. */
static int send_level(struct socket *s, struct msg *m, int flags)
{
    int rc = send_locked(s, m, flags);
    socket_level_after(s);
    return rc;
}

static int recv_level(struct socket *s, struct msg *m, int flags)
{
    int rc = recv_locked(s, m, flags);
    socket_level_after(s);
    return rc;
}

int socket_send(struct socket *s, struct msg *m, int flags) { SOCKET_LOCKED(s, send_level(s, m, flags)); }
int socket_recv(struct socket *s, struct msg *m, int flags) { SOCKET_LOCKED(s, recv_level(s, m, flags)); }
int socket_events(struct socket *s) { SOCKET_LOCKED(s, events_locked(s)); }
int socket_process_commands(struct socket *s, int timeout_ms) { SOCKET_LOCKED(s, process_commands(s, timeout_ms)); }
int socket_process_commands_held(struct socket *s, int timeout_ms) { return process_commands(s, timeout_ms); }
int socket_bind(struct socket *s, const char *uri) { SOCKET_LOCKED(s, bind_locked(s, uri)); }
int socket_connect(struct socket *s, const char *uri) { SOCKET_LOCKED(s, connect_locked(s, uri)); }

int socket_connect_peer(struct socket *s, const char *uri, uint32_t *id)
{
    SOCKET_LOCKED(s, connect_peer_locked(s, uri, id));
}

int socket_unbind(struct socket *s, const char *uri) { SOCKET_LOCKED(s, unbind_locked(s, uri)); }
int socket_disconnect(struct socket *s, const char *uri) { SOCKET_LOCKED(s, disconnect_locked(s, uri)); }

int socket_setopt(struct socket *s, int option, const void *value, size_t len)
{
    SOCKET_LOCKED(s, setopt_locked(s, option, value, len));
}

int socket_getopt(struct socket *s, int option, void *value, size_t *len)
{
    SOCKET_LOCKED(s, getopt_locked(s, option, value, len));
}

int socket_join(struct socket *s, const char *group, size_t len, bool join)
{
    SOCKET_LOCKED(s, join_locked(s, group, len, join));
}
