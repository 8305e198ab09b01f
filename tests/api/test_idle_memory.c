/* Heap cost of idle tcp peers: a ROUTER accepts 10,000 raw ZMTP 3.0 peers (NULL mechanism, DEALER), each
 * sends one message so that every connection is known to be complete, then they all sit idle. The heap in
 * use (glibc mallinfo2, all arenas, mmapped chunks included) is measured before, with the peers, and after
 * they closed; it must come back close to the baseline. On zinc an idle peer must also stay small (issue
 * 8: buffers are lent by the I/O thread only while a connection reads or writes). bench/idle.c compares
 * zinc and libzmq side by side.
 *
 * The peers live in a child process forked before any context exists, so this process holds only the
 * accepted ends (10,000 peers in one process would need 20,000 fds, the usual hard limit). Under a
 * sanitizer, whose allocator mallinfo2 does not see, 1,000 peers run the same cycle unmeasured. */
#include <zmq.h>

#include "testutil.h"
#include "rawpeer.h"

#include <malloc.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define IDLE_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define IDLE_UNDER_SANITIZER 1
#endif
#endif

#ifdef IDLE_UNDER_SANITIZER
#define IDLE_PEERS_MAX 1000
#else
#define IDLE_PEERS_MAX 10000
#endif
#define IDLE_FDS_SPARE 64     /* fds the context, the test and the runtime need besides the peers */

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* Raises RLIMIT_NOFILE to its hard limit; returns how many peers fit (one fd each in either process). */
static int peers_that_fit(void)
{
    struct rlimit rl;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    }
    rlim_t usable = rl.rlim_cur > IDLE_FDS_SPARE ? rl.rlim_cur - IDLE_FDS_SPARE : 0;
    return usable < IDLE_PEERS_MAX ? (int)usable : IDLE_PEERS_MAX;
}

/* A raw peer that sent its greeting (libzmq reads the rest only after its own greeting went out). */
static int raw_peer_start(int port)
{
    int fd = raw_connect_port(port);
    raw_send_greeting(fd, 0);
    return fd;
}

/* Reads the bound socket's greeting, then sends READY (Socket-Type DEALER) and a one-byte message. */
static void raw_peer_finish(int fd)
{
    uint8_t greeting[RAW_GREETING_LEN];
    raw_read_exact(fd, greeting, sizeof greeting, 5000);
    CHECK_EQ(greeting[0], 0xff);
    uint8_t rest[64];
    size_t n = raw_ready(rest, sizeof rest, "DEALER", NULL);
    rest[n++] = 0x00;
    rest[n++] = 1;
    rest[n++] = 'x';
    raw_send(fd, rest, n);
}

static int raw_peer(int port)
{
    int fd = raw_peer_start(port);
    raw_peer_finish(fd);
    return fd;
}

static int bound_port(void *s)
{
    char ep[256];
    size_t len = sizeof ep;
    CHECK_OK(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len));
    const char *colon = strrchr(ep, ':');
    CHECK(colon != NULL);
    return atoi(colon + 1);
}

/* Receives one [routing id]["x"] per peer. */
static void await_messages(void *router, int n)
{
    int timeout = 10000;
    CHECK_OK(zmq_setsockopt(router, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    char buf[64];
    for (int i = 0; i < n; i++) {
        CHECK(zmq_recv(router, buf, sizeof buf, 0) >= 0);
        CHECK_EQ(zmq_recv(router, buf, sizeof buf, 0), 1);
        CHECK_EQ(buf[0], 'x');
    }
}

/* The peers' process: reads the bound port from `in`, opens n peers, writes 'r' to `out` once every peer
 * sent its message, then holds them until `in` reaches end of file; its exit closes them all at once. */
static void peer_holder_main(int n, int in, int out)
{
    int port;
    if (read(in, &port, sizeof port) != (ssize_t)sizeof port)
        _exit(3);
    int *fds = malloc((size_t)n * sizeof *fds);
    if (fds == NULL)
        _exit(3);
    for (int i = 0; i < n; i++)
        fds[i] = raw_peer_start(port);
    for (int i = 0; i < n; i++)
        raw_peer_finish(fds[i]);
    if (write(out, "r", 1) != 1)
        _exit(3);
    char c;
    while (read(in, &c, 1) > 0) {
    }
    _exit(0);
}

struct peer_holder {
    pid_t pid;
    int to_child;     /* the port, then end of file: close the peers */
    int from_child;   /* 'r': the peers are open and their messages sent */
};

/* Forks the peers' process; call before any context exists (a fork copies only the calling thread). */
static void peer_holder_fork(struct peer_holder *h, int n)
{
    int down[2], up[2];
    CHECK_OK(pipe(down));
    CHECK_OK(pipe(up));
    h->pid = fork();
    CHECK(h->pid >= 0);
    if (h->pid == 0) {
        close(down[1]);
        close(up[0]);
        alarm(0);
        peer_holder_main(n, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    h->to_child = down[1];
    h->from_child = up[0];
}

static void peer_holder_open(struct peer_holder *h, int port, int timeout_ms)
{
    CHECK_EQ(write(h->to_child, &port, sizeof port), (ssize_t)sizeof port);
    struct pollfd pfd = {.fd = h->from_child, .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, timeout_ms), 1);
    char c = 0;
    CHECK_EQ(read(h->from_child, &c, 1), 1);
    CHECK_EQ(c, 'r');
}

/* Ends the peers' process, which closes every peer, and reaps it. */
static void peer_holder_close(struct peer_holder *h)
{
    close(h->to_child);
    close(h->from_child);
    int status = 0;
    CHECK_EQ(waitpid(h->pid, &status, 0), h->pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_idle_peers(void)
{
    int n = peers_that_fit();
    CHECK(n >= 100);
    struct peer_holder holder;
    peer_holder_fork(&holder, n);

    void *ctx = zmq_ctx_new();
    CHECK_PTR(ctx);
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    CHECK_PTR(router);
    int backlog = n, linger = 0;
    CHECK_OK(zmq_setsockopt(router, ZMQ_BACKLOG, &backlog, sizeof backlog));
    CHECK_OK(zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger));
    CHECK_OK(zmq_bind(router, "tcp://127.0.0.1:*"));
    int port = bound_port(router);

    /* Warm up: one peer through the whole cycle, so one-time allocations are not counted. */
    int warm = raw_peer(port);
    await_messages(router, 1);
    close(warm);
    msleep(100);
    size_t before = heap_in_use();

    peer_holder_open(&holder, port, 60000);
    await_messages(router, n);
    msleep(200);   /* the greetings and READYs we never read are written out */
    size_t with = heap_in_use();
    long long per_peer = ((long long)with - (long long)before) / n;
    if (with == 0)   /* a sanitizer's allocator, which mallinfo2 does not see: nothing to measure */
        printf("idle tcp peers: %d, heap not measurable with this allocator\n", n);
    else
        printf("idle tcp peers: %d, heap before %zu, with them %zu, %lld bytes per peer\n", n, before, with,
               per_peer);

    peer_holder_close(&holder);
    /* Each close ends its connection on the I/O thread; wait (bounded) for the heap to settle. */
    size_t after = heap_in_use();
    size_t slack = before / 10 + (size_t)n * 512;
    for (int64_t end = now_ms() + 20000; after > before + slack && now_ms() < end; after = heap_in_use()) {
        int events;
        size_t len = sizeof events;
        CHECK_OK(zmq_getsockopt(router, ZMQ_EVENTS, &events, &len));   /* the socket retires its pipes */
        msleep(50);
    }
    if (with != 0) {
        printf("after closing: heap %zu (%+lld bytes from before)\n", after,
               (long long)after - (long long)before);
        CHECK(after <= before + slack);
#ifndef ZINC_REFERENCE
        /* Issue 8's target is half of libzmq's (about 66 KB per idle peer here). zinc: the conn (~6 KB, its
         * copy of the options included), the pipe's two queues (an 8 KiB chunk each) and the peer's
         * metadata. */
        CHECK(per_peer <= 32 * 1024);
#endif
    }
    CHECK_OK(zmq_close(router));
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(100);
    RUN(test_idle_peers);
    return test_end();
}
