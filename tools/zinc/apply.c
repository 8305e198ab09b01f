/* Applies a parsed zinc_config to a socket: options by their table kind, the CURVE/PLAIN settings (with
 * CURVE keys read from Z85, hex or a key file), then the binds and connects, reporting any failure with
 * the flag that caused it and what to check. */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zmq.h>

/* ---- options ------------------------------------------------------------------------------------------ */

static int set_or_report(const zinc_config *cfg, void *socket, const zinc_option *o, const char *value, int id,
                         const void *v, size_t size)
{
    if (zmq_setsockopt(socket, id, v, size) == 0)
        return 0;
    char what[256];
    snprintf(what, sizeof what, "%s %s", o->flag, value);
    if (errno == EINVAL)
        zinc_error(cfg->cmd, "%s: %s (out of range, or not an option of this socket type)", what,
                   zmq_strerror(errno));
    else
        zinc_error_zmq(cfg->cmd, what);
    return -1;
}

static int set_heartbeat(const zinc_config *cfg, void *socket, const zinc_option *o, const char *value)
{
    int ivl = (int)strtol(value, NULL, 0);
    int timeout = ivl * 3;
    int ttl = timeout > 6553500 ? 6553500 : timeout; /* the wire carries deciseconds in 16 bits */
    if (set_or_report(cfg, socket, o, value, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl) < 0 ||
        set_or_report(cfg, socket, o, value, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout) < 0)
        return -1;
    return set_or_report(cfg, socket, o, value, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl);
}

static int set_bytes(const zinc_config *cfg, void *socket, const zinc_option *o, const char *value)
{
    size_t len = strlen(value);
    if (!cfg->escapes)
        return set_or_report(cfg, socket, o, value, o->id, value, len);
    unsigned char *buf = malloc(len + 1);
    if (!buf) {
        zinc_error(cfg->cmd, "out of memory");
        return -1;
    }
    long n = zinc_unescape(value, len, buf);
    int rc = -1;
    if (n < 0)
        zinc_usage(cfg->cmd, "%s '%s': bad escape (use \\n \\t \\\\ \\xHH)", o->flag, value);
    else
        rc = set_or_report(cfg, socket, o, value, o->id, buf, (size_t)n);
    free(buf);
    return rc;
}

static int apply_setting(const zinc_config *cfg, void *socket, const zinc_setting *s)
{
    const zinc_option *o = s->option;
    const char *value = s->value;
    switch (o->kind) {
    case ZINC_KIND_INT: {
        int v = (int)strtol(value, NULL, 0);
        return set_or_report(cfg, socket, o, value, o->id, &v, sizeof v);
    }
    case ZINC_KIND_BOOL: {
        int v = (strcmp(value, "1") == 0 || strcasecmp(value, "on") == 0 || strcasecmp(value, "true") == 0 ||
                 strcasecmp(value, "yes") == 0);
        return set_or_report(cfg, socket, o, value, o->id, &v, sizeof v);
    }
    case ZINC_KIND_INT64: {
        int64_t v = strtoll(value, NULL, 0);
        return set_or_report(cfg, socket, o, value, o->id, &v, sizeof v);
    }
    case ZINC_KIND_U64: {
        uint64_t v = strtoull(value, NULL, 0);
        return set_or_report(cfg, socket, o, value, o->id, &v, sizeof v);
    }
    case ZINC_KIND_STRING:
        return set_or_report(cfg, socket, o, value, o->id, value, strlen(value));
    case ZINC_KIND_BYTES:
        return set_bytes(cfg, socket, o, value);
    case ZINC_KIND_HEARTBEAT:
        return set_heartbeat(cfg, socket, o, value);
    }
    return -1;
}

/* ---- CURVE keys --------------------------------------------------------------------------------------- */

static int is_hex_key(const char *s, size_t len)
{
    if (len != 64)
        return 0;
    for (size_t k = 0; k < len; k++)
        if (!isxdigit((unsigned char)s[k]))
            return 0;
    return 1;
}

/* Reads the first word of a key file (keygen writes the key and a newline) into buf. */
static int read_key_file(const char *cmd, const char *flag, const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        zinc_error(cmd, "%s @%s: %s (give the file zinc keygen --secret-file/--public-file wrote)", flag, path,
                   strerror(errno));
        return -1;
    }
    char line[256] = "";
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    char *p = line; /* tolerate a "public: KEY" or "secret: KEY" line, as keygen prints */
    if (strncmp(p, "public:", 7) == 0 || strncmp(p, "secret:", 7) == 0)
        p += 7;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, " \t\r\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 0;
}

static int hex_digit(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

int zinc_curve_key(const char *cmd, const char *flag, const char *value, char z85_out[41])
{
    char buf[128];
    const char *key = value;
    if (value[0] == '@') {
        if (read_key_file(cmd, flag, value + 1, buf, sizeof buf) < 0)
            return -1;
        key = buf;
    }
    size_t len = strlen(key);
    uint8_t raw[32];
    if (len == 40 && zmq_z85_decode(raw, key)) {
        memcpy(z85_out, key, 41);
        return 0;
    }
    if (is_hex_key(key, len)) {
        for (size_t k = 0; k < 32; k++)
            raw[k] = (uint8_t)(hex_digit(key[2 * k]) * 16 + hex_digit(key[2 * k + 1]));
        if (zmq_z85_encode(z85_out, raw, 32))
            return 0;
    }
    return zinc_usage(cmd, "%s: '%s' is not a CURVE key (40 Z85 characters, 64 hex digits or @FILE; "
                           "make one with zinc keygen)", flag, value);
}

/* ---- security ----------------------------------------------------------------------------------------- */

static int set_text(const zinc_config *cfg, void *socket, int id, const char *flag, const char *value)
{
    if (zmq_setsockopt(socket, id, value, strlen(value)) == 0)
        return 0;
    char what[128];
    snprintf(what, sizeof what, "%s", flag);
    if (errno == EINVAL && (id == ZMQ_CURVE_SERVER || id == ZMQ_CURVE_SECRETKEY || id == ZMQ_CURVE_SERVERKEY))
        zinc_error(cfg->cmd, "%s: CURVE is not available in this build (zinc needs libsodium)", flag);
    else
        zinc_error_zmq(cfg->cmd, what);
    return -1;
}

static int set_int(const zinc_config *cfg, void *socket, int id, const char *flag, int v)
{
    if (zmq_setsockopt(socket, id, &v, sizeof v) == 0)
        return 0;
    if (errno == EINVAL && id == ZMQ_CURVE_SERVER)
        zinc_error(cfg->cmd, "%s: CURVE is not available in this build (zinc needs libsodium)", flag);
    else
        zinc_error_zmq(cfg->cmd, flag);
    return -1;
}

static int apply_curve_server(const zinc_config *cfg, void *socket)
{
    char secret[41];
    if (zinc_curve_key(cfg->cmd, "--curve-server", cfg->security.curve_server, secret) < 0)
        return -1;
    if (set_int(cfg, socket, ZMQ_CURVE_SERVER, "--curve-server", 1) < 0)
        return -1;
    return set_text(cfg, socket, ZMQ_CURVE_SECRETKEY, "--curve-server", secret);
}

static int client_keys(const zinc_config *cfg, char public_key[41], char secret_key[41])
{
    const zinc_security *s = &cfg->security;
    if (s->curve_secret) {
        if (zinc_curve_key(cfg->cmd, "--curve-secret", s->curve_secret, secret_key) < 0)
            return -1;
        if (s->curve_public)
            return zinc_curve_key(cfg->cmd, "--curve-public", s->curve_public, public_key);
        if (zmq_curve_public(public_key, secret_key) == 0)
            return 0;
    } else if (zmq_curve_keypair(public_key, secret_key) == 0) {
        return 0;
    }
    zinc_error(cfg->cmd, "--curve-client: cannot make CURVE keys: %s (zinc needs libsodium for CURVE)",
               zmq_strerror(errno));
    return -1;
}

static int apply_curve_client(const zinc_config *cfg, void *socket)
{
    char server[41], public_key[41], secret_key[41];
    if (zinc_curve_key(cfg->cmd, "--curve-client", cfg->security.curve_serverkey, server) < 0 ||
        client_keys(cfg, public_key, secret_key) < 0)
        return -1;
    if (set_text(cfg, socket, ZMQ_CURVE_SERVERKEY, "--curve-client", server) < 0 ||
        set_text(cfg, socket, ZMQ_CURVE_PUBLICKEY, "--curve-public", public_key) < 0)
        return -1;
    return set_text(cfg, socket, ZMQ_CURVE_SECRETKEY, "--curve-secret", secret_key);
}

static int apply_security(const zinc_config *cfg, void *socket)
{
    const zinc_security *s = &cfg->security;
    if (s->curve_server)
        return apply_curve_server(cfg, socket);
    if (s->curve_serverkey)
        return apply_curve_client(cfg, socket);
    if (s->plain_server)
        return set_int(cfg, socket, ZMQ_PLAIN_SERVER, "--plain-server", 1);
    if (s->plain_user) {
        if (set_text(cfg, socket, ZMQ_PLAIN_USERNAME, "--plain-user", s->plain_user) < 0)
            return -1;
        return set_text(cfg, socket, ZMQ_PLAIN_PASSWORD, "--plain-password", s->plain_password);
    }
    return 0;
}

int zinc_config_apply_options(const zinc_config *cfg, void *socket)
{
    for (size_t k = 0; k < cfg->setting_count; k++)
        if (apply_setting(cfg, socket, &cfg->settings[k]) < 0)
            return -1;
    return apply_security(cfg, socket);
}

/* ---- endpoints ---------------------------------------------------------------------------------------- */

static void report_bound(const zinc_config *cfg, void *socket, const char *address)
{
    char last[1024];
    size_t size = sizeof last;
    if (zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, last, &size) != 0)
        snprintf(last, sizeof last, "%s", address);
    fprintf(stderr, "zinc %s: bound to %s\n", cfg->cmd, last);
}

/* zmq_connect resolves tcp:// hosts later and retries for ever: check the port and the name now, so a typo
 * is an error that names it rather than a silent retry loop. 0 if fine (or not tcp), -1 after a message. */
static int check_tcp_connect(const zinc_config *cfg, const char *address)
{
    if (strncmp(address, "tcp://", 6) != 0)
        return 0;
    const char *hostport = strchr(address, ';') ? strchr(address, ';') + 1 : address + 6;
    const char *colon = strrchr(hostport, ':');
    if (!colon)
        return 0; /* zmq_connect has refused it already */
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) {
        zinc_error(cfg->cmd, "--connect %s: bad port '%s' (use 1 to 65535)", address, colon + 1);
        return -1;
    }
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        memmove(host, host + 1, n - 2), host[n - 2] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc == 0) {
        freeaddrinfo(res);
        return 0;
    }
    zinc_error(cfg->cmd, "--connect %s: cannot resolve '%s': %s (check the host name)", address, host,
               gai_strerror(rc));
    return -1;
}

int zinc_config_apply_endpoints(const zinc_config *cfg, void *socket)
{
    for (size_t k = 0; k < cfg->endpoint_count; k++) {
        const zinc_endpoint *e = &cfg->endpoints[k];
        if (e->connect_routing_id) {
            zinc_setting rid = {zinc_option_find("--connect-routing-id"), e->connect_routing_id};
            if (apply_setting(cfg, socket, &rid) < 0)
                return -1;
        }
        int rc = e->bind ? zmq_bind(socket, e->address) : zmq_connect(socket, e->address);
        if (rc == 0 && !e->bind && check_tcp_connect(cfg, e->address) < 0) {
            errno = EINVAL;
            return -1;
        }
        if (rc != 0) {
            char what[1100];
            snprintf(what, sizeof what, "%s %s", e->bind ? "--bind" : "--connect", e->address);
            zinc_error_zmq(cfg->cmd, what);
            return -1;
        }
        if (cfg->verbose && e->bind)
            report_bound(cfg, socket, e->address);
        else if (cfg->verbose)
            fprintf(stderr, "zinc %s: connecting to %s\n", cfg->cmd, e->address);
    }
    return 0;
}

int zinc_config_apply(const zinc_config *cfg, void *socket)
{
    if (zinc_config_apply_options(cfg, socket) < 0)
        return -1;
    return zinc_config_apply_endpoints(cfg, socket);
}
