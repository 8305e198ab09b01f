/* tcp:// address syntax and resolution with libzmq 4.3.4's observable rules (probed against Debian's
 * libzmq; see docs/compat/transport.md for the table):
 *  1. "[src;]host:port": the text after the last ';' is the destination; the source before it is resolved
 *     like a bind address (port required, "*" allowed, interface names, no DNS).
 *  2. The port follows the last ':' and is read like atoi into 16 bits ("99999" is 34463, "12a" is 12);
 *     "*" (bind only) and "0" mean an ephemeral port, any other value reading as 0 is EINVAL. The port is
 *     checked before the host.
 *  3. A host in brackets loses them; "%zone" after an IPv6 host names a scope (empty or unknown: EINVAL).
 *  4. Bind: "*", then an interface name, then a numeric address; anything else is ENODEV. Connect: a
 *     numeric address or a DNS name; failure is EINVAL. The family is IPv4, or IPv6 with IPv4-mapped
 *     addresses when ZMQ_IPV6 is set. */
#include "transport/tcp_addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TCP_ADDR_HOST_MAX 1024

struct resolve_rules {
    bool bindable;     /* "*" host and "*" port allowed; errors are ENODEV */
    bool dns;          /* host names go to the resolver */
    bool nic;          /* interface names ("lo") are tried first */
    bool ipv6;
};

static bool connect_char_ok(char ch)
{
    return isalnum((unsigned char)ch) || strchr(".-:%;[]_*", ch) != NULL;
}

int tcp_addr_check_connect(const char *addr)
{
    const char *p = addr;
    if (!(isalnum((unsigned char)*p) || *p == '[' || *p == ':'))
        return -EINVAL;
    while (*p && connect_char_ok(*p))
        p++;
    if (*p)
        return -EINVAL;
    const char *colon = strrchr(addr, ':');
    if (!colon || !isdigit((unsigned char)colon[1]))
        return -EINVAL;
    return 0;
}

static int parse_port(const char *s, bool bindable, uint16_t *port)
{
    if (strcmp(s, "*") == 0) {
        *port = 0;
        return bindable ? 0 : -EINVAL;
    }
    if (strcmp(s, "0") == 0) {
        *port = 0;
        return 0;
    }
    /* libzmq reads the port with atoi and keeps the low 16 bits */
    *port = (uint16_t)(int)strtol(s, NULL, 10);
    return *port == 0 ? -EINVAL : 0;
}

/* The first address of interface name; with ipv6 an IPv6 address is preferred. 0, -ENODEV or -errno. */
static int resolve_nic(const char *name, bool ipv6, struct sockaddr_storage *out)
{
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) < 0)
        return -errno;
    int rc = -ENODEV;
    for (int pass = ipv6 ? 0 : 1; pass < 2 && rc < 0; pass++) {
        int want = pass == 0 ? AF_INET6 : AF_INET;
        for (struct ifaddrs *i = ifs; i && rc < 0; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != want || strcmp(i->ifa_name, name) != 0)
                continue;
            memset(out, 0, sizeof *out);
            memcpy(out, i->ifa_addr, want == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
            rc = 0;
        }
    }
    freeifaddrs(ifs);
    return rc;
}

static int resolve_getaddrinfo(const char *host, const struct resolve_rules *r, struct sockaddr_storage *out)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = r->ipv6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (r->bindable)
        hints.ai_flags |= AI_PASSIVE;
    if (!r->dns)
        hints.ai_flags |= AI_NUMERICHOST;
    if (r->ipv6)
        hints.ai_flags |= AI_V4MAPPED;
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0)
        return rc == EAI_MEMORY ? -ENOMEM : (r->bindable ? -ENODEV : -EINVAL);
    memset(out, 0, sizeof *out);
    memcpy(out, res->ai_addr, res->ai_addrlen <= sizeof *out ? res->ai_addrlen : sizeof *out);
    freeaddrinfo(res);
    return 0;
}

static void set_any(struct sockaddr_storage *ss, bool ipv6)
{
    memset(ss, 0, sizeof *ss);
    if (ipv6) {
        ((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_any;
    } else {
        ((struct sockaddr_in *)ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_ANY);
    }
}

/* Removes the brackets and the "%zone" from host (edited in place). 0 or -EINVAL. */
static int strip_host(char *host, uint32_t *zone)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    *zone = 0;
    char *pct = strrchr(host, '%');
    if (!pct)
        return 0;
    *pct = 0;
    const char *zs = pct + 1;
    if (!*zs)
        return -EINVAL;
    *zone = isalpha((unsigned char)*zs) ? if_nametoindex(zs) : (uint32_t)atoi(zs);
    return *zone ? 0 : -EINVAL;
}

/* One "host:port" under rules r. */
static int resolve_one(const char *addr, const struct resolve_rules *r, struct sockaddr_storage *ss)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return -EINVAL;
    uint16_t port;
    int rc = parse_port(colon + 1, r->bindable, &port);
    if (rc < 0)
        return rc;
    size_t hlen = (size_t)(colon - addr);
    if (hlen >= TCP_ADDR_HOST_MAX)
        return r->bindable ? -ENODEV : -EINVAL;
    char host[TCP_ADDR_HOST_MAX];
    memcpy(host, addr, hlen);
    host[hlen] = 0;
    uint32_t zone;
    if ((rc = strip_host(host, &zone)) < 0)
        return rc;
    if (r->bindable && strcmp(host, "*") == 0) {
        set_any(ss, r->ipv6);
    } else {
        rc = r->nic ? resolve_nic(host, r->ipv6, ss) : -ENODEV;
        if (rc == -ENODEV)
            rc = resolve_getaddrinfo(host, r, ss);
        if (rc < 0)
            return rc;
    }
    if (ss->ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
        ((struct sockaddr_in6 *)ss)->sin6_scope_id = zone;
    } else {
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    }
    return 0;
}

int tcp_addr_resolve(const char *addr, bool ipv6, bool local, struct tcp_target *t)
{
    const struct resolve_rules bind_rules = {.bindable = true, .dns = false, .nic = true, .ipv6 = ipv6};
    const struct resolve_rules connect_rules = {.bindable = false, .dns = true, .nic = false, .ipv6 = ipv6};
    memset(t, 0, sizeof *t);
    const char *semi = strrchr(addr, ';');
    if (semi) {
        size_t slen = (size_t)(semi - addr);
        char src[TCP_ADDR_HOST_MAX];
        if (slen >= sizeof src)
            return -EINVAL;
        memcpy(src, addr, slen);
        src[slen] = 0;
        int rc = resolve_one(src, &bind_rules, &t->src);
        if (rc < 0)
            return rc;
        t->has_src = true;
        addr = semi + 1;
    }
    return resolve_one(addr, local ? &bind_rules : &connect_rules, &t->dst);
}

socklen_t tcp_addr_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

void tcp_addr_format(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "tcp://[%s]:%u", ip, ntohs(v6->sin6_port));
    } else {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "tcp://%s:%u", ip, ntohs(v4->sin_port));
    }
}

int tcp_addr_split(const char *addr, char *host, size_t cap, uint16_t *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return -EINVAL;
    int rc = parse_port(colon + 1, false, port);
    if (rc < 0)
        return rc;
    size_t hlen = (size_t)(colon - addr);
    if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
        addr++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= cap)
        return -EINVAL;
    memcpy(host, addr, hlen);
    host[hlen] = 0;
    return 0;
}
