/* Heartbeats while large frames are half written. A PUSH streams large messages to a PULL that reads slowly
 * through small kernel buffers, so the PUSH's writes stop part-way through a frame's body; both ends run
 * ZMQ_HEARTBEAT_IVL of 1 ms, so PINGs arrive (and PONGs are owed) while a body is still going out. A PING or
 * PONG is a command frame of its own and must wait until the frame being written is complete: slipped into
 * the middle of a body, it would corrupt the stream (the receiver sees garbage where the body continues, and
 * drops the connection and the messages with it). Every message must arrive, in order, byte for byte; with
 * NULL and, where the library has it, CURVE (whose boxed frames are written the same way). */
#include <zmq.h>

#include "testutil.h"

#include <stdbool.h>

#define LARGE_COUNT 24
#define LARGE_SIZE  (256u * 1024)

static uint8_t pattern_byte(unsigned msg, size_t i)
{
    return (uint8_t)(msg * 7 + i * 131 + (i >> 12));
}

static void fill(uint8_t *buf, unsigned msg)
{
    for (size_t i = 0; i < LARGE_SIZE; i++)
        buf[i] = pattern_byte(msg, i);
}

static void set_small_buffers_and_heartbeat(void *s)
{
    set_int(s, ZMQ_SNDBUF, 4096);
    set_int(s, ZMQ_RCVBUF, 4096);
    set_int(s, ZMQ_HEARTBEAT_IVL, 1);
    set_int(s, ZMQ_HEARTBEAT_TIMEOUT, 5000);
    set_int(s, ZMQ_HEARTBEAT_TTL, 5000);
}

struct curve_keys {
    char server_public[41], server_secret[41], client_public[41], client_secret[41];
};

static void set_curve(void *server, void *client, struct curve_keys *k)
{
    CHECK_OK(zmq_curve_keypair(k->server_public, k->server_secret));
    CHECK_OK(zmq_curve_keypair(k->client_public, k->client_secret));
    set_int(server, ZMQ_CURVE_SERVER, 1);
    CHECK_OK(zmq_setsockopt(server, ZMQ_CURVE_SECRETKEY, k->server_secret, 40));
    CHECK_OK(zmq_setsockopt(client, ZMQ_CURVE_SERVERKEY, k->server_public, 40));
    CHECK_OK(zmq_setsockopt(client, ZMQ_CURVE_PUBLICKEY, k->client_public, 40));
    CHECK_OK(zmq_setsockopt(client, ZMQ_CURVE_SECRETKEY, k->client_secret, 40));
}

/* The PULL drains slowly (a pause every few messages keeps the PUSH's writes partial) and checks each. */
static void stream_large(const char *transport, bool curve)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pull = test_socket(ctx, ZMQ_PULL);
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_small_buffers_and_heartbeat(pull);
    set_small_buffers_and_heartbeat(push);
    set_int(push, ZMQ_SNDHWM, 4);
    set_int(pull, ZMQ_RCVHWM, 2);
    struct curve_keys keys;
    if (curve)
        set_curve(pull, push, &keys);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(pull, transport, ep, sizeof ep);
    CHECK_OK(zmq_connect(push, ep));

    uint8_t *out = malloc(LARGE_SIZE), *in = malloc(LARGE_SIZE + 1);
    CHECK(out && in);
    unsigned received = 0;
    for (unsigned sent = 0; sent < LARGE_COUNT || received < LARGE_COUNT;) {
        if (sent < LARGE_COUNT) {
            fill(out, sent);
            if (zmq_send(push, out, LARGE_SIZE, ZMQ_DONTWAIT) == (int)LARGE_SIZE) {
                sent++;
                continue;
            }
            CHECK_EQ(errno, EAGAIN);
        }
        msleep(3);   /* slow reader: the PUSH's kernel buffers fill and its writes stop mid-body */
        int rc = recv_timeout(pull, in, LARGE_SIZE + 1, 5000, NULL);
        if (rc != (int)LARGE_SIZE)
            tu_fail(__FILE__, __LINE__, "message %u: recv returned %d (errno %d: %s)", received, rc, errno,
                    zmq_strerror(errno));
        fill(out, received);
        if (memcmp(in, out, LARGE_SIZE) != 0) {
            size_t at = 0;
            while (in[at] == out[at])
                at++;
            tu_fail(__FILE__, __LINE__, "message %u differs from byte %zu on (%s)", received, at,
                    curve ? "CURVE" : "NULL");
        }
        received++;
    }
    free(out);
    free(in);
    close_zero_linger(push);
    close_zero_linger(pull);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void null_mechanism(const char *transport)
{
    stream_large(transport, false);
}

static void curve_mechanism(const char *transport)
{
    if (!zmq_has("curve")) {
        printf("curve_mechanism(%s): no CURVE in this library, skipped\n", transport);
        return;
    }
    stream_large(transport, true);
}

int main(void)
{
    test_begin(60);
    RUN_ENGINE_TRANSPORTS(null_mechanism);
    RUN_ENGINE_TRANSPORTS(curve_mechanism);
    return test_end();
}
