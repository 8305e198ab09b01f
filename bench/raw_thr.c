/* The throughput floor: thr's stream over a plain socket, no ZeroMQ and no framing. The sender writes count
 * messages of size bytes, each stamped with its sequence number, in writes of up to RAW_THR_CHUNK bytes;
 * the receiver reads them back in reads of the same size, checks every stamp, and times them from the first
 * message to the last, as thr does. Built once; bench/run runs it next to thr_zinc and thr_libzmq.
 * Prints the same fields as thr: raw_thr transport=.. size=.. count=.. elapsed_s=.. msgs_s=.. mb_s=.. */
#include "bench.h"
#include "raw.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define RAW_THR_CHUNK (256 * 1024)

/* Messages per read or write: as many as fit in RAW_THR_CHUNK, at least one. */
static long raw_thr_batch(const struct bench_args *args)
{
    long n = (long)(RAW_THR_CHUNK / args->size);
    return n < 1 ? 1 : n;
}

static int raw_thr_receiver(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_endpoint(args, 0, endpoint, sizeof endpoint);
    int listener = raw_listen(endpoint);
    bench_send_endpoint(end, endpoint);
    int fd = raw_accept(listener);

    long batch = raw_thr_batch(args);
    char *buf = malloc((size_t)batch * args->size);
    if (!buf)
        bench_fail("out of memory");
    /* The first message alone, to start the clock when it arrives. */
    raw_read(fd, buf, args->size);
    uint64_t start = bench_now_ns();
    bench_usage_mark(end);
    if (!bench_stamp_ok(buf, args->size, 0))
        bench_fail("message 0 is not the one sent in that place");
    for (long i = 1; i < args->count;) {
        long n = args->count - i < batch ? args->count - i : batch;
        raw_read(fd, buf, (size_t)n * args->size);
        for (long k = 0; k < n; k++, i++)
            if (!bench_stamp_ok(buf + (size_t)k * args->size, args->size, (uint64_t)i))
                bench_fail("message %ld is not the one sent in that place", i);
        bench_progress = i;
    }
    uint64_t elapsed = bench_now_ns() - start;
    bench_ctl_write(end->ctl_out, "d", 1);
    close(fd);
    free(buf);

    double secs = (double)(elapsed ? elapsed : 1) / 1e9;
    double msgs = (double)(args->count > 1 ? args->count - 1 : 1);
    printf("%s transport=%s size=%zu count=%ld elapsed_s=%.4f msgs_s=%.0f mb_s=%.2f\n", args->prog,
           args->transport, args->size, args->count, secs, msgs / secs,
           msgs * (double)args->size / secs / 1e6);
    return 0;
}

static int raw_thr_sender(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);
    int fd = raw_connect(endpoint);
    long batch = raw_thr_batch(args);
    char *buf = calloc((size_t)batch, args->size);
    if (!buf)
        bench_fail("out of memory");
    bench_usage_mark(end);
    for (long i = 0; i < args->count;) {
        long n = args->count - i < batch ? args->count - i : batch;
        for (long k = 0; k < n; k++, i++)
            bench_stamp(buf + (size_t)k * args->size, args->size, (uint64_t)i);
        raw_write(fd, buf, (size_t)n * args->size);
    }
    char done;
    bench_ctl_read(end->ctl_in, &done, 1);
    close(fd);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(&args, argc, argv, "stream throughput over a plain tcp or unix socket; count: messages", NULL,
                -1);
    return bench_run_ends(&args, NULL, raw_thr_receiver, raw_thr_sender, NULL);
}
