/* ws:// (libzmq's draft WebSocket transport, ZWS 2.0) between zinc sockets through the public API: bind
 * with an ephemeral port and ZMQ_LAST_ENDPOINT, paths, the socket patterns, multipart and big messages,
 * many connections, heartbeats (WebSocket ping/pong), ZMQ_MAXMSGSIZE, reconnects, the monitor, IPv6, PLAIN and
 * CURVE over ws, and the address errors. The wire bytes are tests/draft/test_ws_wire.c's. */
#include <zmq.h>

#include "testutil.h"

static void *ctx;

/* sock bound to ws://127.0.0.1:* ; ep gets ZMQ_LAST_ENDPOINT */
static void ws_bind(void *sock, char *ep, size_t cap)
{
    CHECK_OK(zmq_bind(sock, "ws://127.0.0.1:*"));
    get_last_endpoint(sock, ep, cap);
}

static void *ws_pair(int btype, int ctype, void **client, const char *path)
{
    char ep[256], cep[300];
    void *b = test_socket(ctx, btype);
    ws_bind(b, ep, sizeof ep);
    *strrchr(ep, '/') = 0;   /* the client names its own path: any is accepted */
    snprintf(cep, sizeof cep, "%s%s", ep, path);
    *client = connected_socket(ctx, ctype, cep);
    return b;
}

static void last_endpoint_form(void)
{
    void *s = test_socket(ctx, ZMQ_REP);
    char ep[256];
    ws_bind(s, ep, sizeof ep);
    CHECK(strncmp(ep, "ws://127.0.0.1:", 15) == 0);
    CHECK(atoi(ep + 15) > 0);
    CHECK_STR(strchr(ep + 5, '/'), "/");   /* libzmq 4.3.4: the path, "/" by default */
    /* a path on bind is kept, and the endpoint unbinds */
    void *t = test_socket(ctx, ZMQ_REP);
    CHECK_OK(zmq_bind(t, "ws://127.0.0.1:*/some/path"));
    get_last_endpoint(t, ep, sizeof ep);
    CHECK_STR(strchr(ep + 5, '/'), "/some/path");
    CHECK_OK(zmq_unbind(t, ep));
    zmq_close(s);
    zmq_close(t);
}

static void req_rep(void)
{
    void *req, *rep = ws_pair(ZMQ_REP, ZMQ_REQ, &req, "/zmq");
    for (int i = 0; i < 20; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "request %d", i);
        send_str(req, buf);
        recv_expect(rep, buf);
        send_str(rep, "reply");
        recv_expect(req, "reply");
    }
    zmq_close(req);
    zmq_close(rep);
}

static void pub_sub(void)
{
    void *sub, *pub = ws_pair(ZMQ_PUB, ZMQ_SUB, &sub, "");
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "a", 1));
    await_subscription(pub, sub, "a");
    send_str(pub, "b-not-this");
    send_str(pub, "a-this");
    recv_expect(sub, "a-this");
    /* unsubscribe reaches the publisher (a 0x00 message over ZWS 2.0) */
    CHECK_OK(zmq_setsockopt(sub, ZMQ_UNSUBSCRIBE, "a", 1));
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "c", 1));
    await_subscription(pub, sub, "c");
    send_str(pub, "a-gone");
    send_str(pub, "c-here");
    recv_expect(sub, "c-here");
    zmq_close(sub);
    zmq_close(pub);
}

static void xpub_sees_subscribe(void)
{
    void *sub, *xpub = ws_pair(ZMQ_XPUB, ZMQ_SUB, &sub, "");
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "topic", 5));
    recv_expect_buf(xpub, "\x01topic", 6, 0);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_UNSUBSCRIBE, "topic", 5));
    recv_expect_buf(xpub, "\x00topic", 6, 0);
    zmq_close(sub);
    zmq_close(xpub);
}

static void dealer_router_multipart(void)
{
    char ep[256], cep[300];
    void *router = test_socket(ctx, ZMQ_ROUTER);
    ws_bind(router, ep, sizeof ep);
    *strrchr(ep, '/') = 0;
    snprintf(cep, sizeof cep, "%s/x", ep);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "D1", 2));
    CHECK_OK(zmq_connect(dealer, cep));
    send_str_more(dealer, "one");
    send_buf(dealer, "", 0, ZMQ_SNDMORE);
    send_str(dealer, "three");
    recv_expect_more(router, "D1");
    recv_expect_more(router, "one");
    recv_expect_buf(router, "", 0, 1);
    recv_expect(router, "three");
    send_str_more(router, "D1");
    send_str(router, "back");
    recv_expect(dealer, "back");
    zmq_close(dealer);
    zmq_close(router);
}

/* Bodies across the 125 / 65535 length forms and beyond the relay's buffers. */
static void push_pull_sizes(void)
{
    void *push, *pull = ws_pair(ZMQ_PULL, ZMQ_PUSH, &push, "");
    static const size_t sizes[] = {0, 1, 124, 125, 126, 254, 255, 256, 65534, 65535, 65536, 100000, 3000000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char *buf = malloc(n + 1);
        CHECK(buf != NULL);
        for (size_t j = 0; j < n; j++)
            buf[j] = (unsigned char)(j * 7 + i);
        send_buf(push, buf, n, 0);
        zmq_msg_t m;
        zmq_msg_init(&m);
        CHECK_EQ(zmq_msg_recv(&m, pull, 0), (int)n);
        CHECK(memcmp(zmq_msg_data(&m), buf, n) == 0);
        zmq_msg_close(&m);
        free(buf);
    }
    zmq_close(push);
    zmq_close(pull);
}

/* 2,000 messages in a burst, in order. */
static void push_pull_stream(void)
{
    void *push, *pull = ws_pair(ZMQ_PULL, ZMQ_PUSH, &push, "");
    for (int i = 0; i < 2000; i++)
        CHECK_EQ(zmq_send(push, &i, sizeof i, 0), (int)sizeof i);
    for (int i = 0; i < 2000; i++) {
        int v = -1;
        CHECK_EQ(recv_timeout(pull, &v, sizeof v, 5000, NULL), (int)sizeof v);
        CHECK_EQ(v, i);
    }
    zmq_close(push);
    zmq_close(pull);
}

static void many_connections(void)
{
    char ep[256];
    void *pull = test_socket(ctx, ZMQ_PULL);
    ws_bind(pull, ep, sizeof ep);
    enum { N = 20 };
    void *push[N];
    for (int i = 0; i < N; i++)
        push[i] = connected_socket(ctx, ZMQ_PUSH, ep);
    for (int i = 0; i < N; i++)
        CHECK_EQ(zmq_send(push[i], &i, sizeof i, 0), (int)sizeof i);
    int seen[N] = {0};
    for (int i = 0; i < N; i++) {
        int v = -1;
        CHECK_EQ(recv_timeout(pull, &v, sizeof v, 5000, NULL), (int)sizeof v);
        CHECK(v >= 0 && v < N && !seen[v]);
        seen[v] = 1;
    }
    for (int i = 0; i < N; i++)
        zmq_close(push[i]);
    zmq_close(pull);
}

/* Heartbeats travel as WebSocket ping/pong: with a short timeout the connection stays up while both
 * answer, and messages still flow after several heartbeat periods. */
static void heartbeats(void)
{
    char ep[256];
    void *rep = test_socket(ctx, ZMQ_REP);
    int ivl = 50, tmo = 200;
    CHECK_OK(zmq_setsockopt(rep, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl));
    CHECK_OK(zmq_setsockopt(rep, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo));
    ws_bind(rep, ep, sizeof ep);
    void *req = test_socket(ctx, ZMQ_REQ);
    CHECK_OK(zmq_setsockopt(req, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl));
    CHECK_OK(zmq_setsockopt(req, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo));
    void *mon = NULL;
    CHECK_OK(zmq_socket_monitor(rep, "inproc://ws-hb-mon", ZMQ_EVENT_DISCONNECTED));
    mon = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(mon, "inproc://ws-hb-mon"));
    CHECK_OK(zmq_connect(req, ep));
    send_str(req, "x");
    recv_expect(rep, "x");
    msleep(700);   /* > 3 timeouts: without pongs the connection would have been dropped */
    expect_no_msg(mon, 10);
    send_str(rep, "y");
    recv_expect(req, "y");
    zmq_close(mon);
    zmq_close(req);
    zmq_close(rep);
}

/* A frame over the receiver's ZMQ_MAXMSGSIZE closes the connection (not the process). */
static void maxmsgsize(void)
{
    char ep[256];
    void *pull = test_socket(ctx, ZMQ_PULL);
    int64_t max = 100;
    CHECK_OK(zmq_setsockopt(pull, ZMQ_MAXMSGSIZE, &max, sizeof max));
    ws_bind(pull, ep, sizeof ep);
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    char big[101] = {0};
    send_buf(push, "ok", 2, 0);
    recv_expect(pull, "ok");
    send_buf(push, big, 100, 0);
    recv_expect_buf(pull, big, 100, 0);
    send_buf(push, big, 101, 0);
    expect_no_msg(pull, 300);
    zmq_close(push);
    zmq_close(pull);
}

/* The binder goes away and comes back on the same port: the connecter reconnects over ws. */
static void reconnect(void)
{
    char ep[256];
    void *pull = test_socket(ctx, ZMQ_PULL);
    ws_bind(pull, ep, sizeof ep);
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    send_str(push, "first");
    recv_expect(pull, "first");
    zmq_close(pull);
    msleep(50);
    pull = test_socket(ctx, ZMQ_PULL);
    int64_t deadline = now_ms() + 3000;
    while (zmq_bind(pull, ep) != 0) {
        CHECK(now_ms() < deadline);
        msleep(20);
    }
    send_str(push, "second");
    recv_expect(pull, "second");
    zmq_close(push);
    zmq_close(pull);
}

/* Monitor events name ws:// endpoints; the handshake succeeds. */
static void monitor_events(void)
{
    char ep[256];
    void *rep = test_socket(ctx, ZMQ_REP);
    ws_bind(rep, ep, sizeof ep);
    CHECK_OK(zmq_socket_monitor(rep, "inproc://ws-mon", ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED));
    void *mon = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(mon, "inproc://ws-mon"));
    void *req = connected_socket(ctx, ZMQ_REQ, ep);
    for (int want = 0; want < 2; want++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        CHECK(poll_in(mon, 2000));
        CHECK_EQ(zmq_msg_recv(&m, mon, 0), 6);
        uint16_t ev;
        memcpy(&ev, zmq_msg_data(&m), 2);
        CHECK_EQ(ev, want == 0 ? ZMQ_EVENT_ACCEPTED : ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        char addr[256];
        int n = zmq_recv(mon, addr, sizeof addr - 1, 0);
        CHECK(n > 0);
        addr[n] = 0;
        CHECK(strncmp(addr, "ws://", 5) == 0);
        zmq_msg_close(&m);
    }
    zmq_close(mon);
    zmq_close(req);
    zmq_close(rep);
}

/* Peer-Address metadata is the TCP peer's. */
static void peer_address(void)
{
    void *push, *pull = ws_pair(ZMQ_PULL, ZMQ_PUSH, &push, "");
    send_str(push, "m");
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_EQ(zmq_msg_recv(&m, pull, 0), 1);
    const char *pa = zmq_msg_gets(&m, "Peer-Address");
    CHECK(pa != NULL && strcmp(pa, "127.0.0.1") == 0);
    zmq_msg_close(&m);
    zmq_close(push);
    zmq_close(pull);
}

static void plain_over_ws(void)
{
    char ep[256];
    void *server = test_socket(ctx, ZMQ_PULL);
    int one = 1;
    CHECK_OK(zmq_setsockopt(server, ZMQ_PLAIN_SERVER, &one, sizeof one));
    /* a PLAIN server needs a ZAP handler: a trivial one that says 200 */
    void *zap = test_socket(ctx, ZMQ_REP);
    CHECK_OK(zmq_bind(zap, "inproc://zeromq.zap.01"));
    ws_bind(server, ep, sizeof ep);
    void *client = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_setsockopt(client, ZMQ_PLAIN_USERNAME, "u", 1));
    CHECK_OK(zmq_setsockopt(client, ZMQ_PLAIN_PASSWORD, "p", 1));
    CHECK_OK(zmq_connect(client, ep));
    /* answer one ZAP request */
    zmq_msg_t part[16];
    int n = 0, more = 1;
    CHECK(poll_in(zap, 3000));
    while (more && n < 16) {
        zmq_msg_init(&part[n]);
        CHECK(zmq_msg_recv(&part[n], zap, 0) >= 0);
        more = zmq_msg_more(&part[n]);
        n++;
    }
    CHECK(n >= 2);
    send_buf(zap, "1.0", 3, ZMQ_SNDMORE);
    send_buf(zap, zmq_msg_data(&part[1]), zmq_msg_size(&part[1]), ZMQ_SNDMORE);
    send_str_more(zap, "200");
    send_str_more(zap, "OK");
    send_str_more(zap, "user");
    send_buf(zap, "", 0, 0);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&part[i]);
    send_str(client, "secret");
    recv_expect(server, "secret");
    zmq_close(client);
    zmq_close(server);
    zmq_close(zap);
}

static void curve_over_ws(void)
{
    char spub[41], ssec[41], cpub[41], csec[41];
    if (zmq_curve_keypair(spub, ssec) != 0) {
        printf("curve_over_ws: no CURVE in this build, skipped\n");
        return;
    }
    CHECK_OK(zmq_curve_keypair(cpub, csec));
    char ep[256];
    void *server = test_socket(ctx, ZMQ_REP);
    int one = 1;
    CHECK_OK(zmq_setsockopt(server, ZMQ_CURVE_SERVER, &one, sizeof one));
    CHECK_OK(zmq_setsockopt(server, ZMQ_CURVE_SECRETKEY, ssec, 40));
    ws_bind(server, ep, sizeof ep);
    void *client = test_socket(ctx, ZMQ_REQ);
    CHECK_OK(zmq_setsockopt(client, ZMQ_CURVE_SERVERKEY, spub, 40));
    CHECK_OK(zmq_setsockopt(client, ZMQ_CURVE_PUBLICKEY, cpub, 40));
    CHECK_OK(zmq_setsockopt(client, ZMQ_CURVE_SECRETKEY, csec, 40));
    CHECK_OK(zmq_connect(client, ep));
    send_str(client, "boxed");
    recv_expect(server, "boxed");
    send_str(server, "boxed back");
    recv_expect(client, "boxed back");
    zmq_close(client);
    zmq_close(server);
}

/* Mechanisms differ: the server finds no common subprotocol and refuses; no message passes. */
static void mechanism_mismatch(void)
{
    char ep[256];
    void *server = test_socket(ctx, ZMQ_PULL);
    int one = 1;
    CHECK_OK(zmq_setsockopt(server, ZMQ_PLAIN_SERVER, &one, sizeof one));
    ws_bind(server, ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_PUSH, ep);   /* NULL */
    CHECK_EQ(zmq_send(client, "x", 1, ZMQ_DONTWAIT), 1);
    expect_no_msg(server, 300);
    zmq_close(client);
    zmq_close(server);
}

static void address_errors(void)
{
    void *s = test_socket(ctx, ZMQ_PUSH);
    CHECK_ERR(zmq_bind(s, "ws://"), EINVAL);
    CHECK_ERR(zmq_bind(s, "ws:///path"), EINVAL);
    CHECK_ERR(zmq_connect(s, "ws://127.0.0.1/path"), EINVAL);
    CHECK_ERR(zmq_bind(s, "wss://127.0.0.1:*"), EPROTONOSUPPORT);
    zmq_close(s);
    void *stream = test_socket(ctx, ZMQ_STREAM);
    CHECK_ERR(zmq_bind(stream, "ws://127.0.0.1:*"), ENOCOMPATPROTO);
    CHECK_ERR(zmq_connect(stream, "ws://127.0.0.1:5555/"), ENOCOMPATPROTO);
    zmq_close(stream);
}

/* IPv6 with ZMQ_IPV6: "ws://[::1]:PORT/" (skipped on a host without IPv6 loopback). */
static void ipv6(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    int one = 1;
    CHECK_OK(zmq_setsockopt(pull, ZMQ_IPV6, &one, sizeof one));
    if (zmq_bind(pull, "ws://[::1]:*/six") != 0) {
        printf("ipv6: no IPv6 loopback here, skipped\n");
        zmq_close(pull);
        return;
    }
    char ep[256];
    get_last_endpoint(pull, ep, sizeof ep);
    CHECK(strncmp(ep, "ws://[::1]:", 11) == 0);
    CHECK_STR(strchr(ep + 5, '/'), "/six");
    void *push = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_setsockopt(push, ZMQ_IPV6, &one, sizeof one));
    CHECK_OK(zmq_connect(push, ep));
    send_str(push, "v6");
    recv_expect(pull, "v6");
    zmq_close(push);
    zmq_close(pull);
}

/* The connecter starts before the binder exists, then the binder appears. */
static void connect_first(void)
{
    int port = free_tcp_port();
    char ep[64];
    snprintf(ep, sizeof ep, "ws://127.0.0.1:%d/late", port);
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    msleep(150);
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, ep));
    send_str(push, "late");
    recv_expect(pull, "late");
    zmq_close(push);
    zmq_close(pull);
}

int main(void)
{
    test_begin(60);
    ctx = zmq_ctx_new();
    RUN(last_endpoint_form);
    RUN(req_rep);
    RUN(pub_sub);
    RUN(xpub_sees_subscribe);
    RUN(dealer_router_multipart);
    RUN(push_pull_sizes);
    RUN(push_pull_stream);
    RUN(many_connections);
    RUN(heartbeats);
    RUN(maxmsgsize);
    RUN(reconnect);
    RUN(monitor_events);
    RUN(peer_address);
    RUN(plain_over_ws);
    RUN(curve_over_ws);
    RUN(mechanism_mismatch);
    RUN(address_errors);
    RUN(connect_first);
    RUN(ipv6);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
