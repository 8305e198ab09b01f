/* The HTTP/1.1 upgrade of RFC 6455 section 4 as ZWS 2.0 uses it: the client's GET with its key and the
 * subprotocol "ZWS2.0/<mechanism>", the server's 101 with the accept key and the chosen subprotocol. Pure
 * code over a buffer (ws_codec.h invariants 1 and 2): the whole head must arrive within WS_HTTP_MAX bytes
 * and WS_HTTP_LINES_MAX lines; every field is copied only after its length was checked against its array. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "transport/ws_codec.h"

const char *ws_strerror(int code)
{
    switch (code) {
    case WS_E_HTTP_TOO_LONG: return "ws: HTTP head too long";
    case WS_E_HTTP_SYNTAX: return "ws: malformed HTTP head";
    case WS_E_HTTP_STATUS: return "ws: server refused the upgrade";
    case WS_E_HTTP_UPGRADE: return "ws: not a WebSocket upgrade";
    case WS_E_HTTP_PROTOCOL: return "ws: no common ZWS2.0 subprotocol";
    case WS_E_HTTP_ACCEPT: return "ws: wrong Sec-WebSocket-Accept";
    case WS_E_FRAME_RESERVED: return "ws: reserved bits set";
    case WS_E_FRAME_OPCODE: return "ws: unexpected opcode";
    case WS_E_FRAME_CONTROL: return "ws: bad control frame";
    case WS_E_FRAME_LENGTH: return "ws: bad frame length";
    case WS_E_FRAME_MASK: return "ws: wrong masking";
    case WS_E_FRAME_FRAGMENT: return "ws: fragmented message";
    case WS_E_FRAME_TOO_BIG: return "ws: message over ZMQ_MAXMSGSIZE";
    default: return "ws: error";
    }
}

/* The end of the head ("\r\n\r\n" included) within the first WS_HTTP_MAX bytes: its length, 0 or < 0. */
static int head_length(const uint8_t *buf, size_t len)
{
    size_t lim = len < WS_HTTP_MAX ? len : WS_HTTP_MAX;
    for (size_t i = 3; i < lim; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
            return (int)i + 1;
    return len >= WS_HTTP_MAX ? WS_E_HTTP_TOO_LONG : 0;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The next comma-separated token of list[0..n) from *pos on, trimmed of optional whitespace: its bounds in
 * *start and *end; *pos moves past it. false when the list is used up. */
static bool next_token(const char *list, size_t n, size_t *pos, size_t *start, size_t *end)
{
    if (*pos >= n)
        return false;
    size_t j = *pos;
    while (j < n && list[j] != ',')
        j++;
    size_t a = *pos, b = j;
    while (a < b && is_ows(list[a]))
        a++;
    while (b > a && is_ows(list[b - 1]))
        b--;
    *start = a;
    *end = b;
    *pos = j + 1;
    return true;
}

/* Is tok (case-insensitive) one of the comma-separated tokens of list[0..n)? */
static bool has_token(const char *list, size_t n, const char *tok)
{
    size_t tl = strlen(tok), pos = 0, a, b;
    while (next_token(list, n, &pos, &a, &b))
        if (b - a == tl && strncasecmp(list + a, tok, tl) == 0)
            return true;
    return false;
}

/* Copies v[0..n) with a NUL into out[cap]; false if it does not fit. */
static bool copy_field(char *out, size_t cap, const char *v, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(out, v, n);
    out[n] = 0;
    return true;
}

static bool name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* One "Name: value" line (without its CRLF). 0 or a WS_E_ code. */
static int header_line(const char *line, size_t n, struct ws_http_head *h)
{
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line)
        return WS_E_HTTP_SYNTAX;
    size_t nl = (size_t)(colon - line);
    for (size_t i = 0; i < nl; i++)
        if (line[i] <= ' ' || line[i] >= 0x7f)
            return WS_E_HTTP_SYNTAX;
    const char *v = colon + 1, *end = line + n;
    while (v < end && is_ows(*v))
        v++;
    while (end > v && is_ows(end[-1]))
        end--;
    size_t vl = (size_t)(end - v);
    if (name_is(line, nl, "Upgrade"))
        h->upgrade_websocket |= has_token(v, vl, "websocket");
    else if (name_is(line, nl, "Connection"))
        h->connection_upgrade |= has_token(v, vl, "upgrade");
    else if (name_is(line, nl, "Sec-WebSocket-Version"))
        h->version_13 = vl == 2 && memcmp(v, "13", 2) == 0;
    else if (name_is(line, nl, "Sec-WebSocket-Key") || name_is(line, nl, "Sec-WebSocket-Accept")) {
        if (!copy_field(h->key, sizeof h->key, v, vl))
            return WS_E_HTTP_SYNTAX;
    } else if (name_is(line, nl, "Sec-WebSocket-Protocol")) {
        size_t have = strlen(h->protocols);
        if (have && !copy_field(h->protocols + have, sizeof h->protocols - have, ",", 1))
            return WS_E_HTTP_TOO_LONG;
        have += have ? 1 : 0;
        if (!copy_field(h->protocols + have, sizeof h->protocols - have, v, vl))
            return WS_E_HTTP_TOO_LONG;
    }
    return 0;
}

/* "GET <path> HTTP/1.1" */
static int request_line(const char *line, size_t n, struct ws_http_head *h)
{
    if (n < 14 || memcmp(line, "GET ", 4) != 0 || memcmp(line + n - 9, " HTTP/1.1", 9) != 0)
        return WS_E_HTTP_SYNTAX;
    const char *path = line + 4;
    size_t pl = n - 13;
    for (size_t i = 0; i < pl; i++)
        if (path[i] <= ' ' || path[i] >= 0x7f)
            return WS_E_HTTP_SYNTAX;
    return copy_field(h->path, sizeof h->path, path, pl) ? 0 : WS_E_HTTP_SYNTAX;
}

/* "HTTP/1.1 101 Switching Protocols" (the reason phrase is not looked at) */
static int status_line(const char *line, size_t n, struct ws_http_head *h)
{
    if (n < 12 || memcmp(line, "HTTP/1.1 ", 9) != 0 || (n > 12 && line[12] != ' '))
        return WS_E_HTTP_SYNTAX;
    h->status = 0;
    for (int i = 9; i < 12; i++) {
        if (line[i] < '0' || line[i] > '9')
            return WS_E_HTTP_SYNTAX;
        h->status = h->status * 10 + (line[i] - '0');
    }
    return 0;
}

int ws_http_parse(const uint8_t *buf, size_t len, bool request, struct ws_http_head *h)
{
    int total = head_length(buf, len);
    if (total <= 0)
        return total;
    memset(h, 0, sizeof *h);
    const char *p = (const char *)buf, *end = p + total - 2;   /* the last line is the empty one */
    int lines = 0;
    while (p < end) {
        const char *cr = memchr(p, '\r', (size_t)(end - p));
        if (!cr || cr[1] != '\n')
            return WS_E_HTTP_SYNTAX;
        size_t n = (size_t)(cr - p);
        for (size_t i = 0; i < n; i++)
            if ((p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f)
                return WS_E_HTTP_SYNTAX;
        if (++lines > WS_HTTP_LINES_MAX)
            return WS_E_HTTP_TOO_LONG;
        int rc = lines == 1 ? (request ? request_line(p, n, h) : status_line(p, n, h)) : header_line(p, n, h);
        if (rc < 0)
            return rc;
        p = cr + 2;
    }
    return lines ? total : WS_E_HTTP_SYNTAX;
}

int ws_protocol_for(const char *mech, char *out, size_t cap)
{
    int n = snprintf(out, cap, "ZWS2.0/%s", mech);
    return n > 0 && (size_t)n < cap ? n : -1;
}

/* The first of the client's offered subprotocols that we speak, in its order (as libzmq): "ZWS2.0/<mech>",
 * or bare "ZWS2.0" (no mechanism at all: routing-id messages instead of READY) when mech is NULL. */
static bool select_protocol(const char *list, const char *mech, char *proto, size_t cap)
{
    char mine[32];
    if (ws_protocol_for(mech, mine, sizeof mine) < 0)
        return false;
    size_t n = strlen(list), pos = 0, a, b;
    while (next_token(list, n, &pos, &a, &b)) {
        const char *pick = NULL;
        if (b - a == strlen(mine) && strncmp(list + a, mine, b - a) == 0)
            pick = mine;
        else if (strcmp(mech, "NULL") == 0 && b - a == 6 && strncmp(list + a, WS_PROTOCOL_BARE, 6) == 0)
            pick = WS_PROTOCOL_BARE;
        if (pick)
            return copy_field(proto, cap, pick, strlen(pick));
    }
    return false;
}

int ws_http_check_request(const struct ws_http_head *h, const char *mech, char *proto, size_t cap)
{
    if (!h->upgrade_websocket || !h->connection_upgrade || !h->version_13 || !h->key[0])
        return WS_E_HTTP_UPGRADE;
    return select_protocol(h->protocols, mech, proto, cap) ? 0 : WS_E_HTTP_PROTOCOL;
}

int ws_http_check_response(const struct ws_http_head *h, const char *key, const char *mech)
{
    if (h->status != 101)
        return WS_E_HTTP_STATUS;
    if (!h->upgrade_websocket || !h->connection_upgrade)
        return WS_E_HTTP_UPGRADE;
    char want[WS_ACCEPT_SIZE + 1], proto[32];
    ws_accept_key(key, want);
    if (strcmp(h->key, want) != 0)
        return WS_E_HTTP_ACCEPT;
    if (ws_protocol_for(mech, proto, sizeof proto) < 0 || strcasecmp(h->protocols, proto) != 0)
        return WS_E_HTTP_PROTOCOL;
    return 0;
}

static int fitted(int n, size_t cap)
{
    return n > 0 && (size_t)n < cap ? n : -1;
}

int ws_http_request(char *out, size_t cap, const char *host, const char *path, const char *key,
                    const char *mech)
{
    return fitted(snprintf(out, cap,
                           "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Protocol: ZWS2.0/%s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n",
                           path, host, key, mech),
                  cap);
}

int ws_http_response(char *out, size_t cap, const char *key, const char *proto)
{
    char accept[WS_ACCEPT_SIZE + 1];
    ws_accept_key(key, accept);
    return fitted(snprintf(out, cap,
                           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
                           accept, proto),
                  cap);
}

int ws_http_refusal(char *out, size_t cap)
{
    return fitted(snprintf(out, cap, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
                  cap);
}
