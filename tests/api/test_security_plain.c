/* PLAIN (RFC 24) and ZAP (RFC 27) through the public API, as libzmq 4.3.4 behaves: a ZAP handler thread
 * (a REP socket at inproc://zeromq.zap.01, the way applications write one) decides; the monitor reports
 * why a peer was refused; what the handler said reaches zmq_msg_gets. NULL consults ZAP only with a
 * domain. Runs over tcp and ipc; passes on zinc and on libzmq (reference mode). */
#include "testutil.h"

#include <stdatomic.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93   /* draft in zmq.h; Debian's libzmq 4.3.4 takes it */
#endif

static void *ctx;             /* the context the pairs use: handler_ctx, or bare_ctx (no handler bound) */
static void *handler_ctx, *bare_ctx;
static int monitor_seq;

/* ---- a ZAP handler ---------------------------------------------------------------------------------- */
/* A handler in a context of its own per case (zap_start .. zap_stop); cases without a handler use
 * bare_ctx. */
struct zap_handler {
    void *sock;
    pthread_t thread;
    atomic_int stop;
    atomic_int requests;
    const char *_Atomic force_status;   /* answer this to everyone (NULL: check admin/secret) */
    const char *_Atomic version;        /* the reply's version frame (NULL: "1.0") */
    char last_domain[64], last_address[64], last_mechanism[16], last_username[64];
};

static void zap_frame(void *sock, char *out, size_t cap)
{
    int n = zmq_recv(sock, out, cap - 1, 0);
    CHECK_INT(n, >=, 0);
    out[(size_t)n < cap - 1 ? (size_t)n : cap - 1] = 0;
}

static void *zap_run(void *arg)
{
    struct zap_handler *h = arg;
    while (!atomic_load(&h->stop)) {
        zmq_pollitem_t item = {h->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 20) <= 0)
            continue;
        char version[16], id[16], identity[256], user[64] = "", pass[64] = "";
        zap_frame(h->sock, version, sizeof version);
        zap_frame(h->sock, id, sizeof id);
        zap_frame(h->sock, h->last_domain, sizeof h->last_domain);
        zap_frame(h->sock, h->last_address, sizeof h->last_address);
        zap_frame(h->sock, identity, sizeof identity);
        zap_frame(h->sock, h->last_mechanism, sizeof h->last_mechanism);
        int more = 0;
        size_t more_len = sizeof more;
        CHECK_OK(zmq_getsockopt(h->sock, ZMQ_RCVMORE, &more, &more_len));
        if (more) {
            zap_frame(h->sock, user, sizeof user);
            zap_frame(h->sock, pass, sizeof pass);
        }
        snprintf(h->last_username, sizeof h->last_username, "%s", user);
        CHECK_STR(version, "1.0");
        const char *status = h->force_status;
        if (!status)
            status = strcmp(user, "admin") == 0 && strcmp(pass, "secret") == 0 ? "200" : "400";
        static const char meta[] = "\x05Hello\x00\x00\x00\x05World";
        send_str_more(h->sock, h->version ? h->version : "1.0");
        send_str_more(h->sock, id);
        send_str_more(h->sock, status);
        send_str_more(h->sock, "text");
        send_str_more(h->sock, strcmp(status, "200") == 0 ? "admin" : "");
        send_buf(h->sock, meta, sizeof meta - 1, 0);
        atomic_fetch_add(&h->requests, 1);
    }
    CHECK_OK(zmq_close(h->sock));
    return NULL;
}

static struct zap_handler the_handler;

/* Cases without a handler get a context of their own too: libzmq's PLAIN server that found no handler
 * leaves its connection half open, and the I/O thread slow to serve the next case. */
static void bare_begin(void)
{
    bare_ctx = zmq_ctx_new();
    CHECK_PTR(bare_ctx);
    ctx = bare_ctx;
}

static void bare_end(void)
{
    CHECK_OK(zmq_ctx_term(bare_ctx));
    bare_ctx = NULL;
}

static void zap_launch(void)
{
    struct zap_handler *h = &the_handler;
    atomic_store(&h->stop, 0);
    h->sock = test_socket(handler_ctx, ZMQ_REP);
    CHECK_OK(zmq_bind(h->sock, "inproc://zeromq.zap.01"));
    CHECK_EQ(pthread_create(&h->thread, NULL, zap_run, h), 0);
}

static void zap_start(struct zap_handler *h, const char *force_status)
{
    handler_ctx = zmq_ctx_new();
    CHECK_PTR(handler_ctx);
    ctx = handler_ctx;
    h->force_status = force_status;
    h->version = NULL;
    atomic_store(&h->requests, 0);
    h->last_domain[0] = h->last_address[0] = h->last_mechanism[0] = h->last_username[0] = 0;
    zap_launch();
}

static void zap_stop(struct zap_handler *h)
{
    atomic_store(&h->stop, 1);
    CHECK_EQ(pthread_join(h->thread, NULL), 0);
    CHECK_OK(zmq_ctx_term(handler_ctx));
    handler_ctx = NULL;
}

/* ---- monitor ------------------------------------------------------------------------------------------ */
static void *start_monitor(void *sock)
{
    char addr[64];
    snprintf(addr, sizeof addr, "inproc://sec-monitor-%d", ++monitor_seq);
    CHECK_OK(zmq_socket_monitor(sock, addr, ZMQ_EVENT_ALL));
    void *mon = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_connect(mon, addr));
    return mon;
}

/* Waits up to 3 s for `event`, skipping others; returns its value. */
#define await_event(mon, event) tu_await_event(__FILE__, __LINE__, (mon), (event))
static uint32_t tu_await_event(const char *file, int line, void *mon, int event)
{
    int64_t deadline = now_ms() + (getenv("SEC_WAIT") ? atoi(getenv("SEC_WAIT")) : 3000);
    while (now_ms() < deadline) {
        unsigned char frame[16];
        char endpoint[256];
        int more = 0;
        int n = recv_timeout(mon, frame, sizeof frame, 100, &more);
        if (n < 0)
            continue;
        CHECK_EQ(n, 6);
        CHECK_INT(recv_timeout(mon, endpoint, sizeof endpoint, 1000, &more), >=, 0);
        uint16_t id;
        uint32_t value;
        memcpy(&id, frame, 2);
        memcpy(&value, frame + 2, 4);
        if (getenv("SEC_DEBUG"))
            fprintf(stderr, "  event 0x%x value %u\n", id, value);
        if (id == event)
            return value;
        if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && event != id)
            tu_fail(file, line, "expected event 0x%x, the handshake succeeded", event);
    }
    tu_fail(file, line, "event 0x%x did not come", event);
}

/* ---- a server and a client ----------------------------------------------------------------------------- */
struct pair {
    void *server, *client, *server_mon, *client_mon;
    char endpoint[TU_ENDPOINT_LEN];
};

static void setopt_str(void *s, int option, const char *value)
{
    CHECK_OK(zmq_setsockopt(s, option, value, strlen(value)));
}

static void setopt_int(void *s, int option, int value)
{
    CHECK_OK(zmq_setsockopt(s, option, &value, sizeof value));
}

/* PULL server, PUSH client; the caller configures both between pair_open and pair_connect. */
static void pair_open(struct pair *p)
{
    p->server = test_socket(ctx, ZMQ_PULL);
    p->client = test_socket(ctx, ZMQ_PUSH);
    setopt_int(p->client, ZMQ_LINGER, 0);
    setopt_int(p->server, ZMQ_LINGER, 0);
}

static void pair_connect(struct pair *p, const char *transport)
{
    p->server_mon = start_monitor(p->server);
    p->client_mon = start_monitor(p->client);
    bind_transport(p->server, transport, p->endpoint, sizeof p->endpoint);
    CHECK_OK(zmq_connect(p->client, p->endpoint));
}

static void pair_close(struct pair *p)
{
    CHECK_OK(zmq_close(p->client));
    CHECK_OK(zmq_close(p->server));
    CHECK_OK(zmq_close(p->client_mon));
    CHECK_OK(zmq_close(p->server_mon));
}

static void plain_client(void *s, const char *user, const char *pass)
{
    setopt_str(s, ZMQ_PLAIN_USERNAME, user);
    setopt_str(s, ZMQ_PLAIN_PASSWORD, pass);
}

/* ---- cases ------------------------------------------------------------------------------------------- */
/* zmq_setsockopt: PLAIN_SERVER and the credentials select the mechanism; all read back. */
static void plain_options_shall_select_the_mechanism_and_read_back(void)
{
    bare_begin();
    void *s = test_socket(ctx, ZMQ_DEALER);
    int v = -1;
    size_t len = sizeof v;
    CHECK_OK(zmq_getsockopt(s, ZMQ_MECHANISM, &v, &len));
    CHECK_EQ(v, ZMQ_NULL);
    setopt_int(s, ZMQ_PLAIN_SERVER, 1);
    len = sizeof v;
    CHECK_OK(zmq_getsockopt(s, ZMQ_MECHANISM, &v, &len));
    CHECK_EQ(v, ZMQ_PLAIN);
    len = sizeof v;
    CHECK_OK(zmq_getsockopt(s, ZMQ_PLAIN_SERVER, &v, &len));
    CHECK_EQ(v, 1);
    plain_client(s, "admin", "secret");   /* a username makes it a client */
    len = sizeof v;
    CHECK_OK(zmq_getsockopt(s, ZMQ_PLAIN_SERVER, &v, &len));
    CHECK_EQ(v, 0);
    char buf[256];
    len = sizeof buf;
    CHECK_OK(zmq_getsockopt(s, ZMQ_PLAIN_USERNAME, buf, &len));
    CHECK_STR(buf, "admin");
    CHECK_EQ(len, 6);
    len = sizeof buf;
    CHECK_OK(zmq_getsockopt(s, ZMQ_PLAIN_PASSWORD, buf, &len));
    CHECK_STR(buf, "secret");
    CHECK_OK(zmq_setsockopt(s, ZMQ_PLAIN_USERNAME, NULL, 0));   /* back to NULL */
    len = sizeof v;
    CHECK_OK(zmq_getsockopt(s, ZMQ_MECHANISM, &v, &len));
    CHECK_EQ(v, ZMQ_NULL);
    setopt_int(s, ZMQ_ZAP_ENFORCE_DOMAIN, 1);
    len = sizeof v;
    CHECK_OK(zmq_getsockopt(s, ZMQ_ZAP_ENFORCE_DOMAIN, &v, &len));
    CHECK_EQ(v, 1);
    setopt_str(s, ZMQ_ZAP_DOMAIN, "global");
    len = sizeof buf;
    CHECK_OK(zmq_getsockopt(s, ZMQ_ZAP_DOMAIN, buf, &len));
    CHECK_STR(buf, "global");
    CHECK_OK(zmq_close(s));
    bare_end();
}

/* The right password: the message arrives carrying the handler's User-Id and metadata, the peer's
 * Socket-Type and its address; the handler saw the mechanism, credentials, domain and address. */
static void plain_shall_admit_a_client_the_handler_accepts(const char *tr)
{
    struct zap_handler *hp = &the_handler;
    zap_start(hp, NULL);
    struct pair p;
    pair_open(&p);
    setopt_int(p.server, ZMQ_PLAIN_SERVER, 1);
    setopt_str(p.server, ZMQ_ZAP_DOMAIN, "test");
    plain_client(p.client, "admin", "secret");
    pair_connect(&p, tr);
    await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    await_event(p.client_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    send_str_more(p.client, "multi");
    send_buf(p.client, "", 0, ZMQ_SNDMORE);
    send_str(p.client, "part");
    zmq_msg_t m;
    zmq_msg_init(&m);
    setopt_int(p.server, ZMQ_RCVTIMEO, 2000);
    CHECK_EQ(zmq_msg_recv(&m, p.server, 0), 5);
    CHECK_STR(zmq_msg_gets(&m, "User-Id"), "admin");
    CHECK_STR(zmq_msg_gets(&m, "Hello"), "World");
    CHECK_STR(zmq_msg_gets(&m, "Socket-Type"), "PUSH");
    CHECK_PTR(zmq_msg_gets(&m, "Peer-Address"));
    zmq_msg_close(&m);
    recv_expect_buf(p.server, "", 0, 1);
    recv_expect(p.server, "part");
    CHECK_STR(hp->last_mechanism, "PLAIN");
    CHECK_STR(hp->last_username, "admin");
    CHECK_STR(hp->last_domain, "test");
    if (strcmp(tr, "tcp") == 0)
        CHECK_STR(hp->last_address, "127.0.0.1");
    pair_close(&p);
    zap_stop(hp);
}

/* A wrong password: 400 from the handler; both sides report HANDSHAKE_FAILED_AUTH with 400, and nothing
 * reaches the server's application. */
static void plain_shall_refuse_a_wrong_password_with_auth_events(const char *tr)
{
    struct zap_handler *hp = &the_handler;
    zap_start(hp, NULL);
    struct pair p;
    pair_open(&p);
    setopt_int(p.server, ZMQ_PLAIN_SERVER, 1);
    plain_client(p.client, "admin", "wrong");
    pair_connect(&p, tr);
    CHECK_EQ(await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 400);
    CHECK_EQ(await_event(p.client_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 400);
    (void)zmq_send(p.client, "never", 5, ZMQ_DONTWAIT);   /* may have no peer to queue for */
    expect_no_msg(p.server, 200);
    pair_close(&p);
    zap_stop(hp);
}

/* The status codes, as libzmq maps them: 500 is reported to both sides; 300 (temporary) only to the
 * server, which closes without an ERROR command (what the client then sees differs by transport). */
static void zap_status_codes_shall_map_as_libzmq_does(const char *tr)
{
    static const char *const codes[] = {"500", "300"};
    for (int i = 0; i < 2; i++) {
        struct zap_handler *hp = &the_handler;
        zap_start(hp, codes[i]);
        struct pair p;
        pair_open(&p);
        setopt_int(p.server, ZMQ_PLAIN_SERVER, 1);
        plain_client(p.client, "admin", "secret");
        pair_connect(&p, tr);
        CHECK_EQ(await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), (uint32_t)atoi(codes[i]));
        if (i == 0)
            CHECK_EQ(await_event(p.client_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 500);
        expect_no_msg(p.server, 100);
        pair_close(&p);
        zap_stop(hp);
    }
}

/* libzmq: a PLAIN server with no handler bound fails every handshake (NO_DETAIL, EFAULT). */
static void plain_server_without_a_handler_shall_fail_the_handshake(const char *tr)
{
    bare_begin();
    struct pair p;
    pair_open(&p);
    setopt_int(p.server, ZMQ_PLAIN_SERVER, 1);
    plain_client(p.client, "admin", "secret");
    pair_connect(&p, tr);
    CHECK_EQ(await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL), EFAULT);
    (void)zmq_send(p.client, "never", 5, ZMQ_DONTWAIT);   /* may have no peer to queue for */
    expect_no_msg(p.server, 200);
    pair_close(&p);
    bare_end();
}

/* PLAIN against NULL: both sides report a mechanism mismatch. */
static void mismatched_mechanisms_shall_fail_with_protocol_events(const char *tr)
{
    bare_begin();
    struct pair p;
    pair_open(&p);
    setopt_int(p.server, ZMQ_PLAIN_SERVER, 1);
    pair_connect(&p, tr);
    CHECK_EQ(await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL),
             ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    CHECK_EQ(await_event(p.client_mon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL),
             ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    pair_close(&p);
    bare_end();
}

/* NULL asks the handler only when ZMQ_ZAP_DOMAIN is set; then its 400 refuses the peer. */
static void null_shall_consult_zap_only_with_a_domain(const char *tr)
{
    struct zap_handler *hp = &the_handler;
    zap_start(hp, "400");
    struct pair p;
    pair_open(&p);
    pair_connect(&p, tr);
    await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    send_str(p.client, "free");
    recv_expect(p.server, "free");
    CHECK_EQ(atomic_load(&hp->requests), 0);
    pair_close(&p);
    zap_stop(hp);

    zap_start(hp, "400");   /* a fresh context: libzmq's second handshake there is unreliable */
    pair_open(&p);
    setopt_str(p.server, ZMQ_ZAP_DOMAIN, "global");
    pair_connect(&p, tr);
    CHECK_EQ(await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 400);
    CHECK_EQ(await_event(p.client_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 400);
    CHECK_STR(hp->last_mechanism, "NULL");
    CHECK_STR(hp->last_domain, "global");
    pair_close(&p);
    zap_stop(hp);
}

/* NULL with a domain but no handler goes on, unless ZMQ_ZAP_ENFORCE_DOMAIN is set. */
static void zap_enforce_domain_shall_require_a_handler(const char *tr)
{
    bare_begin();
    struct pair p;
    pair_open(&p);
    setopt_str(p.server, ZMQ_ZAP_DOMAIN, "global");
    pair_connect(&p, tr);
    await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    pair_close(&p);
    bare_end();

    bare_begin();
    pair_open(&p);
    setopt_str(p.server, ZMQ_ZAP_DOMAIN, "global");
    setopt_int(p.server, ZMQ_ZAP_ENFORCE_DOMAIN, 1);
    pair_connect(&p, tr);
    CHECK_EQ(await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL), EFAULT);
    pair_close(&p);
    bare_end();
}

/* A reply with the wrong version is a ZAP protocol error, and the peer is not admitted. */
static void a_malformed_zap_reply_shall_fail_the_handshake(const char *tr)
{
    struct zap_handler *hp = &the_handler;
    zap_start(hp, "200");
    hp->version = "2.0";
    struct pair p;
    pair_open(&p);
    setopt_int(p.server, ZMQ_PLAIN_SERVER, 1);
    plain_client(p.client, "admin", "secret");
    pair_connect(&p, tr);
    CHECK_EQ(await_event(p.server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL), ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION);
    (void)zmq_send(p.client, "never", 5, ZMQ_DONTWAIT);   /* may have no peer to queue for */
    expect_no_msg(p.server, 200);
    pair_close(&p);
    zap_stop(hp);
}

int main(void)
{
    test_begin(120);
    RUN(plain_options_shall_select_the_mechanism_and_read_back);
    RUN_ENGINE_TRANSPORTS(plain_shall_admit_a_client_the_handler_accepts);
    RUN_ENGINE_TRANSPORTS(plain_shall_refuse_a_wrong_password_with_auth_events);
    RUN_ENGINE_TRANSPORTS(zap_status_codes_shall_map_as_libzmq_does);
    RUN_ENGINE_TRANSPORTS(plain_server_without_a_handler_shall_fail_the_handshake);
    RUN_ENGINE_TRANSPORTS(mismatched_mechanisms_shall_fail_with_protocol_events);
    RUN_ENGINE_TRANSPORTS(null_shall_consult_zap_only_with_a_domain);
    RUN_ENGINE_TRANSPORTS(zap_enforce_domain_shall_require_a_handler);
    RUN_ENGINE_TRANSPORTS(a_malformed_zap_reply_shall_fail_the_handshake);
    return test_end();
}
