/* No write path may raise SIGPIPE: this program keeps the default SIGPIPE disposition (which kills the
 * process) and makes peers vanish while the library is writing to them, thousands of times, over tcp and
 * ipc, for ZMTP sockets (PUSH after the handshake, and mid-greeting) and for STREAM sockets. libzmq writes
 * with MSG_NOSIGNAL; so must we. A failure here is the process dying of signal 13. */
#include "rawpeer.h"

#define ROUNDS_PER_CASE 1000
#define CASE_BUDGET_MS 15000

/* Closes with a reset where the transport has one: unread data plus SO_LINGER 0. */
static void vanish(int fd)
{
    struct linger lg = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

/* Keeps the socket busy writing: queued sends that the I/O thread pushes while the peer disappears. */
static void pump(void *s, const void *data, size_t len, int count)
{
    for (int i = 0; i < count; i++)
        if (zmq_send(s, data, len, ZMQ_DONTWAIT) < 0)
            break;
}

/* A PULL peer completes the handshake, takes a little, and vanishes while PUSH streams to it. */
static void zmtp_peer_vanishes_mid_stream(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_SNDHWM, 100000);
    char ep[256];
    bind_transport(push, transport, ep, sizeof ep);
    static uint8_t payload[16384];
    uint8_t ready_pull[64];
    size_t ready_len = raw_ready(ready_pull, sizeof ready_pull, "PULL", NULL);
    int64_t deadline = now_ms() + CASE_BUDGET_MS;
    int rounds = 0;
    for (; rounds < ROUNDS_PER_CASE && now_ms() < deadline; rounds++) {
        int fd = raw_connect(ep);
        raw_send_greeting(fd, 0);
        raw_send(fd, ready_pull, ready_len);
        pump(push, payload, sizeof payload, 8);
        (void)raw_wait_readable(fd, NULL, 200);
        vanish(fd);
        pump(push, payload, sizeof payload, 8);
    }
    printf("  %d peers vanished mid-stream over %s\n", rounds, transport);
    CHECK(rounds >= 100);
    CHECK_OK(zmq_close(push));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A peer that connects and vanishes before or during the greeting, while we write ours. */
static void zmtp_peer_vanishes_mid_greeting(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pub = test_socket(ctx, ZMQ_PUB);
    uint8_t greeting[RAW_GREETING_LEN];
    raw_greeting(greeting, "NULL", 0);
    char ep[256];
    bind_transport(pub, transport, ep, sizeof ep);
    int64_t deadline = now_ms() + CASE_BUDGET_MS;
    int rounds = 0;
    for (; rounds < ROUNDS_PER_CASE && now_ms() < deadline; rounds++) {
        int fd = raw_connect(ep);
        if (rounds % 2)
            raw_send(fd, greeting, 10);   /* the signature: the library answers */
        vanish(fd);
        zmq_send(pub, "x", 1, ZMQ_DONTWAIT);
    }
    printf("  %d peers vanished mid-greeting over %s\n", rounds, transport);
    CHECK(rounds >= 100);
    CHECK_OK(zmq_close(pub));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* STREAM: skips data until a connect or disconnect notification (an id, then an empty frame); returns
 * the id's length. */
static int stream_recv_event(void *stream, uint8_t id[256])
{
    for (;;) {
        int id_len = zmq_recv(stream, id, 256, 0);
        CHECK(id_len > 0);
        char body[64];
        int n = zmq_recv(stream, body, sizeof body, 0);
        CHECK(n >= 0);
        if (n == 0)
            return id_len;
    }
}

/* STREAM: a raw client connects, we write to it by routing id after it is gone. */
static void stream_peer_vanishes_mid_write(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *stream = test_socket(ctx, ZMQ_STREAM);
    set_int(stream, ZMQ_RCVTIMEO, 2000);
    char ep[256];
    bind_transport(stream, transport, ep, sizeof ep);
    static uint8_t payload[16384];
    int64_t deadline = now_ms() + CASE_BUDGET_MS;
    int rounds = 0;
    for (; rounds < ROUNDS_PER_CASE && now_ms() < deadline; rounds++) {
        int fd = raw_connect(ep);
        uint8_t id[256];
        int id_len = stream_recv_event(stream, id);   /* the connect notification */
        raw_write(fd, "hi");
        vanish(fd);
        for (int i = 0; i < 8; i++) {
            if (zmq_send(stream, id, (size_t)id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
                break;
            if (zmq_send(stream, payload, sizeof payload, ZMQ_DONTWAIT) < 0)
                break;
        }
        uint8_t gone[256];
        int gone_len = stream_recv_event(stream, gone);   /* its disconnect notification */
        CHECK_MEM(gone, gone_len, id, id_len);
    }
    printf("  %d raw peers vanished mid-write over %s\n", rounds, transport);
    CHECK(rounds >= 100);
    CHECK_OK(zmq_close(stream));
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(110);
    struct sigaction sa;
    CHECK_OK(sigaction(SIGPIPE, NULL, &sa));
    CHECK(sa.sa_handler == SIG_DFL);   /* the point of this test: nothing ignores SIGPIPE for us */
    RUN_ENGINE_TRANSPORTS(zmtp_peer_vanishes_mid_stream);
    RUN_ENGINE_TRANSPORTS(zmtp_peer_vanishes_mid_greeting);
    RUN_ENGINE_TRANSPORTS(stream_peer_vanishes_mid_write);
    return test_end();
}
