/* tcp:// addresses: parsing and resolution of "host:port", "*:port", "iface:port", "[v6]:port" and ephemeral
 * ports, and the per-connection socket options. The ZMTP engine itself is shared (core/conn.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/options.h"
#include "core/socket.h"
#include "transport/transport.h"

#define TCP_HOST_MAX 256

/* Splits "host:port" (host may be "[v6]"). Port "*" or "0" means ephemeral (port 0). */
static int tcp_split(const char *addr, char *host, size_t cap, uint16_t *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr)
        return -EINVAL;
    size_t hlen = (size_t)(colon - addr);
    const char *h = addr;
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= cap)
        return -EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = 0;
    const char *ps = colon + 1;
    if (strcmp(ps, "*") == 0 || strcmp(ps, "0") == 0) {
        *port = 0;
        return 0;
    }
    char *end;
    long v = strtol(ps, &end, 10);
    if (*ps == 0 || *end || v < 0 || v > 65535)
        return -EINVAL;
    *port = (uint16_t)v;
    return 0;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* An interface name ("lo", "eth0") to its first address of an allowed family. */
static int resolve_interface(const char *name, bool ipv6, struct sockaddr_storage *out)
{
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) < 0)
        return -errno;
    int rc = -ENODEV;
    for (struct ifaddrs *i = ifs; i && rc < 0; i = i->ifa_next) {
        if (!i->ifa_addr || strcmp(i->ifa_name, name) != 0)
            continue;
        int fam = i->ifa_addr->sa_family;
        if (fam == AF_INET || (fam == AF_INET6 && ipv6)) {
            memset(out, 0, sizeof *out);
            memcpy(out, i->ifa_addr, fam == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
            rc = 0;
        }
    }
    freeifaddrs(ifs);
    return rc;
}

static int resolve_name(const char *host, bool ipv6, struct sockaddr_storage *out)
{
    struct addrinfo hints = {.ai_family = ipv6 ? AF_UNSPEC : AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return -EINVAL;
    /* Prefer IPv4 when both come back, as localhost resolves to both. */
    struct addrinfo *pick = res;
    for (struct addrinfo *a = res; a; a = a->ai_next)
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    memset(out, 0, sizeof *out);
    memcpy(out, pick->ai_addr, pick->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

static int resolve_literal(const char *host, bool ipv6, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        if (!ipv6)
            return -EINVAL;
        v6->sin6_family = AF_INET6;
        return 0;
    }
    return -ENOENT;
}

static int tcp_resolve(const char *addr, const struct options *o, bool local, struct sockaddr_storage *ss)
{
    char host[TCP_HOST_MAX];
    uint16_t port;
    int rc = tcp_split(addr, host, sizeof host, &port);
    if (rc < 0)
        return rc;
    bool ipv6 = o->ipv6 != 0;
    if (local && strcmp(host, "*") == 0) {
        memset(ss, 0, sizeof *ss);
        if (ipv6) {
            ((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
            ((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_any;
        } else {
            ((struct sockaddr_in *)ss)->sin_family = AF_INET;
            ((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_ANY);
        }
    } else {
        rc = resolve_literal(host, ipv6, ss);
        if (rc == -ENOENT && local)
            rc = resolve_interface(host, ipv6, ss);
        if (rc == -ENOENT || rc == -ENODEV)
            rc = resolve_name(host, ipv6, ss);
        if (rc < 0)
            return local && rc == -EINVAL ? -ENODEV : rc;
    }
    if (!local && port == 0)
        return -EINVAL;
    set_port(ss, port);
    return 0;
}

static void format_endpoint(const struct sockaddr_storage *ss, char *out, size_t cap)
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

static void bind_to_device(int fd, const struct options *o)
{
    if (o->bindtodevice[0])
        (void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->bindtodevice, (socklen_t)strlen(o->bindtodevice));
}

static int tcp_listen(const char *addr, const struct options *o, int *fd_out, char *resolved, size_t cap)
{
    struct sockaddr_storage ss;
    int rc = tcp_resolve(addr, o, true, &ss);
    if (rc < 0)
        return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return -errno;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    bind_to_device(fd, o);
    if (o->sndbuf >= 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof o->sndbuf);
    if (o->rcvbuf >= 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof o->rcvbuf);
    if (bind(fd, (struct sockaddr *)&ss, sa_len(&ss)) < 0 || listen(fd, o->backlog) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    socklen_t len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    format_endpoint(&ss, resolved, cap);
    *fd_out = fd;
    return 0;
}

static int tcp_check_connect(const char *addr, const struct options *o)
{
    (void)o;
    char host[TCP_HOST_MAX];
    uint16_t port;
    int rc = tcp_split(addr, host, sizeof host, &port);
    if (rc < 0)
        return rc;
    return port == 0 || strcmp(host, "*") == 0 ? -EINVAL : 0;
}

static int tcp_connect(const char *addr, const struct options *o, int *fd_out)
{
    struct sockaddr_storage ss;
    int rc = tcp_resolve(addr, o, false, &ss);
    if (rc < 0)
        return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return -errno;
    bind_to_device(fd, o);
    if (o->sndbuf >= 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof o->sndbuf);
    if (o->rcvbuf >= 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof o->rcvbuf);
    *fd_out = fd;
    if (connect(fd, (struct sockaddr *)&ss, sa_len(&ss)) == 0)
        return 0;
    if (errno == EINPROGRESS)
        return -EINPROGRESS;
    rc = -errno;
    close(fd);   /* *fd_out keeps its number: the conn reports it CLOSED, as libzmq does */
    return rc;
}

static void tcp_tune(int fd, const struct options *o)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o->tos)
        setsockopt(fd, IPPROTO_IP, IP_TOS, &o->tos, sizeof o->tos);
    if (o->tcp_keepalive >= 0)
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &o->tcp_keepalive, sizeof o->tcp_keepalive);
    if (o->tcp_keepalive == 1) {
        if (o->tcp_keepalive_cnt > 0)
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &o->tcp_keepalive_cnt, sizeof(int));
        if (o->tcp_keepalive_idle > 0)
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &o->tcp_keepalive_idle, sizeof(int));
        if (o->tcp_keepalive_intvl > 0)
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &o->tcp_keepalive_intvl, sizeof(int));
    }
    if (o->tcp_maxrt > 0)
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &o->tcp_maxrt, sizeof(int));
}

static void tcp_peer_address(int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    buf[0] = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return;
    if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)cap);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)cap);
}

const struct stream_ops stream_tcp = {
    .listen = tcp_listen,
    .connect = tcp_connect,
    .tune = tcp_tune,
    .peer_address = tcp_peer_address,
    .unlisten = NULL,
    .check_connect = tcp_check_connect,
};

static int tcp_bind(struct socket *s, const char *addr, struct endpoint *ep)
{
    return stream_bind(s, &stream_tcp, "tcp", addr, ep);
}

static int tcp_connect_ep(struct socket *s, const char *addr, struct endpoint *ep)
{
    return stream_connect(s, &stream_tcp, "tcp", addr, ep);
}

const struct transport_ops transport_tcp = {
    .scheme = "tcp",
    .stream = &stream_tcp,
    .bind = tcp_bind,
    .connect = tcp_connect_ep,
    .close = stream_close,
};
