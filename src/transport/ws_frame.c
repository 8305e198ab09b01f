/* The WebSocket frame header of RFC 6455 section 5.2 and the masking of 5.3, and what a ZWS 2.0 endpoint
 * accepts (libzmq's ws engine: final binary frames whose first payload byte is ZMTP's flags, and the
 * close, ping and pong control frames). Pure code (ws_codec.h invariants 1 and 2). */
#include <string.h>

#include "transport/ws_codec.h"

int ws_frame_parse(const uint8_t *buf, size_t len, struct ws_frame_head *h)
{
    if (len < 2)
        return 0;
    h->fin = (buf[0] & 0x80) != 0;
    h->rsv = (uint8_t)((buf[0] >> 4) & 7);
    h->opcode = buf[0] & 0x0f;
    h->masked = (buf[1] & 0x80) != 0;
    size_t need = 2;
    uint8_t l7 = buf[1] & 0x7f;
    if (l7 == 126)
        need += 2;
    else if (l7 == 127)
        need += 8;
    if (h->masked)
        need += 4;
    if (len < need)
        return 0;
    size_t p = 2;
    if (l7 < 126) {
        h->len = l7;
    } else if (l7 == 126) {
        h->len = (uint64_t)buf[2] << 8 | buf[3];
        p = 4;
    } else {
        h->len = 0;
        for (int i = 0; i < 8; i++)
            h->len = h->len << 8 | buf[2 + i];
        p = 10;
        if (h->len >> 63)
            return WS_E_FRAME_LENGTH;   /* "the most significant bit MUST be 0" */
    }
    if (h->masked)
        memcpy(h->mask, buf + p, 4);
    else
        memset(h->mask, 0, 4);
    return (int)need;
}

int ws_frame_check(const struct ws_frame_head *h, bool from_client, int64_t maxmsgsize)
{
    if (h->rsv)
        return WS_E_FRAME_RESERVED;
    if (h->masked != from_client)
        return WS_E_FRAME_MASK;
    switch (h->opcode) {
    case WS_OP_BINARY:
        if (!h->fin)
            return WS_E_FRAME_FRAGMENT;
        if (h->len == 0)
            return WS_E_FRAME_LENGTH;     /* no room for the flags byte */
        if (maxmsgsize >= 0 && h->len - 1 > (uint64_t)maxmsgsize)
            return WS_E_FRAME_TOO_BIG;
        return 0;
    case WS_OP_CLOSE:
    case WS_OP_PING:
    case WS_OP_PONG:
        return h->fin && h->len <= WS_CONTROL_MAX ? 0 : WS_E_FRAME_CONTROL;
    case WS_OP_CONT:
        return WS_E_FRAME_FRAGMENT;
    default:
        return WS_E_FRAME_OPCODE;
    }
}

size_t ws_frame_head_write(uint8_t *out, uint8_t opcode, uint64_t len, const uint8_t *mask)
{
    size_t p = 2;
    out[0] = (uint8_t)(0x80 | opcode);
    out[1] = mask ? 0x80 : 0;
    if (len < 126) {
        out[1] |= (uint8_t)len;
    } else if (len <= 0xffff) {
        out[1] |= 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        p = 4;
    } else {
        out[1] |= 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
        p = 10;
    }
    if (mask) {
        memcpy(out + p, mask, 4);
        p += 4;
    }
    return p;
}

void ws_mask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4], uint64_t pos)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ^ mask[(pos + i) & 3];
}
