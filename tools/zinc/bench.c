/* bench.c: `zinc bench thr|lat|local`, throughput and latency between two zinc processes, against any
 * running peer, or both ends in one process (local) over inproc, ipc and tcp. Each run prints a live
 * progress line on stderr (about 4 times a second, only when stderr is a terminal) and ends with a summary
 * table on stdout: msg/s, MB/s, and one-way latency (half the round trip) median/p90/p99.
 *
 *   thr: PULL (default) counts --count messages and times them from the first; with --send, PUSH sends
 *        --count messages of --size bytes. --type swaps the socket type (e.g. sub / pub).
 *   lat: REQ (default) does --count round trips and measures each; with --echo, REP sends back what
 *        it gets, --count times.
 *   local: thr then lat for each --transport, the peer end in a second thread of the same process. */
#include "commands.h"
#include "common.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#define BENCH_TICK_MS 250           /* progress period, and the slice every blocking call waits */
#define BENCH_IDLE_MS 10000         /* default --timeout: no progress for this long = give up */
#define BENCH_CHECK_EVERY 256       /* thr: messages between clock reads */

enum bench_mode { MODE_THR, MODE_LAT, MODE_LOCAL };

struct bench_opts {
    enum bench_mode mode;
    int active;                /* thr --send / lat (the measuring end) vs thr receiver / lat --echo */
    int type;                  /* socket type, -1 = the mode's default */
    long long size;            /* message size, bytes */
    long long count;           /* messages (thr) or round trips (lat) */
    long long lat_count;       /* local: round trips */
    long long timeout_ms;      /* idle bound */
    int timeout_given;         /* an explicit --timeout also bounds the wait for the first message */
    int quiet;                 /* no progress line (local: the peer thread's end) */
    int saw_send, saw_echo;    /* --send / --echo were given */
    const char *transports;    /* local: comma-separated list */
    zinc_config cfg;
};

/* One row of the summary table. */
struct bench_result {
    char test[16];
    char transport[16];
    long long size;            /* average message size seen */
    long long count;           /* messages or round trips done */
    double seconds;
    int64_t *rtt_ns;           /* lat: one sample per round trip, sorted at the end; owned */
    int ok;
};

struct progress {
    int enabled;               /* stderr is a terminal */
    const char *label;
    long long total;
    int64_t start_ns, next_ns;
};

/* ---- clock, progress, statistics ---------------------------------------------------------------------- */

static int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void progress_start(struct progress *p, const struct bench_opts *o, const char *label, long long total)
{
    p->enabled = !o->quiet && isatty(2);
    p->label = label;
    p->total = total;
    p->start_ns = bench_now_ns();
    p->next_ns = p->start_ns + BENCH_TICK_MS * 1000000LL;
}

static void progress_update(struct progress *p, long long done, int64_t now)
{
    if (!p->enabled || now < p->next_ns)
        return;
    p->next_ns = now + BENCH_TICK_MS * 1000000LL;
    double s = (double)(now - p->start_ns) / 1e9;
    fprintf(stderr, "\r  %s: %lld/%lld  %.0f/s   ", p->label, done, p->total, s > 0 ? (double)done / s : 0.0);
    fflush(stderr);
}

static void progress_end(const struct progress *p)
{
    if (p->enabled)
        fprintf(stderr, "\r%70s\r", "");
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of n sorted samples, as one-way microseconds (half the round trip). */
static double bench_quantile_us(const int64_t *sorted, long long n, double q)
{
    long long k = (long long)(q * (double)(n - 1) + 0.5);
    return (double)sorted[k] / 2000.0;
}

/* ---- the summary table ------------------------------------------------------------------------------- */

static void bench_table_header(void)
{
    printf("%-9s %-9s %7s %9s %8s %11s %9s %10s %8s %8s\n", "test", "transport", "size", "count", "seconds",
           "msg/s", "MB/s", "median_us", "p90_us", "p99_us");
}

static void bench_table_row(struct bench_result *r)
{
    double rate = r->seconds > 0 ? (double)r->count / r->seconds : 0;
    printf("%-9s %-9s %7lld %9lld %8.3f ", r->test, r->transport, r->size, r->count, r->seconds);
    if (r->rtt_ns && r->count > 0) {
        qsort(r->rtt_ns, (size_t)r->count, sizeof *r->rtt_ns, compare_i64);
        printf("%11.0f %9s %10.1f %8.1f %8.1f", rate, "-", bench_quantile_us(r->rtt_ns, r->count, 0.5),
               bench_quantile_us(r->rtt_ns, r->count, 0.9), bench_quantile_us(r->rtt_ns, r->count, 0.99));
    } else if (strncmp(r->test, "lat", 3) == 0) {
        printf("%11.0f %9s %10s %8s %8s", rate, "-", "-", "-", "-");   /* round trips/s; no samples here */
    } else {
        printf("%11.0f %9.1f %10s %8s %8s", rate, rate * (double)r->size / 1e6, "-", "-", "-");
    }
    printf("%s\n", r->ok ? "" : "  (incomplete)");
    fflush(stdout);
}

/* ---- the measuring loops ----------------------------------------------------------------------------- */

/* How long to wait now: the first message may wait forever unless --timeout was given. */
static long long bench_wait_limit(const struct bench_opts *o, int started)
{
    return started || o->timeout_given ? o->timeout_ms : -1;
}

/* Progress watch for --timeout: no new message for limit_ms (< 0: never) since the count last changed. */
struct idle {
    long long n_seen;
    int64_t since;
};

static void idle_start(struct idle *w)
{
    w->n_seen = 0;
    w->since = bench_now_ns();
}

static int idle_expired(struct idle *w, long long n, long long limit_ms)
{
    int64_t now = bench_now_ns();
    if (n != w->n_seen) {
        w->n_seen = n;
        w->since = now;
        return 0;
    }
    return limit_ms >= 0 && now - w->since > limit_ms * 1000000LL;
}

/* Receives `count` whole messages; times them from the first. */
static void bench_thr_recv(const struct bench_opts *o, void *sock, struct bench_result *r)
{
    struct progress p;
    progress_start(&p, o, "receiving", o->count);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    long long bytes = 0, n = 0;
    int64_t first = 0, last = 0;
    struct idle idle;
    idle_start(&idle);
    while (n < o->count && !zinc_interrupted) {
        if (zmq_msg_recv(&msg, sock, 0) < 0) {
            if ((errno != EAGAIN && errno != EINTR) || idle_expired(&idle, n, bench_wait_limit(o, n > 0)))
                break;
            progress_update(&p, n, bench_now_ns());
            continue;
        }
        bytes += (long long)zmq_msg_size(&msg);
        if (zmq_msg_more(&msg))
            continue;
        if (n++ == 0)
            first = bench_now_ns();
        if (n % BENCH_CHECK_EVERY == 0 || n == o->count) {
            last = bench_now_ns();
            progress_update(&p, n, last);
        }
    }
    zmq_msg_close(&msg);
    progress_end(&p);
    r->count = n;
    r->size = n ? bytes / n : 0;
    r->seconds = n > 1 ? (double)(last - first) / 1e9 : 0;
    r->ok = n == o->count;
}

/* Sends `count` messages of `size` bytes, as fast as the socket takes them. */
static void bench_thr_send(const struct bench_opts *o, void *sock, struct bench_result *r)
{
    struct progress p;
    progress_start(&p, o, "sending", o->count);
    void *buf = calloc(1, (size_t)o->size + 1);
    long long n = 0;
    int64_t start = bench_now_ns();
    struct idle idle;
    idle_start(&idle);
    while (buf && n < o->count && !zinc_interrupted) {
        if (zmq_send(sock, buf, (size_t)o->size, 0) < 0) {
            if ((errno != EAGAIN && errno != EINTR) || idle_expired(&idle, n, bench_wait_limit(o, n > 0)))
                break;
            progress_update(&p, n, bench_now_ns());
            continue;
        }
        if (++n % BENCH_CHECK_EVERY == 0)
            progress_update(&p, n, bench_now_ns());
    }
    free(buf);
    progress_end(&p);
    r->count = n;
    r->size = o->size;
    r->seconds = (double)(bench_now_ns() - start) / 1e9;
    r->ok = n == o->count;
}

/* One round trip: send, then receive the whole reply. 0, or -1 on timeout/error. */
static int bench_round_trip(const struct bench_opts *o, void *sock, const void *buf, zmq_msg_t *reply)
{
    if (zmq_send(sock, buf, (size_t)o->size, 0) < 0)
        return -1;
    int64_t deadline = bench_now_ns() + o->timeout_ms * 1000000LL;
    for (;;) {
        if (zmq_msg_recv(reply, sock, 0) >= 0) {
            if (!zmq_msg_more(reply))
                return 0;
            continue;
        }
        if ((errno != EAGAIN && errno != EINTR) || zinc_interrupted || bench_now_ns() > deadline)
            return -1;
    }
}

/* REQ side: `count` round trips, each timed. */
static void bench_lat_client(const struct bench_opts *o, long long count, void *sock, struct bench_result *r)
{
    struct progress p;
    progress_start(&p, o, "round trips", count);
    r->rtt_ns = malloc(sizeof *r->rtt_ns * (size_t)(count > 0 ? count : 1));
    void *buf = calloc(1, (size_t)o->size + 1);
    zmq_msg_t reply;
    zmq_msg_init(&reply);
    long long n = 0;
    int64_t start = bench_now_ns();
    while (r->rtt_ns && buf && n < count && !zinc_interrupted) {
        int64_t t0 = bench_now_ns();
        if (bench_round_trip(o, sock, buf, &reply) < 0)
            break;
        int64_t t1 = bench_now_ns();
        r->rtt_ns[n++] = t1 - t0;
        progress_update(&p, n, t1);
    }
    zmq_msg_close(&reply);
    free(buf);
    progress_end(&p);
    r->count = n;
    r->size = o->size;
    r->seconds = (double)(bench_now_ns() - start) / 1e9;
    r->ok = n == count;
}

/* REP side: sends back each message, `count` times. */
static void bench_lat_echo(const struct bench_opts *o, long long count, void *sock, struct bench_result *r)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    long long n = 0;
    int64_t start = bench_now_ns();
    struct idle idle;
    idle_start(&idle);
    while (n < count && !zinc_interrupted) {
        if (zmq_msg_recv(&msg, sock, 0) < 0) {
            if ((errno != EAGAIN && errno != EINTR) || idle_expired(&idle, n, bench_wait_limit(o, n > 0)))
                break;
            continue;
        }
        int more = zmq_msg_more(&msg);
        if (zmq_msg_send(&msg, sock, more ? ZMQ_SNDMORE : 0) < 0)
            break;
        if (!more)
            n++;
    }
    zmq_msg_close(&msg);
    r->count = n;
    r->size = o->size;
    r->seconds = (double)(bench_now_ns() - start) / 1e9;
    r->ok = n == count;
}

/* ---- sockets --------------------------------------------------------------------------------------------- */

/* A socket whose blocking calls return every BENCH_TICK_MS, so progress, signals and timeouts are seen. */
static void *bench_socket(void *ctx, int type, const struct bench_opts *o)
{
    void *s = zmq_socket(ctx, type);
    if (!s) {
        zinc_error_zmq("bench", "zmq_socket");
        return NULL;
    }
    int tick = BENCH_TICK_MS, linger = (int)o->timeout_ms;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &tick, sizeof tick);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &tick, sizeof tick);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (type == ZMQ_SUB)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    return s;
}

/* "tcp" from "tcp://..." */
static void bench_transport_of(const char *endpoint, char *out, size_t cap)
{
    const char *sep = strstr(endpoint, "://");
    size_t n = sep ? (size_t)(sep - endpoint) : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, endpoint, n);
    out[n] = '\0';
}

/* thr or lat between processes: one socket, the user's endpoints and options. */
static int bench_remote(const struct bench_opts *o)
{
    int type = o->type;
    if (type < 0 && o->mode == MODE_THR)
        type = o->active ? ZMQ_PUSH : ZMQ_PULL;
    if (type < 0)
        type = o->active ? ZMQ_REQ : ZMQ_REP;
    struct bench_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.test, sizeof r.test, "%s", o->mode == MODE_THR ? (o->active ? "thr-send" : "thr-recv")
                                                                : (o->active ? "lat" : "lat-echo"));
    bench_transport_of(o->cfg.endpoints[0].address, r.transport, sizeof r.transport);
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? bench_socket(ctx, type, o) : NULL;
    int status = ZINC_EXIT_FAIL;
    if (!sock || zinc_config_apply(&o->cfg, sock) < 0)
        goto out;
    if (o->mode == MODE_THR)
        (o->active ? bench_thr_send : bench_thr_recv)(o, sock, &r);
    else if (o->active)
        bench_lat_client(o, o->count, sock, &r);
    else
        bench_lat_echo(o, o->count, sock, &r);
    bench_table_header();
    bench_table_row(&r);
    if (!r.ok)
        zinc_error("bench", "%s after %lld of %lld (peer gone or --timeout %lld ms without progress)",
                   zinc_interrupted ? "interrupted" : "stopped", r.count, o->count, o->timeout_ms);
    status = r.ok ? ZINC_EXIT_OK : ZINC_EXIT_FAIL;
out:
    free(r.rtt_ns);
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    return status;
}

/* ---- local: both ends in one process ------------------------------------------------------------------- */

struct local_peer {
    const struct bench_opts *opt;
    void *sock;                 /* owned by the thread while it runs */
    int lat;                    /* 1: echo, 0: thr sender */
    struct bench_result result;
};

static void *local_peer_main(void *arg)
{
    struct local_peer *p = arg;
    if (p->lat)
        bench_lat_echo(p->opt, p->opt->lat_count, p->sock, &p->result);
    else
        bench_thr_send(p->opt, p->sock, &p->result);
    return NULL;
}

/* Binds `bound` to a fresh endpoint of transport and connects `other` to it; 0 or -1. */
static int local_link(const char *transport, int seq, void *bound, void *other)
{
    char ep[256];
    if (strcmp(transport, "tcp") == 0)
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:*");
    else if (strcmp(transport, "ipc") == 0)
        snprintf(ep, sizeof ep, "ipc:///tmp/zinc-bench-%ld-%d.sock", (long)getpid(), seq);
    else
        snprintf(ep, sizeof ep, "inproc://zinc-bench-%d", seq);
    size_t len = sizeof ep;
    if (zmq_bind(bound, ep) < 0 || zmq_getsockopt(bound, ZMQ_LAST_ENDPOINT, ep, &len) < 0) {
        zinc_error_zmq("bench", ep);
        return -1;
    }
    if (zmq_connect(other, ep) < 0) {
        zinc_error_zmq("bench", ep);
        return -1;
    }
    return 0;
}

/* One measurement in one process: `mine` measures in this thread, the peer runs in another. */
static int local_run_one(void *ctx, const struct bench_opts *o, const char *transport, int lat, int seq)
{
    struct bench_opts peer_opt = *o;
    peer_opt.quiet = 1;
    struct local_peer peer = {.opt = &peer_opt, .lat = lat};
    struct bench_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.test, sizeof r.test, "%s", lat ? "lat" : "thr");
    snprintf(r.transport, sizeof r.transport, "%s", transport);
    void *mine = bench_socket(ctx, lat ? ZMQ_REQ : ZMQ_PULL, o);
    peer.sock = bench_socket(ctx, lat ? ZMQ_REP : ZMQ_PUSH, o);
    pthread_t thread;
    int ok = 0;
    if (mine && peer.sock && local_link(transport, seq, mine, peer.sock) == 0 &&
        pthread_create(&thread, NULL, local_peer_main, &peer) == 0) {
        if (lat)
            bench_lat_client(o, o->lat_count, mine, &r);
        else
            bench_thr_recv(o, mine, &r);
        pthread_join(thread, NULL);
        bench_table_row(&r);
        ok = r.ok && peer.result.ok;
    }
    free(r.rtt_ns);
    if (mine)
        zmq_close(mine);
    if (peer.sock)
        zmq_close(peer.sock);
    return ok ? 0 : -1;
}

static int local_transport_ok(const char *t)
{
    return strcmp(t, "inproc") == 0 || strcmp(t, "ipc") == 0 || strcmp(t, "tcp") == 0;
}

static int bench_local(const struct bench_opts *given)
{
    struct bench_opts local = *given;
    local.timeout_given = 1;   /* neither thread may wait forever for the other */
    const struct bench_opts *o = &local;
    char list[64];
    snprintf(list, sizeof list, "%s", o->transports);
    void *ctx = zmq_ctx_new();
    if (!ctx) {
        zinc_error_zmq("bench", "zmq_ctx_new");
        return ZINC_EXIT_FAIL;
    }
    int failed = 0, seq = 0;
    bench_table_header();
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t && !zinc_interrupted; t = strtok_r(NULL, ",", &save)) {
        if (local_run_one(ctx, o, t, 0, seq++) < 0 || local_run_one(ctx, o, t, 1, seq++) < 0)
            failed = 1;
    }
    zmq_ctx_term(ctx);
    if (failed)
        zinc_error("bench", "a measurement did not complete (see the table)");
    return failed ? ZINC_EXIT_FAIL : ZINC_EXIT_OK;
}

/* ---- the command line ----------------------------------------------------------------------------------- */

static void bench_usage(FILE *out)
{
    fputs("Usage: zinc bench thr   [--send] (--bind|--connect ENDPOINT) [--size N] [--count N] [OPTIONS]\n"
          "       zinc bench lat   [--echo] (--bind|--connect ENDPOINT) [--size N] [--count N] [OPTIONS]\n"
          "       zinc bench local [--transport inproc,ipc,tcp] [--size N] [--count N] [--lat-count N]\n"
          "Throughput (thr) and latency (lat) between two processes or against a running peer; local runs\n"
          "both ends in one process. A summary table ends each run: msg/s, MB/s, and one-way latency (half\n"
          "the round trip) median/p90/p99 in microseconds. A progress line shows on stderr when it is a\n"
          "terminal.\n\n"
          "  thr              PULL receiving --count messages (timed from the first); with --send, PUSH\n"
          "                   sending --count messages of --size bytes\n"
          "  lat              REQ timing --count round trips; with --echo, REP answering --count of them\n"
          "  --type TYPE      another socket type for thr (e.g. sub on the receiver, pub with --send)\n"
          "  --size N         message size in bytes (default 64)\n"
          "  --count N        messages (thr, default 1000000; local 100000) or round trips (lat, 10000)\n"
          "  --lat-count N    local: round trips (default 10000)\n"
          "  --transport LIST local: any of inproc, ipc, tcp, comma-separated (default all three)\n"
          "  --timeout MS     give up after MS without progress (default 10000); given explicitly, it also\n"
          "                   bounds the wait for the first message (otherwise unbounded)\n"
          "  -h, --help       this help\n\n"
          "Example: zinc bench thr --bind tcp://*:5555 --count 1000000 &\n"
          "         zinc bench thr --send --connect tcp://localhost:5555 --count 1000000\n\n",
          out);
    zinc_config_help(out);
    fputs("\nExit status: 0 all measured, 1 incomplete (timeout, peer gone, interrupted), 2 usage error.\n", out);
}

static int bench_parse_number(const char *flag, int argc, char **argv, int *i, long long min, long long *out)
{
    const char *v = zinc_flag_value("bench", argc, argv, i, "1000");
    return v && zinc_parse_ll("bench", flag, v, min, INT32_MAX, out) == 0 ? 1 : -1;
}

/* A bench flag at argv[*i]: 1 consumed, 0 not ours, -1 usage error. */
static int bench_parse_flag(struct bench_opts *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *v;
    if (strcmp(arg, "--send") == 0)
        return o->saw_send = 1, 1;
    if (strcmp(arg, "--echo") == 0)
        return o->saw_echo = 1, 1;
    if (zinc_flag_is(arg, "--size"))
        return bench_parse_number("--size", argc, argv, i, 0, &o->size);
    if (zinc_flag_is(arg, "--count") || zinc_flag_is(arg, "-n"))
        return bench_parse_number("--count", argc, argv, i, 1, &o->count);
    if (zinc_flag_is(arg, "--lat-count"))
        return bench_parse_number("--lat-count", argc, argv, i, 1, &o->lat_count);
    if (zinc_flag_is(arg, "--timeout"))
        return (o->timeout_given = 1), bench_parse_number("--timeout", argc, argv, i, 1, &o->timeout_ms);
    if (zinc_flag_is(arg, "--transport")) {
        if (!(o->transports = zinc_flag_value("bench", argc, argv, i, "inproc,tcp")))
            return -1;
        return 1;
    }
    if (zinc_flag_is(arg, "--type") || zinc_flag_is(arg, "-t")) {
        if (!(v = zinc_flag_value("bench", argc, argv, i, "pub")))
            return -1;
        if ((o->type = zinc_socket_type(v)) < 0)
            return zinc_usage("bench", "--type %s: no such socket type (push, pull, pub, sub, ...)", v);
        return 1;
    }
    return 0;
}

/* Usage checks once every flag is read; 0 or -1. */
static int bench_check(struct bench_opts *o)
{
    if (o->saw_send && o->mode != MODE_THR)
        return zinc_usage("bench", "--send is for thr (lat's measuring end is the default; --echo answers)");
    if (o->saw_echo && o->mode != MODE_LAT)
        return zinc_usage("bench", "--echo is for lat (thr's receiving end is the default; --send sends)");
    o->active = o->mode == MODE_THR ? o->saw_send : !o->saw_echo;
    if (o->mode == MODE_LOCAL) {
        char list[64];
        if (strlen(o->transports) >= sizeof list)
            return zinc_usage("bench", "--transport %s: too long", o->transports);
        snprintf(list, sizeof list, "%s", o->transports);
        for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (!local_transport_ok(t))
                return zinc_usage("bench", "--transport: '%s' is not inproc, ipc or tcp", t);
        if (zinc_config_has_endpoints(&o->cfg))
            return zinc_usage("bench", "local makes its own endpoints: drop --bind/--connect");
        return 0;
    }
    if (!zinc_config_has_endpoints(&o->cfg))
        return zinc_usage("bench", "%s needs --bind or --connect (e.g. --bind tcp://*:5555)",
                          o->mode == MODE_THR ? "thr" : "lat");
    if (o->mode == MODE_LAT && o->type >= 0)
        return zinc_usage("bench", "lat is REQ/REP: drop --type");
    return zinc_config_check(&o->cfg);
}

/* Returns 0, 1 for --help, -1 after a usage error. */
static int bench_parse(struct bench_opts *o, int argc, char **argv)
{
    if (argc < 2 || zinc_is_help(argv[1]))
        return argc < 2 ? zinc_usage("bench", "missing the mode: thr, lat or local") : 1;
    const char *mode = argv[1];
    if (strcmp(mode, "thr") == 0)
        o->mode = MODE_THR;
    else if (strcmp(mode, "lat") == 0)
        o->mode = MODE_LAT;
    else if (strcmp(mode, "local") == 0)
        o->mode = MODE_LOCAL;
    else
        return zinc_usage("bench", "%s: the mode is thr, lat or local", mode);
    for (int i = 2; i < argc; i++) {
        if (zinc_is_help(argv[i]))
            return 1;
        int rc = bench_parse_flag(o, argc, argv, &i);
        if (rc == 0)
            rc = zinc_config_parse(&o->cfg, argc, argv, &i);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return zinc_usage("bench", "%s: unknown %s", argv[i], argv[i][0] == '-' ? "option" : "argument");
    }
    if (o->count == 0)
        o->count = o->mode == MODE_LAT ? 10000 : o->mode == MODE_LOCAL ? 100000 : 1000000;
    return bench_check(o);
}

int zinc_cmd_bench(int argc, char **argv)
{
    struct bench_opts o;
    memset(&o, 0, sizeof o);
    o.type = -1;
    o.size = 64;
    o.lat_count = 10000;
    o.timeout_ms = BENCH_IDLE_MS;
    o.transports = "inproc,ipc,tcp";
    if (zinc_config_init(&o.cfg, "bench", argc) < 0)
        return ZINC_EXIT_FAIL;
    int rc = bench_parse(&o, argc, argv);
    if (rc == 1)
        bench_usage(stdout);
    int status = rc == 1 ? ZINC_EXIT_OK : ZINC_EXIT_USAGE;
    if (rc == 0) {
        zinc_signals_install();
        status = o.mode == MODE_LOCAL ? bench_local(&o) : bench_remote(&o);
    }
    zinc_config_free(&o.cfg);
    return status;
}
