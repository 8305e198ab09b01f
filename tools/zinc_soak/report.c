/* zinc_soak's reporter: reads the hub's RSS, heap, fds and threads, prints one row per interval while the
 * lanes run, watches every lane for progress, and at the end prints the per-lane table and the verdict.
 * Invariant: the samples array holds every row printed, in order (the memory check reads it). */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SOAK_MAX_SAMPLES 8192

static struct soak_sample samples[SOAK_MAX_SAMPLES];
static int sample_count;

static const char *const pattern_names[PAT_COUNT] = {"reqrep", "pipe", "pair", "router", "pubsub", "proxy",
                                                     "curve"};

int soak_parse_options(int argc, char **argv, struct soak_options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--mem-check") == 0)
            o->mem_check = 1;
        else if (strcmp(a, "--no-mem-check") == 0)
            o->mem_check = 0;
        else if (v && strcmp(a, "--duration") == 0 && ++i)
            o->duration = atoi(v);
        else if (v && strcmp(a, "--interval") == 0 && ++i)
            o->interval = atoi(v);
        else if (v && strcmp(a, "--rate") == 0 && ++i)
            o->rate = atoi(v);
        else if (v && strcmp(a, "--libzmq-peer") == 0 && ++i)
            o->libzmq_peer = v;
        else {
            fprintf(stderr, "usage: zinc_soak [--duration S] [--interval S] [--rate N] [--libzmq-peer PATH] "
                            "[--mem-check|--no-mem-check]\n");
            return -1;
        }
    }
    if (o->duration <= 0 || o->interval <= 0 || o->rate <= 0)
        return -1;
    if (o->mem_check < 0)
        o->mem_check = o->duration >= 300;
    return 0;
}

static long status_field(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            v = atol(line + n + 1);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n - 1;   /* less the one opendir holds */
}

void soak_sample_take(struct soak_sample *s)
{
    struct mallinfo2 mi = mallinfo2();
    s->heap_kb = (long)(mi.uordblks / 1024);
    s->rss_kb = status_field("VmRSS");
    s->threads = (int)status_field("Threads");
    s->fds = count_fds();
}

static unsigned long long lane_sum(struct soak_lane *lanes, int n, size_t offset)
{
    unsigned long long sum = 0;
    for (int i = 0; i < n; i++)
        sum += atomic_load((atomic_ullong *)((char *)&lanes[i] + offset));
    return sum;
}
#define LANE_SUM(field) lane_sum(lanes, n, offsetof(struct soak_lane, field))

static void report_header(void)
{
    printf("%7s %8s %8s %4s %4s %6s %5s |", "t(s)", "rss(kB)", "heap(kB)", "fds", "thr", "kills", "cuts");
    for (int p = 0; p < PAT_COUNT; p++)
        printf(" %7s", pattern_names[p]);
    printf(" | %7s %5s %7s %6s\n", "lost", "late", "retries", "errors");
}

/* A lane that has not moved for SOAK_STALL_NS breaks its promise once per stall. */
static void report_stalls(struct soak_lane *lanes, int n, uint64_t now)
{
    for (int i = 0; i < n; i++) {
        uint64_t last = atomic_load(&lanes[i].last_progress_ns);
        int stalled = now > last + SOAK_STALL_NS;
        if (stalled && !atomic_exchange(&lanes[i].stalled, 1))
            soak_error(&lanes[i], "no progress for %llu s", (unsigned long long)((now - last) / 1000000000ull));
        else if (!stalled)
            atomic_store(&lanes[i].stalled, 0);
    }
}

static void report_row(struct soak_lane *lanes, int n, double t, double dt, unsigned long long *prev)
{
    struct soak_sample s;
    soak_sample_take(&s);
    s.t = t;
    if (sample_count < SOAK_MAX_SAMPLES)
        samples[sample_count++] = s;
    printf("%7.0f %8ld %8ld %4d %4d %6llu %5llu |", t, s.rss_kb, s.heap_kb, s.fds, s.threads, LANE_SUM(restarts),
           LANE_SUM(cuts));
    unsigned long long now_recv[PAT_COUNT] = {0};
    for (int i = 0; i < n; i++)
        now_recv[lanes[i].pattern] += atomic_load(&lanes[i].received);
    for (int p = 0; p < PAT_COUNT; p++) {
        printf(" %7.0f", (double)(now_recv[p] - prev[p]) / dt);
        prev[p] = now_recv[p];
    }
    printf(" | %7llu %5llu %7llu %6llu\n", LANE_SUM(lost), LANE_SUM(late), LANE_SUM(retries), LANE_SUM(errors));
    fflush(stdout);
}

int soak_report_run(const struct soak_options *o, struct soak_lane *lanes, int n, const sigset_t *stop)
{
    printf("zinc_soak: %d lanes, %d s, a row every %d s, %d msg/s per lane, memory check %s\n", n, o->duration,
           o->interval, o->rate, o->mem_check ? "on" : "off");
    report_header();
    uint64_t start = soak_now_ns(), last_row = start, end = start + (uint64_t)o->duration * 1000000000ull;
    unsigned long long prev[PAT_COUNT] = {0};
    for (;;) {
        uint64_t now = soak_now_ns();
        uint64_t next = last_row + (uint64_t)o->interval * 1000000000ull;
        if (next > end)
            next = end;
        if (now < next) {
            uint64_t wait = next - now > 1000000000ull ? 1000000000ull : next - now;
            struct timespec ts = {(time_t)(wait / 1000000000ull), (long)(wait % 1000000000ull)};
            int sig = sigtimedwait(stop, NULL, &ts);
            if (sig > 0) {
                printf("zinc_soak: signal %d, stopping early\n", sig);
                return 0;
            }
            report_stalls(lanes, n, soak_now_ns());
            continue;
        }
        report_row(lanes, n, (double)(now - start) / 1e9, (double)(now - last_row) / 1e9, prev);
        last_row = now;
        if (now >= end)
            return 0;
    }
}

/* Means (and the largest fd count) of the samples with t in [from, to). */
static void window_stats(double from, double to, double *rss, double *heap, int *fds_max)
{
    double r = 0, h = 0;
    int k = 0;
    *fds_max = 0;
    for (int i = 0; i < sample_count; i++)
        if (samples[i].t >= from && samples[i].t < to) {
            r += (double)samples[i].rss_kb;
            h += (double)samples[i].heap_kb;
            if (samples[i].fds > *fds_max)
                *fds_max = samples[i].fds;
            k++;
        }
    *rss = k ? r / k : 0;
    *heap = k ? h / k : 0;
}

static int check(int ok, const char *what)
{
    printf("  %-4s %s\n", ok ? "ok" : "FAIL", what);
    return ok ? 0 : 1;
}

static int memory_checks(const struct soak_options *o)
{
    if (!o->mem_check || sample_count < 8)
        return check(1, "memory flatness not checked (short run or --no-mem-check)");
    double end = samples[sample_count - 1].t + 0.001;
    double warm = end / 10 > 60 ? end / 10 : 60, quarter = (end - warm) / 4;
    double rss0, heap0, rss1, heap1;
    int fds0, fds1;
    window_stats(warm, warm + quarter, &rss0, &heap0, &fds0);
    window_stats(end - quarter, end, &rss1, &heap1, &fds1);
    char what[256];
    int failed = 0;
    snprintf(what, sizeof what, "RSS flat after warm-up: mean %.0f kB in [%.0f s, %.0f s), %.0f kB in the last "
             "quarter (limit +10%% +4 MiB)", rss0, warm, warm + quarter, rss1);
    failed |= check(rss1 <= rss0 * 1.10 + 4096, what);
    snprintf(what, sizeof what, "heap flat after warm-up: mean %.0f kB, then %.0f kB (limit +10%% +2 MiB)", heap0,
             heap1);
    failed |= check(heap1 <= heap0 * 1.10 + 2048, what);
    snprintf(what, sizeof what, "fds do not grow: at most %d after warm-up, at most %d in the last quarter "
             "(limit +4)", fds0, fds1);
    failed |= check(fds1 <= fds0 + 4, what);
    return failed;
}

int soak_report_summary(const struct soak_options *o, struct soak_lane *lanes, int n,
                        const struct soak_sample *before, const struct soak_sample *after)
{
    printf("\n%-20s %9s %9s %6s %5s %7s %6s %5s %5s %6s\n", "lane", "sent", "received", "lost", "late", "retries",
           "kills", "cuts", "pubs", "errors");
    int moved = 1;
    for (int i = 0; i < n; i++) {
        struct soak_lane *l = &lanes[i];
        printf("%-20s %9llu %9llu %6llu %5llu %7llu %6llu %5llu %5llu %6llu\n", l->name, atomic_load(&l->sent),
               atomic_load(&l->received), atomic_load(&l->lost), atomic_load(&l->late), atomic_load(&l->retries),
               atomic_load(&l->restarts), atomic_load(&l->cuts), atomic_load(&l->incarnations),
               atomic_load(&l->errors));
        moved &= atomic_load(&l->received) > 0;
    }
    printf("\nchecks:\n");
    int failed = 0;
    unsigned long long errors = LANE_SUM(errors);
    char what[256];
    snprintf(what, sizeof what, "no promise broken: %llu errors", errors);
    failed |= check(errors == 0, what);
    for (int i = 0; i < n; i++)
        if (lanes[i].first_error[0])
            printf("       %s: %s\n", lanes[i].name, lanes[i].first_error);
    failed |= check(moved, "every lane delivered");
    snprintf(what, sizeof what, "fds after zmq_ctx_term as before zmq_ctx_new: %d, %d", before->fds, after->fds);
    failed |= check(after->fds == before->fds, what);
    snprintf(what, sizeof what, "heap after zmq_ctx_term as before zmq_ctx_new: %ld kB, %ld kB (limit +512 kB)",
             before->heap_kb, after->heap_kb);
    failed |= check(after->heap_kb <= before->heap_kb + 512, what);
    failed |= memory_checks(o);
    printf("zinc_soak: %s\n", failed ? "FAIL" : "PASS");
    return failed;
}
