/* A raw TCP peer that speaks ZMTP 3.1 by hand, to test what only a misbehaving or silent peer shows:
 * heartbeats (PING answered with PONG carrying the context; a peer that stops answering is dropped after
 * ZMQ_HEARTBEAT_TIMEOUT; a peer's PING TTL is honoured), ZMQ_HANDSHAKE_IVL, and hostile input (a frame
 * larger than ZMQ_MAXMSGSIZE, garbage instead of a greeting, a huge long frame size) closing that one
 * connection while the socket keeps serving others. Passes against libzmq 4.3.4 too. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/* ---- the raw peer ------------------------------------------------------------------------------------ */
static int raw_connect(void *bound_socket)
{
    char ep[256];
    size_t len = sizeof ep;
    CHECK_OK(zmq_getsockopt(bound_socket, ZMQ_LAST_ENDPOINT, ep, &len));
    const char *colon = strrchr(ep, ':');
    CHECK(colon != NULL);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK_EQ(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void raw_send(int fd, const void *data, size_t len)
{
    CHECK_EQ(send(fd, data, len, MSG_NOSIGNAL), (long long)len);
}

/* Reads exactly len bytes within timeout_ms; returns bytes read (less on EOF or timeout). */
static size_t raw_recv(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
    size_t have = 0;
    int64_t deadline = now_ms() + timeout_ms;
    while (have < len) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(fd, buf + have, len - have, 0);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    return have;
}

/* True if the peer closes the connection within timeout_ms (reading and discarding what it sends). */
static int raw_wait_closed(int fd, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    uint8_t buf[256];
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            return 0;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return 1;
    }
}

static const uint8_t greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 1, 'N', 'U', 'L', 'L'};

/* READY for a DEALER: name, Socket-Type property. */
static void raw_send_ready(int fd, const char *type)
{
    uint8_t frame[64];
    size_t tlen = strlen(type);
    size_t body = 1 + 5 + 1 + 11 + 4 + tlen;
    frame[0] = 0x04;
    frame[1] = (uint8_t)body;
    size_t n = 2;
    frame[n++] = 5;
    memcpy(frame + n, "READY", 5);
    n += 5;
    frame[n++] = 11;
    memcpy(frame + n, "Socket-Type", 11);
    n += 11;
    frame[n++] = 0;
    frame[n++] = 0;
    frame[n++] = 0;
    frame[n++] = (uint8_t)tlen;
    memcpy(frame + n, type, tlen);
    n += tlen;
    raw_send(fd, frame, n);
}

/* Reads one frame; returns its body length, fills flags. Short frames only (tests keep them short). */
static int raw_recv_frame(int fd, uint8_t *flags, uint8_t *body, size_t cap, int timeout_ms)
{
    uint8_t hdr[2];
    if (raw_recv(fd, hdr, 2, timeout_ms) != 2)
        return -1;
    *flags = hdr[0];
    CHECK((hdr[0] & 0x02) == 0);
    CHECK(hdr[1] <= cap);
    if (raw_recv(fd, body, hdr[1], timeout_ms) != hdr[1])
        return -1;
    return hdr[1];
}

/* Full handshake as a DEALER peer; consumes the socket's greeting and READY. */
static int raw_handshake(void *bound_socket)
{
    int fd = raw_connect(bound_socket);
    raw_send(fd, greeting, sizeof greeting);
    uint8_t their[64];
    CHECK_EQ(raw_recv(fd, their, 64, 2000), 64);
    CHECK_EQ(their[0], 0xff);
    CHECK_EQ(their[10], 3);
    raw_send_ready(fd, "DEALER");
    uint8_t flags, body[255];
    int n = raw_recv_frame(fd, &flags, body, sizeof body, 2000);
    CHECK(n > 6);
    CHECK_EQ(flags, 0x04);
    CHECK(memcmp(body, "\5READY", 6) == 0);
    return fd;
}

static void *bound(void *ctx, int type)
{
    void *s = CHECK_PTR(zmq_socket(ctx, type));
    int linger = 0;
    CHECK_OK(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger));
    return s;
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
    void *router = bound(ctx, ZMQ_ROUTER);
    bind_tcp(router);
    int fd = raw_handshake(router);
    /* PING, TTL 0, context "abc" */
    const uint8_t ping[] = {0x04, 10, 4, 'P', 'I', 'N', 'G', 0, 0, 'a', 'b', 'c'};
    raw_send(fd, ping, sizeof ping);
    uint8_t flags, body[64];
    int n = raw_recv_frame(fd, &flags, body, sizeof body, 2000);
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
    void *router = bound(ctx, ZMQ_ROUTER);
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
    void *router = bound(ctx, ZMQ_ROUTER);
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
    void *router = bound(ctx, ZMQ_ROUTER);
    int ivl = 200;
    CHECK_OK(zmq_setsockopt(router, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl));
    bind_tcp(router);
    int fd = raw_connect(router);
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
    void *dealer = bound(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_connect(dealer, ep));
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
    void *router = bound(ctx, ZMQ_ROUTER);
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
    void *router = bound(ctx, ZMQ_ROUTER);
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
    void *router = bound(ctx, ZMQ_ROUTER);
    /* libzmq reads a first byte other than FF as a ZMTP 1.0 identity length and waits for the rest; zinc
     * refuses at once. Either way the connection must go, at the latest when the handshake times out. */
    int ivl = 500;
    CHECK_OK(zmq_setsockopt(router, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl));
    bind_tcp(router);
    int fd = raw_connect(router);
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
    void *router = bound(ctx, ZMQ_ROUTER);
    bind_tcp(router);
    for (int i = 0; i < 200; i++) {
        int fd = raw_connect(router);
        struct linger lg = {1, 0};   /* close sends RST */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
    }
    socket_still_serves(ctx, router);
    CHECK_OK(zmq_unbind(router, last_endpoint_of(router)));
    zmq_close(router);
    zmq_ctx_term(ctx);
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
    return test_end();
}
