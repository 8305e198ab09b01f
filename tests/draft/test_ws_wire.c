/* ws:// on the wire, byte for byte: a raw TCP peer plays libzmq's ZWS 2.0 client (its exact upgrade
 * request, masked frames whose first payload byte is the ZMTP flags) against a zinc server, and libzmq's
 * server (unmasked frames) against a zinc client; then hostile peers: bad masking, reserved opcodes,
 * fragments, 64-bit lengths, frames over ZMQ_MAXMSGSIZE, oversized or wrong HTTP heads. Each must close
 * that connection (a WebSocket close with RFC 6455's status code, or an HTTP 400) and nothing else. */
#include <zmq.h>

#include <stdbool.h>

#include "rawpeer.h"
#include "testutil.h"

static void *ctx;

/* ---- a raw WebSocket peer -------------------------------------------------------------------------- */

/* Reads an HTTP head (through the empty line) into buf. Its length. */
static size_t read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0) {
        CHECK(n + 1 < cap);
        raw_read_exact(fd, buf + n, 1, 2000);
        n++;
    }
    buf[n] = 0;
    return n;
}

/* Sends one frame; masked with mask {1,2,3,4} when masked. */
static void put_frame(int fd, uint8_t b0, const void *payload, size_t len, bool masked)
{
    uint8_t out[14 + 70000];
    size_t p = 2;
    CHECK(len <= 70000);
    out[0] = b0;
    out[1] = masked ? 0x80 : 0;
    if (len < 126) {
        out[1] |= (uint8_t)len;
    } else {
        out[1] |= 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        p = 4;
    }
    static const uint8_t mask[4] = {1, 2, 3, 4};
    if (masked) {
        memcpy(out + p, mask, 4);
        p += 4;
    }
    for (size_t i = 0; i < len; i++)
        out[p + i] = ((const uint8_t *)payload)[i] ^ (masked ? mask[i & 3] : 0);
    raw_send(fd, out, p + len);
}

/* A ZWS 2.0 data frame: flags byte then body. */
static void put_zws(int fd, uint8_t flags, const void *body, size_t len, bool masked)
{
    uint8_t payload[1 + 70000];
    CHECK(len <= 70000 - 1);
    payload[0] = flags;
    memcpy(payload + 1, body, len);
    put_frame(fd, 0x82, payload, len + 1, masked);
}

struct frame {
    uint8_t b0;
    bool masked;
    size_t len;
    uint8_t data[70000];   /* unmasked */
};

static void get_frame(int fd, struct frame *f)
{
    uint8_t h[2];
    raw_read_exact(fd, h, 2, 2000);
    f->b0 = h[0];
    f->masked = (h[1] & 0x80) != 0;
    f->len = h[1] & 0x7f;
    if (f->len == 126) {
        uint8_t l[2];
        raw_read_exact(fd, l, 2, 2000);
        f->len = (size_t)l[0] << 8 | l[1];
    }
    CHECK(f->len < sizeof f->data);
    uint8_t mask[4] = {0, 0, 0, 0};
    if (f->masked)
        raw_read_exact(fd, mask, 4, 2000);
    if (f->len)
        raw_read_exact(fd, f->data, f->len, 2000);
    for (size_t i = 0; i < f->len; i++)
        f->data[i] ^= mask[i & 3];
}

/* The READY command body libzmq sends for type (and an empty Identity for REQ/DEALER/ROUTER). */
static size_t ready_body(uint8_t *out, const char *type, bool identity)
{
    uint8_t frame[300];
    size_t n = raw_ready(frame, sizeof frame, type, identity ? "" : NULL);
    memcpy(out, frame + 2, n - 2);   /* without the ZMTP flags and size */
    return n - 2;
}

static const char libzmq_request[] = "GET / HTTP/1.1\r\n"
                                     "Host: 127.0.0.1\r\n"
                                     "Upgrade: websocket\r\n"
                                     "Connection: Upgrade\r\n"
                                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                     "Sec-WebSocket-Protocol: ZWS2.0/NULL,ZWS2.0\r\n"
                                     "Sec-WebSocket-Version: 13\r\n\r\n";

static const char expected_101[] = "HTTP/1.1 101 Switching Protocols\r\n"
                                   "Upgrade: websocket\r\n"
                                   "Connection: Upgrade\r\n"
                                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                   "Sec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n";

/* A zinc socket of type bound on ws; fd a raw client that did the upgrade and the READY exchange. */
static void *upgraded(int type, const char *peer_type, int *fd, int64_t maxmsgsize)
{
    void *s = test_socket(ctx, type);
    if (maxmsgsize >= 0)
        CHECK_OK(zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsgsize, sizeof maxmsgsize));
    char ep[256];
    CHECK_OK(zmq_bind(s, "ws://127.0.0.1:*"));
    get_last_endpoint(s, ep, sizeof ep);
    *fd = raw_connect_port(endpoint_port(ep));
    raw_write(*fd, libzmq_request);
    char head[1024];
    size_t n = read_head(*fd, head, sizeof head);
    CHECK_MEM(head, n, expected_101, strlen(expected_101));
    /* zinc's READY: unmasked (server), flags byte 0x02 (command) */
    static struct frame f;
    get_frame(*fd, &f);
    CHECK_EQ(f.b0, 0x82);
    CHECK(!f.masked);
    CHECK_EQ(f.data[0], 0x02);
    CHECK_MEM(f.data + 1, 6, "\x05READY", 6);
    uint8_t body[300];
    size_t bl = ready_body(body, peer_type, true);
    put_zws(*fd, 0x02, body, bl, true);
    return s;
}

/* The close frame the peer sends next: its status code; then the connection ends. */
static int expect_close(int fd)
{
    static struct frame f;
    get_frame(fd, &f);
    CHECK_EQ(f.b0, 0x88);
    CHECK(!f.masked);
    CHECK(f.len >= 2);
    CHECK(raw_wait_closed(fd, 3000));
    return f.data[0] << 8 | f.data[1];
}

/* ---- zinc as the server ---------------------------------------------------------------------------- */

static void server_req_rep(void)
{
    int fd;
    void *rep = upgraded(ZMQ_REP, "REQ", &fd, -1);
    put_zws(fd, 0x01, "", 0, true);        /* the empty delimiter, MORE */
    put_zws(fd, 0x00, "hello", 5, true);
    recv_expect(rep, "hello");
    send_str(rep, "world");
    static struct frame f;
    get_frame(fd, &f);
    CHECK_EQ(f.b0, 0x82);
    CHECK_MEM(f.data, f.len, "\x01", 1);    /* delimiter: flags MORE, no body */
    get_frame(fd, &f);
    CHECK_MEM(f.data, f.len, "\x00world", 6);
    /* a 300-byte body uses the 16-bit length form both ways */
    char big[300];
    memset(big, 'b', sizeof big);
    put_zws(fd, 0x01, "", 0, true);
    put_zws(fd, 0x00, big, sizeof big, true);
    recv_expect_buf(rep, big, sizeof big, 0);
    send_buf(rep, big, sizeof big, 0);
    get_frame(fd, &f);
    get_frame(fd, &f);
    CHECK_EQ(f.len, 301);
    CHECK(f.data[0] == 0 && memcmp(f.data + 1, big, 300) == 0);
    close(fd);
    zmq_close(rep);
}

/* libzmq's SUB sends a subscription as a data frame with flags 0 and a 0x01 prefix. */
static void server_subscription_message(void)
{
    int fd;
    void *pub = upgraded(ZMQ_PUB, "SUB", &fd, -1);
    put_zws(fd, 0x00, "\x01news", 5, true);
    static struct frame f;
    int64_t deadline = now_ms() + 3000;
    for (;;) {   /* until the subscription took effect */
        CHECK(now_ms() < deadline);
        send_str(pub, "news!");
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) == 1)
            break;
    }
    get_frame(fd, &f);
    CHECK_MEM(f.data, f.len, "\x00news!", 6);
    close(fd);
    zmq_close(pub);
}

/* A ping is answered by a pong with its payload; a pong needs no answer. */
static void server_ping_pong(void)
{
    int fd;
    void *rep = upgraded(ZMQ_REP, "REQ", &fd, -1);
    put_frame(fd, 0x89, "abc", 3, true);
    static struct frame f;
    get_frame(fd, &f);
    CHECK_EQ(f.b0, 0x8a);
    CHECK_MEM(f.data, f.len, "abc", 3);
    put_frame(fd, 0x8a, "", 0, true);
    put_zws(fd, 0x01, "", 0, true);
    put_zws(fd, 0x00, "after", 5, true);
    recv_expect(rep, "after");
    close(fd);
    zmq_close(rep);
}

/* zinc's heartbeat PING goes out as a WebSocket ping (libzmq's form), and the peer's pong keeps the
 * connection alive past the timeout. */
static void server_heartbeat_is_ws_ping(void)
{
    void *rep = test_socket(ctx, ZMQ_REP);
    int ivl = 50, tmo = 150;
    CHECK_OK(zmq_setsockopt(rep, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl));
    CHECK_OK(zmq_setsockopt(rep, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo));
    char ep[256];
    CHECK_OK(zmq_bind(rep, "ws://127.0.0.1:*"));
    get_last_endpoint(rep, ep, sizeof ep);
    int fd = raw_connect_port(endpoint_port(ep));
    raw_write(fd, libzmq_request);
    char head[1024];
    read_head(fd, head, sizeof head);
    static struct frame f;
    get_frame(fd, &f);   /* READY */
    uint8_t body[300];
    put_zws(fd, 0x02, body, ready_body(body, "REQ", true), true);
    int pings = 0;
    int64_t end = now_ms() + 600;
    while (now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) != 1)
            continue;
        get_frame(fd, &f);
        CHECK_EQ(f.b0, 0x89);
        CHECK_EQ(f.len, 0);
        pings++;
        put_frame(fd, 0x8a, "", 0, true);
    }
    CHECK(pings >= 3);
    put_zws(fd, 0x01, "", 0, true);
    put_zws(fd, 0x00, "alive", 5, true);
    recv_expect(rep, "alive");
    close(fd);
    zmq_close(rep);
}

static void server_close_echo(void)
{
    int fd;
    void *rep = upgraded(ZMQ_REP, "REQ", &fd, -1);
    put_frame(fd, 0x88, "\x03\xe8", 2, true);
    CHECK_EQ(expect_close(fd), 1000);
    close(fd);
    zmq_close(rep);
}

static void server_rejects(uint8_t b0, const void *payload, size_t len, bool masked, int64_t max, int code)
{
    int fd;
    void *rep = upgraded(ZMQ_REP, "REQ", &fd, max);
    put_frame(fd, b0, payload, len, masked);
    CHECK_EQ(expect_close(fd), code);
    close(fd);
    zmq_close(rep);
}

static void server_bad_frames(void)
{
    server_rejects(0x82, "\x00x", 2, false, -1, 1002);   /* unmasked from a client */
    server_rejects(0x81, "text", 4, true, -1, 1002);     /* text opcode */
    server_rejects(0x02, "\x00x", 2, true, -1, 1002);    /* not final: fragmented */
    server_rejects(0x80, "\x00x", 2, true, -1, 1002);    /* a continuation */
    server_rejects(0xc2, "\x00x", 2, true, -1, 1002);    /* RSV1 */
    server_rejects(0x82, "", 0, true, -1, 1002);         /* no flags byte */
    char big[127];
    memset(big, 0, sizeof big);
    server_rejects(0x89, big, 126, true, -1, 1002);      /* a control frame over 125 */
    server_rejects(0x82, big, 12, true, 10, 1009);       /* over ZMQ_MAXMSGSIZE (11 bytes after flags) */
}

/* 64-bit lengths: the top bit set is refused at once; a huge legal one costs the peer its bytes, not our
 * memory (the relay streams; nothing is allocated for the announced size), and the server keeps serving. */
static void server_long_lengths(void)
{
    int fd;
    void *rep = upgraded(ZMQ_REP, "REQ", &fd, -1);
    static const uint8_t top[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
    raw_send(fd, top, sizeof top);
    CHECK_EQ(expect_close(fd), 1002);
    close(fd);
    zmq_close(rep);

    int64_t max = 1000;
    rep = upgraded(ZMQ_REP, "REQ", &fd, max);
    static const uint8_t huge[] = {0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4};   /* 2^40 */
    raw_send(fd, huge, sizeof huge);
    CHECK_EQ(expect_close(fd), 1009);
    close(fd);
    /* the socket still serves a well-behaved peer */
    char ep[256];
    get_last_endpoint(rep, ep, sizeof ep);
    void *req = connected_socket(ctx, ZMQ_REQ, ep);
    send_str(req, "still");
    recv_expect(rep, "still");
    zmq_close(req);
    zmq_close(rep);
}

/* Bad upgrade requests get "HTTP/1.1 400" and the end of the connection. */
static void server_bad_requests(void)
{
    void *rep = test_socket(ctx, ZMQ_REP);
    char ep[256];
    CHECK_OK(zmq_bind(rep, "ws://127.0.0.1:*"));
    get_last_endpoint(rep, ep, sizeof ep);
    int port = endpoint_port(ep);
    static const char *const bad[] = {
        "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n"
        "Sec-WebSocket-Protocol: ZWS2.0/CURVE\r\nSec-WebSocket-Version: 13\r\n\r\n",   /* not our mechanism */
        "GET / HTTP/1.1\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n"
        "Sec-WebSocket-Protocol: ZWS2.0/NULL\r\nSec-WebSocket-Version: 13\r\n\r\n",    /* no Upgrade */
        "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n"
        "Sec-WebSocket-Protocol: ZWS2.0/NULL\r\nSec-WebSocket-Version: 8\r\n\r\n",     /* version */
        "PUT / HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd = raw_connect_port(port);
        raw_write(fd, bad[i]);
        raw_read_expect(fd, "HTTP/1.1 400 ");
        CHECK(raw_wait_closed(fd, 3000));
        close(fd);
    }
    /* a head that never ends within 8 KiB */
    int fd = raw_connect_port(port);
    raw_write(fd, "GET / HTTP/1.1\r\n");
    char junk[1000];
    memset(junk, 'a', sizeof junk);
    for (int i = 0; i < 9; i++)
        raw_send(fd, junk, sizeof junk);
    raw_read_expect(fd, "HTTP/1.1 400 ");
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    zmq_close(rep);
}

/* Bare "ZWS2.0" (what a browser offers): no READY; each side's first message is its routing id, and
 * zinc takes the peer for a compatible type. The server prefers the client's first offer. */
static void server_bare_zws(void)
{
    void *rep = test_socket(ctx, ZMQ_ROUTER);
    CHECK_OK(zmq_setsockopt(rep, ZMQ_ROUTING_ID, "srv", 3));
    char ep[256], head[1024];
    CHECK_OK(zmq_bind(rep, "ws://127.0.0.1:*"));
    get_last_endpoint(rep, ep, sizeof ep);
    int fd = raw_connect_port(endpoint_port(ep));
    raw_write(fd, "GET /b HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ZWS2.0, ZWS2.0/NULL\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n");
    size_t n = read_head(fd, head, sizeof head);
    static const char want[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                               "Sec-WebSocket-Protocol: ZWS2.0\r\n\r\n";
    CHECK_MEM(head, n, want, strlen(want));
    static struct frame f;
    get_frame(fd, &f);   /* the server's routing id, as a plain message */
    CHECK_EQ(f.b0, 0x82);
    CHECK_MEM(f.data, f.len, "\x00srv", 4);
    put_zws(fd, 0x00, "peer-1", 6, true);   /* ours */
    put_zws(fd, 0x00, "hello", 5, true);
    recv_expect_more(rep, "peer-1");
    recv_expect(rep, "hello");
    send_str_more(rep, "peer-1");
    send_str(rep, "back");
    get_frame(fd, &f);
    CHECK_MEM(f.data, f.len, "\x00" "back", 5);
    close(fd);
    /* a routing id over 255 bytes, or with MORE, is refused */
    fd = raw_connect_port(endpoint_port(ep));
    raw_write(fd, "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ZWS2.0\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n");
    read_head(fd, head, sizeof head);
    get_frame(fd, &f);
    put_zws(fd, 0x01, "id", 2, true);
    CHECK_EQ(expect_close(fd), 1002);
    close(fd);
    zmq_close(rep);
}

/* ---- zinc as the client ---------------------------------------------------------------------------- */

/* The value of header name in head ("" if absent). */
static void header(const char *head, const char *name, char *out, size_t cap)
{
    out[0] = 0;
    const char *p = strstr(head, name);
    if (!p)
        return;
    p += strlen(name) + 2;   /* ": " */
    const char *e = strstr(p, "\r\n");
    size_t n = (size_t)(e - p);
    CHECK(n < cap);
    memcpy(out, p, n);
    out[n] = 0;
}

/* The Sec-WebSocket-Accept for key, as zinc's own server computes it (this test sees only zmq.h): a raw
 * client sends key to a zinc ws server and reads the answer. */
static void accept_for(const char *key, char *out, size_t cap)
{
    void *rep = test_socket(ctx, ZMQ_REP);
    char ep[256], req[512], head[1024];
    CHECK_OK(zmq_bind(rep, "ws://127.0.0.1:*"));
    get_last_endpoint(rep, ep, sizeof ep);
    int fd = raw_connect_port(endpoint_port(ep));
    snprintf(req, sizeof req,
             "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
             "Sec-WebSocket-Protocol: ZWS2.0/NULL\r\nSec-WebSocket-Version: 13\r\n\r\n", key);
    raw_write(fd, req);
    read_head(fd, head, sizeof head);
    header(head, "Sec-WebSocket-Accept", out, cap);
    CHECK_EQ(strlen(out), 28);
    close(fd);
    zmq_close(rep);
}

/* Accepts zinc's connection on lfd, checks its upgrade request and answers 101 (with a wrong accept key if
 * spoil). */
static int accept_upgrade(int lfd, int port, bool spoil)
{
    int fd = raw_accept(lfd, 3000);
    char head[2048], v[256], key[64], acc[64];
    read_head(fd, head, sizeof head);
    CHECK(strncmp(head, "GET /the/path HTTP/1.1\r\n", 24) == 0);
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    header(head, "Host", v, sizeof v);
    CHECK_STR(v, host);
    header(head, "Upgrade", v, sizeof v);
    CHECK_STR(v, "websocket");
    header(head, "Connection", v, sizeof v);
    CHECK_STR(v, "Upgrade");
    header(head, "Sec-WebSocket-Protocol", v, sizeof v);
    CHECK_STR(v, "ZWS2.0/NULL");
    header(head, "Sec-WebSocket-Version", v, sizeof v);
    CHECK_STR(v, "13");
    header(head, "Sec-WebSocket-Key", key, sizeof key);
    CHECK_EQ(strlen(key), 24);   /* base64 of 16 random bytes */
    if (spoil)
        snprintf(acc, sizeof acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    else
        accept_for(key, acc, sizeof acc);
    char reply[512];
    snprintf(reply, sizeof reply,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n", acc);
    raw_write(fd, reply);
    return fd;
}

/* zinc's client masks every frame (RFC 6455 5.3), sends READY as a command frame, takes unmasked frames,
 * and sends its heartbeat as a masked WebSocket ping. */
static void client_exchange(void)
{
    int port = 0;
    int lfd = raw_listen(&port);
    char ep[128];
    snprintf(ep, sizeof ep, "ws://127.0.0.1:%d/the/path", port);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    int ivl = 100;
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl));
    CHECK_OK(zmq_connect(dealer, ep));
    int fd = accept_upgrade(lfd, port, false);
    static struct frame f;
    get_frame(fd, &f);
    CHECK_EQ(f.b0, 0x82);
    CHECK(f.masked);
    CHECK_EQ(f.data[0], 0x02);
    CHECK_MEM(f.data + 1, 6, "\x05READY", 6);
    uint8_t body[300];
    put_zws(fd, 0x02, body, ready_body(body, "ROUTER", true), false);
    put_zws(fd, 0x00, "hi", 2, false);
    recv_expect(dealer, "hi");
    send_str_more(dealer, "y");
    send_str(dealer, "o");
    bool got_ping = false;
    int data = 0;
    while (data < 2 || !got_ping) {
        get_frame(fd, &f);
        CHECK(f.masked);
        if (f.b0 == 0x89) {
            got_ping = true;
            CHECK_EQ(f.len, 0);
            put_frame(fd, 0x8a, "", 0, false);
            continue;
        }
        CHECK_EQ(f.b0, 0x82);
        CHECK_MEM(f.data, f.len, data == 0 ? "\x01y" : "\x00o", 2);
        data++;
    }
    /* the server's masked frame is a protocol error for a client */
    put_frame(fd, 0x82, "\x00z", 2, true);
    static struct frame c;
    get_frame(fd, &c);
    CHECK_EQ(c.b0, 0x88);
    CHECK(c.masked);
    CHECK_EQ(c.data[0] << 8 | c.data[1], 1002);
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    zmq_close(dealer);
    close(lfd);
}

static void client_wrong_accept(void)
{
    int port = 0;
    int lfd = raw_listen(&port);
    char ep[128];
    snprintf(ep, sizeof ep, "ws://127.0.0.1:%d/the/path", port);
    void *dealer = connected_socket(ctx, ZMQ_DEALER, ep);
    int fd = accept_upgrade(lfd, port, true);
    CHECK(raw_wait_closed(fd, 3000));   /* the key does not match: zinc hangs up */
    close(fd);
    fd = raw_accept(lfd, 3000);         /* and tries again later */
    close(fd);
    zmq_close(dealer);
    close(lfd);
}

int main(void)
{
    test_begin(60);
    ctx = zmq_ctx_new();
    RUN(server_req_rep);
    RUN(server_subscription_message);
    RUN(server_ping_pong);
    RUN(server_heartbeat_is_ws_ping);
    RUN(server_close_echo);
    RUN(server_bad_frames);
    RUN(server_long_lengths);
    RUN(server_bad_requests);
    RUN(server_bare_zws);
    RUN(client_exchange);
    RUN(client_wrong_accept);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
