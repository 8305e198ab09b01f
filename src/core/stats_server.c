/* The stats server: a context's thread answering `zinc stats` with the counters of the context's sockets
 * as one JSON document per request. See stats_server.h for its lifetime and invariants, docs/zinc.md for
 * the protocol. */
#include "core/stats_server.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "core/ctx.h"
#include "core/msg.h"
#include "core/socket.h"

/* A growing text buffer; a failed allocation leaves it marked, and the reply is then an error. */
struct jbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
    for (int attempt = 0; attempt < 2 && !b->oom; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
        char *grown = realloc(b->p, cap);
        if (!grown)
            b->oom = 1;
        else {
            b->p = grown;
            b->cap = cap;
        }
    }
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void jb_string(struct jbuf *b, const char *s)
{
    jb_printf(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            jb_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            jb_printf(b, "\\u%04x", ch);
        else
            jb_printf(b, "%c", ch);
    }
    jb_printf(b, "\"");
}

static void jb_socket(struct jbuf *b, struct socket *s)
{
    zinc_socket_stats_t st;
    stats_counters(s, &st);
    jb_printf(b, "{\"id\":%u,\"type\":", s->stats_id);
    jb_string(b, s->ops->name);
    jb_printf(b, ",\"endpoint\":");
    jb_string(b, s->stats_label);
    jb_printf(b,
              ",\"peers\":%llu,\"msgs_in\":%llu,\"bytes_in\":%llu,\"msgs_out\":%llu,\"bytes_out\":%llu,"
              "\"dropped_hwm\":%llu,\"dropped_no_route\":%llu,\"dropped_filtered\":%llu,"
              "\"dropped_oversize\":%llu,\"dropped_conflated\":%llu}",
              (unsigned long long)stats_read(&s->stats.peers), (unsigned long long)st.msgs_in,
              (unsigned long long)st.bytes_in, (unsigned long long)st.msgs_out, (unsigned long long)st.bytes_out,
              (unsigned long long)st.dropped_hwm, (unsigned long long)st.dropped_no_route,
              (unsigned long long)st.dropped_filtered, (unsigned long long)st.dropped_oversize,
              (unsigned long long)st.dropped_conflated);
}

/* Invariant 1: everything is read under the context's lock. */
static void stats_document(struct ctx *c, struct jbuf *b)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    jb_printf(b, "{\"zinc\":\"%d.%d.%d\",\"pid\":%ld,\"time_ms\":%llu,\"sockets\":[", ZINC_VERSION_MAJOR,
              ZINC_VERSION_MINOR, ZINC_VERSION_PATCH, (long)getpid(),
              (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)ts.tv_nsec / 1000000ULL);
    pthread_mutex_lock(&c->lock);
    int first = 1;
    for (size_t i = 0; i < c->nsockets; i++) {
        if (c->sockets[i] == c->stats_sock)
            continue;
        if (!first)
            jb_printf(b, ",");
        first = 0;
        jb_socket(b, c->sockets[i]);
    }
    pthread_mutex_unlock(&c->lock);
    jb_printf(b, "]}");
}

static void free_reply(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* One request (any frames, any content) was read whole: the reply is the document. */
static int stats_reply(struct ctx *c, struct socket *sock)
{
    struct jbuf b = {0};
    stats_document(c, &b);
    struct msg m;
    int rc = b.oom ? -ENOMEM : msg_init_data(&m, b.p, b.len, free_reply, NULL);
    if (rc < 0) {
        free(b.p);
        static const char err[] = "{\"error\":\"out of memory\"}";
        rc = msg_init_const(&m, err, sizeof err - 1);
        if (rc < 0)
            return rc;
    }
    rc = socket_send(sock, &m, 0);
    if (rc < 0)
        msg_close(&m);
    return rc;
}

static void *stats_main(void *arg)
{
    struct ctx *c = arg;
    struct socket *sock = c->stats_sock;
    for (;;) {
        struct msg req;
        msg_init(&req);
        int rc = socket_recv(sock, &req, 0);
        msg_close(&req);
        if (rc == -EINTR || rc == -EAGAIN)
            continue;
        if (rc < 0)
            break;   /* ETERM: the context is terminating */
        if (sock->rcvmore)
            continue;
        if (stats_reply(c, sock) == -ETERM)
            break;
    }
    socket_close(sock);
    return NULL;
}

int stats_server_start(struct ctx *c, const char *endpoint)
{
    pthread_mutex_lock(&c->lock);
    int busy = c->stats_thread_started;
    c->stats_thread_started = 1;   /* invariant 2: claimed; given back below if the start fails */
    pthread_mutex_unlock(&c->lock);
    if (busy)
        return -EBUSY;
    int err = 0;
    struct socket *sock = socket_new(c, ZMQ_REP, &err);
    int rc = sock ? 0 : -err;
    if (rc == 0) {
        int linger = 0;
        socket_setopt(sock, ZMQ_LINGER, &linger, sizeof linger);
        rc = socket_bind(sock, endpoint);
    }
    if (rc == 0) {
        c->stats_sock = sock;
        rc = -pthread_create(&c->stats_thread, NULL, stats_main, c);
    }
    if (rc < 0) {
        if (sock)
            socket_close(sock);
        c->stats_sock = NULL;
        pthread_mutex_lock(&c->lock);
        c->stats_thread_started = 0;
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
    pthread_mutex_lock(&c->lock);
    c->stats_thread_running = 1;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

void stats_server_autostart(struct ctx *c)
{
    pthread_mutex_lock(&c->lock);
    int tried = c->stats_autostart_tried;
    c->stats_autostart_tried = 1;
    pthread_mutex_unlock(&c->lock);
    if (tried)
        return;
    const char *endpoint = getenv("ZINC_STATS_ENDPOINT");
    if (!endpoint || !*endpoint)
        return;
    int rc = stats_server_start(c, endpoint);
    if (rc < 0 && rc != -EBUSY)
        fprintf(stderr, "zinc: ZINC_STATS_ENDPOINT=%s: %s\n", endpoint, zmq_strerror(-rc));
}

void stats_server_join(struct ctx *c)
{
    pthread_mutex_lock(&c->lock);
    int running = c->stats_thread_running;
    c->stats_thread_running = 0;
    pthread_mutex_unlock(&c->lock);
    if (running)
        pthread_join(c->stats_thread, NULL);
}

void stats_label_set(struct socket *s, const char *endpoint)
{
    pthread_mutex_lock(&s->ctx->lock);
    snprintf(s->stats_label, sizeof s->stats_label, "%s", endpoint);
    pthread_mutex_unlock(&s->ctx->lock);
}
