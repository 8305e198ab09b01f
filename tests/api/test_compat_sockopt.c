/* Socket options, generic part: for every option libzmq 4.3.4 knows on every stable socket type, the
 * default, the exact size rule (numbers want exactly their size both ways), the valid range and what a
 * value reads back as; the socket-state options; string options (too-small buffers, the size with its
 * NUL, embedded NULs, NULL and ""); routing ids; unknown options. Measured against Debian's libzmq 4.3.4,
 * which this file must also pass (reference mode). test_compat_sockopt_types.c has the type-specific,
 * filter and security options. */
#include "testutil.h"

#include <limits.h>

/* Draft-API numbers (zmq.h shows them only to ZMQ_BUILD_DRAFT_API code) that Debian's libzmq takes. */
#define DRAFT_ZAP_ENFORCE_DOMAIN 93
#define DRAFT_LOOPBACK_FASTPATH 94
#define DRAFT_MULTICAST_LOOP 96
#define DRAFT_SOCKS_USERNAME 99
#define DRAFT_SOCKS_PASSWORD 100
#define DRAFT_RECONNECT_STOP 109

#define TYPE_COUNT 12
#define ANY_INT INT_MIN   /* as a minimum: every int is valid */

static void *ctx;

/* An int option: libzmq's default, its valid range, and whether it reads back as 0/1. */
struct int_option {
    const char *name;
    int id;
    int dflt;
    int min, max;
    int is_flag;
};

#define INT_OPT(id, dflt, min, max) {#id, id, dflt, min, max, 0}
#define FLAG_OPT(id, dflt) {#id, id, dflt, ANY_INT, INT_MAX, 1}

static const struct int_option int_options[] = {
    INT_OPT(ZMQ_RATE, 100, 1, INT_MAX),
    INT_OPT(ZMQ_RECOVERY_IVL, 10000, 0, INT_MAX),
    INT_OPT(ZMQ_SNDBUF, -1, -1, INT_MAX),
    INT_OPT(ZMQ_RCVBUF, -1, -1, INT_MAX),
    INT_OPT(ZMQ_LINGER, -1, -1, INT_MAX),
    INT_OPT(ZMQ_RECONNECT_IVL, 100, -1, INT_MAX),
    INT_OPT(ZMQ_BACKLOG, 100, 0, INT_MAX),
    INT_OPT(ZMQ_RECONNECT_IVL_MAX, 0, 0, INT_MAX),
    INT_OPT(ZMQ_SNDHWM, 1000, 0, INT_MAX),
    INT_OPT(ZMQ_RCVHWM, 1000, 0, INT_MAX),
    INT_OPT(ZMQ_MULTICAST_HOPS, 1, 1, INT_MAX),
    INT_OPT(ZMQ_RCVTIMEO, -1, -1, INT_MAX),
    INT_OPT(ZMQ_SNDTIMEO, -1, -1, INT_MAX),
    INT_OPT(ZMQ_IPV4ONLY, 1, 0, 1),
    INT_OPT(ZMQ_TCP_KEEPALIVE, -1, -1, 1),
    INT_OPT(ZMQ_TCP_KEEPALIVE_CNT, -1, -1, INT_MAX),
    INT_OPT(ZMQ_TCP_KEEPALIVE_IDLE, -1, -1, INT_MAX),
    INT_OPT(ZMQ_TCP_KEEPALIVE_INTVL, -1, -1, INT_MAX),
    INT_OPT(ZMQ_IMMEDIATE, 0, 0, 1),
    INT_OPT(ZMQ_IPV6, 0, 0, 1),
    INT_OPT(ZMQ_CONFLATE, 0, 0, 1),
    INT_OPT(ZMQ_TOS, 0, 0, INT_MAX),
    INT_OPT(ZMQ_HANDSHAKE_IVL, 30000, 0, INT_MAX),
    FLAG_OPT(ZMQ_INVERT_MATCHING, 0),
    INT_OPT(ZMQ_HEARTBEAT_IVL, 0, 0, INT_MAX),
    INT_OPT(ZMQ_HEARTBEAT_TIMEOUT, -1, 0, INT_MAX),   /* -1 is the default, yet not a valid value */
    INT_OPT(ZMQ_CONNECT_TIMEOUT, 0, 0, INT_MAX),
    INT_OPT(ZMQ_TCP_MAXRT, 0, 0, INT_MAX),
    INT_OPT(ZMQ_MULTICAST_MAXTPDU, 1500, 1, INT_MAX),
    INT_OPT(ZMQ_USE_FD, -1, -1, INT_MAX),
    FLAG_OPT(DRAFT_ZAP_ENFORCE_DOMAIN, 0),
    FLAG_OPT(DRAFT_LOOPBACK_FASTPATH, 0),
    FLAG_OPT(DRAFT_MULTICAST_LOOP, 1),
    INT_OPT(DRAFT_RECONNECT_STOP, 0, ANY_INT, INT_MAX),
};

static const char *const type_names[TYPE_COUNT] = {"PAIR",   "PUB",  "SUB",  "REQ",  "REP",  "DEALER",
                                                   "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"};

static void *new_socket(int type)
{
    void *s = CHECK_PTR(zmq_socket(ctx, type));
    return s;
}

static void close_socket(void *s)
{
    int zero = 0;
    CHECK_OK(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_OK(zmq_close(s));
}

/* Reads an int option into a buffer of exactly sizeof(int). */
static int read_int(void *s, int id, const char *name, const char *type)
{
    int v = 0x5a5a5a5a;
    size_t sz = sizeof v;
    if (zmq_getsockopt(s, id, &v, &sz) != 0)
        tu_fail(__FILE__, __LINE__, "%s on %s: get: %s", name, type, zmq_strerror(errno));
    if (sz != sizeof v)
        tu_fail(__FILE__, __LINE__, "%s on %s: get size %zu", name, type, sz);
    return v;
}

static void expect_set(void *s, const struct int_option *o, const char *type, int value, int ok)
{
    errno = 0;
    int rc = zmq_setsockopt(s, o->id, &value, sizeof value);
    if (ok && rc != 0)
        tu_fail(__FILE__, __LINE__, "%s on %s: set %d refused: %s", o->name, type, value, zmq_strerror(errno));
    if (!ok && (rc != -1 || errno != EINVAL))
        tu_fail(__FILE__, __LINE__, "%s on %s: set %d: rc %d errno %d, expected EINVAL", o->name, type, value,
                rc, errno);
    if (ok) {
        int expect = o->is_flag ? value != 0 : value;
        int got = read_int(s, o->id, o->name, type);
        if (got != expect)
            tu_fail(__FILE__, __LINE__, "%s on %s: set %d, read back %d, expected %d", o->name, type, value,
                    got, expect);
    }
}

/* Any size but sizeof(int) is EINVAL, both ways, and leaves the value as it was. */
static void expect_int_size_rule(void *s, const struct int_option *o, const char *type)
{
    int before = read_int(s, o->id, o->name, type);
    unsigned char big[256];
    memset(big, 0, sizeof big);
    const size_t bad_sizes[] = {0, 1, 2, 3, 5, 8, sizeof big};
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        size_t n = bad_sizes[i];
        errno = 0;
        if (zmq_setsockopt(s, o->id, big, n) != -1 || errno != EINVAL)
            tu_fail(__FILE__, __LINE__, "%s on %s: set with %zu bytes: errno %d, expected EINVAL", o->name,
                    type, n, errno);
        size_t sz = n;
        errno = 0;
        if (zmq_getsockopt(s, o->id, big, &sz) != -1 || errno != EINVAL)
            tu_fail(__FILE__, __LINE__, "%s on %s: get into %zu bytes: errno %d, expected EINVAL", o->name,
                    type, n, errno);
    }
    CHECK_EQ(read_int(s, o->id, o->name, type), before);
}

static int default_of(const struct int_option *o, int type)
{
    /* libzmq starts SUB and XSUB with no linger */
    if (o->id == ZMQ_LINGER && (type == ZMQ_SUB || type == ZMQ_XSUB))
        return 0;
    return o->dflt;
}

static void int_options_shall_have_libzmq_defaults_sizes_and_ranges(void)
{
    const size_t n = sizeof int_options / sizeof int_options[0];
    for (int type = 0; type < TYPE_COUNT; type++) {
        void *s = new_socket(type);
        const char *tn = type_names[type];
        for (size_t i = 0; i < n; i++) {
            int got = read_int(s, int_options[i].id, int_options[i].name, tn);
            if (got != default_of(&int_options[i], type))
                tu_fail(__FILE__, __LINE__, "%s on %s: default %d, expected %d", int_options[i].name, tn, got,
                        default_of(&int_options[i], type));
        }
        for (size_t i = 0; i < n; i++) {
            const struct int_option *o = &int_options[i];
            expect_int_size_rule(s, o, tn);
            expect_set(s, o, tn, o->min, 1);
            if (o->min > INT_MIN) {
                expect_set(s, o, tn, o->min - 1, 0);
                expect_set(s, o, tn, INT_MIN, 0);
                CHECK_EQ(read_int(s, o->id, o->name, tn), o->is_flag ? o->min != 0 : o->min);
            }
            expect_set(s, o, tn, o->max, 1);
            if (o->max < INT_MAX) {
                expect_set(s, o, tn, o->max + 1, 0);
                expect_set(s, o, tn, INT_MAX, 0);
            }
            if (o->min < 7 && o->max > 7)
                expect_set(s, o, tn, 7, 1);
            if (o->is_flag)
                expect_set(s, o, tn, -5, 1);
            if (o->dflt >= o->min)
                expect_set(s, o, tn, o->dflt, 1);
        }
        close_socket(s);
    }
}

/* ZMQ_IPV4ONLY is the deprecated inverse of ZMQ_IPV6. */
static void ipv4only_shall_be_the_inverse_of_ipv6(void)
{
    void *s = new_socket(ZMQ_DEALER);
    set_int(s, ZMQ_IPV6, 1);
    CHECK_EQ(get_int(s, ZMQ_IPV4ONLY), 0);
    set_int(s, ZMQ_IPV4ONLY, 1);
    CHECK_EQ(get_int(s, ZMQ_IPV6), 0);
    close_socket(s);
}

/* Kept in tenths of a second in 16 bits: value / 100 (toward zero) must be 0..65535. */
static void heartbeat_ttl_shall_keep_whole_tenths_of_a_second(void)
{
    static const struct {
        int set, read;
    } ok[] = {{0, 0}, {99, 0}, {-99, 0}, {-1, 0}, {100, 100}, {255, 200}, {65536, 65500}, {6553599, 6553500}};
    static const int bad[] = {-100, -2147483647 - 1, 6553600, 2147483647};
    void *s = new_socket(ZMQ_DEALER);
    CHECK_EQ(get_int(s, ZMQ_HEARTBEAT_TTL), 0);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        set_int(s, ZMQ_HEARTBEAT_TTL, ok[i].set);
        CHECK_EQ(get_int(s, ZMQ_HEARTBEAT_TTL), ok[i].read);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_ERR(zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &bad[i], sizeof bad[i]), EINVAL);
    CHECK_EQ(get_int(s, ZMQ_HEARTBEAT_TTL), 6553500);
    int64_t wide = 1000;
    CHECK_ERR(zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &wide, sizeof wide), EINVAL);
    close_socket(s);
}

/* ZMQ_MAXMSGSIZE (int64) and ZMQ_AFFINITY (uint64): exactly 8 bytes both ways, any value. */
static void int64_options_shall_want_exactly_eight_bytes(void)
{
    const int ids[] = {ZMQ_MAXMSGSIZE, ZMQ_AFFINITY};
    const int64_t dflt[] = {-1, 0};
    const int64_t values[] = {-2, -1, 0, 1, 1000, INT64_MAX};
    for (int type = 0; type < TYPE_COUNT; type++) {
        void *s = new_socket(type);
        for (size_t k = 0; k < 2; k++) {
            int64_t v = 99;
            size_t sz = sizeof v;
            CHECK_OK(zmq_getsockopt(s, ids[k], &v, &sz));
            CHECK_EQ(sz, 8);
            CHECK_EQ(v, dflt[k]);
            for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
                CHECK_OK(zmq_setsockopt(s, ids[k], &values[i], sizeof values[i]));
                sz = sizeof v;
                CHECK_OK(zmq_getsockopt(s, ids[k], &v, &sz));
                CHECK_EQ(v, values[i]);
            }
            unsigned char big[256] = {0};
            int small = 5;
            CHECK_ERR(zmq_setsockopt(s, ids[k], &small, sizeof small), EINVAL);
            CHECK_ERR(zmq_setsockopt(s, ids[k], big, 16), EINVAL);
            CHECK_ERR(zmq_setsockopt(s, ids[k], big, sizeof big), EINVAL);
            const size_t bad_sizes[] = {0, 4, 9, 16, sizeof big};
            for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
                sz = bad_sizes[i];
                CHECK_ERR(zmq_getsockopt(s, ids[k], big, &sz), EINVAL);
            }
        }
        close_socket(s);
    }
}

/* Read-only socket state: RCVMORE, FD, EVENTS and THREAD_SAFE take any buffer of at least an int and
 * write an int; TYPE and MECHANISM want exactly an int; none of them can be set. */
static void read_only_options_shall_refuse_set_and_size_their_reads(void)
{
    const int lenient[] = {ZMQ_RCVMORE, ZMQ_FD, ZMQ_EVENTS, ZMQ_THREAD_SAFE};
    const int exact[] = {ZMQ_TYPE, ZMQ_MECHANISM};
    for (int type = 0; type < TYPE_COUNT; type++) {
        void *s = new_socket(type);
        unsigned char buf[256];
        int one = 1;
        for (size_t i = 0; i < sizeof lenient / sizeof lenient[0]; i++) {
            const size_t good[] = {4, 8, sizeof buf};
            for (size_t k = 0; k < 3; k++) {
                size_t sz = good[k];
                CHECK_OK(zmq_getsockopt(s, lenient[i], buf, &sz));
                CHECK_EQ(sz, sizeof(int));
            }
            size_t sz = 3;
            CHECK_ERR(zmq_getsockopt(s, lenient[i], buf, &sz), EINVAL);
            CHECK_ERR(zmq_setsockopt(s, lenient[i], &one, sizeof one), EINVAL);
        }
        for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
            size_t sz = 8;
            CHECK_ERR(zmq_getsockopt(s, exact[i], buf, &sz), EINVAL);
            CHECK_ERR(zmq_setsockopt(s, exact[i], &one, sizeof one), EINVAL);
        }
        CHECK_EQ(get_int(s, ZMQ_TYPE), type);
        CHECK_EQ(get_int(s, ZMQ_MECHANISM), ZMQ_NULL);
        CHECK_EQ(get_int(s, ZMQ_THREAD_SAFE), 0);
        CHECK_EQ(get_int(s, ZMQ_RCVMORE), 0);
        CHECK_INT(get_int(s, ZMQ_FD), >=, 0);
        /* LAST_ENDPOINT: a string, "" at first */
        size_t sz = sizeof buf;
        CHECK_OK(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, buf, &sz));
        CHECK_EQ(sz, 1);
        CHECK_EQ(buf[0], 0);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_LAST_ENDPOINT, "x", 1), EINVAL);
        close_socket(s);
    }
}

/* The size a string reads back with is its length plus the NUL; a buffer smaller than that is EINVAL. */
static void expect_string(void *s, int id, const char *value, size_t len)
{
    char buf[300];
    size_t sz = sizeof buf;
    memset(buf, 'x', sizeof buf);
    CHECK_OK(zmq_getsockopt(s, id, buf, &sz));
    CHECK_EQ(sz, len + 1);
    CHECK_MEM(buf, len, value, len);
    CHECK_EQ(buf[len], 0);
    sz = len + 1;
    CHECK_OK(zmq_getsockopt(s, id, buf, &sz));
    CHECK_EQ(sz, len + 1);
    sz = len;
    CHECK_ERR(zmq_getsockopt(s, id, buf, &sz), EINVAL);
    sz = 0;
    CHECK_ERR(zmq_getsockopt(s, id, buf, &sz), EINVAL);
}

struct string_option {
    const char *name;
    int id;
    size_t max;         /* longest value */
    int null_clears;    /* (NULL, 0) resets it */
    int empty_ok;       /* a non-NULL "" of length 0 is accepted */
    int no_limit;       /* libzmq takes any length; zinc keeps 255 bytes (docs/compat/opts.md) */
};

static const struct string_option string_options[] = {
    {"ZMQ_ZAP_DOMAIN", ZMQ_ZAP_DOMAIN, 255, 0, 0, 0},
    {"ZMQ_SOCKS_PROXY", ZMQ_SOCKS_PROXY, 255, 1, 0, 1},
    {"ZMQ_BINDTODEVICE", ZMQ_BINDTODEVICE, 16, 1, 0, 0},
    {"ZMQ_SOCKS_USERNAME", DRAFT_SOCKS_USERNAME, 255, 1, 1, 0},
    {"ZMQ_SOCKS_PASSWORD", DRAFT_SOCKS_PASSWORD, 255, 1, 1, 0},
};

static void string_options_shall_read_back_with_their_nul(void)
{
    char long_value[257];
    memset(long_value, 's', sizeof long_value);
    for (size_t i = 0; i < sizeof string_options / sizeof string_options[0]; i++) {
        const struct string_option *o = &string_options[i];
        for (int type = 0; type < TYPE_COUNT; type++) {
            void *s = new_socket(type);
            expect_string(s, o->id, "", 0);
            CHECK_OK(zmq_setsockopt(s, o->id, "lo", 2));
            expect_string(s, o->id, "lo", 2);
            /* the bytes are kept as given, NULs included */
            CHECK_OK(zmq_setsockopt(s, o->id, "a\0b", 3));
            expect_string(s, o->id, "a\0b", 3);
            CHECK_OK(zmq_setsockopt(s, o->id, long_value, o->max));
            expect_string(s, o->id, long_value, o->max);
#ifdef ZINC_REFERENCE
            int too_long_refused = !o->no_limit;
#else
            int too_long_refused = 1;
#endif
            if (too_long_refused) {
                CHECK_ERR(zmq_setsockopt(s, o->id, long_value, o->max + 1), EINVAL);
                expect_string(s, o->id, long_value, o->max);
            }
            if (o->empty_ok) {
                CHECK_OK(zmq_setsockopt(s, o->id, "", 0));
                expect_string(s, o->id, "", 0);
            } else {
                CHECK_ERR(zmq_setsockopt(s, o->id, "", 0), EINVAL);
            }
            CHECK_OK(zmq_setsockopt(s, o->id, "eth0", 4));
            if (o->null_clears) {
                CHECK_OK(zmq_setsockopt(s, o->id, NULL, 0));
                expect_string(s, o->id, "", 0);
            } else {
                CHECK_ERR(zmq_setsockopt(s, o->id, NULL, 0), EINVAL);
                expect_string(s, o->id, "eth0", 4);
            }
            close_socket(s);
        }
    }
}

/* Routing ids: 1..255 bytes of anything (a leading zero byte included), read into a buffer at least as
 * big (the empty default reads into any buffer). */
static void routing_id_shall_take_one_to_255_bytes(void)
{
    unsigned char id[300], back[300];
    for (size_t i = 0; i < sizeof id; i++)
        id[i] = (unsigned char)i;
    for (int type = 0; type < TYPE_COUNT; type++) {
        void *s = new_socket(type);
        size_t sz = 0;
        CHECK_OK(zmq_getsockopt(s, ZMQ_ROUTING_ID, back, &sz));
        CHECK_EQ(sz, 0);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_ROUTING_ID, id, 0), EINVAL);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_ROUTING_ID, NULL, 0), EINVAL);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_ROUTING_ID, id + 1, 256), EINVAL);
        CHECK_OK(zmq_setsockopt(s, ZMQ_ROUTING_ID, id, 1));   /* a single zero byte */
        sz = sizeof back;
        CHECK_OK(zmq_getsockopt(s, ZMQ_ROUTING_ID, back, &sz));
        CHECK_EQ(sz, 1);
        CHECK_EQ(back[0], 0);
        CHECK_OK(zmq_setsockopt(s, ZMQ_ROUTING_ID, id, 255));
        sz = 255;
        CHECK_OK(zmq_getsockopt(s, ZMQ_ROUTING_ID, back, &sz));
        CHECK_MEM(back, sz, id, 255);
        sz = 254;
        CHECK_ERR(zmq_getsockopt(s, ZMQ_ROUTING_ID, back, &sz), EINVAL);
        CHECK_OK(zmq_setsockopt(s, ZMQ_IDENTITY, "abc", 3));   /* the old name */
        sz = sizeof back;
        CHECK_OK(zmq_getsockopt(s, ZMQ_IDENTITY, back, &sz));
        CHECK_MEM(back, sz, "abc", 3);
        close_socket(s);
    }
}

/* Numbers libzmq 4.3.4 does not know (or, like VMCI, does not build on Linux): EINVAL both ways. Not the
 * draft options zinc implements, which Debian's build (no draft API) refuses: ZMQ_ROUTER_NOTIFY (97),
 * ZMQ_HELLO_MSG (110), ZMQ_DISCONNECT_MSG (111); tests/draft/ covers them. */
static void unknown_options_shall_be_einval_both_ways(void)
{
    const int unknown[] = {-1, 0,  1,  2,  3,   10,  20,  26,  29,  30,  67,  70,  82,  83,  85,
                           86, 87, 88, 95, 101, 102, 103, 104, 105, 106, 107, 112, 113, 1000};
    for (int type = 0; type < TYPE_COUNT; type++) {
        void *s = new_socket(type);
        for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
            int v = 1;
            size_t sz = sizeof v;
            errno = 0;
            if (zmq_setsockopt(s, unknown[i], &v, sizeof v) != -1 || errno != EINVAL)
                tu_fail(__FILE__, __LINE__, "set option %d on %s: errno %d", unknown[i], type_names[type], errno);
            errno = 0;
            if (zmq_getsockopt(s, unknown[i], &v, &sz) != -1 || errno != EINVAL)
                tu_fail(__FILE__, __LINE__, "get option %d on %s: errno %d", unknown[i], type_names[type], errno);
        }
        close_socket(s);
    }
}

/* NULL is not a socket. */
static void options_on_no_socket_shall_fail_with_enotsock(void)
{
    int v = 0;
    size_t sz = sizeof v;
    CHECK_ERR(zmq_setsockopt(NULL, ZMQ_LINGER, &v, sizeof v), ENOTSOCK);
    CHECK_ERR(zmq_getsockopt(NULL, ZMQ_LINGER, &v, &sz), ENOTSOCK);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(int_options_shall_have_libzmq_defaults_sizes_and_ranges);
    RUN(ipv4only_shall_be_the_inverse_of_ipv6);
    RUN(heartbeat_ttl_shall_keep_whole_tenths_of_a_second);
    RUN(int64_options_shall_want_exactly_eight_bytes);
    RUN(read_only_options_shall_refuse_set_and_size_their_reads);
    RUN(string_options_shall_read_back_with_their_nul);
    RUN(routing_id_shall_take_one_to_255_bytes);
    RUN(unknown_options_shall_be_einval_both_ways);
    RUN(options_on_no_socket_shall_fail_with_enotsock);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
