/* inproc:// between sockets of one context: a pipe joins the two sockets directly, with no I/O thread and
 * no copy of message bodies (frames move through the pipe by ownership). Connecting before the bind works:
 * the connector's pipe waits in the context's pending list until the name is bound. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "core/ctx.h"
#include "core/mailbox.h"
#include "core/peer_msg.h"
#include "core/pipe.h"
#include "core/socket.h"
#include "transport/transport.h"
#include "zmtp/zmtp.h"

/* Limits of an inproc pipe (libzmq's): each queue holds the writer's SNDHWM plus the reader's RCVHWM, no
 * limit if either is 0. Before the bind the binder's parts are absent, so a connector queues up to its own
 * SNDHWM; inproc_bind adds them. ZMQ_IMMEDIATE does not apply to inproc (libzmq 4.3.4 ignores it too). */
static void set_limits(struct pipe *p, const struct options *conn, const struct options *binder)
{
    uint32_t bind_rcv = binder ? (uint32_t)binder->rcvhwm : PIPE_HWM_NONE;
    uint32_t bind_snd = binder ? (uint32_t)binder->sndhwm : PIPE_HWM_NONE;
    pipe_set_limit(p, 0, (uint32_t)conn->sndhwm, bind_rcv);
    pipe_set_limit(p, 1, bind_snd, (uint32_t)conn->rcvhwm);
    p->end[0].inproc = p->end[1].inproc = true;
}

/* The bind completes a pending pipe's limits with the binder's parts; the connector's own parts stay as
 * they are now (it may have changed them since). A connector held back by its SNDHWM alone looks again. */
static void complete_limits(struct pipe *p, const struct options *binder)
{
    pipe_set_rcv_part(p, 0, (uint32_t)binder->rcvhwm);
    pipe_set_snd_part(p, 1, (uint32_t)binder->sndhwm);
    pipe_release_writer(p, 0);
}

static void set_peer_id(struct pipe_end *e, const struct options *peer)
{
    memcpy(e->peer_id, peer->routing_id, peer->routing_id_len);
    e->peer_id_len = peer->routing_id_len;
}

/* Writes our routing id to a connector's ROUTER as a MSGF_ROUTING_ID message, ahead of any message. */
static void push_routing_id(struct pipe_end *e, const struct options *ours)
{
    struct msg m;
    if (msg_init_size(&m, ours->routing_id_len) < 0)
        return;   /* the ROUTER then generates an id */
    if (ours->routing_id_len)
        memcpy(msg_data(&m), ours->routing_id, ours->routing_id_len);
    m.flags = MSGF_ROUTING_ID;
    if (pipe_write(e, &m) < 0)
        msg_close(&m);
    pipe_flush(e);
}

/* ZMQ_HELLO_MSG over inproc: the sender writes its hello into its own end when the pipe is made (libzmq
 * does the same), so it is the first message the peer reads; hello is NULL when there is none. */
static void push_hello(struct pipe_end *e, const struct peer_msg *hello)
{
    struct msg m;
    if (!hello || peer_msg_to_msg(hello, &m) < 0)
        return;
    if (pipe_write(e, &m) < 0)
        msg_close(&m);
    pipe_flush(e);
}

/* ZMQ_DISCONNECT_MSG over inproc: the connector's end writes the binder's message when the connector
 * closes it (zmq_close, zmq_disconnect), as libzmq's connect pipe does; the binder is the accepting side. */
static void give_farewell(struct pipe_end *connector_end, const struct peer_msg *bye)
{
    struct msg *m = bye ? malloc(sizeof *m) : NULL;
    if (!m)
        return;
    if (peer_msg_to_msg(bye, m) < 0) {
        free(m);
        return;
    }
    pipe_set_farewell(connector_end, m);
}

/* Hands the binder its end: directly if the binder is the caller, by command otherwise. -ENOMEM: the end
 * is closed and the binder never sees it. */
static int give_to_binder(struct socket *caller, struct socket *binder, struct mailbox *mbox,
                          struct pipe_end *end)
{
    pipe_end_set_mailbox(end, mbox);
    int rc;
    if (caller == binder) {
        rc = socket_attach_pipe(binder, end);
    } else {
        struct cmd cmd = {.type = CMD_PIPE_ATTACH, .end = end};
        rc = mailbox_post(mbox, &cmd);
    }
    if (rc < 0)
        pipe_close(end);
    return rc;
}

static int inproc_bind(struct socket *s, const char *name, struct endpoint *ep)
{
    struct ctx *c = s->ctx;
    /* First, while failing changes nothing: once registered, the name must not be left behind by an ENOMEM. */
    ep->resolved = strdup(ep->uri);
    if (!ep->resolved)
        return -ENOMEM;
    struct inproc_binding *b = calloc(1, sizeof *b);
    if (!b || !(b->name = strdup(name))) {
        free(b);
        return -ENOMEM;
    }
    b->s = s;
    b->mbox = s->mbox;
    b->opt = s->opt;
    b->hello = peer_msg_ref(peer_msg_hello_for(s->opt.type, s->hello_msg));
    b->disconnect = peer_msg_ref(peer_msg_disconnect_for(s->opt.type, s->disconnect_msg));
    mailbox_ref(b->mbox);
    pthread_mutex_lock(&c->lock);
    for (struct inproc_binding *x = c->bindings; x; x = x->next) {
        if (strcmp(x->name, name) == 0) {
            pthread_mutex_unlock(&c->lock);
            peer_msg_unref(b->hello);
            peer_msg_unref(b->disconnect);
            mailbox_unref(b->mbox);
            free(b->name);
            free(b);
            return -EADDRINUSE;
        }
    }
    b->next = c->bindings;
    c->bindings = b;
    /* Connectors that came first: their pipes are waiting. */
    struct inproc_pending *ready = NULL;
    for (struct inproc_pending **pp = &c->pending; *pp;) {
        struct inproc_pending *p = *pp;
        if (strcmp(p->name, name) == 0) {
            *pp = p->next;
            p->next = ready;
            ready = p;
        } else {
            pp = &p->next;
        }
    }
    pthread_mutex_unlock(&c->lock);
    while (ready) {
        struct inproc_pending *p = ready;
        ready = p->next;
        set_peer_id(p->end, &p->opt);
        complete_limits(p->end->pipe, &s->opt);
        /* The connector owns its end already: a ROUTER there learns our id in band, from the queue we
         * write (see id_in_band); nothing else reads a connector's peer_id. */
        if (pipe_peer_end(p->end)->id_in_band)
            push_routing_id(p->end, &s->opt);
        push_hello(p->end, b->hello);
        give_farewell(pipe_peer_end(p->end), b->disconnect);
        (void)give_to_binder(s, s, s->mbox, p->end);   /* ENOMEM: that connector sees its peer gone */
        free(p->name);
        free(p);
    }
    ep->impl = b;
    return 0;
}

static int inproc_connect(struct socket *s, const char *name, struct endpoint *ep)
{
    struct ctx *c = s->ctx;
    ep->resolved = strdup(ep->uri);   /* first, as in inproc_bind */
    if (!ep->resolved)
        return -ENOMEM;
    pthread_mutex_lock(&c->lock);
    struct inproc_binding *b = c->bindings;
    while (b && strcmp(b->name, name) != 0)
        b = b->next;
    if (b && !zmtp_socket_types_compatible(s->opt.type, b->opt.type)) {
        pthread_mutex_unlock(&c->lock);
        return -ECONNREFUSED;
    }
    struct pipe *pipe = pipe_new(0, 0);
    struct inproc_pending *pending = b ? NULL : calloc(1, sizeof *pending);
    if (!pipe || (!b && (!pending || !(pending->name = strdup(name))))) {
        pthread_mutex_unlock(&c->lock);
        if (pipe) {
            pipe_close(&pipe->end[0]);
            pipe_close(&pipe->end[1]);
        }
        free(pending);
        return -ENOMEM;
    }
    set_limits(pipe, &s->opt, b ? &b->opt : NULL);
    pipe_conflate_as(pipe, &s->opt);   /* libzmq: the connecting socket's ZMQ_CONFLATE, both ways */
    struct pipe_end *mine = &pipe->end[0], *theirs = &pipe->end[1];
    pipe_end_set_uris(mine, NULL, ep->uri);     /* pipes stats: the connecter names the remote end, */
    pipe_end_set_uris(theirs, ep->uri, NULL);   /* the binder its own */
    pipe_end_set_mailbox(mine, s->mbox);
    if (s->opt.connect_routing_id_set) {
        memcpy(mine->peer_id, s->opt.connect_routing_id, s->opt.connect_routing_id_len);
        mine->peer_id_len = s->opt.connect_routing_id_len;
    }
    set_peer_id(theirs, &s->opt);
    if (b) {
        if (!s->opt.connect_routing_id_set)
            set_peer_id(mine, &b->opt);
        mailbox_ref(b->mbox);
        struct mailbox *bmbox = b->mbox;
        struct socket *binder = b->s;
        push_hello(theirs, b->hello);   /* under the lock: b is not freed meanwhile */
        give_farewell(mine, b->disconnect);
        pthread_mutex_unlock(&c->lock);
        int grc = give_to_binder(s, binder, bmbox, theirs);
        mailbox_unref(bmbox);
        if (grc < 0) {
            pipe_close(mine);   /* the binder never got its end: fail the connect rather than keep a dead pipe */
            return grc;
        }
    } else {
        mine->id_in_band = s->opt.type == ZMQ_ROUTER && !s->opt.connect_routing_id_set;
        pending->end = theirs;
        pending->connector = s;
        pending->opt = s->opt;
        pending->next = c->pending;
        c->pending = pending;
        pthread_mutex_unlock(&c->lock);
    }
    /* Before the attach, so the hello comes ahead of a ZMQ_PROBE_ROUTER probe, as in libzmq. */
    push_hello(mine, peer_msg_hello_for(s->opt.type, s->hello_msg));
    int rc = socket_attach_pipe(s, mine);
    if (rc < 0) {
        pipe_close(mine);
        return rc;
    }
    ep->end = mine;
    return 0;
}

static void inproc_close(struct socket *s, struct endpoint *ep, int linger)
{
    (void)linger;
    if (!ep->is_bind)
        return;   /* the socket closes the connector's pipe end itself */
    struct ctx *c = s->ctx;
    pthread_mutex_lock(&c->lock);
    for (struct inproc_binding **pp = &c->bindings; *pp; pp = &(*pp)->next) {
        if (*pp == ep->impl) {
            struct inproc_binding *b = *pp;
            *pp = b->next;
            peer_msg_unref(b->hello);
            peer_msg_unref(b->disconnect);
            mailbox_unref(b->mbox);
            free(b->name);
            free(b);
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    ep->impl = NULL;
}

const struct transport_ops transport_inproc = {
    .scheme = "inproc",
    .stream = NULL,
    .bind = inproc_bind,
    .connect = inproc_connect,
    .close = inproc_close,
};

const struct transport_ops *transport_find(const char *uri, const char **addr)
{
    static const struct transport_ops *const all[] = {&transport_tcp, &transport_ipc, &transport_inproc,
                                                      &transport_udp, &transport_ws};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        size_t n = strlen(all[i]->scheme);
        if (strncmp(uri, all[i]->scheme, n) == 0 && strncmp(uri + n, "://", 3) == 0) {
            *addr = uri + n + 3;
            return all[i];
        }
    }
    return NULL;
}
