/* Messages sent one at a time, with pauses between them (as requests and replies are sent), to a reader
 * that is slower than the writer, through small kernel buffers: writes to the fd stop part-way through a
 * message, the rest goes later, and every message still arrives whole, in order, byte for byte. Sizes
 * cover single small frames, multipart messages and frames of a few KiB, with heartbeats on so PINGs and
 * PONGs interleave with the paced writes; over ipc and tcp, from PUSH, DEALER and PAIR. */
#include <zmq.h>

#include "testutil.h"

#define PACED_COUNT 400

static uint8_t paced_byte(unsigned msg, unsigned part, size_t i)
{
    return (uint8_t)(msg * 31 + part * 7 + i * 13);
}

static size_t paced_size(unsigned msg)
{
    static const size_t sizes[] = {1, 64, 700, 3000, 4090, 5000, 200};
    return sizes[msg % (sizeof sizes / sizeof sizes[0])];
}

static unsigned paced_parts(unsigned msg)
{
    return msg % 5 == 4 ? 3 : 1;
}

static void send_paced(void *s, unsigned msg, uint8_t *buf)
{
    unsigned parts = paced_parts(msg);
    for (unsigned p = 0; p < parts; p++) {
        size_t size = paced_size(msg + p);
        for (size_t i = 0; i < size; i++)
            buf[i] = paced_byte(msg, p, i);
        CHECK_EQ(zmq_send(s, buf, size, p + 1 < parts ? ZMQ_SNDMORE : 0), (int)size);
    }
}

static void recv_paced(void *s, unsigned msg, uint8_t *buf, size_t cap)
{
    unsigned parts = paced_parts(msg);
    for (unsigned p = 0; p < parts; p++) {
        int more = 0;
        int rc = recv_timeout(s, buf, cap, 5000, &more);
        size_t size = paced_size(msg + p);
        if (rc != (int)size)
            tu_fail(__FILE__, __LINE__, "message %u part %u: %d bytes, expected %zu (errno %d)", msg, p, rc,
                    size, errno);
        for (size_t i = 0; i < size; i++)
            if (buf[i] != paced_byte(msg, p, i))
                tu_fail(__FILE__, __LINE__, "message %u part %u differs at byte %zu", msg, p, i);
        CHECK_EQ(more, p + 1 < parts);
    }
}

static void paced(const char *transport, int sender_type, int receiver_type)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *rx = test_socket(ctx, receiver_type);
    void *tx = test_socket(ctx, sender_type);
    void *both[] = {rx, tx};
    for (int i = 0; i < 2; i++) {
        set_int(both[i], ZMQ_SNDBUF, 4096);
        set_int(both[i], ZMQ_RCVBUF, 4096);
        set_int(both[i], ZMQ_HEARTBEAT_IVL, 2);
        set_int(both[i], ZMQ_HEARTBEAT_TIMEOUT, 5000);
    }
    set_int(rx, ZMQ_RCVHWM, 4);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(rx, transport, ep, sizeof ep);
    CHECK_OK(zmq_connect(tx, ep));

    static uint8_t out[8192], in[8192];
    unsigned received = 0;
    for (unsigned sent = 0; sent < PACED_COUNT; sent++) {
        send_paced(tx, sent, out);
        if (sent % 3 == 0)
            usleep(50);   /* a pause: the next message is a lone one again */
        if (sent % 16 == 15) {
            msleep(2);    /* the reader falls behind, then catches up a little */
            recv_paced(rx, received, in, sizeof in);
            received++;
        }
    }
    for (; received < PACED_COUNT; received++)
        recv_paced(rx, received, in, sizeof in);
    close_zero_linger(tx);
    close_zero_linger(rx);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void push_pull(const char *transport)
{
    paced(transport, ZMQ_PUSH, ZMQ_PULL);
}

static void dealer_dealer(const char *transport)
{
    paced(transport, ZMQ_DEALER, ZMQ_DEALER);
}

static void pair_pair(const char *transport)
{
    paced(transport, ZMQ_PAIR, ZMQ_PAIR);
}

int main(void)
{
    test_begin(60);
    RUN_ENGINE_TRANSPORTS(push_pull);
    RUN_ENGINE_TRANSPORTS(dealer_dealer);
    RUN_ENGINE_TRANSPORTS(pair_pair);
    return test_end();
}
