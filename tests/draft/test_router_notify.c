/* ZMQ_ROUTER_NOTIFY (draft): a ROUTER delivers [routing id][""] when a peer's connection completes its
 * handshake (ZMQ_NOTIFY_CONNECT) and when an established one goes (ZMQ_NOTIFY_DISCONNECT). As libzmq's
 * doc/zmq_setsockopt says, it applies to stream transports (tcp, ipc) only; libzmq's test_router_notify
 * fixes the option's rules (int 0..3, default 0, EINVAL on other socket types, which read it as 0), that a
 * failed handshake announces nothing, and that a message cut by the disconnect is dropped whole. */
#include <signal.h>
#include <sys/wait.h>

#include "testutil.h"

#include "peer_process.h"

static void *ctx;

/* The next message is [id][""] (id of idlen bytes). */
static void expect_notify(void *router, const char *id)
{
    recv_expect_more(router, id);
    recv_expect(router, "");
}

/* The next message is [some id][""]; the id is stored in id (cap bytes), its length returned. */
static int recv_notify_any(void *router, char *id, size_t cap)
{
    int more = 0;
    int n = recv_timeout(router, id, cap, 2000, &more);
    CHECK_INT(n, >, 0);
    CHECK_EQ(more, 1);
    recv_expect(router, "");
    return n;
}

static void *notifying_router(int notify, const char *transport, char *ep, size_t eplen)
{
    void *router = test_socket(ctx, ZMQ_ROUTER);
    set_int(router, ZMQ_ROUTER_NOTIFY, notify);
    bind_transport(router, transport, ep, eplen);
    return router;
}

static void *dealer_with_id(const char *id, const char *ep)
{
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, id, strlen(id)));
    CHECK_OK(zmq_connect(dealer, ep));
    return dealer;
}

/* ---- the option --------------------------------------------------------------------------------------- */
static void option_rules(void)
{
    void *router = test_socket(ctx, ZMQ_ROUTER);
    CHECK_EQ(get_int(router, ZMQ_ROUTER_NOTIFY), 0);
    int values[] = {ZMQ_NOTIFY_CONNECT, ZMQ_NOTIFY_DISCONNECT, 0, ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        set_int(router, ZMQ_ROUTER_NOTIFY, values[i]);
        CHECK_EQ(get_int(router, ZMQ_ROUTER_NOTIFY), values[i]);
    }
    int bad[] = {-1, 4, 100};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_ERR(zmq_setsockopt(router, ZMQ_ROUTER_NOTIFY, &bad[i], sizeof bad[i]), EINVAL);
    CHECK_EQ(get_int(router, ZMQ_ROUTER_NOTIFY), 3);   /* failures change nothing */
    /* an int, exactly, both ways */
    int v = 1;
    CHECK_ERR(zmq_setsockopt(router, ZMQ_ROUTER_NOTIFY, &v, 2), EINVAL);
    CHECK_ERR(zmq_setsockopt(router, ZMQ_ROUTER_NOTIFY, NULL, sizeof v), EINVAL);
    char big[16];
    size_t sz = sizeof big;
    CHECK_ERR(zmq_getsockopt(router, ZMQ_ROUTER_NOTIFY, big, &sz), EINVAL);
    close_zero_linger(router);

    /* other types refuse to set it and read it as off; libzmq's REP is a ROUTER and takes it */
    int types[] = {ZMQ_DEALER, ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_PUSH, ZMQ_PULL, ZMQ_XPUB, ZMQ_XSUB,
                   ZMQ_STREAM};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = test_socket(ctx, types[i]);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_ROUTER_NOTIFY, &v, sizeof v), EINVAL);
        CHECK_EQ(get_int(s, ZMQ_ROUTER_NOTIFY), 0);
        close_zero_linger(s);
    }
    void *rep = test_socket(ctx, ZMQ_REP);
    set_int(rep, ZMQ_ROUTER_NOTIFY, 3);
    CHECK_EQ(get_int(rep, ZMQ_ROUTER_NOTIFY), 3);
    close_zero_linger(rep);
}

/* ---- connect and disconnect, as libzmq's test_router_notify_helper ---------------------------------- */
static void notify_cycle(const char *transport, int notify)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = notifying_router(notify, transport, ep, sizeof ep);
    void *dealer = dealer_with_id("X", ep);
    if (notify & ZMQ_NOTIFY_CONNECT)
        expect_notify(router, "X");
    send_str(dealer, "Hello");
    recv_expect_more(router, "X");
    recv_expect(router, "Hello");
    CHECK_OK(zmq_disconnect(dealer, ep));
    if (notify & ZMQ_NOTIFY_DISCONNECT)
        expect_notify(router, "X");
    expect_no_msg(router, 100);
    close_zero_linger(dealer);
    close_zero_linger(router);
}

static void notify_connect(const char *transport) { notify_cycle(transport, ZMQ_NOTIFY_CONNECT); }
static void notify_disconnect(const char *transport) { notify_cycle(transport, ZMQ_NOTIFY_DISCONNECT); }
static void notify_both(const char *transport) { notify_cycle(transport, ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT); }
static void notify_off(const char *transport) { notify_cycle(transport, 0); }

/* "This option only applies to stream oriented (tcp, ipc) transports": inproc peers are not announced. */
static void inproc_not_announced(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = notifying_router(ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT, "inproc", ep, sizeof ep);
    void *dealer = dealer_with_id("X", ep);
    send_str(dealer, "first");
    recv_expect_more(router, "X");
    recv_expect(router, "first");
    close_zero_linger(dealer);
    expect_no_msg(router, 200);
    close_zero_linger(router);
}

/* A peer without ZMQ_ROUTING_ID gets a generated id (5 bytes, 0x00 first): its notifications and its
 * messages carry the same one. */
static void generated_id(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = notifying_router(ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT, transport, ep, sizeof ep);
    void *dealer = connected_socket(ctx, ZMQ_DEALER, ep);
    char id[256], again[256];
    int n = recv_notify_any(router, id, sizeof id);
    CHECK_EQ(n, 5);
    CHECK_EQ(id[0], 0);
    send_str(dealer, "mine");
    recv_expect_buf(router, id, (size_t)n, 1);
    recv_expect(router, "mine");
    close_zero_linger(dealer);
    int m = recv_notify_any(router, again, sizeof again);
    CHECK_MEM(again, m, id, n);
    close_zero_linger(router);
}

/* Many peers: each is announced once when it arrives and once when it goes. */
#define MANY 24
static void many_peers(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = notifying_router(ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT, transport, ep, sizeof ep);
    void *dealers[MANY];
    for (int i = 0; i < MANY; i++) {
        char id[16];
        snprintf(id, sizeof id, "peer-%02d", i);
        dealers[i] = dealer_with_id(id, ep);
    }
    for (int round = 0; round < 2; round++) {
        int seen[MANY] = {0};
        for (int k = 0; k < MANY; k++) {
            char id[256];
            int n = recv_notify_any(router, id, sizeof id);
            CHECK_EQ(n, 7);
            int i = atoi(id + 5);
            CHECK(i >= 0 && i < MANY);
            CHECK_EQ(seen[i], 0);
            seen[i] = 1;
        }
        expect_no_msg(router, 50);
        if (round == 0)
            for (int i = 0; i < MANY; i++)
                close_zero_linger(dealers[i]);
    }
    close_zero_linger(router);
}

/* The ROUTER connects (its peer binds): the same notifications, again after every reconnect, with the id
 * the peer announces each time. */
static void router_reconnects(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "B", 1));
    bind_transport(dealer, transport, ep, sizeof ep);
    void *router = test_socket(ctx, ZMQ_ROUTER);
    set_int(router, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT);
    set_int(router, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK(zmq_connect(router, ep));
    for (int round = 0; round < 3; round++) {
        expect_notify(router, "B");
        send_routed(router, "B", 1, "ping");
        recv_expect(dealer, "ping");
        send_str(dealer, "pong");
        recv_expect_more(router, "B");
        recv_expect(router, "pong");
        close_zero_linger(dealer);   /* the peer goes away ... */
        expect_notify(router, "B");
        dealer = test_socket(ctx, ZMQ_DEALER);   /* ... and a new one binds the same address */
        CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "B", 1));
        int64_t deadline = now_ms() + 5000;
        while (zmq_bind(dealer, ep) == -1) {
            CHECK(errno == EADDRINUSE && now_ms() < deadline);
            msleep(10);
        }
    }
    expect_notify(router, "B");
    close_zero_linger(router);
    close_zero_linger(dealer);
}

/* ZMQ_ROUTER_HANDOVER: a newcomer with an id in use takes it and is announced; the peer it replaced is
 * not reported again (its connection belongs to nobody), the newcomer is when it goes. */
static void handover(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = test_socket(ctx, ZMQ_ROUTER);
    set_int(router, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT);
    set_int(router, ZMQ_ROUTER_HANDOVER, 1);
    bind_transport(router, transport, ep, sizeof ep);
    void *first = dealer_with_id("H", ep);
    expect_notify(router, "H");
    void *second = dealer_with_id("H", ep);
    expect_notify(router, "H");
    send_routed(router, "H", 1, "to the newcomer");
    recv_expect(second, "to the newcomer");
    expect_no_msg(first, 50);
    close_zero_linger(second);
    expect_notify(router, "H");
    close_zero_linger(first);
    expect_no_msg(router, 100);
    close_zero_linger(router);
}

/* libzmq's test_handshake_fail: a peer that never completes the handshake is never announced. */
static void handshake_fail(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = notifying_router(ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT, "tcp", ep, sizeof ep);
    void *stream = test_socket(ctx, ZMQ_STREAM);
    CHECK_OK(zmq_setsockopt(stream, ZMQ_CONNECT_ROUTING_ID, "S", 1));
    CHECK_OK(zmq_connect(stream, ep));
    send_routed(stream, "S", 1, "not-a-handshake");
    msleep(50);
    CHECK_OK(zmq_disconnect(stream, ep));
    close_zero_linger(stream);
    expect_no_msg(router, 300);
    close_zero_linger(router);
}

/* libzmq's test_error_during_multipart: a disconnect in the middle of a message drops that message whole
 * and the notification comes as a message of its own. */
static void error_during_multipart(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = test_socket(ctx, ZMQ_ROUTER);
    set_int(router, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_DISCONNECT);
    int64_t max = 64;
    CHECK_OK(zmq_setsockopt(router, ZMQ_MAXMSGSIZE, &max, sizeof max));
    bind_transport(router, transport, ep, sizeof ep);
    void *dealer = dealer_with_id("X", ep);
    char longer[128];
    memset(longer, '*', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    send_str_more(dealer, "Hello2");
    send_str(dealer, longer);   /* over ZMQ_MAXMSGSIZE: the router drops the connection */
    expect_notify(router, "X");
    close_zero_linger(dealer);
    expect_no_msg(router, 100);
    close_zero_linger(router);
}

/* A peer process killed outright (no ZMTP goodbye; the kernel closes its socket). */
static void peer_killed(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = notifying_router(ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT, transport, ep, sizeof ep);
    pid_t pid = spawn_peer("K", ep);
    expect_notify(router, "K");
    recv_expect_more(router, "K");
    recv_expect(router, "alive");
    kill(pid, SIGKILL);
    CHECK_EQ(waitpid(pid, NULL, 0), pid);
    expect_notify(router, "K");
    close_zero_linger(router);
}

/* As every option but a few, ZMQ_ROUTER_NOTIFY counts for later binds and connects only (libzmq copies the
 * options when it binds): a listener bound before it was set announces nobody. */
static void set_after_bind(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = notifying_router(0, transport, ep, sizeof ep);
    set_int(router, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT);
    void *dealer = dealer_with_id("L", ep);
    send_str(dealer, "data");
    recv_expect_more(router, "L");
    recv_expect(router, "data");
    close_zero_linger(dealer);
    expect_no_msg(router, 100);
    close_zero_linger(router);
}

/* REP takes the option (libzmq's REP is a ROUTER inside) and nothing changes for it: libzmq's REP drops
 * the notifications as malformed requests, zinc's never makes them. */
static void rep_unaffected(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *rep = test_socket(ctx, ZMQ_REP);
    set_int(rep, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT);
    bind_transport(rep, transport, ep, sizeof ep);
    void *req = connected_socket(ctx, ZMQ_REQ, ep);
    send_str(req, "request");
    recv_expect(rep, "request");
    send_str(rep, "reply");
    recv_expect(req, "reply");
    close_zero_linger(req);
    expect_no_msg(rep, 100);
    close_zero_linger(rep);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return peer_process_main(argc, argv);
    test_begin(120);
    ctx = zmq_ctx_new();
    CHECK(ctx != NULL);
    RUN(option_rules);
    RUN_ENGINE_TRANSPORTS(notify_connect);
    RUN_ENGINE_TRANSPORTS(notify_disconnect);
    RUN_ENGINE_TRANSPORTS(notify_both);
    RUN_ENGINE_TRANSPORTS(notify_off);
    RUN(inproc_not_announced);
    RUN_ENGINE_TRANSPORTS(generated_id);
    RUN_ENGINE_TRANSPORTS(many_peers);
    RUN_ENGINE_TRANSPORTS(router_reconnects);
    RUN_ENGINE_TRANSPORTS(handover);
    RUN(handshake_fail);
    RUN_ENGINE_TRANSPORTS(error_during_multipart);
    RUN_ENGINE_TRANSPORTS(peer_killed);
    RUN_ENGINE_TRANSPORTS(set_after_bind);
    RUN_ENGINE_TRANSPORTS(rep_unaffected);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
