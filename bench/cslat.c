/* CLIENT/SERVER round-trip latency (-p client), or DEALER/ROUTER (-p dealer, the default) doing the same:
 * the client end binds and, after a warm-up, times each of count round trips on its own; the server end
 * connects and echoes each request to its sender (by routing id, or by id frame). bench/run compares the
 * two patterns on zinc with DEALER/ROUTER on libzmq (whose Debian build has no CLIENT/SERVER).
 * Prints: pattern=.., then cslat transport=.. size=.. count=.. median_us=.. p99_us=.. mean_us=.. min_us=..
 * max_us=.. */
#include "cs.h"

#include <stdio.h>
#include <stdlib.h>

static int cslat_client(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    void *client = cs_socket(end, 0);
    bench_bind_announce(end, client);
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
        bench_check(bench_send(client, buf, args->size, 0), "zmq_send");
        bench_check(bench_msg_recv(&reply, client, 0), "zmq_msg_recv");
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
    bench_close(client);
    printf("pattern=%s\n", cs_pattern(args));
    bench_latency_report(args, samples);
    free(samples);
    free(buf);
    return 0;
}

static int cslat_server(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);
    void *server = cs_socket(end, 1);
    bench_check(zmq_connect(server, endpoint), "zmq_connect %s", endpoint);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    struct cs_route route;
    zmq_msg_init(&route.id);
    long total = bench_latency_warmup(args) + args->count;
    for (long i = 0; i < total; i++) {
        cs_server_recv(args, server, &msg, &route);
        cs_server_send(args, server, &msg, &route);
    }
    char done;
    bench_ctl_read(end->ctl_in, &done, 1); /* close only once the client has the last reply */
    zmq_msg_close(&msg);
    zmq_msg_close(&route.id);
    bench_close(server);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(&args, argc, argv,
                "CLIENT/SERVER (-p client) or DEALER/ROUTER (-p dealer) round-trip latency; "
                "count: timed round trips", NULL, -1);
    cs_require(&args);
    return bench_run(&args, cslat_client, cslat_server, NULL);
}
