/* CLIENT -> SERVER throughput (-p client), or DEALER -> ROUTER (-p dealer, the default) as the classic
 * way to do the same: the server end binds and times count messages from the first to the last; the
 * client end connects and sends them as fast as it can with zmq_send. Every message carries its sequence
 * number, checked on arrival; a ROUTER also receives the id frame before each one.
 * Prints: csthr transport=.. pattern=.. size=.. count=.. elapsed_s=.. msgs_s=.. mb_s=..  (MB: 10^6 bytes) */
#include "cs.h"

#include <stdio.h>
#include <stdlib.h>

static int csthr_receiver(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    void *server = cs_socket(end, 1);
    bench_bind_announce(end, server);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    struct cs_route route;
    zmq_msg_init(&route.id);
    uint64_t start = 0;
    for (long i = 0; i < args->count; i++) {
        cs_server_recv(args, server, &msg, &route);
        if (zmq_msg_size(&msg) != args->size)
            bench_fail("message %ld has %zu bytes, expected %zu", i, zmq_msg_size(&msg), args->size);
        if (!bench_stamp_ok(zmq_msg_data(&msg), args->size, (uint64_t)i))
            bench_fail("message %ld is not the one sent in that place (lost, repeated or reordered)", i);
        if (i == 0) {
            start = bench_now_ns();
            bench_usage_mark(end);
        }
        bench_progress = i + 1;
    }
    uint64_t elapsed = bench_now_ns() - start;
    bench_ctl_write(end->ctl_out, "d", 1); /* the sender may close now */
    zmq_msg_close(&msg);
    zmq_msg_close(&route.id);
    bench_close(server);

    double secs = (double)(elapsed ? elapsed : 1) / 1e9;
    double msgs = (double)(args->count > 1 ? args->count - 1 : 1);
    printf("%s transport=%s pattern=%s size=%zu count=%ld elapsed_s=%.4f msgs_s=%.0f mb_s=%.2f\n", args->prog,
           args->transport, cs_pattern(args), args->size, args->count, secs, msgs / secs,
           msgs * (double)args->size / secs / 1e6);
    return 0;
}

static int csthr_sender(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);
    void *client = cs_socket(end, 0);
    bench_check(zmq_connect(client, endpoint), "zmq_connect %s", endpoint);
    char *buf = calloc(1, args->size);
    if (!buf)
        bench_fail("out of memory");
    bench_usage_mark(end);
    for (long i = 0; i < args->count; i++) {
        bench_stamp(buf, args->size, (uint64_t)i);
        bench_check(bench_send(client, buf, args->size, 0), "zmq_send");
    }
    free(buf);
    char done;
    bench_ctl_read(end->ctl_in, &done, 1); /* close only once the receiver has everything */
    bench_close(client);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(&args, argc, argv, "CLIENT -> SERVER (-p client) or DEALER -> ROUTER (-p dealer) throughput; "
                "count: messages", NULL, -1);
    cs_require(&args);
    return bench_run(&args, csthr_receiver, csthr_sender, NULL);
}
