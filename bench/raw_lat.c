/* The latency floor: lat's ping-pong over a plain socket, no ZeroMQ. The client listens on a tcp loopback
 * port or a unix-domain socket, the server connects and echoes size bytes back; after the same warm-up as
 * lat, each of count round trips is timed on its own. Built once (not per library): bench/run runs it next
 * to lat_zinc and lat_libzmq and shows how far each is from the wire.
 * Prints the same line as lat: raw_lat transport=.. size=.. count=.. median_us=.. p99_us=.. ... */
#include "bench.h"
#include "raw.h"

#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* -w poll: every read waits in poll() first, on the socket and an eventfd that never fires (the floor of a
 * library that must wake for its own commands too); else one blocking recv(). */
static void lat_read(const struct bench_args *args, int fd, int wake_fd, void *buf)
{
    if (args->wait_poll)
        raw_read_polled(fd, wake_fd, buf, args->size);
    else
        raw_read(fd, buf, args->size);
}

static int lat_wake_fd(const struct bench_args *args)
{
    int fd = args->wait_poll ? eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) : -1;
    if (args->wait_poll && fd < 0)
        bench_fail("eventfd failed");
    return fd;
}

static int raw_lat_client(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_endpoint(args, 0, endpoint, sizeof endpoint);
    int listener = raw_listen(endpoint);
    bench_send_endpoint(end, endpoint);
    int fd = raw_accept(listener);
    int wake_fd = lat_wake_fd(args);

    char *buf = calloc(1, args->size);
    char *reply = calloc(1, args->size);
    uint64_t *samples = malloc((size_t)args->count * sizeof *samples);
    if (!buf || !reply || !samples)
        bench_fail("out of memory");
    long warmup = bench_latency_warmup(args);
    for (long i = -warmup; i < args->count; i++) {
        bench_stamp(buf, args->size, (uint64_t)(i + warmup));
        uint64_t start = bench_now_ns();
        raw_write(fd, buf, args->size);
        lat_read(args, fd, wake_fd, reply);
        uint64_t stop = bench_now_ns();
        if (!bench_stamp_ok(reply, args->size, (uint64_t)(i + warmup)))
            bench_fail("reply %ld does not echo its request", i + warmup);
        if (i >= 0)
            samples[i] = stop - start;
        if (i == -1)
            bench_usage_mark(end);
        bench_progress = i + warmup + 1;
    }
    bench_ctl_write(end->ctl_out, "d", 1); /* the server may close now */
    close(fd);
    if (wake_fd >= 0)
        close(wake_fd);
    bench_latency_report(args, samples);
    free(samples);
    free(reply);
    free(buf);
    return 0;
}

static int raw_lat_server(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);
    int fd = raw_connect(endpoint);
    int wake_fd = lat_wake_fd(args);
    char *buf = malloc(args->size);
    if (!buf)
        bench_fail("out of memory");
    long total = bench_latency_warmup(args) + args->count;
    for (long i = 0; i < total; i++) {
        lat_read(args, fd, wake_fd, buf);
        raw_write(fd, buf, args->size);
    }
    char done;
    bench_ctl_read(end->ctl_in, &done, 1);
    close(fd);
    if (wake_fd >= 0)
        close(wake_fd);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(&args, argc, argv,
                "round-trip latency over a plain tcp or unix socket; count: timed round trips", NULL, -1);
    return bench_run_ends(&args, NULL, raw_lat_client, raw_lat_server, NULL);
}
