/* testutil.h: helpers shared by the public-API tests in tests/spec and tests/api. They include only
 * <zmq.h>, libc and pthreads, so the same source builds against zinc and, with ZINC_REFERENCE, against
 * libzmq 4.3.4, which is the reference: every test here must pass there.
 *
 * A test file looks like:
 *     static void some_clause (const char *transport) { ... CHECK_EQ (...); ... }
 *     int main (void) { test_begin (20); RUN_TRANSPORTS (some_clause); RUN (other); return test_end (); }
 * A failed check prints both values with file:line and exits non-zero at once; a watchdog alarm kills a
 * test that hangs. Each case prints "name: ok"; test_end prints "N passed, 0 failed".
 */
#ifndef ZINC_TESTUTIL_H
#define ZINC_TESTUTIL_H

#include <zmq.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#if defined(__GNUC__)
#define TU_UNUSED __attribute__((unused))
#define TU_NORETURN __attribute__((noreturn))
#define TU_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TU_UNUSED
#define TU_NORETURN
#define TU_PRINTF(a, b)
#endif

/* ---- failing loudly ------------------------------------------------------------------------------- */

static const char *tu_current_case = "(setup)";
static void tu_cleanup_ipc(void);
static int tu_cases_passed;

TU_NORETURN TU_PRINTF(3, 4) static void tu_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: FAIL in %s: ", file, line, tu_current_case);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    fflush(stdout);
    tu_cleanup_ipc();
    _exit(1);
}

/* CHECK (cond): a boolean that must hold. */
#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond))                                                                                         \
            tu_fail(__FILE__, __LINE__, "CHECK (%s) (errno %d: %s)", #cond, errno, zmq_strerror(errno));     \
    } while (0)

/* CHECK_INT (a, op, b): integer comparison, prints both values. */
#define CHECK_INT(a, op, b)                                                                                  \
    do {                                                                                                     \
        long long tu_a_ = (long long)(a);                                                                    \
        long long tu_b_ = (long long)(b);                                                                    \
        if (!(tu_a_ op tu_b_))                                                                               \
            tu_fail(__FILE__, __LINE__, "%s %s %s: got %lld, expected %s %lld (errno %d: %s)", #a, #op, #b,  \
                    tu_a_, #op, tu_b_, errno, zmq_strerror(errno));                                          \
    } while (0)
#define CHECK_EQ(a, b) CHECK_INT(a, ==, b)

/* CHECK_OK (expr): a zmq call that must not return -1; evaluates to its result. */
#define CHECK_OK(expr) tu_check_ok((long long)(expr), #expr, __FILE__, __LINE__)
TU_UNUSED static long long tu_check_ok(long long rc, const char *expr, const char *file, int line)
{
    if (rc == -1)
        tu_fail(file, line, "%s returned -1, errno %d: %s", expr, errno, zmq_strerror(errno));
    return rc;
}

/* CHECK_ERR (expr, err): a call that must return -1 with errno == err. */
#define CHECK_ERR(expr, err)                                                                                 \
    do {                                                                                                     \
        errno = 0;                                                                                           \
        long long tu_rc_ = (long long)(expr);                                                                \
        int tu_errno_ = errno;                                                                               \
        if (tu_rc_ != -1 || tu_errno_ != (err))                                                              \
            tu_fail(__FILE__, __LINE__, "%s: got rc %lld errno %d (%s), expected -1 errno %d (%s)", #expr,   \
                    tu_rc_, tu_errno_, zmq_strerror(tu_errno_), (int)(err), zmq_strerror(err));              \
    } while (0)

/* CHECK_PTR (expr): a pointer that must not be NULL (zmq_socket, zmq_ctx_new); evaluates to it. */
#define CHECK_PTR(expr) tu_check_ptr((void *)(expr), #expr, __FILE__, __LINE__)
TU_UNUSED static void *tu_check_ptr(void *p, const char *expr, const char *file, int line)
{
    if (p == NULL)
        tu_fail(file, line, "%s returned NULL, errno %d: %s", expr, errno, zmq_strerror(errno));
    return p;
}

/* CHECK_STR (a, b): two NUL-terminated strings that must be equal. */
#define CHECK_STR(a, b)                                                                                      \
    do {                                                                                                     \
        const char *tu_sa_ = (a);                                                                            \
        const char *tu_sb_ = (b);                                                                            \
        if (tu_sa_ == NULL || tu_sb_ == NULL || strcmp(tu_sa_, tu_sb_) != 0)                                 \
            tu_fail(__FILE__, __LINE__, "%s == %s: got \"%s\", expected \"%s\"", #a, #b,                     \
                    tu_sa_ ? tu_sa_ : "(null)", tu_sb_ ? tu_sb_ : "(null)");                                 \
    } while (0)

/* CHECK_MEM (a, alen, b, blen): two byte strings that must be equal. */
#define CHECK_MEM(a, alen, b, blen)                                                                          \
    do {                                                                                                     \
        size_t tu_la_ = (size_t)(alen), tu_lb_ = (size_t)(blen);                                             \
        if (tu_la_ != tu_lb_ || memcmp((a), (b), tu_la_) != 0) {                                             \
            char tu_ha_[100], tu_hb_[100];                                                                   \
            tu_hex(tu_ha_, sizeof tu_ha_, (a), tu_la_);                                                      \
            tu_hex(tu_hb_, sizeof tu_hb_, (b), tu_lb_);                                                      \
            tu_fail(__FILE__, __LINE__, "%s == %s: got %zu bytes [%s], expected %zu bytes [%s]", #a, #b,     \
                    tu_la_, tu_ha_, tu_lb_, tu_hb_);                                                         \
        }                                                                                                    \
    } while (0)

/* Hex dump of at most the first 32 bytes, printable characters shown as themselves. */
TU_UNUSED static void tu_hex(char *out, size_t outlen, const void *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len && i < 32 && o + 5 < outlen; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f)
            o += (size_t)snprintf(out + o, outlen - o, "%c", p[i]);
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\%02x", p[i]);
    }
    if (len > 32 && o + 4 < outlen)
        snprintf(out + o, outlen - o, "...");
}

/* ---- time ------------------------------------------------------------------------------------------ */

TU_UNUSED static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Milliseconds on the monotonic clock. */
TU_UNUSED static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- test cases and the watchdog ------------------------------------------------------------------ */

static void tu_watchdog_fired(int sig)
{
    (void)sig;
    static const char msg[] = "watchdog: test hung, killed by alarm\n";
    ssize_t rc = write(2, msg, sizeof msg - 1);
    (void)rc;
    tu_cleanup_ipc(); /* only unlink (2): async-signal-safe */
    _exit(2);
}

/* A crash (in the library under test, say) still removes our ipc files, then dies as it would have. */
static void tu_crashed(int sig)
{
    tu_cleanup_ipc();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Start a test program: arm a watchdog that kills the whole process after `seconds`. */
TU_UNUSED static void test_begin(unsigned seconds)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, tu_watchdog_fired);
    /* SIGPIPE keeps its default disposition on purpose: a library write that raises it kills the test, as
     * it would kill a C program (Python ignores SIGPIPE and would hide it). Raw sockets in tests write
     * with MSG_NOSIGNAL. */
    signal(SIGSEGV, tu_crashed);
    signal(SIGABRT, tu_crashed);
    signal(SIGBUS, tu_crashed);
    signal(SIGFPE, tu_crashed);
    alarm(seconds);
    atexit(tu_cleanup_ipc);
}

TU_UNUSED static int test_end(void)
{
    printf("%d passed, 0 failed\n", tu_cases_passed);
    return 0;
}

#define RUN(fn)                                                                                              \
    do {                                                                                                     \
        tu_current_case = #fn;                                                                               \
        fn();                                                                                                \
        printf("%s: ok\n", #fn);                                                                             \
        tu_cases_passed++;                                                                                   \
    } while (0)

/* The transports each spec test loops over. */
static const char *const test_endpoints[] = {"inproc", "ipc", "tcp"};
#define TEST_ENDPOINTS_COUNT 3

/* Run fn (transport) for every transport; each counts as one case. */
#define RUN_TRANSPORTS(fn)                                                                                   \
    do {                                                                                                     \
        for (int tu_i_ = 0; tu_i_ < TEST_ENDPOINTS_COUNT; tu_i_++) {                                         \
            char tu_name_[160];                                                                              \
            snprintf(tu_name_, sizeof tu_name_, "%s(%s)", #fn, test_endpoints[tu_i_]);                       \
            tu_current_case = tu_name_;                                                                      \
            fn(test_endpoints[tu_i_]);                                                                       \
            printf("%s: ok\n", tu_name_);                                                                    \
            tu_cases_passed++;                                                                               \
        }                                                                                                    \
        tu_current_case = "(between cases)";                                                                 \
    } while (0)

/* The transports that have real connections (connection events, reconnects): not inproc. */
static const char *const test_engine_endpoints[] = {"ipc", "tcp"};
#define TEST_ENGINE_ENDPOINTS_COUNT 2

#define RUN_ENGINE_TRANSPORTS(fn)                                                                            \
    do {                                                                                                     \
        for (int tu_i_ = 0; tu_i_ < TEST_ENGINE_ENDPOINTS_COUNT; tu_i_++) {                                  \
            char tu_name_[160];                                                                              \
            snprintf(tu_name_, sizeof tu_name_, "%s(%s)", #fn, test_engine_endpoints[tu_i_]);                \
            tu_current_case = tu_name_;                                                                      \
            fn(test_engine_endpoints[tu_i_]);                                                                \
            printf("%s: ok\n", tu_name_);                                                                    \
            tu_cases_passed++;                                                                               \
        }                                                                                                    \
        tu_current_case = "(between cases)";                                                                 \
    } while (0)

/* ---- endpoints ------------------------------------------------------------------------------------- */

#define TU_MAX_IPC_PATHS 256
#define TU_ENDPOINT_LEN 256
static char tu_ipc_paths[TU_MAX_IPC_PATHS][108];
static int tu_ipc_count;
static int tu_endpoint_seq;

static void tu_cleanup_ipc(void)
{
    for (int i = 0; i < tu_ipc_count; i++)
        unlink(tu_ipc_paths[i]);
}

/* A fresh ipc path under /tmp with our pid in it, removed at exit. */
TU_UNUSED static const char *tu_ipc_path(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/zinc-test-%d-%d.ipc", (int)getpid(), ++tu_endpoint_seq);
    if (tu_ipc_count < TU_MAX_IPC_PATHS)
        snprintf(tu_ipc_paths[tu_ipc_count++], sizeof tu_ipc_paths[0], "%s", buf);
    unlink(buf);
    return buf;
}

/* A fresh address to bind on `transport` ("inproc", "ipc" or "tcp"); tcp uses an ephemeral port. */
TU_UNUSED static void make_bind_endpoint(const char *transport, char *out, size_t len)
{
    if (strcmp(transport, "inproc") == 0) {
        snprintf(out, len, "inproc://zinc-test-%d-%d", (int)getpid(), ++tu_endpoint_seq);
    } else if (strcmp(transport, "ipc") == 0) {
        char path[108];
        tu_ipc_path(path, sizeof path);
        snprintf(out, len, "ipc://%s", path);
    } else if (strcmp(transport, "tcp") == 0) {
        snprintf(out, len, "tcp://127.0.0.1:*");
    } else {
        tu_fail(__FILE__, __LINE__, "unknown transport %s", transport);
    }
}

/* Read ZMQ_LAST_ENDPOINT into out. */
TU_UNUSED static void get_last_endpoint(void *sock, char *out, size_t len)
{
    size_t sz = len;
    CHECK_OK(zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, out, &sz));
    CHECK(sz > 0 && sz <= len);
    out[sz - 1] = '\0';
}

/* Bind sock to a fresh address on transport; out receives the address peers should connect to. */
TU_UNUSED static void bind_transport(void *sock, const char *transport, char *out, size_t len)
{
    make_bind_endpoint(transport, out, len);
    if (zmq_bind(sock, out) == -1)
        tu_fail(__FILE__, __LINE__, "zmq_bind (%s): errno %d: %s", out, errno, zmq_strerror(errno));
    if (strcmp(transport, "tcp") == 0)
        get_last_endpoint(sock, out, len);
}

/* Bind sock to tcp://127.0.0.1:* and return the real endpoint (from ZMQ_LAST_ENDPOINT). */
TU_UNUSED static void bind_ephemeral(void *sock, char *out, size_t len)
{
    bind_transport(sock, "tcp", out, len);
}

/* The port of a "tcp://host:port" endpoint (the number after the last colon). */
TU_UNUSED static int endpoint_port(const char *endpoint)
{
    const char *colon = strrchr(endpoint, ':');
    CHECK(colon != NULL);
    return atoi(colon + 1);
}

/* A TCP port on 127.0.0.1 that was free a moment ago (bind port 0 with a plain socket, then close). */
TU_UNUSED static int free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr *sa = (struct sockaddr *)&ss;
    sa->sa_family = AF_INET;
    /* sin_addr 0.0.0.0, port 0: the kernel picks */
    CHECK_OK(bind(fd, sa, 16));
    socklen_t sl = sizeof ss;
    CHECK_OK(getsockname(fd, sa, &sl));
    int port = ((unsigned char *)sa->sa_data)[0] << 8 | ((unsigned char *)sa->sa_data)[1];
    close(fd);
    return port;
}

/* ---- sending and receiving ------------------------------------------------------------------------- */

/* 1 if sock becomes readable within ms milliseconds, else 0. */
TU_UNUSED static int poll_in(void *sock, int ms)
{
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&item, 1, ms);
    CHECK(rc >= 0);
    return rc > 0 && (item.revents & ZMQ_POLLIN);
}

/* Send one frame (flags as zmq_send); the whole string must be accepted. */
TU_UNUSED static void tu_send(const char *file, int line, void *sock, const void *data, size_t len, int flags)
{
    int rc = zmq_send(sock, data, len, flags);
    if (rc != (int)len)
        tu_fail(file, line, "zmq_send of %zu bytes returned %d, errno %d: %s", len, rc, errno,
                zmq_strerror(errno));
}
#define send_str(sock, str) tu_send(__FILE__, __LINE__, (sock), (str), strlen(str), 0)
#define send_str_more(sock, str) tu_send(__FILE__, __LINE__, (sock), (str), strlen(str), ZMQ_SNDMORE)
#define send_buf(sock, data, len, flags) tu_send(__FILE__, __LINE__, (sock), (data), (len), (flags))

/* Receive one frame, waiting at most ms (-1 forever). Returns its length (NUL-terminated in buf if it
 * fits) or -1 with errno EAGAIN on timeout. *more, if given, receives ZMQ_RCVMORE. A POLLIN that then
 * yields EAGAIN (libzmq's REQ signals readable for a reply it goes on to discard) just waits on. */
TU_UNUSED static int recv_timeout(void *sock, void *buf, size_t len, int ms, int *more)
{
    int64_t deadline = now_ms() + (ms > 0 ? ms : 0);
    int rc;
    for (;;) {
        if (ms >= 0) {
            int64_t left = deadline - now_ms();
            if (!poll_in(sock, left > 0 ? (int)left : 0)) {
                errno = EAGAIN;
                return -1;
            }
        }
        rc = zmq_recv(sock, buf, len > 0 ? len - 1 : 0, ms >= 0 ? ZMQ_DONTWAIT : 0);
        if (rc >= 0 || errno != EAGAIN || ms < 0)
            break;
        if (now_ms() >= deadline)
            return -1;
        msleep(1);
    }
    if (rc >= 0 && len > 0)
        ((char *)buf)[(size_t)rc < len - 1 ? (size_t)rc : len - 1] = '\0';
    if (rc >= 0 && more) {
        int m = 0;
        size_t sz = sizeof m;
        CHECK_OK(zmq_getsockopt(sock, ZMQ_RCVMORE, &m, &sz));
        *more = m;
    }
    return rc;
}

/* Receive one frame within ms and require it equal to expected (and its more-flag to be expect_more). */
TU_UNUSED static void tu_recv_expect(const char *file, int line, void *sock, const void *expected, size_t len,
                                     int expect_more, int ms)
{
    char buf[4096];
    int more = 0;
    int rc = recv_timeout(sock, buf, sizeof buf, ms, &more);
    if (rc < 0)
        tu_fail(file, line, "expected a frame of %zu bytes, recv returned -1 errno %d: %s", len, errno,
                zmq_strerror(errno));
    if ((size_t)rc != len || memcmp(buf, expected, len) != 0) {
        char ha[100], hb[100];
        tu_hex(ha, sizeof ha, buf, (size_t)rc < sizeof buf ? (size_t)rc : sizeof buf);
        tu_hex(hb, sizeof hb, expected, len);
        tu_fail(file, line, "received %d bytes [%s], expected %zu bytes [%s]", rc, ha, len, hb);
    }
    if (more != expect_more) {
        char ha[100];
        tu_hex(ha, sizeof ha, buf, (size_t)rc);
        tu_fail(file, line, "frame [%s]: RCVMORE %d, expected %d", ha, more, expect_more);
    }
}
#define TU_RECV_MS 2000
/* recv_expect (sock, "text"): the next frame, within 2 s, is exactly "text" and is the last part. */
#define recv_expect(sock, str) tu_recv_expect(__FILE__, __LINE__, (sock), (str), strlen(str), 0, TU_RECV_MS)
/* recv_expect_more (sock, "text"): same, and more parts follow. */
#define recv_expect_more(sock, str)                                                                          \
    tu_recv_expect(__FILE__, __LINE__, (sock), (str), strlen(str), 1, TU_RECV_MS)
#define recv_expect_buf(sock, data, len, more)                                                               \
    tu_recv_expect(__FILE__, __LINE__, (sock), (data), (len), (more), TU_RECV_MS)

/* STREAM and ROUTER_RAW messages are [routing id][data]. recv_routed receives one within
 * TU_ROUTED_RECV_MS (a test may define it before including this header), stores the id (returning its
 * length) and requires the data to be expected; send_routed sends one. */
#ifndef TU_ROUTED_RECV_MS
#define TU_ROUTED_RECV_MS 2000
#endif
TU_UNUSED static int recv_routed(void *sock, unsigned char *id, size_t cap, const char *expected)
{
    int more = 0;
    int idlen = recv_timeout(sock, id, cap, TU_ROUTED_RECV_MS, &more);
    CHECK_INT(idlen, >, 0);
    CHECK_EQ(more, 1);
    recv_expect(sock, expected);
    return idlen;
}

TU_UNUSED static void send_routed(void *sock, const void *id, size_t idlen, const char *data)
{
    send_buf(sock, id, idlen, ZMQ_SNDMORE);
    send_str(sock, data);
}

/* Require that no message is delivered on sock within ms. A POLLIN that then yields EAGAIN (libzmq's
 * REQ signals readable for a reply it goes on to discard) does not count as a message. */
TU_UNUSED static void tu_expect_no_msg(const char *file, int line, void *sock, int ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (!poll_in(sock, left > 0 ? (int)left : 0))
            return;
        char b[256];
        int n = zmq_recv(sock, b, sizeof b - 1, ZMQ_DONTWAIT);
        if (n >= 0) {
            char h[100];
            tu_hex(h, sizeof h, b, (size_t)n < sizeof b - 1 ? (size_t)n : sizeof b - 1);
            tu_fail(file, line, "expected no message, got %d bytes [%s]", n, h);
        }
        if (errno != EAGAIN)
            tu_fail(file, line, "expected no message, recv failed: %s", zmq_strerror(errno));
        if (left <= 0)
            return;
        msleep(1);
    }
}
#define expect_no_msg(sock, ms) tu_expect_no_msg(__FILE__, __LINE__, (sock), (ms))

/* Read ZMQ_RCVMORE. */
TU_UNUSED static int rcvmore(void *sock)
{
    int m = -1;
    size_t sz = sizeof m;
    CHECK_OK(zmq_getsockopt(sock, ZMQ_RCVMORE, &m, &sz));
    return m;
}

TU_UNUSED static void set_int(void *sock, int option, int value)
{
    if (zmq_setsockopt(sock, option, &value, sizeof value) == -1)
        tu_fail(__FILE__, __LINE__, "zmq_setsockopt (%d, %d): errno %d: %s", option, value, errno,
                zmq_strerror(errno));
}

TU_UNUSED static int get_int(void *sock, int option)
{
    int value = 0;
    size_t sz = sizeof value;
    if (zmq_getsockopt(sock, option, &value, &sz) == -1)
        tu_fail(__FILE__, __LINE__, "zmq_getsockopt (%d): errno %d: %s", option, errno, zmq_strerror(errno));
    CHECK_EQ(sz, sizeof value);
    return value;
}

/* Close with linger 0, so a test never waits on undelivered messages at teardown. */
TU_UNUSED static void close_zero_linger(void *sock)
{
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    CHECK_OK(zmq_close(sock));
}

/* Open a socket and configure linger 0 for quick teardown. */
TU_UNUSED static void *test_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    if (!s)
        tu_fail(__FILE__, __LINE__, "zmq_socket (%d): errno %d: %s", type, errno, zmq_strerror(errno));
    set_int(s, ZMQ_LINGER, 0);
    return s;
}

/* Sends len-byte messages (msg, its first 4 bytes overwritten with the sequence number 0, 1, ...) with
 * ZMQ_DONTWAIT until sock is mute (EAGAIN twice, 20 ms apart: the I/O thread may still be draining into
 * the kernel), at most limit of them and for at most ms. Returns how many were accepted. */
TU_UNUSED static int send_numbered_until_mute(void *sock, char *msg, size_t len, int limit, int ms)
{
    int sent = 0;
    int64_t deadline = now_ms() + ms;
    while (sent < limit && now_ms() < deadline) {
        memcpy(msg, &sent, sizeof sent);
        if (zmq_send(sock, msg, len, ZMQ_DONTWAIT) == -1) {
            CHECK_EQ(errno, EAGAIN);
            msleep(20);
            if (zmq_send(sock, msg, len, ZMQ_DONTWAIT) == -1) {
                CHECK_EQ(errno, EAGAIN);
                break;
            }
        }
        sent++;
    }
    return sent;
}

/* The next count messages on sock, each within 2 s, are len bytes long and numbered 0 .. count-1 (as
 * send_numbered_until_mute sends them); buf (len bytes) receives them. */
#define recv_numbered(sock, buf, len, count) tu_recv_numbered(__FILE__, __LINE__, (sock), (buf), (len), (count))
TU_UNUSED static void tu_recv_numbered(const char *file, int line, void *sock, char *buf, size_t len, int count)
{
    for (int i = 0; i < count; i++) {
        int rc = recv_timeout(sock, buf, len, 2000, NULL);
        if (rc != (int)len) /* zmq_recv reports the full size even when it truncates */
            tu_fail(file, line, "message %d: recv returned %d, expected %zu (errno %d: %s)", i, rc, len, errno,
                    zmq_strerror(errno));
        int seq;
        memcpy(&seq, buf, sizeof seq);
        if (seq != i)
            tu_fail(file, line, "message %d carries sequence number %d", i, seq);
    }
}

/* A linger-0 socket of type, bound to a fresh address on transport; ep receives the address to connect to. */
TU_UNUSED static void *bound_socket(void *ctx, int type, const char *transport, char *ep, size_t eplen)
{
    void *s = test_socket(ctx, type);
    bind_transport(s, transport, ep, eplen);
    return s;
}

/* A linger-0 socket of type, connected to ep; a failed connect is reported at the caller's line. */
#define connected_socket(ctx, type, ep) tu_connected_socket(__FILE__, __LINE__, (ctx), (type), (ep))
TU_UNUSED static void *tu_connected_socket(const char *file, int line, void *ctx, int type, const char *ep)
{
    void *s = test_socket(ctx, type);
    if (zmq_connect(s, ep) == -1)
        tu_fail(file, line, "zmq_connect (%s): errno %d: %s", ep, errno, zmq_strerror(errno));
    return s;
}

/* Subscriber slow-joiner sync. pub (PUB or XPUB) publishes "<prefix>probe-<n>" until every socket in
 * subs (SUB or XSUB, each subscribed so that prefix matches) has received one, bounded in time; then it
 * publishes "<prefix>sync-end-<n>" and each sub is drained up to that. On return the subscriptions are in
 * effect at pub and the subs' queues hold nothing from this sync. Leftovers of earlier syncs met on the
 * way are skipped. */
static int tu_sync_seq;
TU_UNUSED static void tu_await_subscriptions(const char *file, int line, void *pub, void **subs, int n,
                                             const char *prefix)
{
    char probe[128], end[128], buf[256];
    int seq = ++tu_sync_seq;
    snprintf(probe, sizeof probe, "%sprobe-%d", prefix, seq);
    snprintf(end, sizeof end, "%ssync-end-%d", prefix, seq);
    int64_t deadline = now_ms() + 5000;
    int got[16] = {0};
    int missing = n;
    if (n > 16)
        tu_fail(file, line, "at most 16 subscribers");
    while (missing > 0) {
        if (now_ms() > deadline)
            tu_fail(file, line, "subscription for \"%s\" never took effect", prefix);
        if (zmq_send(pub, probe, strlen(probe), ZMQ_DONTWAIT) == -1 && errno != EAGAIN)
            tu_fail(file, line, "probe send failed: %s", zmq_strerror(errno));
        for (int i = 0; i < n; i++) {
            if (got[i])
                continue;
            while (poll_in(subs[i], 10)) {
                int rc = zmq_recv(subs[i], buf, sizeof buf - 1, ZMQ_DONTWAIT);
                if (rc < 0)
                    break;
                buf[rc < (int)sizeof buf - 1 ? rc : (int)sizeof buf - 1] = '\0';
                if (strcmp(buf, probe) == 0) {
                    got[i] = 1;
                    missing--;
                    break;
                }
            }
        }
    }
    if (zmq_send(pub, end, strlen(end), 0) == -1)
        tu_fail(file, line, "sync-end send failed: %s", zmq_strerror(errno));
    for (int i = 0; i < n; i++) {
        for (;;) {
            int rc = recv_timeout(subs[i], buf, sizeof buf, 2000, NULL);
            if (rc < 0)
                tu_fail(file, line, "sync-end never arrived at subscriber %d", i);
            if (strcmp(buf, end) == 0)
                break;
        }
    }
}
#define await_subscriptions(pub, subs, n, prefix)                                                            \
    tu_await_subscriptions(__FILE__, __LINE__, (pub), (subs), (n), (prefix))
#define await_subscription(pub, sub, prefix)                                                                 \
    do {                                                                                                     \
        void *tu_one_[1] = {(sub)};                                                                          \
        tu_await_subscriptions(__FILE__, __LINE__, (pub), tu_one_, 1, (prefix));                             \
    } while (0)

/* Count the open file descriptors of this process (entries of /proc/self/fd). */
TU_UNUSED static int count_open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    CHECK(dir != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n - 1; /* the directory's own descriptor */
}

#endif
