/* Faults between two sockets: a TCP relay thread in the middle forwards bytes in small odd pieces (1-7
 * bytes, so every frame arrives fragmented) and can stall (forward nothing, close nothing).
 *  - PUSH/PULL through a fragmenting relay delivers every message, whole and in order;
 *  - heartbeats (ZMQ_HEARTBEAT_IVL/TIMEOUT) notice a stalled peer within their timeout.
 * Passes on libzmq 4.3.4 too. (Cutting connections mid-frame is still to come: issue 8, item 5.) */
#include "rawpeer.h"
#include "monitor_util.h"

#include <stdatomic.h>
#include <stdbool.h>

struct relay {
    int listen_fd;
    int port;                /* what clients connect to */
    int target_port;         /* where the relay connects */
    atomic_int stop;
    atomic_int stall;        /* forward nothing while set */
};

/* Forwards one accepted connection until either side closes or the relay stops. */
static void relay_pipe(struct relay *r, int client)
{
    int server = raw_connect_port(r->target_port);
    int fds[2] = {client, server};
    while (!atomic_load(&r->stop)) {
        struct pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
        if (atomic_load(&r->stall)) {
            msleep(5);
            continue;
        }
        if (poll(p, 2, 20) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            uint8_t buf[4096];
            size_t want = (size_t)(1 + rand() % 7);   /* small, odd pieces: frames arrive fragmented */
            ssize_t n = recv(fds[i], buf, want, 0);
            if (n <= 0) {
                close(client);
                close(server);
                return;
            }
            if (send(fds[1 - i], buf, (size_t)n, MSG_NOSIGNAL) != n) {
                close(client);
                close(server);
                return;
            }
        }
    }
    close(client);
    close(server);
}

static void *relay_main(void *arg)
{
    struct relay *r = arg;
    while (!atomic_load(&r->stop)) {
        struct pollfd p = {r->listen_fd, POLLIN, 0};
        if (poll(&p, 1, 20) != 1)
            continue;
        int c = accept(r->listen_fd, NULL, NULL);
        if (c >= 0)
            relay_pipe(r, c);   /* one connection at a time: the sockets here have one peer each */
    }
    return NULL;
}

static void relay_start(struct relay *r, pthread_t *th, int target_port)
{
    r->target_port = target_port;
    atomic_init(&r->stop, 0);
    atomic_init(&r->stall, 0);
    r->port = 0;   /* any free port */
    r->listen_fd = raw_listen(&r->port);
    CHECK_EQ(pthread_create(th, NULL, relay_main, r), 0);
}

static void relay_stop(struct relay *r, pthread_t th)
{
    atomic_store(&r->stop, 1);
    CHECK_EQ(pthread_join(th, NULL), 0);
    close(r->listen_fd);
}

/* Every message crosses a relay that splits the stream into 1-7 byte pieces, whole and in order. */
static void fragmented_stream_delivers_every_message(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pull = test_socket(ctx, ZMQ_PULL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(pull, "tcp", ep, sizeof ep);
    struct relay r;
    pthread_t th;
    relay_start(&r, &th, endpoint_port(ep));
    void *push = test_socket(ctx, ZMQ_PUSH);
    char relay_ep[64];
    snprintf(relay_ep, sizeof relay_ep, "tcp://127.0.0.1:%d", r.port);
    CHECK_OK(zmq_connect(push, relay_ep));
    set_int(pull, ZMQ_RCVTIMEO, 10000);
    const int messages = 500;
    for (int i = 0; i < messages; i++) {
        char out[300];
        int len = 1 + (i * 37) % (int)sizeof out;   /* short and long frames alike */
        memset(out, 'a' + i % 26, (size_t)len);
        snprintf(out, sizeof out > (size_t)len ? (size_t)len : sizeof out, "%d", i);
        CHECK_EQ(zmq_send(push, out, (size_t)len, i % 3 ? 0 : ZMQ_SNDMORE), len);
        if (i % 3 == 0)
            CHECK_EQ(zmq_send(push, "tail", 4, 0), 4);
    }
    for (int i = 0; i < messages; i++) {
        char in[300], want[300];
        int len = 1 + (i * 37) % (int)sizeof want;
        memset(want, 'a' + i % 26, (size_t)len);
        snprintf(want, sizeof want > (size_t)len ? (size_t)len : sizeof want, "%d", i);
        CHECK_EQ(zmq_recv(pull, in, sizeof in, 0), len);
        CHECK_MEM(in, len, want, len);
        if (i % 3 == 0) {
            int more;
            size_t sz = sizeof more;
            CHECK_OK(zmq_getsockopt(pull, ZMQ_RCVMORE, &more, &sz));
            CHECK_EQ(more, 1);
            CHECK_EQ(zmq_recv(pull, in, sizeof in, 0), 4);
        }
    }
    relay_stop(&r, th);
    CHECK_OK(zmq_close(push));
    CHECK_OK(zmq_close(pull));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* The relay stops forwarding (the TCP connection stays up): heartbeats drop it within their timeout. */
static void heartbeats_notice_a_stalled_peer(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server = test_socket(ctx, ZMQ_DEALER);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "tcp", ep, sizeof ep);
    struct relay r;
    pthread_t th;
    relay_start(&r, &th, endpoint_port(ep));

    void *client = test_socket(ctx, ZMQ_DEALER);
    set_int(client, ZMQ_HEARTBEAT_IVL, 50);
    set_int(client, ZMQ_HEARTBEAT_TIMEOUT, 300);
    void *mon = start_monitor(ctx, client, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    char relay_ep[64];
    snprintf(relay_ep, sizeof relay_ep, "tcp://127.0.0.1:%d", r.port);
    CHECK_OK(zmq_connect(client, relay_ep));
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    msleep(200);   /* heartbeats flow through the relay: nothing happens */
    atomic_store(&r.stall, 1);
    int64_t stalled_at = now_ms();
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    int64_t took = now_ms() - stalled_at;
    printf("  stalled peer dropped after %lld ms (timeout 300 ms)\n", (long long)took);
    CHECK(took >= 250 && took < 1500);
    atomic_store(&r.stall, 0);
    relay_stop(&r, th);
    CHECK_OK(zmq_socket_monitor(client, NULL, 0));
    CHECK_OK(zmq_close(mon));
    CHECK_OK(zmq_close(client));
    CHECK_OK(zmq_close(server));
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(100);
    srand(12345);
    RUN(fragmented_stream_delivers_every_message);
    RUN(heartbeats_notice_a_stalled_peer);
    return test_end();
}
