/* zinc_soak's peers: the far end of every lane. An external peer is this same program run as
 * `zinc_soak peer KIND EP1 EP2 SECRET RATE INC HUB` (or its libzmq-linked twin), killed with SIGKILL and started
 * again by the hub (HUB: its pid; the peer dies with it); an inproc peer is a thread in the hub running the
 * same loop until soak_stop.
 *   rep     REP binds EP1 (CURVE server when SECRET is not "-"), echoes every request
 *   pipe    PULL connects EP1, PUSH connects EP2, forwards everything it pulls
 *   pair    PAIR connects EP1, echoes
 *   dealer  DEALER (routing id SOAK_ROUTING_ID) connects EP1, echoes
 *   pub     PUB connects EP1 and publishes RATE messages a second as incarnation INC (its pid when INC is 0):
 *           topic 'S' numbered 1, 2, 3 ... and, one in ten, topic 'X' (never subscribed) numbered apart, so the
 *           subscriber sees no gaps from 'X'. */
#include "soak.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static void *peer_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    if (!s) {
        fprintf(stderr, "zinc_soak peer: zmq_socket: %s\n", zmq_strerror(errno));
        exit(3);
    }
    int zero = 0, hwm = 100000;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    return s;
}

static void peer_attach(void *s, const char *ep, int bind)
{
    int rc = bind ? zmq_bind(s, ep) : zmq_connect(s, ep);
    if (rc != 0) {
        fprintf(stderr, "zinc_soak peer: %s %s: %s\n", bind ? "bind" : "connect", ep, zmq_strerror(errno));
        exit(3);
    }
}

static int stopped(atomic_int *stop) { return stop && atomic_load(stop); }

/* Waits until s has `events` or 100 ms passed. */
static void peer_wait(void *s, short events)
{
    zmq_pollitem_t it = {s, 0, events, 0};
    zmq_poll(&it, 1, 100);
}

/* Moves every message that is waiting on `in` to `out`, frame by frame, keeping the more flags. */
static void peer_echo_ready(void *in, void *out, atomic_int *stop)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    for (int n = 0; n < 1000 && !stopped(stop); n++) {
        if (zmq_msg_recv(&m, in, ZMQ_DONTWAIT) < 0)
            break;
        int more = zmq_msg_more(&m);
        while (zmq_msg_send(&m, out, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0) {
            if (errno != EAGAIN || stopped(stop)) {
                if (errno != EAGAIN && errno != ETERM)
                    fprintf(stderr, "zinc_soak peer: echo send: %s\n", zmq_strerror(errno));
                goto done;
            }
            peer_wait(out, ZMQ_POLLOUT);
        }
    }
done:
    zmq_msg_close(&m);
}

static void peer_echo(void *in, void *out, atomic_int *stop)
{
    while (!stopped(stop)) {
        peer_wait(in, ZMQ_POLLIN);
        peer_echo_ready(in, out, stop);
    }
}

static void peer_publish(void *pub, int rate, uint32_t inc, atomic_int *stop)
{
    uint8_t *buf = malloc(SOAK_MAX_MSG);
    if (!buf)
        exit(3);
    uint64_t seq_s = 0, seq_x = 0, n = 0;
    uint64_t start = soak_now_ns(), step = 1000000000ull / (uint64_t)(rate > 0 ? rate : 1);
    while (!stopped(stop)) {
        uint64_t due = start + n * step, now = soak_now_ns();
        if (now < due) {
            uint64_t wait = due - now;
            if (wait > 20000000)
                wait = 20000000;
            struct timespec ts = {0, (long)wait};
            nanosleep(&ts, NULL);
            continue;
        }
        n++;
        size_t len = n % 10 == 5 ? soak_encode(buf, 'X', inc, ++seq_x, now)
                                 : soak_encode(buf, 'S', inc, ++seq_s, now);
        zmq_send(pub, buf, len, ZMQ_DONTWAIT);   /* PUB drops, never blocks */
    }
    free(buf);
}

void soak_peer_loop(void *ctx, const char *kind, const char *ep1, const char *ep2, const char *secret,
                    int rate, uint32_t inc, atomic_int *stop)
{
    void *a = NULL, *b = NULL;
    if (strcmp(kind, "rep") == 0) {
        a = peer_socket(ctx, ZMQ_REP);
        if (secret && strcmp(secret, "-") != 0) {
            int one = 1;
            zmq_setsockopt(a, ZMQ_CURVE_SERVER, &one, sizeof one);
            zmq_setsockopt(a, ZMQ_CURVE_SECRETKEY, secret, 40);
        }
        peer_attach(a, ep1, 1);
        peer_echo(a, a, stop);
    } else if (strcmp(kind, "pipe") == 0) {
        a = peer_socket(ctx, ZMQ_PULL);
        b = peer_socket(ctx, ZMQ_PUSH);
        peer_attach(a, ep1, 0);
        peer_attach(b, ep2, 0);
        peer_echo(a, b, stop);
    } else if (strcmp(kind, "pair") == 0) {
        a = peer_socket(ctx, ZMQ_PAIR);
        peer_attach(a, ep1, 0);
        peer_echo(a, a, stop);
    } else if (strcmp(kind, "dealer") == 0) {
        a = peer_socket(ctx, ZMQ_DEALER);
        zmq_setsockopt(a, ZMQ_ROUTING_ID, SOAK_ROUTING_ID, strlen(SOAK_ROUTING_ID));
        peer_attach(a, ep1, 0);
        peer_echo(a, a, stop);
    } else if (strcmp(kind, "pub") == 0) {
        a = peer_socket(ctx, ZMQ_PUB);
        peer_attach(a, ep1, 0);
        peer_publish(a, rate, inc, stop);
    } else {
        fprintf(stderr, "zinc_soak peer: unknown kind %s\n", kind);
        exit(2);
    }
    if (a)
        zmq_close(a);
    if (b)
        zmq_close(b);
}

int soak_peer_main(int argc, char **argv)
{
    if (argc != 8 && argc != 9) {
        fprintf(stderr, "usage: zinc_soak peer KIND EP1 EP2 SECRET RATE INC [HUB]\n");
        return 2;
    }
    if (argc == 9) {   /* die with the hub; if it is gone already, go now */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != (pid_t)atoi(argv[8]))
            return 0;
    }
    void *ctx = zmq_ctx_new();
    if (!ctx)
        return 3;
    uint32_t inc = (uint32_t)strtoul(argv[7], NULL, 10);
    soak_peer_loop(ctx, argv[2], argv[3], argv[4], argv[5], atoi(argv[6]), inc ? inc : (uint32_t)getpid(), NULL);
    zmq_ctx_term(ctx);
    return 0;
}
