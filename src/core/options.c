/* Generic socket options: defaults, validation and read-back, driven by the option table
 * (core/option_table.c), with the few options whose rules fit no row kind handled case by case below.
 * The rules are libzmq 4.3.4's, measured against Debian's build (doc/zmq_setsockopt.txt is sometimes
 * wrong: ZMQ_TOS has no upper bound, ZMQ_HEARTBEAT_TIMEOUT refuses -1 although -1 is its default). */
#include "core/options.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <zmq.h>

#include "core/option_table.h"
#include "core/z85.h"

void options_init(struct options *o, int type)
{
    memset(o, 0, sizeof *o);
    size_t n;
    const struct opt_desc *t = option_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].home != HOME_OPTIONS)
            continue;
        char *field = (char *)o + t[i].offset;
        if (t[i].kind == OPT_INT || t[i].kind == OPT_FLAG) {
            int v = (int)t[i].dflt;
            memcpy(field, &v, sizeof v);
        } else if (t[i].kind == OPT_INT64) {
            int64_t v = t[i].dflt;
            memcpy(field, &v, sizeof v);
        }
    }
    o->type = type;
}

bool options_conflate_out(const struct options *o)
{
    return o->conflate && (o->type == ZMQ_PUSH || o->type == ZMQ_PUB || o->type == ZMQ_DEALER);
}

bool options_conflate_in(const struct options *o)
{
    return o->conflate && (o->type == ZMQ_PULL || o->type == ZMQ_SUB || o->type == ZMQ_DEALER);
}

/* ---- helpers shared with the socket types ------------------------------------------------------------- */
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

/* Numbers are read back into exactly their size, as libzmq insists. */
static int put_exact(void *value, size_t *len, const void *data, size_t n)
{
    if (*len != n)
        return -EINVAL;
    memcpy(value, data, n);
    return 0;
}

static int put_exact_int(void *value, size_t *len, int v)
{
    return put_exact(value, len, &v, sizeof v);
}

static int put_string(void *value, size_t *len, const struct opt_string *s)
{
    return opt_put_bytes(value, len, s->text, (size_t)s->len + 1);
}

int options_check(const struct opt_desc *d, const void *value, size_t len)
{
    int v;
    switch (d->kind) {
    case OPT_INT:
    case OPT_FLAG:
        if (opt_get_int(value, len, &v) < 0 || v < d->min || v > d->max)
            return -EINVAL;
        return 0;
    case OPT_INT64:
    case OPT_UINT64:
        return len == 8 && value ? 0 : -EINVAL;
    case OPT_RAW:
        return value || len == 0 ? 0 : -EINVAL;
    default:
        return 0;
    }
}

/* A string row: (NULL, 0) clears when the row allows it, "" only when the row allows it, else min..max
 * bytes, stored NUL-terminated (a value may hold NULs of its own, as in libzmq's std::string). */
static int set_string(const struct opt_desc *d, struct opt_string *dst, const void *value, size_t len)
{
    if (!value) {
        if (len || !(d->flags & OPT_NULL_CLEARS))
            return -EINVAL;
        dst->len = 0;
        dst->text[0] = 0;
        return 0;
    }
    if (len == 0 && !(d->flags & OPT_EMPTY_OK))
        return -EINVAL;
    if ((int64_t)len < d->min || (int64_t)len > d->max || len > OPT_STRING_MAX)
        return -EINVAL;
    memcpy(dst->text, value, len);
    dst->text[len] = 0;
    dst->len = (uint8_t)len;
    return 0;
}

/* ---- the options no row kind describes ---------------------------------------------------------------- */
/* CURVE keys are set as 32 raw bytes, or 40 Z85 characters (41 with the NUL). */
static int set_key(uint8_t key[32], bool *is_set, const void *value, size_t len)
{
    if (!value)
        return -EINVAL;
    if (len == 32) {
        memcpy(key, value, 32);
    } else if (len == 40 || (len == 41 && ((const char *)value)[40] == 0)) {
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
    if (*len == 32) {
        memcpy(value, key, 32);
        return 0;
    }
    if (*len == 41) {
        z85_encode(value, key, 32);
        return 0;
    }
    return -EINVAL;
}

/* Routing ids: 1..255 bytes, any content. */
static int set_id(uint8_t *dst, uint8_t *dst_len, const void *value, size_t len)
{
    if (!value || len < 1 || len > 255)
        return -EINVAL;
    memcpy(dst, value, len);
    *dst_len = (uint8_t)len;
    return 0;
}

/* ZMQ_IPC_FILTER_*: an int adds an id; (NULL, 0) clears the list. */
static int set_id_filter(void *list, int *count, size_t item, const void *value, size_t len)
{
    if (!value && len == 0) {
        *count = 0;
        return 0;
    }
    if (len != sizeof(int) || !value || *count >= OPT_FILTERS_MAX)
        return -EINVAL;
    memcpy((uint8_t *)list + (size_t)*count * item, value, item);
    (*count)++;
    return 0;
}

static int set_tcp_filter(struct options *o, const void *value, size_t len)
{
    if (!value && len == 0) {
        o->tcp_filter_count = 0;
        return 0;
    }
    if (!value || len == 0 || o->tcp_filter_count >= OPT_FILTERS_MAX)
        return -EINVAL;
    int rc = accept_filter_parse(value, len, o->ipv6 != 0, &o->tcp_filters[o->tcp_filter_count]);
    if (rc == 0)
        o->tcp_filter_count++;
    return rc;
}

/* PLAIN credentials: setting one makes the socket a PLAIN client; (NULL, 0) goes back to NULL. */
static int set_plain_credential(struct options *o, const struct opt_desc *d, struct opt_string *dst, const void *value,
                                size_t len)
{
    int rc = set_string(d, dst, value, len);
    if (rc < 0)
        return rc;
    if (value) {
        o->mechanism = ZMQ_PLAIN;
        o->as_server = 0;
    } else {
        o->mechanism = ZMQ_NULL;
    }
    return 0;
}

/* PLAIN_SERVER / CURVE_SERVER: 1 selects the mechanism as server, 0 goes back to NULL. */
static int set_server(struct options *o, int mechanism, const void *value, size_t len)
{
    int v;
    if (opt_get_int(value, len, &v) < 0 || v < 0 || v > 1)
        return -EINVAL;
    o->as_server = v;
    o->mechanism = v ? mechanism : ZMQ_NULL;
    return 0;
}

static int set_curve_key(struct options *o, int option, const void *value, size_t len)
{
    int rc;
    switch (option) {
    case ZMQ_CURVE_PUBLICKEY: rc = set_key(o->curve_public, &o->curve_public_set, value, len); break;
    case ZMQ_CURVE_SECRETKEY: rc = set_key(o->curve_secret, &o->curve_secret_set, value, len); break;
    default:
        rc = set_key(o->curve_server_key, &o->curve_server_key_set, value, len);
        if (rc == 0)
            o->as_server = 0;   /* knowing the server's key makes this socket a client */
        break;
    }
    if (rc == 0)
        o->mechanism = ZMQ_CURVE;
    return rc;
}

/* Kept in tenths of a second, as the PING command carries it: libzmq divides by 100 (rounding toward
 * zero) and wants the result to fit in 16 bits. */
static int set_heartbeat_ttl(struct options *o, const void *value, size_t len)
{
    int v;
    if (opt_get_int(value, len, &v) < 0)
        return -EINVAL;
    int tenths = v / 100;
    if (tenths < 0 || tenths > 0xffff)
        return -EINVAL;
    o->heartbeat_ttl = tenths * 100;
    return 0;
}

static int set_custom(struct options *o, const struct opt_desc *d, const void *value, size_t len)
{
    int v;
    switch (d->id) {
    case ZMQ_ROUTING_ID: return set_id(o->routing_id, &o->routing_id_len, value, len);
    case ZMQ_CONNECT_ROUTING_ID: {
        int rc = set_id(o->connect_routing_id, &o->connect_routing_id_len, value, len);
        if (rc == 0)
            o->connect_routing_id_set = true;
        return rc;
    }
    case ZMQ_IPV4ONLY:
        if (opt_get_int(value, len, &v) < 0 || v < 0 || v > 1)
            return -EINVAL;
        o->ipv6 = !v;
        return 0;
    case ZMQ_HEARTBEAT_TTL: return set_heartbeat_ttl(o, value, len);
    case ZMQ_TCP_ACCEPT_FILTER: return set_tcp_filter(o, value, len);
    case ZMQ_IPC_FILTER_UID: return set_id_filter(o->ipc_uids, &o->ipc_uid_count, sizeof(uint32_t), value, len);
    case ZMQ_IPC_FILTER_GID: return set_id_filter(o->ipc_gids, &o->ipc_gid_count, sizeof(uint32_t), value, len);
    case ZMQ_IPC_FILTER_PID: return set_id_filter(o->ipc_pids, &o->ipc_pid_count, sizeof(int32_t), value, len);
    case ZMQ_PLAIN_SERVER: return set_server(o, ZMQ_PLAIN, value, len);
    case ZMQ_PLAIN_USERNAME: return set_plain_credential(o, d, &o->plain_username, value, len);
    case ZMQ_PLAIN_PASSWORD: return set_plain_credential(o, d, &o->plain_password, value, len);
    case ZMQ_CURVE_SERVER: return set_server(o, ZMQ_CURVE, value, len);
    case ZMQ_CURVE_PUBLICKEY:
    case ZMQ_CURVE_SECRETKEY:
    case ZMQ_CURVE_SERVERKEY: return set_curve_key(o, d->id, value, len);
    case OPT_ROUTER_NOTIFY:
        /* libzmq: only ROUTER (whose REP inherits it) takes it; any type reads it back (0) */
        if ((o->type != ZMQ_ROUTER && o->type != ZMQ_REP) || opt_get_int(value, len, &v) < 0 || v < d->min ||
            v > d->max)
            return -EINVAL;
        o->router_notify = v;
        return 0;
    default: return -EINVAL;   /* GSSAPI: never reached while the mechanism is unavailable */
    }
}

static int get_custom(const struct options *o, const struct opt_desc *d, void *value, size_t *len)
{
    switch (d->id) {
    case ZMQ_ROUTING_ID: return opt_put_bytes(value, len, o->routing_id, o->routing_id_len);
    case ZMQ_IPV4ONLY: return put_exact_int(value, len, !o->ipv6);
    case ZMQ_HEARTBEAT_TTL: return put_exact_int(value, len, o->heartbeat_ttl);
    case ZMQ_MECHANISM: return put_exact_int(value, len, o->mechanism);
    case ZMQ_PLAIN_SERVER: return put_exact_int(value, len, o->as_server && o->mechanism == ZMQ_PLAIN);
    case ZMQ_PLAIN_USERNAME: return put_string(value, len, &o->plain_username);
    case ZMQ_PLAIN_PASSWORD: return put_string(value, len, &o->plain_password);
    case ZMQ_CURVE_SERVER: return put_exact_int(value, len, o->as_server && o->mechanism == ZMQ_CURVE);
    case ZMQ_CURVE_PUBLICKEY: return get_key(o->curve_public, value, len);
    case ZMQ_CURVE_SECRETKEY: return get_key(o->curve_secret, value, len);
    case ZMQ_CURVE_SERVERKEY: return get_key(o->curve_server_key, value, len);
    case OPT_ROUTER_NOTIFY: return put_exact_int(value, len, o->router_notify);
    default: return -EINVAL;
    }
}

/* ---- the table-driven path ---------------------------------------------------------------------------- */
int options_set(struct options *o, const struct opt_desc *d, const void *value, size_t len)
{
    char *field = (char *)o + d->offset;
    int rc, v;
    switch (d->kind) {
    case OPT_INT:
    case OPT_FLAG:
        if ((rc = options_check(d, value, len)) < 0)
            return rc;
        memcpy(&v, value, sizeof v);
        if (d->kind == OPT_FLAG)
            v = v != 0;
        memcpy(field, &v, sizeof v);
        return 0;
    case OPT_INT64:
    case OPT_UINT64:
        if ((rc = options_check(d, value, len)) < 0)
            return rc;
        memcpy(field, value, 8);
        return 0;
    case OPT_STRING: return set_string(d, (struct opt_string *)field, value, len);
    case OPT_CUSTOM: return set_custom(o, d, value, len);
    default: return -EINVAL;
    }
}

int options_get(const struct options *o, const struct opt_desc *d, void *value, size_t *len)
{
    const char *field = (const char *)o + d->offset;
    switch (d->kind) {
    case OPT_INT:
    case OPT_FLAG: return put_exact(value, len, field, sizeof(int));
    case OPT_INT64:
    case OPT_UINT64: return put_exact(value, len, field, 8);
    case OPT_STRING: return put_string(value, len, (const struct opt_string *)field);
    case OPT_CUSTOM: return get_custom(o, d, value, len);
    default: return -EINVAL;
    }
}

/* Stores through a volatile pointer, so the compiler cannot drop the zeroing of memory about to be freed. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    for (size_t i = 0; i < n; i++)
        v[i] = 0;
}

void options_wipe_secrets(struct options *o)
{
    wipe(o->curve_secret, sizeof o->curve_secret);
    wipe(o->plain_password.text, sizeof o->plain_password.text);
    o->plain_password.len = 0;
}
