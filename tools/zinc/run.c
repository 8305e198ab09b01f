/* Runs a zinc socket subcommand: makes the socket with the tool's defaults, applies the command line,
 * then loops by role (send, receive, request, reply, or both ways at once with zmq_poll on the socket and
 * stdin), and closes so that what was sent is delivered (linger). Exit statuses as in commands.h, 130 on
 * SIGINT/SIGTERM. */
#include "socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#define EXIT_INTERRUPTED 130

typedef struct run {
    sock_opts *o;
    void *ctx;
    void *socket;
    watch *w;
    zinc_zap *zap;
    source src;
    zinc_message msg; /* scratch */
} run;

/* ---- failures ----------------------------------------------------------------------------------------- */

static int timed_out(run *r, const char *waiting_for)
{
    const char *why = watch_explain(r->w, r->o);
    zinc_error(r->o->cmd, "timed out after %lld ms waiting %s%s%s", r->o->timeout, waiting_for, why[0] ? "; " : "",
               why);
    return ZINC_EXIT_FAIL;
}

static void print_routing_id(FILE *out, const zinc_message *m)
{
    if (m->count == 0)
        return;
    for (size_t k = 0; k < m->frames[0].size; k++)
        fprintf(out, "%02x", m->frames[0].data[k]);
}

/* After a failed send or receive with errno set: the exit status, having said why. */
static int io_failed(run *r, int sending, const zinc_message *m)
{
    if (errno == EINTR || zinc_interrupted)
        return EXIT_INTERRUPTED;
    if (errno == EAGAIN)
        return timed_out(r, sending ? "to send (no peer ready to take the message)" : "for a message");
    if (errno == EHOSTUNREACH && sending) {
        fprintf(stderr, "zinc %s: no peer with routing id ", r->o->cmd);
        print_routing_id(stderr, m);
        fputs(" (hex) is connected (the first frame is the routing id; --delay MS lets peers connect first)\n",
              stderr);
        return ZINC_EXIT_FAIL;
    }
    zinc_error_zmq(r->o->cmd, sending ? "send" : "receive");
    return ZINC_EXIT_FAIL;
}

static int send_one(run *r, const zinc_message *m, int flags)
{
    return zinc_message_send(r->socket, m, flags) == 0 ? 0 : -1;
}

static int recv_one(run *r, zinc_message *m, int flags)
{
    int rc = zinc_message_recv(r->socket, m, flags);
    watch_poll(r->w, r->o->cmd, r->o->cfg.verbose);
    return rc;
}

static void print_message(run *r, const zinc_message *m)
{
    zinc_message_print(stdout, m, r->o->format, zinc_socket_has_routing_id(r->o->type));
}

static int input_failed(void)
{
    return zinc_interrupted ? EXIT_INTERRUPTED : ZINC_EXIT_FAIL;
}

/* ---- the roles ---------------------------------------------------------------------------------------- */

/* Sends the next input message; 1 sent, 0 no more input, or a negative exit status (negated). */
static int send_next(run *r)
{
    int rc = source_next(&r->src, r->o->cmd, &r->msg);
    if (rc <= 0)
        return rc == 0 ? 0 : -input_failed();
    return send_one(r, &r->msg, 0) < 0 ? -io_failed(r, 1, &r->msg) : 1;
}

static int run_send(run *r)
{
    for (long long n = 0; !r->o->count || n < r->o->count; n++) {
        int rc = send_next(r);
        if (rc <= 0)
            return -rc;
    }
    return ZINC_EXIT_OK;
}

static int run_recv(run *r)
{
    for (long long n = 0; !r->o->count || n < r->o->count; n++) {
        if (recv_one(r, &r->msg, 0) < 0)
            return io_failed(r, 0, NULL);
        print_message(r, &r->msg);
    }
    return ZINC_EXIT_OK;
}

static int run_req(run *r)
{
    for (long long n = 0; !r->o->count || n < r->o->count; n++) {
        int rc = send_next(r);
        if (rc <= 0)
            return -rc;
        if (recv_one(r, &r->msg, 0) < 0)
            return errno == EAGAIN ? timed_out(r, "for the reply") : io_failed(r, 0, NULL);
        print_message(r, &r->msg);
    }
    return ZINC_EXIT_OK;
}

static int run_rep(run *r)
{
    zinc_message reply;
    zinc_message_init(&reply);
    if (r->o->reply && zinc_message_add(&reply, r->o->reply, strlen(r->o->reply)) < 0)
        return ZINC_EXIT_FAIL;
    int status = ZINC_EXIT_OK;
    for (long long n = 0; !r->o->count || n < r->o->count; n++) {
        if (recv_one(r, &r->msg, 0) < 0) {
            status = io_failed(r, 0, NULL);
            break;
        }
        print_message(r, &r->msg);
        if (send_one(r, r->o->reply ? &reply : &r->msg, 0) < 0) {
            status = io_failed(r, 1, &r->msg);
            break;
        }
    }
    zinc_message_clear(&reply);
    return status;
}

/* ---- both ways ---------------------------------------------------------------------------------------- */

typedef struct duplex {
    zinc_message out;  /* the next message to send, when have_out */
    int have_out;
    int input_done;    /* no more data to send */
    int finishing;     /* --count reached: send what the command line still holds, then stop */
    long long received;
} duplex;

/* Moves the next message to send into d->out if there is one ready; -1 on bad input. */
static int duplex_take(run *r, duplex *d)
{
    if (d->have_out || d->input_done)
        return 0;
    int rc = source_take(&r->src, &d->out);
    if (rc == 1)
        d->have_out = 1;
    else if (rc == -2)
        d->input_done = 1;
    return rc == -1 ? -1 : 0;
}

/* One received message: print it, echo it; -1 on failure. */
static int duplex_receive(run *r, duplex *d, int *status)
{
    if (recv_one(r, &r->msg, ZMQ_DONTWAIT) < 0) {
        if (errno == EAGAIN)
            return 0;
        *status = io_failed(r, 0, NULL);
        return -1;
    }
    print_message(r, &r->msg);
    /* a STREAM connect/disconnect notice is [id, ""]: sent back, it would close the connection */
    int notice = r->o->type == ZMQ_STREAM && r->msg.count == 2 && r->msg.frames[1].size == 0;
    if (r->o->echo && !notice && send_one(r, &r->msg, 0) < 0) {
        *status = io_failed(r, 1, &r->msg);
        return -1;
    }
    d->received++;
    d->finishing = r->o->count && d->received >= r->o->count;
    return 0;
}

static int duplex_send(run *r, duplex *d, int *status)
{
    if (send_one(r, &d->out, ZMQ_DONTWAIT) == 0) {
        d->have_out = 0;
        return 0;
    }
    if (errno == EAGAIN)
        return 0;
    *status = io_failed(r, 1, &d->out);
    return -1;
}

/* One zmq_poll round; 1 when done, -1 on failure (status set), 0 to go on. */
static int duplex_step(run *r, duplex *d, int *status)
{
    if (duplex_take(r, d) < 0)
        return *status = ZINC_EXIT_FAIL, -1;
    if (d->finishing && !d->have_out)
        return 1;
    short events = (short)((d->finishing ? 0 : ZMQ_POLLIN) | (d->have_out ? ZMQ_POLLOUT : 0));
    zmq_pollitem_t items[2] = {{r->socket, 0, events, 0}, {NULL, r->src.fd, ZMQ_POLLIN, 0}};
    int reading = !d->have_out && !d->input_done && !d->finishing && r->src.fd >= 0;
    int rc = zmq_poll(items, reading ? 2 : 1, r->o->timeout);
    if (rc < 0)
        return *status = (errno == EINTR ? EXIT_INTERRUPTED : ZINC_EXIT_FAIL), -1;
    if (rc == 0)
        return *status = timed_out(r, d->have_out ? "to send" : "for a message"), -1;
    if ((items[0].revents & ZMQ_POLLIN) && duplex_receive(r, d, status) < 0)
        return -1;
    if (d->have_out && (items[0].revents & ZMQ_POLLOUT) && duplex_send(r, d, status) < 0)
        return -1;
    if (reading && (items[1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) && source_fill(&r->src, r->o->cmd) < 0)
        return *status = ZINC_EXIT_FAIL, -1;
    return 0;
}

static int run_duplex(run *r)
{
    duplex d;
    memset(&d, 0, sizeof d);
    zinc_message_init(&d.out);
    int status = ZINC_EXIT_OK;
    while (!zinc_interrupted && duplex_step(r, &d, &status) == 0)
        ;
    if (zinc_interrupted)
        status = EXIT_INTERRUPTED;
    zinc_message_clear(&d.out);
    return status;
}

/* ---- setup -------------------------------------------------------------------------------------------- */

static void set_int(void *socket, int id, int value)
{
    zmq_setsockopt(socket, id, &value, sizeof value);
}

static int has_connect(const zinc_config *cfg)
{
    for (size_t k = 0; k < cfg->endpoint_count; k++)
        if (!cfg->endpoints[k].bind)
            return 1;
    return 0;
}

/* The tool's defaults, set before the command line's options so that those override them. */
static void set_defaults(const sock_opts *o, void *socket)
{
    int timeout = o->timeout >= 0 && o->timeout < 0x7fffffff ? (int)o->timeout : -1;
    set_int(socket, ZMQ_LINGER, timeout >= 0 ? timeout : (o->role == ROLE_SEND ? -1 : 1000));
    set_int(socket, ZMQ_SNDTIMEO, timeout);
    set_int(socket, ZMQ_RCVTIMEO, timeout);
    int sender = o->role == ROLE_SEND || o->role == ROLE_REQ;
    int queues = o->type == ZMQ_PUSH || o->type == ZMQ_DEALER || o->type == ZMQ_PAIR || o->type == ZMQ_REQ;
    if (sender && queues && has_connect(&o->cfg))
        set_int(socket, ZMQ_IMMEDIATE, 1);
    if (o->type == ZMQ_ROUTER)
        set_int(socket, ZMQ_ROUTER_MANDATORY, 1);
    if (o->type == ZMQ_SUB && !zinc_config_has(&o->cfg, ZMQ_SUBSCRIBE))
        zmq_setsockopt(socket, ZMQ_SUBSCRIBE, "", 0);
}

/* Sleeps ms, or less when interrupted. */
static void delay(long long ms)
{
    long long end = zinc_now_ms() + ms;
    while (!zinc_interrupted && zinc_now_ms() < end)
        zmq_poll(NULL, 0, (long)(end - zinc_now_ms()));
}

static int send_xsub_subscriptions(run *r)
{
    for (size_t k = 0; k < r->o->xsub_sub_count; k++) {
        const char *p = r->o->xsub_subs[k];
        size_t len = strlen(p);
        char *buf = malloc(len + 1);
        if (!buf)
            return -1;
        buf[0] = 1;
        memcpy(buf + 1, p, len);
        int rc = zmq_send(r->socket, buf, len + 1, 0);
        free(buf);
        if (rc < 0)
            return io_failed(r, 1, NULL), -1;
    }
    return 0;
}

static int run_role(run *r)
{
    switch (r->o->role) {
    case ROLE_SEND: return run_send(r);
    case ROLE_RECV: return run_recv(r);
    case ROLE_REQ: return run_req(r);
    case ROLE_REP: return run_rep(r);
    case ROLE_DUPLEX: return run_duplex(r);
    }
    return ZINC_EXIT_FAIL;
}

/* Applies the command line; the exit status if that failed (2 for a rejected value), else -1. */
static int configure(run *r)
{
    set_defaults(r->o, r->socket);
    r->w = watch_start(r->ctx, r->socket);
    r->zap = zinc_zap_start(&r->o->cfg, r->ctx);
    if (r->o->cfg.security.plain_server && !r->zap)
        return ZINC_EXIT_FAIL;
    if (zinc_config_apply_options(&r->o->cfg, r->socket) < 0)
        return ZINC_EXIT_USAGE;
    if (zinc_config_apply_endpoints(&r->o->cfg, r->socket) < 0)
        return errno == EINVAL || errno == EPROTONOSUPPORT ? ZINC_EXIT_USAGE : ZINC_EXIT_FAIL;
    if (r->o->delay)
        delay(r->o->delay);
    if (send_xsub_subscriptions(r) < 0)
        return ZINC_EXIT_FAIL;
    return -1;
}

int sock_run(sock_opts *o)
{
    run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    zinc_message_init(&r.msg);
    zinc_signals_install();
    r.ctx = zmq_ctx_new();
    r.socket = r.ctx ? zmq_socket(r.ctx, o->type) : NULL;
    if (!r.socket) {
        zinc_error_zmq(o->cmd, "cannot create the socket");
        if (r.ctx)
            zmq_ctx_term(r.ctx);
        return ZINC_EXIT_FAIL;
    }
    int status = configure(&r);
    if (status < 0 && source_open(&r.src, o) == 0) {
        status = run_role(&r);
        source_close(&r.src);
    } else if (status < 0) {
        status = ZINC_EXIT_FAIL;
    }
    watch_poll(r.w, o->cmd, o->cfg.verbose);
    if (status != ZINC_EXIT_OK || zinc_interrupted)
        set_int(r.socket, ZMQ_LINGER, 0);
    zinc_message_clear(&r.msg);
    watch_stop(r.w);
    zmq_close(r.socket);
    zmq_ctx_term(r.ctx);
    zinc_zap_join(r.zap);
    return status;
}
