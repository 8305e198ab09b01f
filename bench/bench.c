/* The benchmark harness: arguments, the time limit, and the two ends of a run as processes or threads.
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

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

void bench_check(int rc, const char *what, ...)
{
    if (rc != -1)
        return;
    int err = zmq_errno();
    char buf[256];
    va_list ap;
    va_start(ap, what);
    vsnprintf(buf, sizeof buf, what, ap);
    va_end(ap);
    bench_fail("%s: %s", buf, zmq_strerror(err));
}

static const char *bench_about;

static void bench_usage(const char *prog, const char *extra_name)
{
    fprintf(stderr,
            "%s\n"
            "usage: %s [-t seconds] [-m fork|thread] [-s null|curve] tcp|ipc|inproc size count%s%s%s\n"
            "  size 1..%d bytes; -t: fail after this many seconds (default 60);\n"
            "  -m: the two ends in two processes (default) or two threads with their own contexts\n"
            "  (inproc always uses two threads on one context); -s curve: CURVE instead of NULL\n",
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

/* Benchmark keys, made once with zmq_curve_keypair; only ever used on loopback. */
static const char bench_server_public[] = "S*&h4[f<G4fIeu/-B/Xi.mOi9tTYGhlO*LA*.*YD";
static const char bench_server_secret[] = "KlEUxFW7^&J3ZV-<mXmHo83-}8u(Whp:6ET:()Zn";
static const char bench_client_public[] = "U@PsjiVyr>pMx]hK){=km=O-Wx:2TF6J.H4nVz2}";
static const char bench_client_secret[] = "ZbgFnE#p!PD)Y>vuX.e-9ulgYF-1[?M:I&e-3@@x";

void bench_secure(void *sock, const struct bench_args *args, int server)
{
    int one = 1;
    if (!args->curve)
        return;
    if (server) {
        bench_check(zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one), "ZMQ_CURVE_SERVER");
        bench_check(zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, bench_server_secret, 40), "ZMQ_CURVE_SECRETKEY");
        return;
    }
    bench_check(zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, bench_server_public, 40), "ZMQ_CURVE_SERVERKEY");
    bench_check(zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, bench_client_public, 40), "ZMQ_CURVE_PUBLICKEY");
    bench_check(zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, bench_client_secret, 40), "ZMQ_CURVE_SECRETKEY");
}

void bench_parse(struct bench_args *args, int argc, char **argv, const char *about, const char *extra_name,
                 long extra_default)
{
    bench_about = about;
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    memset(args, 0, sizeof *args);
    args->timeout = 60;
    int opt;
    while ((opt = getopt(argc, argv, "t:m:s:h")) != -1) {
        switch (opt) {
        case 's':
            if (strcmp(optarg, "curve") == 0)
                args->curve = 1;
            else if (strcmp(optarg, "null") != 0)
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

int bench_msg_recv(void *msg, void *socket, int flags)
{
    int rc;
    while ((rc = zmq_msg_recv(msg, socket, flags)) == -1 && zmq_errno() == EINTR)
        ;
    return rc;
}

int bench_msg_send(void *msg, void *socket, int flags)
{
    int rc;
    while ((rc = zmq_msg_send(msg, socket, flags)) == -1 && zmq_errno() == EINTR)
        ;
    return rc;
}

int bench_send(void *socket, const void *buf, size_t len, int flags)
{
    int rc;
    while ((rc = zmq_send(socket, buf, len, flags)) == -1 && zmq_errno() == EINTR)
        ;
    return rc;
}

void bench_close(void *socket)
{
    int linger = 0;
    bench_check(zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger), "setsockopt ZMQ_LINGER");
    bench_check(zmq_close(socket), "zmq_close");
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

static void *bench_new_ctx(void)
{
    void *ctx = zmq_ctx_new();
    if (!ctx)
        bench_check(-1, "zmq_ctx_new");
    return ctx;
}

static void bench_term_ctx(void *ctx)
{
    int rc;
    while ((rc = zmq_ctx_term(ctx)) == -1 && zmq_errno() == EINTR)
        ;
    bench_check(rc, "zmq_ctx_term");
}

struct bench_thread {
    bench_end_fn fn;
    struct bench_end end;
    int own_ctx; /* create and terminate a context of its own */
    int rc;
};

static void *bench_thread_main(void *arg)
{
    struct bench_thread *t = arg;
    if (t->own_ctx)
        t->end.ctx = bench_new_ctx();
    t->rc = t->fn(&t->end);
    if (t->own_ctx)
        bench_term_ctx(t->end.ctx);
    return NULL;
}

static int bench_run_threads(const struct bench_args *args, bench_end_fn parent_fn, bench_end_fn child_fn,
                             void *user, int to_child[2], int to_parent[2])
{
    int shared = strcmp(args->transport, "inproc") == 0;
    void *ctx = shared ? bench_new_ctx() : NULL;
    struct bench_thread parent = {
        .fn = parent_fn,
        .end = {.args = args, .ctx = ctx, .ctl_in = to_parent[0], .ctl_out = to_child[1], .user = user},
        .own_ctx = !shared,
    };
    struct bench_thread child = {
        .fn = child_fn,
        .end = {.args = args, .ctx = ctx, .ctl_in = to_child[0], .ctl_out = to_parent[1], .user = user},
        .own_ctx = !shared,
    };
    pthread_t tid;
    if (pthread_create(&tid, NULL, bench_thread_main, &child) != 0)
        bench_fail("pthread_create");
    bench_thread_main(&parent);
    pthread_join(tid, NULL);
    if (shared)
        bench_term_ctx(ctx);
    return parent.rc || child.rc;
}

static int bench_run_fork(const struct bench_args *args, bench_end_fn parent_fn, bench_end_fn child_fn,
                          void *user, int to_child[2], int to_parent[2])
{
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
        struct bench_end end = {.args = args,
                                .ctx = bench_new_ctx(),
                                .ctl_in = to_child[0],
                                .ctl_out = to_parent[1],
                                .user = user};
        int rc = child_fn(&end);
        bench_term_ctx(end.ctx);
        fflush(stdout);
        fflush(stderr);
        _exit(rc ? 1 : 0);
    }
    bench_child_pid = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(to_child[0]);
    close(to_parent[1]);

    struct bench_end end = {
        .args = args, .ctx = bench_new_ctx(), .ctl_in = to_parent[0], .ctl_out = to_child[1], .user = user};
    int rc = parent_fn(&end);
    bench_term_ctx(end.ctx);

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
    return rc || WEXITSTATUS(status) != 0;
}

int bench_run(const struct bench_args *args, bench_end_fn parent_fn, bench_end_fn child_fn, void *user)
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
    int rc = args->use_threads ? bench_run_threads(args, parent_fn, child_fn, user, to_child, to_parent)
                               : bench_run_fork(args, parent_fn, child_fn, user, to_child, to_parent);
    alarm(0);
    bench_remove_ipc_files();
    fflush(stdout);
    return rc ? 1 : 0;
}
