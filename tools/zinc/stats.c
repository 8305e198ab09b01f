/* zinc stats ENDPOINT: the live counters of the sockets of another process, served by its context's stats
 * server (zinc_ctx_stats_serve or ZINC_STATS_ENDPOINT=...; docs/zinc.md "stats"). A REQ socket asks every
 * --interval; each answer is one JSON document, printed as it is (--format json) or as a table with the
 * message rates since the previous answer (text). Public API only: the server is any ZMTP REP that answers
 * the same document. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "commands.h"
#include "common.h"

#define STATS_MAX_SOCKETS 256
#define STATS_FIELDS 10   /* the numeric fields after "endpoint", in the server's order */

static const char *const stats_fields[STATS_FIELDS] = {
    "peers", "msgs_in", "bytes_in", "msgs_out", "bytes_out",
    "dropped_hwm", "dropped_no_route", "dropped_filtered", "dropped_oversize", "dropped_conflated",
};
enum { F_PEERS, F_MSGS_IN, F_BYTES_IN, F_MSGS_OUT, F_BYTES_OUT, F_DROP_FIRST };

struct stats_row {
    unsigned long long id;
    char type[16];
    char endpoint[128];
    unsigned long long v[STATS_FIELDS];
};

struct stats_sample {
    long long pid;
    long long at_ms;              /* when it arrived (zinc_now_ms) */
    size_t count;
    struct stats_row rows[STATS_MAX_SOCKETS];
};

struct stats_opts {
    const char *endpoint;
    int once;
    long long interval_ms, timeout_ms, count;
    int json;
};

/* ---- reading the document: the flat shape the server writes, nothing more general ---------------------- */
static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

/* A JSON string at p into out (escapes \" \\ \uXXXX kept simple: \u00XX only); the text after it, or NULL. */
static const char *read_string(const char *p, char *out, size_t cap)
{
    if (*p != '"')
        return NULL;
    size_t n = 0;
    for (p++; *p && *p != '"'; p++) {
        char ch = *p;
        if (ch == '\\') {
            p++;
            if (*p == 'u' && strlen(p) >= 5) {
                ch = (char)strtol((char[]){p[3], p[4], 0}, NULL, 16);
                p += 4;
            } else {
                ch = *p;
            }
            if (!ch)
                return NULL;
        }
        if (n + 1 < cap)
            out[n++] = ch;
    }
    if (cap)
        out[n] = '\0';
    return *p == '"' ? p + 1 : NULL;
}

/* One {"key":value,...} socket object; the text after it, or NULL. */
static const char *read_row(const char *p, struct stats_row *r)
{
    memset(r, 0, sizeof *r);
    if (*p != '{')
        return NULL;
    p = skip_ws(p + 1);
    while (*p && *p != '}') {
        char key[32], text[128];
        p = read_string(p, key, sizeof key);
        if (!p || *(p = skip_ws(p)) != ':')
            return NULL;
        p = skip_ws(p + 1);
        if (*p == '"') {
            p = read_string(p, text, sizeof text);
            if (!p)
                return NULL;
            if (strcmp(key, "type") == 0)
                snprintf(r->type, sizeof r->type, "%.15s", text);
            else if (strcmp(key, "endpoint") == 0)
                snprintf(r->endpoint, sizeof r->endpoint, "%.127s", text);
        } else {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p)
                return NULL;
            p = end;
            if (strcmp(key, "id") == 0)
                r->id = v;
            for (int f = 0; f < STATS_FIELDS; f++)
                if (strcmp(key, stats_fields[f]) == 0)
                    r->v[f] = v;
        }
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
    }
    return *p == '}' ? p + 1 : NULL;
}

static int parse_sample(const char *doc, struct stats_sample *s)
{
    s->count = 0;
    s->pid = 0;
    const char *pid = strstr(doc, "\"pid\":");
    if (pid)
        s->pid = strtoll(pid + 6, NULL, 10);
    const char *p = strstr(doc, "\"sockets\":[");
    if (!p)
        return -1;
    p = skip_ws(p + 11);
    while (*p == '{') {
        struct stats_row row;
        p = read_row(p, &row);
        if (!p)
            return -1;
        if (s->count < STATS_MAX_SOCKETS)
            s->rows[s->count++] = row;
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
    }
    return *p == ']' ? 0 : -1;
}

/* ---- printing ----------------------------------------------------------------------------------------- */
static const struct stats_row *find_row(const struct stats_sample *s, unsigned long long id)
{
    for (size_t i = 0; s && i < s->count; i++)
        if (s->rows[i].id == id)
            return &s->rows[i];
    return NULL;
}

static double rate(unsigned long long now, unsigned long long before, long long ms)
{
    return ms > 0 && now >= before ? (double)(now - before) * 1000.0 / (double)ms : 0.0;
}

static void print_table(const struct stats_opts *o, const struct stats_sample *s, const struct stats_sample *prev)
{
    if (!o->once && isatty(STDOUT_FILENO))
        fputs("\033[H\033[2J", stdout);   /* live view: redraw in place */
    printf("zinc stats %s: pid %lld, %zu socket%s\n", o->endpoint, s->pid, s->count, s->count == 1 ? "" : "s");
    printf("%4s %-7s %-32s %5s %12s %12s %10s %10s %s\n", "ID", "TYPE", "ENDPOINT", "PEERS", "MSGS IN",
           "MSGS OUT", "IN/S", "OUT/S", "DROPPED hwm/no_route/filtered/oversize/conflated");
    for (size_t i = 0; i < s->count; i++) {
        const struct stats_row *r = &s->rows[i];
        const struct stats_row *p = find_row(prev, r->id);
        long long ms = prev ? s->at_ms - prev->at_ms : 0;
        printf("%4llu %-7s %-32s %5llu %12llu %12llu %10.0f %10.0f %llu/%llu/%llu/%llu/%llu\n", r->id, r->type,
               r->endpoint[0] ? r->endpoint : "-", r->v[F_PEERS], r->v[F_MSGS_IN], r->v[F_MSGS_OUT],
               p ? rate(r->v[F_MSGS_IN], p->v[F_MSGS_IN], ms) : 0.0,
               p ? rate(r->v[F_MSGS_OUT], p->v[F_MSGS_OUT], ms) : 0.0, r->v[F_DROP_FIRST],
               r->v[F_DROP_FIRST + 1], r->v[F_DROP_FIRST + 2], r->v[F_DROP_FIRST + 3], r->v[F_DROP_FIRST + 4]);
    }
    fflush(stdout);
}

/* ---- asking ------------------------------------------------------------------------------------------- */
/* One request and its answer into *doc (malloc'd, NUL-terminated): 0, or -1 after printing why. */
static int ask(const struct stats_opts *o, void *req, char **doc)
{
    if (zmq_send(req, "STATS", 5, 0) < 0) {
        zinc_error_zmq("stats", "send");
        return -1;
    }
    zmq_pollitem_t item = {.socket = req, .events = ZMQ_POLLIN};
    int rc = zmq_poll(&item, 1, (long)o->timeout_ms);
    if (rc <= 0) {
        if (rc == 0)
            zinc_error("stats", "no answer from %s within %lld ms (is ZINC_STATS_ENDPOINT set there?)",
                       o->endpoint, o->timeout_ms);
        else
            zinc_error_zmq("stats", "poll");
        return -1;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, req, 0) < 0) {
        zinc_error_zmq("stats", "receive");
        zmq_msg_close(&m);
        return -1;
    }
    size_t n = zmq_msg_size(&m);
    *doc = malloc(n + 1);
    if (*doc) {
        memcpy(*doc, zmq_msg_data(&m), n);
        (*doc)[n] = '\0';
    }
    zmq_msg_close(&m);
    if (!*doc)
        zinc_error("stats", "out of memory");
    return *doc ? 0 : -1;
}

static int stats_loop(const struct stats_opts *o, void *req)
{
    struct stats_sample *samples = calloc(2, sizeof *samples);
    if (!samples) {
        zinc_error("stats", "out of memory");
        return ZINC_EXIT_FAIL;
    }
    struct stats_sample *prev = NULL;
    int status = ZINC_EXIT_OK;
    for (long long round = 0; !zinc_interrupted; round++) {
        char *doc;
        if (ask(o, req, &doc) < 0) {
            status = zinc_interrupted ? 130 : ZINC_EXIT_FAIL;
            break;
        }
        struct stats_sample *s = &samples[round % 2];
        s->at_ms = zinc_now_ms();
        if (o->json) {
            printf("%s\n", doc);
            fflush(stdout);
        } else if (parse_sample(doc, s) < 0) {
            zinc_error("stats", "the answer is not a stats document: %.80s", doc);
            free(doc);
            status = ZINC_EXIT_FAIL;
            break;
        } else {
            print_table(o, s, prev);
            prev = s;
        }
        free(doc);
        if (o->once || (o->count > 0 && round + 1 >= o->count))
            break;
        long long until = zinc_now_ms() + o->interval_ms;
        while (!zinc_interrupted && zinc_now_ms() < until)
            usleep(10000);
    }
    if (zinc_interrupted)
        status = 130;
    free(samples);
    return status;
}

/* ---- the command -------------------------------------------------------------------------------------- */
static void stats_usage(FILE *out)
{
    fputs("Usage: zinc stats ENDPOINT [--once] [--format text|json] [--interval MS] [--count N] [--timeout MS]\n"
          "Prints the counters of every socket of another process's ZeroMQ context, refreshed every second:\n"
          "messages in and out (and per second), peers, and messages dropped by reason. The process serves\n"
          "them when it runs with ZINC_STATS_ENDPOINT=ENDPOINT in its environment (or calls\n"
          "zinc_ctx_stats_serve). docs/zinc.md, \"stats\".\n\n"
          "  --once            print once and exit\n"
          "  --format F        text (a table; the default) or json (the server's document, one a line)\n"
          "  --interval MS     between refreshes (default 1000)\n"
          "  --count N         exit after N refreshes\n"
          "  --timeout MS      give up when an answer takes longer (default 2000; exit 1)\n",
          out);
}

/* 0 run, 1 help shown, -1 usage error (printed). */
static int stats_parse(struct stats_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        if (zinc_is_help(a))
            return 1;
        if (zinc_flag_is(a, "--once")) {
            o->once = 1;
        } else if (zinc_flag_is(a, "--format")) {
            if (!(v = zinc_flag_value("stats", argc, argv, &i, "json")))
                return -1;
            if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
                return zinc_usage("stats", "--format takes text or json, not '%s'", v);
            o->json = strcmp(v, "json") == 0;
        } else if (zinc_flag_is(a, "--interval") || zinc_flag_is(a, "--count") || zinc_flag_is(a, "--timeout")) {
            const char *flag = a[2] == 'i' ? "--interval" : a[2] == 'c' ? "--count" : "--timeout";
            long long *dst = a[2] == 'i' ? &o->interval_ms : a[2] == 'c' ? &o->count : &o->timeout_ms;
            if (!(v = zinc_flag_value("stats", argc, argv, &i, "1000")) ||
                zinc_parse_ll("stats", flag, v, 1, 86400000LL, dst) < 0)
                return -1;
        } else if (a[0] == '-' && a[1]) {
            return zinc_usage("stats", "unknown flag '%s'", a);
        } else if (o->endpoint) {
            return zinc_usage("stats", "one endpoint only ('%s' and '%s')", o->endpoint, a);
        } else {
            o->endpoint = a;
        }
    }
    if (!o->endpoint)
        return zinc_usage("stats", "which endpoint? (e.g. zinc stats ipc:///tmp/app.stats)");
    return 0;
}

int zinc_cmd_stats(int argc, char **argv)
{
    struct stats_opts o = {.interval_ms = 1000, .timeout_ms = 2000};
    int rc = stats_parse(&o, argc, argv);
    if (rc == 1)
        stats_usage(stdout);
    if (rc != 0)
        return rc == 1 ? ZINC_EXIT_OK : ZINC_EXIT_USAGE;
    zinc_signals_install();
    /* The asker never serves: with the variable exported in this shell, its own context would bind the
     * endpoint it asks (and an ipc bind takes the path over from the process being watched). */
    unsetenv("ZINC_STATS_ENDPOINT");
    void *ctx = zmq_ctx_new();
    void *req = ctx ? zmq_socket(ctx, ZMQ_REQ) : NULL;
    int status = ZINC_EXIT_FAIL;
    if (!req) {
        zinc_error_zmq("stats", "socket");
    } else {
        int zero = 0;
        zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_connect(req, o.endpoint) < 0)
            zinc_error_zmq("stats", o.endpoint);
        else
            status = stats_loop(&o, req);
        zmq_close(req);
    }
    if (ctx)
        zmq_ctx_term(ctx);
    return status;
}
