/* What a peer may send while the application is blocked in zmq_recv, and what may happen to it meanwhile:
 * commands (PING answered while the receiver sleeps), messages and commands packed into one write or split
 * across many, a large message, more messages in one write than ZMQ_RCVHWM admits, the peer vanishing
 * (FIN or RST), a signal, the context shutting down, heartbeats flowing both ways, and long request-reply
 * and push-pull runs between two sockets with heartbeats every millisecond. zinc receives on the blocked
 * thread itself when a socket has one idle connection (core/conn_direct_recv.c), so these are the cases
 * where that path hands over to the I/O thread, or is taken from. Passes against libzmq 4.3.4 too. */
#include "rawpeer.h"

#include <signal.h>

/* ---- a thread blocked in zmq_recv ----------------------------------------------------------------------- */
#define RX_MAX 32
#define RX_CAP (512 * 1024)

struct receiver {
    void *sock;
    int count;                 /* frames to receive */
    int len[RX_MAX];           /* zmq_recv's result per frame (-1: failed) */
    int err[RX_MAX];           /* its errno when it failed */
    int more[RX_MAX];
    unsigned char *data[RX_MAX];
    pthread_t thread;
};

static void *receiver_main(void *arg)
{
    struct receiver *r = arg;
    for (int i = 0; i < r->count; i++) {
        r->len[i] = zmq_recv(r->sock, r->data[i], RX_CAP, 0);
        r->err[i] = r->len[i] < 0 ? errno : 0;
        r->more[i] = r->len[i] >= 0 ? rcvmore(r->sock) : 0;
        if (r->len[i] < 0)
            break;
    }
    return NULL;
}

/* Starts a thread receiving count frames from sock (which the caller must not touch until rx_join), and
 * gives it time to block. */
static void rx_start(struct receiver *r, void *sock, int count)
{
    CHECK(count <= RX_MAX);
    memset(r, 0, sizeof *r);
    r->sock = sock;
    r->count = count;
    for (int i = 0; i < count; i++) {
        r->data[i] = malloc(RX_CAP);
        CHECK(r->data[i] != NULL);
        r->len[i] = -2;
    }
    CHECK_EQ(pthread_create(&r->thread, NULL, receiver_main, r), 0);
    msleep(100);
}

static void rx_join(struct receiver *r)
{
    CHECK_EQ(pthread_join(r->thread, NULL), 0);
}

static void rx_free(struct receiver *r)
{
    for (int i = 0; i < r->count; i++)
        free(r->data[i]);
}

static void rx_expect(struct receiver *r, int i, const char *text, int more)
{
    CHECK_EQ(r->len[i], (int)strlen(text));
    CHECK(memcmp(r->data[i], text, strlen(text)) == 0);
    CHECK_EQ(r->more[i], more);
}

/* ---- a raw ZMTP 3.1 peer -------------------------------------------------------------------------------- */
/* Full handshake as a peer of this type with the bound socket; consumes its greeting and READY. */
static int raw_dealer(void *bound)
{
    return raw_peer_ready(bound, "DEALER");
}

/* Appends a short frame to out[*n]. */
static void put_frame(uint8_t *out, size_t *n, uint8_t flags, const void *body, size_t len)
{
    out[(*n)++] = flags;
    out[(*n)++] = (uint8_t)len;
    memcpy(out + *n, body, len);
    *n += len;
}

/* Appends a PING (TTL 0) with a context. */
static void put_ping(uint8_t *out, size_t *n, const char *context)
{
    uint8_t body[64] = {4, 'P', 'I', 'N', 'G', 0, 0};
    size_t len = strlen(context);
    memcpy(body + 7, context, len);
    put_frame(out, n, 0x04, body, 7 + len);
}

static void *bound_dealer(void *ctx, int rcvtimeo)
{
    void *s = test_socket(ctx, ZMQ_DEALER);
    set_int(s, ZMQ_RCVTIMEO, rcvtimeo);
    CHECK_OK(zmq_bind(s, "tcp://127.0.0.1:*"));
    return s;
}

/* ---- cases ---------------------------------------------------------------------------------------------- */
static void ping_is_answered_while_blocked(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = bound_dealer(ctx, 5000);
    int fd = raw_dealer(dealer);
    struct receiver r;
    rx_start(&r, dealer, 1);
    uint8_t out[64];
    size_t n = 0;
    put_ping(out, &n, "while-blocked");
    raw_send(fd, out, n);
    raw_expect_pong(fd, "while-blocked");
    raw_send_frame(fd, 0, "hello", 5);
    rx_join(&r);
    rx_expect(&r, 0, "hello", 0);
    rx_free(&r);
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

static void messages_and_commands_in_one_write(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = bound_dealer(ctx, 5000);
    int fd = raw_dealer(dealer);
    struct receiver r;
    rx_start(&r, dealer, 5);
    uint8_t out[256];
    size_t n = 0;
    put_frame(out, &n, 0, "a", 1);
    put_ping(out, &n, "p1");
    put_frame(out, &n, 1, "b", 1);
    put_frame(out, &n, 1, "c", 1);
    put_frame(out, &n, 0, "d", 1);
    put_ping(out, &n, "p2");
    put_frame(out, &n, 0, "e", 1);
    raw_send(fd, out, n);
    raw_expect_pong(fd, "p1");
    raw_expect_pong(fd, "p2");
    rx_join(&r);
    rx_expect(&r, 0, "a", 0);
    rx_expect(&r, 1, "b", 1);
    rx_expect(&r, 2, "c", 1);
    rx_expect(&r, 3, "d", 0);
    rx_expect(&r, 4, "e", 0);
    rx_free(&r);
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

/* A frame cut after its header, in the middle of its body, and a message cut between its frames. */
static void message_split_across_writes(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = bound_dealer(ctx, 5000);
    int fd = raw_dealer(dealer);
    struct receiver r;
    rx_start(&r, dealer, 4);
    char body[200];
    for (int i = 0; i < 200; i++)
        body[i] = (char)('a' + i % 26);
    uint8_t out[512];
    size_t n = 0;
    put_frame(out, &n, 0, body, sizeof body);
    raw_send(fd, out, 1);   /* the flags byte alone */
    msleep(50);
    raw_send(fd, out + 1, 100);
    msleep(50);
    raw_send(fd, out + 101, n - 101);
    n = 0;
    put_frame(out, &n, 1, "first", 5);
    raw_send(fd, out, n);
    msleep(50);
    n = 0;
    put_frame(out, &n, 1, "second", 6);
    put_frame(out, &n, 0, "third", 5);
    raw_send(fd, out, n);
    rx_join(&r);
    CHECK_EQ(r.len[0], 200);
    CHECK(memcmp(r.data[0], body, 200) == 0);
    rx_expect(&r, 1, "first", 1);
    rx_expect(&r, 2, "second", 1);
    rx_expect(&r, 3, "third", 0);
    rx_free(&r);
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

static void large_message_while_blocked(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = bound_dealer(ctx, 5000);
    int fd = raw_dealer(dealer);
    struct receiver r;
    rx_start(&r, dealer, 2);
    size_t size = 300 * 1024;
    uint8_t *out = malloc(9 + size + 8);
    CHECK(out != NULL);
    out[0] = 0x02;   /* LONG */
    for (int i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)((uint64_t)size >> (56 - 8 * i));
    for (size_t i = 0; i < size; i++)
        out[9 + i] = (uint8_t)(i * 7);
    size_t n = 9 + size;
    put_frame(out, &n, 0, "small", 5);
    raw_send(fd, out, n);
    rx_join(&r);
    CHECK_EQ(r.len[0], (int)size);
    CHECK(memcmp(r.data[0], out + 9, size) == 0);
    rx_expect(&r, 1, "small", 0);
    free(out);
    rx_free(&r);
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

/* Appends a frame of size bytes (LONG when over 255), each byte derived from seed. */
static size_t put_sized(uint8_t *out, size_t n, uint8_t flags, size_t size, int seed)
{
    if (size > 255) {
        out[n++] = flags | 0x02;
        for (int i = 0; i < 8; i++)
            out[n++] = (uint8_t)((uint64_t)size >> (56 - 8 * i));
    } else {
        out[n++] = flags;
        out[n++] = (uint8_t)size;
    }
    for (size_t i = 0; i < size; i++)
        out[n++] = (uint8_t)(seed + i * 3);
    return n;
}

static void expect_sized(struct receiver *r, int i, size_t size, int seed, int more)
{
    CHECK_EQ(r->len[i], (int)size);
    for (size_t k = 0; k < size; k++)
        if (r->data[i][k] != (uint8_t)(seed + k * 3))
            CHECK(!"frame corrupt");
    CHECK_EQ(r->more[i], more);
}

/* Large frames inside multipart messages (with MORE, and last), arriving in pieces cut at odd places while
 * the receiver is blocked: every frame whole, in order, with its MORE flag. */
static void large_frames_in_pieces(void)
{
    static const size_t sizes[] = {7, 20000, 3, 70000, 1, 9000, 40000};
    static const uint8_t flags[] = {1, 1, 1, 0, 1, 1, 0};   /* two messages: 4 frames, then 3 */
    void *ctx = zmq_ctx_new();
    void *dealer = bound_dealer(ctx, 5000);
    int fd = raw_dealer(dealer);
    struct receiver r;
    rx_start(&r, dealer, 7);
    uint8_t *out = malloc(200000);
    CHECK(out != NULL);
    size_t n = 0;
    for (int i = 0; i < 7; i++)
        n = put_sized(out, n, flags[i], sizes[i], i * 11);
    static const size_t cuts[] = {5000, 5001, 30000, 60000, 100000, 130000};
    size_t sent = 0;
    for (int i = 0; i < 6; i++) {
        raw_send(fd, out + sent, cuts[i] - sent);
        sent = cuts[i];
        msleep(20);
    }
    raw_send(fd, out + sent, n - sent);
    rx_join(&r);
    for (int i = 0; i < 7; i++)
        expect_sized(&r, i, sizes[i], i * 11, flags[i]);
    free(out);
    rx_free(&r);
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

/* One write of 20 messages to a socket whose ZMQ_RCVHWM is 2: all arrive, in order. */
static void one_write_past_the_hwm(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    set_int(dealer, ZMQ_RCVHWM, 2);
    set_int(dealer, ZMQ_RCVTIMEO, 5000);
    CHECK_OK(zmq_bind(dealer, "tcp://127.0.0.1:*"));
    int fd = raw_dealer(dealer);
    struct receiver r;
    rx_start(&r, dealer, 20);
    uint8_t out[20 * 8];
    size_t n = 0;
    for (int i = 0; i < 20; i++) {
        char text[8];
        snprintf(text, sizeof text, "m%02d", i);
        put_frame(out, &n, 0, text, 3);
    }
    raw_send(fd, out, n);
    rx_join(&r);
    for (int i = 0; i < 20; i++) {
        char text[8];
        snprintf(text, sizeof text, "m%02d", i);
        rx_expect(&r, i, text, 0);
    }
    rx_free(&r);
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

/* The peer goes away (FIN, or RST) while the receiver is blocked: the receive times out, and the socket
 * then serves a new peer. */
static void peer_vanishes_while_blocked(void)
{
    for (int reset = 0; reset < 2; reset++) {
        void *ctx = zmq_ctx_new();
        void *dealer = bound_dealer(ctx, 800);
        int fd = raw_dealer(dealer);
        struct receiver r;
        rx_start(&r, dealer, 1);
        if (reset) {
            struct linger lg = {1, 0};
            CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
        }
        close(fd);
        rx_join(&r);
        CHECK_EQ(r.len[0], -1);
        CHECK_EQ(r.err[0], EAGAIN);
        rx_free(&r);
        set_int(dealer, ZMQ_RCVTIMEO, 5000);
        fd = raw_dealer(dealer);
        rx_start(&r, dealer, 1);
        raw_send_frame(fd, 0, "again", 5);
        rx_join(&r);
        rx_expect(&r, 0, "again", 0);
        rx_free(&r);
        close(fd);
        zmq_close(dealer);
        zmq_ctx_term(ctx);
    }
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* A signal ends a blocked zmq_recv with EINTR; the socket still works after it. */
static void signal_interrupts_blocked_recv(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;   /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    void *ctx = zmq_ctx_new();
    void *dealer = bound_dealer(ctx, -1);
    int fd = raw_dealer(dealer);
    struct receiver r;
    rx_start(&r, dealer, 1);
    CHECK_EQ(pthread_kill(r.thread, SIGUSR1), 0);
    rx_join(&r);
    CHECK_EQ(r.len[0], -1);
    CHECK_EQ(r.err[0], EINTR);
    rx_free(&r);
    rx_start(&r, dealer, 1);
    raw_send_frame(fd, 0, "after", 5);
    rx_join(&r);
    rx_expect(&r, 0, "after", 0);
    rx_free(&r);
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
    CHECK_OK(sigaction(SIGUSR1, &old, NULL));
}

/* zmq_ctx_shutdown ends a zmq_recv blocked with no timeout: ETERM. */
static void shutdown_ends_blocked_recv(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = bound_dealer(ctx, -1);
    int fd = raw_dealer(dealer);
    struct receiver r;
    rx_start(&r, dealer, 1);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    rx_join(&r);
    CHECK_EQ(r.len[0], -1);
    CHECK_EQ(r.err[0], ETERM);
    rx_free(&r);
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

/* Our heartbeat (every 50 ms) keeps going while the receiver is blocked; the peer answers, the connection
 * stays up past the timeout, and a message sent later arrives. */
static void heartbeats_flow_while_blocked(void)
{
    void *ctx = zmq_ctx_new();
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    set_int(dealer, ZMQ_HEARTBEAT_IVL, 50);
    set_int(dealer, ZMQ_HEARTBEAT_TIMEOUT, 300);
    set_int(dealer, ZMQ_RCVTIMEO, 5000);
    CHECK_OK(zmq_bind(dealer, "tcp://127.0.0.1:*"));
    int fd = raw_dealer(dealer);
    struct receiver r;
    rx_start(&r, dealer, 1);
    int pings = 0;
    int64_t until = now_ms() + 700;
    while (now_ms() < until) {
        uint8_t flags, body[255];
        int n = raw_recv_frame(fd, NULL, &flags, body, sizeof body, 500);
        CHECK(n >= 7);
        CHECK(memcmp(body, "\4PING", 5) == 0);
        pings++;
        raw_send_command(fd, "PONG", body + 7, (size_t)n - 7);
    }
    CHECK(pings >= 5);
    raw_send_frame(fd, 0, "late", 4);
    rx_join(&r);
    rx_expect(&r, 0, "late", 0);
    rx_free(&r);
    close(fd);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

/* A SUB blocked in zmq_recv gets what matches its subscription and nothing else, and answers a PING. */
static void sub_filters_while_blocked(void)
{
    void *ctx = zmq_ctx_new();
    void *sub = test_socket(ctx, ZMQ_SUB);
    set_int(sub, ZMQ_RCVTIMEO, 5000);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "a", 1));
    CHECK_OK(zmq_bind(sub, "tcp://127.0.0.1:*"));
    int fd = raw_peer_ready(sub, "PUB");
    uint8_t flags, body[255];
    CHECK_EQ(raw_recv_frame(fd, sub, &flags, body, sizeof body, 2000), 11);   /* pumped: sent on attach */
    CHECK_EQ(flags, 0x04);
    CHECK(memcmp(body, "\x09SUBSCRIBEa", 11) == 0);
    struct receiver r;
    rx_start(&r, sub, 2);
    uint8_t out[64];
    size_t n = 0;
    put_frame(out, &n, 0, "b1", 2);
    put_frame(out, &n, 0, "a1", 2);
    raw_send(fd, out, n);
    msleep(50);
    n = 0;
    put_ping(out, &n, "sub");
    put_frame(out, &n, 0, "b2", 2);
    put_frame(out, &n, 0, "a2", 2);
    raw_send(fd, out, n);
    raw_expect_pong(fd, "sub");
    rx_join(&r);
    rx_expect(&r, 0, "a1", 0);
    rx_expect(&r, 1, "a2", 0);
    rx_free(&r);
    close(fd);
    zmq_close(sub);
    zmq_ctx_term(ctx);
}

/* ---- two sockets, many rounds --------------------------------------------------------------------------- */
/* A message of round i: mostly small, every 50th 100 KB, every 7th in two parts. */
static size_t round_size(int i)
{
    return i % 50 == 49 ? 100 * 1024 : 16 + (size_t)(i % 40);
}

static void fill_round(unsigned char *buf, size_t size, int i)
{
    for (size_t k = 0; k < size; k++)
        buf[k] = (unsigned char)(i + k);
}

static void check_round(const unsigned char *buf, int len, int i)
{
    CHECK_EQ(len, (int)round_size(i));
    for (int k = 0; k < len; k++)
        if (buf[k] != (unsigned char)(i + k))
            CHECK(!"corrupt message");
}

#define ROUNDS 3000

struct echo_args {
    void *rep;
};

static void *echo_main(void *arg)
{
    struct echo_args *a = arg;
    unsigned char *buf = malloc(RX_CAP);
    CHECK(buf != NULL);
    for (int i = 0; i < ROUNDS; i++) {
        int more = 0;
        size_t have = 0;
        do {
            int n = zmq_recv(a->rep, buf + have, RX_CAP - have, 0);
            CHECK(n >= 0);
            have += (size_t)n;
            more = rcvmore(a->rep);
        } while (more);
        CHECK_EQ(zmq_send(a->rep, buf, have, 0), (int)have);
    }
    free(buf);
    return NULL;
}

/* REQ/REP over tcp and ipc, both ends heartbeating every millisecond (so the I/O threads keep taking the
 * receive back from the blocked threads), messages of mixed sizes and shapes: every reply is the request.
 * With small kernel buffers (sockbuf > 0: ZMQ_SNDBUF and ZMQ_RCVBUF) a large message never goes out in one
 * write, so a send from the application thread leaves the rest to the I/O thread. */
static void request_reply(const char *transport, int sockbuf)
{
    void *ctx = zmq_ctx_new();
    char ep[256];
    void *rep = test_socket(ctx, ZMQ_REP);
    set_int(rep, ZMQ_HEARTBEAT_IVL, 1);
    set_int(rep, ZMQ_HEARTBEAT_TIMEOUT, 30000);   /* the default (the interval) would drop a slow peer */
    set_int(rep, ZMQ_RCVTIMEO, 10000);
    if (sockbuf) {
        set_int(rep, ZMQ_SNDBUF, sockbuf);
        set_int(rep, ZMQ_RCVBUF, sockbuf);
    }
    bind_transport(rep, transport, ep, sizeof ep);
    void *req = test_socket(ctx, ZMQ_REQ);
    set_int(req, ZMQ_HEARTBEAT_IVL, 1);
    set_int(req, ZMQ_HEARTBEAT_TIMEOUT, 30000);
    set_int(req, ZMQ_RCVTIMEO, 10000);
    if (sockbuf) {
        set_int(req, ZMQ_SNDBUF, sockbuf);
        set_int(req, ZMQ_RCVBUF, sockbuf);
    }
    CHECK_OK(zmq_connect(req, ep));
    struct echo_args a = {rep};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, echo_main, &a), 0);
    unsigned char *out = malloc(RX_CAP), *in = malloc(RX_CAP);
    CHECK(out && in);
    for (int i = 0; i < ROUNDS; i++) {
        size_t size = round_size(i);
        fill_round(out, size, i);
        if (i % 7 == 3) {
            CHECK_EQ(zmq_send(req, out, 5, ZMQ_SNDMORE), 5);
            CHECK_EQ(zmq_send(req, out + 5, size - 5, 0), (int)(size - 5));
        } else {
            CHECK_EQ(zmq_send(req, out, size, 0), (int)size);
        }
        int n = zmq_recv(req, in, RX_CAP, 0);
        check_round(in, n, i);
    }
    CHECK_EQ(pthread_join(t, NULL), 0);
    free(out);
    free(in);
    zmq_close(req);
    zmq_close(rep);
    zmq_ctx_term(ctx);
}

static void request_reply_rounds(const char *transport)
{
    request_reply(transport, 0);
}

static void request_reply_small_buffers(const char *transport)
{
    request_reply(transport, 4096);
}

/* PUSH to PULL in bursts with pauses (so the puller blocks between them, and a burst may arrive while it
 * is blocked), every message numbered: all arrive, in order. */
static void push_pull_bursts(const char *transport)
{
    void *ctx = zmq_ctx_new();
    char ep[256];
    void *pull = test_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_RCVTIMEO, 10000);
    bind_transport(pull, transport, ep, sizeof ep);
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_HEARTBEAT_IVL, 1);
    set_int(push, ZMQ_HEARTBEAT_TIMEOUT, 30000);
    CHECK_OK(zmq_connect(push, ep));
    int total = 0;
    for (int burst = 0; burst < 40; burst++) {
        int count = 1 + burst * 13 % 200;
        for (int i = 0; i < count; i++) {
            int v = total + i;
            CHECK_EQ(zmq_send(push, &v, sizeof v, 0), (int)sizeof v);
        }
        for (int i = 0; i < count; i++) {
            int v = -1;
            CHECK_EQ(zmq_recv(pull, &v, sizeof v, 0), (int)sizeof v);
            CHECK_EQ(v, total + i);
        }
        total += count;
        if (burst % 8 == 0)
            msleep(5);
    }
    zmq_close(push);
    zmq_close(pull);
    zmq_ctx_term(ctx);
}

int main(void)
{
    test_begin(120);
    RUN(ping_is_answered_while_blocked);
    RUN(messages_and_commands_in_one_write);
    RUN(message_split_across_writes);
    RUN(large_message_while_blocked);
    RUN(large_frames_in_pieces);
    RUN(one_write_past_the_hwm);
    RUN(peer_vanishes_while_blocked);
    RUN(signal_interrupts_blocked_recv);
    RUN(shutdown_ends_blocked_recv);
    RUN(heartbeats_flow_while_blocked);
    RUN(sub_filters_while_blocked);
    RUN_ENGINE_TRANSPORTS(request_reply_rounds);
    RUN_ENGINE_TRANSPORTS(request_reply_small_buffers);
    RUN_ENGINE_TRANSPORTS(push_pull_bursts);
    return test_end();
}
