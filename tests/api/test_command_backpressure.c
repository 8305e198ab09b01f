/* Commands wait for room like data does; none is dropped when an output buffer is full. A raw ZMTP 3.1
 * peer that stops reading for a while must still get, once it reads again:
 *  - every SUBSCRIBE of a SUB socket (100,000 subscriptions of 100-byte topics), and
 *  - a PONG for every PING it sent (100,000 PINGs, each answered with its own context, in order).
 * libzmq 4.3.4 loses neither; the test passes against it too. */
#include "rawpeer.h"

#include <fcntl.h>
#include <stdbool.h>

#define SUBSCRIPTIONS 100000
#define TOPIC_LEN 100
#define PINGS 100000

/* ---- a byte stream reader that parses ZMTP frames --------------------------------------------------- */
struct reader {
    int fd;
    uint8_t buf[1 << 16];
    size_t pos, len;
};

/* Makes sure n bytes are buffered, reading with a deadline. false on timeout or EOF. */
static bool reader_fill(struct reader *r, size_t n, int64_t deadline)
{
    if (r->len - r->pos >= n)
        return true;
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
    while (r->len < n) {
        int64_t left = deadline - now_ms();
        struct pollfd p = {r->fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return false;
        ssize_t got = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
        if (got <= 0)
            return false;
        r->len += (size_t)got;
    }
    return true;
}

/* Reads one frame (short or long); body points into the reader's buffer until the next call. */
static bool read_frame(struct reader *r, uint8_t *flags, const uint8_t **body, size_t *size, int64_t deadline)
{
    if (!reader_fill(r, 2, deadline))
        return false;
    *flags = r->buf[r->pos];
    size_t hdr = (*flags & 0x02) ? 9 : 2;
    if (!reader_fill(r, hdr, deadline))
        return false;
    uint64_t n = 0;
    if (hdr == 2) {
        n = r->buf[r->pos + 1];
    } else {
        for (int i = 1; i < 9; i++)
            n = n << 8 | r->buf[r->pos + (size_t)i];
    }
    CHECK(n + hdr <= sizeof r->buf);
    if (!reader_fill(r, hdr + (size_t)n, deadline))
        return false;
    *body = r->buf + r->pos + hdr;
    *size = (size_t)n;
    r->pos += hdr + (size_t)n;
    return true;
}

/* Greeting and READY both ways; returns after the socket's READY. */
static void handshake(struct reader *r, const char *our_type)
{
    int64_t deadline = now_ms() + 5000;
    raw_send_greeting(r->fd, 1);
    CHECK(reader_fill(r, 64, deadline));
    CHECK_EQ(r->buf[r->pos], 0xff);
    r->pos += 64;
    raw_send_ready(r->fd, our_type);
    uint8_t flags;
    const uint8_t *body;
    size_t size;
    CHECK(read_frame(r, &flags, &body, &size, deadline));
    CHECK_EQ(flags, 0x04);
    CHECK(size > 6 && memcmp(body, "\5READY", 6) == 0);
}

static void make_topic(uint8_t topic[TOPIC_LEN], int i)
{
    memset(topic, 'a' + i % 26, TOPIC_LEN);
    snprintf((char *)topic, TOPIC_LEN, "topic-%08d", i);
    topic[14] = '.';   /* overwrite snprintf's NUL: every byte is part of the topic */
}

/* The SUB connects to a raw publisher that reads nothing until all subscriptions are made. */
static void every_subscription_reaches_a_slow_publisher(void)
{
    int port = 0;
    int lfd = raw_listen(&port);

    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *sub = test_socket(ctx, ZMQ_SUB);
    /* libzmq counts subscriptions against ZMQ_SNDHWM and drops those past it (4.3.4 keeps 1,000 of
     * 100,000 with the default); with no limit neither library may lose any. */
    set_int(sub, ZMQ_SNDHWM, 0);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_OK(zmq_connect(sub, ep));
    static struct reader r;
    r.fd = accept(lfd, NULL, NULL);
    CHECK(r.fd >= 0);
    handshake(&r, "PUB");

    uint8_t topic[TOPIC_LEN];
    for (int i = 0; i < SUBSCRIPTIONS; i++) {
        make_topic(topic, i);
        CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, TOPIC_LEN));
    }
    msleep(200);   /* the publisher reads nothing meanwhile: 11 MB of commands back up */

    int seen = 0;
    while (seen < SUBSCRIPTIONS) {
        uint8_t flags;
        const uint8_t *body;
        size_t size;
        if (!read_frame(&r, &flags, &body, &size, now_ms() + 5000))
            break;
        const uint8_t *t;
        size_t tlen;
        if (flags == 0x04 && size > 10 && memcmp(body, "\x09SUBSCRIBE", 10) == 0) {
            t = body + 10;
            tlen = size - 10;
        } else if (flags == 0 && size >= 1 && body[0] == 1) {   /* the message form, if a peer gets that */
            t = body + 1;
            tlen = size - 1;
        } else {
            continue;
        }
        make_topic(topic, seen);
        CHECK_MEM(t, tlen, topic, TOPIC_LEN);   /* all of them, in order */
        seen++;
    }
    printf("  %d of %d subscriptions arrived\n", seen, SUBSCRIPTIONS);
    CHECK_EQ(seen, SUBSCRIPTIONS);
    close(r.fd);
    close(lfd);
    CHECK_OK(zmq_close(sub));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A raw peer floods PINGs without reading, then reads: every PING has its PONG, contexts in order. */
static void every_ping_gets_its_pong(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    char ep[256];
    bind_ephemeral(dealer, ep, sizeof ep);
    static struct reader r;
    r.pos = r.len = 0;
    r.fd = raw_connect(ep);
    handshake(&r, "DEALER");
    CHECK_OK(fcntl(r.fd, F_SETFL, fcntl(r.fd, F_GETFL) | O_NONBLOCK));

    /* Each PING: 0x04, size 11, "\4PING", TTL 0, a 4-byte counter as context. */
    static uint8_t out[PINGS * 13];
    for (uint32_t i = 0; i < PINGS; i++) {
        uint8_t *f = out + (size_t)i * 13;
        f[0] = 0x04;
        f[1] = 11;
        memcpy(f + 2, "\4PING", 5);
        f[7] = f[8] = 0;
        f[9] = (uint8_t)(i >> 24);
        f[10] = (uint8_t)(i >> 16);
        f[11] = (uint8_t)(i >> 8);
        f[12] = (uint8_t)i;
    }
    size_t sent = 0;
    uint32_t pongs = 0;
    bool reading = false;   /* first flood until the kernel refuses more, only then start reading */
    int64_t deadline = now_ms() + 60000;
    while (pongs < PINGS && now_ms() < deadline) {
        if (sent < sizeof out) {
            ssize_t n = send(r.fd, out + sent, sizeof out - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            else if (errno == EAGAIN)
                reading = true;
            else
                CHECK(n >= 0);
        } else {
            reading = true;
        }
        if (!reading)
            continue;
        uint8_t flags;
        const uint8_t *body;
        size_t size;
        int64_t wait_until = now_ms() + (sent < sizeof out ? 5 : 5000);
        while (pongs < PINGS && (r.len - r.pos >= 2 || sent == sizeof out) &&
               read_frame(&r, &flags, &body, &size, wait_until)) {
            CHECK_EQ(flags, 0x04);
            CHECK_EQ(size, 9);
            CHECK(memcmp(body, "\4PONG", 5) == 0);
            uint32_t n = (uint32_t)body[5] << 24 | (uint32_t)body[6] << 16 | (uint32_t)body[7] << 8 | body[8];
            CHECK_EQ(n, pongs);
            pongs++;
        }
        /* drain what arrived without blocking, so the library's writes keep moving */
        struct pollfd p = {r.fd, POLLIN, 0};
        if (sent < sizeof out && poll(&p, 1, 0) > 0 && r.len - r.pos < 2) {
            if (r.pos == r.len)
                r.pos = r.len = 0;
            ssize_t got = recv(r.fd, r.buf + r.len, sizeof r.buf - r.len, 0);
            if (got > 0)
                r.len += (size_t)got;
        }
    }
    printf("  %u PONGs for %d PINGs\n", pongs, PINGS);
    CHECK_EQ(pongs, PINGS);
    close(r.fd);
    CHECK_OK(zmq_close(dealer));
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(150);
    RUN(every_subscription_reaches_a_slow_publisher);
    RUN(every_ping_gets_its_pong);
    return test_end();
}
