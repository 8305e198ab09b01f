/* Stateful fuzz target: a whole connection through the real engine, with the input as the peer's bytes.
 *
 * Input: byte 0 picks the setup, the rest is the byte stream a peer sends, cut into chunks:
 *   byte 0   bits 0-2: socket type (DEALER ROUTER PUB SUB XPUB PULL REP STREAM)
 *            bit 3: ZMQ_MAXMSGSIZE 64      bit 4: ZMQ_HEARTBEAT_IVL 1 ms (zinc sends PINGs)
 *            bit 5: half-close (SHUT_WR) before the last drain, so the engine also sees a clean EOF
 *   then     chunks: a length byte L (n = L & 0x7f bytes follow, fewer at the end of the input); when
 *            L & 0x80 the harness waits (up to 1 ms) for the socket and drains it after that chunk, so
 *            the engine reads the stream in pieces the fuzzer chooses.
 * Per input: a fresh context, a bound socket on tcp://127.0.0.1:* (linger 0), one raw TCP peer that
 * writes the chunks (TCP_NODELAY) and reads what zinc sends; everything the socket delivers is received
 * with ZMQ_DONTWAIT (REP and ROUTER answer it, PUB/XPUB publish), then the peer resets the connection and
 * the context is terminated. Every wait is bounded: at most 16 waiting chunks of 1 ms and a final 2 ms.
 * Whatever the bytes, the process must not crash, leak (LeakSanitizer) or hang. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#include "fuzz.h"

#define MAX_WAITS 16

/* A peer may announce a frame of any size up to ZMQ_MAXMSGSIZE; zinc (like libzmq) sizes the message at
 * once and fails the connection when malloc says no. AddressSanitizer would abort on such a request
 * instead of returning NULL: let it return NULL so that path is the one tested. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

static const int socket_types[8] = {ZMQ_DEALER, ZMQ_ROUTER, ZMQ_PUB, ZMQ_SUB,
                                    ZMQ_XPUB,   ZMQ_PULL,   ZMQ_REP, ZMQ_STREAM};

struct harness {
    void *ctx;
    void *sock;
    int type;
    int peer;   /* the raw TCP side */
};

static int peer_connect(const char *endpoint)
{
    const char *colon = strrchr(endpoint, ':');
    struct sockaddr_in addr = {.sin_family = AF_INET};
    int one = 1;
    struct linger reset = {.l_onoff = 1, .l_linger = 0};

    FUZZ_CHECK(colon != NULL);
    addr.sin_port = htons((uint16_t)atoi(colon + 1));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* The loopback stack can refuse now and then (an ephemeral port still in use after hundreds of
     * thousands of inputs): retry a few times, then give the input up rather than call it a finding. */
    for (int attempt = 0; attempt < 5; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        FUZZ_CHECK(fd >= 0);
        /* A reset instead of FIN on close: no TIME_WAIT, so thousands of inputs do not use up the ports. */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
            return fd;
        fprintf(stderr, "fuzz_engine: connect %s: %s (attempt %d)\n", endpoint, strerror(errno), attempt + 1);
        close(fd);
        poll(NULL, 0, 1);
    }
    return -1;
}

/* Reads and drops whatever zinc has sent the peer (greeting, READY, PINGs, messages), without blocking. */
static void peer_drain(int fd)
{
    uint8_t buf[4096];

    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
}

static void peer_write(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) {
            if (n < 0 && errno == EAGAIN) {
                peer_drain(fd);
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                if (poll(&p, 1, 1) > 0)
                    continue;
            }
            return;   /* zinc closed the connection or stays full: the rest of the input is dropped */
        }
        data += n;
        len -= (size_t)n;
    }
}

/* What a well-behaved application does with each message: REP answers, ROUTER and STREAM route it back
 * by its identity frame, PUB/XPUB publish something, the others only read. */
static void socket_answer(struct harness *h, int more, const zmq_msg_t *msg, int first)
{
    (void)msg;
    if (h->type == ZMQ_REP && !more)
        zmq_send(h->sock, "ok", 2, ZMQ_DONTWAIT);
    if ((h->type == ZMQ_ROUTER || h->type == ZMQ_STREAM) && first) {
        zmq_msg_t copy;
        zmq_msg_init(&copy);
        zmq_msg_copy(&copy, (zmq_msg_t *)msg);
        if (zmq_msg_send(&copy, h->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            zmq_msg_close(&copy);
        else
            zmq_send(h->sock, "ok", 2, ZMQ_DONTWAIT);
    }
}

static void socket_drain(struct harness *h, long timeout_ms)
{
    zmq_pollitem_t item = {.socket = h->sock, .events = ZMQ_POLLIN};
    int first = 1;

    if (timeout_ms > 0)
        zmq_poll(&item, 1, timeout_ms);
    for (int i = 0; i < 256; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, h->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        int more = zmq_msg_more(&msg);
        socket_answer(h, more, &msg, first);
        first = !more;
        zmq_msg_close(&msg);
    }
    if (h->type == ZMQ_PUB || h->type == ZMQ_XPUB)
        zmq_send(h->sock, "A topic", 7, ZMQ_DONTWAIT);
    peer_drain(h->peer);
}

static void harness_open(struct harness *h, uint8_t setup)
{
    char endpoint[64];
    size_t len = sizeof endpoint;
    int zero = 0;

    h->type = socket_types[setup & 7];
    h->ctx = zmq_ctx_new();
    FUZZ_CHECK(h->ctx != NULL);
    h->sock = zmq_socket(h->ctx, h->type);
    FUZZ_CHECK(h->sock != NULL);
    zmq_setsockopt(h->sock, ZMQ_LINGER, &zero, sizeof zero);
    if (setup & 8) {
        int64_t max = 64;
        zmq_setsockopt(h->sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    }
    if (setup & 16) {
        int ivl = 1;
        zmq_setsockopt(h->sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    }
    if (h->type == ZMQ_SUB)
        zmq_setsockopt(h->sock, ZMQ_SUBSCRIBE, "", 0);
    FUZZ_CHECK(zmq_bind(h->sock, "tcp://127.0.0.1:*") == 0);
    FUZZ_CHECK(zmq_getsockopt(h->sock, ZMQ_LAST_ENDPOINT, endpoint, &len) == 0);
    h->peer = peer_connect(endpoint);
}

static void harness_close(struct harness *h)
{
    close(h->peer);
    FUZZ_CHECK(zmq_close(h->sock) == 0);
    FUZZ_CHECK(zmq_ctx_term(h->ctx) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct harness h;
    int waits = 0;

    if (size < 1)
        return 0;
    harness_open(&h, data[0]);
    if (h.peer < 0) {
        FUZZ_CHECK(zmq_close(h.sock) == 0 && zmq_ctx_term(h.ctx) == 0);
        return 0;
    }
    size_t pos = 1;
    while (pos < size) {
        uint8_t lead = data[pos++];
        size_t n = lead & 0x7f;
        if (n > size - pos)
            n = size - pos;
        peer_write(h.peer, data + pos, n);
        pos += n;
        int wait = (lead & 0x80) && waits < MAX_WAITS;
        waits += wait;
        socket_drain(&h, wait ? 1 : 0);
    }
    if (data[0] & 32)
        shutdown(h.peer, SHUT_WR);
    socket_drain(&h, 2);
    harness_close(&h);
    return 0;
}
