/* The SOCKS5 client handshake (RFC 1928, "no authentication" method, CONNECT command) as a pure codec: no
 * I/O, the caller moves bytes. A ZMQ_SOCKS_PROXY connection runs it after the TCP connect to the proxy and
 * before the ZMTP greeting (core/conn_socks.c).
 *
 * States and transitions (socks_client_input):
 *   SEND_GREETING (05 01 00 queued by socks_client_init) --method reply 05 00--> request queued,
 *   WANT_REPLY --reply 05 00 00 ATYP BND.ADDR BND.PORT--> DONE
 *   any state --bad version, refused method, REP != 0, bad ATYP--> error
 * Invariants:
 *  1. socks_client_want never asks for more bytes than the current reply still needs, so the caller never
 *     reads past the proxy's reply into the relayed ZMTP stream.
 *  2. Every length from the proxy (the domain-name length of BND.ADDR) is checked before it is used; a
 *     reply never exceeds SOCKS_REPLY_MAX bytes.
 */
#ifndef ZINC_SOCKS_H
#define ZINC_SOCKS_H

#include <stddef.h>
#include <stdint.h>

#define SOCKS_VERSION 5
#define SOCKS_METHOD_NONE 0x00
#define SOCKS_METHOD_REFUSED 0xFF
#define SOCKS_CMD_CONNECT 1
#define SOCKS_ATYP_IPV4 1
#define SOCKS_ATYP_DOMAIN 3
#define SOCKS_ATYP_IPV6 4
#define SOCKS_REQUEST_MAX (4 + 1 + 255 + 2)
#define SOCKS_REPLY_MAX (4 + 1 + 255 + 2)

/* Errors (negative). */
#define SOCKS_E_VERSION (-1)   /* the proxy does not speak SOCKS5 */
#define SOCKS_E_METHOD (-2)    /* no acceptable authentication method */
#define SOCKS_E_REFUSED (-3)   /* REP != 0: the proxy could not connect */
#define SOCKS_E_MALFORMED (-4) /* reserved byte or address type invalid */
#define SOCKS_E_ADDRESS (-5)   /* the destination cannot be put in a request */

enum socks_step { SOCKS_WANT_METHOD, SOCKS_WANT_REPLY, SOCKS_DONE };

struct socks_client {
    enum socks_step step;
    uint8_t request[SOCKS_REQUEST_MAX]; /* the CONNECT request, ready before the method reply arrives */
    size_t request_len;
    uint8_t out[SOCKS_REQUEST_MAX];     /* bytes to send now */
    size_t out_len;
    uint8_t in[SOCKS_REPLY_MAX];        /* the reply being collected */
    size_t in_len;
    uint8_t rep;                        /* the proxy's REP code, once a reply arrived */
};

/* Prepares the handshake for dest ("host:port", host in brackets for IPv6; a numeric host is sent as an
 * address, a name unresolved as a domain name). Queues the greeting in out. 0 or SOCKS_E_ADDRESS. */
int socks_client_init(struct socks_client *sc, const char *dest);

/* How many more bytes the current step needs (1..SOCKS_REPLY_MAX; 0 when DONE). */
size_t socks_client_want(const struct socks_client *sc);

/* Feeds n bytes (n <= socks_client_want). Returns 1 when the handshake is complete, 0 when more bytes are
 * needed (out may now hold the request), or a SOCKS_E_ error. Clears out before queueing anything. */
int socks_client_input(struct socks_client *sc, const uint8_t *data, size_t n);

/* Encodes the CONNECT request for dest into buf (cap >= SOCKS_REQUEST_MAX). Length, or SOCKS_E_ADDRESS. */
int socks_encode_request(const char *dest, uint8_t *buf, size_t cap);

/* The full length of a reply from its first bytes: 0 while fewer than 5 bytes are known (the domain
 * length is the 5th), else the total, or a SOCKS_E_ error for a bad header. */
int socks_reply_length(const uint8_t *in, size_t len);

#endif
