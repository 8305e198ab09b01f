/* A monitor on a zinc socket subcommand's socket, read without blocking, so that a timeout can say why
 * nothing arrived (refused, handshake failed, authentication failed) and --verbose can report connections. */
#include "socket.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

struct watch {
    void *pair;          /* the monitor's receiving end */
    int last_event;      /* the last ZMQ_EVENT_* seen, 0 if none */
    uint32_t last_value; /* its value (errno, protocol error code, ...) */
    char endpoint[256];  /* its endpoint */
    int peers;           /* handshakes succeeded minus disconnects */
    char text[512];      /* watch_explain's sentence */
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
    case ZMQ_EVENT_CONNECT_DELAYED: return "connecting";
    case ZMQ_EVENT_CONNECT_RETRIED: return "connect failed, retrying";
    case ZMQ_EVENT_LISTENING: return "listening";
    case ZMQ_EVENT_BIND_FAILED: return "bind failed";
    case ZMQ_EVENT_ACCEPTED: return "accepted a connection";
    case ZMQ_EVENT_ACCEPT_FAILED: return "accept failed";
    case ZMQ_EVENT_CLOSED: return "connection closed";
    case ZMQ_EVENT_DISCONNECTED: return "peer disconnected";
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return "handshake done, peer ready";
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return "handshake failed";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return "handshake failed (protocol error)";
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "handshake failed (authentication)";
    default: return NULL;
    }
}

/* Receives one event without blocking; 0 if none. */
static int read_event(watch *w, int *event, uint32_t *value, char *endpoint, size_t cap)
{
    unsigned char head[6];
    if (zmq_recv(w->pair, head, sizeof head, ZMQ_DONTWAIT) != (int)sizeof head)
        return 0;
    uint16_t ev;
    memcpy(&ev, head, 2);
    memcpy(value, head + 2, 4);
    *event = ev;
    int n = zmq_recv(w->pair, endpoint, cap - 1, 0);
    endpoint[n < 0 ? 0 : ((size_t)n < cap - 1 ? (size_t)n : cap - 1)] = '\0';
    return 1;
}

void watch_poll(watch *w, const char *cmd, int verbose)
{
    int event;
    uint32_t value;
    char endpoint[256];
    while (w && read_event(w, &event, &value, endpoint, sizeof endpoint)) {
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            w->peers++;
        if (event == ZMQ_EVENT_DISCONNECTED && w->peers > 0)
            w->peers--;
        const char *name = event_name(event);
        if (!name || event == ZMQ_EVENT_CLOSED || event == ZMQ_EVENT_CONNECT_DELAYED)
            continue; /* keep the more telling event before them */
        w->last_event = event;
        w->last_value = value;
        snprintf(w->endpoint, sizeof w->endpoint, "%s", endpoint);
        if (verbose)
            fprintf(stderr, "zinc %s: %s: %s\n", cmd, endpoint, name);
    }
}

static const char *advice(const watch *w, const sock_opts *o)
{
    switch (w->last_event) {
    case ZMQ_EVENT_CONNECT_RETRIED:
        return "cannot connect, still retrying (is a peer bound there? check host and port)";
    case ZMQ_EVENT_CONNECTED:
        return "TCP connected but the ZMTP handshake did not finish (is the peer a ZeroMQ socket?)";
    case ZMQ_EVENT_LISTENING:
        return "no peer has connected";
    case ZMQ_EVENT_ACCEPTED:
        return "a peer connected but the handshake did not finish";
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        return "authentication failed (check --curve-client SERVERKEY against the server's public key, or "
               "the PLAIN user and password)";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        return "the handshake failed (do the socket types match, e.g. push/pull, req/rep? does the security "
               "match: both CURVE, both PLAIN, or neither?)";
    case ZMQ_EVENT_DISCONNECTED:
        return "the peer disconnected";
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        return o->type == ZMQ_SUB ? "connected, but nothing matched the subscriptions (check --subscribe)"
                                  : "connected, but the peer sent nothing";
    default:
        return "";
    }
}

const char *watch_explain(watch *w, const sock_opts *o)
{
    if (!w)
        return "";
    watch_poll(w, o->cmd, 0);
    const char *text = advice(w, o);
    if (!text[0])
        return "";
    snprintf(w->text, sizeof w->text, "%s: %s", w->endpoint, text);
    return w->text;
}
