/* CURVE (RFC 26) through the public API, as libzmq 4.3.4 behaves: key options in binary and Z85,
 * zmq_curve_keypair/zmq_curve_public, handshakes with and without a ZAP handler, wrong keys refused with
 * the right events, and traffic through the boxes byte for byte: multipart, empty and 5 MB messages,
 * subscriptions and heartbeats (which travel as boxed commands). Runs over tcp and ipc; passes on zinc
 * and on libzmq (reference mode). */
#include "testutil.h"

#include <stdatomic.h>

static void *ctx;
static int monitor_seq;

struct keys {
    char server_public[41], server_secret[41], client_public[41], client_secret[41];
};

static void make_keys(struct keys *k)
{
    CHECK_OK(zmq_curve_keypair(k->server_public, k->server_secret));
    CHECK_OK(zmq_curve_keypair(k->client_public, k->client_secret));
}

/* ---- a ZAP handler that admits one client key ------------------------------------------------------- */
struct zap_handler {
    void *sock;
    pthread_t thread;
    atomic_int stop;
    uint8_t allowed[32];
    char last_mechanism[16];
};

static void *zap_run(void *arg)
{
    struct zap_handler *h = arg;
    while (!atomic_load(&h->stop)) {
        zmq_pollitem_t item = {h->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 20) <= 0)
            continue;
        char frames[7][64];
        int lens[7];
        for (int i = 0; i < 7; i++) {
            lens[i] = zmq_recv(h->sock, frames[i], sizeof frames[i], 0);
            CHECK_INT(lens[i], >=, 0);
        }
        snprintf(h->last_mechanism, sizeof h->last_mechanism, "%.*s", lens[5], frames[5]);
        int ok = lens[6] == 32 && memcmp(frames[6], h->allowed, 32) == 0;
        send_buf(h->sock, frames[0], (size_t)lens[0], ZMQ_SNDMORE);   /* version */
        send_buf(h->sock, frames[1], (size_t)lens[1], ZMQ_SNDMORE);   /* request id */
        send_str_more(h->sock, ok ? "200" : "400");
        send_str_more(h->sock, ok ? "OK" : "no");
        send_str_more(h->sock, ok ? "trusted-client" : "");
        send_buf(h->sock, "", 0, 0);
    }
    CHECK_OK(zmq_close(h->sock));
    return NULL;
}

/* The handler gets a context of its own per case (libzmq releases inproc names asynchronously). */
static void zap_start(struct zap_handler *h, const char *allowed_z85)
{
    memset(h, 0, sizeof *h);
    CHECK_PTR(zmq_z85_decode(h->allowed, allowed_z85));
    ctx = zmq_ctx_new();
    CHECK_PTR(ctx);
    h->sock = test_socket(ctx, ZMQ_REP);
    CHECK_OK(zmq_bind(h->sock, "inproc://zeromq.zap.01"));
    CHECK_EQ(pthread_create(&h->thread, NULL, zap_run, h), 0);
}

static void zap_stop(struct zap_handler *h)
{
    atomic_store(&h->stop, 1);
    CHECK_EQ(pthread_join(h->thread, NULL), 0);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void bare_begin(void)
{
    ctx = zmq_ctx_new();
    CHECK_PTR(ctx);
}

static void bare_end(void)
{
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- monitor ------------------------------------------------------------------------------------------ */
static void *start_monitor(void *sock)
{
    char addr[64];
    snprintf(addr, sizeof addr, "inproc://curve-monitor-%d", ++monitor_seq);
    CHECK_OK(zmq_socket_monitor(sock, addr, ZMQ_EVENT_ALL));
    void *mon = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(mon, addr));
    return mon;
}

#define await_event(mon, event) tu_await_event(__FILE__, __LINE__, (mon), (event))
static uint32_t tu_await_event(const char *file, int line, void *mon, int event)
{
    int64_t deadline = now_ms() + 3000;
    while (now_ms() < deadline) {
        unsigned char frame[16];
        char endpoint[256];
        int more = 0;
        if (recv_timeout(mon, frame, sizeof frame, 100, &more) < 0)
            continue;
        CHECK_INT(recv_timeout(mon, endpoint, sizeof endpoint, 1000, &more), >=, 0);
        uint16_t id;
        uint32_t value;
        memcpy(&id, frame, 2);
        memcpy(&value, frame + 2, 4);
        if (id == event)
            return value;
        if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && event != id)
            tu_fail(file, line, "expected event 0x%x, the handshake succeeded", event);
    }
    tu_fail(file, line, "event 0x%x did not come", event);
}

/* ---- sockets ------------------------------------------------------------------------------------------ */
static void curve_server(void *s, const struct keys *k)
{
    set_int(s, ZMQ_CURVE_SERVER, 1);
    CHECK_OK(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, k->server_secret, 40));
}

static void curve_client(void *s, const struct keys *k, const char *server_public)
{
    CHECK_OK(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_public, 40));
    CHECK_OK(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, k->client_public, 40));
    CHECK_OK(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, k->client_secret, 40));
}

struct pair {
    void *server, *client, *server_mon, *client_mon;
    char endpoint[TU_ENDPOINT_LEN];
};

static void pair_open(struct pair *p, int server_type, int client_type, const struct keys *k, const char *server_key)
{
    p->server = test_socket(ctx, server_type);
    p->client = test_socket(ctx, client_type);
    curve_server(p->server, k);
    curve_client(p->client, k, server_key ? server_key : k->server_public);
    set_int(p->client, ZMQ_SNDTIMEO, 2000);
    set_int(p->server, ZMQ_SNDTIMEO, 2000);
}

static void pair_connect(struct pair *p, const char *tr)
{
    p->server_mon = start_monitor(p->server);
    p->client_mon = start_monitor(p->client);
    bind_transport(p->server, tr, p->endpoint, sizeof p->endpoint);
    CHECK_OK(zmq_connect(p->client, p->endpoint));
}

static void pair_close(struct pair *p)
{
    CHECK_OK(zmq_close(p->client));
    CHECK_OK(zmq_close(p->server));
    CHECK_OK(zmq_close(p->client_mon));
    CHECK_OK(zmq_close(p->server_mon));
}

/* ---- cases ------------------------------------------------------------------------------------------- */
static void curve_shall_be_available(void)
{
    CHECK_EQ(zmq_has("curve"), 1);
    char pub[41], sec[41], derived[41];
    CHECK_OK(zmq_curve_keypair(pub, sec));
    CHECK_EQ(strlen(pub), 40);
    CHECK_EQ(strlen(sec), 40);
    CHECK_OK(zmq_curve_public(derived, sec));
    CHECK_STR(derived, pub);
}

/* Keys: 32 binary bytes, 40 Z85 characters, or 41 with the NUL; read back as binary with a 32-byte
 * buffer and as Z85 with 41 bytes; other sizes are EINVAL. */
static void curve_key_options_shall_take_binary_and_z85(void)
{
    bare_begin();
    struct keys k;
    make_keys(&k);
    uint8_t binary[32];
    CHECK_PTR(zmq_z85_decode(binary, k.server_public));
    int options[] = {ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY, ZMQ_CURVE_SERVERKEY};
    for (int i = 0; i < 3; i++) {
        void *s = test_socket(ctx, ZMQ_DEALER);
        uint8_t got[64];
        size_t len;
        CHECK_OK(zmq_setsockopt(s, options[i], binary, 32));
        len = 32;
        CHECK_OK(zmq_getsockopt(s, options[i], got, &len));
        CHECK_MEM(got, len, binary, 32);
        len = 41;
        CHECK_OK(zmq_getsockopt(s, options[i], got, &len));
        CHECK_EQ(len, 41);
        CHECK_STR((char *)got, k.server_public);
        CHECK_OK(zmq_setsockopt(s, options[i], k.client_public, 40));
        len = 41;
        CHECK_OK(zmq_getsockopt(s, options[i], got, &len));
        CHECK_STR((char *)got, k.client_public);
        CHECK_OK(zmq_setsockopt(s, options[i], k.server_public, 41));
        len = 32;
        CHECK_OK(zmq_getsockopt(s, options[i], got, &len));
        CHECK_MEM(got, len, binary, 32);
        CHECK_ERR(zmq_setsockopt(s, options[i], binary, 31), EINVAL);
        CHECK_ERR(zmq_setsockopt(s, options[i], k.client_public, 39), EINVAL);
        int mech = -1;
        len = sizeof mech;
        CHECK_OK(zmq_getsockopt(s, ZMQ_MECHANISM, &mech, &len));
        CHECK_EQ(mech, ZMQ_CURVE);
        CHECK_OK(zmq_close(s));
    }
    void *s = test_socket(ctx, ZMQ_ROUTER);
    set_int(s, ZMQ_CURVE_SERVER, 1);
    int v = 0;
    size_t len = sizeof v;
    CHECK_OK(zmq_getsockopt(s, ZMQ_CURVE_SERVER, &v, &len));
    CHECK_EQ(v, 1);
    CHECK_OK(zmq_close(s));
    bare_end();
}

/* No handler: any client with a valid handshake is admitted (libzmq); multipart, empty and 5 MB
 * messages cross both ways unchanged. */
static void curve_shall_carry_messages_byte_for_byte(const char *tr)
{
    bare_begin();
    struct keys k;
    make_keys(&k);
    struct pair p;
    pair_open(&p, ZMQ_DEALER, ZMQ_DEALER, &k, NULL);
    pair_connect(&p, tr);
    await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    await_event(p.client_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    send_str_more(p.client, "first");
    send_buf(p.client, "", 0, ZMQ_SNDMORE);
    send_str(p.client, "last");
    recv_expect_more(p.server, "first");
    recv_expect_buf(p.server, "", 0, 1);
    recv_expect(p.server, "last");

    size_t big = 5 * 1024 * 1024;
    uint8_t *data = malloc(big), *back = malloc(big);
    CHECK(data && back);
    for (size_t i = 0; i < big; i++)
        data[i] = (uint8_t)(i * 131 + (i >> 13));
    send_buf(p.server, data, big, 0);
    set_int(p.client, ZMQ_RCVTIMEO, 10000);
    CHECK_EQ(zmq_recv(p.client, back, big, 0), (int)big);
    CHECK(memcmp(data, back, big) == 0);
    send_buf(p.client, data, big, ZMQ_SNDMORE);
    send_str(p.client, "tail");
    set_int(p.server, ZMQ_RCVTIMEO, 10000);
    memset(back, 0, big);
    CHECK_EQ(zmq_recv(p.server, back, big, 0), (int)big);
    CHECK(memcmp(data, back, big) == 0);
    recv_expect(p.server, "tail");
    for (int i = 0; i < 200; i++) {   /* many small boxes: nonces keep increasing */
        char msg[32];
        snprintf(msg, sizeof msg, "msg-%d", i);
        send_str(p.client, msg);
        recv_expect(p.server, msg);
    }
    free(data);
    free(back);
    pair_close(&p);
    bare_end();
}

/* The wrong server key: the server cannot open HELLO (FAILED_PROTOCOL, CRYPTOGRAPHIC); nothing flows. */
static void a_wrong_server_key_shall_be_refused(const char *tr)
{
    bare_begin();
    struct keys k, other;
    make_keys(&k);
    make_keys(&other);
    struct pair p;
    pair_open(&p, ZMQ_PULL, ZMQ_PUSH, &k, other.server_public);
    pair_connect(&p, tr);
    CHECK_EQ(await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL), ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC);
    (void)zmq_send(p.client, "never", 5, ZMQ_DONTWAIT);
    expect_no_msg(p.server, 200);
    pair_close(&p);
    bare_end();
}

/* With a handler: the allowed client key gets in with the handler's User-Id; another key gets 400 on
 * both sides. The handler saw mechanism CURVE and the client's 32-byte public key. */
static void the_handler_shall_decide_on_the_client_key(const char *tr)
{
    struct keys k, stranger;
    make_keys(&k);
    make_keys(&stranger);
    struct zap_handler h;
    zap_start(&h, k.client_public);
    struct pair p;
    pair_open(&p, ZMQ_PULL, ZMQ_PUSH, &k, NULL);
    pair_connect(&p, tr);
    await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    send_str(p.client, "hello");
    zmq_msg_t m;
    zmq_msg_init(&m);
    set_int(p.server, ZMQ_RCVTIMEO, 2000);
    CHECK_EQ(zmq_msg_recv(&m, p.server, 0), 5);
    CHECK_STR(zmq_msg_gets(&m, "User-Id"), "trusted-client");
    CHECK_STR(zmq_msg_gets(&m, "Socket-Type"), "PUSH");
    zmq_msg_close(&m);
    CHECK_STR(h.last_mechanism, "CURVE");
    pair_close(&p);
    zap_stop(&h);

    zap_start(&h, k.client_public);   /* a fresh context: libzmq's second handshake there is unreliable */
    struct keys mixed = k;   /* the right server, a client key the handler does not know */
    memcpy(mixed.client_public, stranger.client_public, 41);
    memcpy(mixed.client_secret, stranger.client_secret, 41);
    pair_open(&p, ZMQ_PULL, ZMQ_PUSH, &mixed, NULL);
    pair_connect(&p, tr);
    CHECK_EQ(await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 400);
    CHECK_EQ(await_event(p.client_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 400);
    (void)zmq_send(p.client, "never", 5, ZMQ_DONTWAIT);
    expect_no_msg(p.server, 200);
    pair_close(&p);
    zap_stop(&h);
}

/* Subscriptions travel as boxed SUBSCRIBE/CANCEL commands; filtering works through CURVE. */
static void subscriptions_shall_work_through_curve(const char *tr)
{
    bare_begin();
    struct keys k;
    make_keys(&k);
    struct pair p;
    pair_open(&p, ZMQ_PUB, ZMQ_SUB, &k, NULL);
    CHECK_OK(zmq_setsockopt(p.client, ZMQ_SUBSCRIBE, "A", 1));
    pair_connect(&p, tr);
    await_subscription(p.server, p.client, "A");
    send_str(p.server, "Bskip");
    send_str(p.server, "Akeep");
    recv_expect(p.client, "Akeep");
    CHECK_OK(zmq_setsockopt(p.client, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK_OK(zmq_setsockopt(p.client, ZMQ_SUBSCRIBE, "B", 1));
    await_subscription(p.server, p.client, "B");
    send_str(p.server, "Askip");
    send_str(p.server, "Bkeep");
    recv_expect(p.client, "Bkeep");
    pair_close(&p);
    bare_end();
}

/* Heartbeats are boxed PING/PONG: with a short interval and timeout the connection stays up. */
static void heartbeats_shall_keep_a_curve_connection_alive(const char *tr)
{
    bare_begin();
    struct keys k;
    make_keys(&k);
    struct pair p;
    pair_open(&p, ZMQ_DEALER, ZMQ_DEALER, &k, NULL);
    set_int(p.client, ZMQ_HEARTBEAT_IVL, 50);
    set_int(p.client, ZMQ_HEARTBEAT_TIMEOUT, 400);
    set_int(p.server, ZMQ_HEARTBEAT_IVL, 50);
    set_int(p.server, ZMQ_HEARTBEAT_TIMEOUT, 400);
    pair_connect(&p, tr);
    await_event(p.client_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    msleep(1200);
    send_str(p.client, "still here");
    recv_expect(p.server, "still here");
    send_str(p.server, "and here");
    recv_expect(p.client, "and here");
    pair_close(&p);
    bare_end();
}

int main(void)
{
    test_begin(120);
    RUN(curve_shall_be_available);
    RUN(curve_key_options_shall_take_binary_and_z85);
    RUN_ENGINE_TRANSPORTS(curve_shall_carry_messages_byte_for_byte);
    RUN_ENGINE_TRANSPORTS(a_wrong_server_key_shall_be_refused);
    RUN_ENGINE_TRANSPORTS(the_handler_shall_decide_on_the_client_key);
    RUN_ENGINE_TRANSPORTS(subscriptions_shall_work_through_curve);
    RUN_ENGINE_TRANSPORTS(heartbeats_shall_keep_a_curve_connection_alive);
    return test_end();
}
