/* The deprecated accept filters libzmq 4.3.4 still takes: ZMQ_TCP_ACCEPT_FILTER ("addr[/bits]", parsed as
 * libzmq parses it) and ZMQ_IPC_FILTER_UID/GID/PID (peer credentials). A listener asks
 * options_accept_peer() about each accepted connection. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/options.h"

/* A zone ("%lo", "%2") must name an interface or be a number. */
static bool zone_valid(const char *zone)
{
    if (!*zone)
        return false;
    if (if_nametoindex(zone) != 0)
        return true;
    for (const char *p = zone; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

/* A numeric address, as libzmq resolves it: brackets and a zone are stripped; IPv4 literals may be in any
 * inet_aton form ("127.1"); without ipv6 an IPv6 literal is refused unless it is a v4-mapped address,
 * which becomes IPv4; with ipv6 IPv4 literals become v4-mapped IPv6 addresses. */
static int resolve_numeric(char *text, bool ipv6, struct accept_filter *f)
{
    size_t n = strlen(text);
    if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
        text[n - 1] = 0;
        text++;
    }
    char *pct = strchr(text, '%');
    if (pct) {
        *pct = 0;
        if (!zone_valid(pct + 1))
            return -EINVAL;
    }
    struct addrinfo hints = {.ai_family = ipv6 ? AF_INET6 : AF_UNSPEC,
                             .ai_flags = AI_NUMERICHOST | (ipv6 ? AI_V4MAPPED : 0)};
    struct addrinfo *res = NULL;
    if (getaddrinfo(text, NULL, &hints, &res) != 0 || !res)
        return -EINVAL;
    int rc = 0;
    if (res->ai_family == AF_INET) {
        f->family = AF_INET;
        memcpy(f->addr, &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
    } else {
        const uint8_t *a6 = (const uint8_t *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
        static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (ipv6) {
            f->family = AF_INET6;
            memcpy(f->addr, a6, 16);
        } else if (memcmp(a6, v4mapped, 12) == 0) {
            f->family = AF_INET;
            memcpy(f->addr, a6 + 12, 4);
        } else {
            rc = -EINVAL;
        }
    }
    freeaddrinfo(res);
    return rc;
}

/* "/0" is the only way to write zero bits; otherwise strtol's reading of the text must be 1..full. */
static int parse_bits(const char *text, int full, int *bits)
{
    if (strcmp(text, "0") == 0) {
        *bits = 0;
        return 0;
    }
    long v = strtol(text, NULL, 10);
    if (v < 1 || v > full)
        return -EINVAL;
    *bits = (int)v;
    return 0;
}

int accept_filter_parse(const void *value, size_t len, bool ipv6, struct accept_filter *f)
{
    /* libzmq reads the value as a C string: it ends at the first NUL */
    const char *end = memchr(value, 0, len);
    size_t n = end ? (size_t)(end - (const char *)value) : len;
    char *text = malloc(n + 1);
    if (!text)
        return -ENOMEM;
    memcpy(text, value, n);
    text[n] = 0;
    memset(f, 0, sizeof *f);
    char *slash = strrchr(text, '/');
    if (slash)
        *slash = 0;
    int rc = resolve_numeric(text, ipv6, f);
    int full = f->family == AF_INET ? 32 : 128;
    f->bits = full;
    if (rc == 0 && slash)
        rc = parse_bits(slash + 1, full, &f->bits);
    free(text);
    return rc;
}

static bool filter_matches(const struct accept_filter *f, const struct sockaddr_storage *ss)
{
    const uint8_t *a;
    if (ss->ss_family == AF_INET && f->family == AF_INET)
        a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
    else if (ss->ss_family == AF_INET6 && f->family == AF_INET6)
        a = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
    else
        return false;
    int full = f->bits / 8, rest = f->bits % 8;
    if (memcmp(a, f->addr, (size_t)full) != 0)
        return false;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return rest == 0 || (a[full] & mask) == (f->addr[full] & mask);
}

static bool ipc_peer_allowed(const struct options *o, int fd)
{
    if (!o->ipc_uid_count && !o->ipc_gid_count && !o->ipc_pid_count)
        return true;
    struct ucred cred;
    socklen_t clen = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
        return false;
    for (int i = 0; i < o->ipc_uid_count; i++)
        if (o->ipc_uids[i] == cred.uid)
            return true;
    for (int i = 0; i < o->ipc_gid_count; i++)
        if (o->ipc_gids[i] == cred.gid)
            return true;
    for (int i = 0; i < o->ipc_pid_count; i++)
        if (o->ipc_pids[i] == cred.pid)
            return true;
    return false;
}

bool options_accept_peer(const struct options *o, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return false;
    if (ss.ss_family == AF_UNIX)
        return ipc_peer_allowed(o, fd);
    if (!o->tcp_filter_count)
        return true;
    len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return false;
    for (int i = 0; i < o->tcp_filter_count; i++)
        if (filter_matches(&o->tcp_filters[i], &ss))
            return true;
    return false;
}
