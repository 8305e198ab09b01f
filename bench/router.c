/* One ROUTER serving many DEALERs: the server binds a ROUTER socket and echoes every request to the
 * DEALER it came from; the other end connects the DEALERs (default 1,000; one context, one thread) and
 * keeps one request outstanding on each, visiting them in turn: take the reply, send the next request,
 * until count requests have been answered. Every DEALER first completes one untimed round trip, so all are
 * connected before the clock starts. An empty request tells the server to stop.
 * Prints: router transport=.. size=.. count=.. dealers=.. elapsed_s=.. req_s=.. mb_s=..  (both ways) */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static int router_server(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    void *router = zmq_socket(end->ctx, ZMQ_ROUTER);
    if (!router)
        bench_check(-1, "zmq_socket ROUTER");
    char endpoint[256];
    bench_endpoint(args, 0, endpoint, sizeof endpoint);
    bench_check(zmq_bind(router, endpoint), "zmq_bind %s", endpoint);
    bench_send_endpoint(end, endpoint);

    zmq_msg_t id, body;
    bench_progress = 0;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    for (;;) {
        bench_check(bench_msg_recv(&id, router, 0), "zmq_msg_recv routing id");
        if (!zmq_msg_more(&id))
            bench_fail("ROUTER: routing id without a body");
        bench_check(bench_msg_recv(&body, router, 0), "zmq_msg_recv body");
        if (zmq_msg_more(&body))
            bench_fail("ROUTER: request has more than one frame");
        if (zmq_msg_size(&body) == 0) {
            bench_ctl_write(end->ctl_out, "d", 1); /* the dealers may close now */
            break;
        }
        bench_check(bench_msg_send(&id, router, ZMQ_SNDMORE), "zmq_msg_send routing id");
        bench_check(bench_msg_send(&body, router, 0), "zmq_msg_send body");
        bench_progress++; /* in this process: requests answered, warm-up included */
    }
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    bench_close(router);
    return 0;
}

/* Wait for a dealer's reply. The dealers are visited in a fixed round-robin order with blocking receives:
 * each one visited has a request outstanding, so its reply will come, and the server (the part being
 * measured) has a thousand requests queued meanwhile. Scanning all dealers with ZMQ_DONTWAIT or zmq_poll
 * instead costs the client a system call per dealer per pass in libzmq: the client becomes the bottleneck. */
static void router_reply(void *dealer, zmq_msg_t *msg, size_t size)
{
    bench_check(bench_msg_recv(msg, dealer, 0), "zmq_msg_recv on DEALER");
    if (zmq_msg_size(msg) != size)
        bench_fail("reply has %zu bytes, expected %zu", zmq_msg_size(msg), size);
}

static int router_clients(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    long n = args->extra;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);

    void **dealers = calloc((size_t)n, sizeof *dealers);
    char *waiting = calloc((size_t)n, 1); /* a request of this dealer awaits its reply */
    char *buf = calloc(1, args->size);
    if (!dealers || !waiting || !buf)
        bench_fail("out of memory");
    for (long i = 0; i < n; i++) {
        dealers[i] = zmq_socket(end->ctx, ZMQ_DEALER);
        if (!dealers[i])
            bench_check(-1, "zmq_socket DEALER %ld", i);
        bench_check(zmq_connect(dealers[i], endpoint), "zmq_connect %s", endpoint);
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);

    /* Warm-up: one round trip per dealer. */
    for (long i = 0; i < n; i++)
        bench_check(bench_send(dealers[i], buf, args->size, 0), "zmq_send on DEALER %ld", i);
    for (long i = 0; i < n; i++)
        router_reply(dealers[i], &msg, args->size);

    /* Timed: count requests, one outstanding per dealer. */
    long sent = 0, done = 0;
    uint64_t start = bench_now_ns();
    for (long i = 0; i < n && sent < args->count; i++, sent++) {
        bench_check(bench_send(dealers[i], buf, args->size, 0), "zmq_send on DEALER %ld", i);
        waiting[i] = 1;
    }
    for (long i = 0; done < args->count; i = (i + 1) % n) {
        if (!waiting[i])
            continue;
        router_reply(dealers[i], &msg, args->size);
        bench_progress = ++done;
        if (sent < args->count) {
            bench_check(bench_send(dealers[i], buf, args->size, 0), "zmq_send on DEALER %ld", i);
            sent++;
        } else {
            waiting[i] = 0;
        }
    }
    uint64_t elapsed = bench_now_ns() - start;

    /* Close only once the server has the stop request (ZMQ_LINGER does not promise delivery). */
    bench_check(bench_send(dealers[0], "", 0, 0), "zmq_send stop");
    char stopped;
    bench_ctl_read(end->ctl_in, &stopped, 1);
    zmq_msg_close(&msg);
    for (long i = 0; i < n; i++)
        bench_close(dealers[i]);

    double secs = (double)(elapsed ? elapsed : 1) / 1e9;
    printf("%s transport=%s size=%zu count=%ld dealers=%ld elapsed_s=%.4f req_s=%.0f mb_s=%.2f\n", args->prog,
           args->transport, args->size, args->count, n, secs, (double)args->count / secs,
           2.0 * (double)args->count * (double)args->size / secs / 1e6);
    free(buf);
    free(waiting);
    free(dealers);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(
        &args, argc, argv,
        "1 ROUTER echoing to N DEALERs, request/reply rate; count: requests; dealers: N (default 1000)",
        "dealers", 1000);
    /* 1,000 dealers and the ROUTER fit in one context's default ZMQ_MAX_SOCKETS (1023) even for inproc. */
    if (args.extra < 1 || args.extra > 1000)
        bench_fail("dealers must be 1..1000");
    return bench_run(&args, router_server, router_clients, NULL);
}
