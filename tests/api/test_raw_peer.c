/* A raw TCP peer that speaks ZMTP 3.1 by hand, to test what only a misbehaving or silent peer shows:
 * heartbeats (PING answered with PONG carrying the context; a peer that stops answering is dropped after
 * ZMQ_HEARTBEAT_TIMEOUT; a peer's PING TTL is honoured), ZMQ_HANDSHAKE_IVL, and hostile input (a frame
 * larger than ZMQ_MAXMSGSIZE, garbage instead of a greeting, a huge long frame size) closing that one
 * connection while the socket keeps serving others. Passes against libzmq 4.3.4 too. */
#include "rawpeer.h"

/* ---- the raw peer ------------------------------------------------------------------------------------ */
/* Full handshake as a DEALER peer; consumes the socket's greeting and READY. */
static int raw_handshake(void *bound_socket)
{
    int fd = raw_connect_bound(bound_socket);
    raw_send_greeting(fd, 1);
    uint8_t their[64];
    CHECK_EQ(raw_recv(fd, their, 64, 2000), 64);
    CHECK_EQ(their[0], 0xff);
    CHECK_EQ(their[10], 3);
    raw_send_ready(fd, "DEALER");
    uint8_t flags, body[255];
    int n = raw_recv_frame(fd, NULL, &flags, body, sizeof body, 2000);
    CHECK(n > 6);
    CHECK_EQ(flags, 0x04);
    CHECK(memcmp(body, "\5READY", 6) == 0);
    return fd;
}

static const char *last_endpoint_of(void *s)
{
    static char ep[256];
    size_t len = sizeof ep;
    CHECK_OK(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len));
    return ep;
}

static void bind_tcp(void *s)
{
    CHECK_OK(zmq_bind(s, "tcp://127.0.0.1:*"));
}

/* ---- cases ------------------------------------------------------------------------------------------- */
static void ping_is_answered_with_pong_and_its_context(void)
{
    void *ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    bind_tcp(router);
    int fd = raw_handshake(router);
    /* PING, TTL 0, context "abc" */
    const uint8_t ping[] = {0x04, 10, 4, 'P', 'I', 'N', 'G', 0, 0, 'a', 'b', 'c'};
    raw_send(fd, ping, sizeof ping);
    uint8_t flags, body[64];
    int n = raw_recv_frame(fd, NULL, &flags, body, sizeof body, 2000);
    CHECK_EQ(n, 8);
    CHECK_EQ(flags, 0x04);
    CHECK(memcmp(body, "\4PONGabc", 8) == 0);
    close(fd);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

static void silent_peer_is_dropped_after_heartbeat_timeout(void)
{
    void *ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    int ivl = 100, timeout = 300;
    CHECK_OK(zmq_setsockopt(router, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl));
    CHECK_OK(zmq_setsockopt(router, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout));
    bind_tcp(router);
    int fd = raw_handshake(router);
    int64_t start = now_ms();
    /* We receive PINGs and never answer: the socket must hang up on us. */
    CHECK(raw_wait_closed(fd, 3000));
    int64_t took = now_ms() - start;
    CHECK_INT(took, >=, 250);
    close(fd);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

static void peer_ping_ttl_is_honoured(void)
{
    void *ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    bind_tcp(router);
    int fd = raw_handshake(router);
    /* PING with TTL 3 (tenths of a second): if we then say nothing for 300 ms, we may be dropped. */
    const uint8_t ping[] = {0x04, 7, 4, 'P', 'I', 'N', 'G', 0, 3};
    raw_send(fd, ping, sizeof ping);
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

static void silent_handshake_times_out(void)
{
    void *ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    int ivl = 200;
    CHECK_OK(zmq_setsockopt(router, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl));
    bind_tcp(router);
    int fd = raw_connect_bound(router);
    uint8_t greeting[RAW_GREETING_LEN];
    raw_greeting(greeting, "NULL", 1);
    raw_send(fd, greeting, 10);   /* a signature, then nothing */
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

/* After a bad peer is dropped, a good peer still gets through. */
static void socket_still_serves(void *ctx, void *bound_socket)
{
    char ep[256];
    size_t len = sizeof ep;
    CHECK_OK(zmq_getsockopt(bound_socket, ZMQ_LAST_ENDPOINT, ep, &len));
    void *dealer = connected_socket(ctx, ZMQ_DEALER, ep);
    send_str(dealer, "still here");
    char buf[64];
    int more = 0;
    int rc = recv_timeout(bound_socket, buf, sizeof buf, 2000, &more);
    CHECK(rc > 0);   /* the routing id */
    recv_expect(bound_socket, "still here");
    zmq_close(dealer);
}

static void oversized_frame_closes_only_that_connection(void)
{
    void *ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    int64_t max = 100;
    CHECK_OK(zmq_setsockopt(router, ZMQ_MAXMSGSIZE, &max, sizeof max));
    bind_tcp(router);
    int fd = raw_handshake(router);
    uint8_t frame[2 + 200] = {0x00, 200};
    raw_send(fd, frame, sizeof frame);
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    socket_still_serves(ctx, router);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

static void huge_long_frame_size_closes_the_connection(void)
{
    void *ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    int64_t max = 1 << 20;
    CHECK_OK(zmq_setsockopt(router, ZMQ_MAXMSGSIZE, &max, sizeof max));
    bind_tcp(router);
    int fd = raw_handshake(router);
    const uint8_t frame[] = {0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x'};
    raw_send(fd, frame, sizeof frame);
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    socket_still_serves(ctx, router);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

static void garbage_greeting_closes_the_connection(void)
{
    void *ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    /* libzmq reads a first byte other than FF as a ZMTP 1.0 identity length and waits for the rest; zinc
     * refuses at once. Either way the connection must go, at the latest when the handshake times out. */
    int ivl = 500;
    CHECK_OK(zmq_setsockopt(router, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl));
    bind_tcp(router);
    int fd = raw_connect_bound(router);
    const char junk[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
    raw_send(fd, junk, sizeof junk - 1);
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    socket_still_serves(ctx, router);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

/* Peers that connect and reset at once (an accepted fd that is dead before its first write) are dropped
 * cleanly, and the socket can still close and serve: this once left a freed connection on the
 * listener's list. */
static void peers_that_reset_at_once_leave_no_trace(void)
{
    void *ctx = zmq_ctx_new();
    void *router = test_socket(ctx, ZMQ_ROUTER);
    bind_tcp(router);
    for (int i = 0; i < 200; i++) {
        int fd = raw_connect_bound(router);
        struct linger lg = {1, 0};   /* close sends RST */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
    }
    socket_still_serves(ctx, router);
    CHECK_OK(zmq_unbind(router, last_endpoint_of(router)));
    zmq_close(router);
    zmq_ctx_term(ctx);
}

/* READY listing Socket-Type twice: libzmq checks every occurrence, so a second, incompatible type is
 * refused (the connection closes, nothing is delivered); the same type twice is accepted. */
static void every_socket_type_in_ready_is_checked(void)
{
    static const char *const second[] = {"PUB", "DEALER"};
    for (int i = 0; i < 2; i++) {
        void *ctx = zmq_ctx_new();
        void *dealer = test_socket(ctx, ZMQ_DEALER);
        int timeo = 1000;
        CHECK_OK(zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeo, sizeof timeo));
        bind_tcp(dealer);
        int fd = raw_connect_bound(dealer);
        raw_send_greeting(fd, 1);
        uint8_t their[64];
        CHECK_EQ(raw_recv(fd, their, 64, 2000), 64);
        uint8_t props[255], frame[300];
        size_t n = raw_put_property(props, sizeof props, 0, "Socket-Type", "DEALER");
        n = raw_put_property(props, sizeof props, n, "Socket-Type", second[i]);
        raw_send(fd, frame, raw_command(frame, sizeof frame, "READY", props, n));
        static const uint8_t hello[] = {0, 5, 'h', 'e', 'l', 'l', 'o'};
        send(fd, hello, sizeof hello, MSG_NOSIGNAL);   /* may fail once refused */
        char buf[16];
        if (i == 0) {
            CHECK_ERR(zmq_recv(dealer, buf, sizeof buf, 0), EAGAIN);
            CHECK(raw_wait_closed(fd, 2000));
        } else {
            CHECK_EQ(zmq_recv(dealer, buf, sizeof buf, 0), 5);
        }
        close(fd);
        zmq_close(dealer);
        zmq_ctx_term(ctx);
    }
}

int main(void)
{
    test_begin(60);
    RUN(ping_is_answered_with_pong_and_its_context);
    RUN(silent_peer_is_dropped_after_heartbeat_timeout);
    RUN(peer_ping_ttl_is_honoured);
    RUN(silent_handshake_times_out);
    RUN(oversized_frame_closes_only_that_connection);
    RUN(huge_long_frame_size_closes_the_connection);
    RUN(garbage_greeting_closes_the_connection);
    RUN(peers_that_reset_at_once_leave_no_trace);
    RUN(every_socket_type_in_ready_is_checked);
    return test_end();
}
