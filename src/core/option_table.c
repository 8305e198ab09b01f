/* The socket option table (see option_table.h): every option of libzmq 4.3.4, as Debian builds it, with
 * the sizes, ranges, defaults and socket types measured against that library. */
#include "core/option_table.h"

#include <limits.h>
#include <stddef.h>

#include <zmq.h>

#include "core/options.h"
#include "proto/proto.h"

/* Security mechanisms zinc can run. An unavailable one's options are refused by zmq_setsockopt (EINVAL), as
 * libzmq refuses them when built without it: CURVE needs libsodium; GSSAPI is not implemented. */
static const bool mech_available[] = {
    [ZMQ_NULL] = true,
    [ZMQ_PLAIN] = true,
#ifdef ZINC_HAVE_SODIUM
    [ZMQ_CURVE] = true,
#else
    [ZMQ_CURVE] = false,
#endif
    [ZMQ_GSSAPI] = false,
};

bool option_mech_available(int mechanism)
{
    return mechanism >= 0 && mechanism < (int)(sizeof mech_available / sizeof mech_available[0]) &&
           mech_available[mechanism];
}

#define RW (OPT_SET | OPT_GET)
#define ALL OPT_TYPES_ALL
#define T(t) OPT_TYPE(ZMQ_##t)
#define FIELD(f) offsetof(struct options, f)
#define NOMAX INT_MAX

/* A number kept in struct options and valid in min..max (NAMED: a draft option, whose ZMQ_ name zmq.h
 * shows only to draft code). */
#define NAMED_NUM(id, name, kind, field, min, max, dflt, doc)                                              \
    {id, name, kind, HOME_OPTIONS, RW, ZMQ_NULL, ALL, min, max, dflt, FIELD(field), doc}
#define NUM(id, kind, field, min, max, dflt, doc) NAMED_NUM(id, #id, kind, field, min, max, dflt, doc)
/* A string kept in struct options, of min..max bytes. */
#define NAMED_STR(id, name, field, flags, min, max, mech, doc)                                             \
    {id, name, OPT_STRING, HOME_OPTIONS, RW | (flags), mech, ALL, min, max, 0, FIELD(field), doc}
#define STR(id, field, flags, min, max, mech, doc) NAMED_STR(id, #id, field, flags, min, max, mech, doc)
/* An option with a case of its own in options.c. */
#define CUSTOM(id, flags, mech, types, min, max, doc)                                                      \
    {id, #id, OPT_CUSTOM, HOME_OPTIONS, flags, mech, types, min, max, 0, 0, doc}
/* A set-only option the socket type keeps. */
#define NAMED_PROTO(id, name, kind, types, min, max, doc)                                                  \
    {id, name, kind, HOME_PROTO, OPT_SET, ZMQ_NULL, types, min, max, 0, 0, doc}
#define PROTO(id, kind, types, min, max, doc) NAMED_PROTO(id, #id, kind, types, min, max, doc)
/* Socket state, read only. */
#define STATE(id, kind, doc) {id, #id, kind, HOME_SOCKET, OPT_GET, ZMQ_NULL, ALL, 0, 0, 0, 0, doc}

#define ROUTERISH (T(ROUTER) | T(REP))          /* libzmq's REP is a ROUTER underneath */
#define XPUBISH (T(XPUB) | T(PUB))              /* and its PUB an XPUB */

static const struct opt_desc table[] = {
    {ZMQ_AFFINITY, "ZMQ_AFFINITY", OPT_UINT64, HOME_OPTIONS, RW, ZMQ_NULL, ALL, 0, 0, 0, FIELD(affinity),
     "I/O thread mask; zinc stores it (sockets are spread over the I/O threads in turn)"},
    CUSTOM(ZMQ_ROUTING_ID, RW, ZMQ_NULL, ALL, 1, 255, "bytes; read back into a buffer of at least its size"),
    PROTO(ZMQ_SUBSCRIBE, OPT_RAW, T(SUB) | XPUBISH, 0, 0, "any bytes; XPUB/PUB only with ZMQ_XPUB_MANUAL"),
    PROTO(ZMQ_UNSUBSCRIBE, OPT_RAW, T(SUB) | XPUBISH, 0, 0, "any bytes; XPUB/PUB only with ZMQ_XPUB_MANUAL"),
    NUM(ZMQ_RATE, OPT_INT, rate, 1, NOMAX, 100, "kbit/s, multicast only"),
    NUM(ZMQ_RECOVERY_IVL, OPT_INT, recovery_ivl, 0, NOMAX, 10000, "ms, multicast only"),
    NUM(ZMQ_SNDBUF, OPT_INT, sndbuf, -1, NOMAX, -1, "bytes, -1 = OS default"),
    NUM(ZMQ_RCVBUF, OPT_INT, rcvbuf, -1, NOMAX, -1, "bytes, -1 = OS default"),
    STATE(ZMQ_RCVMORE, OPT_INT, "0 or 1"),
    STATE(ZMQ_FD, OPT_INT, "the socket's mailbox fd (edge-triggered)"),
    STATE(ZMQ_EVENTS, OPT_INT, "ZMQ_POLLIN | ZMQ_POLLOUT"),
    {ZMQ_TYPE, "ZMQ_TYPE", OPT_INT, HOME_OPTIONS, OPT_GET, ZMQ_NULL, ALL, 0, 0, 0, FIELD(type),
     "the socket type"},
    NUM(ZMQ_LINGER, OPT_INT, linger, -1, NOMAX, -1, "ms; SUB and XSUB start at 0"),
    NUM(ZMQ_RECONNECT_IVL, OPT_INT, reconnect_ivl, -1, NOMAX, 100, "ms, -1 = never reconnect"),
    NUM(ZMQ_BACKLOG, OPT_INT, backlog, 0, NOMAX, 100, "listen() backlog"),
    NUM(ZMQ_RECONNECT_IVL_MAX, OPT_INT, reconnect_ivl_max, 0, NOMAX, 0, "ms, 0 = no backoff"),
    NUM(ZMQ_MAXMSGSIZE, OPT_INT64, maxmsgsize, 0, 0, -1, "bytes, any value; negative = no limit"),
    NUM(ZMQ_SNDHWM, OPT_INT, sndhwm, 0, NOMAX, 1000, "messages, 0 = no limit"),
    NUM(ZMQ_RCVHWM, OPT_INT, rcvhwm, 0, NOMAX, 1000, "messages, 0 = no limit"),
    NUM(ZMQ_MULTICAST_HOPS, OPT_INT, multicast_hops, 1, NOMAX, 1, "multicast only"),
    NUM(ZMQ_RCVTIMEO, OPT_INT, rcvtimeo, -1, NOMAX, -1, "ms, -1 = block"),
    NUM(ZMQ_SNDTIMEO, OPT_INT, sndtimeo, -1, NOMAX, -1, "ms, -1 = block"),
    CUSTOM(ZMQ_IPV4ONLY, RW, ZMQ_NULL, ALL, 0, 1, "deprecated inverse of ZMQ_IPV6"),
    STATE(ZMQ_LAST_ENDPOINT, OPT_STRING, "the last bound or connected endpoint, \"\" at first"),
    PROTO(ZMQ_ROUTER_MANDATORY, OPT_INT, ROUTERISH, 0, NOMAX, "unroutable sends fail with EHOSTUNREACH"),
    NUM(ZMQ_TCP_KEEPALIVE, OPT_INT, tcp_keepalive, -1, 1, -1, "-1 = OS default"),
    NUM(ZMQ_TCP_KEEPALIVE_CNT, OPT_INT, tcp_keepalive_cnt, -1, NOMAX, -1, "-1 = OS default"),
    NUM(ZMQ_TCP_KEEPALIVE_IDLE, OPT_INT, tcp_keepalive_idle, -1, NOMAX, -1, "s, -1 = OS default"),
    NUM(ZMQ_TCP_KEEPALIVE_INTVL, OPT_INT, tcp_keepalive_intvl, -1, NOMAX, -1, "s, -1 = OS default"),
    CUSTOM(ZMQ_TCP_ACCEPT_FILTER, OPT_SET, ZMQ_NULL, ALL, 0, 0,
           "deprecated; \"addr[/bits]\" numeric, IPv6 only with ZMQ_IPV6; (NULL, 0) clears"),
    NUM(ZMQ_IMMEDIATE, OPT_INT, immediate, 0, 1, 0, "queue only to completed connections"),
    PROTO(ZMQ_XPUB_VERBOSE, OPT_INT, XPUBISH, 0, NOMAX, "pass duplicate subscriptions"),
    PROTO(ZMQ_ROUTER_RAW, OPT_INT, ROUTERISH, 0, NOMAX, "deprecated; raw TCP peers"),
    NUM(ZMQ_IPV6, OPT_INT, ipv6, 0, 1, 0, "default from the context's ZMQ_IPV6"),
    CUSTOM(ZMQ_MECHANISM, OPT_GET, ZMQ_NULL, ALL, 0, 0, "ZMQ_NULL, ZMQ_PLAIN, ZMQ_CURVE or ZMQ_GSSAPI"),
    CUSTOM(ZMQ_PLAIN_SERVER, RW, ZMQ_PLAIN, ALL, 0, 1, "selects PLAIN (1) or NULL (0)"),
    CUSTOM(ZMQ_PLAIN_USERNAME, RW | OPT_NULL_CLEARS, ZMQ_PLAIN, ALL, 1, OPT_STRING_MAX,
           "selects PLAIN as client; (NULL, 0) selects NULL"),
    CUSTOM(ZMQ_PLAIN_PASSWORD, RW | OPT_NULL_CLEARS, ZMQ_PLAIN, ALL, 1, OPT_STRING_MAX,
           "selects PLAIN as client; (NULL, 0) selects NULL"),
    CUSTOM(ZMQ_CURVE_SERVER, RW, ZMQ_CURVE, ALL, 0, 1, "selects CURVE (1) or NULL (0)"),
    CUSTOM(ZMQ_CURVE_PUBLICKEY, RW, ZMQ_CURVE, ALL, 32, 41,
           "32 bytes or 40 Z85 chars (41 with NUL); read as 32 or 41 bytes exactly"),
    CUSTOM(ZMQ_CURVE_SECRETKEY, RW, ZMQ_CURVE, ALL, 32, 41, "as ZMQ_CURVE_PUBLICKEY"),
    CUSTOM(ZMQ_CURVE_SERVERKEY, RW, ZMQ_CURVE, ALL, 32, 41, "as ZMQ_CURVE_PUBLICKEY; makes the socket a client"),
    PROTO(ZMQ_PROBE_ROUTER, OPT_INT, ROUTERISH | T(DEALER) | T(REQ), 0, NOMAX, "send an empty message on connect"),
    PROTO(ZMQ_REQ_CORRELATE, OPT_INT, T(REQ), 0, NOMAX, "request ids"),
    PROTO(ZMQ_REQ_RELAXED, OPT_INT, T(REQ), 0, NOMAX, "allow a new request before the reply"),
    NUM(ZMQ_CONFLATE, OPT_INT, conflate, 0, 1, 0, "keep only the last message"),
    STR(ZMQ_ZAP_DOMAIN, zap_domain, 0, 1, OPT_STRING_MAX, ZMQ_NULL, "1..255 bytes; NULL and \"\" refused"),
    PROTO(ZMQ_ROUTER_HANDOVER, OPT_INT, ROUTERISH, 0, NOMAX, "a new peer takes over a routing id"),
    NUM(ZMQ_TOS, OPT_INT, tos, 0, NOMAX, 0, "IP TOS byte"),
    CUSTOM(ZMQ_IPC_FILTER_PID, OPT_SET, ZMQ_NULL, ALL, 0, 0, "deprecated; an int; (NULL, 0) clears"),
    CUSTOM(ZMQ_IPC_FILTER_UID, OPT_SET, ZMQ_NULL, ALL, 0, 0, "deprecated; an int; (NULL, 0) clears"),
    CUSTOM(ZMQ_IPC_FILTER_GID, OPT_SET, ZMQ_NULL, ALL, 0, 0, "deprecated; an int; (NULL, 0) clears"),
    CUSTOM(ZMQ_CONNECT_ROUTING_ID, OPT_SET, ZMQ_NULL, ROUTERISH | T(STREAM), 1, 255,
           "the routing id of the next connect's peer"),
    CUSTOM(ZMQ_GSSAPI_SERVER, RW, ZMQ_GSSAPI, ALL, 0, 1, "GSSAPI is not implemented"),
    CUSTOM(ZMQ_GSSAPI_PRINCIPAL, RW, ZMQ_GSSAPI, ALL, 1, OPT_STRING_MAX, "GSSAPI is not implemented"),
    CUSTOM(ZMQ_GSSAPI_SERVICE_PRINCIPAL, RW, ZMQ_GSSAPI, ALL, 1, OPT_STRING_MAX, "GSSAPI is not implemented"),
    CUSTOM(ZMQ_GSSAPI_PLAINTEXT, RW, ZMQ_GSSAPI, ALL, 0, 1, "GSSAPI is not implemented"),
    NUM(ZMQ_HANDSHAKE_IVL, OPT_INT, handshake_ivl, 0, NOMAX, 30000, "ms, 0 = no limit"),
    STR(ZMQ_SOCKS_PROXY, socks_proxy, OPT_NULL_CLEARS, 1, OPT_STRING_MAX, ZMQ_NULL,
        "host:port; (NULL, 0) clears, \"\" refused"),
    PROTO(ZMQ_XPUB_NODROP, OPT_INT, XPUBISH | OPT_TYPE(PROTO_RADIO), 0, NOMAX,
          "EAGAIN instead of dropping at HWM (the draft RADIO takes it too)"),
    PROTO(ZMQ_XPUB_MANUAL, OPT_INT, XPUBISH, 0, NOMAX, "subscriptions set by the application"),
    PROTO(ZMQ_XPUB_WELCOME_MSG, OPT_RAW, XPUBISH, 0, 0, "any bytes, sent to each new subscriber"),
    PROTO(ZMQ_STREAM_NOTIFY, OPT_INT, T(STREAM), 0, 1, "connect/disconnect notifications"),
    NUM(ZMQ_INVERT_MATCHING, OPT_FLAG, invert_matching, INT_MIN, NOMAX, 0, "any int, read back as 0 or 1"),
    NUM(ZMQ_HEARTBEAT_IVL, OPT_INT, heartbeat_ivl, 0, NOMAX, 0, "ms, 0 = off"),
    CUSTOM(ZMQ_HEARTBEAT_TTL, RW, ZMQ_NULL, ALL, -99, 6553599, "ms, kept in tenths of a second (rounded down)"),
    NUM(ZMQ_HEARTBEAT_TIMEOUT, OPT_INT, heartbeat_timeout, 0, NOMAX, -1, "ms; default -1 = ZMQ_HEARTBEAT_IVL"),
    PROTO(ZMQ_XPUB_VERBOSER, OPT_INT, XPUBISH, 0, NOMAX, "pass duplicate subscriptions and unsubscriptions"),
    NUM(ZMQ_CONNECT_TIMEOUT, OPT_INT, connect_timeout, 0, NOMAX, 0, "ms, 0 = OS default"),
    NUM(ZMQ_TCP_MAXRT, OPT_INT, tcp_maxrt, 0, NOMAX, 0, "ms, TCP_USER_TIMEOUT"),
    STATE(ZMQ_THREAD_SAFE, OPT_INT, "0: no stable socket type is thread-safe"),
    NUM(ZMQ_MULTICAST_MAXTPDU, OPT_INT, multicast_maxtpdu, 1, NOMAX, 1500, "bytes, multicast only"),
    NUM(ZMQ_USE_FD, OPT_INT, use_fd, -1, NOMAX, -1, "a pre-bound listening fd"),
    CUSTOM(ZMQ_GSSAPI_PRINCIPAL_NAMETYPE, RW, ZMQ_GSSAPI, ALL, 0, 2, "GSSAPI is not implemented"),
    CUSTOM(ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE, RW, ZMQ_GSSAPI, ALL, 0, 2, "GSSAPI is not implemented"),
    STR(ZMQ_BINDTODEVICE, bindtodevice, OPT_NULL_CLEARS, 1, OPT_DEVICE_MAX, ZMQ_NULL,
        "interface name, 1..16 bytes; (NULL, 0) clears, \"\" refused"),
    NAMED_NUM(OPT_ZAP_ENFORCE_DOMAIN, "ZMQ_ZAP_ENFORCE_DOMAIN", OPT_FLAG, zap_enforce_domain, INT_MIN, NOMAX, 0,
        "draft; any int, read back as 0 or 1"),
    NAMED_NUM(OPT_LOOPBACK_FASTPATH, "ZMQ_LOOPBACK_FASTPATH", OPT_FLAG, loopback_fastpath, INT_MIN, NOMAX, 0,
        "draft; Windows only in libzmq; any int, read back as 0 or 1"),
    NAMED_NUM(OPT_MULTICAST_LOOP, "ZMQ_MULTICAST_LOOP", OPT_FLAG, multicast_loop, INT_MIN, NOMAX, 1,
        "draft; multicast only; any int, read back as 0 or 1"),
    {OPT_ROUTER_NOTIFY, "ZMQ_ROUTER_NOTIFY", OPT_CUSTOM, HOME_OPTIONS, RW, ZMQ_NULL, ALL, 0, 3, 0, 0,
     "draft; ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT, set on ROUTER (and REP, ignored) only, read as 0 elsewhere"},
    NAMED_PROTO(OPT_XPUB_MANUAL_LAST_VALUE, "ZMQ_XPUB_MANUAL_LAST_VALUE", OPT_INT, XPUBISH, 0, NOMAX, "draft"),
    NAMED_STR(OPT_SOCKS_USERNAME, "ZMQ_SOCKS_USERNAME", socks_username, OPT_NULL_CLEARS | OPT_EMPTY_OK, 0,
              OPT_STRING_MAX, ZMQ_NULL, "draft; 0..255 bytes"),
    NAMED_STR(OPT_SOCKS_PASSWORD, "ZMQ_SOCKS_PASSWORD", socks_password, OPT_NULL_CLEARS | OPT_EMPTY_OK, 0,
              OPT_STRING_MAX, ZMQ_NULL, "draft; 0..255 bytes"),
    NAMED_PROTO(OPT_ONLY_FIRST_SUBSCRIBE, "ZMQ_ONLY_FIRST_SUBSCRIBE", OPT_INT, XPUBISH | T(XSUB), 0, NOMAX, "draft"),
    NAMED_NUM(OPT_RECONNECT_STOP, "ZMQ_RECONNECT_STOP", OPT_INT, reconnect_stop, INT_MIN, NOMAX, 0,
        "draft; any int, stored; zinc does not act on it"),
    {OPT_HELLO_MSG, "ZMQ_HELLO_MSG", OPT_RAW, HOME_SOCKET, OPT_SET, ZMQ_NULL, T(ROUTER) | T(DEALER), 0, 0, 0, 0,
     "draft; any bytes, sent first to every new peer; (any, 0) clears"},
    {OPT_DISCONNECT_MSG, "ZMQ_DISCONNECT_MSG", OPT_RAW, HOME_SOCKET, OPT_SET, ZMQ_NULL, T(ROUTER), 0, 0, 0, 0,
     "draft; any bytes, delivered as [id][msg] when an accepted peer goes; (any, 0) clears"},
};

const struct opt_desc *option_table(size_t *count)
{
    *count = sizeof table / sizeof table[0];
    return table;
}

/* Binary search: the table is in option number order (tests/unit/test_option_table.c checks it), and
 * ZMQ_EVENTS is read on every turn of some event loops. */
const struct opt_desc *option_find(int id)
{
    size_t lo = 0, hi = sizeof table / sizeof table[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (table[mid].id == id)
            return &table[mid];
        if (table[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
