/* tcp:// address syntax and resolution, with libzmq 4.3.4's rules (which zinc must reproduce: programs
 * and bindings depend on the exact errno of a bad address). Pure functions of the string and the options;
 * resolution may call getifaddrs/getaddrinfo (connect side: DNS; bind side: numeric only). */
#ifndef ZINC_TCP_ADDR_H
#define ZINC_TCP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct tcp_target {
    struct sockaddr_storage dst;   /* where to bind (listener) or connect */
    struct sockaddr_storage src;   /* connect: the local address to bind first, if has_src */
    bool has_src;
};

/* The quick check zmq_connect makes before any resolution: the host part is made of letters, digits and
 * ".-:%;[]_*" (starting with a letter, digit, '[' or ':') and the text after the last ':' starts with a
 * digit. 0 or -EINVAL. */
int tcp_addr_check_connect(const char *addr);

/* Resolves "[src;]host:port". local: a bind (host is "*", a numeric address or an interface name; port may
 * be "*" or 0; errors are ENODEV), else a connect (host may be a DNS name; errors are EINVAL). The source
 * part, when present, is always resolved like a bind. 0 or -errno. */
int tcp_addr_resolve(const char *addr, bool ipv6, bool local, struct tcp_target *t);

/* The length to pass to bind/connect for a resolved address. */
socklen_t tcp_addr_len(const struct sockaddr_storage *ss);

/* "tcp://1.2.3.4:5" or "tcp://[::1]:5". */
void tcp_addr_format(const struct sockaddr_storage *ss, char *out, size_t cap);

/* Splits "host:port" at the last ':' into the host (brackets removed) and the numeric port, for the SOCKS5
 * request (the host is sent as written, not resolved). 0 or -EINVAL. */
int tcp_addr_split(const char *addr, char *host, size_t cap, uint16_t *port);

#endif
