/* zmq_socket_monitor as libzmq 4.3.4 behaves, beyond its man page (each case was first probed against
 * Debian's libzmq and passes there too): a monitor started after zmq_bind/zmq_connect sees the existing
 * listeners' and connecters' later events, and a stopped or replaced one sees none; ACCEPTED comes at
 * accept(), before any greeting; failed connect attempts report CONNECT_DELAYED (value EINPROGRESS),
 * CLOSED (the fd), CONNECT_RETRIED (the wait: interval plus jitter); handshake failures carry libzmq's
 * values; and the argument checks, in libzmq's order. */

/* Events may take up to 3 s here (the default is 2 s); defined before monitor_util.h reads it. */
#define MONITOR_EVENT_MS 3000
#include "monitor_util.h"
#include "rawpeer.h"

static void *ctx;

/* Reads up to MONITOR_STOPPED, then closes the application's PAIR. Closing it while the monitored socket
 * may still emit would block libzmq's emitting thread (a PAIR without a peer blocks its sender), so every
 * case ends its monitors this way, or stops them first. */
static void expect_stopped(void *mon)
{
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, ZMQ_EVENT_ALL & ~ZMQ_EVENT_MONITOR_STOPPED, &ev);
    close_zero_linger(mon);
}

static void expect_silence(void *mon, int ms)
{
    struct monitor_event ev;
    if (read_event(mon, &ev, ms))
        tu_fail(__FILE__, __LINE__, "unexpected event 0x%x (value %u, %s)", ev.id, ev.value, ev.endpoint);
}

/* A round trip proves the connection is up (DEALER to DEALER). */
static void bounce(void *a, void *b)
{
    send_str(a, "ping");
    recv_expect(b, "ping");
    send_str(b, "pong");
    recv_expect(a, "pong");
}

/* ---- monitors see what starts after them ---------------------------------------------------------------- */

/* The usual order (and pyzmq's get_monitor_socket): bind first, monitor after. The listener that already
 * exists reports its new connections to the new monitor. */
static void monitor_started_after_bind_shall_see_new_connections(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = bound_socket(ctx, ZMQ_DEALER, tr, ep, sizeof ep);
    void *mon = start_monitor(ctx, server, ZMQ_EVENT_ALL);
    void *client = connected_socket(ctx, ZMQ_DEALER, ep);
    struct monitor_event accepted, ev;
    expect_event(mon, ZMQ_EVENT_ACCEPTED, 0, &accepted);
    CHECK_STR(accepted.endpoint, ep);
    expect_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    CHECK_STR(ev.endpoint, ep);
    CHECK_EQ(ev.value, 0);
    bounce(client, server);
    close_zero_linger(client);
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_EQ(ev.value, accepted.value);
    CHECK_STR(ev.endpoint, ep);
    close_zero_linger(server);
    expect_event(mon, ZMQ_EVENT_CLOSED, 0, &ev);
    CHECK_STR(ev.endpoint, ep);
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    close_zero_linger(mon);
}

/* A connecter that already exists reports its disconnection and reconnects to a monitor started after
 * zmq_connect; its events name the endpoint as given to zmq_connect. */
static void monitor_started_after_connect_shall_see_reconnects(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = bound_socket(ctx, ZMQ_DEALER, tr, ep, sizeof ep);
    void *client = test_socket(ctx, ZMQ_DEALER);
    set_int(client, ZMQ_RECONNECT_IVL, 100);
    CHECK_OK(zmq_connect(client, ep));
    bounce(client, server);
    void *mon = start_monitor(ctx, client, ZMQ_EVENT_ALL);
    close_zero_linger(server);
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_STR(ev.endpoint, ep);
    expect_event(mon, ZMQ_EVENT_CONNECT_RETRIED, 0, &ev);
    CHECK_STR(ev.endpoint, ep);
    CHECK_INT(ev.value, >=, 100); /* the interval plus a jitter below one interval */
    CHECK_INT(ev.value, <, 200);
    server = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_bind(server, ep));
    int skip = ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CLOSED | ZMQ_EVENT_CONNECT_RETRIED;
    expect_event(mon, ZMQ_EVENT_CONNECTED, skip, &ev);
    CHECK_STR(ev.endpoint, ep);
    expect_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    bounce(client, server);
    close_zero_linger(client);
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    close_zero_linger(server);
    close_zero_linger(mon);
}

/* zmq_socket_monitor on a monitored socket replaces the monitor: the old PAIR gets MONITOR_STOPPED and
 * nothing after it, the new one gets every later event, including those of existing connections. */
static void monitor_replaced_shall_stop_the_old_one(const char *tr)
{
    void *server = test_socket(ctx, ZMQ_DEALER);
    void *old_mon = start_monitor(ctx, server, ZMQ_EVENT_ALL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_DEALER, ep);
    bounce(client, server);
    struct monitor_event ev;
    expect_event(old_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, ZMQ_EVENT_LISTENING | ZMQ_EVENT_ACCEPTED, &ev);
    void *new_mon = start_monitor(ctx, server, ZMQ_EVENT_ALL);
    expect_event(old_mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    close_zero_linger(client);
    expect_event(new_mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_STR(ev.endpoint, ep);
    expect_silence(old_mon, 100);
    close_zero_linger(server);
    expect_event(new_mon, ZMQ_EVENT_CLOSED, 0, &ev);
    expect_event(new_mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    close_zero_linger(old_mon);
    close_zero_linger(new_mon);
}

/* A monitor stopped with (s, NULL, 0) hears nothing more from connections that existed before. */
static void monitor_stopped_shall_not_hear_existing_connections(const char *tr)
{
    void *server = test_socket(ctx, ZMQ_DEALER);
    void *mon = start_monitor(ctx, server, ZMQ_EVENT_ALL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_DEALER, ep);
    bounce(client, server);
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, ZMQ_EVENT_LISTENING | ZMQ_EVENT_ACCEPTED, &ev);
    CHECK_OK(zmq_socket_monitor(server, NULL, 0));
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    close_zero_linger(client);
    close_zero_linger(server);
    expect_silence(mon, 200);
    close_zero_linger(mon);
}

/* Monitors started and stopped while an I/O thread emits all the time (a connecter retrying every
 * millisecond): each one hears events, ends with MONITOR_STOPPED, and hears nothing after it. Under TSan
 * and ASan this is the race between emitting and replacing. */
static void monitor_restarted_while_events_flow_shall_stay_consistent(void)
{
    char ep[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    void *client = test_socket(ctx, ZMQ_DEALER);
    set_int(client, ZMQ_RECONNECT_IVL, 1);
    CHECK_OK(zmq_connect(client, ep));
    for (int i = 0; i < 50; i++) {
        void *mon = start_monitor(ctx, client, ZMQ_EVENT_ALL);
        struct monitor_event ev;
        expect_event(mon, ZMQ_EVENT_CONNECT_RETRIED, ZMQ_EVENT_ALL, &ev);
        CHECK_STR(ev.endpoint, ep);
        CHECK_OK(zmq_socket_monitor(client, NULL, 0));
        expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, ZMQ_EVENT_ALL & ~ZMQ_EVENT_MONITOR_STOPPED, &ev);
        expect_silence(mon, 10);
        close_zero_linger(mon);
    }
    close_zero_linger(client);
}

/* zmq_close does not stop the monitor: a connection that lingers with a message to deliver keeps
 * reporting its attempts, and MONITOR_STOPPED comes last, once ZMQ_LINGER has run out. */
static void monitor_shall_report_lingering_connections_until_they_end(void)
{
    char ep[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    void *client = test_socket(ctx, ZMQ_PUSH);
    set_int(client, ZMQ_RECONNECT_IVL, 50);
    set_int(client, ZMQ_LINGER, 300);
    void *mon = start_monitor(ctx, client, ZMQ_EVENT_ALL);
    CHECK_OK(zmq_connect(client, ep));
    send_str(client, "undeliverable");
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_CONNECT_RETRIED, ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CLOSED, &ev);
    int64_t closed_at = now_ms();
    CHECK_OK(zmq_close(client));
    int after_close = 0;
    for (;;) {
        CHECK(read_event(mon, &ev, 3000));
        if (ev.id == ZMQ_EVENT_MONITOR_STOPPED)
            break;
        CHECK_STR(ev.endpoint, ep);
        after_close++;
    }
    CHECK_INT(after_close, >, 0);
    CHECK_INT(now_ms() - closed_at, >=, 250); /* not before the linger ran out */
    expect_silence(mon, 50);
    close_zero_linger(mon);
}

/* zmq_ctx_term right after closing a monitored socket whose connection lingers: the monitor's PAIR is
 * closed by the I/O thread when the linger ends, while the context is terminating; the term returns.
 * (libzmq blocks its I/O thread sending events to the PAIR whose peer is gone; the terminating context
 * releases it with ETERM. zinc drops those events.) */
static void ctx_term_shall_wait_for_a_lingering_monitored_socket(void)
{
    void *ctx2 = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    void *client = CHECK_PTR(zmq_socket(ctx2, ZMQ_PUSH));
    set_int(client, ZMQ_RECONNECT_IVL, 10);
    set_int(client, ZMQ_LINGER, 100);
    CHECK_OK(zmq_socket_monitor(client, "inproc://compat-term-linger", ZMQ_EVENT_ALL));
    void *mon = CHECK_PTR(zmq_socket(ctx2, ZMQ_PAIR));
    CHECK_OK(zmq_connect(mon, "inproc://compat-term-linger"));
    CHECK_OK(zmq_connect(client, ep));
    send_str(client, "undeliverable");
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_CONNECT_RETRIED, ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CLOSED, &ev);
    close_zero_linger(mon);
    CHECK_OK(zmq_close(client));
    CHECK_OK(zmq_ctx_term(ctx2));
}

/* ---- listener events --------------------------------------------------------------------------------- */

/* ACCEPTED comes at accept(): a TCP peer that never sends a byte still produces it, with a mask that has
 * only ACCEPTED. A peer that ends before the greeting is a handshake failure (errno EPIPE) and then
 * DISCONNECTED with the accepted fd. */
static void accepted_shall_come_before_any_greeting(void)
{
    void *server = test_socket(ctx, ZMQ_DEALER);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "tcp", ep, sizeof ep);
    void *mon = start_monitor(ctx, server, ZMQ_EVENT_ACCEPTED);
    int fd = raw_connect(ep);
    struct monitor_event accepted, ev;
    expect_event(mon, ZMQ_EVENT_ACCEPTED, 0, &accepted);
    CHECK_STR(accepted.endpoint, ep);
    close(fd);
    expect_silence(mon, 100);
    close_zero_linger(mon);

    mon = start_monitor(ctx, server, ZMQ_EVENT_ALL);
    fd = raw_connect(ep);
    expect_event(mon, ZMQ_EVENT_ACCEPTED, 0, &accepted);
    CHECK(shutdown(fd, SHUT_WR) == 0);
    expect_event(mon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 0, &ev);
    CHECK_EQ(ev.value, EPIPE);
    CHECK_STR(ev.endpoint, ep);
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_EQ(ev.value, accepted.value);
    close(fd);
    close_zero_linger(server);
    expect_stopped(mon);
}

/* zmq_unbind reports the listener CLOSED with the fd LISTENING gave, under the resolved endpoint. */
static void unbind_shall_report_the_listener_closed(const char *tr)
{
    void *server = test_socket(ctx, ZMQ_DEALER);
    void *mon = start_monitor(ctx, server, ZMQ_EVENT_ALL);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    struct monitor_event listening, ev;
    expect_event(mon, ZMQ_EVENT_LISTENING, 0, &listening);
    CHECK_STR(listening.endpoint, ep);
    CHECK_OK(zmq_unbind(server, ep));
    expect_event(mon, ZMQ_EVENT_CLOSED, 0, &ev);
    CHECK_EQ(ev.value, listening.value);
    CHECK_STR(ev.endpoint, ep);
    expect_silence(mon, 100);
    close_zero_linger(server);
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    close_zero_linger(mon);
}

/* ---- connecter events -------------------------------------------------------------------------------- */

/* Every failed attempt: CONNECT_DELAYED (value EINPROGRESS) when the connect was pending, CLOSED with the
 * fd of the attempt, CONNECT_RETRIED with the wait. With reconnects off, no CONNECT_RETRIED. */
static void failed_attempts_shall_report_closed(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    if (strcmp(tr, "tcp") == 0)
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    else
        make_bind_endpoint(tr, ep, sizeof ep); /* a path nobody listens on */
    for (int round = 0; round < 2; round++) {
        void *client = test_socket(ctx, ZMQ_DEALER);
        set_int(client, ZMQ_RECONNECT_IVL, round == 0 ? 100 : -1);
        void *mon = start_monitor(ctx, client, ZMQ_EVENT_ALL);
        CHECK_OK(zmq_connect(client, ep));
        struct monitor_event ev;
        for (int attempt = 0; attempt < (round == 0 ? 2 : 1); attempt++) {
            CHECK(read_event(mon, &ev, 3000));
            if (ev.id == ZMQ_EVENT_CONNECT_DELAYED) {
                CHECK_EQ(ev.value, EINPROGRESS);
                CHECK_STR(ev.endpoint, ep);
                CHECK(read_event(mon, &ev, 3000));
            }
            CHECK_EQ(ev.id, ZMQ_EVENT_CLOSED);
            CHECK_INT(ev.value, >=, 0);
            CHECK_STR(ev.endpoint, ep);
            if (round == 1)
                break;
            expect_event(mon, ZMQ_EVENT_CONNECT_RETRIED, 0, &ev);
            CHECK_INT(ev.value, >=, 100);
            CHECK_INT(ev.value, <, 200);
            CHECK_STR(ev.endpoint, ep);
        }
        if (round == 1)
            expect_silence(mon, 200);
        close_zero_linger(client);
        expect_stopped(mon);
    }
}

/* With ZMQ_RECONNECT_IVL_MAX the interval doubles up to the maximum; each wait adds a jitter below
 * ZMQ_RECONNECT_IVL. */
static void reconnect_waits_shall_back_off_with_jitter(void)
{
    char ep[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    void *client = test_socket(ctx, ZMQ_DEALER);
    set_int(client, ZMQ_RECONNECT_IVL, 20);
    set_int(client, ZMQ_RECONNECT_IVL_MAX, 80);
    void *mon = start_monitor(ctx, client, ZMQ_EVENT_CONNECT_RETRIED);
    CHECK_OK(zmq_connect(client, ep));
    static const int base[] = {20, 40, 80, 80};
    for (int i = 0; i < 4; i++) {
        struct monitor_event ev;
        expect_event(mon, ZMQ_EVENT_CONNECT_RETRIED, 0, &ev);
        CHECK_INT(ev.value, >=, base[i]);
        CHECK_INT(ev.value, <, base[i] + 20);
    }
    CHECK_OK(zmq_socket_monitor(client, NULL, 0)); /* its mask has no MONITOR_STOPPED */
    close_zero_linger(client);
    close_zero_linger(mon);
}

/* ---- handshake failures (a raw peer against a NULL-mechanism DEALER) ------------------------------------- */
#define ANY_VALUE UINT32_MAX

static void expect_failure(void *mon, const char *ep, int hs_event, uint32_t hs_value)
{
    struct monitor_event accepted, ev;
    expect_event(mon, ZMQ_EVENT_ACCEPTED, 0, &accepted);
    if (hs_event) {
        expect_event(mon, hs_event, 0, &ev);
        if (hs_value != ANY_VALUE)
            CHECK_EQ(ev.value, hs_value);
        CHECK_STR(ev.endpoint, ep);
    }
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_EQ(ev.value, accepted.value);
}

static void handshake_failures_shall_carry_libzmq_values(void)
{
    void *server = test_socket(ctx, ZMQ_DEALER);
    set_int(server, ZMQ_HANDSHAKE_IVL, 200);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "tcp", ep, sizeof ep);
    void *mon = start_monitor(ctx, server, ZMQ_EVENT_ALL & ~ZMQ_EVENT_LISTENING);

    /* another mechanism than ours */
    int fd = raw_connect(ep);
    raw_send_greeting_as(fd, "PLAIN", 1);
    expect_failure(mon, ep, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    close(fd);

    /* a command NULL does not know */
    static const unsigned char hello[] = {4, 6, 5, 'H', 'E', 'L', 'L', 'O'};
    fd = raw_connect(ep);
    raw_send_greeting_as(fd, "NULL", 1);
    raw_send(fd, hello, sizeof hello);
    expect_failure(mon, ep, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
    close(fd);

    /* a message before READY */
    static const unsigned char message[] = {0, 3, 'a', 'b', 'c'};
    fd = raw_connect(ep);
    raw_send_greeting_as(fd, "NULL", 1);
    raw_send(fd, message, sizeof message);
    expect_failure(mon, ep, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
    close(fd);

    /* malformed READY metadata, an ERROR command, an incompatible socket type: DISCONNECTED only */
    static const unsigned char bad_ready[] = {4, 8, 5, 'R', 'E', 'A', 'D', 'Y', 9, '9'};
    static const unsigned char error[] = {4, 10, 5, 'E', 'R', 'R', 'O', 'R', 3, 'b', 'a', 'd'};
    static const unsigned char sub_ready[] = {4, 25, 5, 'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k',
                                              'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0, 3, 'S', 'U', 'B'};
    const unsigned char *bodies[] = {bad_ready, error, sub_ready};
    size_t sizes[] = {sizeof bad_ready, sizeof error, sizeof sub_ready};
    for (int i = 0; i < 3; i++) {
        fd = raw_connect(ep);
        raw_send_greeting_as(fd, "NULL", 1);
        raw_send(fd, bodies[i], sizes[i]);
        expect_failure(mon, ep, 0, 0);
        close(fd);
    }

    /* silence until ZMQ_HANDSHAKE_IVL: libzmq's value is whatever errno its I/O thread last left (often
     * EAGAIN, sometimes another connection's ECONNREFUSED); zinc gives EAGAIN */
    fd = raw_connect(ep);
    expect_failure(mon, ep, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, ANY_VALUE);
    close(fd);

    expect_silence(mon, 100);
    close_zero_linger(server);
    expect_stopped(mon);
}

/* ---- arguments ----------------------------------------------------------------------------------------- */
static void monitor_shall_check_arguments_as_libzmq(void)
{
    void *s = test_socket(ctx, ZMQ_DEALER);
    void *mon = start_monitor(ctx, s, ZMQ_EVENT_ALL);
    /* the mask holds 16-bit (version 1) events only */
    CHECK_ERR(zmq_socket_monitor(s, "inproc://compat-args", 0x10000), EINVAL);
    CHECK_ERR(zmq_socket_monitor(s, "inproc://compat-args", -1), EINVAL);
    CHECK_ERR(zmq_socket_monitor(s, NULL, 0x10000), EINVAL);
    CHECK_ERR(zmq_socket_monitor(s, "tcp://127.0.0.1:5555", 0x10000), EINVAL);
    /* endpoint syntax, then a transport PAIR cannot use, then anything but inproc */
    static const char *const invalid[] = {"foo", "inproc", "inproc://", "tcp://", "://x", "", "inproc:/x"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        CHECK_ERR(zmq_socket_monitor(s, invalid[i], ZMQ_EVENT_ALL), EINVAL);
    static const char *const incompatible[] = {"udp://x", "pgm://x", "epgm://x", "norm://x"};
    for (size_t i = 0; i < sizeof incompatible / sizeof incompatible[0]; i++)
        CHECK_ERR(zmq_socket_monitor(s, incompatible[i], ZMQ_EVENT_ALL), ENOCOMPATPROTO);
    static const char *const unsupported[] = {"tcp://127.0.0.1:5555", "ipc:///tmp/x", "INPROC://a", "x://y",
                                              "tipc://x"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        CHECK_ERR(zmq_socket_monitor(s, unsupported[i], ZMQ_EVENT_ALL), EPROTONOSUPPORT);
    CHECK_ERR(zmq_socket_monitor(NULL, "inproc://compat-x", ZMQ_EVENT_ALL), ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor(ctx, "inproc://compat-x", ZMQ_EVENT_ALL), ENOTSOCK);
    /* none of the refused calls touched the running monitor */
    expect_silence(mon, 50);
    /* an endpoint already bound: the running monitor is stopped first, then the call fails */
    void *squatter = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(squatter, "inproc://compat-taken"));
    CHECK_ERR(zmq_socket_monitor(s, "inproc://compat-taken", ZMQ_EVENT_ALL), EADDRINUSE);
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    /* stopping when nothing runs is fine, whatever the mask */
    CHECK_OK(zmq_socket_monitor(s, NULL, 0));
    CHECK_OK(zmq_socket_monitor(s, NULL, ZMQ_EVENT_ALL));
    /* a mask without MONITOR_STOPPED: stopping sends nothing; mask 0 is accepted and sends nothing */
    void *quiet = start_monitor(ctx, s, ZMQ_EVENT_LISTENING);
    void *none = start_monitor(ctx, s, 0);
    expect_silence(quiet, 50);
    CHECK_OK(zmq_bind(s, "tcp://127.0.0.1:*"));
    expect_silence(none, 50);
    close_zero_linger(s);
    close_zero_linger(squatter);
    close_zero_linger(mon);
    close_zero_linger(quiet);
    close_zero_linger(none);

    /* a terminated context: ETERM (after the argument checks); stopping still succeeds */
    void *ctx2 = CHECK_PTR(zmq_ctx_new());
    void *s2 = CHECK_PTR(zmq_socket(ctx2, ZMQ_DEALER));
    CHECK_OK(zmq_ctx_shutdown(ctx2));
    CHECK_ERR(zmq_socket_monitor(s2, "foo", ZMQ_EVENT_ALL), EINVAL);
    CHECK_ERR(zmq_socket_monitor(s2, "inproc://compat-term", ZMQ_EVENT_ALL), ETERM);
    CHECK_OK(zmq_socket_monitor(s2, NULL, 0));
    CHECK_OK(zmq_close(s2));
    CHECK_OK(zmq_ctx_term(ctx2));
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_ENGINE_TRANSPORTS(monitor_started_after_bind_shall_see_new_connections);
    RUN_ENGINE_TRANSPORTS(monitor_started_after_connect_shall_see_reconnects);
    RUN_ENGINE_TRANSPORTS(monitor_replaced_shall_stop_the_old_one);
    RUN_ENGINE_TRANSPORTS(monitor_stopped_shall_not_hear_existing_connections);
    RUN(monitor_restarted_while_events_flow_shall_stay_consistent);
    RUN(monitor_shall_report_lingering_connections_until_they_end);
    RUN(ctx_term_shall_wait_for_a_lingering_monitored_socket);
    RUN(accepted_shall_come_before_any_greeting);
    RUN_ENGINE_TRANSPORTS(unbind_shall_report_the_listener_closed);
    RUN_ENGINE_TRANSPORTS(failed_attempts_shall_report_closed);
    RUN(reconnect_waits_shall_back_off_with_jitter);
    RUN(handshake_failures_shall_carry_libzmq_values);
    RUN(monitor_shall_check_arguments_as_libzmq);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
