/* REQ/REP round-trip latency: the client binds a REQ socket, the server connects a REP socket and echoes.
 * After a warm-up, each of count round trips is timed on its own. bench/run compares it with raw_lat, the
 * same ping-pong over a plain socket.
 * Prints: lat transport=.. size=.. count=.. median_us=.. p99_us=.. mean_us=.. min_us=.. max_us=.. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static int lat_client(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    void *req = zmq_socket(end->ctx, ZMQ_REQ);
    if (!req)
        bench_check(-1, "zmq_socket REQ");
    bench_bind_announce(end, req);

    char *buf = calloc(1, args->size);
    uint64_t *samples = malloc((size_t)args->count * sizeof *samples);
    if (!buf || !samples)
        bench_fail("out of memory");
    zmq_msg_t reply;
    zmq_msg_init(&reply);
    long warmup = bench_latency_warmup(args);
    for (long i = -warmup; i < args->count; i++) {
        bench_stamp(buf, args->size, (uint64_t)(i + warmup));
        uint64_t start = bench_now_ns();
        bench_check(bench_send(req, buf, args->size, 0), "zmq_send");
        bench_check(bench_msg_recv(&reply, req, 0), "zmq_msg_recv");
        uint64_t stop = bench_now_ns();
        if (zmq_msg_size(&reply) != args->size)
            bench_fail("reply has %zu bytes, expected %zu", zmq_msg_size(&reply), args->size);
        if (!bench_stamp_ok(zmq_msg_data(&reply), args->size, (uint64_t)(i + warmup)))
            bench_fail("reply %ld does not echo its request", i + warmup);
        if (i >= 0)
            samples[i] = stop - start;
        if (i == -1)
            bench_usage_mark(end);
        bench_progress = i + warmup + 1;
    }
    bench_ctl_write(end->ctl_out, "d", 1); /* the server may close now */
    zmq_msg_close(&reply);
    bench_close(req);

    bench_latency_report(args, samples);
    free(samples);
    free(buf);
    return 0;
}

static int lat_server(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);
    void *rep = zmq_socket(end->ctx, ZMQ_REP);
    if (!rep)
        bench_check(-1, "zmq_socket REP");
    bench_check(zmq_connect(rep, endpoint), "zmq_connect %s", endpoint);

    zmq_msg_t msg;
    zmq_msg_init(&msg);
    long total = bench_latency_warmup(args) + args->count;
    for (long i = 0; i < total; i++) {
        bench_check(bench_msg_recv(&msg, rep, 0), "zmq_msg_recv");
        bench_check(bench_msg_send(&msg, rep, 0), "zmq_msg_send");
    }
    /* Close only once the client has the last reply (ZMQ_LINGER does not promise delivery). */
    char done;
    bench_ctl_read(end->ctl_in, &done, 1);
    zmq_msg_close(&msg);
    bench_close(rep);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(&args, argc, argv, "REQ/REP round-trip latency; count: timed round trips", NULL, -1);
    return bench_run(&args, lat_client, lat_server, NULL);
}
