/* Heap per idle tcp connection: a ROUTER binds, count raw ZMTP 3.0 peers (NULL mechanism, DEALER) connect
 * from plain sockets, each sends one message (received, so every connection is complete), then all sit
 * idle. The heap in use (glibc mallinfo2: all arenas, mmapped chunks included) is measured before and with
 * them; the peers are plain sockets, so the difference is what the library spends per accepted peer.
 * Built against zinc and libzmq like every bench program; issue 8's target is zinc at most half of libzmq.
 * The peers live in a child process forked before the context exists, so this process holds only the
 * accepted ends (10,000 peers in one process would need 20,000 fds, the usual hard limit).
 * Prints: idle transport=tcp size=.. count=.. heap_before=.. heap_with=.. bytes_per_conn=.. heap_after=..
 * (size is unused; count is capped by RLIMIT_NOFILE, raised to its hard limit first). */
#include "bench.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define IDLE_GREETING 64

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static long fds_allow(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        bench_fail("getrlimit");
    long fit = rl.rlim_cur > 64 ? (long)(rl.rlim_cur - 64) : 0;
    return want < fit ? want : fit;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            bench_fail("send to the bound socket");
        p += w;
        n -= (size_t)w;
    }
}

static void read_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            bench_fail("read the bound socket's greeting");
        p += r;
        n -= (size_t)r;
    }
}

static int peer_start(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        bench_fail("connect to 127.0.0.1:%d", port);
    uint8_t greeting[IDLE_GREETING] = {0xff, [9] = 0x7f, [10] = 3, [11] = 0, [12] = 'N', 'U', 'L', 'L'};
    write_all(fd, greeting, sizeof greeting);
    return fd;
}

/* After the bound socket's greeting (libzmq reads on only once its own went out): READY and a message. */
static void peer_finish(int fd)
{
    static const uint8_t rest[] = {0x04, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S', 'o', 'c', 'k', 'e', 't',
                                   '-',  'T', 'y', 'p', 'e', 0,   0,   0,   6,   'D', 'E', 'A', 'L', 'E', 'R',
                                   0x00, 1,   'x'};
    uint8_t greeting[IDLE_GREETING];
    read_all(fd, greeting, sizeof greeting);
    write_all(fd, rest, sizeof rest);
}

/* The peers' process: reads the port from `in`, opens n peers, writes 'r' to `out` once each sent its
 * message, and holds them until `in` reaches end of file; its exit closes them all. */
static void peer_holder(long n, int in, int out)
{
    int port;
    int *fds = malloc((size_t)n * sizeof *fds);
    if (!fds || read(in, &port, sizeof port) != (ssize_t)sizeof port)
        _exit(3);
    for (long i = 0; i < n; i++)
        fds[i] = peer_start(port);
    for (long i = 0; i < n; i++)
        peer_finish(fds[i]);
    char c = 'r';
    if (write(out, &c, 1) != 1)
        _exit(3);
    while (read(in, &c, 1) > 0) {
    }
    _exit(0);
}

static void receive_one(void *router)
{
    char buf[64];
    if (zmq_recv(router, buf, sizeof buf, 0) < 0 || zmq_recv(router, buf, sizeof buf, 0) != 1)
        bench_fail("a peer's message did not arrive");
}

int main(int argc, char **argv)
{
    struct bench_args args;
    bench_parse(&args, argc, argv, "heap per idle tcp connection; count: connections", NULL, -1);
    if (strcmp(args.transport, "tcp") != 0)
        bench_fail("idle measures tcp only");
    alarm(args.timeout);   /* SIGALRM's default action ends a run that hangs */
    long n = fds_allow(args.count);
    if (n < 1)
        bench_fail("no room for %ld connections", args.count);
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0)
        bench_fail("pipe");
    pid_t child = fork();   /* before the context: a fork copies only the calling thread */
    if (child < 0)
        bench_fail("fork");
    if (child == 0) {
        close(down[1]);
        close(up[0]);
        peer_holder(n, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);

    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    int backlog = (int)n, linger = 0, timeout = 10000;
    zmq_setsockopt(router, ZMQ_BACKLOG, &backlog, sizeof backlog);
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(router, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    bench_check(zmq_bind(router, "tcp://127.0.0.1:*"), "zmq_bind");
    char ep[256];
    size_t len = sizeof ep;
    bench_check(zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len), "ZMQ_LAST_ENDPOINT");
    int port = atoi(strrchr(ep, ':') + 1);

    int warm = peer_start(port);   /* one-time allocations are not counted */
    peer_finish(warm);
    receive_one(router);
    close(warm);
    usleep(100000);
    size_t before = heap_in_use();

    char ready = 0;
    if (write(down[1], &port, sizeof port) != (ssize_t)sizeof port || read(up[0], &ready, 1) != 1 ||
        ready != 'r')
        bench_fail("the peers' process did not open its %ld connections", n);
    for (long i = 0; i < n; i++)
        receive_one(router);
    usleep(200000);
    size_t with = heap_in_use();

    close(down[1]);   /* the peers' process exits and every peer closes */
    close(up[0]);
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_fail("the peers' process failed");
    size_t after = heap_in_use();
    for (int i = 0; i < 200 && after > before + before / 10 + (size_t)n * 512; i++, after = heap_in_use()) {
        int events;
        size_t elen = sizeof events;
        zmq_getsockopt(router, ZMQ_EVENTS, &events, &elen);   /* the socket retires its pipes */
        usleep(50000);
    }
    printf("idle transport=tcp size=%zu count=%ld heap_before=%zu heap_with=%zu bytes_per_conn=%lld "
           "heap_after=%zu\n",
           args.size, n, before, with, ((long long)with - (long long)before) / n, after);
    zmq_close(router);
    zmq_ctx_term(ctx);
    return 0;
}
