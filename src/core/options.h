/* Socket options that every socket type shares, with libzmq 4.3's defaults, and the generic
 * setsockopt/getsockopt over them. Options a single socket type owns (ZMQ_SUBSCRIBE, ZMQ_ROUTER_MANDATORY,
 * ...) live in that type's file. Connections copy the options they need when they are created, so the I/O
 * thread never reads a struct the application may be changing. */
#ifndef ZINC_OPTIONS_H
#define ZINC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPT_FILTERS_MAX 16

/* One ZMQ_TCP_ACCEPT_FILTER entry: an address and a prefix length. */
struct accept_filter {
    int family;                 /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int bits;
};

struct options {
    int type;
    int sndhwm, rcvhwm;
    int linger;                 /* ms, -1 forever */
    int sndtimeo, rcvtimeo;     /* ms, -1 forever */
    int reconnect_ivl, reconnect_ivl_max;
    int backlog;
    int64_t maxmsgsize;         /* -1: no limit */
    int sndbuf, rcvbuf;         /* -1: OS default */
    int tos;
    uint64_t affinity;
    int immediate;
    int ipv6;
    int handshake_ivl;
    int heartbeat_ivl, heartbeat_ttl, heartbeat_timeout;
    int connect_timeout;
    int tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle, tcp_keepalive_intvl;
    int tcp_maxrt;
    int multicast_hops, rate, recovery_ivl, multicast_maxtpdu;
    int use_fd;
    int mechanism;              /* ZMQ_NULL / ZMQ_PLAIN / ZMQ_CURVE */
    int plain_server, curve_server, gssapi_server, gssapi_plaintext;
    int zap_enforce_domain;     /* ZMQ_ZAP_ENFORCE_DOMAIN */
    int invert_matching;
    int conflate;
    uint8_t routing_id[255];
    uint8_t routing_id_len;
    uint8_t connect_routing_id[255];
    uint8_t connect_routing_id_len;
    bool connect_routing_id_set;
    char bindtodevice[64];
    char socks_proxy[256];
    char zap_domain[256];
    char plain_username[256];
    char plain_password[256];
    struct accept_filter tcp_filters[OPT_FILTERS_MAX];   /* deprecated libzmq accept filters */
    int tcp_filter_count;
    uint32_t ipc_uids[OPT_FILTERS_MAX], ipc_gids[OPT_FILTERS_MAX];
    int32_t ipc_pids[OPT_FILTERS_MAX];
    int ipc_uid_count, ipc_gid_count, ipc_pid_count;
    uint8_t curve_public[32], curve_secret[32], curve_server_key[32];
    bool curve_public_set, curve_secret_set, curve_server_key_set;
};

void options_init(struct options *o, int type);
/* 0, -EINVAL (bad value or unknown option). */
int options_set(struct options *o, int option, const void *value, size_t len);
/* 0, -EINVAL. *len is in/out as in zmq_getsockopt. */
int options_get(const struct options *o, int option, void *value, size_t *len);

/* Zeroes the secrets a copy of the options holds (CURVE secret key, PLAIN password) before it is freed. */
void options_wipe_secrets(struct options *o);

/* Whether a freshly accepted connection passes the accept filters (tcp: peer address; ipc: peer
 * credentials). */
bool options_accept_peer(const struct options *o, int fd);

/* Helpers for socket types' own options. */
int opt_get_int(const void *value, size_t len, int *out);       /* -EINVAL unless len == sizeof(int) */
/* A boolean option (an int, 0 or positive): 0, or -EINVAL. */
int opt_get_flag(const void *value, size_t len, bool *out);
int opt_put_int(void *value, size_t *len, int v);
int opt_put_bytes(void *value, size_t *len, const void *data, size_t n);

#endif
