/* Generic socket options: defaults, validation and read-back, as libzmq 4.3 documents them
 * (doc/zmq_setsockopt.txt, doc/zmq_getsockopt.txt). */
#include "core/options.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <zmq.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93   /* a draft option in zmq.h; Debian's libzmq 4.3.4 takes it */
#endif

#include "core/z85.h"

void options_init(struct options *o, int type)
{
    memset(o, 0, sizeof *o);
    o->type = type;
    o->sndhwm = o->rcvhwm = 1000;
    o->linger = -1;
    o->sndtimeo = o->rcvtimeo = -1;
    o->reconnect_ivl = 100;
    o->reconnect_ivl_max = 0;
    o->backlog = 100;
    o->maxmsgsize = -1;
    o->sndbuf = o->rcvbuf = -1;
    o->handshake_ivl = 30000;
    o->heartbeat_ttl = 0;
    o->heartbeat_timeout = -1;
    o->tcp_keepalive = o->tcp_keepalive_cnt = o->tcp_keepalive_idle = o->tcp_keepalive_intvl = -1;
    o->multicast_hops = 1;
    o->rate = 100;
    o->recovery_ivl = 10000;
    o->multicast_maxtpdu = 1500;
    o->use_fd = -1;
}

int opt_get_int(const void *value, size_t len, int *out)
{
    if (len != sizeof(int) || !value)
        return -EINVAL;
    memcpy(out, value, sizeof(int));
    return 0;
}

int opt_get_flag(const void *value, size_t len, bool *out)
{
    int v;
    if (opt_get_int(value, len, &v) < 0 || v < 0)
        return -EINVAL;
    *out = v != 0;
    return 0;
}

int opt_put_int(void *value, size_t *len, int v)
{
    if (*len < sizeof(int))
        return -EINVAL;
    memcpy(value, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

int opt_put_bytes(void *value, size_t *len, const void *data, size_t n)
{
    if (*len < n)
        return -EINVAL;
    if (n)
        memcpy(value, data, n);
    *len = n;
    return 0;
}

static int put_string(void *value, size_t *len, const char *s)
{
    return opt_put_bytes(value, len, s, strlen(s) + 1);
}

static int set_string(char *dst, size_t cap, const void *value, size_t len)
{
    if (len >= cap)
        return -EINVAL;
    if (len)
        memcpy(dst, value, len);
    dst[len] = 0;
    return 0;
}

void options_wipe_secrets(struct options *o)
{
    volatile uint8_t *p = o->curve_secret;
    for (size_t i = 0; i < sizeof o->curve_secret; i++)
        p[i] = 0;
    volatile char *q = o->plain_password;
    for (size_t i = 0; i < sizeof o->plain_password; i++)
        q[i] = 0;
}

/* CURVE keys are set as 32 raw bytes, or 40 (41 with NUL) Z85 characters. */
static int set_key(uint8_t key[32], bool *is_set, const void *value, size_t len)
{
    if (len == 32) {
        memcpy(key, value, 32);
    } else if (len == 40 || len == 41) {
        char text[41];
        memcpy(text, value, 40);
        text[40] = 0;
        if (!z85_decode(key, text))
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    *is_set = true;
    return 0;
}

static int get_key(const uint8_t key[32], void *value, size_t *len)
{
    if (*len == 32)
        return opt_put_bytes(value, len, key, 32);
    if (*len >= 41) {
        z85_encode(value, key, 32);
        *len = 41;
        return 0;
    }
    return -EINVAL;
}

/* "10.0.0.0/8", "::1", "192.168.1.7": an address with an optional prefix length. */
static int parse_accept_filter(const void *value, size_t len, struct accept_filter *f)
{
    char text[64];
    if (len == 0 || len >= sizeof text)
        return -EINVAL;
    memcpy(text, value, len);
    text[len] = 0;
    char *slash = strchr(text, '/');
    if (slash)
        *slash = 0;
    memset(f, 0, sizeof *f);
    if (inet_pton(AF_INET, text, f->addr) == 1) {
        f->family = AF_INET;
        f->bits = 32;
    } else if (inet_pton(AF_INET6, text, f->addr) == 1) {
        f->family = AF_INET6;
        f->bits = 128;
    } else {
        return -EINVAL;
    }
    if (slash) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (*end || bits < 0 || bits > f->bits)
            return -EINVAL;
        f->bits = (int)bits;
    }
    return 0;
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

bool options_accept_peer(const struct options *o, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return false;
    if (ss.ss_family == AF_UNIX) {
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

static int add_id_filter(void *list, int *count, size_t item, const void *value, size_t len)
{
    if (len != sizeof(int) || !value)
        return -EINVAL;
    if (*count >= OPT_FILTERS_MAX)
        return -EINVAL;
    memcpy((uint8_t *)list + (size_t)*count * item, value, item);
    (*count)++;
    return 0;
}

/* Integer options with a lower bound; returns a pointer to the field or NULL. */
static int *int_field(struct options *o, int option, int *min)
{
    *min = 0;
    switch (option) {
    case ZMQ_SNDHWM: return &o->sndhwm;
    case ZMQ_RCVHWM: return &o->rcvhwm;
    case ZMQ_LINGER: *min = -1; return &o->linger;
    case ZMQ_SNDTIMEO: *min = -1; return &o->sndtimeo;
    case ZMQ_RCVTIMEO: *min = -1; return &o->rcvtimeo;
    case ZMQ_RECONNECT_IVL: *min = -1; return &o->reconnect_ivl;
    case ZMQ_RECONNECT_IVL_MAX: return &o->reconnect_ivl_max;
    case ZMQ_BACKLOG: return &o->backlog;
    case ZMQ_SNDBUF: *min = -1; return &o->sndbuf;
    case ZMQ_RCVBUF: *min = -1; return &o->rcvbuf;
    case ZMQ_TOS: return &o->tos;
    case ZMQ_IMMEDIATE: return &o->immediate;
    case ZMQ_IPV6: return &o->ipv6;
    case ZMQ_HANDSHAKE_IVL: return &o->handshake_ivl;
    case ZMQ_HEARTBEAT_IVL: return &o->heartbeat_ivl;
    case ZMQ_HEARTBEAT_TIMEOUT: *min = -1; return &o->heartbeat_timeout;
    case ZMQ_CONNECT_TIMEOUT: return &o->connect_timeout;
    case ZMQ_TCP_KEEPALIVE: *min = -1; return &o->tcp_keepalive;
    case ZMQ_TCP_KEEPALIVE_CNT: *min = -1; return &o->tcp_keepalive_cnt;
    case ZMQ_TCP_KEEPALIVE_IDLE: *min = -1; return &o->tcp_keepalive_idle;
    case ZMQ_TCP_KEEPALIVE_INTVL: *min = -1; return &o->tcp_keepalive_intvl;
    case ZMQ_TCP_MAXRT: return &o->tcp_maxrt;
    case ZMQ_MULTICAST_HOPS: *min = 1; return &o->multicast_hops;
    case ZMQ_RATE: *min = 1; return &o->rate;
    case ZMQ_RECOVERY_IVL: return &o->recovery_ivl;
    case ZMQ_MULTICAST_MAXTPDU: *min = 1; return &o->multicast_maxtpdu;
    case ZMQ_USE_FD: *min = -1; return &o->use_fd;
    case ZMQ_INVERT_MATCHING: return &o->invert_matching;
    case ZMQ_CONFLATE: return &o->conflate;
    case ZMQ_GSSAPI_PLAINTEXT: return &o->gssapi_plaintext;
    case ZMQ_ZAP_ENFORCE_DOMAIN: return &o->zap_enforce_domain;
    default: return NULL;
    }
}

int options_set(struct options *o, int option, const void *value, size_t len)
{
    int v, min, rc;
    int *field = int_field(o, option, &min);
    if (field) {
        if ((rc = opt_get_int(value, len, &v)) < 0)
            return rc;
        if (v < min)
            return -EINVAL;
        if (option == ZMQ_TCP_KEEPALIVE && v > 1)
            return -EINVAL;
        bool is_flag = option == ZMQ_IMMEDIATE || option == ZMQ_IPV6 || option == ZMQ_CONFLATE ||
                       option == ZMQ_INVERT_MATCHING || option == ZMQ_GSSAPI_PLAINTEXT ||
                       option == ZMQ_ZAP_ENFORCE_DOMAIN;
        if (is_flag && v > 1)
            return -EINVAL;
        if (option == ZMQ_TOS && v > 255)
            return -EINVAL;
        *field = v;
        return 0;
    }
    switch (option) {
    case ZMQ_IPV4ONLY:   /* deprecated inverse of ZMQ_IPV6 */
        if ((rc = opt_get_int(value, len, &v)) < 0)
            return rc;
        if (v < 0 || v > 1)
            return -EINVAL;
        o->ipv6 = !v;
        return 0;
    case ZMQ_HEARTBEAT_TTL:
        if ((rc = opt_get_int(value, len, &v)) < 0)
            return rc;
        if (v < 0 || v / 100 > 0xffff)   /* carried in tenths of a second in a 16-bit field */
            return -EINVAL;
        o->heartbeat_ttl = v - v % 100;
        return 0;
    case ZMQ_MAXMSGSIZE:
        if (len != sizeof(int64_t))
            return -EINVAL;
        memcpy(&o->maxmsgsize, value, sizeof(int64_t));
        if (o->maxmsgsize < -1)
            o->maxmsgsize = -1;
        return 0;
    case ZMQ_AFFINITY:
        if (len != sizeof(uint64_t))
            return -EINVAL;
        memcpy(&o->affinity, value, sizeof(uint64_t));
        return 0;
    case ZMQ_ROUTING_ID:
        /* libzmq: 1..255 bytes, and an id starting with a zero byte is reserved for generated ids. */
        if (len < 1 || len > 255 || !value || ((const uint8_t *)value)[0] == 0)
            return -EINVAL;
        memcpy(o->routing_id, value, len);
        o->routing_id_len = (uint8_t)len;
        return 0;
    case ZMQ_TCP_ACCEPT_FILTER:
        if (!value || len == 0) {
            o->tcp_filter_count = 0;
            return 0;
        }
        if (o->tcp_filter_count >= OPT_FILTERS_MAX)
            return -EINVAL;
        if ((rc = parse_accept_filter(value, len, &o->tcp_filters[o->tcp_filter_count])) < 0)
            return rc;
        o->tcp_filter_count++;
        return 0;
    case ZMQ_IPC_FILTER_UID: return add_id_filter(o->ipc_uids, &o->ipc_uid_count, sizeof(uint32_t), value, len);
    case ZMQ_IPC_FILTER_GID: return add_id_filter(o->ipc_gids, &o->ipc_gid_count, sizeof(uint32_t), value, len);
    case ZMQ_IPC_FILTER_PID: return add_id_filter(o->ipc_pids, &o->ipc_pid_count, sizeof(int32_t), value, len);
    case ZMQ_CONNECT_ROUTING_ID:
        /* libzmq takes it on the types that route by id (REP is built on ROUTER there) */
        if (o->type != ZMQ_ROUTER && o->type != ZMQ_REP && o->type != ZMQ_STREAM)
            return -EINVAL;
        if (len < 1 || len > 255 || !value || ((const uint8_t *)value)[0] == 0)
            return -EINVAL;
        memcpy(o->connect_routing_id, value, len);
        o->connect_routing_id_len = (uint8_t)len;
        o->connect_routing_id_set = true;
        return 0;
    case ZMQ_BINDTODEVICE: return set_string(o->bindtodevice, IF_NAMESIZE, value, len);
    case ZMQ_SOCKS_PROXY: return set_string(o->socks_proxy, sizeof o->socks_proxy, value, len);
    case ZMQ_ZAP_DOMAIN: return set_string(o->zap_domain, sizeof o->zap_domain, value, len);
    case ZMQ_PLAIN_USERNAME:
        if ((rc = set_string(o->plain_username, sizeof o->plain_username, value, len)) < 0)
            return rc;
        o->mechanism = value && len ? ZMQ_PLAIN : ZMQ_NULL;
        o->plain_server = 0;
        return 0;
    case ZMQ_PLAIN_PASSWORD:
        if ((rc = set_string(o->plain_password, sizeof o->plain_password, value, len)) < 0)
            return rc;
        o->mechanism = value && len ? ZMQ_PLAIN : ZMQ_NULL;
        o->plain_server = 0;
        return 0;
    case ZMQ_PLAIN_SERVER:
        if ((rc = opt_get_int(value, len, &v)) < 0)
            return rc;
        o->plain_server = v != 0;
        o->mechanism = v ? ZMQ_PLAIN : ZMQ_NULL;
        return 0;
    case ZMQ_CURVE_SERVER:
        if ((rc = opt_get_int(value, len, &v)) < 0)
            return rc;
        o->curve_server = v != 0;
        o->mechanism = v ? ZMQ_CURVE : ZMQ_NULL;
        return 0;
    case ZMQ_CURVE_PUBLICKEY:
        if ((rc = set_key(o->curve_public, &o->curve_public_set, value, len)) == 0)
            o->mechanism = ZMQ_CURVE;
        return rc;
    case ZMQ_CURVE_SECRETKEY:
        if ((rc = set_key(o->curve_secret, &o->curve_secret_set, value, len)) == 0)
            o->mechanism = ZMQ_CURVE;
        return rc;
    case ZMQ_CURVE_SERVERKEY:
        if ((rc = set_key(o->curve_server_key, &o->curve_server_key_set, value, len)) == 0) {
            o->mechanism = ZMQ_CURVE;
            o->curve_server = 0;
        }
        return rc;
    default:
        return -EINVAL;
    }
}

int options_get(const struct options *o, int option, void *value, size_t *len)
{
    int min;
    int *field = int_field((struct options *)o, option, &min);
    if (field)
        return opt_put_int(value, len, *field);
    switch (option) {
    case ZMQ_TYPE: return opt_put_int(value, len, o->type);
    case ZMQ_IPV4ONLY: return opt_put_int(value, len, !o->ipv6);
    case ZMQ_HEARTBEAT_TTL: return opt_put_int(value, len, o->heartbeat_ttl);
    case ZMQ_MAXMSGSIZE: return opt_put_bytes(value, len, &o->maxmsgsize, sizeof o->maxmsgsize);
    case ZMQ_AFFINITY: return opt_put_bytes(value, len, &o->affinity, sizeof o->affinity);
    case ZMQ_ROUTING_ID: return opt_put_bytes(value, len, o->routing_id, o->routing_id_len);
    case ZMQ_BINDTODEVICE: return put_string(value, len, o->bindtodevice);
    case ZMQ_SOCKS_PROXY: return put_string(value, len, o->socks_proxy);
    case ZMQ_ZAP_DOMAIN: return put_string(value, len, o->zap_domain);
    case ZMQ_MECHANISM: return opt_put_int(value, len, o->mechanism);
    case ZMQ_PLAIN_SERVER: return opt_put_int(value, len, o->plain_server);
    case ZMQ_PLAIN_USERNAME: return put_string(value, len, o->plain_username);
    case ZMQ_PLAIN_PASSWORD: return put_string(value, len, o->plain_password);
    case ZMQ_CURVE_SERVER: return opt_put_int(value, len, o->curve_server);
    case ZMQ_CURVE_PUBLICKEY: return get_key(o->curve_public, value, len);
    case ZMQ_CURVE_SECRETKEY: return get_key(o->curve_secret, value, len);
    case ZMQ_CURVE_SERVERKEY: return get_key(o->curve_server_key, value, len);
    case ZMQ_GSSAPI_SERVER: return opt_put_int(value, len, o->gssapi_server);
    default: return -EINVAL;
    }
}
