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

/* Draft-API option numbers (zmq.h shows them only to ZMQ_BUILD_DRAFT_API code) that Debian's libzmq
 * 4.3.4 accepts all the same; the numbers are libzmq's. */
#define OPT_ZAP_ENFORCE_DOMAIN 93
#define OPT_LOOPBACK_FASTPATH 94
#define OPT_MULTICAST_LOOP 96
#define OPT_XPUB_MANUAL_LAST_VALUE 98
#define OPT_SOCKS_USERNAME 99
#define OPT_SOCKS_PASSWORD 100
#define OPT_ONLY_FIRST_SUBSCRIBE 108
#define OPT_RECONNECT_STOP 109
/* The draft peer events (core/peer_msg.h); not in Debian's libzmq 4.3.4. */
#define OPT_ROUTER_NOTIFY 97
#define OPT_HELLO_MSG 110
#define OPT_DISCONNECT_MSG 111
#define OPT_NOTIFY_CONNECT 1
#define OPT_NOTIFY_DISCONNECT 2

#define OPT_STRING_MAX 255      /* the longest string option (ZAP domain, PLAIN and SOCKS credentials) */
#define OPT_DEVICE_MAX 16       /* ZMQ_BINDTODEVICE: libzmq takes up to 16 bytes */

/* A string option: libzmq keeps the bytes given (NULs included) and reads them back with one more NUL. */
struct opt_string {
    uint8_t len;                /* bytes set, 0..OPT_STRING_MAX */
    char text[OPT_STRING_MAX + 1];   /* NUL-terminated: C users see it up to its first NUL */
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
    int as_server;              /* the security role: PLAIN_SERVER / CURVE_SERVER read it for their mechanism */
    int invert_matching;
    int conflate;
    int zap_enforce_domain, loopback_fastpath, multicast_loop;
    int reconnect_stop;
    int router_notify;          /* OPT_NOTIFY_CONNECT | OPT_NOTIFY_DISCONNECT; set on ROUTER (and REP) only */
    uint8_t routing_id[255];
    uint8_t routing_id_len;
    uint8_t connect_routing_id[255];
    uint8_t connect_routing_id_len;
    bool connect_routing_id_set;
    bool raw_socket;            /* connections speak raw bytes, no ZMTP (set by ZMQ_ROUTER_RAW; STREAM is) */
    struct opt_string bindtodevice;
    struct opt_string socks_proxy, socks_username, socks_password;
    struct opt_string zap_domain;
    struct opt_string plain_username, plain_password;
    struct accept_filter tcp_filters[OPT_FILTERS_MAX];   /* deprecated libzmq accept filters */
    int tcp_filter_count;
    uint32_t ipc_uids[OPT_FILTERS_MAX], ipc_gids[OPT_FILTERS_MAX];
    int32_t ipc_pids[OPT_FILTERS_MAX];
    int ipc_uid_count, ipc_gid_count, ipc_pid_count;
    uint8_t curve_public[32], curve_secret[32], curve_server_key[32];
    bool curve_public_set, curve_secret_set, curve_server_key_set;
};

struct opt_desc;

/* Every default from the option table (core/option_table.c). */
void options_init(struct options *o, int type);
/* A HOME_OPTIONS option, already checked to apply to this socket type: 0 or -EINVAL. */
int options_set(struct options *o, const struct opt_desc *d, const void *value, size_t len);
/* 0, -EINVAL. *len is in/out as in zmq_getsockopt. */
int options_get(const struct options *o, const struct opt_desc *d, void *value, size_t *len);
/* The size and range checks of a row, for options the socket type stores itself: 0 or -EINVAL. */
int options_check(const struct opt_desc *d, const void *value, size_t len);

/* Parses a ZMQ_TCP_ACCEPT_FILTER value ("10.0.0.0/8") as libzmq does: 0, -EINVAL, -ENOMEM. */
int accept_filter_parse(const void *value, size_t len, bool ipv6, struct accept_filter *f);

/* Zeroes the secrets a copy of the options holds (CURVE secret key, PLAIN password) before it is freed. */
void options_wipe_secrets(struct options *o);

/* Whether a freshly accepted connection passes the accept filters (tcp: peer address; ipc: peer
 * credentials). */
bool options_accept_peer(const struct options *o, int fd);

/* ZMQ_CONFLATE is accepted on every type but, as in libzmq, acts only on these: the socket's outgoing
 * queues for PUSH, PUB and DEALER, its incoming queues for PULL, SUB and DEALER. */
bool options_conflate_out(const struct options *o);
bool options_conflate_in(const struct options *o);

/* Helpers for socket types' own options. */
int opt_get_int(const void *value, size_t len, int *out);       /* -EINVAL unless len == sizeof(int) */
/* A boolean option (an int, 0 or positive): 0, or -EINVAL. */
int opt_get_flag(const void *value, size_t len, bool *out);
/* Writes an int into a buffer of at least sizeof(int) bytes (socket state: RCVMORE, EVENTS, ...). */
int opt_put_int(void *value, size_t *len, int v);
int opt_put_bytes(void *value, size_t *len, const void *data, size_t n);

#endif
