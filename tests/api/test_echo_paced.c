/* Two DEALERs echo paced messages at each other while heartbeats run: each side's thread sends a message,
 * sometimes pauses, and reads whatever echoes have come back, so one connection is written by a sender
 * while the same connection's incoming data, PINGs and PONGs are handled. Every echo must come back
 * whole and in order. Run in CI under ThreadSanitizer too, where it checks the hand-over of a connection's
 * output between the sending thread and the I/O thread. */
#include <zmq.h>

#include "testutil.h"

#include <pthread.h>

#define ECHO_COUNT 3000

struct echo_side {
    void *ctx;
    char endpoint[TU_ENDPOINT_LEN];
};

static void *echo_server(void *arg)
{
    struct echo_side *side = arg;
    void *s = test_socket(side->ctx, ZMQ_DEALER);
    set_int(s, ZMQ_HEARTBEAT_IVL, 1);
    set_int(s, ZMQ_HEARTBEAT_TIMEOUT, 10000);
    CHECK_OK(zmq_connect(s, side->endpoint));
    char buf[256];
    for (int i = 0; i < ECHO_COUNT; i++) {
        int rc = recv_timeout(s, buf, sizeof buf, 10000, NULL);
        CHECK(rc > 0);
        CHECK_EQ(zmq_send(s, buf, (size_t)rc, 0), rc);
    }
    recv_expect(s, "bye");   /* the other side has every echo: closing with linger 0 now loses nothing */
    close_zero_linger(s);
    return NULL;
}

static void echo_check(void *s, int seq)
{
    char want[64], got[256];
    int len = snprintf(want, sizeof want, "echo %d", seq);
    int rc = recv_timeout(s, got, sizeof got, 10000, NULL);
    CHECK_MEM(got, rc, want, len);
}

static void echo_paced(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *s = test_socket(ctx, ZMQ_DEALER);
    set_int(s, ZMQ_HEARTBEAT_IVL, 1);
    set_int(s, ZMQ_HEARTBEAT_TIMEOUT, 10000);
    struct echo_side side = {.ctx = ctx};
    bind_transport(s, transport, side.endpoint, sizeof side.endpoint);
    pthread_t peer;
    CHECK_EQ(pthread_create(&peer, NULL, echo_server, &side), 0);
    int checked = 0;
    for (int i = 0; i < ECHO_COUNT; i++) {
        char msg[64];
        int len = snprintf(msg, sizeof msg, "echo %d", i);
        CHECK_EQ(zmq_send(s, msg, (size_t)len, 0), len);
        if (i % 4 == 0)
            usleep(20);
        while (checked < i - 8)   /* keep up to 8 in flight, so sends and receipts overlap */
            echo_check(s, checked++);
    }
    while (checked < ECHO_COUNT)
        echo_check(s, checked++);
    send_str(s, "bye");
    CHECK_EQ(pthread_join(peer, NULL), 0);
    close_zero_linger(s);
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(90);
    RUN_ENGINE_TRANSPORTS(echo_paced);
    return test_end();
}
