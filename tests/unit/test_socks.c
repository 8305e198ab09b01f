/* Unit tests for src/transport/socks.c: the SOCKS5 client handshake codec (RFC 1928). Every proxy reply is
 * fed whole, byte by byte, and from a guard page; refusals and malformed replies are errors, never reads
 * past what the codec asked for. */
#include "unit.h"

#include "transport/socks.h"

static struct unit_guard guard;

/* Feeds reply to sc one byte at a time from the guard page, as the engine does when the proxy is slow.
 * Returns the codec's last result. */
static int feed_bytewise(struct socks_client *sc, const uint8_t *reply, size_t len)
{
    int rc = 0;
    for (size_t i = 0; i < len; i++) {
        CHECK(socks_client_want(sc) >= 1);
        const uint8_t *p = unit_guard_place(&guard, reply + i, 1);
        rc = socks_client_input(sc, p, 1);
        if (rc != 0)
            return rc;
    }
    return rc;
}

/* Feeds reply in the largest pieces the codec allows. */
static int feed_wanted(struct socks_client *sc, const uint8_t *reply, size_t len)
{
    size_t off = 0;
    int rc = 0;
    while (off < len) {
        size_t want = socks_client_want(sc);
        CHECK(want >= 1);
        if (want == 0)
            return -100;
        size_t n = want < len - off ? want : len - off;
        const uint8_t *p = unit_guard_place(&guard, reply + off, n);
        rc = socks_client_input(sc, p, n);
        off += n;
        if (rc != 0)
            return rc;
    }
    return rc;
}

static void test_greeting_offers_no_auth(void)
{
    struct socks_client sc;
    CHECK_EQ(socks_client_init(&sc, "127.0.0.1:5555"), 0);
    static const uint8_t want[] = {5, 1, 0};
    CHECK_MEM(sc.out, sc.out_len, want, sizeof want);
    CHECK_EQU(socks_client_want(&sc), 2);
}

static void test_request_encodings(void)
{
    uint8_t buf[SOCKS_REQUEST_MAX];
    static const uint8_t v4[] = {5, 1, 0, 1, 127, 0, 0, 1, 0x15, 0xB3};
    CHECK_EQ(socks_encode_request("127.0.0.1:5555", buf, sizeof buf), (int)sizeof v4);
    CHECK_MEM(buf, sizeof v4, v4, sizeof v4);

    static const uint8_t v6[] = {5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x50};
    CHECK_EQ(socks_encode_request("[::1]:80", buf, sizeof buf), (int)sizeof v6);
    CHECK_MEM(buf, sizeof v6, v6, sizeof v6);

    static const uint8_t dom[] = {5, 1, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0x01, 0x00};
    CHECK_EQ(socks_encode_request("localhost:256", buf, sizeof buf), (int)sizeof dom);
    CHECK_MEM(buf, sizeof dom, dom, sizeof dom);

    /* a name of 255 bytes fits; 256 does not; no port, port 0 or "*" cannot be requested */
    char name[300];
    memset(name, 'a', 255);
    strcpy(name + 255, ":1");
    CHECK_EQ(socks_encode_request(name, buf, sizeof buf), 4 + 1 + 255 + 2);
    memset(name, 'a', 256);
    strcpy(name + 256, ":1");
    CHECK_EQ(socks_encode_request(name, buf, sizeof buf), SOCKS_E_ADDRESS);
    CHECK_EQ(socks_encode_request("host", buf, sizeof buf), SOCKS_E_ADDRESS);
    CHECK_EQ(socks_encode_request("host:0", buf, sizeof buf), SOCKS_E_ADDRESS);
    CHECK_EQ(socks_encode_request("host:*", buf, sizeof buf), SOCKS_E_ADDRESS);
    CHECK_EQ(socks_encode_request(":80", buf, sizeof buf), SOCKS_E_ADDRESS);
    CHECK_EQ(socks_encode_request("127.0.0.1:1", buf, 10), SOCKS_E_ADDRESS);   /* buffer too small */
}

/* The whole exchange: method reply, request queued, then a success reply of each address type. */
static void run_success(const uint8_t *reply, size_t len, int bytewise)
{
    struct socks_client sc;
    CHECK_EQ(socks_client_init(&sc, "10.1.2.3:7000"), 0);
    static const uint8_t method[] = {5, 0};
    CHECK_EQ(bytewise ? feed_bytewise(&sc, method, 2) : feed_wanted(&sc, method, 2), 0);
    static const uint8_t req[] = {5, 1, 0, 1, 10, 1, 2, 3, 0x1B, 0x58};
    CHECK_MEM(sc.out, sc.out_len, req, sizeof req);
    CHECK_EQ(bytewise ? feed_bytewise(&sc, reply, len) : feed_wanted(&sc, reply, len), 1);
    CHECK_EQ(sc.step, SOCKS_DONE);
    CHECK_EQU(socks_client_want(&sc), 0);
    CHECK_EQU(sc.out_len, 0);
}

static void test_success_replies(void)
{
    static const uint8_t r4[] = {5, 0, 0, 1, 1, 2, 3, 4, 0, 80};
    static const uint8_t r6[] = {5, 0, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 80};
    static const uint8_t rd[] = {5, 0, 0, 3, 3, 'a', 'b', 'c', 0, 80};
    static const uint8_t rd0[] = {5, 0, 0, 3, 0, 0, 80};   /* an empty name still has a well-defined length */
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        run_success(r4, sizeof r4, bytewise);
        run_success(r6, sizeof r6, bytewise);
        run_success(rd, sizeof rd, bytewise);
        run_success(rd0, sizeof rd0, bytewise);
    }
    /* the longest reply: a 255-byte name */
    uint8_t big[SOCKS_REPLY_MAX];
    big[0] = 5, big[1] = 0, big[2] = 0, big[3] = 3, big[4] = 255;
    memset(big + 5, 'x', 255);
    big[260] = 0, big[261] = 1;
    run_success(big, sizeof big, 0);
}

/* The codec never asks for a byte beyond the reply: what follows it belongs to ZMTP. */
static void test_want_stops_at_reply_end(void)
{
    struct socks_client sc;
    CHECK_EQ(socks_client_init(&sc, "1.2.3.4:1"), 0);
    CHECK_EQU(socks_client_want(&sc), 2);
    static const uint8_t method[] = {5, 0};
    CHECK_EQ(socks_client_input(&sc, method, 2), 0);
    CHECK_EQU(socks_client_want(&sc), 5);
    static const uint8_t head[] = {5, 0, 0, 1, 9};
    CHECK_EQ(socks_client_input(&sc, head, 5), 0);
    CHECK_EQU(socks_client_want(&sc), 5);
    /* more than wanted is refused without touching the buffer */
    static const uint8_t six[] = {1, 1, 1, 0, 80, 0xFF};
    CHECK_EQ(socks_client_input(&sc, six, 6), SOCKS_E_MALFORMED);
}

static int run_failure(const uint8_t *method, const uint8_t *reply, size_t len)
{
    struct socks_client sc;
    CHECK_EQ(socks_client_init(&sc, "1.2.3.4:1"), 0);
    int rc = feed_wanted(&sc, method, 2);
    if (rc != 0 || !reply)
        return rc;
    return feed_wanted(&sc, reply, len);
}

static void test_refusals_and_bad_replies(void)
{
    static const uint8_t ok[] = {5, 0};
    static const uint8_t refused[] = {5, 0xFF};
    static const uint8_t gssapi[] = {5, 1};    /* a method we never offered */
    static const uint8_t socks4[] = {4, 0};
    CHECK_EQ(run_failure(refused, NULL, 0), SOCKS_E_METHOD);
    CHECK_EQ(run_failure(gssapi, NULL, 0), SOCKS_E_METHOD);
    CHECK_EQ(run_failure(socks4, NULL, 0), SOCKS_E_VERSION);
    for (uint8_t rep = 1; rep <= 8; rep++) {
        uint8_t r[] = {5, rep, 0, 1, 0, 0, 0, 0, 0, 0};
        CHECK_EQ(run_failure(ok, r, sizeof r), SOCKS_E_REFUSED);
    }
    static const uint8_t badver[] = {4, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    static const uint8_t badrsv[] = {5, 0, 1, 1, 0, 0, 0, 0, 0, 0};
    static const uint8_t badatyp[] = {5, 0, 0, 2, 0, 0, 0, 0, 0, 0};
    static const uint8_t atyp_ff[] = {5, 0, 0, 0xFF, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(run_failure(ok, badver, sizeof badver), SOCKS_E_VERSION);
    CHECK_EQ(run_failure(ok, badrsv, sizeof badrsv), SOCKS_E_MALFORMED);
    CHECK_EQ(run_failure(ok, badatyp, sizeof badatyp), SOCKS_E_MALFORMED);
    CHECK_EQ(run_failure(ok, atyp_ff, sizeof atyp_ff), SOCKS_E_MALFORMED);
    /* a truncated reply is simply incomplete */
    static const uint8_t part[] = {5, 0, 0, 1, 1, 2};
    CHECK_EQ(run_failure(ok, part, sizeof part), 0);
}

/* Every possible 5-byte reply head: the length the codec derives never exceeds SOCKS_REPLY_MAX. */
static void test_reply_length_bounded(void)
{
    uint8_t head[5] = {5, 0, 0, 0, 0};
    for (int atyp = 0; atyp < 256; atyp++) {
        for (int n = 0; n < 256; n++) {
            head[3] = (uint8_t)atyp;
            head[4] = (uint8_t)n;
            const uint8_t *p = unit_guard_place(&guard, head, sizeof head);
            int len = socks_reply_length(p, sizeof head);
            CHECK(len < 0 || (len >= 7 && len <= SOCKS_REPLY_MAX));
        }
    }
    for (size_t len = 0; len < 5; len++)
        CHECK_EQ(socks_reply_length(unit_guard_place(&guard, head, len), len), 0);
}

int main(void)
{
    unit_guard_init(&guard);
    test_greeting_offers_no_auth();
    test_request_encodings();
    test_success_replies();
    test_want_stops_at_reply_end();
    test_refusals_and_bad_replies();
    test_reply_length_bounded();
    unit_guard_fini(&guard);
    return unit_summary("test_socks");
}
