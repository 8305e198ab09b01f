/* rawpeer.h: a plain TCP or ipc socket that plays a ZeroMQ peer by hand, for the public-API tests that need
 * to see bytes on the wire or misbehave on purpose (STREAM and ROUTER_RAW peers, hand-written ZMTP 3.x
 * handshakes, peers that vanish). Header-only like testutil.h, whose CHECK macros it uses: every function
 * is static and unused ones cost nothing. Writes use MSG_NOSIGNAL (tests keep SIGPIPE's default), reads are
 * bounded in time, and every length read from the peer is checked against the caller's buffer.
 *
 * ZMTP here follows RFC 23 (ZMTP 3.0) and RFC 37 (ZMTP 3.1): a 64-byte greeting, then frames whose first
 * byte holds the flags (0x01 MORE, 0x02 LONG, 0x04 COMMAND) and whose size is one byte or eight (LONG). */
#ifndef ZINC_RAWPEER_H
#define ZINC_RAWPEER_H

#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>

/* ---- connecting and listening ---------------------------------------------------------------------- */

/* Connects to an IPv4 address (network order) and port with TCP_NODELAY: a raw peer's small writes go
 * out at once. */
TU_UNUSED static int raw_connect_ipv4(uint32_t addr, int port)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK_OK(connect(fd, (struct sockaddr *)&sin, sizeof sin));
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Connects to 127.0.0.1:port. */
TU_UNUSED static int raw_connect_port(int port)
{
    return raw_connect_ipv4(htonl(INADDR_LOOPBACK), port);
}

/* Connects a plain socket to a zmq endpoint string: "tcp://host:port" (host an IPv4 literal; any other
 * name, such as "*" or "localhost", means 127.0.0.1) or "ipc://path". */
TU_UNUSED static int raw_connect(const char *endpoint)
{
    if (strncmp(endpoint, "ipc://", 6) == 0) {
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        CHECK(strlen(endpoint + 6) < sizeof sun.sun_path);
        snprintf(sun.sun_path, sizeof sun.sun_path, "%s", endpoint + 6);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK(fd >= 0);
        CHECK_OK(connect(fd, (struct sockaddr *)&sun, sizeof sun));
        return fd;
    }
    CHECK(strncmp(endpoint, "tcp://", 6) == 0);
    int port = endpoint_port(endpoint);
    const char *host = endpoint + 6;
    size_t hlen = (size_t)(strrchr(endpoint, ':') - host);
    char literal[INET_ADDRSTRLEN] = "";
    struct in_addr addr = {htonl(INADDR_LOOPBACK)};
    if (hlen < sizeof literal) {
        memcpy(literal, host, hlen);
        literal[hlen] = '\0';
        if (inet_pton(AF_INET, literal, &addr) != 1)
            addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    return raw_connect_ipv4(addr.s_addr, port);
}

/* Connects to the endpoint a zmq socket last bound (ZMQ_LAST_ENDPOINT). */
TU_UNUSED static int raw_connect_bound(void *bound_socket)
{
    char ep[TU_ENDPOINT_LEN];
    get_last_endpoint(bound_socket, ep, sizeof ep);
    return raw_connect(ep);
}

/* A listening TCP socket on 127.0.0.1:*port (0 for a kernel-chosen port, which *port then receives). */
TU_UNUSED static int raw_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    int one = 1;
    CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)*port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_OK(bind(fd, (struct sockaddr *)&sin, sizeof sin));
    CHECK_OK(listen(fd, 16));
    socklen_t sl = sizeof sin;
    CHECK_OK(getsockname(fd, (struct sockaddr *)&sin, &sl));
    *port = ntohs(sin.sin_port);
    return fd;
}

/* A unix stream socket bound to path (not yet listening). */
TU_UNUSED static int raw_bind_unix(const char *path)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    CHECK(strlen(path) < sizeof sun.sun_path);
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK_OK(bind(fd, (struct sockaddr *)&sun, sizeof sun));
    return fd;
}

/* Accepts one connection that must arrive within timeout_ms. */
TU_UNUSED static int raw_accept(int lfd, int timeout_ms)
{
    struct pollfd p = {lfd, POLLIN, 0};
    CHECK_INT(poll(&p, 1, timeout_ms), ==, 1);
    int fd = accept(lfd, NULL, NULL);
    CHECK(fd >= 0);
    return fd;
}

/* ---- bytes ----------------------------------------------------------------------------------------- */

/* Sends all len bytes (MSG_NOSIGNAL: a vanished peer is an error here, never a signal). */
TU_UNUSED static void raw_send(int fd, const void *data, size_t len)
{
    const char *p = (const char *)data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        CHECK_INT(n, >, 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Sends a NUL-terminated string (without its NUL). */
TU_UNUSED static void raw_write(int fd, const char *text)
{
    raw_send(fd, text, strlen(text));
}

/* Lets sock run its queued commands (new pipes, reconnects, pipe ends), as any zmq call on it does: both
 * libraries do such work only on the application's thread. NULL does nothing. */
TU_UNUSED static void raw_pump(void *sock)
{
    if (sock) {
        int events;
        size_t len = sizeof events;
        CHECK_OK(zmq_getsockopt(sock, ZMQ_EVENTS, &events, &len));
    }
}

/* 1 if fd becomes readable (data or EOF) within timeout_ms, else 0; with sock, pumps it every 10 ms. */
TU_UNUSED static int raw_wait_readable(int fd, void *sock, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        raw_pump(sock);
        int64_t left = deadline - now_ms();
        int slice = sock && left > 10 ? 10 : (left > 0 ? (int)left : 0);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, slice) > 0)
            return 1;
        if (now_ms() >= deadline)
            return 0;
    }
}

/* Reads up to exactly len bytes within timeout_ms in all, pumping sock (may be NULL) meanwhile; returns
 * how many came (fewer on EOF or timeout). */
TU_UNUSED static size_t raw_recv_pumping(int fd, void *sock, void *buf, size_t len, int timeout_ms)
{
    size_t have = 0;
    int64_t deadline = now_ms() + timeout_ms;
    while (have < len) {
        int64_t left = deadline - now_ms();
        if (left <= 0 || !raw_wait_readable(fd, sock, (int)left))
            break;
        ssize_t n = recv(fd, (char *)buf + have, len - have, 0);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    return have;
}

/* raw_recv_pumping without a socket to pump. */
TU_UNUSED static size_t raw_recv(int fd, void *buf, size_t len, int timeout_ms)
{
    return raw_recv_pumping(fd, NULL, buf, len, timeout_ms);
}

/* Reads exactly len bytes; each read must find data within idle_ms (large transfers may take longer). */
TU_UNUSED static void raw_read_exact(int fd, void *buf, size_t len, int idle_ms)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd p = {fd, POLLIN, 0};
        CHECK_INT(poll(&p, 1, idle_ms), ==, 1);
        ssize_t n = read(fd, (char *)buf + got, len - got);
        CHECK_INT(n, >, 0);
        got += (size_t)n;
    }
}

/* The next bytes on fd, each read within 2 s, are exactly the string expected. */
TU_UNUSED static void raw_read_expect(int fd, const char *expected)
{
    size_t len = strlen(expected);
    char buf[256];
    CHECK(len < sizeof buf);
    raw_read_exact(fd, buf, len, 2000);
    CHECK_MEM(buf, len, expected, len);
}

/* 1 if the peer closes the connection within timeout_ms (what it sends meanwhile is read and dropped). */
TU_UNUSED static int raw_wait_closed(int fd, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    uint8_t buf[256];
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            return 0;
        if (recv(fd, buf, sizeof buf, 0) <= 0)
            return 1;
    }
}

/* EOF (or a reset) on fd within 2 s, with nothing before it. libzmq closes a connection only once the
 * application thread has processed the pipe's end, so keep calling into sock meanwhile. */
TU_UNUSED static void raw_expect_eof(int fd, void *sock)
{
    struct pollfd p = {fd, POLLIN, 0};
    int ready = 0;
    for (int i = 0; i < 200 && !ready; i++) {
        poll_in(sock, 0);
        ready = poll(&p, 1, 10);
    }
    CHECK_EQ(ready, 1);
    char c;
    ssize_t n = read(fd, &c, 1);
    CHECK(n == 0 || (n == -1 && errno == ECONNRESET));
}

/* ---- ZMTP 3.x -------------------------------------------------------------------------------------- */

#define RAW_GREETING_LEN 64

/* A ZMTP 3.<minor> greeting (RFC 23 section "Version Negotiation"): signature, version, mechanism name
 * padded with zeros, as-server 0, filler. */
TU_UNUSED static void raw_greeting(uint8_t greeting[RAW_GREETING_LEN], const char *mechanism, int minor)
{
    memset(greeting, 0, RAW_GREETING_LEN);
    greeting[0] = 0xff;
    greeting[8] = 1;
    greeting[9] = 0x7f;
    greeting[10] = 3;
    greeting[11] = (uint8_t)minor;
    CHECK(strlen(mechanism) <= 20);
    memcpy(greeting + 12, mechanism, strlen(mechanism));
}

/* Sends the greeting for ZMTP 3.<minor> with the named mechanism. */
TU_UNUSED static void raw_send_greeting_as(int fd, const char *mechanism, int minor)
{
    uint8_t greeting[RAW_GREETING_LEN];
    raw_greeting(greeting, mechanism, minor);
    raw_send(fd, greeting, sizeof greeting);
}

/* Sends the NULL-mechanism greeting for ZMTP 3.<minor>. */
TU_UNUSED static void raw_send_greeting(int fd, int minor)
{
    raw_send_greeting_as(fd, "NULL", minor);
}

/* Appends a property (name-size, name, 4-byte value-size, value) at out[n]; returns the new length. */
TU_UNUSED static size_t raw_put_property(uint8_t *out, size_t cap, size_t n, const char *name, const char *value)
{
    size_t nlen = strlen(name), vlen = strlen(value);
    CHECK(nlen <= 255 && n + 1 + nlen + 4 + vlen <= cap);
    out[n++] = (uint8_t)nlen;
    memcpy(out + n, name, nlen);
    n += nlen;
    out[n++] = 0;
    out[n++] = 0;
    out[n++] = (uint8_t)(vlen >> 8);
    out[n++] = (uint8_t)vlen;
    memcpy(out + n, value, vlen);
    return n + vlen;
}

/* A short command frame in out: flags 0x04, size, then name-size, name and data. Returns its length. */
TU_UNUSED static size_t raw_command(uint8_t *out, size_t cap, const char *name, const void *data, size_t len)
{
    size_t nlen = strlen(name);
    CHECK(1 + nlen + len <= 255 && 2 + 1 + nlen + len <= cap);
    out[0] = 0x04;
    out[1] = (uint8_t)(1 + nlen + len);
    out[2] = (uint8_t)nlen;
    memcpy(out + 3, name, nlen);
    memcpy(out + 3 + nlen, data, len);
    return 3 + nlen + len;
}

/* A READY command frame in out with the Socket-Type property and, if identity is not NULL, Identity.
 * Returns its length. */
TU_UNUSED static size_t raw_ready(uint8_t *out, size_t cap, const char *type, const char *identity)
{
    uint8_t props[255];
    size_t n = raw_put_property(props, sizeof props, 0, "Socket-Type", type);
    if (identity)
        n = raw_put_property(props, sizeof props, n, "Identity", identity);
    return raw_command(out, cap, "READY", props, n);
}

/* Sends a short frame: flags (0x04 command, 0x01 more), body of at most 255 bytes. */
TU_UNUSED static void raw_send_frame(int fd, uint8_t flags, const void *body, size_t len)
{
    uint8_t frame[2 + 255];
    CHECK(len <= 255);
    frame[0] = flags;
    frame[1] = (uint8_t)len;
    memcpy(frame + 2, body, len);
    raw_send(fd, frame, 2 + len);
}

/* Sends a command (name, data) as one short frame. */
TU_UNUSED static void raw_send_command(int fd, const char *name, const void *data, size_t len)
{
    uint8_t frame[2 + 255];
    raw_send(fd, frame, raw_command(frame, sizeof frame, name, data, len));
}

/* Sends READY with Socket-Type type. */
TU_UNUSED static void raw_send_ready(int fd, const char *type)
{
    uint8_t frame[2 + 255];
    raw_send(fd, frame, raw_ready(frame, sizeof frame, type, NULL));
}

/* Reads one frame, short or long, pumping sock (may be NULL) meanwhile. Returns its body length (and
 * fills flags) or -1 if no frame starts within timeout_ms; once one has started, the rest must come within
 * 2 s (or timeout_ms, if longer) and fit in cap. */
TU_UNUSED static int raw_recv_frame(int fd, void *sock, uint8_t *flags, uint8_t *body, size_t cap,
                                    int timeout_ms)
{
    uint8_t hdr[9];
    int rest_ms = timeout_ms > 2000 ? timeout_ms : 2000;
    if (raw_recv_pumping(fd, sock, hdr, 1, timeout_ms) != 1)
        return -1;
    *flags = hdr[0];
    size_t size_len = (hdr[0] & 0x02) ? 8 : 1;
    CHECK_EQ(raw_recv_pumping(fd, sock, hdr + 1, size_len, rest_ms), size_len);
    uint64_t len = 0;
    for (size_t i = 1; i <= size_len; i++)
        len = len << 8 | hdr[i];
    CHECK(len <= cap);
    CHECK_EQ(raw_recv_pumping(fd, sock, body, (size_t)len, rest_ms), len);
    return (int)len;
}

/* Connects to the socket `bound` last bound, completes a NULL ZMTP 3.1 handshake as a peer of type `type`
 * and returns the fd, our READY sent and theirs read. */
TU_UNUSED static int raw_peer_ready(void *bound, const char *type)
{
    int fd = raw_connect_bound(bound);
    raw_send_greeting(fd, 1);
    uint8_t theirs[64];
    CHECK_EQ(raw_recv(fd, theirs, 64, 2000), 64);
    raw_send_ready(fd, type);
    uint8_t flags, body[255];
    CHECK(raw_recv_frame(fd, NULL, &flags, body, sizeof body, 2000) > 6);
    CHECK_EQ(flags, 0x04);
    return fd;
}

/* Reads, within timeout_ms for each frame, the PONG that answers a PING with this context (skipping the
 * socket's own PINGs). */
TU_UNUSED static void raw_expect_pong_within(int fd, const char *context, int timeout_ms)
{
    for (int i = 0; i < 20; i++) {
        uint8_t flags, body[255];
        int n = raw_recv_frame(fd, NULL, &flags, body, sizeof body, timeout_ms);
        CHECK(n > 0);
        CHECK_EQ(flags, 0x04);
        if (n >= 5 && memcmp(body, "\4PING", 5) == 0)
            continue;
        CHECK_EQ(n, 5 + (int)strlen(context));
        CHECK(memcmp(body, "\4PONG", 5) == 0);
        CHECK(memcmp(body + 5, context, strlen(context)) == 0);
        return;
    }
    CHECK(!"no PONG");
}

TU_UNUSED static void raw_expect_pong(int fd, const char *context)
{
    raw_expect_pong_within(fd, context, 3000);
}

#endif
