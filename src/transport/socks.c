/* The SOCKS5 client handshake codec (RFC 1928): greeting, method choice, CONNECT request and reply. No I/O;
 * see socks.h for the states and invariants. */
#include "transport/socks.h"

#include <arpa/inet.h>
#include <string.h>

#include "transport/tcp_addr.h"

#define SOCKS_METHOD_REPLY_SIZE 2
#define SOCKS_REPLY_HEAD 5   /* VER REP RSV ATYP and the first address byte (the domain length) */

int socks_encode_request(const char *dest, uint8_t *buf, size_t cap)
{
    char host[256];
    uint16_t port;
    if (cap < SOCKS_REQUEST_MAX || tcp_addr_split(dest, host, sizeof host, &port) < 0 || port == 0)
        return SOCKS_E_ADDRESS;
    size_t n = 0;
    buf[n++] = SOCKS_VERSION;
    buf[n++] = SOCKS_CMD_CONNECT;
    buf[n++] = 0;   /* RSV */
    uint8_t v4[4], v6[16];
    if (inet_pton(AF_INET, host, v4) == 1) {
        buf[n++] = SOCKS_ATYP_IPV4;
        memcpy(buf + n, v4, sizeof v4);
        n += sizeof v4;
    } else if (inet_pton(AF_INET6, host, v6) == 1) {
        buf[n++] = SOCKS_ATYP_IPV6;
        memcpy(buf + n, v6, sizeof v6);
        n += sizeof v6;
    } else {
        size_t hlen = strlen(host);   /* tcp_addr_split bounds it to 255 */
        buf[n++] = SOCKS_ATYP_DOMAIN;
        buf[n++] = (uint8_t)hlen;
        memcpy(buf + n, host, hlen);
        n += hlen;
    }
    buf[n++] = (uint8_t)(port >> 8);
    buf[n++] = (uint8_t)(port & 0xff);
    return (int)n;
}

int socks_client_init(struct socks_client *sc, const char *dest)
{
    memset(sc, 0, sizeof *sc);
    int n = socks_encode_request(dest, sc->request, sizeof sc->request);
    if (n < 0)
        return n;
    sc->request_len = (size_t)n;
    sc->out[0] = SOCKS_VERSION;
    sc->out[1] = 1;   /* NMETHODS */
    sc->out[2] = SOCKS_METHOD_NONE;
    sc->out_len = 3;
    sc->step = SOCKS_WANT_METHOD;
    return 0;
}

int socks_reply_length(const uint8_t *in, size_t len)
{
    if (len < SOCKS_REPLY_HEAD)
        return 0;
    if (in[0] != SOCKS_VERSION)
        return SOCKS_E_VERSION;
    if (in[1] != 0)
        return SOCKS_E_REFUSED;
    if (in[2] != 0)
        return SOCKS_E_MALFORMED;
    switch (in[3]) {
    case SOCKS_ATYP_IPV4: return 4 + 4 + 2;
    case SOCKS_ATYP_IPV6: return 4 + 16 + 2;
    case SOCKS_ATYP_DOMAIN: return 4 + 1 + in[4] + 2;   /* at most SOCKS_REPLY_MAX */
    default: return SOCKS_E_MALFORMED;
    }
}

size_t socks_client_want(const struct socks_client *sc)
{
    switch (sc->step) {
    case SOCKS_WANT_METHOD: return SOCKS_METHOD_REPLY_SIZE - sc->in_len;
    case SOCKS_WANT_REPLY: {
        if (sc->in_len < SOCKS_REPLY_HEAD)
            return SOCKS_REPLY_HEAD - sc->in_len;
        int total = socks_reply_length(sc->in, sc->in_len);
        return total > 0 ? (size_t)total - sc->in_len : 0;
    }
    default: return 0;
    }
}

static int method_done(struct socks_client *sc)
{
    if (sc->in[0] != SOCKS_VERSION)
        return SOCKS_E_VERSION;
    if (sc->in[1] != SOCKS_METHOD_NONE)
        return SOCKS_E_METHOD;   /* 0xFF, or a method we never offered */
    memcpy(sc->out, sc->request, sc->request_len);
    sc->out_len = sc->request_len;
    sc->in_len = 0;
    sc->step = SOCKS_WANT_REPLY;
    return 0;
}

int socks_client_input(struct socks_client *sc, const uint8_t *data, size_t n)
{
    if (n > socks_client_want(sc))
        return SOCKS_E_MALFORMED;   /* a caller error; never overrun in */
    sc->out_len = 0;
    memcpy(sc->in + sc->in_len, data, n);
    sc->in_len += n;
    if (sc->step == SOCKS_WANT_METHOD)
        return sc->in_len == SOCKS_METHOD_REPLY_SIZE ? method_done(sc) : 0;
    if (sc->in_len >= SOCKS_REPLY_HEAD)
        sc->rep = sc->in[1];
    int total = socks_reply_length(sc->in, sc->in_len);
    if (total < 0)
        return total;
    if (total == 0 || sc->in_len < (size_t)total)
        return 0;
    sc->step = SOCKS_DONE;
    return 1;
}
