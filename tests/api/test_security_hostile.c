/* Hostile peers against PLAIN and CURVE servers, speaking raw bytes over tcp: regression tests named after
 * the classes of libzmq's CVE-2019-13132 (lengths in handshake commands pointing past their frame) and
 * CVE-2020-15166 (resources held by peers that never authenticate), plus "a failed handshake never
 * delivers a message". Each hostile connection must be closed, the process must survive, and a real
 * client must still get through. Passes on zinc and on libzmq (reference mode). */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

static void *ctx;
static char server_public[41], server_secret[41];

/* ---- the raw peer ------------------------------------------------------------------------------------ */
static int raw_connect(const char *endpoint)
{
    const char *colon = strrchr(endpoint, ':');
    CHECK(colon != NULL);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK_EQ(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Sends what it can; a server that already closed may refuse the rest. */
static void raw_send(int fd, const void *data, size_t len)
{
    (void)send(fd, data, len, MSG_NOSIGNAL);
}

/* True if the peer closes the connection within timeout_ms (reading and discarding what it sends). */
static int raw_wait_closed(int fd, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    uint8_t buf[512];
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            return 0;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return 1;
    }
}

/* A 3.0 greeting naming mechanism (CURVE, PLAIN), as-server 0. */
static void raw_greeting(int fd, const char *mechanism)
{
    uint8_t g[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0};
    memcpy(g + 12, mechanism, strlen(mechanism));
    raw_send(fd, g, sizeof g);
}

/* A command frame, short or long header as the size needs. */
static void raw_command(int fd, const void *body, size_t len)
{
    uint8_t hdr[9];
    size_t hlen;
    if (len < 256) {
        hdr[0] = 0x04;
        hdr[1] = (uint8_t)len;
        hlen = 2;
    } else {
        hdr[0] = 0x06;
        for (int i = 0; i < 8; i++)
            hdr[1 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        hlen = 9;
    }
    raw_send(fd, hdr, hlen);
    raw_send(fd, body, len);
}

/* ---- servers ------------------------------------------------------------------------------------------ */
static void *curve_server(char *endpoint, size_t len, int handshake_ivl)
{
    void *s = test_socket(ctx, ZMQ_PULL);
    set_int(s, ZMQ_CURVE_SERVER, 1);
    CHECK_OK(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, server_secret, 40));
    set_int(s, ZMQ_HANDSHAKE_IVL, handshake_ivl);
    bind_ephemeral(s, endpoint, len);
    return s;
}

static void *plain_server(char *endpoint, size_t len)
{
    void *s = test_socket(ctx, ZMQ_PULL);
    set_int(s, ZMQ_PLAIN_SERVER, 1);
    bind_ephemeral(s, endpoint, len);
    return s;
}

/* A genuine CURVE client gets a message through: the server is still serving. */
static void curve_client_gets_through(void *server, const char *endpoint)
{
    char pub[41], sec[41];
    CHECK_OK(zmq_curve_keypair(pub, sec));
    void *c = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_setsockopt(c, ZMQ_CURVE_SERVERKEY, server_public, 40));
    CHECK_OK(zmq_setsockopt(c, ZMQ_CURVE_PUBLICKEY, pub, 40));
    CHECK_OK(zmq_setsockopt(c, ZMQ_CURVE_SECRETKEY, sec, 40));
    CHECK_OK(zmq_connect(c, endpoint));
    send_str(c, "genuine");
    recv_expect(server, "genuine");
    CHECK_OK(zmq_close(c));
}

/* ---- cases ------------------------------------------------------------------------------------------- */
/* CVE-2020-15166 class: peers that open a CURVE handshake and stall are dropped at the handshake
 * timeout, and do not keep a genuine client out. */
static void cve_2020_15166_class_stalled_handshakes_time_out(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = curve_server(ep, sizeof ep, 300);
    int fds[40];
    for (int i = 0; i < 40; i++) {
        fds[i] = raw_connect(ep);
        raw_greeting(fds[i], "CURVE");
    }
    curve_client_gets_through(server, ep);
    for (int i = 0; i < 40; i++) {
        CHECK(raw_wait_closed(fds[i], 5000));
        close(fds[i]);
    }
    CHECK_OK(zmq_close(server));
}

/* CVE-2020-15166 class: a command frame announcing a huge body before authentication never makes the
 * server wait for (or allocate) it; the connection is gone by the handshake timeout at the latest. */
static void cve_2020_15166_class_huge_frames_before_auth_are_refused(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = curve_server(ep, sizeof ep, 500);
    static const uint8_t huge[] = {0x06, 0, 0, 0, 0x10, 0, 0, 0, 0, 5, 'H', 'E', 'L', 'L', 'O'};
    static const uint8_t huge_message[] = {0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3};
    for (int i = 0; i < 2; i++) {
        int fd = raw_connect(ep);
        raw_greeting(fd, "CURVE");
        if (i == 0)
            raw_send(fd, huge, sizeof huge);                    /* a 64 GiB HELLO */
        else
            raw_send(fd, huge_message, sizeof huge_message);    /* a message frame, before any HELLO */
        CHECK(raw_wait_closed(fd, 5000));
        close(fd);
    }
    curve_client_gets_through(server, ep);
    CHECK_OK(zmq_close(server));
}

/* CVE-2019-13132 class: lengths inside handshake commands that point past the frame. PLAIN's HELLO with
 * username and password lengths beyond the command, CURVE HELLOs of the wrong size, a NULL READY whose
 * property value is 4 GiB long: each connection is closed, nothing crashes. */
static void cve_2019_13132_class_lengths_past_the_frame_are_refused(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *plain = plain_server(ep, sizeof ep);
    static const uint8_t bad_hello[][12] = {
        {5, 'H', 'E', 'L', 'L', 'O', 0xff, 'a', 'b'},            /* username length 255, 2 bytes there */
        {5, 'H', 'E', 'L', 'L', 'O', 1, 'a', 0xff, 'p'},         /* password length 255, 1 byte there */
        {5, 'H', 'E', 'L', 'L', 'O'},                            /* no lengths at all */
    };
    static const size_t bad_hello_len[] = {9, 10, 6};
    for (int i = 0; i < 3; i++) {
        int fd = raw_connect(ep);
        raw_greeting(fd, "PLAIN");
        raw_command(fd, bad_hello[i], bad_hello_len[i]);
        CHECK(raw_wait_closed(fd, 3000));
        close(fd);
    }
    CHECK_OK(zmq_close(plain));

    void *curve = curve_server(ep, sizeof ep, 30000);
    uint8_t hello[300] = {5, 'H', 'E', 'L', 'L', 'O', 1, 0};
    static const size_t sizes[] = {199, 201, 300, 6};
    for (int i = 0; i < 4; i++) {
        int fd = raw_connect(ep);
        raw_greeting(fd, "CURVE");
        raw_command(fd, hello, sizes[i]);
        CHECK(raw_wait_closed(fd, 3000));
        close(fd);
    }
    curve_client_gets_through(curve, ep);
    CHECK_OK(zmq_close(curve));

    void *null_server = test_socket(ctx, ZMQ_PULL);
    bind_ephemeral(null_server, ep, sizeof ep);
    static const uint8_t ready[] = {5, 'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y',
                                    'p', 'e', 0xff, 0xff, 0xff, 0xff, 'P', 'U', 'S', 'H'};
    int fd = raw_connect(ep);
    raw_greeting(fd, "NULL");
    raw_command(fd, ready, sizeof ready);
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    CHECK_OK(zmq_close(null_server));
}

/* A peer that skips the handshake and sends a message frame gets nothing delivered. */
static void a_failed_handshake_never_delivers_a_message(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = plain_server(ep, sizeof ep);
    int fd = raw_connect(ep);
    raw_greeting(fd, "PLAIN");
    static const uint8_t message[] = {0x00, 5, 's', 'n', 'e', 'a', 'k'};
    raw_send(fd, message, sizeof message);
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    expect_no_msg(server, 200);
    CHECK_OK(zmq_close(server));
}

/* ZMTP 2.0 has no security: a 2.0 peer is refused by a CURVE server and by a NULL server with a ZAP
 * domain, while a plain NULL server still serves it (the fallback the interop tests rely on). */
static void zmtp2_peers_shall_be_refused_when_security_is_on(void)
{
    char ep[TU_ENDPOINT_LEN];
    static const uint8_t v2_greeting[] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 1, 8, 0, 0};  /* PUSH, empty id */
    void *curve = curve_server(ep, sizeof ep, 30000);
    int fd = raw_connect(ep);
    raw_send(fd, v2_greeting, sizeof v2_greeting);
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    CHECK_OK(zmq_close(curve));

    void *domain = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_setsockopt(domain, ZMQ_ZAP_DOMAIN, "global", 6));
    bind_ephemeral(domain, ep, sizeof ep);
    fd = raw_connect(ep);
    raw_send(fd, v2_greeting, sizeof v2_greeting);
    CHECK(raw_wait_closed(fd, 3000));
    close(fd);
    CHECK_OK(zmq_close(domain));

    void *open_server = test_socket(ctx, ZMQ_PULL);
    bind_ephemeral(open_server, ep, sizeof ep);
    fd = raw_connect(ep);
    raw_send(fd, v2_greeting, sizeof v2_greeting);
    static const uint8_t v2_message[] = {0x00, 3, 'o', 'l', 'd'};   /* 2.0 frame: flags, size, body */
    raw_send(fd, v2_message, sizeof v2_message);
    recv_expect(open_server, "old");
    close(fd);
    CHECK_OK(zmq_close(open_server));
}

int main(void)
{
    test_begin(120);
    ctx = zmq_ctx_new();
    CHECK_PTR(ctx);
    CHECK_OK(zmq_curve_keypair(server_public, server_secret));
    RUN(cve_2020_15166_class_stalled_handshakes_time_out);
    RUN(cve_2020_15166_class_huge_frames_before_auth_are_refused);
    RUN(cve_2019_13132_class_lengths_past_the_frame_are_refused);
    RUN(a_failed_handshake_never_delivers_a_message);
    RUN(zmtp2_peers_shall_be_refused_when_security_is_on);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
