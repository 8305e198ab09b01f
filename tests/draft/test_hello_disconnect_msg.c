/* ZMQ_HELLO_MSG and ZMQ_DISCONNECT_MSG (draft). libzmq's doc/zmq_setsockopt: a socket with a hello
 * message sends it automatically when a connection is made or accepted (applicable: ROUTER, DEALER, and
 * the draft CLIENT, SERVER, PEER zinc does not have); a ROUTER with a disconnect message generates it when
 * an accepted peer has been disconnected (ROUTER, SERVER, PEER), "the combination with ZMQ_HEARTBEAT_IVL"
 * catching peers that vanish. Both are binary data, default none, set only. As in libzmq: the hello is
 * sent again, first, after every reconnect; over inproc each side's hello is written when the pipe is
 * made and the binder's disconnect message when the connector closes or disconnects. */
#include <signal.h>
#include <sys/wait.h>

#include "testutil.h"

#include "peer_process.h"

static void *ctx;

static void set_bytes(void *s, int option, const char *value)
{
    CHECK_OK(zmq_setsockopt(s, option, value, strlen(value)));
}

static void *socket_with(int type, int option, const char *value)
{
    void *s = test_socket(ctx, type);
    set_bytes(s, option, value);
    return s;
}

static void *dealer_with_id(const char *id, const char *ep)
{
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    set_bytes(dealer, ZMQ_ROUTING_ID, id);
    CHECK_OK(zmq_connect(dealer, ep));
    return dealer;
}

/* ---- the options -------------------------------------------------------------------------------------- */
static void option_rules(void)
{
    int hello_ok[] = {ZMQ_ROUTER, ZMQ_DEALER};
    int hello_no[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_REP, ZMQ_PULL, ZMQ_PUSH, ZMQ_XPUB, ZMQ_XSUB,
                      ZMQ_STREAM};
    for (size_t i = 0; i < sizeof hello_ok / sizeof hello_ok[0]; i++) {
        void *s = test_socket(ctx, hello_ok[i]);
        set_bytes(s, ZMQ_HELLO_MSG, "hi");
        CHECK_OK(zmq_setsockopt(s, ZMQ_HELLO_MSG, "with\0nul", 8));
        CHECK_OK(zmq_setsockopt(s, ZMQ_HELLO_MSG, NULL, 0));   /* clears */
        CHECK_OK(zmq_setsockopt(s, ZMQ_HELLO_MSG, "x", 0));    /* clears */
        CHECK_ERR(zmq_setsockopt(s, ZMQ_HELLO_MSG, NULL, 3), EINVAL);
        char buf[64];
        size_t sz = sizeof buf;
        CHECK_ERR(zmq_getsockopt(s, ZMQ_HELLO_MSG, buf, &sz), EINVAL);   /* not readable */
        CHECK_ERR(zmq_getsockopt(s, ZMQ_DISCONNECT_MSG, buf, &sz), EINVAL);
        if (hello_ok[i] == ZMQ_ROUTER) {
            set_bytes(s, ZMQ_DISCONNECT_MSG, "bye");
            CHECK_OK(zmq_setsockopt(s, ZMQ_DISCONNECT_MSG, NULL, 0));
        } else {
            CHECK_ERR(zmq_setsockopt(s, ZMQ_DISCONNECT_MSG, "bye", 3), EINVAL);
        }
        close_zero_linger(s);
    }
    for (size_t i = 0; i < sizeof hello_no / sizeof hello_no[0]; i++) {
        void *s = test_socket(ctx, hello_no[i]);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_HELLO_MSG, "hi", 2), EINVAL);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_DISCONNECT_MSG, "bye", 3), EINVAL);
        close_zero_linger(s);
    }
}

/* ---- hello -------------------------------------------------------------------------------------------- */
/* A DEALER's hello reaches the ROUTER it connects to before anything the DEALER sent. */
static void dealer_hello_first(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, transport, ep, sizeof ep);
    void *dealer = socket_with(ZMQ_DEALER, ZMQ_HELLO_MSG, "HELLO");
    set_bytes(dealer, ZMQ_ROUTING_ID, "D");
    CHECK_OK(zmq_connect(dealer, ep));
    send_str(dealer, "after");
    recv_expect_more(router, "D");
    recv_expect(router, "HELLO");
    recv_expect_more(router, "D");
    recv_expect(router, "after");
    expect_no_msg(router, 50);
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* A bound ROUTER greets every peer it accepts, each once, on its own connection. */
static void router_hello_each_peer(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = socket_with(ZMQ_ROUTER, ZMQ_HELLO_MSG, "WELCOME");
    bind_transport(router, transport, ep, sizeof ep);
    void *a = dealer_with_id("A", ep);
    void *b = dealer_with_id("B", ep);
    recv_expect(a, "WELCOME");
    recv_expect(b, "WELCOME");
    send_str(a, "a");   /* once this arrives, the ROUTER knows A */
    recv_expect_more(router, "A");
    recv_expect(router, "a");
    send_routed(router, "A", 1, "only a");
    recv_expect(a, "only a");
    expect_no_msg(a, 50);
    expect_no_msg(b, 50);
    close_zero_linger(a);
    close_zero_linger(b);
    close_zero_linger(router);
}

/* inproc, connecting before the bind: the connector's hello waits in the pipe, the binder's is written at
 * the bind. */
static void inproc_connect_before_bind(void)
{
    char ep[TU_ENDPOINT_LEN];
    make_bind_endpoint("inproc", ep, sizeof ep);
    void *dealer = socket_with(ZMQ_DEALER, ZMQ_HELLO_MSG, "from dealer");
    set_bytes(dealer, ZMQ_ROUTING_ID, "D");
    CHECK_OK(zmq_connect(dealer, ep));
    void *router = socket_with(ZMQ_ROUTER, ZMQ_HELLO_MSG, "from router");
    CHECK_OK(zmq_bind(router, ep));
    recv_expect(dealer, "from router");
    recv_expect_more(router, "D");
    recv_expect(router, "from dealer");
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* Both sides greet (ROUTER to ROUTER needs an id for the connect: ZMQ_CONNECT_ROUTING_ID). */
static void both_sides(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = socket_with(ZMQ_ROUTER, ZMQ_HELLO_MSG, "server says hi");
    set_bytes(server, ZMQ_ROUTING_ID, "S");
    bind_transport(server, transport, ep, sizeof ep);
    void *client = socket_with(ZMQ_ROUTER, ZMQ_HELLO_MSG, "client says hi");
    set_bytes(client, ZMQ_ROUTING_ID, "C");
    set_bytes(client, ZMQ_CONNECT_ROUTING_ID, "S");
    CHECK_OK(zmq_connect(client, ep));
    recv_expect_more(server, "C");
    recv_expect(server, "client says hi");
    recv_expect_more(client, "S");
    recv_expect(client, "server says hi");
    close_zero_linger(client);
    close_zero_linger(server);
}

/* With ZMQ_ROUTER_NOTIFY on the receiving ROUTER: the connect notification, then the hello. */
static void hello_after_connect_notification(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = test_socket(ctx, ZMQ_ROUTER);
    set_int(router, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_CONNECT);
    bind_transport(router, transport, ep, sizeof ep);
    void *dealer = socket_with(ZMQ_DEALER, ZMQ_HELLO_MSG, "H");
    set_bytes(dealer, ZMQ_ROUTING_ID, "D");
    CHECK_OK(zmq_connect(dealer, ep));
    recv_expect_more(router, "D");
    recv_expect(router, "");
    recv_expect_more(router, "D");
    recv_expect(router, "H");
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* The hello comes before a ZMQ_PROBE_ROUTER probe (libzmq: the session sends it first on tcp and ipc; on
 * inproc it is written before the pipe is attached, where the probe is written). */
static void hello_before_probe(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, transport, ep, sizeof ep);
    void *dealer = socket_with(ZMQ_DEALER, ZMQ_HELLO_MSG, "HELLO");
    set_bytes(dealer, ZMQ_ROUTING_ID, "D");
    set_int(dealer, ZMQ_PROBE_ROUTER, 1);
    CHECK_OK(zmq_connect(dealer, ep));
    recv_expect_more(router, "D");
    recv_expect(router, "HELLO");
    recv_expect_more(router, "D");
    recv_expect(router, "");
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* A hello larger than the connection's output buffer (written from its own memory). */
static void large_hello(const char *transport)
{
    static char big[200000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, transport, ep, sizeof ep);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_HELLO_MSG, big, sizeof big));
    set_bytes(dealer, ZMQ_ROUTING_ID, "D");
    CHECK_OK(zmq_connect(dealer, ep));
    send_str(dealer, "small");
    recv_expect_more(router, "D");
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK(poll_in(router, 2000));
    CHECK_EQ(zmq_msg_recv(&m, router, 0), (int)sizeof big);
    CHECK_MEM(zmq_msg_data(&m), zmq_msg_size(&m), big, sizeof big);
    zmq_msg_close(&m);
    recv_expect_more(router, "D");
    recv_expect(router, "small");
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* Waits (bounded) until the socket's monitor reports event. */
static void wait_event(void *mon, int event)
{
    int64_t deadline = now_ms() + 5000;
    for (;;) {
        CHECK(now_ms() < deadline);
        if (!poll_in(mon, 100))
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        CHECK_OK(zmq_msg_recv(&m, mon, 0));
        uint16_t ev;
        memcpy(&ev, zmq_msg_data(&m), sizeof ev);
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        CHECK_OK(zmq_msg_recv(&m, mon, 0));
        zmq_msg_close(&m);
        if (ev == event)
            return;
    }
}

/* After a reconnect the hello goes again, first: before what was queued while the peer was away. */
static void hello_again_after_reconnect(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, transport, ep, sizeof ep);
    void *dealer = socket_with(ZMQ_DEALER, ZMQ_HELLO_MSG, "HELLO");
    set_bytes(dealer, ZMQ_ROUTING_ID, "D");
    set_int(dealer, ZMQ_RECONNECT_IVL, 20);
    char mon_ep[64];
    snprintf(mon_ep, sizeof mon_ep, "inproc://hello-mon-%s", transport);
    CHECK_OK(zmq_socket_monitor(dealer, mon_ep, ZMQ_EVENT_DISCONNECTED));
    void *mon = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(mon, mon_ep));
    CHECK_OK(zmq_connect(dealer, ep));
    recv_expect_more(router, "D");
    recv_expect(router, "HELLO");
    close_zero_linger(router);
    wait_event(mon, ZMQ_EVENT_DISCONNECTED);
    send_str(dealer, "queued while away");
    router = test_socket(ctx, ZMQ_ROUTER);
    int64_t deadline = now_ms() + 5000;
    while (zmq_bind(router, ep) == -1) {
        CHECK(errno == EADDRINUSE && now_ms() < deadline);
        msleep(10);
    }
    recv_expect_more(router, "D");
    recv_expect(router, "HELLO");
    recv_expect_more(router, "D");
    recv_expect(router, "queued while away");
    CHECK_OK(zmq_socket_monitor(dealer, NULL, 0));
    close_zero_linger(mon);
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* ---- disconnect --------------------------------------------------------------------------------------- */
/* A peer the ROUTER accepted leaves: [id][message], after everything the peer sent. On every transport
 * (inproc: the connector closes or disconnects). */
static void disconnect_on_close(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = socket_with(ZMQ_ROUTER, ZMQ_DISCONNECT_MSG, "GONE");
    bind_transport(router, transport, ep, sizeof ep);
    void *dealer = dealer_with_id("X", ep);
    send_str(dealer, "last words");
    recv_expect_more(router, "X");
    recv_expect(router, "last words");
    close_zero_linger(dealer);
    recv_expect_more(router, "X");
    recv_expect(router, "GONE");
    expect_no_msg(router, 50);
    /* zmq_disconnect too */
    dealer = dealer_with_id("Y", ep);
    send_str(dealer, "y");
    recv_expect_more(router, "Y");
    recv_expect(router, "y");
    CHECK_OK(zmq_disconnect(dealer, ep));
    recv_expect_more(router, "Y");
    recv_expect(router, "GONE");
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* inproc, connected before the bind: the binder's message is given to the pipe at the bind. */
static void disconnect_inproc_pending(void)
{
    char ep[TU_ENDPOINT_LEN];
    make_bind_endpoint("inproc", ep, sizeof ep);
    void *dealer = dealer_with_id("P", ep);
    void *router = socket_with(ZMQ_ROUTER, ZMQ_DISCONNECT_MSG, "GONE");
    CHECK_OK(zmq_bind(router, ep));
    send_str(dealer, "p");
    recv_expect_more(router, "P");
    recv_expect(router, "p");
    close_zero_linger(dealer);
    recv_expect_more(router, "P");
    recv_expect(router, "GONE");
    close_zero_linger(router);
}

/* Only accepted peers: a ROUTER's own connection that drops delivers nothing. */
static void not_for_connected_peers(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    set_bytes(dealer, ZMQ_ROUTING_ID, "B");
    bind_transport(dealer, transport, ep, sizeof ep);
    void *router = socket_with(ZMQ_ROUTER, ZMQ_DISCONNECT_MSG, "GONE");
    CHECK_OK(zmq_connect(router, ep));
    send_str(dealer, "hi");
    recv_expect_more(router, "B");
    recv_expect(router, "hi");
    close_zero_linger(dealer);
    expect_no_msg(router, 200);
    close_zero_linger(router);
}

/* With ZMQ_ROUTER_NOTIFY's disconnect notification as well: the notification first, then the message. */
static void after_disconnect_notification(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = socket_with(ZMQ_ROUTER, ZMQ_DISCONNECT_MSG, "GONE");
    set_int(router, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_DISCONNECT);
    bind_transport(router, transport, ep, sizeof ep);
    void *dealer = dealer_with_id("X", ep);
    send_str(dealer, "x");
    recv_expect_more(router, "X");
    recv_expect(router, "x");
    close_zero_linger(dealer);
    recv_expect_more(router, "X");
    recv_expect(router, "");
    recv_expect_more(router, "X");
    recv_expect(router, "GONE");
    close_zero_linger(router);
}

/* A peer process that stops (SIGSTOP: its connection stays open and silent) is found by the heartbeat,
 * and the ROUTER delivers the disconnect message; then one killed outright. */
static void vanished_peer(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = socket_with(ZMQ_ROUTER, ZMQ_DISCONNECT_MSG, "GONE");
    set_int(router, ZMQ_HEARTBEAT_IVL, 50);
    set_int(router, ZMQ_HEARTBEAT_TIMEOUT, 200);
    bind_transport(router, transport, ep, sizeof ep);
    for (int how = 0; how < 2; how++) {
        pid_t pid = spawn_peer("V", ep);
        recv_expect_more(router, "V");
        recv_expect(router, "alive");
        int64_t t0 = now_ms();
        kill(pid, how == 0 ? SIGSTOP : SIGKILL);
        recv_expect_more(router, "V");
        recv_expect(router, "GONE");
        if (how == 0)
            CHECK_INT(now_ms() - t0, >=, 150);   /* found by the heartbeat timeout, not by a close */
        kill(pid, SIGKILL);
        CHECK_EQ(waitpid(pid, NULL, 0), pid);
    }
    close_zero_linger(router);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return peer_process_main(argc, argv);
    test_begin(120);
    ctx = zmq_ctx_new();
    CHECK(ctx != NULL);
    RUN(option_rules);
    RUN_TRANSPORTS(dealer_hello_first);
    RUN_TRANSPORTS(router_hello_each_peer);
    RUN(inproc_connect_before_bind);
    RUN_TRANSPORTS(both_sides);
    RUN_ENGINE_TRANSPORTS(hello_after_connect_notification);
    RUN_TRANSPORTS(hello_before_probe);
    RUN_TRANSPORTS(large_hello);
    RUN_ENGINE_TRANSPORTS(hello_again_after_reconnect);
    RUN_TRANSPORTS(disconnect_on_close);
    RUN(disconnect_inproc_pending);
    RUN_ENGINE_TRANSPORTS(not_for_connected_peers);
    RUN_ENGINE_TRANSPORTS(after_disconnect_notification);
    RUN_ENGINE_TRANSPORTS(vanished_peer);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
