/* The tcp transport: address forms (wildcard, ephemeral, IPv6, host and interface names), connect before
 * bind, message sizes around the frame-format boundaries, bulk ordering, and ZMQ_MAXMSGSIZE. */
#include "monitor_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static void *ctx;

/* PUSH connects to ep, PULL is already bound; one message must go through. */
static void check_round_trip(void *pull, const char *ep, int ipv6)
{
    void *push = test_socket(ctx, ZMQ_PUSH);
    if (ipv6)
        set_int(push, ZMQ_IPV6, 1);
    CHECK_OK(zmq_connect(push, ep));
    send_str(push, "over tcp");
    recv_expect(pull, "over tcp");
    close_zero_linger(push);
}

/* A "*" host with an explicit port binds every interface; ZMQ_LAST_ENDPOINT shows 0.0.0.0. */
static void tcp_shall_bind_a_wildcard_address_with_an_explicit_port(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    int port = free_tcp_port();
    char ep[64], last[TU_ENDPOINT_LEN], expect[64];
    snprintf(ep, sizeof ep, "tcp://*:%d", port);
    CHECK_OK(zmq_bind(pull, ep));
    get_last_endpoint(pull, last, sizeof last);
    snprintf(expect, sizeof expect, "tcp://0.0.0.0:%d", port);
    CHECK_STR(last, expect);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    check_round_trip(pull, ep, 0);
    /* the port is taken now */
    void *other = test_socket(ctx, ZMQ_PULL);
    CHECK_ERR(zmq_bind(other, ep), EADDRINUSE);
    close_zero_linger(other);
    close_zero_linger(pull);
}

/* "tcp://127.0.0.1:*" (and port 0) picks a free port, reported by ZMQ_LAST_ENDPOINT. */
static void tcp_shall_bind_an_ephemeral_port_and_report_it(void)
{
    const char *forms[] = {"tcp://127.0.0.1:*", "tcp://127.0.0.1:0", "tcp://*:*"};
    const char *prefixes[] = {"tcp://127.0.0.1:", "tcp://127.0.0.1:", "tcp://0.0.0.0:"};
    for (int i = 0; i < 3; i++) {
        void *pull = test_socket(ctx, ZMQ_PULL);
        CHECK_OK(zmq_bind(pull, forms[i]));
        char last[TU_ENDPOINT_LEN];
        get_last_endpoint(pull, last, sizeof last);
        CHECK(strncmp(last, prefixes[i], strlen(prefixes[i])) == 0);
        int port = endpoint_port(last);
        CHECK_INT(port, >, 0);
        CHECK_INT(port, <, 65536);
        char ep[64];
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
        check_round_trip(pull, ep, 0);
        close_zero_linger(pull);
    }
}

/* With ZMQ_IPV6, "tcp://[::1]:*" works end to end; without it an IPv6 literal cannot be bound. Skipped
 * only if this machine has no ::1. */
static void tcp_shall_carry_ipv6_on_the_loopback_when_ipv6_is_enabled(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin6, sizeof sin6) != 0) {
        if (fd >= 0)
            close(fd);
        printf("  (no ::1 on this machine: IPv6 case skipped)\n");
        return;
    }
    close(fd);
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(pull, "tcp://[::1]:*"), -1); /* ZMQ_IPV6 is off by default */
    set_int(pull, ZMQ_IPV6, 1);
    CHECK_OK(zmq_bind(pull, "tcp://[::1]:*"));
    char last[TU_ENDPOINT_LEN];
    get_last_endpoint(pull, last, sizeof last);
    CHECK(strncmp(last, "tcp://[::1]:", 12) == 0);
    check_round_trip(pull, last, 1);
    close_zero_linger(pull);
    /* a dual-stack wildcard reaches IPv4 clients too */
    pull = test_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_IPV6, 1);
    CHECK_OK(zmq_bind(pull, "tcp://*:*"));
    get_last_endpoint(pull, last, sizeof last);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", endpoint_port(last));
    check_round_trip(pull, ep, 0);
    close_zero_linger(pull);
}

/* A host name works for connect ("localhost"); bind takes addresses and interface names ("lo"), not host
 * names. */
static void tcp_shall_resolve_localhost_for_connect_and_lo_for_bind(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    char last[TU_ENDPOINT_LEN], ep[64];
    bind_ephemeral(pull, last, sizeof last);
    snprintf(ep, sizeof ep, "tcp://localhost:%d", endpoint_port(last));
    check_round_trip(pull, ep, 0);
    close_zero_linger(pull);

    pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, "tcp://lo:*"));
    get_last_endpoint(pull, last, sizeof last);
    CHECK(strncmp(last, "tcp://127.0.0.1:", 16) == 0);
    check_round_trip(pull, last, 0);
    CHECK_ERR(zmq_bind(pull, "tcp://no-such-interface0:*"), ENODEV);
    close_zero_linger(pull);
}

/* Malformed endpoints are refused at once. */
static void tcp_shall_reject_malformed_endpoints(void)
{
    void *s = test_socket(ctx, ZMQ_PULL);
    CHECK_ERR(zmq_bind(s, "tcp://127.0.0.1"), EINVAL);
    CHECK_ERR(zmq_connect(s, "tcp://127.0.0.1"), EINVAL);
    CHECK_ERR(zmq_connect(s, "tcp://127.0.0.1:*"), EINVAL);
    CHECK_ERR(zmq_bind(s, "nosuchproto://x"), EPROTONOSUPPORT);
    CHECK_ERR(zmq_bind(s, "tcp://256.1.1.1:*"), ENODEV);
    CHECK_ERR(zmq_bind(s, "no-scheme"), EINVAL);
    close_zero_linger(s);
}

/* Connecting before anyone listens is fine: the connection is made (reconnect) once the peer binds. */
static void tcp_shall_deliver_when_connect_comes_before_bind(void)
{
    int port = free_tcp_port();
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    send_str(push, "early");
    msleep(200);
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, ep));
    recv_expect(pull, "early");
    close_zero_linger(push);
    close_zero_linger(pull);
}

static void *tcp_pair(void **pull)
{
    char ep[TU_ENDPOINT_LEN];
    *pull = bound_socket(ctx, ZMQ_PULL, "tcp", ep, sizeof ep);
    return connected_socket(ctx, ZMQ_PUSH, ep);
}

/* A 5 MB message arrives whole and intact. */
static void tcp_shall_carry_a_5mb_message(void)
{
    void *pull;
    void *push = tcp_pair(&pull);
    size_t size = 5u << 20;
    unsigned char *out = malloc(size);
    CHECK(out != NULL);
    for (size_t i = 0; i < size; i++)
        out[i] = (unsigned char)(i * 7 + (i >> 16));
    CHECK_EQ(zmq_send(push, out, size, 0), (int)size);
    zmq_msg_t in;
    CHECK_OK(zmq_msg_init(&in));
    CHECK(poll_in(pull, 5000));
    CHECK_EQ(zmq_msg_recv(&in, pull, 0), (int)size);
    CHECK(memcmp(zmq_msg_data(&in), out, size) == 0);
    CHECK_OK(zmq_msg_close(&in));
    free(out);
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* Frame sizes around the ZMTP short/long boundary (255/256) and a few others, in one multipart. */
static void tcp_shall_carry_frames_of_every_size_class(void)
{
    void *pull;
    void *push = tcp_pair(&pull);
    const size_t sizes[] = {0, 1, 33, 34, 254, 255, 256, 257, 8191, 8192, 8193, 65535, 65536, 100000};
    const int n = (int)(sizeof sizes / sizeof sizes[0]);
    unsigned char *buf = malloc(100000);
    CHECK(buf != NULL);
    for (int round = 0; round < 2; round++) {
        /* round 0: each size its own message; round 1: all sizes as parts of one message */
        for (int i = 0; i < n; i++) {
            memset(buf, 'a' + i, sizes[i]);
            int flags = (round == 1 && i < n - 1) ? ZMQ_SNDMORE : 0;
            CHECK_EQ(zmq_send(push, buf, sizes[i], flags), (int)sizes[i]);
        }
        for (int i = 0; i < n; i++) {
            zmq_msg_t in;
            CHECK_OK(zmq_msg_init(&in));
            CHECK(poll_in(pull, 2000));
            CHECK_EQ(zmq_msg_recv(&in, pull, 0), (int)sizes[i]);
            const unsigned char *d = zmq_msg_data(&in);
            for (size_t j = 0; j < sizes[i]; j++)
                if (d[j] != 'a' + i)
                    tu_fail(__FILE__, __LINE__, "frame %zu: byte %zu is %d", sizes[i], j, d[j]);
            CHECK_EQ(zmq_msg_more(&in), round == 1 && i < n - 1);
            CHECK_OK(zmq_msg_close(&in));
        }
    }
    free(buf);
    close_zero_linger(push);
    close_zero_linger(pull);
}

struct bulk_sender {
    void *push;
    int count;
};

static void *send_bulk(void *arg)
{
    struct bulk_sender *b = arg;
    for (int i = 0; i < b->count; i++) {
        uint32_t seq = (uint32_t)i;
        if (zmq_send(b->push, &seq, sizeof seq, 0) != sizeof seq)
            tu_fail(__FILE__, __LINE__, "send %d failed: %s", i, zmq_strerror(errno));
    }
    return NULL;
}

/* 100,000 small messages arrive complete and in order. */
static void tcp_shall_deliver_100000_small_messages_in_order(void)
{
    void *pull;
    void *push = tcp_pair(&pull);
    struct bulk_sender b = {push, 100000};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, send_bulk, &b), 0);
    set_int(pull, ZMQ_RCVTIMEO, 5000);
    for (int i = 0; i < b.count; i++) {
        uint32_t seq = 0;
        int rc = zmq_recv(pull, &seq, sizeof seq, 0);
        if (rc != 4 || seq != (uint32_t)i)
            tu_fail(__FILE__, __LINE__, "message %d: rc %d seq %u", i, rc, seq);
    }
    CHECK_EQ(pthread_join(th, NULL), 0);
    expect_no_msg(pull, 10);
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* ZMQ_MAXMSGSIZE: a message up to the limit is delivered; a bigger one is never delivered and its
 * sender's connection is dropped (the receiver's monitor sees DISCONNECTED). */
static void maxmsgsize_shall_drop_the_connection_of_an_oversized_sender(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    int64_t limit = 100;
    CHECK_OK(zmq_setsockopt(pull, ZMQ_MAXMSGSIZE, &limit, sizeof limit));
    void *mon = start_monitor(ctx, pull, ZMQ_EVENT_DISCONNECTED);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(pull, ep, sizeof ep);
    char buf[200];
    memset(buf, 'm', sizeof buf);

    void *good = connected_socket(ctx, ZMQ_PUSH, ep);
    send_buf(good, buf, 100, 0);
    recv_expect_buf(pull, buf, 100, 0);

    void *bad = test_socket(ctx, ZMQ_PUSH);
    set_int(bad, ZMQ_RECONNECT_IVL, -1); /* no reconnect, so one disconnect */
    CHECK_OK(zmq_connect(bad, ep));
    send_buf(bad, buf, 101, 0);
    /* the receiver drops the connection */
    struct monitor_event ev;
    expect_event(mon, ZMQ_EVENT_DISCONNECTED, 0, &ev);
    CHECK_INT(strlen(ev.endpoint), >, 0);
    expect_no_msg(pull, 100);
    /* the good sender is unaffected */
    send_str(good, "still fine");
    recv_expect(pull, "still fine");
    close_zero_linger(bad);
    close_zero_linger(good);
    CHECK_OK(zmq_socket_monitor(pull, NULL, 0));
    close_zero_linger(mon);
    close_zero_linger(pull);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(tcp_shall_bind_a_wildcard_address_with_an_explicit_port);
    RUN(tcp_shall_bind_an_ephemeral_port_and_report_it);
    RUN(tcp_shall_carry_ipv6_on_the_loopback_when_ipv6_is_enabled);
    RUN(tcp_shall_resolve_localhost_for_connect_and_lo_for_bind);
    RUN(tcp_shall_reject_malformed_endpoints);
    RUN(tcp_shall_deliver_when_connect_comes_before_bind);
    RUN(tcp_shall_carry_a_5mb_message);
    RUN(tcp_shall_carry_frames_of_every_size_class);
    RUN(tcp_shall_deliver_100000_small_messages_in_order);
    RUN(maxmsgsize_shall_drop_the_connection_of_an_oversized_sender);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
