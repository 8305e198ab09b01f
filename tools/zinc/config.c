/* The common socket configuration of the zinc command: the table of socket options settable by name, the
 * --bind/--connect list, the CURVE and PLAIN flags; parsed from argv, then applied to a socket. */
#include "common.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zmq.h>

/* Name -> option. Kept in the order --help prints it. */
const zinc_option zinc_options[] = {
    {"--sndhwm", ZMQ_SNDHWM, ZINC_KIND_INT, "send high-water mark, messages (0 = none)"},
    {"--rcvhwm", ZMQ_RCVHWM, ZINC_KIND_INT, "receive high-water mark, messages (0 = none)"},
    {"--linger", ZMQ_LINGER, ZINC_KIND_INT, "ms to deliver pending messages at exit (-1 = forever)"},
    {"--sndtimeo", ZMQ_SNDTIMEO, ZINC_KIND_INT, "send timeout, ms (-1 = block)"},
    {"--rcvtimeo", ZMQ_RCVTIMEO, ZINC_KIND_INT, "receive timeout, ms (-1 = block)"},
    {"--sndbuf", ZMQ_SNDBUF, ZINC_KIND_INT, "kernel send buffer, bytes"},
    {"--rcvbuf", ZMQ_RCVBUF, ZINC_KIND_INT, "kernel receive buffer, bytes"},
    {"--maxmsgsize", ZMQ_MAXMSGSIZE, ZINC_KIND_INT64, "largest message accepted, bytes (-1 = any)"},
    {"--immediate", ZMQ_IMMEDIATE, ZINC_KIND_BOOL, "queue only to completed connections (0/1)"},
    {"--conflate", ZMQ_CONFLATE, ZINC_KIND_BOOL, "keep only the last message (0/1)"},
    {"--identity", ZMQ_ROUTING_ID, ZINC_KIND_BYTES, "this socket's routing id"},
    {"--routing-id", ZMQ_ROUTING_ID, ZINC_KIND_BYTES, "same as --identity"},
    {"--connect-routing-id", ZMQ_CONNECT_ROUTING_ID, ZINC_KIND_BYTES, "the peer's routing id, for the next --connect"},
    {"--subscribe", ZMQ_SUBSCRIBE, ZINC_KIND_BYTES, "SUB/XSUB: subscribe to a prefix (repeatable)"},
    {"--unsubscribe", ZMQ_UNSUBSCRIBE, ZINC_KIND_BYTES, "SUB/XSUB: drop a subscription"},
    {"--heartbeat", -1, ZINC_KIND_HEARTBEAT, "ZMTP ping every MS; peer dead after 3 * MS (sets the three below)"},
    {"--heartbeat-ivl", ZMQ_HEARTBEAT_IVL, ZINC_KIND_INT, "ZMTP PING interval, ms"},
    {"--heartbeat-timeout", ZMQ_HEARTBEAT_TIMEOUT, ZINC_KIND_INT, "no traffic after a PING for this long = dead, ms"},
    {"--heartbeat-ttl", ZMQ_HEARTBEAT_TTL, ZINC_KIND_INT, "ask the peer to time us out after, ms"},
    {"--handshake-ivl", ZMQ_HANDSHAKE_IVL, ZINC_KIND_INT, "handshake time limit, ms (0 = none)"},
    {"--reconnect-ivl", ZMQ_RECONNECT_IVL, ZINC_KIND_INT, "reconnect interval, ms (-1 = never)"},
    {"--reconnect-ivl-max", ZMQ_RECONNECT_IVL_MAX, ZINC_KIND_INT, "reconnect back-off ceiling, ms"},
    {"--connect-timeout", ZMQ_CONNECT_TIMEOUT, ZINC_KIND_INT, "TCP connect timeout, ms (0 = OS)"},
    {"--backlog", ZMQ_BACKLOG, ZINC_KIND_INT, "listen backlog"},
    {"--tcp-keepalive", ZMQ_TCP_KEEPALIVE, ZINC_KIND_INT, "SO_KEEPALIVE (-1 OS, 0 off, 1 on)"},
    {"--tcp-keepalive-idle", ZMQ_TCP_KEEPALIVE_IDLE, ZINC_KIND_INT, "TCP_KEEPIDLE, s"},
    {"--tcp-keepalive-cnt", ZMQ_TCP_KEEPALIVE_CNT, ZINC_KIND_INT, "TCP_KEEPCNT"},
    {"--tcp-keepalive-intvl", ZMQ_TCP_KEEPALIVE_INTVL, ZINC_KIND_INT, "TCP_KEEPINTVL, s"},
    {"--tcp-maxrt", ZMQ_TCP_MAXRT, ZINC_KIND_INT, "TCP_USER_TIMEOUT, ms"},
    {"--tos", ZMQ_TOS, ZINC_KIND_INT, "IP type-of-service byte"},
    {"--ipv6", ZMQ_IPV6, ZINC_KIND_BOOL, "allow IPv6 (0/1)"},
    {"--bindtodevice", ZMQ_BINDTODEVICE, ZINC_KIND_STRING, "SO_BINDTODEVICE interface"},
    {"--socks-proxy", ZMQ_SOCKS_PROXY, ZINC_KIND_STRING, "connect through a SOCKS5 proxy HOST:PORT"},
    {"--affinity", ZMQ_AFFINITY, ZINC_KIND_U64, "I/O thread affinity bitmask"},
    {"--router-mandatory", ZMQ_ROUTER_MANDATORY, ZINC_KIND_BOOL, "ROUTER: fail on unroutable messages (0/1)"},
    {"--router-handover", ZMQ_ROUTER_HANDOVER, ZINC_KIND_BOOL, "ROUTER: a new peer takes over a routing id (0/1)"},
    {"--probe-router", ZMQ_PROBE_ROUTER, ZINC_KIND_BOOL, "send an empty message on connect (0/1)"},
    {"--req-correlate", ZMQ_REQ_CORRELATE, ZINC_KIND_BOOL, "REQ: match replies to requests (0/1)"},
    {"--req-relaxed", ZMQ_REQ_RELAXED, ZINC_KIND_BOOL, "REQ: allow a new request before a reply (0/1)"},
    {"--xpub-verbose", ZMQ_XPUB_VERBOSE, ZINC_KIND_BOOL, "XPUB: pass on duplicate subscriptions (0/1)"},
    {"--xpub-verboser", ZMQ_XPUB_VERBOSER, ZINC_KIND_BOOL, "XPUB: and duplicate unsubscriptions (0/1)"},
    {"--xpub-nodrop", ZMQ_XPUB_NODROP, ZINC_KIND_BOOL, "XPUB/PUB: fail with EAGAIN instead of dropping (0/1)"},
    {"--xpub-manual", ZMQ_XPUB_MANUAL, ZINC_KIND_BOOL, "XPUB: subscriptions set by hand (0/1)"},
    {"--xpub-welcome-msg", ZMQ_XPUB_WELCOME_MSG, ZINC_KIND_BYTES, "XPUB: message sent to each new subscriber"},
    {"--invert-matching", ZMQ_INVERT_MATCHING, ZINC_KIND_BOOL, "PUB/SUB: deliver what does NOT match (0/1)"},
    {"--stream-notify", ZMQ_STREAM_NOTIFY, ZINC_KIND_BOOL, "STREAM: empty message on connect/disconnect (0/1)"},
    {"--zap-domain", ZMQ_ZAP_DOMAIN, ZINC_KIND_STRING, "ZAP authentication domain"},
    {NULL, 0, ZINC_KIND_INT, NULL},
};

const zinc_option *zinc_option_find(const char *flag)
{
    for (const zinc_option *o = zinc_options; o->flag; o++)
        if (zinc_flag_is(flag, o->flag))
            return o;
    return NULL;
}

/* ---- life --------------------------------------------------------------------------------------------- */

int zinc_config_init(zinc_config *cfg, const char *cmd, int argc)
{
    size_t n = argc > 0 ? (size_t)argc : 1;
    memset(cfg, 0, sizeof *cfg);
    cfg->cmd = cmd;
    cfg->endpoints = calloc(n, sizeof *cfg->endpoints);
    cfg->settings = calloc(n, sizeof *cfg->settings);
    if (!cfg->endpoints || !cfg->settings) {
        zinc_config_free(cfg);
        zinc_error(cmd, "out of memory");
        return -1;
    }
    return 0;
}

void zinc_config_free(zinc_config *cfg)
{
    free(cfg->endpoints);
    free(cfg->settings);
    cfg->endpoints = NULL;
    cfg->settings = NULL;
    cfg->endpoint_count = 0;
    cfg->setting_count = 0;
}

/* ---- parsing ------------------------------------------------------------------------------------------ */

static const char *example_for(const zinc_option *o)
{
    switch (o->kind) {
    case ZINC_KIND_BOOL:
        return "1";
    case ZINC_KIND_STRING:
    case ZINC_KIND_BYTES:
        return "TEXT";
    default:
        return "1000";
    }
}

static int parse_bool(const char *value, int *out)
{
    static const char *yes[] = {"1", "on", "true", "yes"};
    static const char *no[] = {"0", "off", "false", "no"};
    for (size_t k = 0; k < 4; k++) {
        if (strcasecmp(value, yes[k]) == 0)
            return *out = 1, 0;
        if (strcasecmp(value, no[k]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* Checks the value's syntax now, so a bad number is a usage error before any socket exists. */
static int check_value(const zinc_config *cfg, const zinc_option *o, const char *value)
{
    long long v;
    int b;
    switch (o->kind) {
    case ZINC_KIND_INT:
        return zinc_parse_ll(cfg->cmd, o->flag, value, INT32_MIN, INT32_MAX, &v);
    case ZINC_KIND_HEARTBEAT:
        return zinc_parse_ll(cfg->cmd, o->flag, value, 0, 2000000, &v);
    case ZINC_KIND_INT64:
        return zinc_parse_ll(cfg->cmd, o->flag, value, INT64_MIN, INT64_MAX, &v);
    case ZINC_KIND_U64:
        return zinc_parse_ll(cfg->cmd, o->flag, value, 0, INT64_MAX, &v);
    case ZINC_KIND_BOOL:
        if (parse_bool(value, &b) < 0)
            return zinc_usage(cfg->cmd, "%s: '%s' is not 0/1 (e.g. %s 1)", o->flag, value, o->flag);
        return 0;
    default:
        return 0;
    }
}

static int parse_option(zinc_config *cfg, const zinc_option *o, int argc, char **argv, int *i)
{
    const char *value = zinc_flag_value(cfg->cmd, argc, argv, i, example_for(o));
    if (!value || check_value(cfg, o, value) < 0)
        return -1;
    cfg->settings[cfg->setting_count].option = o;
    cfg->settings[cfg->setting_count].value = value;
    cfg->setting_count++;
    return 1;
}

static int parse_endpoint(zinc_config *cfg, int bind, int argc, char **argv, int *i)
{
    const char *value = zinc_flag_value(cfg->cmd, argc, argv, i, bind ? "tcp://*:5555" : "tcp://localhost:5555");
    if (!value)
        return -1;
    if (!strstr(value, "://"))
        return zinc_usage(cfg->cmd, "%s %s: an endpoint is TRANSPORT://ADDRESS (e.g. tcp://127.0.0.1:5555, "
                                    "ipc:///tmp/sock)", bind ? "--bind" : "--connect", value);
    cfg->endpoints[cfg->endpoint_count].bind = bind;
    cfg->endpoints[cfg->endpoint_count].address = value;
    if (!bind) {
        cfg->endpoints[cfg->endpoint_count].connect_routing_id = cfg->pending_rid;
        cfg->pending_rid = NULL;
    }
    cfg->endpoint_count++;
    return 1;
}

/* The CURVE/PLAIN flags: each stores its value in cfg->security. */
static int parse_security(zinc_config *cfg, int argc, char **argv, int *i)
{
    static const struct {
        const char *flag;
        size_t offset;
        const char *example;
    } flags[] = {
        {"--curve-server", offsetof(zinc_security, curve_server), "SECRETKEY"},
        {"--curve-client", offsetof(zinc_security, curve_serverkey), "SERVERKEY"},
        {"--curve-public", offsetof(zinc_security, curve_public), "PUBLICKEY"},
        {"--curve-secret", offsetof(zinc_security, curve_secret), "SECRETKEY"},
        {"--plain-user", offsetof(zinc_security, plain_user), "alice"},
        {"--plain-password", offsetof(zinc_security, plain_password), "secret"},
    };
    if (strcmp(argv[*i], "--plain-server") == 0) {
        cfg->security.plain_server = 1;
        return 1;
    }
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        if (!zinc_flag_is(argv[*i], flags[k].flag))
            continue;
        const char *value = zinc_flag_value(cfg->cmd, argc, argv, i, flags[k].example);
        if (!value)
            return -1;
        *(const char **)((char *)&cfg->security + flags[k].offset) = value;
        return 1;
    }
    return 0;
}

int zinc_config_parse(zinc_config *cfg, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    if (zinc_flag_is(arg, "--bind") || zinc_flag_is(arg, "-b"))
        return parse_endpoint(cfg, 1, argc, argv, i);
    if (zinc_flag_is(arg, "--connect") || zinc_flag_is(arg, "-c"))
        return parse_endpoint(cfg, 0, argc, argv, i);
    if (strcmp(arg, "--escapes") == 0 || strcmp(arg, "-e") == 0)
        return cfg->escapes = 1, 1;
    if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0)
        return cfg->verbose = 1, 1;
    const zinc_option *o = zinc_option_find(arg);
    if (o && o->id == ZMQ_CONNECT_ROUTING_ID)
        return (cfg->pending_rid = zinc_flag_value(cfg->cmd, argc, argv, i, "peer1")) ? 1 : -1;
    if (o)
        return parse_option(cfg, o, argc, argv, i);
    return parse_security(cfg, argc, argv, i);
}

int zinc_config_check(const zinc_config *cfg)
{
    const zinc_security *s = &cfg->security;
    if (cfg->pending_rid)
        return zinc_usage(cfg->cmd, "--connect-routing-id %s: put it before the --connect it names", cfg->pending_rid);
    if (s->curve_server && s->curve_serverkey)
        return zinc_usage(cfg->cmd, "--curve-server and --curve-client: choose one side");
    if ((s->curve_public || s->curve_secret) && !s->curve_serverkey)
        return zinc_usage(cfg->cmd, "--curve-public/--curve-secret are the client's keys: add --curve-client "
                                    "SERVERKEY (or use --curve-server SECRETKEY on the server)");
    if (s->curve_public && !s->curve_secret)
        return zinc_usage(cfg->cmd, "--curve-public needs --curve-secret (or give neither for an ephemeral keypair)");
    if ((s->curve_server || s->curve_serverkey) && (s->plain_server || s->plain_user || s->plain_password))
        return zinc_usage(cfg->cmd, "CURVE and PLAIN flags together: choose one mechanism");
    if ((s->plain_user != NULL) != (s->plain_password != NULL))
        return zinc_usage(cfg->cmd, "--plain-user and --plain-password go together");
    return 0;
}

int zinc_config_has(const zinc_config *cfg, int id)
{
    for (size_t k = 0; k < cfg->setting_count; k++)
        if (cfg->settings[k].option->id == id)
            return 1;
    return 0;
}

int zinc_config_has_endpoints(const zinc_config *cfg)
{
    return cfg->endpoint_count > 0;
}

void zinc_config_help(FILE *out)
{
    fputs("Endpoints (repeatable, applied in order):\n"
          "  -b, --bind ENDPOINT       bind, e.g. tcp://*:5555, tcp://127.0.0.1:* (any port), ipc:///tmp/x\n"
          "  -c, --connect ENDPOINT    connect, e.g. tcp://localhost:5555\n"
          "Security:\n"
          "  --curve-server SECRETKEY  be a CURVE server with this secret key\n"
          "  --curve-client SERVERKEY  be a CURVE client of the server with this public key\n"
          "  --curve-public KEY        client's public key (with --curve-secret; default: ephemeral pair)\n"
          "  --curve-secret KEY        client's secret key\n"
          "                            KEY: 40 Z85 characters, 64 hex digits, or @FILE (zinc keygen)\n"
          "  --plain-server            be a PLAIN server: any user, or only --plain-user/--plain-password\n"
          "  --plain-user U            PLAIN user name (with --plain-password)\n"
          "  --plain-password P        PLAIN password\n"
          "Other:\n"
          "  -e, --escapes             decode \\n \\t \\\\ \\xHH in data and byte-valued options\n"
          "  -v, --verbose             report binds, connects and the resolved endpoints on stderr\n"
          "Socket options (--NAME VALUE or --NAME=VALUE):\n",
          out);
    for (const zinc_option *o = zinc_options; o->flag; o++)
        fprintf(out, "  %-24s  %s\n", o->flag, o->help);
}
