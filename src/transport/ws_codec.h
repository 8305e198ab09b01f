/* The pure codecs of the ws:// transport (RFC 6455 and libzmq's ZWS 2.0 mapping), with no I/O: SHA-1 and
 * base64 for the handshake key (ws_sha1.c), the HTTP upgrade request and response (ws_http.c), and the
 * WebSocket frame header (ws_frame.c). core/ws_relay.c runs them on the wire.
 *
 * Invariants:
 *  1. Every parser takes (buffer, length) and answers consumed (> 0), need more (0) or a WS_E_* code (< 0);
 *     it never reads past length and never allocates.
 *  2. Every length from the peer is checked against a limit here before the caller allocates or copies:
 *     the HTTP head against WS_HTTP_MAX bytes and WS_HTTP_LINES_MAX lines, each header value against its
 *     field's size, a frame's 64-bit length against its top bit (RFC 6455 5.2) and ws_frame_check's limit.
 *  3. SHA-1 is used for Sec-WebSocket-Accept only (RFC 6455 4.2.2), never for security.
 */
#ifndef ZINC_WS_CODEC_H
#define ZINC_WS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WS_E_HTTP_TOO_LONG = -1,   /* the request/response head is over WS_HTTP_MAX bytes or lines */
    WS_E_HTTP_SYNTAX = -2,     /* a malformed request/status line or header line */
    WS_E_HTTP_STATUS = -3,     /* a response other than 101 */
    WS_E_HTTP_UPGRADE = -4,    /* no "Upgrade: websocket" / "Connection: Upgrade" / version 13 / key */
    WS_E_HTTP_PROTOCOL = -5,   /* no ZWS2.0 subprotocol we can speak */
    WS_E_HTTP_ACCEPT = -6,     /* Sec-WebSocket-Accept does not match our key */
    WS_E_FRAME_RESERVED = -7,  /* RSV bits set (no extension was negotiated) */
    WS_E_FRAME_OPCODE = -8,    /* a reserved, text or continuation opcode */
    WS_E_FRAME_CONTROL = -9,   /* a control frame longer than 125 bytes or fragmented */
    WS_E_FRAME_LENGTH = -10,   /* a 64-bit length with its top bit set, or an empty binary frame */
    WS_E_FRAME_MASK = -11,     /* masked from a server, or unmasked from a client (RFC 6455 5.1) */
    WS_E_FRAME_FRAGMENT = -12, /* a fragmented message: libzmq's ZWS 2.0 sends none, zinc takes none */
    WS_E_FRAME_TOO_BIG = -13,  /* over ZMQ_MAXMSGSIZE */
};

/* A reason for a WS_E_ code, for the log and the tests. */
const char *ws_strerror(int code);

/* ws_sha1.c */
#define WS_SHA1_SIZE 20
#define WS_ACCEPT_SIZE 28                    /* base64 of 20 bytes */
void ws_sha1(const uint8_t *data, size_t len, uint8_t out[WS_SHA1_SIZE]);
/* Standard base64 with padding into out (cap with the NUL). The length written, or -1 if it does not fit. */
int ws_base64(const uint8_t *in, size_t len, char *out, size_t cap);
/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2 step 5.4): out gets 28 chars and a NUL. */
void ws_accept_key(const char *key, char out[WS_ACCEPT_SIZE + 1]);

/* ws_http.c */
#define WS_HTTP_MAX 8192                     /* a request or response head, through its empty line */
#define WS_HTTP_LINES_MAX 64                 /* header lines in it */
#define WS_KEY_MAX 64                        /* Sec-WebSocket-Key / -Accept values */
#define WS_PATH_MAX 256
#define WS_PROTOCOLS_MAX 256                 /* every Sec-WebSocket-Protocol value, joined by "," */

struct ws_http_head {
    int status;                              /* response: the status code */
    char path[WS_PATH_MAX];                  /* request: the resource */
    bool upgrade_websocket;                  /* "Upgrade: websocket" */
    bool connection_upgrade;                 /* "upgrade" among Connection's tokens */
    bool version_13;                         /* request: "Sec-WebSocket-Version: 13" */
    char key[WS_KEY_MAX];                    /* request: Sec-WebSocket-Key; response: Sec-WebSocket-Accept */
    char protocols[WS_PROTOCOLS_MAX];        /* Sec-WebSocket-Protocol, all values */
};

/* Parses a request (request true) or a response head. > 0: the head's length (the rest of buf is
 * WebSocket frames); 0: need more; < 0: WS_E_HTTP_TOO_LONG or WS_E_HTTP_SYNTAX. The caller then checks
 * the head with ws_http_check_request / ws_http_check_response. */
int ws_http_parse(const uint8_t *buf, size_t len, bool request, struct ws_http_head *h);
/* The subprotocol libzmq's ZWS 2.0 names for a mechanism ("NULL" -> "ZWS2.0/NULL"). */
int ws_protocol_for(const char *mech, char *out, size_t cap);
/* Bare "ZWS2.0": no mechanism and no READY; each side's first message is its routing id (libzmq's form,
 * and the only one a browser can offer: "/" is not allowed in a WebSocket subprotocol token). */
#define WS_PROTOCOL_BARE "ZWS2.0"
/* A server's look at a request: 0 with *proto set to the first of the client's offers we speak
 * ("ZWS2.0/<mech>", or WS_PROTOCOL_BARE when mech is "NULL"), else a WS_E_HTTP_ code. */
int ws_http_check_request(const struct ws_http_head *h, const char *mech, char *proto, size_t cap);
/* A client's look at the response to the request it sent with key, offering mech's protocol. */
int ws_http_check_response(const struct ws_http_head *h, const char *key, const char *mech);
/* Writes the client's request / the server's 101 response / a 400 refusal. The length, or -1 when it does
 * not fit (never with cap >= WS_HTTP_MAX and fields from the limits above). */
int ws_http_request(char *out, size_t cap, const char *host, const char *path, const char *key,
                    const char *mech);
int ws_http_response(char *out, size_t cap, const char *key, const char *proto);
int ws_http_refusal(char *out, size_t cap);

/* ws_frame.c (RFC 6455 5.2) */
enum { WS_OP_CONT = 0, WS_OP_TEXT = 1, WS_OP_BINARY = 2, WS_OP_CLOSE = 8, WS_OP_PING = 9, WS_OP_PONG = 10 };
#define WS_FRAME_HEAD_MAX 14                 /* 2 + 8 (length) + 4 (mask) */
#define WS_CONTROL_MAX 125
/* ZWS 2.0: the first payload byte of a binary frame carries ZMTP's flags */
#define WS_ZWS_MORE 0x01
#define WS_ZWS_COMMAND 0x02

struct ws_frame_head {
    bool fin;
    uint8_t rsv;                             /* the three reserved bits, shifted down */
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t len;                            /* the payload's length */
};

/* One frame header: > 0 its length, 0 need more, WS_E_FRAME_LENGTH for a 64-bit length with the top bit. */
int ws_frame_parse(const uint8_t *buf, size_t len, struct ws_frame_head *h);
/* What a ZWS 2.0 endpoint accepts: fin set, no RSV bits, binary/close/ping/pong, control frames at most 125
 * bytes, masked exactly when from_client, a binary frame's payload at least the flags byte and its body
 * at most maxmsgsize (-1: no limit). 0 or a WS_E_FRAME_ code. */
int ws_frame_check(const struct ws_frame_head *h, bool from_client, int64_t maxmsgsize);
/* Writes a header (fin set) into out (WS_FRAME_HEAD_MAX bytes); mask NULL for none. Its length. */
size_t ws_frame_head_write(uint8_t *out, uint8_t opcode, uint64_t len, const uint8_t *mask);
/* dst[i] = src[i] ^ mask[(pos + i) % 4]; dst may be src. */
void ws_mask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4], uint64_t pos);

#endif
