/* Unit tests for the ws:// codecs (src/transport/ws_sha1.c, ws_http.c, ws_frame.c): SHA-1 against RFC
 * 3174's vectors, base64 against RFC 4648's, the accept key against RFC 6455's example, the HTTP upgrade
 * parser with every limit and from a guard page, and the frame header in each length form. */
#include "unit.h"

#include "transport/ws_codec.h"

static struct unit_guard guard;

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02X", d[i]);
}

static void check_sha1(const char *text, size_t repeat, const char *want)
{
    size_t n = strlen(text);
    uint8_t *buf = malloc(n * repeat + 1);
    for (size_t i = 0; i < repeat; i++)
        memcpy(buf + i * n, text, n);
    uint8_t d[WS_SHA1_SIZE];
    ws_sha1(buf, n * repeat, d);
    char h[41];
    hex(d, sizeof d, h);
    CHECK_MEM(h, 40, want, strlen(want));
    free(buf);
}

/* RFC 3174 section 7.3's four tests, plus the empty string and the block-boundary lengths 55, 56, 64. */
static void test_sha1_vectors(void)
{
    check_sha1("abc", 1, "A9993E364706816ABA3E25717850C26C9CD0D89D");
    check_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
               "84983E441C3BD26EBAAE4AA1F95129E5E54670F1");
    check_sha1("a", 1000000, "34AA973CD4C4DAA4F61EEB2BDBAD27316534016F");
    check_sha1("01234567012345670123456701234567", 20, "DEA356A2CDDD90C7A7ECEDC5EBB563934F460452");
    check_sha1("", 1, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
    check_sha1("a", 55, "C1C8BBDC22796E28C0E15163D20899B65621D65A");
    check_sha1("a", 56, "C2DB330F6083854C99D4B5BFB6E8F29F201BE699");
    check_sha1("a", 64, "0098BA824B5C16427BD7A1122A5A442A25EC644D");
}

static void test_base64(void)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char buf[16];
    for (int i = 0; i < 7; i++) {
        int n = ws_base64((const uint8_t *)in[i], strlen(in[i]), buf, sizeof buf);
        CHECK_EQ(n, (int)strlen(out[i]));
        CHECK_MEM(buf, (size_t)n, out[i], strlen(out[i]));
    }
    CHECK_EQ(ws_base64((const uint8_t *)"foobar", 6, buf, 8), -1);   /* 8 chars need 9 with the NUL */
    CHECK_EQ(ws_base64((const uint8_t *)"foobar", 6, buf, 9), 8);
}

/* RFC 6455 section 1.3's example. */
static void test_accept_key(void)
{
    char acc[WS_ACCEPT_SIZE + 1];
    ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc);
    CHECK_MEM(acc, strlen(acc), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28);
}

static const char request[] = "GET /chat HTTP/1.1\r\n"
                              "Host: server.example.com\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: keep-alive, Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Protocol: chat, ZWS2.0/NULL\r\n"
                              "Sec-WebSocket-Protocol: ZWS2.0\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n\x82";

/* From the guard page when it fits one, else from a heap copy of exactly len bytes (ASan's guard). */
static int parse_at_guard(const char *text, size_t len, bool req, struct ws_http_head *h)
{
    if (len <= 4096)
        return ws_http_parse(unit_guard_place(&guard, text, len), len, req, h);
    uint8_t *copy = malloc(len);
    memcpy(copy, text, len);
    int rc = ws_http_parse(copy, len, req, h);
    free(copy);
    return rc;
}

static void test_request_parse(void)
{
    struct ws_http_head h;
    size_t head = strlen(request) - 1;   /* without the frame byte */
    for (size_t n = 0; n < head; n++)
        CHECK_EQ(parse_at_guard(request, n, true, &h), 0);
    CHECK_EQ(parse_at_guard(request, head + 1, true, &h), (int)head);
    CHECK_MEM(h.path, strlen(h.path), "/chat", 5);
    CHECK(h.upgrade_websocket && h.connection_upgrade && h.version_13);
    CHECK_MEM(h.key, strlen(h.key), "dGhlIHNhbXBsZSBub25jZQ==", 24);
    CHECK_MEM(h.protocols, strlen(h.protocols), "chat, ZWS2.0/NULL,ZWS2.0", 24);
    char proto[32];
    CHECK_EQ(ws_http_check_request(&h, "NULL", proto, sizeof proto), 0);
    CHECK_MEM(proto, strlen(proto), "ZWS2.0/NULL", 11);
    CHECK_EQ(ws_http_check_request(&h, "CURVE", proto, sizeof proto), WS_E_HTTP_PROTOCOL);
    /* the client's order decides; bare ZWS2.0 only for NULL */
    strcpy(h.protocols, "ZWS2.0 , ZWS2.0/NULL");
    CHECK_EQ(ws_http_check_request(&h, "NULL", proto, sizeof proto), 0);
    CHECK_MEM(proto, strlen(proto), "ZWS2.0", 6);
    strcpy(h.protocols, "ZWS2.0");
    CHECK_EQ(ws_http_check_request(&h, "PLAIN", proto, sizeof proto), WS_E_HTTP_PROTOCOL);
    strcpy(h.protocols, "ZWS2.0/PLAIN,ZWS2.0");
    CHECK_EQ(ws_http_check_request(&h, "PLAIN", proto, sizeof proto), 0);
    CHECK_MEM(proto, strlen(proto), "ZWS2.0/PLAIN", 12);
    strcpy(h.protocols, "zws2.0/null");
    CHECK_EQ(ws_http_check_request(&h, "NULL", proto, sizeof proto), WS_E_HTTP_PROTOCOL);
    h.version_13 = false;
    CHECK_EQ(ws_http_check_request(&h, "NULL", proto, sizeof proto), WS_E_HTTP_UPGRADE);
}

static void test_request_errors(void)
{
    struct ws_http_head h;
    static const char *const bad[] = {
        "POST / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "GET  HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon\r\n\r\n",
        "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\nX: y\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(parse_at_guard(bad[i], strlen(bad[i]), true, &h), WS_E_HTTP_SYNTAX);
    /* a key longer than its field */
    char big[WS_HTTP_MAX];
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nSec-WebSocket-Key: %0100d\r\n\r\n", 0);
    CHECK_EQ(parse_at_guard(big, (size_t)n, true, &h), WS_E_HTTP_SYNTAX);
    /* protocols beyond WS_PROTOCOLS_MAX */
    n = snprintf(big, sizeof big,
                 "GET / HTTP/1.1\r\nSec-WebSocket-Protocol: %0200d\r\nSec-WebSocket-Protocol: %0200d\r\n\r\n", 0, 0);
    CHECK_EQ(parse_at_guard(big, (size_t)n, true, &h), WS_E_HTTP_TOO_LONG);
    /* too many lines */
    size_t o = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < WS_HTTP_LINES_MAX; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, "X: y\r\n");
    o += (size_t)snprintf(big + o, sizeof big - o, "\r\n");
    CHECK_EQ(parse_at_guard(big, o, true, &h), WS_E_HTTP_TOO_LONG);
    /* no end within WS_HTTP_MAX bytes */
    memset(big, 'a', sizeof big);
    CHECK_EQ(parse_at_guard(big, sizeof big - 1, true, &h), 0);
    CHECK_EQ(parse_at_guard(big, sizeof big, true, &h), WS_E_HTTP_TOO_LONG);
}

static void test_response(void)
{
    char text[WS_HTTP_MAX];
    int n = ws_http_response(text, sizeof text, "dGhlIHNhbXBsZSBub25jZQ==", "ZWS2.0/NULL");
    static const char want[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                               "Sec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n";
    CHECK_MEM(text, (size_t)n, want, strlen(want));
    struct ws_http_head h;
    CHECK_EQ(parse_at_guard(text, (size_t)n, false, &h), n);
    CHECK_EQ(h.status, 101);
    CHECK_EQ(ws_http_check_response(&h, "dGhlIHNhbXBsZSBub25jZQ==", "NULL"), 0);
    CHECK_EQ(ws_http_check_response(&h, "AAAAAAAAAAAAAAAAAAAAAA==", "NULL"), WS_E_HTTP_ACCEPT);
    CHECK_EQ(ws_http_check_response(&h, "dGhlIHNhbXBsZSBub25jZQ==", "PLAIN"), WS_E_HTTP_PROTOCOL);
    n = ws_http_refusal(text, sizeof text);
    CHECK_EQ(parse_at_guard(text, (size_t)n, false, &h), n);
    CHECK_EQ(ws_http_check_response(&h, "x", "NULL"), WS_E_HTTP_STATUS);
    CHECK_EQ(parse_at_guard("HTTP/1.1 1x1 OK\r\n\r\n", 19, false, &h), WS_E_HTTP_SYNTAX);
    n = ws_http_request(text, sizeof text, "127.0.0.1:5555", "/p", "dGhlIHNhbXBsZSBub25jZQ==", "NULL");
    static const char req[] = "GET /p HTTP/1.1\r\nHost: 127.0.0.1:5555\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
    CHECK_MEM(text, (size_t)n, req, strlen(req));
    CHECK_EQ(ws_http_request(text, 10, "h", "/", "k", "NULL"), -1);
}

static void test_frame_forms(void)
{
    static const uint64_t lens[] = {0, 1, 125, 126, 65535, 65536, 0x7fffffffffffffffull};
    static const size_t heads[] = {2, 2, 2, 4, 4, 10, 10};
    uint8_t mask[4] = {1, 2, 3, 4}, out[WS_FRAME_HEAD_MAX];
    for (int m = 0; m < 2; m++) {
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            size_t n = ws_frame_head_write(out, WS_OP_BINARY, lens[i], m ? mask : NULL);
            CHECK_EQU(n, heads[i] + (m ? 4 : 0));
            struct ws_frame_head h;
            for (size_t k = 0; k < n; k++)
                CHECK_EQ(ws_frame_parse(unit_guard_place(&guard, out, k), k, &h), 0);
            CHECK_EQ(ws_frame_parse(unit_guard_place(&guard, out, n), n, &h), (int)n);
            CHECK_EQU(h.len, lens[i]);
            CHECK(h.fin && h.opcode == WS_OP_BINARY && h.masked == (m == 1) && h.rsv == 0);
            if (m)
                CHECK_MEM(h.mask, 4, mask, 4);
        }
    }
    /* the top bit of a 64-bit length */
    uint8_t bad[10] = {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0};
    struct ws_frame_head h;
    CHECK_EQ(ws_frame_parse(unit_guard_place(&guard, bad, 10), 10, &h), WS_E_FRAME_LENGTH);
    /* RFC 6455 5.7's examples: a masked "Hello" */
    static const uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    CHECK_EQ(ws_frame_parse(hello, sizeof hello, &h), 6);
    uint8_t text[5];
    ws_mask(text, hello + 6, 5, h.mask, 0);
    CHECK_MEM(text, 5, "Hello", 5);
    CHECK_EQ(ws_frame_check(&h, true, -1), WS_E_FRAME_OPCODE);   /* text: not ZWS */
}

static void test_frame_check(void)
{
    struct ws_frame_head h = {.fin = true, .opcode = WS_OP_BINARY, .masked = true, .len = 101};
    CHECK_EQ(ws_frame_check(&h, true, -1), 0);
    CHECK_EQ(ws_frame_check(&h, true, 100), 0);          /* 100 bytes after the flags byte */
    CHECK_EQ(ws_frame_check(&h, true, 99), WS_E_FRAME_TOO_BIG);
    CHECK_EQ(ws_frame_check(&h, false, -1), WS_E_FRAME_MASK);
    h.len = 0;
    CHECK_EQ(ws_frame_check(&h, true, -1), WS_E_FRAME_LENGTH);
    h.len = 1;
    h.rsv = 4;
    CHECK_EQ(ws_frame_check(&h, true, -1), WS_E_FRAME_RESERVED);
    h.rsv = 0;
    h.fin = false;
    CHECK_EQ(ws_frame_check(&h, true, -1), WS_E_FRAME_FRAGMENT);
    h.fin = true;
    h.opcode = WS_OP_CONT;
    CHECK_EQ(ws_frame_check(&h, true, -1), WS_E_FRAME_FRAGMENT);
    h.opcode = 3;
    CHECK_EQ(ws_frame_check(&h, true, -1), WS_E_FRAME_OPCODE);
    h.opcode = WS_OP_PING;
    h.len = 125;
    CHECK_EQ(ws_frame_check(&h, true, -1), 0);
    h.len = 126;
    CHECK_EQ(ws_frame_check(&h, true, -1), WS_E_FRAME_CONTROL);
    h.len = 0;
    h.fin = false;
    CHECK_EQ(ws_frame_check(&h, true, -1), WS_E_FRAME_CONTROL);
    CHECK(strlen(ws_strerror(WS_E_FRAME_TOO_BIG)) > 0);
}

int main(void)
{
    unit_guard_init(&guard);
    test_sha1_vectors();
    test_base64();
    test_accept_key();
    test_request_parse();
    test_request_errors();
    test_response();
    test_frame_forms();
    test_frame_check();
    unit_guard_fini(&guard);
    return unit_summary("test_ws_codec");
}
