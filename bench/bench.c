/* The benchmark harness: arguments, the time limit, the two ends of a run as processes or threads, and
 * what the run cost in context switches and CPU time. Uses no ZeroMQ (bench_zmq.c holds that half), so
 * the raw-socket programs share it.
 *
 * A run must never hang: alarm() fires after the time limit in every process, kills the other end and
 * exits 3; a SIGCHLD handler makes the parent fail at once when the child end fails instead of waiting
 * for data that will never come; the child dies with its parent (PR_SET_PDEATHSIG). */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t bench_child_pid;           /* forked child end, 0 when none */
static volatile sig_atomic_t bench_child_reaped; /* set by bench_on_child once it has waited for it */
static volatile int bench_child_status;          /* wait status, valid once reaped */
static char bench_timeout_msg[64];               /* prepared before alarm() so the handler only writes */
static char bench_ipc_paths[8][96];              /* ipc files this process bound, removed at the end */

volatile long bench_progress = -1;

static void bench_write_str(const char *s)
{
    ssize_t rc = write(STDERR_FILENO, s, strlen(s));
    (void)rc;
}

/* Remove the ipc files this process bound. Async-signal-safe: the time limit calls it too. */
static void bench_remove_ipc_files(void)
{
    for (size_t i = 0; i < sizeof bench_ipc_paths / sizeof bench_ipc_paths[0]; i++)
        if (bench_ipc_paths[i][0])
            unlink(bench_ipc_paths[i]);
}

static void bench_on_alarm(int sig)
{
    (void)sig;
    bench_write_str(bench_timeout_msg);
    if (bench_progress >= 0) {
        /* Async-signal-safe formatting of " (progress N)". */
        char digits[24], *p = digits + sizeof digits;
        *--p = '\0';
        long v = bench_progress;
        do
            *--p = (char)('0' + v % 10);
        while ((v /= 10) > 0 && p > digits);
        bench_write_str(" (progress ");
        bench_write_str(p);
        bench_write_str(")");
    }
    bench_write_str("\n");
    bench_remove_ipc_files();
    pid_t child = bench_child_pid;
    bench_child_pid = 0; /* bench_on_child must not report the kill below as the other end's failure */
    if (child > 0)
        kill(child, SIGKILL);
    _exit(3);
}

/* Reap the child end as soon as it exits; if it failed, fail the whole run now. */
static void bench_on_child(int sig)
{
    (void)sig;
    int saved_errno = errno;
    int status;
    if (bench_child_pid > 0 && waitpid(bench_child_pid, &status, WNOHANG) == bench_child_pid) {
        bench_child_status = status;
        bench_child_reaped = 1;
        if (WIFSIGNALED(status)) {
            char msg[] = "error: the other end was killed by signal 00\n";
            char *digits = strstr(msg, "00");
            int signo = WTERMSIG(status) % 100;
            digits[0] = (char)('0' + signo / 10);
            digits[1] = (char)('0' + signo % 10);
            bench_write_str(msg);
            bench_remove_ipc_files();
            _exit(1);
        }
        if (WEXITSTATUS(status) != 0) {
            bench_remove_ipc_files();
            _exit(WEXITSTATUS(status)); /* the child has printed its own error */
        }
    }
    errno = saved_errno;
}

void bench_fail(const char *what, ...)
{
    va_list ap;
    va_start(ap, what);
    fputs("error: ", stderr);
    vfprintf(stderr, what, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    bench_remove_ipc_files();
    /* _exit, not exit: library threads are still running and the forked child must not run the
     * parent's atexit handlers. */
    _exit(1);
}

void bench_skip(const char *why, ...)
{
    va_list ap;
    va_start(ap, why);
    fputs("skip: ", stderr);
    vfprintf(stderr, why, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    _exit(BENCH_EXIT_SKIP);
}

static const char *bench_about;

static void bench_usage(const char *prog, const char *extra_name)
{
    fprintf(stderr,
            "%s\n"
            "usage: %s [-t seconds] [-m fork|thread] [-s null|curve] [-S send|msg] [-w block|poll]\n"
            "       [-p dealer|client] [-P pubsub|radio]\n"
            "       tcp|ipc|inproc size count%s%s%s\n"
            "  size 1..%d bytes; -t: fail after this many seconds (default 60);\n"
            "  -m: the two ends in two processes (default) or two threads with their own contexts\n"
            "  (inproc always uses two threads on one context); -s curve: CURVE instead of NULL;\n"
            "  -S: how the sender sends (thr): zmq_send (default) or zmq_msg_init_size + zmq_msg_send;\n"
            "  -w (raw_lat): block in recv() (default) or poll() on the socket and an eventfd first;\n"
            "  -p (csthr, cslat): DEALER/ROUTER (default) or CLIENT/SERVER (draft API)\n"
            "  -P (fanout): PUB/SUB (default) or RADIO/DISH with one group (draft API; zinc only)\n",
            bench_about, prog, extra_name ? " [" : "", extra_name ? extra_name : "", extra_name ? "]" : "",
            BENCH_MAX_SIZE);
    exit(2);
}

static long bench_parse_long(const char *s, const char *prog, const char *extra_name)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        bench_usage(prog, extra_name);
    return v;
}

void bench_parse(struct bench_args *args, int argc, char **argv, const char *about, const char *extra_name,
                 long extra_default)
{
    bench_about = about;
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    memset(args, 0, sizeof *args);
    args->timeout = 60;
    int opt;
    while ((opt = getopt(argc, argv, "t:m:s:S:w:p:P:h")) != -1) {
        switch (opt) {
        case 'p':
            if (strcmp(optarg, "client") == 0)
                args->client_server = 1;
            else if (strcmp(optarg, "dealer") != 0)
                bench_usage(prog, extra_name);
            break;
        case 'P':
            if (strcmp(optarg, "radio") == 0)
                args->radio_dish = 1;
            else if (strcmp(optarg, "pubsub") != 0)
                bench_usage(prog, extra_name);
            break;
        case 'S':
            if (strcmp(optarg, "msg") == 0)
                args->send_msg = 1;
            else if (strcmp(optarg, "send") != 0)
                bench_usage(prog, extra_name);
            break;
        case 's':
            if (strcmp(optarg, "curve") == 0)
                args->curve = 1;
            else if (strcmp(optarg, "null") != 0)
                bench_usage(prog, extra_name);
            break;
        case 'w':
            if (strcmp(optarg, "poll") == 0)
                args->wait_poll = 1;
            else if (strcmp(optarg, "block") != 0)
                bench_usage(prog, extra_name);
            break;
        case 't':
            args->timeout = (unsigned)bench_parse_long(optarg, prog, extra_name);
            break;
        case 'm':
            if (strcmp(optarg, "thread") == 0)
                args->use_threads = 1;
            else if (strcmp(optarg, "fork") != 0)
                bench_usage(prog, extra_name);
            break;
        default:
            bench_usage(prog, extra_name);
        }
    }
    int nargs = argc - optind;
    if (nargs < 3 || nargs > (extra_name ? 4 : 3))
        bench_usage(prog, extra_name);
    args->transport = argv[optind];
    if (strcmp(args->transport, "tcp") && strcmp(args->transport, "ipc") && strcmp(args->transport, "inproc"))
        bench_usage(prog, extra_name);
    long size = bench_parse_long(argv[optind + 1], prog, extra_name);
    if (size < 1 || size > BENCH_MAX_SIZE)
        bench_usage(prog, extra_name);
    args->size = (size_t)size;
    args->count = bench_parse_long(argv[optind + 2], prog, extra_name);
    if (args->count < 1)
        bench_usage(prog, extra_name);
    args->extra = nargs == 4 ? bench_parse_long(argv[optind + 3], prog, extra_name) : extra_default;
    if (strcmp(args->transport, "inproc") == 0)
        args->use_threads = 1;
    /* The program name without the _zinc/_libzmq suffix: both builds print the same lines. */
    static char name[64];
    snprintf(name, sizeof name, "%s", prog);
    char *suffix = strrchr(name, '_');
    if (suffix && (strcmp(suffix, "_zinc") == 0 || strcmp(suffix, "_libzmq") == 0))
        *suffix = '\0';
    args->prog = name;
}

long bench_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        bench_fail("getrlimit: %s", strerror(errno));
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            bench_fail("setrlimit: %s", strerror(errno));
    }
    return rl.rlim_cur > 1000000 ? 1000000 : (long)rl.rlim_cur;
}

void bench_endpoint(const struct bench_args *args, int index, char *buf, size_t len)
{
    if (strcmp(args->transport, "tcp") == 0) {
        /* Ask the kernel for a free port rather than rely on "tcp://127.0.0.1:*": the benchmark measures
         * speed, not wildcard support. */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t addr_len = sizeof addr;
        if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
            getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0)
            bench_fail("finding a free tcp port: %s", strerror(errno));
        close(fd);
        snprintf(buf, len, "tcp://127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
    } else if (strcmp(args->transport, "ipc") == 0) {
        char path[96];
        snprintf(path, sizeof path, "/tmp/zinc-bench-%d-%d.ipc", (int)getpid(), index);
        unlink(path);
        for (size_t i = 0; i < sizeof bench_ipc_paths / sizeof bench_ipc_paths[0]; i++)
            if (!bench_ipc_paths[i][0]) {
                memcpy(bench_ipc_paths[i], path, sizeof path);
                break;
            }
        snprintf(buf, len, "ipc://%s", path);
    } else {
        snprintf(buf, len, "inproc://bench-%d", index);
    }
}

void bench_ctl_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            bench_fail("control pipe write: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

void bench_ctl_read(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            bench_fail("control pipe: the other end went away");
        if (n < 0)
            bench_fail("control pipe read: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

int bench_ctl_ready(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc < 0 && errno != EINTR)
        bench_fail("poll on control pipe: %s", strerror(errno));
    return rc > 0;
}

void bench_send_endpoint(struct bench_end *end, const char *endpoint)
{
    uint32_t len = (uint32_t)strlen(endpoint);
    bench_ctl_write(end->ctl_out, &len, sizeof len);
    bench_ctl_write(end->ctl_out, endpoint, len);
}

void bench_recv_endpoint(struct bench_end *end, char *buf, size_t len)
{
    uint32_t n;
    bench_ctl_read(end->ctl_in, &n, sizeof n);
    if (n >= len)
        bench_fail("control pipe: endpoint too long");
    bench_ctl_read(end->ctl_in, buf, n);
    buf[n] = '\0';
}

void bench_stamp(void *buf, size_t size, uint64_t seq)
{
    unsigned char *p = buf;
    for (size_t i = 0; i < size && i < 8; i++)
        p[i] = (unsigned char)(seq >> (8 * i));
}

int bench_stamp_ok(const void *data, size_t size, uint64_t seq)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < size && i < 8; i++)
        if (p[i] != (unsigned char)(seq >> (8 * i)))
            return 0;
    return 1;
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- what a run costs: getrusage over each end ------------------------------------------------------ */

struct bench_usage {
    long nvcsw;  /* voluntary context switches (waiting: a blocking read, a futex) */
    long nivcsw; /* involuntary ones (preempted) */
    double cpu_s; /* user + system CPU time */
};

static struct bench_usage bench_usage_of(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (struct bench_usage){
        .nvcsw = ru.ru_nvcsw,
        .nivcsw = ru.ru_nivcsw,
        .cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec / 1e6,
    };
}

/* The whole process: the library's own threads too. */
static struct bench_usage bench_usage_now(void)
{
    return bench_usage_of(RUSAGE_SELF);
}

static struct bench_usage bench_usage_since(struct bench_usage start)
{
    struct bench_usage now = bench_usage_now();
    return (struct bench_usage){.nvcsw = now.nvcsw - start.nvcsw,
                                .nivcsw = now.nivcsw - start.nivcsw,
                                .cpu_s = now.cpu_s - start.cpu_s};
}

static struct bench_usage bench_usage_window; /* this end's window start; see bench_usage_mark */
static struct bench_usage bench_usage_end;    /* its end, once bench_usage_stop has set it */
static int bench_usage_stopped;

void bench_usage_mark(struct bench_end *end)
{
    if (!end->args->use_threads)
        bench_usage_window = bench_usage_now();
}

void bench_usage_stop(struct bench_end *end)
{
    if (end->args->use_threads)
        return;
    bench_usage_end = bench_usage_now();
    bench_usage_stopped = 1;
}

/* The line after the program's result: both ends' cost, in total and per count unit. */
static void bench_usage_print(const struct bench_args *args, struct bench_usage u)
{
    double n = (double)args->count;
    printf("%s usage vcsw=%ld ivcsw=%ld cpu_s=%.3f vcsw_per_msg=%.3f ivcsw_per_msg=%.3f "
           "cpu_us_per_msg=%.3f\n",
           args->prog, u.nvcsw, u.nivcsw, u.cpu_s, (double)u.nvcsw / n, (double)u.nivcsw / n,
           u.cpu_s * 1e6 / n);
}

/* ---- the two ends ------------------------------------------------------------------------------------ */

struct bench_thread {
    bench_end_fn fn;
    struct bench_end end;
    const struct bench_ctx_ops *ctx_ops; /* NULL: no contexts (raw sockets) */
    int own_ctx;                         /* create and terminate a context of its own */
    int rc;
};

static void *bench_thread_main(void *arg)
{
    struct bench_thread *t = arg;
    if (t->own_ctx)
        t->end.ctx = t->ctx_ops->create(t->end.args);
    t->rc = t->fn(&t->end);
    if (t->own_ctx)
        t->ctx_ops->destroy(t->end.ctx);
    return NULL;
}

static int bench_run_threads(const struct bench_args *args, const struct bench_ctx_ops *ops,
                             bench_end_fn parent_fn, bench_end_fn child_fn, void *user, int to_child[2],
                             int to_parent[2])
{
    int shared = strcmp(args->transport, "inproc") == 0;
    void *ctx = shared && ops ? ops->create(args) : NULL;
    struct bench_thread parent = {
        .fn = parent_fn,
        .end = {.args = args, .ctx = ctx, .ctl_in = to_parent[0], .ctl_out = to_child[1], .user = user},
        .ctx_ops = ops,
        .own_ctx = !shared && ops,
    };
    struct bench_thread child = {
        .fn = child_fn,
        .end = {.args = args, .ctx = ctx, .ctl_in = to_child[0], .ctl_out = to_parent[1], .user = user},
        .ctx_ops = ops,
        .own_ctx = !shared && ops,
    };
    /* One process: its usage covers both ends, contexts and all. */
    struct bench_usage start = bench_usage_now();
    pthread_t tid;
    if (pthread_create(&tid, NULL, bench_thread_main, &child) != 0)
        bench_fail("pthread_create");
    bench_thread_main(&parent);
    pthread_join(tid, NULL);
    if (ctx)
        ops->destroy(ctx);
    if (!parent.rc && !child.rc)
        bench_usage_print(args, bench_usage_since(start));
    return parent.rc || child.rc;
}

/* Runs one end in this process: its usage is counted from the start of fn (or bench_usage_mark) to its
 * return (or bench_usage_stop), outside context creation and termination. with_children: add what processes
 * that fn forked and reaped used (router's client groups); only the child end may, the parent end reaps the
 * child end. */
static int bench_run_end(bench_end_fn fn, struct bench_end *end, struct bench_usage *usage, int with_children)
{
    struct bench_usage children = bench_usage_of(RUSAGE_CHILDREN);
    bench_usage_window = bench_usage_now();
    bench_usage_stopped = 0;
    int rc = fn(end);
    struct bench_usage until = bench_usage_stopped ? bench_usage_end : bench_usage_now();
    *usage = (struct bench_usage){.nvcsw = until.nvcsw - bench_usage_window.nvcsw,
                                  .nivcsw = until.nivcsw - bench_usage_window.nivcsw,
                                  .cpu_s = until.cpu_s - bench_usage_window.cpu_s};
    if (with_children) {
        struct bench_usage now = bench_usage_of(RUSAGE_CHILDREN);
        usage->nvcsw += now.nvcsw - children.nvcsw;
        usage->nivcsw += now.nivcsw - children.nivcsw;
        usage->cpu_s += now.cpu_s - children.cpu_s;
    }
    return rc;
}

static int bench_run_fork(const struct bench_args *args, const struct bench_ctx_ops *ops,
                          bench_end_fn parent_fn, bench_end_fn child_fn, void *user, int to_child[2],
                          int to_parent[2])
{
    int usage_pipe[2]; /* the child end's usage, written once as it finishes */
    if (pipe(usage_pipe) != 0)
        bench_fail("pipe: %s", strerror(errno));
    /* SIGCHLD stays blocked until bench_child_pid is set, so the handler always knows whom to reap. */
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    struct sigaction sa = {.sa_handler = bench_on_child, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);

    fflush(stdout);
    fflush(stderr);
    pid_t parent_pid = getpid();
    pid_t pid = fork();
    if (pid < 0)
        bench_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent_pid)
            _exit(1);
        alarm(args->timeout); /* pending alarms are not inherited */
        close(to_child[1]);
        close(to_parent[0]);
        close(usage_pipe[0]);
        struct bench_end end = {.args = args,
                                .ctx = ops ? ops->create(args) : NULL,
                                .ctl_in = to_child[0],
                                .ctl_out = to_parent[1],
                                .user = user};
        struct bench_usage usage;
        int rc = bench_run_end(child_fn, &end, &usage, 1);
        if (ops)
            ops->destroy(end.ctx);
        bench_ctl_write(usage_pipe[1], &usage, sizeof usage);
        fflush(stdout);
        fflush(stderr);
        _exit(rc ? 1 : 0);
    }
    bench_child_pid = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(to_child[0]);
    close(to_parent[1]);
    close(usage_pipe[1]);

    struct bench_end end = {.args = args,
                            .ctx = ops ? ops->create(args) : NULL,
                            .ctl_in = to_parent[0],
                            .ctl_out = to_child[1],
                            .user = user};
    struct bench_usage usage, child_usage;
    int rc = bench_run_end(parent_fn, &end, &usage, 0);
    if (ops)
        ops->destroy(end.ctx);

    sigprocmask(SIG_BLOCK, &chld, NULL);
    int status = bench_child_status;
    if (!bench_child_reaped) {
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR)
                bench_fail("waitpid: %s", strerror(errno));
    }
    bench_child_pid = 0;
    if (WIFSIGNALED(status))
        bench_fail("the other end was killed by signal %d (%s)", WTERMSIG(status),
                   strsignal(WTERMSIG(status)));
    rc = rc || WEXITSTATUS(status) != 0;
    if (!rc && read(usage_pipe[0], &child_usage, sizeof child_usage) == (ssize_t)sizeof child_usage) {
        usage.nvcsw += child_usage.nvcsw;
        usage.nivcsw += child_usage.nivcsw;
        usage.cpu_s += child_usage.cpu_s;
        bench_usage_print(args, usage);
    }
    close(usage_pipe[0]);
    return rc;
}

int bench_run_ends(const struct bench_args *args, const struct bench_ctx_ops *ctx_ops, bench_end_fn parent_fn,
                   bench_end_fn child_fn, void *user)
{
    snprintf(bench_timeout_msg, sizeof bench_timeout_msg, "error: timeout after %u s", args->timeout);
    struct sigaction sa = {.sa_handler = bench_on_alarm};
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGCHLD);
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    alarm(args->timeout);

    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0)
        bench_fail("pipe: %s", strerror(errno));
    int rc = args->use_threads
                 ? bench_run_threads(args, ctx_ops, parent_fn, child_fn, user, to_child, to_parent)
                 : bench_run_fork(args, ctx_ops, parent_fn, child_fn, user, to_child, to_parent);
    alarm(0);
    bench_remove_ipc_files();
    fflush(stdout);
    return rc ? 1 : 0;
}

/* ---- latency samples --------------------------------------------------------------------------------- */

long bench_latency_warmup(const struct bench_args *args)
{
    long w = args->count / 10;
    return w < 10 ? 10 : w > 1000 ? 1000 : w;
}

static int bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void bench_latency_report(const struct bench_args *args, uint64_t *samples)
{
    size_t n = (size_t)args->count;
    qsort(samples, n, sizeof *samples, bench_cmp_u64);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)samples[i];
    double median =
        n % 2 ? (double)samples[n / 2] : ((double)samples[n / 2 - 1] + (double)samples[n / 2]) / 2;
    size_t p99 = (size_t)((double)(n - 1) * 0.99 + 0.5);
    printf("%s transport=%s size=%zu count=%ld median_us=%.2f p99_us=%.2f mean_us=%.2f min_us=%.2f "
           "max_us=%.2f\n",
           args->prog, args->transport, args->size, args->count, median / 1e3, (double)samples[p99] / 1e3,
           sum / (double)n / 1e3, (double)samples[0] / 1e3, (double)samples[n - 1] / 1e3);
}
