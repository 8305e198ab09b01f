/* Heap cost of idle tcp peers: a ROUTER accepts N raw ZMTP 3.0 peers (NULL mechanism, DEALER), each sends
 * one message so that every connection is known to be complete, then they all sit idle. The heap in use
 * (glibc mallinfo2, all arenas, mmapped chunks included) is measured before, with the peers, and after
 * they closed; it must come back close to the baseline. On zinc an idle peer must also stay small (issue
 * 8: buffers are lent by the I/O thread only while a connection reads or writes). bench/idle.c compares
 * zinc and libzmq side by side. */
#include <zmq.h>

#include "testutil.h"
#include "rawpeer.h"

#include <malloc.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define IDLE_PEERS_MAX 2000
#define IDLE_FDS_SPARE 64     /* fds the context, the test and the runtime need besides the peers */

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* Raises RLIMIT_NOFILE to its hard limit; returns how many peers fit (two fds each: ours and the
 * accepted one). */
static int peers_that_fit(void)
{
    struct rlimit rl;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    }
    rlim_t usable = rl.rlim_cur > IDLE_FDS_SPARE ? (rl.rlim_cur - IDLE_FDS_SPARE) / 2 : 0;
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

static void test_idle_peers(void)
{
    int n = peers_that_fit();
    CHECK(n >= 100);
    int *fds = malloc((size_t)n * sizeof *fds);
    CHECK(fds != NULL);

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

    for (int i = 0; i < n; i++)
        fds[i] = raw_peer_start(port);
    for (int i = 0; i < n; i++)
        raw_peer_finish(fds[i]);
    await_messages(router, n);
    msleep(200);   /* the greetings and READYs we never read are written out */
    size_t with = heap_in_use();
    if (with == 0) {   /* a sanitizer's allocator, which mallinfo2 does not see: nothing to measure */
        printf("idle tcp peers: %d, heap not measurable with this allocator\n", n);
        for (int i = 0; i < n; i++)
            close(fds[i]);
        CHECK_OK(zmq_close(router));
        CHECK_OK(zmq_ctx_term(ctx));
        free(fds);
        return;
    }
    long long per_peer = ((long long)with - (long long)before) / n;
    printf("idle tcp peers: %d, heap before %zu, with them %zu, %lld bytes per peer\n", n, before, with,
           per_peer);

    for (int i = 0; i < n; i++)
        close(fds[i]);
    /* Each close ends its connection on the I/O thread; wait (bounded) for the heap to settle. */
    size_t after = heap_in_use();
    size_t slack = before / 10 + (size_t)n * 512;
    for (int64_t end = now_ms() + 10000; after > before + slack && now_ms() < end; after = heap_in_use()) {
        int events;
        size_t len = sizeof events;
        CHECK_OK(zmq_getsockopt(router, ZMQ_EVENTS, &events, &len));   /* the socket retires its pipes */
        msleep(50);
    }
    printf("after closing: heap %zu (%+lld bytes from before)\n", after, (long long)after - (long long)before);
    CHECK(after <= before + slack);
#ifndef ZINC_REFERENCE
    /* Issue 8's target is half of libzmq's (about 66 KB per idle peer here). zinc: the conn (~6 KB, its
     * copy of the options included), the pipe's two queues (an 8 KiB chunk each) and the peer's metadata. */
    CHECK(per_peer <= 32 * 1024);
#endif
    CHECK_OK(zmq_close(router));
    CHECK_OK(zmq_ctx_term(ctx));
    free(fds);
}

int main(void)
{
    test_begin(60);
    RUN(test_idle_peers);
    return test_end();
}
