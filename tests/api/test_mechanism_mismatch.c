/* A mechanism mismatch (RFC 23 "Version Negotiation": the peers' greetings name different mechanisms) is
 * reported as libzmq 4.3.4 reports it: the first handshake failure on each side's monitor is
 * HANDSHAKE_FAILED_PROTOCOL with ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, every time, in both roles,
 * also when the peer resets the connection right after its greeting (our own greeting's last bytes then
 * cannot be written, which must not hide what the peer's greeting said). */
#include "monitor_util.h"
#include "rawpeer.h"

#include <sys/socket.h>

#define REPEATS 20
#define HANDSHAKE_FAILED                                                                                     \
    (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |                            \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

enum mech { MECH_NULL, MECH_PLAIN, MECH_CURVE };
static const char *const mech_names[] = {"NULL", "PLAIN", "CURVE"};

/* A context per case: libzmq reclaims closed sockets lazily, and 20 rounds of sockets and monitors in one
 * context can run it out of socket slots (EMFILE). */
static void *ctx;
static char server_public[41], server_secret[41], client_public[41], client_secret[41];

static void set_mechanism(void *s, enum mech m, int as_server)
{
    if (m == MECH_PLAIN && as_server) {
        set_int(s, ZMQ_PLAIN_SERVER, 1);
    } else if (m == MECH_PLAIN) {
        CHECK_OK(zmq_setsockopt(s, ZMQ_PLAIN_USERNAME, "user", 4));
        CHECK_OK(zmq_setsockopt(s, ZMQ_PLAIN_PASSWORD, "pass", 4));
    } else if (m == MECH_CURVE && as_server) {
        set_int(s, ZMQ_CURVE_SERVER, 1);
        CHECK_OK(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, server_secret, 40));
    } else if (m == MECH_CURVE) {
        CHECK_OK(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_public, 40));
        CHECK_OK(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, client_public, 40));
        CHECK_OK(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, client_secret, 40));
    }
}

/* A socket that tries one connection only and drops everything at close. */
static void *mech_socket(int type, enum mech m, int as_server)
{
    void *s = test_socket(ctx, type);
    set_int(s, ZMQ_LINGER, 0);
    set_int(s, ZMQ_RECONNECT_IVL, -1);
    set_mechanism(s, m, as_server);
    return s;
}

/* The first handshake failure the monitor reports must be the mismatch. */
static void expect_mismatch(void *mon, const char *side, enum mech ours, enum mech theirs, int round)
{
    struct monitor_event ev;
    for (;;) {
        if (!read_event(mon, &ev, MONITOR_EVENT_MS))
            tu_fail(__FILE__, __LINE__, "%s %s vs %s, round %d: no handshake failure", side, mech_names[ours],
                    mech_names[theirs], round);
        if (ev.id & HANDSHAKE_FAILED)
            break;
    }
    if (ev.id != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || ev.value != ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        tu_fail(__FILE__, __LINE__, "%s %s vs %s, round %d: first failure 0x%x value %u, not the mismatch", side,
                mech_names[ours], mech_names[theirs], round, ev.id, ev.value);
}

static void stop_monitor(void *sock, void *mon)
{
    CHECK_OK(zmq_socket_monitor(sock, NULL, 0));
    close_zero_linger(mon);
}

/* Two sockets of this library, client (connecter) and server (binder) with different mechanisms. */
static void mismatch_rounds(enum mech client, enum mech server)
{
    ctx = zmq_ctx_new();
    for (int round = 0; round < REPEATS; round++) {
        void *srv = mech_socket(ZMQ_ROUTER, server, 1);
        void *cli = mech_socket(ZMQ_DEALER, client, 0);
        char ep[TU_ENDPOINT_LEN];
        bind_ephemeral(srv, ep, sizeof ep);
        void *srv_mon = start_monitor(ctx, srv, ZMQ_EVENT_ALL);
        void *cli_mon = start_monitor(ctx, cli, ZMQ_EVENT_ALL);
        CHECK_OK(zmq_connect(cli, ep));
        expect_mismatch(cli_mon, "client", client, server, round);
        expect_mismatch(srv_mon, "server", server, client, round);
        stop_monitor(srv, srv_mon);
        stop_monitor(cli, cli_mon);
        close_zero_linger(srv);
        close_zero_linger(cli);
    }
    CHECK_OK(zmq_ctx_term(ctx));
}

static void mismatched_mechanisms_shall_be_reported_every_time(void)
{
    static const enum mech pairs[][2] = {{MECH_CURVE, MECH_NULL},  {MECH_NULL, MECH_CURVE},
                                         {MECH_PLAIN, MECH_CURVE}, {MECH_CURVE, MECH_PLAIN},
                                         {MECH_PLAIN, MECH_NULL},  {MECH_NULL, MECH_PLAIN}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        mismatch_rounds(pairs[i][0], pairs[i][1]);
}

/* The raw peer waits for our signature (so that it has unread bytes: its close then resets the
 * connection), sends its whole greeting at once and resets. */
static void raw_greet_and_reset(int fd, const char *mechanism)
{
    uint8_t sig[10];
    CHECK_EQ(raw_recv(fd, sig, sizeof sig, 2000), sizeof sig);
    raw_send_greeting_as(fd, mechanism, 1);
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset));
    close(fd);
}

static void mismatch_then_reset_shall_still_be_a_mismatch(void)
{
    static const enum mech ours[] = {MECH_NULL, MECH_PLAIN, MECH_CURVE};
    static const char *const theirs[] = {"CURVE", "NULL", "PLAIN"};
    for (int i = 0; i < 3; i++) {
        ctx = zmq_ctx_new();
        for (int round = 0; round < REPEATS; round++) {
            /* we are the server */
            void *srv = mech_socket(ZMQ_ROUTER, ours[i], 1);
            char ep[TU_ENDPOINT_LEN];
            bind_ephemeral(srv, ep, sizeof ep);
            void *mon = start_monitor(ctx, srv, ZMQ_EVENT_ALL);
            raw_greet_and_reset(raw_connect(ep), theirs[i]);
            expect_mismatch(mon, "server", ours[i], (enum mech)((i + 2) % 3), round);
            stop_monitor(srv, mon);
            close_zero_linger(srv);

            /* we are the client */
            int port = 0;
            int lfd = raw_listen(&port);
            void *cli = mech_socket(ZMQ_DEALER, ours[i], 0);
            mon = start_monitor(ctx, cli, ZMQ_EVENT_ALL);
            snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
            CHECK_OK(zmq_connect(cli, ep));
            int fd = raw_accept(lfd, 2000);
            CHECK_INT(fd, >=, 0);
            raw_greet_and_reset(fd, theirs[i]);
            expect_mismatch(mon, "client", ours[i], (enum mech)((i + 2) % 3), round);
            stop_monitor(cli, mon);
            close_zero_linger(cli);
            close(lfd);
        }
        CHECK_OK(zmq_ctx_term(ctx));
    }
}

/* The same when the peer's greeting is followed by its ERROR (a PLAIN server's handler said 400) and a
 * reset: our client's HELLO cannot be written, and what we report comes from the ERROR, not the write. */
static void refusal_then_reset_shall_report_the_refusal(void)
{
    ctx = zmq_ctx_new();
    for (int round = 0; round < REPEATS; round++) {
        int port = 0;
        int lfd = raw_listen(&port);
        void *cli = mech_socket(ZMQ_DEALER, MECH_PLAIN, 0);
        void *mon = start_monitor(ctx, cli, ZMQ_EVENT_ALL);
        char ep[TU_ENDPOINT_LEN];
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
        CHECK_OK(zmq_connect(cli, ep));
        int fd = raw_accept(lfd, 2000);
        uint8_t bytes[RAW_GREETING_LEN + 32];
        CHECK_EQ(raw_recv(fd, bytes, 10, 2000), 10);
        raw_greeting(bytes, "PLAIN", 1);
        bytes[32] = 1;   /* as-server */
        size_t n = RAW_GREETING_LEN + raw_command(bytes + RAW_GREETING_LEN, 32, "ERROR", "\003400", 4);
        raw_send(fd, bytes, n);
        struct linger reset = {.l_onoff = 1, .l_linger = 0};
        CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset));
        close(fd);
        struct monitor_event ev;
        do
            CHECK(read_event(mon, &ev, MONITOR_EVENT_MS));
        while (!(ev.id & HANDSHAKE_FAILED));
        /* libzmq 4.3.4 answers AUTH 400, or UNEXPECTED_COMMAND when the ERROR came before it sent HELLO */
        if (ev.id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
            tu_fail(__FILE__, __LINE__, "round %d: the I/O error (%u) hid the peer's ERROR", round, ev.value);
        stop_monitor(cli, mon);
        close_zero_linger(cli);
        close(lfd);
    }
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(60);
    CHECK_OK(zmq_curve_keypair(server_public, server_secret));
    CHECK_OK(zmq_curve_keypair(client_public, client_secret));
    RUN(mismatched_mechanisms_shall_be_reported_every_time);
    RUN(mismatch_then_reset_shall_still_be_a_mismatch);
    RUN(refusal_then_reset_shall_report_the_refusal);
    return test_end();
}
