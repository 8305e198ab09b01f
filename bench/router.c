/* One ROUTER serving many DEALERs: the server binds a ROUTER socket and echoes every request to the
 * DEALER it came from; the other end connects the DEALERs (default 1,000; one context, one thread) and
 * keeps one request outstanding on each, visiting them in turn: take the reply, send the next request,
 * until count requests have been answered. Every DEALER first completes one untimed round trip (a thousand
 * are connected at a time), so all are connected before the clock starts. An empty request tells the server
 * to stop.
 *
 * File descriptors: every connection costs each process one, and libzmq adds one per socket (its mailbox),
 * so 10,000 DEALERs in one libzmq process need over 20,000. RLIMIT_NOFILE is raised to its hard limit, and
 * when one process cannot hold all the DEALERs they are split into groups, one forked process each (with
 * its own context), that connect and warm up, wait for a common start, then share the requests; the clock
 * runs from that start until every group is done. A ROUTER that cannot fit in its process is skipped.
 * Prints: router transport=.. size=.. count=.. dealers=.. groups=.. elapsed_s=.. req_s=.. mb_s=..  (both
 * ways) */
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define ROUTER_FD_SPARE 64 /* descriptors a process needs besides its connections and sockets */
/* DEALERs a group connects (and warms up) at a time: 10,000 connecting at once overflow the ROUTER's listen
 * queue (somaxconn, 4,096 here) while its accepting thread is busy, and the dropped SYNs are retried after
 * 1, 3, 7, 15, 31 s...: a loaded machine then took over the 120 s limit just to connect. */
#define ROUTER_CONNECT_BATCH 1000

/* How many processes the DEALERs are spread over (main decides, the client end forks them). */
static long router_groups = 1;

static int router_server(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    void *router = zmq_socket(end->ctx, ZMQ_ROUTER);
    if (!router)
        bench_check(-1, "zmq_socket ROUTER");
    /* Thousands of DEALERs connect at once: a longer listen queue (the kernel caps it at somaxconn) keeps
     * their set-up, which is not timed, from waiting on SYN retransmissions. */
    int backlog = args->extra < 4096 ? (int)args->extra : 4096;
    bench_check(zmq_setsockopt(router, ZMQ_BACKLOG, &backlog, sizeof backlog), "setsockopt ZMQ_BACKLOG");
    bench_bind_announce(end, router);

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

/* One group of DEALERs in one context: connected, each with one untimed round trip behind it (in batches of
 * ROUTER_CONNECT_BATCH). */
struct router_group {
    void *ctx;
    void **dealers;
    long n;
    size_t size;
    char *waiting; /* a request of this dealer awaits its reply */
    char *buf;
};

static void router_group_open(struct router_group *g, void *ctx, const char *endpoint, long n, size_t size)
{
    g->ctx = ctx;
    g->n = n;
    g->size = size;
    g->dealers = calloc((size_t)n, sizeof *g->dealers);
    g->waiting = calloc((size_t)n, 1);
    g->buf = calloc(1, size);
    if (!g->dealers || !g->waiting || !g->buf)
        bench_fail("out of memory");
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (long from = 0; from < n; from += ROUTER_CONNECT_BATCH) {
        long to = from + ROUTER_CONNECT_BATCH < n ? from + ROUTER_CONNECT_BATCH : n;
        for (long i = from; i < to; i++) {
            g->dealers[i] = zmq_socket(ctx, ZMQ_DEALER);
            if (!g->dealers[i])
                bench_check(-1, "zmq_socket DEALER %ld", i);
            bench_check(zmq_connect(g->dealers[i], endpoint), "zmq_connect %s", endpoint);
        }
        for (long i = from; i < to; i++)
            bench_check(bench_send(g->dealers[i], g->buf, size, 0), "zmq_send on DEALER %ld", i);
        for (long i = from; i < to; i++)
            router_reply(g->dealers[i], &msg, size);
    }
    zmq_msg_close(&msg);
}

/* count requests through the group, one outstanding per dealer. */
static void router_group_run(struct router_group *g, long count)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    long sent = 0, done = 0;
    for (long i = 0; i < g->n && sent < count; i++, sent++) {
        bench_check(bench_send(g->dealers[i], g->buf, g->size, 0), "zmq_send on DEALER %ld", i);
        g->waiting[i] = 1;
    }
    for (long i = 0; done < count; i = (i + 1) % g->n) {
        if (!g->waiting[i])
            continue;
        router_reply(g->dealers[i], &msg, g->size);
        bench_progress = ++done;
        if (sent < count) {
            bench_check(bench_send(g->dealers[i], g->buf, g->size, 0), "zmq_send on DEALER %ld", i);
            sent++;
        } else {
            g->waiting[i] = 0;
        }
    }
    zmq_msg_close(&msg);
}

static void router_group_close(struct router_group *g)
{
    for (long i = 0; i < g->n; i++)
        bench_close(g->dealers[i]);
    free(g->buf);
    free(g->waiting);
    free(g->dealers);
}

/* Group k of router_groups in its own process: connect, report ready, wait for the start, run its share,
 * report done, wait to be told to close (the ROUTER must have the stop request first). */
static void router_group_process(const struct bench_args *args, const char *endpoint, long k, int ready_fd,
                                 int go_fd, int done_fd, int quit_fd)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    alarm(args->timeout);
    long n = args->extra / router_groups + (k < args->extra % router_groups);
    long count = args->count / router_groups + (k < args->count % router_groups);
    void *ctx = zmq_ctx_new();
    if (!ctx)
        bench_check(-1, "zmq_ctx_new");
    bench_check(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, args->max_sockets), "zmq_ctx_set ZMQ_MAX_SOCKETS");
    struct router_group g;
    router_group_open(&g, ctx, endpoint, n, args->size);
    char byte = 'r';
    bench_ctl_write(ready_fd, &byte, 1);
    bench_ctl_read(go_fd, &byte, 1);
    router_group_run(&g, count);
    bench_ctl_write(done_fd, &byte, 1);
    bench_ctl_read(quit_fd, &byte, 1);
    router_group_close(&g);
    zmq_ctx_term(ctx);
    fflush(stderr);
    _exit(0);
}

/* Fork the groups, start them together once all are warmed up; returns the time until all are done. The
 * groups are reaped by router_groups_finish. */
static uint64_t router_groups_run(const struct bench_args *args, const char *endpoint, int quit[2],
                                  pid_t *pids)
{
    int ready[2], go[2], done[2];
    if (pipe(ready) || pipe(go) || pipe(done) || pipe(quit))
        bench_fail("pipe: %s", strerror(errno));
    /* Fork before this process has any socket: neither library has started a thread yet. */
    for (long k = 0; k < router_groups; k++) {
        fflush(stdout);
        fflush(stderr);
        pids[k] = fork();
        if (pids[k] < 0)
            bench_fail("fork: %s", strerror(errno));
        if (pids[k] == 0)
            router_group_process(args, endpoint, k, ready[1], go[0], done[1], quit[0]);
    }
    close(ready[1]);
    close(go[0]);
    close(done[1]);
    close(quit[0]);
    char byte;
    for (long k = 0; k < router_groups; k++)
        bench_ctl_read(ready[0], &byte, 1);
    uint64_t start = bench_now_ns();
    for (long k = 0; k < router_groups; k++)
        bench_ctl_write(go[1], "g", 1);
    for (long k = 0; k < router_groups; k++)
        bench_ctl_read(done[0], &byte, 1);
    uint64_t elapsed = bench_now_ns() - start;
    close(ready[0]);
    close(go[1]);
    close(done[0]);
    return elapsed;
}

static void router_groups_finish(int quit[2], pid_t *pids)
{
    for (long k = 0; k < router_groups; k++)
        bench_ctl_write(quit[1], "q", 1);
    close(quit[1]);
    for (long k = 0; k < router_groups; k++) {
        int status;
        while (waitpid(pids[k], &status, 0) < 0)
            if (errno != EINTR)
                bench_fail("waitpid: %s", strerror(errno));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bench_fail("DEALER group %ld failed", k);
    }
}

static int router_clients(struct bench_end *end)
{
    const struct bench_args *args = end->args;
    char endpoint[256];
    bench_recv_endpoint(end, endpoint, sizeof endpoint);

    struct router_group one;
    int quit[2];
    pid_t *pids = calloc((size_t)router_groups, sizeof *pids);
    if (!pids)
        bench_fail("out of memory");
    uint64_t elapsed;
    if (router_groups > 1) {
        elapsed = router_groups_run(args, endpoint, quit, pids);
    } else {
        router_group_open(&one, end->ctx, endpoint, args->extra, args->size);
        bench_usage_mark(end);
        uint64_t start = bench_now_ns();
        router_group_run(&one, args->count);
        elapsed = bench_now_ns() - start;
    }

    /* Close only once the server has the stop request (ZMQ_LINGER does not promise delivery). */
    void *stopper = router_groups > 1 ? zmq_socket(end->ctx, ZMQ_DEALER) : one.dealers[0];
    if (!stopper)
        bench_check(-1, "zmq_socket DEALER");
    if (router_groups > 1)
        bench_check(zmq_connect(stopper, endpoint), "zmq_connect %s", endpoint);
    bench_check(bench_send(stopper, "", 0, 0), "zmq_send stop");
    char stopped;
    bench_ctl_read(end->ctl_in, &stopped, 1);
    if (router_groups > 1) {
        bench_close(stopper);
        router_groups_finish(quit, pids);
    } else {
        router_group_close(&one);
    }
    free(pids);

    double secs = (double)(elapsed ? elapsed : 1) / 1e9;
    printf("%s transport=%s size=%zu count=%ld dealers=%ld groups=%ld elapsed_s=%.4f req_s=%.0f mb_s=%.2f\n",
           args->prog, args->transport, args->size, args->count, args->extra, router_groups, secs,
           (double)args->count / secs, 2.0 * (double)args->count * (double)args->size / secs / 1e6);
    return 0;
}

/* Decide how many client processes the DEALERs need, or skip when even the ROUTER's process cannot hold
 * them. Budget per DEALER: its connection and a mailbox (libzmq); the ROUTER's process: one connection
 * each (and in thread mode it holds the DEALERs too). */
static void router_plan(struct bench_args *args)
{
    long n = args->extra, limit = bench_raise_fd_limit() - ROUTER_FD_SPARE;
    int inproc = strcmp(args->transport, "inproc") == 0;
    long per_dealer = inproc ? 1 : 2;
    if (args->use_threads) {
        long need = n * (per_dealer + (inproc ? 0 : 1));
        if (need > limit)
            bench_skip("%ld DEALERs and their ROUTER in one process need about %ld file descriptors; "
                       "the hard limit (ulimit -Hn) allows %ld",
                       n, need + ROUTER_FD_SPARE, limit + ROUTER_FD_SPARE);
    } else {
        if (n > limit)
            bench_skip("a ROUTER with %ld connections needs about %ld file descriptors; the hard limit "
                       "(ulimit -Hn) is %ld",
                       n, n + ROUTER_FD_SPARE, limit + ROUTER_FD_SPARE);
        long per_group = limit / per_dealer;
        router_groups = (n + per_group - 1) / per_group;
    }
    /* Every context may need a socket per DEALER, plus the ROUTER and the stop DEALER. */
    args->max_sockets = (int)(n + 16);
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(
        &args, argc, argv,
        "1 ROUTER echoing to N DEALERs, request/reply rate; count: requests; dealers: N (default 1000)",
        "dealers", 1000);
    if (args.extra < 1 || args.extra > 1000000)
        bench_fail("dealers must be 1..1000000");
    router_plan(&args);
    return bench_run(&args, router_server, router_clients, NULL);
}
