/* The socket core: commands from other threads, blocking with timeouts, endpoints, options, and the calls
 * into the socket type's ops table. See socket.h for the lifetime and invariants. */
#include "core/socket.h"

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
#include "core/pipe.h"
#include "core/reactor.h"
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
    s->mbox = mailbox_new();
    if (!s->mbox) {
        *err = errno;
        goto fail_mailbox;
    }
    int rc = ctx_add_socket(ctx, s);
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
    return s;
fail_init:
    ctx_remove_socket(ctx, s);
fail_ctx:
    mailbox_unref(s->mbox);
fail_mailbox:
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
    e->owner = s;
    e->sock_slot = s->npipes;
    s->pipes[s->npipes++] = e;
    s->ops->attach(s->proto, e);
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

/* Waits up to timeout_ms (-1: forever, 0: not at all) for commands and runs them. 0, -EINTR or -ETERM. */
int socket_process_commands(struct socket *s, int timeout_ms)
{
    if (timeout_ms != 0) {
        struct pollfd pfd = {.fd = s->mbox->fd, .events = POLLIN};
        int rc = poll(&pfd, 1, timeout_ms);
        if (rc < 0 && errno == EINTR)
            return -EINTR;
        if (rc == 0)
            return 0;
    } else if (!mailbox_has_pending(s->mbox)) {
        return s->stopped ? -ETERM : 0;
    }
    struct cmd *cmds;
    size_t n = mailbox_take(s->mbox, &cmds);
    for (size_t i = 0; i < n; i++) {
        socket_command(s, &cmds[i]);
        cmd_release(&cmds[i]);
    }
    free(cmds);
    socket_reap_dead(s);
    return s->stopped ? -ETERM : 0;
}

/* Blocks until the deadline (0: none) for something to change. 0, -EAGAIN (timed out), -EINTR, -ETERM. */
static int socket_wait(struct socket *s, int timeout_ms, uint64_t deadline)
{
    int wait = -1;
    if (timeout_ms >= 0) {
        uint64_t now = zn_now_ms();
        if (now >= deadline)
            return -EAGAIN;
        wait = (int)(deadline - now);
    }
    return socket_process_commands(s, wait);
}

int socket_send(struct socket *s, struct msg *m, int flags)
{
    if (s->stopped || atomic_load_explicit(&s->ctx->terminating, memory_order_relaxed))
        return -ETERM;
    if (flags & ZMQ_SNDMORE)
        m->flags |= MSGF_MORE;
    else
        m->flags &= (uint8_t)~MSGF_MORE;
    if (mailbox_has_pending(s->mbox)) {
        int rc = socket_process_commands(s, 0);
        if (rc < 0)
            return rc;
    }
    int timeout = (flags & ZMQ_DONTWAIT) ? 0 : s->opt.sndtimeo;
    uint64_t deadline = timeout > 0 ? zn_now_ms() + (uint64_t)timeout : 0;
    for (;;) {
        int rc = s->ops->send(s->proto, m);
        if (s->ndead)
            socket_reap_dead(s);
        if (rc != -EAGAIN || timeout == 0)
            return rc;
        rc = socket_wait(s, timeout, deadline);
        if (rc < 0)
            return rc;
    }
}

int socket_recv(struct socket *s, struct msg *m, int flags)
{
    if (s->stopped || atomic_load_explicit(&s->ctx->terminating, memory_order_relaxed))
        return -ETERM;
    if (mailbox_has_pending(s->mbox)) {
        int rc = socket_process_commands(s, 0);
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
            return 0;
        }
        if (rc != -EAGAIN || timeout == 0)
            return rc;
        rc = socket_wait(s, timeout, deadline);
        if (rc < 0)
            return rc;
    }
}

int socket_events(struct socket *s)
{
    /* Always drain the mailbox here (even when it looks empty): a wake that raced a previous drain may
     * have left the eventfd readable, and pollers must not see it readable forever. */
    struct cmd *cmds;
    size_t n = mailbox_take(s->mbox, &cmds);
    for (size_t i = 0; i < n; i++) {
        socket_command(s, &cmds[i]);
        cmd_release(&cmds[i]);
    }
    free(cmds);
    socket_reap_dead(s);
    if (s->stopped)
        return -ETERM;
    int ev = 0;
    if (s->ops->has_in(s->proto))
        ev |= ZMQ_POLLIN;
    if (s->ops->has_out(s->proto))
        ev |= ZMQ_POLLOUT;
    if (s->ndead)
        socket_reap_dead(s);
    return ev;
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
    if (s->stopped || atomic_load(&s->ctx->terminating))
        return -ETERM;
    if (!uri)
        return -EINVAL;
    const char *addr;
    const struct transport_ops *tp = transport_find(uri, &addr);
    if (!tp)
        return strstr(uri, "://") ? -EPROTONOSUPPORT : -EINVAL;
    if (!*addr)
        return -EINVAL;
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
    if (!is_bind)
        s->opt.connect_routing_id_set = false;   /* ZMQ_CONNECT_ROUTING_ID names one connect only */
    const char *shown = ep->resolved ? ep->resolved : ep->uri;
    snprintf(s->last_endpoint, sizeof s->last_endpoint, "%s", shown);
    return 0;
}

int socket_bind(struct socket *s, const char *uri)
{
    return socket_add_endpoint(s, uri, true);
}

int socket_connect(struct socket *s, const char *uri)
{
    return socket_add_endpoint(s, uri, false);
}

static int socket_remove_endpoint(struct socket *s, const char *uri, bool is_bind)
{
    if (s->stopped || atomic_load(&s->ctx->terminating))
        return -ETERM;
    if (!uri)
        return -EINVAL;
    int found = 0;
    for (struct endpoint **pp = &s->endpoints; *pp;) {
        struct endpoint *ep = *pp;
        /* A wildcard bind is known by its resolved endpoint only (ZMQ_LAST_ENDPOINT), as in libzmq. */
        bool by_uri = strcmp(ep->uri, uri) == 0 && !(is_bind && strchr(uri, '*'));
        bool match = ep->is_bind == is_bind && (by_uri || (ep->resolved && strcmp(ep->resolved, uri) == 0));
        if (!match) {
            pp = &ep->next;
            continue;
        }
        *pp = ep->next;
        if (ep->end)
            socket_detach_pipe(s, ep->end);
        ep->tp->close(s, ep, s->opt.linger);
        endpoint_free(ep);
        found++;
        if (is_bind)
            break;   /* one bind per endpoint; a connect string may have been used several times */
    }
    return found ? 0 : -ENOENT;
}

int socket_unbind(struct socket *s, const char *uri)
{
    return socket_remove_endpoint(s, uri, true);
}

int socket_disconnect(struct socket *s, const char *uri)
{
    return socket_remove_endpoint(s, uri, false);
}

/* ---- options ----------------------------------------------------------------------------------------- */
int socket_setopt(struct socket *s, int option, const void *value, size_t len)
{
    if (s->stopped || atomic_load(&s->ctx->terminating))
        return -ETERM;
    if (s->ops->setopt) {
        int rc = s->ops->setopt(s->proto, option, value, len);
        if (rc != -ENOENT)
            return rc;
    }
    return options_set(&s->opt, option, value, len);
}

int socket_getopt(struct socket *s, int option, void *value, size_t *len)
{
    if (s->stopped || atomic_load(&s->ctx->terminating))
        return -ETERM;
    switch (option) {
    case ZMQ_RCVMORE:
        return opt_put_int(value, len, s->rcvmore);
    case ZMQ_FD:
        if (*len < sizeof(int))
            return -EINVAL;
        memcpy(value, &s->mbox->fd, sizeof(int));
        *len = sizeof(int);
        return 0;
    case ZMQ_EVENTS: {
        int ev = socket_events(s);
        if (ev < 0)
            return ev;
        return opt_put_int(value, len, ev);
    }
    case ZMQ_LAST_ENDPOINT: {
        size_t n = strlen(s->last_endpoint) + 1;
        return opt_put_bytes(value, len, s->last_endpoint, n);
    }
    case ZMQ_THREAD_SAFE:
        return opt_put_int(value, len, 0);
    default:
        break;
    }
    if (s->ops->getopt) {
        int rc = s->ops->getopt(s->proto, option, value, len);
        if (rc != -ENOENT)
            return rc;
    }
    return options_get(&s->opt, option, value, len);
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
    monitor_stop(s);   /* after the endpoints' CLOSED events */
    /* Let commands already queued (attaches) land, so their pipes are closed below rather than leaked. */
    struct cmd *cmds;
    size_t n = mailbox_take(s->mbox, &cmds);
    for (size_t i = 0; i < n; i++) {
        if (cmds[i].type == CMD_PIPE_ATTACH && socket_attach_pipe(s, cmds[i].end) < 0)
            pipe_close(cmds[i].end);
        cmd_release(&cmds[i]);
    }
    free(cmds);
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
    mailbox_unref(s->mbox);
    ctx_remove_socket(s->ctx, s);
    free(s->pipes);
    free(s->dead);
    options_wipe_secrets(&s->opt);
    free(s);
    return 0;
}
