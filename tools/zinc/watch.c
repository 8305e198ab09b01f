/* A monitor on a zinc socket subcommand's socket, read without blocking, so that a timeout can say why
 * nothing arrived (refused, handshake failed, authentication failed) and --verbose can report connections. */
#include "socket.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

/* What the events showed so far; watch_explain picks the most telling. */
struct watch {
    void *pair;            /* the monitor's receiving end */
    int failed_event;      /* the last HANDSHAKE_FAILED_*, 0 if none */
    int tcp_connected;     /* CONNECTED or ACCEPTED seen */
    int retried;           /* CONNECT_RETRIED seen */
    int listening;         /* LISTENING seen */
    int ever_ready;        /* HANDSHAKE_SUCCEEDED seen */
    int peers;             /* handshakes succeeded minus disconnects */
    char endpoint[256];    /* the endpoint of the last event kept */
    char failed_endpoint[256];
    char text[600];        /* watch_explain's sentence */
};

watch *watch_start(void *ctx, void *socket)
{
    watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    char address[64];
    snprintf(address, sizeof address, "inproc://zinc-watch-%p", socket);
    if (zmq_socket_monitor(socket, address, ZMQ_EVENT_ALL) != 0)
        goto fail_free;
    w->pair = zmq_socket(ctx, ZMQ_PAIR);
    if (!w->pair)
        goto fail_free;
    int linger = 0;
    zmq_setsockopt(w->pair, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(w->pair, address) != 0)
        goto fail_close;
    return w;
fail_close:
    zmq_close(w->pair);
fail_free:
    free(w);
    return NULL; /* the command works without it, only less helpfully */
}

void watch_stop(watch *w)
{
    if (!w)
        return;
    zmq_close(w->pair);
    free(w);
}

static const char *event_name(int event)
{
    switch (event) {
    case ZMQ_EVENT_CONNECTED: return "connected";
    case ZMQ_EVENT_CONNECT_RETRIED: return "connect failed, retrying";
    case ZMQ_EVENT_LISTENING: return "listening";
    case ZMQ_EVENT_BIND_FAILED: return "bind failed";
    case ZMQ_EVENT_ACCEPTED: return "accepted a connection";
    case ZMQ_EVENT_ACCEPT_FAILED: return "accept failed";
    case ZMQ_EVENT_DISCONNECTED: return "peer disconnected";
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return "handshake done, peer ready";
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return "handshake failed";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return "handshake failed (protocol error)";
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "handshake failed (authentication)";
    default: return NULL;
    }
}

/* Receives one event without blocking; 0 if none. */
static int read_event(watch *w, int *event, char *endpoint, size_t cap)
{
    unsigned char head[6];
    if (zmq_recv(w->pair, head, sizeof head, ZMQ_DONTWAIT) != (int)sizeof head)
        return 0;
    uint16_t ev;
    memcpy(&ev, head, 2);
    *event = ev;
    int n = zmq_recv(w->pair, endpoint, cap - 1, 0);
    endpoint[n < 0 ? 0 : ((size_t)n < cap - 1 ? (size_t)n : cap - 1)] = '\0';
    return 1;
}

static void note_event(watch *w, int event, const char *endpoint)
{
    switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: w->peers++, w->ever_ready = 1; break;
    case ZMQ_EVENT_DISCONNECTED: w->peers -= w->peers > 0; break;
    case ZMQ_EVENT_CONNECTED:
    case ZMQ_EVENT_ACCEPTED: w->tcp_connected = 1; break;
    case ZMQ_EVENT_CONNECT_RETRIED: w->retried = 1; break;
    case ZMQ_EVENT_LISTENING: w->listening = 1; break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        w->failed_event = event;
        snprintf(w->failed_endpoint, sizeof w->failed_endpoint, "%s", endpoint);
        break;
    default: return;
    }
    snprintf(w->endpoint, sizeof w->endpoint, "%s", endpoint);
}

void watch_poll(watch *w, const char *cmd, int verbose)
{
    int event;
    char endpoint[256];
    while (w && read_event(w, &event, endpoint, sizeof endpoint)) {
        note_event(w, event, endpoint);
        const char *name = event_name(event);
        if (verbose && name)
            fprintf(stderr, "zinc %s: %s: %s\n", cmd, endpoint, name);
    }
}

static const char *advice(const watch *w, const sock_opts *o)
{
    if (w->failed_event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return "authentication failed (check --curve-client SERVERKEY is the server's public key, or the "
               "PLAIN user and password)";
    if (w->failed_event && (o->cfg.security.curve_serverkey || o->cfg.security.curve_server))
        return "the CURVE handshake failed (check --curve-client SERVERKEY is the server's public key, and "
               "that both sides use CURVE)";
    if (w->failed_event)
        return "the handshake failed (do the socket types match, e.g. push/pull, req/rep? does the security "
               "match: both CURVE, both PLAIN, or neither?)";
    if (w->peers > 0)
        return o->type == ZMQ_SUB ? "connected, but nothing matched the subscriptions (check --subscribe)"
                                  : "connected, but the peer sent nothing";
    if (w->ever_ready)
        return "the peer disconnected";
    if (w->tcp_connected && o->type == ZMQ_STREAM)
        return "the TCP peer disconnected";
    if (w->tcp_connected)
        return "the TCP connection closes during the ZMTP handshake (wrong --curve-client key? security or "
               "socket types that do not match? not a ZeroMQ peer?)";
    if (w->retried)
        return "cannot connect, still retrying (is a peer bound there? check host and port)";
    if (w->listening)
        return "no peer has connected";
    return "";
}

const char *watch_explain(watch *w, const sock_opts *o)
{
    if (!w)
        return "";
    watch_poll(w, o->cmd, 0);
    const char *text = advice(w, o);
    if (!text[0])
        return "";
    snprintf(w->text, sizeof w->text, "%s: %s", w->failed_event ? w->failed_endpoint : w->endpoint, text);
    return w->text;
}
