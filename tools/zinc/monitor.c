/* monitor.c: `zinc monitor ENDPOINT`, a socket (DEALER unless --type) that connects to or binds ENDPOINT
 * with zmq_socket_monitor attached for every event, printing each event by name as it happens, with a
 * UTC timestamp, as text or JSON lines. Bounded by --count, --until, --timeout or SIGINT/SIGTERM.
 *
 * An event is two frames on the monitor's PAIR (zmq_socket_monitor(3), libzmq 4.3.4): 6 bytes holding a
 * native-order uint16 event id and uint32 value, sent with MORE, then the endpoint. */
#include "commands.h"
#include "common.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#define MONITOR_ENDPOINT_MAX 1024
#define MONITOR_POLL_MS 100 /* how often SIGINT and --timeout are checked */

/* What an event's value means, so it can be printed with a name. */
enum value_kind { VALUE_NONE, VALUE_FD, VALUE_ERRNO, VALUE_INTERVAL, VALUE_PROTOCOL, VALUE_STATUS, VALUE_RAW };

struct event_info {
    int id;
    const char *name;
    enum value_kind kind;
};

static const struct event_info monitor_events[] = {
    {ZMQ_EVENT_CONNECTED, "CONNECTED", VALUE_FD},
    {ZMQ_EVENT_CONNECT_DELAYED, "CONNECT_DELAYED", VALUE_ERRNO},
    {ZMQ_EVENT_CONNECT_RETRIED, "CONNECT_RETRIED", VALUE_INTERVAL},
    {ZMQ_EVENT_LISTENING, "LISTENING", VALUE_FD},
    {ZMQ_EVENT_BIND_FAILED, "BIND_FAILED", VALUE_ERRNO},
    {ZMQ_EVENT_ACCEPTED, "ACCEPTED", VALUE_FD},
    {ZMQ_EVENT_ACCEPT_FAILED, "ACCEPT_FAILED", VALUE_ERRNO},
    {ZMQ_EVENT_CLOSED, "CLOSED", VALUE_FD},
    {ZMQ_EVENT_CLOSE_FAILED, "CLOSE_FAILED", VALUE_ERRNO},
    {ZMQ_EVENT_DISCONNECTED, "DISCONNECTED", VALUE_FD},
    {ZMQ_EVENT_MONITOR_STOPPED, "MONITOR_STOPPED", VALUE_NONE},
    {ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, "HANDSHAKE_FAILED_NO_DETAIL", VALUE_ERRNO},
    {ZMQ_EVENT_HANDSHAKE_SUCCEEDED, "HANDSHAKE_SUCCEEDED", VALUE_NONE},
    {ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, "HANDSHAKE_FAILED_PROTOCOL", VALUE_PROTOCOL},
    {ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, "HANDSHAKE_FAILED_AUTH", VALUE_STATUS},
};

#define PROTO(name) {ZMQ_PROTOCOL_ERROR_##name, "ZMQ_PROTOCOL_ERROR_" #name}
static const struct {
    uint32_t code;
    const char *name;
} monitor_protocol_errors[] = {
    PROTO(ZMTP_UNSPECIFIED),
    PROTO(ZMTP_UNEXPECTED_COMMAND),
    PROTO(ZMTP_INVALID_SEQUENCE),
    PROTO(ZMTP_KEY_EXCHANGE),
    PROTO(ZMTP_MALFORMED_COMMAND_UNSPECIFIED),
    PROTO(ZMTP_MALFORMED_COMMAND_MESSAGE),
    PROTO(ZMTP_MALFORMED_COMMAND_HELLO),
    PROTO(ZMTP_MALFORMED_COMMAND_INITIATE),
    PROTO(ZMTP_MALFORMED_COMMAND_ERROR),
    PROTO(ZMTP_MALFORMED_COMMAND_READY),
    PROTO(ZMTP_MALFORMED_COMMAND_WELCOME),
    PROTO(ZMTP_INVALID_METADATA),
    PROTO(ZMTP_CRYPTOGRAPHIC),
    PROTO(ZMTP_MECHANISM_MISMATCH),
    PROTO(ZAP_UNSPECIFIED),
    PROTO(ZAP_MALFORMED_REPLY),
    PROTO(ZAP_BAD_REQUEST_ID),
    PROTO(ZAP_BAD_VERSION),
    PROTO(ZAP_INVALID_STATUS_CODE),
    PROTO(ZAP_INVALID_METADATA),
    PROTO(WS_UNSPECIFIED),
};
#undef PROTO

struct monitor_opts {
    int type;              /* ZMQ_DEALER unless --type */
    int bind_positional;   /* --bind without a value: the positional ENDPOINTs bind */
    long long count;       /* stop after this many events (0: no bound) */
    long long timeout_ms;  /* stop after this long (0: no bound) */
    int until;             /* stop after the first event with this id (0: none) */
    int json;              /* --format json */
    zinc_config cfg;
};

/* ---- names ------------------------------------------------------------------------------------------- */

static const struct event_info *monitor_event_info(int id)
{
    for (size_t k = 0; k < sizeof monitor_events / sizeof monitor_events[0]; k++)
        if (monitor_events[k].id == id)
            return &monitor_events[k];
    return NULL;
}

static int monitor_event_by_name(const char *name)
{
    for (size_t k = 0; k < sizeof monitor_events / sizeof monitor_events[0]; k++)
        if (strcasecmp(monitor_events[k].name, name) == 0)
            return monitor_events[k].id;
    return 0;
}

static const char *monitor_protocol_name(uint32_t code)
{
    for (size_t k = 0; k < sizeof monitor_protocol_errors / sizeof monitor_protocol_errors[0]; k++)
        if (monitor_protocol_errors[k].code == code)
            return monitor_protocol_errors[k].name;
    return NULL;
}

/* ---- printing ---------------------------------------------------------------------------------------- */

/* "2026-12-02T20:31:00.123456Z" */
static void monitor_timestamp(char *out, size_t cap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%06ldZ", base, (long)tv.tv_usec);
}

/* The value as text: "fd=7", "errno=111 (Connection refused)", "status=400", ... */
static void monitor_value_text(const struct event_info *info, uint32_t value, char *out, size_t cap)
{
    const char *pname;
    switch (info ? info->kind : VALUE_RAW) {
    case VALUE_NONE:
        out[0] = '\0';
        break;
    case VALUE_FD:
        snprintf(out, cap, " fd=%u", value);
        break;
    case VALUE_ERRNO:
        snprintf(out, cap, " errno=%u (%s)", value, zmq_strerror((int)value));
        break;
    case VALUE_INTERVAL:
        snprintf(out, cap, " interval=%ums", value);
        break;
    case VALUE_STATUS:
        snprintf(out, cap, " status=%u", value);
        break;
    case VALUE_PROTOCOL:
        pname = monitor_protocol_name(value);
        if (pname)
            snprintf(out, cap, " (%s)", pname);
        else
            snprintf(out, cap, " (protocol error 0x%08x)", value);
        break;
    default:
        snprintf(out, cap, " value=%u", value);
        break;
    }
}

/* Writes s as a JSON string body (without the quotes). */
static void monitor_json_string(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
}

/* The value as JSON members after "value": "fd", "errno"+"error", "interval_ms", "status", "protocol_error". */
static void monitor_value_json(const struct event_info *info, uint32_t value)
{
    const char *pname;
    printf(",\"value\":%u", value);
    switch (info ? info->kind : VALUE_RAW) {
    case VALUE_FD:
        printf(",\"fd\":%u", value);
        break;
    case VALUE_ERRNO:
        printf(",\"errno\":%u,\"error\":\"", value);
        monitor_json_string(stdout, zmq_strerror((int)value));
        printf("\"");
        break;
    case VALUE_INTERVAL:
        printf(",\"interval_ms\":%u", value);
        break;
    case VALUE_STATUS:
        printf(",\"status\":%u", value);
        break;
    case VALUE_PROTOCOL:
        pname = monitor_protocol_name(value);
        if (pname)
            printf(",\"protocol_error\":\"%s\"", pname);
        break;
    default:
        break;
    }
}

static void monitor_print(const struct monitor_opts *o, int id, uint32_t value, const char *endpoint)
{
    char when[48];
    monitor_timestamp(when, sizeof when);
    const struct event_info *info = monitor_event_info(id);
    char unknown[32];
    snprintf(unknown, sizeof unknown, "EVENT_0x%x", (unsigned)id);
    const char *name = info ? info->name : unknown;
    if (o->json) {
        printf("{\"time\":\"%s\",\"event\":\"%s\",\"endpoint\":\"", when, name);
        monitor_json_string(stdout, endpoint);
        printf("\"");
        monitor_value_json(info, value);
        printf("}\n");
    } else {
        char detail[160];
        monitor_value_text(info, value, detail, sizeof detail);
        printf("%s %s%s%s%s\n", when, name, endpoint[0] ? " " : "", endpoint, detail);
    }
    fflush(stdout);
}

/* ---- reading events ---------------------------------------------------------------------------------- */

/* Reads one event (both frames) from the monitor PAIR; returns 1, 0 if none is ready, -1 on error or a
 * malformed event. */
static int monitor_read(void *pair, int *id, uint32_t *value, char *endpoint, size_t cap)
{
    unsigned char head[16];
    int n = zmq_recv(pair, head, sizeof head, ZMQ_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN ? 0 : -1;
    int more = 0;
    size_t more_len = sizeof more;
    zmq_getsockopt(pair, ZMQ_RCVMORE, &more, &more_len);
    if (n != 6 || !more)
        return -1;
    uint16_t id16;
    memcpy(&id16, head, sizeof id16);
    memcpy(value, head + 2, sizeof *value);
    *id = id16;
    n = zmq_recv(pair, endpoint, cap - 1, 0);
    if (n < 0)
        return -1;
    endpoint[(size_t)n < cap - 1 ? (size_t)n : cap - 1] = '\0';
    return 1;
}

/* Prints events until a bound is reached; returns the exit status. */
static int monitor_loop(const struct monitor_opts *o, void *pair)
{
    long long start = zinc_now_ms(), seen = 0;
    char endpoint[MONITOR_ENDPOINT_MAX];
    for (;;) {
        if (zinc_interrupted)
            return ZINC_EXIT_OK;
        long long wait = MONITOR_POLL_MS;
        if (o->timeout_ms) {
            long long left = start + o->timeout_ms - zinc_now_ms();
            if (left <= 0)
                return o->count || o->until ? ZINC_EXIT_FAIL : ZINC_EXIT_OK;
            wait = left < wait ? left : wait;
        }
        zmq_pollitem_t item = {.socket = pair, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, (long)wait) < 0 && errno != EINTR) {
            zinc_error_zmq("monitor", "zmq_poll");
            return ZINC_EXIT_FAIL;
        }
        int id, rc;
        uint32_t value;
        while ((rc = monitor_read(pair, &id, &value, endpoint, sizeof endpoint)) > 0) {
            monitor_print(o, id, value, endpoint);
            seen++;
            if ((o->count && seen >= o->count) || (o->until && id == o->until))
                return ZINC_EXIT_OK;
        }
        if (rc < 0 && errno != EINTR) {
            zinc_error("monitor", "reading the monitor: malformed event or %s", zmq_strerror(errno));
            return ZINC_EXIT_FAIL;
        }
    }
}

/* ---- the command ------------------------------------------------------------------------------------- */

static void monitor_usage(FILE *out)
{
    fputs("Usage: zinc monitor [OPTIONS] ENDPOINT...\n"
          "A socket (DEALER unless --type) that connects to ENDPOINT (binds with --bind), printing each\n"
          "zmq_socket_monitor event as it happens: a UTC timestamp, the event's name, the endpoint and the\n"
          "value by meaning (fd=7, errno=111 (Connection refused), interval=100ms, status=400, or the\n"
          "ZMQ_PROTOCOL_ERROR_* name of a failed handshake).\n\n"
          "  --type TYPE        the socket's type (dealer, sub, req, router, ...); default dealer\n"
          "  --bind             the ENDPOINTs are bound, not connected\n"
          "  --count N          exit after N events\n"
          "  --until EVENT      exit after the first EVENT (e.g. DISCONNECTED, HANDSHAKE_SUCCEEDED)\n"
          "  --timeout MS       exit after MS milliseconds (status 1 if --count/--until was not met)\n"
          "  --format FORMAT    text (default) or json: one object a line with time, event, endpoint,\n"
          "                     value and a named field (fd, errno+error, interval_ms, status,\n"
          "                     protocol_error)\n"
          "  -h, --help         this help\n\n"
          "Events: CONNECTED CONNECT_DELAYED CONNECT_RETRIED LISTENING BIND_FAILED ACCEPTED ACCEPT_FAILED\n"
          "CLOSED CLOSE_FAILED DISCONNECTED MONITOR_STOPPED HANDSHAKE_FAILED_NO_DETAIL HANDSHAKE_SUCCEEDED\n"
          "HANDSHAKE_FAILED_PROTOCOL HANDSHAKE_FAILED_AUTH.\n\n",
          out);
    zinc_config_help(out);
    fputs("\nExample: zinc monitor tcp://127.0.0.1:5555 --until DISCONNECTED\n"
          "Exit status: 0 done or interrupted, 1 runtime failure or bound not met, 2 usage error.\n",
          out);
}

/* One monitor-specific flag at argv[*i]; 1 consumed, 0 not ours, -1 usage error. */
static int monitor_parse_flag(struct monitor_opts *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *v;
    if (strcmp(arg, "--bind") == 0 && (*i + 1 >= argc || argv[*i + 1][0] == '-'))
        return o->bind_positional = 1, 1;
    if (zinc_flag_is(arg, "--type") || zinc_flag_is(arg, "-t")) {
        if (!(v = zinc_flag_value("monitor", argc, argv, i, "dealer")))
            return -1;
        if ((o->type = zinc_socket_type(v)) < 0)
            return zinc_usage("monitor", "--type %s: no such socket type (dealer, sub, req, router, ...)", v);
        return 1;
    }
    if (zinc_flag_is(arg, "--count") || zinc_flag_is(arg, "-n"))
        return (v = zinc_flag_value("monitor", argc, argv, i, "3")) &&
                       zinc_parse_ll("monitor", "--count", v, 1, INT64_MAX, &o->count) == 0 ? 1 : -1;
    if (zinc_flag_is(arg, "--timeout"))
        return (v = zinc_flag_value("monitor", argc, argv, i, "5000")) &&
                       zinc_parse_ll("monitor", "--timeout", v, 1, INT32_MAX, &o->timeout_ms) == 0 ? 1 : -1;
    if (zinc_flag_is(arg, "--until")) {
        if (!(v = zinc_flag_value("monitor", argc, argv, i, "DISCONNECTED")))
            return -1;
        if (strncasecmp(v, "ZMQ_EVENT_", 10) == 0)
            v += 10;
        if (!(o->until = monitor_event_by_name(v)))
            return zinc_usage("monitor", "--until %s: no such event (CONNECTED, DISCONNECTED, ...)", v);
        return 1;
    }
    if (zinc_flag_is(arg, "--format")) {
        if (!(v = zinc_flag_value("monitor", argc, argv, i, "json")))
            return -1;
        if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
            return zinc_usage("monitor", "--format %s: use text or json", v);
        return o->json = strcmp(v, "json") == 0, 1;
    }
    return 0;
}

/* Positional ENDPOINTs become --connect (or --bind) entries, in order with the flags. */
static int monitor_add_endpoint(struct monitor_opts *o, const char *arg)
{
    if (!strstr(arg, "://"))
        return zinc_usage("monitor", "%s: an endpoint is TRANSPORT://ADDRESS (e.g. tcp://127.0.0.1:5555)", arg);
    zinc_endpoint *e = &o->cfg.endpoints[o->cfg.endpoint_count++];
    memset(e, 0, sizeof *e);
    e->address = arg;
    e->bind = -1;   /* decided once all flags are read (--bind may come later) */
    return 0;
}

/* Returns 0, 1 for --help, -1 after a usage error. */
static int monitor_parse(struct monitor_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (zinc_is_help(argv[i]))
            return 1;
        int rc = monitor_parse_flag(o, argc, argv, &i);
        if (rc == 0)
            rc = zinc_config_parse(&o->cfg, argc, argv, &i);
        if (rc < 0)
            return -1;
        if (rc == 0 && argv[i][0] == '-' && argv[i][1])
            return zinc_usage("monitor", "%s: unknown option", argv[i]);
        if (rc == 0 && monitor_add_endpoint(o, argv[i]) < 0)
            return -1;
    }
    for (size_t k = 0; k < o->cfg.endpoint_count; k++)
        if (o->cfg.endpoints[k].bind < 0)
            o->cfg.endpoints[k].bind = o->bind_positional;
    if (!zinc_config_has_endpoints(&o->cfg))
        return zinc_usage("monitor", "missing ENDPOINT (e.g. zinc monitor tcp://127.0.0.1:5555)");
    return zinc_config_check(&o->cfg);
}

/* Creates the socket and its monitor, connects/binds, then prints events. */
static int monitor_run(struct monitor_opts *o)
{
    int status = ZINC_EXIT_FAIL, zero = 0;
    char addr[64];
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, o->type) : NULL;
    void *pair = ctx ? zmq_socket(ctx, ZMQ_PAIR) : NULL;
    if (!sock || !pair) {
        zinc_error_zmq("monitor", "creating the sockets");
        goto out;
    }
    snprintf(addr, sizeof addr, "inproc://zinc-monitor-%ld", (long)getpid());
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pair, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_socket_monitor(sock, addr, ZMQ_EVENT_ALL) < 0 || zmq_connect(pair, addr) < 0) {
        zinc_error_zmq("monitor", "zmq_socket_monitor");
        goto out;
    }
    /* The monitor is attached before any endpoint, so the first CONNECT_DELAYED/LISTENING is seen. */
    if (zinc_config_apply(&o->cfg, sock) < 0)
        goto out;
    status = monitor_loop(o, pair);
out:
    if (pair)
        zmq_close(pair);
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    return status;
}

int zinc_cmd_monitor(int argc, char **argv)
{
    struct monitor_opts o;
    memset(&o, 0, sizeof o);
    o.type = ZMQ_DEALER;
    if (zinc_config_init(&o.cfg, "monitor", argc) < 0)
        return ZINC_EXIT_FAIL;
    int rc = monitor_parse(&o, argc, argv);
    if (rc == 1)
        monitor_usage(stdout);
    if (rc != 0) {
        zinc_config_free(&o.cfg);
        return rc == 1 ? ZINC_EXIT_OK : ZINC_EXIT_USAGE;
    }
    zinc_signals_install();
    int status = monitor_run(&o);
    zinc_config_free(&o.cfg);
    return status;
}
