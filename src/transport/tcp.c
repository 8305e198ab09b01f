/* tcp:// listeners and connects: socket creation, ZMQ_USE_FD, source addresses ("tcp://src;dst"),
 * ZMQ_BINDTODEVICE, ZMQ_SOCKS_PROXY (the connect goes to the proxy) and the per-connection socket options.
 * Address syntax is tcp_addr.c's; the ZMTP engine is shared (core/conn.c). */
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
#include "transport/tcp_addr.h"
#include "transport/transport.h"

/* SO_BINDTODEVICE from ZMQ_BINDTODEVICE: an unknown device is ENODEV (EPERM without CAP_NET_RAW). */
static int bind_to_device(int fd, const struct options *o)
{
    if (o->bindtodevice.len &&
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->bindtodevice.text, (socklen_t)o->bindtodevice.len) < 0)
        return -errno;
    return 0;
}

static void set_buffers(int fd, const struct options *o)
{
    if (o->sndbuf >= 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof o->sndbuf);
    if (o->rcvbuf >= 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof o->rcvbuf);
}

/* A TCP socket for target t (resolved from addr). With ZMQ_IPV6 on a host without IPv6 sockets, addr is
 * resolved again as IPv4 and that is used instead, as libzmq does. The fd, or -errno. */
static int tcp_socket(const char *addr, bool ipv6, bool local, struct tcp_target *t)
{
    int fd = socket(t->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd >= 0 || errno != EAFNOSUPPORT || !ipv6 || t->dst.ss_family != AF_INET6)
        return fd >= 0 ? fd : -errno;
    int rc = tcp_addr_resolve(addr, false, local, t);
    if (rc < 0)
        return rc;
    fd = socket(t->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    return fd >= 0 ? fd : -errno;
}

/* ZMQ_USE_FD: the application's own bound and listening fd; the address string is not used. */
static int tcp_adopt(int fd, int *fd_out, char *resolved, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -errno;
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
        return -EINVAL;
    int rc = stream_adopt_fd(fd);
    if (rc < 0)
        return rc;
    tcp_addr_format(&ss, resolved, cap);
    *fd_out = fd;
    return 0;
}

static int tcp_listen(const char *addr, const struct options *o, int *fd_out, char *resolved, size_t cap)
{
    if (o->use_fd >= 0)
        return tcp_adopt(o->use_fd, fd_out, resolved, cap);
    struct tcp_target t;
    int rc = tcp_addr_resolve(addr, o->ipv6 != 0, true, &t);
    if (rc < 0)
        return rc;
    int fd = tcp_socket(addr, o->ipv6 != 0, true, &t);
    if (fd < 0)
        return fd;
    struct sockaddr_storage ss = t.dst;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    set_buffers(fd, o);
    if ((rc = bind_to_device(fd, o)) < 0) {
        close(fd);
        return rc;
    }
    if (bind(fd, (struct sockaddr *)&ss, tcp_addr_len(&ss)) < 0 || listen(fd, o->backlog) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    socklen_t len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    tcp_addr_format(&ss, resolved, cap);
    *fd_out = fd;
    return 0;
}

static int tcp_check_connect(const char *addr, const struct options *o)
{
    (void)o;
    return tcp_addr_check_connect(addr);
}

/* The address the socket connects to: the SOCKS proxy when ZMQ_SOCKS_PROXY is set (the engine then asks it
 * for addr), else addr itself, with its optional source part. */
static int connect_target(const char *addr, const struct options *o, struct tcp_target *t)
{
    if (o->socks_proxy.len)
        return tcp_addr_resolve(o->socks_proxy.text, o->ipv6 != 0, false, t);
    return tcp_addr_resolve(addr, o->ipv6 != 0, false, t);
}

static int tcp_connect(const char *addr, const struct options *o, int *fd_out)
{
    struct tcp_target t;
    int rc = connect_target(addr, o, &t);
    if (rc < 0)
        return rc;
    int fd = tcp_socket(o->socks_proxy.len ? o->socks_proxy.text : addr, o->ipv6 != 0, false, &t);
    if (fd < 0)
        return fd;
    *fd_out = fd;
    set_buffers(fd, o);
    if ((rc = bind_to_device(fd, o)) < 0)
        goto fail;
    if (t.has_src) {
        /* "tcp://src;dst": bind the local side first; reusable, so one source port can reach many peers */
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&t.src, tcp_addr_len(&t.src)) < 0) {
            rc = -errno;
            goto fail;
        }
    }
    if (connect(fd, (struct sockaddr *)&t.dst, tcp_addr_len(&t.dst)) == 0)
        return 0;
    if (errno == EINPROGRESS)
        return -EINPROGRESS;
    rc = -errno;
fail:
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

static void tcp_uri(int fd, bool local, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    buf[0] = 0;
    struct sockaddr *sa = (struct sockaddr *)&ss;
    int rc = local ? getsockname(fd, sa, &len) : getpeername(fd, sa, &len);
    if (rc == 0 && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
        tcp_addr_format(&ss, buf, cap);
}

const struct stream_ops stream_tcp = {
    .listen = tcp_listen,
    .connect = tcp_connect,
    .tune = tcp_tune,
    .peer_address = tcp_peer_address,
    .uri = tcp_uri,
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
