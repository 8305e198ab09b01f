/* zmq_socket_monitor_versioned and zmq_socket_monitor_pipes_stats (libzmq 4.3's draft API,
 * doc/zmq_socket_monitor_versioned.txt). A version 2 event is one message of 2 + n + 2 frames: the event
 * number (uint64, native byte order), the number n of values (uint64), n values (uint64 each), the local
 * endpoint and the remote endpoint (either may be empty). The monitor's socket is a PAIR, a PUB (the first
 * frame is the topic) or a PUSH. Checked here: every event the version 1 monitor emits, in version 2 form,
 * with its values and both endpoints, over ipc and tcp; the three socket types; the 64-bit mask; the
 * PIPES_STATS event with known queue depths; and every errno of both functions. */
#include "testutil.h"

#define EV_MS 2000

static void *ctx;
static int mon_seq;

struct ev2 {
    uint64_t id;
    uint64_t nvalues;
    uint64_t values[4];
    char local[TU_ENDPOINT_LEN];
    char remote[TU_ENDPOINT_LEN];
};

/* One 8-byte frame with more set. */
static uint64_t read_u64(void *mon)
{
    unsigned char buf[16];
    int more = 0;
    int n = recv_timeout(mon, buf, sizeof buf, 1000, &more);
    CHECK_EQ(n, 8);
    CHECK_EQ(more, 1);
    uint64_t v;
    memcpy(&v, buf, sizeof v);
    return v;
}

/* Reads one version 2 event within ms (0: none came), checking every frame's size and more flag. */
static int read_ev2(void *mon, struct ev2 *ev, int ms)
{
    unsigned char buf[16];
    int more = 0;
    int n = recv_timeout(mon, buf, sizeof buf, ms, &more);
    if (n < 0)
        return 0;
    CHECK_EQ(n, 8);
    CHECK_EQ(more, 1);
    memcpy(&ev->id, buf, sizeof ev->id);
    ev->nvalues = read_u64(mon);
    CHECK_INT(ev->nvalues, <=, 4);
    for (uint64_t i = 0; i < ev->nvalues; i++)
        ev->values[i] = read_u64(mon);
    n = recv_timeout(mon, ev->local, sizeof ev->local, 1000, &more);
    CHECK_INT(n, >=, 0);
    CHECK_EQ(more, 1);
    n = recv_timeout(mon, ev->remote, sizeof ev->remote, 1000, &more);
    CHECK_INT(n, >=, 0);
    CHECK_EQ(more, 0);
    return 1;
}

/* The next event, skipping those in skip, must be `expected`, with one value. */
static void tu_expect_ev2(const char *file, int line, void *mon, uint64_t expected, uint64_t skip,
                          struct ev2 *ev)
{
    for (;;) {
        if (!read_ev2(mon, ev, EV_MS))
            tu_fail(file, line, "expected event 0x%llx, none came", (unsigned long long)expected);
        if (ev->id == expected)
            break;
        if (!(ev->id & skip))
            tu_fail(file, line, "expected event 0x%llx, got 0x%llx", (unsigned long long)expected,
                    (unsigned long long)ev->id);
    }
    if (expected != ZMQ_EVENT_PIPES_STATS && ev->nvalues != 1)
        tu_fail(file, line, "event 0x%llx has %llu values", (unsigned long long)expected,
                (unsigned long long)ev->nvalues);
}
#define expect_ev2(mon, expected, skip, ev) tu_expect_ev2(__FILE__, __LINE__, (mon), (expected), (skip), (ev))

static void fresh_mon_endpoint(char *out, size_t cap)
{
    snprintf(out, cap, "inproc://monitor-v2-%d", ++mon_seq);
}

/* Monitors sock with version 2 on a socket of type; returns the application's end (PAIR, SUB subscribed to
 * everything, or PULL), connected. */
static void *start_v2(void *sock, uint64_t events, int type)
{
    char addr[64];
    fresh_mon_endpoint(addr, sizeof addr);
    CHECK_OK(zmq_socket_monitor_versioned(sock, addr, events, 2, type));
    int reader_type = type == ZMQ_PUB ? ZMQ_SUB : type == ZMQ_PUSH ? ZMQ_PULL : ZMQ_PAIR;
    void *mon = test_socket(ctx, reader_type);
    if (type == ZMQ_PUB)
        CHECK_OK(zmq_setsockopt(mon, ZMQ_SUBSCRIBE, "", 0));
    CHECK_OK(zmq_connect(mon, addr));
    return mon;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- events and their endpoints ------------------------------------------------------------------ */

/* Both sides of one connection, each with its own version 2 monitor on a socket of mon_type: the listening
 * side reports LISTENING (the listening fd; local: the bound endpoint), ACCEPTED (the accepted fd; local:
 * the bound endpoint, remote: the connecting side's own address), HANDSHAKE_SUCCEEDED (0), DISCONNECTED
 * (the accepted fd), CLOSED (the listening fd) and MONITOR_STOPPED (0, no endpoints); the connecting side
 * reports CONNECTED (its fd; local: its own address, remote: the endpoint as given), HANDSHAKE_SUCCEEDED,
 * and, once the server is gone, DISCONNECTED and CONNECT_RETRIED (local empty again). */
static void lifecycle_with(const char *tr, int mon_type)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s://", tr);
    void *server = test_socket(ctx, ZMQ_DEALER);
    void *client = test_socket(ctx, ZMQ_DEALER);
    set_int(client, ZMQ_RECONNECT_IVL, 150);
    void *smon = start_v2(server, ZMQ_EVENT_ALL_V2, mon_type);
    void *cmon = start_v2(client, ZMQ_EVENT_ALL_V2, mon_type);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(client, ep));
    send_str(client, "ping");
    recv_expect(server, "ping");

    struct ev2 ev, listening, accepted, connected;
    expect_ev2(smon, ZMQ_EVENT_LISTENING, 0, &listening);
    CHECK_STR(listening.local, ep);
    CHECK_STR(listening.remote, "");
    expect_ev2(smon, ZMQ_EVENT_ACCEPTED, 0, &accepted);
    CHECK(accepted.values[0] != listening.values[0]);
    CHECK_STR(accepted.local, ep);
    CHECK(has_prefix(accepted.remote, prefix));
    expect_ev2(smon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    CHECK_EQ(ev.values[0], 0);
    CHECK_STR(ev.local, ep);
    CHECK_STR(ev.remote, accepted.remote);

    expect_ev2(cmon, ZMQ_EVENT_CONNECTED, ZMQ_EVENT_CONNECT_DELAYED, &connected);
    CHECK_STR(connected.remote, ep);
    CHECK(has_prefix(connected.local, prefix));
    CHECK(strcmp(connected.local, connected.remote) != 0);
    if (strcmp(tr, "tcp") == 0)
        CHECK_STR(connected.local, accepted.remote);   /* both name the client's own address */
    expect_ev2(cmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    CHECK_EQ(ev.values[0], 0);
    CHECK_STR(ev.local, connected.local);
    CHECK_STR(ev.remote, ep);

    close_zero_linger(server);
    expect_ev2(smon, ZMQ_EVENT_CLOSED, ZMQ_EVENT_DISCONNECTED, &ev);
    CHECK_EQ(ev.values[0], listening.values[0]);
    CHECK_STR(ev.local, ep);
    CHECK_STR(ev.remote, "");
    expect_ev2(smon, ZMQ_EVENT_MONITOR_STOPPED, ZMQ_EVENT_DISCONNECTED, &ev);
    CHECK_EQ(ev.values[0], 0);
    CHECK_STR(ev.local, "");
    CHECK_STR(ev.remote, "");

    expect_ev2(cmon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_EQ(ev.values[0], connected.values[0]);
    CHECK_STR(ev.local, connected.local);
    CHECK_STR(ev.remote, ep);
    expect_ev2(cmon, ZMQ_EVENT_CONNECT_RETRIED, 0, &ev);
    CHECK_INT(ev.values[0], >=, 150);
    CHECK_INT(ev.values[0], <, 300);
    CHECK_STR(ev.local, "");
    CHECK_STR(ev.remote, ep);
    close_zero_linger(client);
    expect_ev2(cmon, ZMQ_EVENT_MONITOR_STOPPED, ~(uint64_t)ZMQ_EVENT_MONITOR_STOPPED, &ev);
    close_zero_linger(smon);
    close_zero_linger(cmon);
}

static void v2_events_shall_name_both_endpoints_on_a_pair(const char *tr)
{
    lifecycle_with(tr, ZMQ_PAIR);
}

static void v2_events_shall_flow_on_a_pub(const char *tr)
{
    lifecycle_with(tr, ZMQ_PUB);
}

static void v2_events_shall_flow_on_a_push(const char *tr)
{
    lifecycle_with(tr, ZMQ_PUSH);
}

/* The listening side's own disconnect: DISCONNECTED carries the accepted fd and both endpoints. */
static void v2_disconnected_shall_carry_the_accepted_fd(const char *tr)
{
    void *server = test_socket(ctx, ZMQ_PULL);
    void *smon = start_v2(server, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED, ZMQ_PAIR);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, tr, ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_PUSH, ep);
    send_str(client, "x");
    recv_expect(server, "x");
    struct ev2 accepted, ev;
    expect_ev2(smon, ZMQ_EVENT_ACCEPTED, 0, &accepted);
    close_zero_linger(client);
    expect_ev2(smon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_EQ(ev.values[0], accepted.values[0]);
    CHECK_STR(ev.local, accepted.local);
    CHECK_STR(ev.remote, accepted.remote);
    close_zero_linger(server);
    close_zero_linger(smon);
}

/* A connect attempt that fails reports CLOSED (the attempt's fd) and CONNECT_RETRIED, both with no local
 * endpoint; over tcp the pending connect reports CONNECT_DELAYED (EINPROGRESS) first. */
static void v2_failed_attempts_shall_name_only_the_remote(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *gone = bound_socket(ctx, ZMQ_PULL, tr, ep, sizeof ep);
    close_zero_linger(gone);
    msleep(50);
    void *client = test_socket(ctx, ZMQ_PUSH);
    set_int(client, ZMQ_RECONNECT_IVL, 100);
    void *cmon = start_v2(client, ZMQ_EVENT_ALL_V2, ZMQ_PAIR);
    CHECK_OK(zmq_connect(client, ep));
    struct ev2 ev;
    expect_ev2(cmon, ZMQ_EVENT_CLOSED, ZMQ_EVENT_CONNECT_DELAYED, &ev);
    CHECK_STR(ev.local, "");
    CHECK_STR(ev.remote, ep);
    expect_ev2(cmon, ZMQ_EVENT_CONNECT_RETRIED, 0, &ev);
    CHECK_INT(ev.values[0], >=, 100);
    CHECK_STR(ev.local, "");
    CHECK_STR(ev.remote, ep);
    if (strcmp(tr, "tcp") == 0) {
        expect_ev2(cmon, ZMQ_EVENT_CONNECT_DELAYED, 0, &ev);
        CHECK_EQ(ev.values[0], EINPROGRESS);
        CHECK_STR(ev.local, "");
        CHECK_STR(ev.remote, ep);
    }
    close_zero_linger(client);
    close_zero_linger(cmon);
}

/* BIND_FAILED: the errno, and the address (without its scheme, as version 1 gives it) as local endpoint. */
static void v2_bind_failed_shall_carry_the_errno(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *first = bound_socket(ctx, ZMQ_PULL, "tcp", ep, sizeof ep);
    void *second = test_socket(ctx, ZMQ_PULL);
    void *mon = start_v2(second, ZMQ_EVENT_ALL_V2, ZMQ_PAIR);
    CHECK_ERR(zmq_bind(second, ep), EADDRINUSE);
    struct ev2 ev;
    expect_ev2(mon, ZMQ_EVENT_BIND_FAILED, ZMQ_EVENT_CLOSED, &ev);
    CHECK_EQ(ev.values[0], EADDRINUSE);
    CHECK_STR(ev.local, ep + strlen("tcp://"));
    CHECK_STR(ev.remote, "");
    close_zero_linger(first);
    close_zero_linger(second);
    close_zero_linger(mon);
}

/* Handshake failures: another mechanism (HANDSHAKE_FAILED_PROTOCOL, MECHANISM_MISMATCH), a peer that never
 * greets (HANDSHAKE_FAILED_NO_DETAIL after ZMQ_HANDSHAKE_IVL), each followed by DISCONNECTED, with the
 * accepted connection's endpoints. */
static void v2_handshake_failures_shall_carry_their_values(void)
{
    void *server = test_socket(ctx, ZMQ_DEALER);
    set_int(server, ZMQ_PLAIN_SERVER, 1);
    set_int(server, ZMQ_HANDSHAKE_IVL, 200);
    void *mon = start_v2(server, ZMQ_EVENT_ALL_V2 & ~(uint64_t)ZMQ_EVENT_LISTENING, ZMQ_PAIR);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "tcp", ep, sizeof ep);

    void *null_client = connected_socket(ctx, ZMQ_DEALER, ep);
    struct ev2 accepted, ev;
    expect_ev2(mon, ZMQ_EVENT_ACCEPTED, 0, &accepted);
    expect_ev2(mon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, 0, &ev);
    CHECK_EQ(ev.values[0], ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    CHECK_STR(ev.local, ep);
    CHECK_STR(ev.remote, accepted.remote);
    expect_ev2(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_EQ(ev.values[0], accepted.values[0]);
    close_zero_linger(null_client);

    void *silent = connected_socket(ctx, ZMQ_STREAM, ep);   /* a raw peer: never sends a greeting */
    expect_ev2(mon, ZMQ_EVENT_ACCEPTED, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                            | ZMQ_EVENT_DISCONNECTED, &accepted);
    expect_ev2(mon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 0, &ev);
    CHECK_EQ(ev.values[0], EAGAIN);
    CHECK_STR(ev.local, ep);
    CHECK_STR(ev.remote, accepted.remote);
    expect_ev2(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_EQ(ev.values[0], accepted.values[0]);
    close_zero_linger(silent);
    close_zero_linger(server);
    close_zero_linger(mon);
}

/* One frame of a ZAP request into out (NUL-terminated); returns its more flag. */
static int zap_frame(void *handler, char *out, size_t cap)
{
    int more = 0;
    CHECK_INT(recv_timeout(handler, out, cap, EV_MS, &more), >=, 0);
    return more;
}

/* HANDSHAKE_FAILED_AUTH: the ZAP handler's status code (400) as the value. */
static void v2_auth_failure_shall_carry_the_zap_status(void)
{
    void *handler = test_socket(ctx, ZMQ_REP);
    CHECK_OK(zmq_bind(handler, "inproc://zeromq.zap.01"));
    void *server = test_socket(ctx, ZMQ_DEALER);
    set_int(server, ZMQ_PLAIN_SERVER, 1);
    void *mon = start_v2(server, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, ZMQ_PAIR);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "tcp", ep, sizeof ep);
    void *client = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(client, ZMQ_PLAIN_USERNAME, "user", 4));
    CHECK_OK(zmq_setsockopt(client, ZMQ_PLAIN_PASSWORD, "wrong", 5));
    CHECK_OK(zmq_connect(client, ep));
    char version[64], request_id[64], rest[256];
    CHECK_EQ(zap_frame(handler, version, sizeof version), 1);
    CHECK_STR(version, "1.0");
    CHECK_EQ(zap_frame(handler, request_id, sizeof request_id), 1);
    for (int i = 0; i < 16 && zap_frame(handler, rest, sizeof rest); i++)
        ;
    send_str_more(handler, "1.0");
    send_str_more(handler, request_id);
    send_str_more(handler, "400");
    send_str_more(handler, "denied");
    send_str_more(handler, "");
    send_str(handler, "");
    struct ev2 ev;
    expect_ev2(mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 0, &ev);
    CHECK_EQ(ev.values[0], 400);
    CHECK_STR(ev.local, ep);
    CHECK(has_prefix(ev.remote, "tcp://127.0.0.1:"));
    close_zero_linger(client);
    close_zero_linger(server);
    close_zero_linger(handler);
    close_zero_linger(mon);
}

/* ---- the mask, the types, version 1 through the versioned call ---------------------------------- */

/* A PUB monitor's first frame is the topic: a SUB subscribed to one event's 8 bytes gets only that one. */
static void v2_pub_topic_shall_be_the_event_number(void)
{
    char addr[64];
    fresh_mon_endpoint(addr, sizeof addr);
    void *server = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_socket_monitor_versioned(server, addr, ZMQ_EVENT_ALL_V2, 2, ZMQ_PUB));
    void *only_accepted = test_socket(ctx, ZMQ_SUB);
    uint64_t topic = ZMQ_EVENT_ACCEPTED;
    CHECK_OK(zmq_setsockopt(only_accepted, ZMQ_SUBSCRIBE, &topic, sizeof topic));
    CHECK_OK(zmq_connect(only_accepted, addr));
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "tcp", ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_PUSH, ep);
    send_str(client, "x");
    recv_expect(server, "x");
    struct ev2 ev;
    CHECK(read_ev2(only_accepted, &ev, EV_MS));
    CHECK_EQ(ev.id, ZMQ_EVENT_ACCEPTED);
    CHECK_STR(ev.local, ep);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_EQ(read_ev2(only_accepted, &ev, 100), 0);   /* no DISCONNECTED, CLOSED or MONITOR_STOPPED */
    close_zero_linger(only_accepted);
}

/* Version 2 masks are 64 bits: bits beyond the known events are accepted and select nothing; only the
 * events asked for arrive. */
static void v2_mask_shall_be_64_bits(void)
{
    void *server = test_socket(ctx, ZMQ_PULL);
    void *mon = start_v2(server, ZMQ_EVENT_LISTENING | ((uint64_t)1 << 40) | ((uint64_t)1 << 63), ZMQ_PAIR);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "tcp", ep, sizeof ep);
    struct ev2 ev;
    expect_ev2(mon, ZMQ_EVENT_LISTENING, 0, &ev);
    void *client = connected_socket(ctx, ZMQ_PUSH, ep);
    send_str(client, "x");
    recv_expect(server, "x");
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_EQ(read_ev2(mon, &ev, 100), 0);
    close_zero_linger(mon);
}

/* Version 1 through the versioned call: the 6-byte frame and the endpoint, on any of the three types. */
static void versioned_v1_shall_send_the_v1_format(void)
{
    char addr[64];
    fresh_mon_endpoint(addr, sizeof addr);
    void *server = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_socket_monitor_versioned(server, addr, ZMQ_EVENT_ALL_V1, 1, ZMQ_PUSH));
    void *mon = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_connect(mon, addr));
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "ipc", ep, sizeof ep);
    unsigned char head[16];
    char endpoint[TU_ENDPOINT_LEN];
    int more = 0;
    CHECK_EQ(recv_timeout(mon, head, sizeof head, EV_MS, &more), 6);
    CHECK_EQ(more, 1);
    uint16_t id;
    memcpy(&id, head, sizeof id);
    CHECK_EQ(id, ZMQ_EVENT_LISTENING);
    CHECK_INT(recv_timeout(mon, endpoint, sizeof endpoint, EV_MS, &more), >, 0);
    CHECK_EQ(more, 0);
    CHECK_STR(endpoint, ep);
    close_zero_linger(server);
    close_zero_linger(mon);
}

/* ---- stopping and errno ---------------------------------------------------------------------------- */

/* A NULL endpoint stops the monitor whatever the version (MONITOR_STOPPED in version 2 form); a refused
 * call leaves the running monitor alone. */
static void v2_null_endpoint_shall_stop(void)
{
    void *server = test_socket(ctx, ZMQ_PULL);
    void *mon = start_v2(server, ZMQ_EVENT_ALL_V2, ZMQ_PAIR);
    CHECK_ERR(zmq_socket_monitor_versioned(server, "inproc://refused", ZMQ_EVENT_ALL_V2, 2, ZMQ_SUB), EINVAL);
    CHECK_ERR(zmq_socket_monitor_versioned(server, "inproc://refused", ZMQ_EVENT_ALL_V2, 3, ZMQ_PAIR),
              EPROTONOSUPPORT);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(server, "tcp", ep, sizeof ep);
    struct ev2 ev;
    expect_ev2(mon, ZMQ_EVENT_LISTENING, 0, &ev);
    CHECK_OK(zmq_socket_monitor_versioned(server, NULL, 0, 7, 0));
    expect_ev2(mon, ZMQ_EVENT_MONITOR_STOPPED, 0, &ev);
    CHECK_EQ(ev.values[0], 0);
    CHECK_STR(ev.local, "");
    CHECK_STR(ev.remote, "");
    void *client = connected_socket(ctx, ZMQ_PUSH, ep);
    send_str(client, "x");
    recv_expect(server, "x");
    CHECK_EQ(read_ev2(mon, &ev, 100), 0);
    CHECK_ERR(zmq_socket_monitor_pipes_stats(server), EINVAL);
    CHECK_OK(zmq_socket_monitor_versioned(server, NULL, 0, 2, ZMQ_PAIR));   /* nothing runs: still 0 */
    close_zero_linger(client);
    close_zero_linger(server);
    close_zero_linger(mon);
}

static void versioned_shall_check_its_arguments(void)
{
    void *s = test_socket(ctx, ZMQ_DEALER);
    uint64_t not_a_socket[8] = {0};
    CHECK_ERR(zmq_socket_monitor_versioned(NULL, "inproc://a", ZMQ_EVENT_ALL_V2, 2, ZMQ_PAIR), ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor_versioned(not_a_socket, "inproc://a", ZMQ_EVENT_ALL_V2, 2, ZMQ_PAIR),
              ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor_versioned(ctx, "inproc://a", ZMQ_EVENT_ALL_V2, 2, ZMQ_PAIR), ENOTSOCK);
    /* unknown versions */
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://a", ZMQ_EVENT_ALL_V1, 0, ZMQ_PAIR), EPROTONOSUPPORT);
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://a", ZMQ_EVENT_ALL_V1, 3, ZMQ_PAIR), EPROTONOSUPPORT);
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://a", ZMQ_EVENT_ALL_V1, -1, ZMQ_PAIR), EPROTONOSUPPORT);
    /* version 1 events are 16 bits, PIPES_STATS included */
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://a", ZMQ_EVENT_ALL_V2, 1, ZMQ_PAIR), EINVAL);
    CHECK_ERR(zmq_socket_monitor_versioned(s, NULL, ZMQ_EVENT_PIPES_STATS, 1, ZMQ_PAIR), EINVAL);
    CHECK_ERR(zmq_socket_monitor(s, "inproc://a", ZMQ_EVENT_PIPES_STATS), EINVAL);
    /* monitor socket types: PAIR, PUB and PUSH only */
    const int refused[] = {ZMQ_SUB, ZMQ_PULL, ZMQ_DEALER, ZMQ_ROUTER, ZMQ_REQ, ZMQ_REP, ZMQ_XPUB, ZMQ_XSUB,
                           ZMQ_STREAM, ZMQ_SERVER, ZMQ_CLIENT, -1, 99};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://a", ZMQ_EVENT_ALL_V2, 2, refused[i]), EINVAL);
    /* endpoints: inproc only */
    CHECK_ERR(zmq_socket_monitor_versioned(s, "tcp://127.0.0.1:9999", 0, 2, ZMQ_PAIR), EPROTONOSUPPORT);
    CHECK_ERR(zmq_socket_monitor_versioned(s, "ipc:///tmp/x", 0, 2, ZMQ_PAIR), EPROTONOSUPPORT);
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc", 0, 2, ZMQ_PAIR), EINVAL);
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://", 0, 2, ZMQ_PAIR), EINVAL);
    CHECK_ERR(zmq_socket_monitor_versioned(s, "udp://127.0.0.1:9999", 0, 2, ZMQ_PAIR), ENOCOMPATPROTO);
    /* the endpoint taken by another socket */
    void *taken = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(taken, "inproc://monitor-v2-taken"));
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://monitor-v2-taken", 0, 2, ZMQ_PUB), EADDRINUSE);
    /* a mask of 0 is accepted (no events) */
    CHECK_OK(zmq_socket_monitor_versioned(s, "inproc://monitor-v2-zero", 0, 2, ZMQ_PUSH));
    close_zero_linger(taken);
    close_zero_linger(s);

    /* a context shutting down: ETERM; stopping still succeeds */
    void *ctx2 = CHECK_PTR(zmq_ctx_new());
    void *s2 = CHECK_PTR(zmq_socket(ctx2, ZMQ_DEALER));
    CHECK_OK(zmq_ctx_shutdown(ctx2));
    CHECK_ERR(zmq_socket_monitor_versioned(s2, "inproc://monitor-v2-term", ZMQ_EVENT_ALL_V2, 2, ZMQ_PAIR),
              ETERM);
    CHECK_OK(zmq_socket_monitor_versioned(s2, NULL, 0, 2, ZMQ_PAIR));
    close_zero_linger(s2);
    CHECK_OK(zmq_ctx_term(ctx2));
}

/* ---- pipes stats ------------------------------------------------------------------------------------ */

/* Asks for stats and reads the n events, in the socket's pipe order, into evs. */
static void stats(void *sock, void *mon, struct ev2 *evs, int n)
{
    CHECK_OK(zmq_socket_monitor_pipes_stats(sock));
    for (int i = 0; i < n; i++) {
        expect_ev2(mon, ZMQ_EVENT_PIPES_STATS, 0, &evs[i]);
        CHECK_EQ(evs[i].nvalues, 2);
    }
    struct ev2 extra;
    CHECK_EQ(read_ev2(mon, &extra, 20), 0);
}

/* Over inproc both queues are the sockets' own: a PUSH's five unread messages (one of them multipart) are
 * five out at the PUSH and five in at the PULL; the PULL's count follows every read, and once it drained
 * the queue the PUSH sees zero. The connecter names the endpoint as remote, the binder as local. */
static void stats_shall_count_inproc_queues(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, "inproc://monitor-v2-stats"));
    void *push = connected_socket(ctx, ZMQ_PUSH, "inproc://monitor-v2-stats");
    void *push_mon = start_v2(push, ZMQ_EVENT_PIPES_STATS, ZMQ_PAIR);
    void *pull_mon = start_v2(pull, ZMQ_EVENT_PIPES_STATS, ZMQ_PUSH);
    send_str_more(push, "a");
    send_str_more(push, "b");
    send_str(push, "c");
    for (int i = 0; i < 4; i++)
        send_str(push, "m");
    struct ev2 ev;
    stats(push, push_mon, &ev, 1);
    CHECK_EQ(ev.values[0], 5);
    CHECK_EQ(ev.values[1], 0);
    CHECK_STR(ev.local, "");
    CHECK_STR(ev.remote, "inproc://monitor-v2-stats");
    stats(pull, pull_mon, &ev, 1);
    CHECK_EQ(ev.values[0], 0);
    CHECK_EQ(ev.values[1], 5);
    CHECK_STR(ev.local, "inproc://monitor-v2-stats");
    CHECK_STR(ev.remote, "");
    recv_expect_more(pull, "a");
    recv_expect_more(pull, "b");
    recv_expect(pull, "c");
    recv_expect(pull, "m");
    stats(pull, pull_mon, &ev, 1);
    CHECK_EQ(ev.values[1], 3);
    for (int i = 0; i < 3; i++)
        recv_expect(pull, "m");
    stats(pull, pull_mon, &ev, 1);
    CHECK_EQ(ev.values[1], 0);
    stats(push, push_mon, &ev, 1);
    CHECK_EQ(ev.values[0], 0);
    close_zero_linger(push);
    close_zero_linger(pull);
    close_zero_linger(push_mon);
    close_zero_linger(pull_mon);
}

/* Messages to a peer that is not there yet wait in the connecter's pipe: all of them count out. */
static void stats_shall_count_messages_held_for_a_missing_peer(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *gone = bound_socket(ctx, ZMQ_PULL, tr, ep, sizeof ep);
    close_zero_linger(gone);
    void *push = test_socket(ctx, ZMQ_PUSH);
    void *mon = start_v2(push, ZMQ_EVENT_PIPES_STATS, ZMQ_PAIR);
    CHECK_ERR(zmq_socket_monitor_pipes_stats(push), EAGAIN);   /* no pipe yet */
    CHECK_OK(zmq_connect(push, ep));
    for (int i = 0; i < 7; i++)
        send_str(push, "held");
    struct ev2 ev;
    stats(push, mon, &ev, 1);
    CHECK_EQ(ev.values[0], 7);
    CHECK_EQ(ev.values[1], 0);
    CHECK_STR(ev.local, "");
    CHECK_STR(ev.remote, ep);
    close_zero_linger(push);
    close_zero_linger(mon);
}

/* A reader that does not read: the messages reach its pipe (in, at the PULL, exact) and leave the PUSH's
 * (out 0 there once its connection drained it). The accepted pipe names both ends of the connection; with
 * ZMQ_IMMEDIATE the connecter's pipe is made by the connection and names its local end too; without, the
 * pipe made at zmq_connect names the remote end only, as libzmq's does. */
static void stats_shall_count_messages_held_by_a_stopped_reader(const char *tr)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s://", tr);
    char ep[TU_ENDPOINT_LEN];
    void *pull = bound_socket(ctx, ZMQ_PULL, tr, ep, sizeof ep);
    void *pull_mon = start_v2(pull, ZMQ_EVENT_PIPES_STATS, ZMQ_PAIR);
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_IMMEDIATE, 1);
    void *push_mon = start_v2(push, ZMQ_EVENT_PIPES_STATS | ZMQ_EVENT_CONNECTED, ZMQ_PAIR);
    CHECK_OK(zmq_connect(push, ep));
    struct ev2 connected, ev;
    expect_ev2(push_mon, ZMQ_EVENT_CONNECTED, 0, &connected);
    int64_t deadline = now_ms() + EV_MS;
    while (get_int(push, ZMQ_EVENTS) != ZMQ_POLLOUT && now_ms() < deadline)
        msleep(5);   /* the pipe comes with the handshake */
    for (int i = 0; i < 10; i++)
        send_str(push, "unread");
    deadline = now_ms() + EV_MS;
    do {
        msleep(5);
        stats(pull, pull_mon, &ev, 1);
    } while (ev.values[1] < 10 && now_ms() < deadline);
    CHECK_EQ(ev.values[0], 0);
    CHECK_EQ(ev.values[1], 10);
    CHECK_STR(ev.local, ep);
    CHECK(has_prefix(ev.remote, prefix));
    if (strcmp(tr, "tcp") == 0)
        CHECK_STR(ev.remote, connected.local);
    stats(push, push_mon, &ev, 1);
    CHECK_EQ(ev.values[0], 0);
    CHECK_EQ(ev.values[1], 0);
    CHECK_STR(ev.local, connected.local);
    CHECK_STR(ev.remote, ep);

    /* without ZMQ_IMMEDIATE the pipe is older than the connection and keeps naming the remote end only */
    void *early = test_socket(ctx, ZMQ_PUSH);
    void *early_mon = start_v2(early, ZMQ_EVENT_PIPES_STATS | ZMQ_EVENT_HANDSHAKE_SUCCEEDED, ZMQ_PAIR);
    CHECK_OK(zmq_connect(early, ep));
    expect_ev2(early_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &ev);
    CHECK(has_prefix(ev.local, prefix));
    stats(early, early_mon, &ev, 1);
    CHECK_STR(ev.local, "");
    CHECK_STR(ev.remote, ep);
    close_zero_linger(early);
    close_zero_linger(early_mon);
    close_zero_linger(push);
    close_zero_linger(pull);
    close_zero_linger(push_mon);
    close_zero_linger(pull_mon);
}

/* One event per pipe: a PUSH bound with three peers (waited for: each pipe comes with its handshake); on a
 * PUB monitor too. */
static void stats_shall_report_every_pipe(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *push = bound_socket(ctx, ZMQ_PUSH, "tcp", ep, sizeof ep);
    void *mon = start_v2(push, ZMQ_EVENT_PIPES_STATS, ZMQ_PUB);
    void *pulls[3];
    for (int i = 0; i < 3; i++)
        pulls[i] = connected_socket(ctx, ZMQ_PULL, ep);
    struct ev2 evs[4];
    int n = 0;
    int64_t deadline = now_ms() + EV_MS;
    while (n < 3 && now_ms() < deadline) {
        msleep(10);
        CHECK_OK(zmq_socket_monitor_pipes_stats(push));
        for (n = 0; n < 4 && read_ev2(mon, &evs[n], 50); n++)
            CHECK_EQ(evs[n].id, ZMQ_EVENT_PIPES_STATS);
    }
    CHECK_EQ(n, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(evs[i].values[0], 0);
        CHECK_EQ(evs[i].values[1], 0);
        CHECK_STR(evs[i].local, ep);
        CHECK(has_prefix(evs[i].remote, "tcp://127.0.0.1:"));
        for (int j = 0; j < i; j++)
            CHECK(strcmp(evs[i].remote, evs[j].remote) != 0);
    }
    for (int i = 0; i < 3; i++)
        close_zero_linger(pulls[i]);
    close_zero_linger(push);
    close_zero_linger(mon);
}

static void stats_shall_check_its_arguments(void)
{
    uint64_t not_a_socket[8] = {0};
    CHECK_ERR(zmq_socket_monitor_pipes_stats(NULL), ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor_pipes_stats(not_a_socket), ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor_pipes_stats(ctx), ENOTSOCK);
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, "inproc://monitor-v2-args"));
    void *push = connected_socket(ctx, ZMQ_PUSH, "inproc://monitor-v2-args");
    CHECK_ERR(zmq_socket_monitor_pipes_stats(push), EINVAL);   /* no monitor */
    CHECK_OK(zmq_socket_monitor(push, "inproc://monitor-v2-args-v1", ZMQ_EVENT_ALL));
    CHECK_ERR(zmq_socket_monitor_pipes_stats(push), EINVAL);   /* version 1: cannot ask for it */
    void *mon = start_v2(push, ZMQ_EVENT_ALL_V1, ZMQ_PAIR);
    CHECK_ERR(zmq_socket_monitor_pipes_stats(push), EINVAL);   /* version 2 without PIPES_STATS */
    close_zero_linger(mon);
    mon = start_v2(push, ZMQ_EVENT_PIPES_STATS, ZMQ_PAIR);
    CHECK_OK(zmq_socket_monitor_pipes_stats(push));
    struct ev2 ev;
    expect_ev2(mon, ZMQ_EVENT_PIPES_STATS, 0, &ev);
    close_zero_linger(pull);
    close_zero_linger(push);
    close_zero_linger(mon);
}

int main(void)
{
    test_begin(120);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_ENGINE_TRANSPORTS(v2_events_shall_name_both_endpoints_on_a_pair);
    RUN_ENGINE_TRANSPORTS(v2_events_shall_flow_on_a_pub);
    RUN_ENGINE_TRANSPORTS(v2_events_shall_flow_on_a_push);
    RUN_ENGINE_TRANSPORTS(v2_disconnected_shall_carry_the_accepted_fd);
    RUN_ENGINE_TRANSPORTS(v2_failed_attempts_shall_name_only_the_remote);
    RUN(v2_bind_failed_shall_carry_the_errno);
    RUN(v2_handshake_failures_shall_carry_their_values);
    RUN(v2_auth_failure_shall_carry_the_zap_status);
    RUN(v2_pub_topic_shall_be_the_event_number);
    RUN(v2_mask_shall_be_64_bits);
    RUN(versioned_v1_shall_send_the_v1_format);
    RUN(v2_null_endpoint_shall_stop);
    RUN(versioned_shall_check_its_arguments);
    RUN(stats_shall_count_inproc_queues);
    RUN_ENGINE_TRANSPORTS(stats_shall_count_messages_held_for_a_missing_peer);
    RUN_ENGINE_TRANSPORTS(stats_shall_count_messages_held_by_a_stopped_reader);
    RUN(stats_shall_report_every_pipe);
    RUN(stats_shall_check_its_arguments);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
