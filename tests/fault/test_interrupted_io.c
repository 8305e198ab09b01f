/* Interrupted and refused system calls on the library's threads, and short reads and writes:
 *  - EINTR on every other read/recv, write/send, epoll_wait, accept and connect, and EAGAIN on every other
 *    read, write and accept (a readiness that turns out to be false): retried, no message lost;
 *  - short reads and writes (at most 1, 3 or 7 bytes per call, both directions, from the greeting on):
 *    every message arrives whole and in order: multipart, empty frames, 100 KB frames (20 KB at 1 byte);
 *  - both at once, over tcp and ipc, with NULL and (when built with it) CURVE security.
 * Only calls made by threads other than the test's are faulted (FAULT_OTHER_THREADS).
 * libzmq 4.3.4 (tried by hand: this file and fault.c built with -lzmq, cases named on the command line)
 * passes every case here. */
#include "testutil.h"
#include "fault.h"

#include <stdbool.h>

#define BIG (100 * 1024)
static size_t big_len = BIG;   /* the long frame of each round: BIG, less for 1-byte I/O */
#define ROUNDS 8

static void arm_io(enum fault_call call, int err, size_t short_to, unsigned every)
{
    fault_arm(call, &(struct fault){.err = err, .short_to = short_to, .count = -1, .every = every,
                                    .threads = FAULT_OTHER_THREADS});
}

static void fill(char *buf, size_t len, int seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)((i * 31 + (size_t)seed) & 0xff);
}

/* One round: a 3-part message (text, empty, 100 KB) then a lone empty message, numbered by round. */
static void send_round(void *s, int round, char *big)
{
    char head[32];
    snprintf(head, sizeof head, "round-%d", round);
    send_str_more(s, head);
    send_buf(s, "", 0, ZMQ_SNDMORE);
    fill(big, big_len, round);
    send_buf(s, big, big_len, 0);
    send_buf(s, "", 0, 0);
}

static void recv_round(void *s, int round, char *big, char *expect)
{
    char head[32];
    snprintf(head, sizeof head, "round-%d", round);
    CHECK(poll_in(s, 20000));   /* 1-byte reads of a 100 KB frame take a while on a loaded machine */
    recv_expect_more(s, head);
    recv_expect_buf(s, "", 0, 1);
    CHECK(poll_in(s, 5000));
    int n = zmq_recv(s, big, BIG, ZMQ_DONTWAIT);
    CHECK_EQ(n, big_len);
    fill(expect, big_len, round);
    CHECK(memcmp(big, expect, big_len) == 0);
    int more = get_int(s, ZMQ_RCVMORE);
    CHECK_EQ(more, 0);
    recv_expect_buf(s, "", 0, 0);
}

static void set_curve(void *server, void *client)
{
    char spub[41], ssec[41], cpub[41], csec[41];
    CHECK_OK(zmq_curve_keypair(spub, ssec));
    CHECK_OK(zmq_curve_keypair(cpub, csec));
    set_int(server, ZMQ_CURVE_SERVER, 1);
    CHECK_OK(zmq_setsockopt(server, ZMQ_CURVE_SECRETKEY, ssec, 40));
    CHECK_OK(zmq_setsockopt(client, ZMQ_CURVE_SERVERKEY, spub, 40));
    CHECK_OK(zmq_setsockopt(client, ZMQ_CURVE_PUBLICKEY, cpub, 40));
    CHECK_OK(zmq_setsockopt(client, ZMQ_CURVE_SECRETKEY, csec, 40));
}

/* DEALER <-> DEALER both ways under whatever faults are armed; faults are armed before the connection. */
static void exchange(const char *transport, bool curve, int rounds)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *a = test_socket(ctx, ZMQ_DEALER);
    void *b = test_socket(ctx, ZMQ_DEALER);
    if (curve)
        set_curve(a, b);
    set_int(b, ZMQ_RECONNECT_IVL, 10);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(a, transport, ep, sizeof ep);
    CHECK_OK(zmq_connect(b, ep));
    char *big = malloc(BIG), *expect = malloc(BIG);
    CHECK(big && expect);
    for (int r = 0; r < rounds; r++) {
        send_round(b, r, big);
        send_round(a, 1000 + r, big);
    }
    for (int r = 0; r < rounds; r++) {
        recv_round(a, r, big, expect);
        recv_round(b, 1000 + r, big, expect);
    }
    fault_clear_all();
    free(big);
    free(expect);
    zmq_close(a);
    zmq_close(b);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void exchange_all(bool curve)
{
    exchange("tcp", curve, ROUNDS);
    exchange("ipc", curve, ROUNDS);
}

static void eintr_everywhere(void)
{
    for (int every = 2; every <= 3; every++) {
        arm_io(FAULT_RECV, EINTR, 0, (unsigned)every);
        arm_io(FAULT_SEND, EINTR, 0, (unsigned)every);
        arm_io(FAULT_EPOLL_WAIT, EINTR, 0, (unsigned)every);
        arm_io(FAULT_ACCEPT, EINTR, 0, (unsigned)every);
        arm_io(FAULT_CONNECT, EINTR, 0, (unsigned)every);
        exchange_all(false);
    }
}

static void eagain_everywhere(void)
{
    arm_io(FAULT_RECV, EAGAIN, 0, 2);
    arm_io(FAULT_SEND, EAGAIN, 0, 2);
    arm_io(FAULT_ACCEPT, EAGAIN, 0, 2);
    exchange_all(false);
}

static void short_reads_and_writes(void)
{
    static const size_t sizes[] = {1, 3, 7};
    for (int i = 0; i < 3; i++) {
        arm_io(FAULT_RECV, 0, sizes[i], 1);
        arm_io(FAULT_SEND, 0, sizes[i], 1);
        int64_t t0 = now_ms();
        big_len = sizes[i] == 1 ? 20 * 1024 : BIG;   /* 1 byte per call: every byte costs a poll cycle */
        exchange("tcp", false, 1);
        printf("  at most %zu bytes per read and write, %zu-byte frame: %lld ms\n", sizes[i], big_len,
               (long long)(now_ms() - t0));
    }
    big_len = BIG;
    arm_io(FAULT_RECV, 0, 3, 1);   /* reads short, writes whole */
    exchange("ipc", false, 1);
    arm_io(FAULT_SEND, 0, 2, 1);   /* writes short, reads whole */
    exchange("ipc", false, 1);
}

static void short_and_interrupted(void)
{
    arm_io(FAULT_RECV, 0, 5, 1);
    arm_io(FAULT_SEND, EINTR, 0, 3);
    arm_io(FAULT_EPOLL_WAIT, EINTR, 0, 2);
    exchange_all(false);
}

static void curve_under_faults(void)
{
    if (!zmq_has("curve")) {
        printf("  (no CURVE in this build)\n");
        return;
    }
    arm_io(FAULT_RECV, 0, 3, 1);
    arm_io(FAULT_SEND, 0, 5, 1);
    exchange("tcp", true, 1);
    exchange("ipc", true, 1);
    arm_io(FAULT_RECV, EINTR, 0, 2);
    arm_io(FAULT_SEND, EAGAIN, 0, 2);
    exchange_all(true);
}

int main(int argc, char **argv)
{
    test_begin(120);
    RUN_SELECTED(eintr_everywhere);
    RUN_SELECTED(eagain_everywhere);
    RUN_SELECTED(short_reads_and_writes);
    RUN_SELECTED(short_and_interrupted);
    RUN_SELECTED(curve_under_faults);
    return test_end();
}
