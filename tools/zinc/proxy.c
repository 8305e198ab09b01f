/* proxy.c: `zinc proxy FRONT BACK`, zmq_proxy_steerable between two sockets of any types, each with its own
 * endpoints and options, with an optional --capture PUB that sees a copy of every frame.
 *
 * Threads: the main thread owns the front and back sockets and runs the proxy. A watcher thread owns the
 * control PAIR, the capture PAIR (when --capture or --count) and the user's capture PUB. SIGINT and
 * SIGTERM are blocked in every thread but the watcher (the mask is set before the context starts its I/O
 * threads), so the proxy's zmq_poll is never interrupted; the watcher sees the signal flag within
 * WATCH_POLL_MS, or --timeout, or the --count-th captured message, then asks the proxy for STATISTICS and
 * sends TERMINATE. The main thread closes everything: with linger 0 after a signal, with a short linger
 * after --count so the last forwarded messages still reach their peers. */
#include "commands.h"
#include "common.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#define WATCH_POLL_MS 50
#define PROXY_FLUSH_LINGER_MS 1000 /* linger after --count/--timeout: deliver what was forwarded */

/* One side of the proxy: its type and its own endpoints/options. */
struct proxy_side {
    const char *label; /* "FRONT" or "BACK" */
    int type;          /* -1 until given */
    zinc_config cfg;
};

struct proxy_opts {
    zinc_config shared;        /* socket flags before FRONT: applied to both sides */
    struct proxy_side side[2]; /* front, back */
    const char *capture;       /* --capture ENDPOINT: bound PUB, or connected if it starts with '>' */
    long long count;           /* stop after this many messages (0: no bound) */
    long long timeout_ms;      /* stop after this long (0: no bound) */
};

struct proxy_watch {
    const struct proxy_opts *opt;
    void *control;        /* PAIR, bound; the proxy's end is connected */
    void *capture_in;     /* PAIR receiving the proxy's copies, or NULL */
    void *capture_pub;    /* the user's PUB, or NULL */
    atomic_int done;      /* set by main when the proxy returned on its own */
    int stopped_by;       /* 0 none, 1 signal, 2 --timeout, 3 --count */
    long long messages;   /* whole messages seen on the capture */
    uint64_t stats[8];    /* STATISTICS reply, if any */
    int have_stats;
};

/* ---- the watcher thread ------------------------------------------------------------------------------- */

/* Moves every frame waiting on the capture PAIR to the user's PUB, counting whole messages. */
static void watch_drain_capture(struct proxy_watch *w)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, w->capture_in, ZMQ_DONTWAIT) >= 0) {
        int more = zmq_msg_more(&msg);
        if (!more)
            w->messages++;
        if (w->capture_pub)
            zmq_msg_send(&msg, w->capture_pub, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT);
    }
    zmq_msg_close(&msg);
}

/* Asks the proxy for its counters (zmq_proxy_steerable(3): eight uint64 frames). */
static void watch_statistics(struct proxy_watch *w)
{
    int ms = 1000;
    zmq_setsockopt(w->control, ZMQ_RCVTIMEO, &ms, sizeof ms);
    if (zmq_send(w->control, "STATISTICS", 10, 0) < 0)
        return;
    for (int k = 0; k < 8; k++) {
        uint64_t v = 0;
        if (zmq_recv(w->control, &v, sizeof v, 0) != (int)sizeof v)
            return;
        w->stats[k] = v;
    }
    w->have_stats = 1;
}

/* Why to stop now, or 0. */
static int watch_should_stop(const struct proxy_watch *w, long long start)
{
    if (zinc_interrupted)
        return 1;
    if (w->opt->timeout_ms && zinc_now_ms() - start >= w->opt->timeout_ms)
        return 2;
    if (w->opt->count && w->messages >= w->opt->count)
        return 3;
    return 0;
}

static void *watch_main(void *arg)
{
    struct proxy_watch *w = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    long long start = zinc_now_ms();
    while (!atomic_load(&w->done) && !(w->stopped_by = watch_should_stop(w, start))) {
        zmq_pollitem_t item = {.socket = w->capture_in, .events = ZMQ_POLLIN};
        if (w->capture_in) {
            if (zmq_poll(&item, 1, WATCH_POLL_MS) > 0)
                watch_drain_capture(w);
        } else {
            usleep(WATCH_POLL_MS * 1000);
        }
    }
    if (w->stopped_by) {
        watch_statistics(w);
        zmq_send(w->control, "TERMINATE", 9, ZMQ_DONTWAIT);
    }
    return NULL;
}

/* ---- setting up ---------------------------------------------------------------------------------------- */

/* The internal PAIRs and the capture PUB. Returns 0 or -1 (message printed). */
static int proxy_watch_sockets(void *ctx, struct proxy_watch *w, void **control_end, void **capture_end)
{
    char addr[80];
    int zero = 0;
    w->control = zmq_socket(ctx, ZMQ_PAIR);
    *control_end = zmq_socket(ctx, ZMQ_PAIR);
    snprintf(addr, sizeof addr, "inproc://zinc-proxy-control-%ld", (long)getpid());
    if (!w->control || !*control_end || zmq_bind(w->control, addr) < 0 || zmq_connect(*control_end, addr) < 0)
        return zinc_error_zmq("proxy", "the control socket"), -1;
    zmq_setsockopt(w->control, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(*control_end, ZMQ_LINGER, &zero, sizeof zero);
    if (!w->opt->capture && !w->opt->count)
        return 0;
    w->capture_in = zmq_socket(ctx, ZMQ_PAIR);
    *capture_end = zmq_socket(ctx, ZMQ_PAIR);
    snprintf(addr, sizeof addr, "inproc://zinc-proxy-capture-%ld", (long)getpid());
    if (!w->capture_in || !*capture_end || zmq_bind(w->capture_in, addr) < 0 || zmq_connect(*capture_end, addr) < 0)
        return zinc_error_zmq("proxy", "the capture socket"), -1;
    zmq_setsockopt(w->capture_in, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(*capture_end, ZMQ_LINGER, &zero, sizeof zero);
    if (!w->opt->capture)
        return 0;
    const char *ep = w->opt->capture;
    int connect = ep[0] == '>';
    if (ep[0] == '>' || ep[0] == '@')
        ep++;
    w->capture_pub = zmq_socket(ctx, ZMQ_PUB);
    if (!w->capture_pub || (connect ? zmq_connect(w->capture_pub, ep) : zmq_bind(w->capture_pub, ep)) < 0) {
        char what[300];
        snprintf(what, sizeof what, "--capture %s", w->opt->capture);
        zinc_error_zmq("proxy", what);
        return -1;
    }
    zmq_setsockopt(w->capture_pub, ZMQ_LINGER, &zero, sizeof zero);
    return 0;
}

/* One side's socket: shared options, then its own options and endpoints. */
static void *proxy_side_socket(void *ctx, const struct proxy_opts *o, const struct proxy_side *s)
{
    void *sock = zmq_socket(ctx, s->type);
    if (!sock) {
        zinc_error_zmq("proxy", s->label);
        return NULL;
    }
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    if (s->cfg.verbose)
        fprintf(stderr, "zinc proxy: %s is a %s socket\n", s->label, zinc_socket_type_name(s->type));
    if (zinc_config_apply_options(&o->shared, sock) < 0 || zinc_config_apply(&s->cfg, sock) < 0) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

static void proxy_close(void *sock, int linger)
{
    if (sock) {
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(sock);
    }
}

static void proxy_report(const struct proxy_watch *w)
{
    static const char *why[] = {"", "interrupted", "--timeout reached", "--count reached"};
    if (w->have_stats)
        fprintf(stderr, "zinc proxy: %s; %llu messages front->back, %llu back->front\n", why[w->stopped_by],
                (unsigned long long)w->stats[0], (unsigned long long)w->stats[4]);
    else if (w->stopped_by)
        fprintf(stderr, "zinc proxy: %s\n", why[w->stopped_by]);
}

/* Builds the sockets, runs the proxy until the watcher stops it; returns the exit status. */
static int proxy_run(const struct proxy_opts *o)
{
    struct proxy_watch w;
    memset(&w, 0, sizeof w);
    w.opt = o;
    void *control_end = NULL, *capture_end = NULL, *front = NULL, *back = NULL;
    int status = ZINC_EXIT_FAIL;
    pthread_t thread;
    int started = 0;
    void *ctx = zmq_ctx_new();   /* after the signal mask: the I/O threads inherit it */
    if (!ctx || proxy_watch_sockets(ctx, &w, &control_end, &capture_end) < 0)
        goto out;
    if (!(front = proxy_side_socket(ctx, o, &o->side[0])) || !(back = proxy_side_socket(ctx, o, &o->side[1])))
        goto out;
    if (pthread_create(&thread, NULL, watch_main, &w) != 0) {
        zinc_error("proxy", "cannot start the watcher thread");
        goto out;
    }
    started = 1;
    int rc = zmq_proxy_steerable(front, back, capture_end, control_end);
    if (rc < 0 && zmq_errno() != ETERM)
        zinc_error_zmq("proxy", "zmq_proxy_steerable");
    else
        status = ZINC_EXIT_OK;
    atomic_store(&w.done, 1);
out:
    if (started)
        pthread_join(thread, NULL);
    proxy_report(&w);
    int linger = w.stopped_by >= 2 ? PROXY_FLUSH_LINGER_MS : 0;
    proxy_close(front, linger);
    proxy_close(back, linger);
    proxy_close(control_end, 0);
    proxy_close(capture_end, 0);
    proxy_close(w.control, 0);
    proxy_close(w.capture_in, 0);
    proxy_close(w.capture_pub, 0);
    if (ctx)
        zmq_ctx_term(ctx);
    return status;
}

/* ---- the command line ----------------------------------------------------------------------------------- */

static void proxy_usage(FILE *out)
{
    fputs("Usage: zinc proxy [PROXY OPTIONS] [SOCKET FLAGS] FRONT [SOCKET FLAGS] BACK [SOCKET FLAGS]\n"
          "Forwards messages both ways between FRONT and BACK with zmq_proxy until SIGINT/SIGTERM (exit 0,\n"
          "sockets closed with linger 0), --timeout or --count.\n\n"
          "FRONT and BACK are TYPE, TYPE@ENDPOINT (bind) or TYPE>ENDPOINT (connect; quote the '>' in a\n"
          "shell), with more endpoints after commas, each starting with @ or >:\n"
          "  zinc proxy router@tcp://*:5555 dealer@tcp://*:5556\n"
          "  zinc proxy xsub@tcp://*:6000,@ipc:///tmp/feed xpub@tcp://*:6001 --sndhwm 100000\n"
          "  zinc proxy pull@tcp://*:7000 'push>tcp://worker:7001' --capture tcp://127.0.0.1:7002\n"
          "Socket flags (--bind, --connect, options, CURVE/PLAIN) after FRONT or BACK apply to that side;\n"
          "before FRONT they apply to both.\n\n"
          "Proxy options:\n"
          "  --capture ENDPOINT   a PUB bound to ENDPOINT (connected if written >ENDPOINT) that receives a\n"
          "                       copy of every frame forwarded either way\n"
          "  --count N            stop after N whole messages forwarded (either way)\n"
          "  --timeout MS         stop after MS milliseconds\n"
          "  -h, --help           this help\n\n",
          out);
    zinc_config_help(out);
    fputs("\nExit status: 0 stopped by a signal or a bound, 1 runtime failure, 2 usage error.\n", out);
}

/* Adds "@EP" / ">EP" entries of a spec (after TYPE) to cfg. Returns 0 or -1. */
static int proxy_spec_endpoints(zinc_config *cfg, char *list, const char *spec)
{
    char shown[256];
    snprintf(shown, sizeof shown, "%s", spec);   /* before strtok_r cuts it */
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if ((tok[0] != '@' && tok[0] != '>') || !strstr(tok, "://"))
            return zinc_usage("proxy", "%s: each endpoint is @TRANSPORT://ADDRESS (bind) or >TRANSPORT://ADDRESS "
                                       "(connect), e.g. router@tcp://*:5555", shown);
        zinc_endpoint *e = &cfg->endpoints[cfg->endpoint_count++];
        memset(e, 0, sizeof *e);
        e->bind = tok[0] == '@';
        e->address = tok + 1;
    }
    return 0;
}

/* "TYPE[@EP|>EP][,@EP|,>EP...]" into a side. The argv string is cut in place at the commas: the
 * endpoints borrow it, and argv outlives the config. */
static int proxy_parse_spec(struct proxy_side *s, char *spec)
{
    size_t n = strcspn(spec, "@>");
    char type[16];
    if (n == 0 || n >= sizeof type)
        return zinc_usage("proxy", "%s: %s wants a socket type first, e.g. router@tcp://*:5555", spec, s->label);
    memcpy(type, spec, n);
    type[n] = '\0';
    for (char *c = type; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    if ((s->type = zinc_socket_type(type)) < 0)
        return zinc_usage("proxy", "%s: '%s' is not a socket type (router, dealer, xsub, xpub, pull, push...)",
                          spec, type);
    return spec[n] == '\0' ? 0 : proxy_spec_endpoints(&s->cfg, spec + n, spec);
}

/* A proxy option at argv[*i]: 1 consumed, 0 not ours, -1 usage error. */
static int proxy_parse_flag(struct proxy_opts *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *v;
    if (zinc_flag_is(arg, "--capture")) {
        if (!(o->capture = zinc_flag_value("proxy", argc, argv, i, "tcp://127.0.0.1:5557")))
            return -1;
        return strstr(o->capture, "://") ? 1 : zinc_usage("proxy", "--capture %s: not an endpoint", o->capture);
    }
    if (zinc_flag_is(arg, "--count") || zinc_flag_is(arg, "-n"))
        return (v = zinc_flag_value("proxy", argc, argv, i, "1000")) &&
                       zinc_parse_ll("proxy", "--count", v, 1, INT64_MAX, &o->count) == 0 ? 1 : -1;
    if (zinc_flag_is(arg, "--timeout"))
        return (v = zinc_flag_value("proxy", argc, argv, i, "5000")) &&
                       zinc_parse_ll("proxy", "--timeout", v, 1, INT32_MAX, &o->timeout_ms) == 0 ? 1 : -1;
    return 0;
}

/* Returns 0, 1 for --help, -1 after a usage error. */
static int proxy_parse(struct proxy_opts *o, int argc, char **argv)
{
    int sides = 0;   /* FRONT/BACK specs seen */
    for (int i = 1; i < argc; i++) {
        if (zinc_is_help(argv[i]))
            return 1;
        zinc_config *cfg = sides ? &o->side[sides - 1].cfg : &o->shared;
        int rc = proxy_parse_flag(o, argc, argv, &i);
        if (rc == 0)
            rc = zinc_config_parse(cfg, argc, argv, &i);
        if (rc < 0)
            return -1;
        if (rc == 1)
            continue;
        if (argv[i][0] == '-' && argv[i][1])
            return zinc_usage("proxy", "%s: unknown option", argv[i]);
        if (sides == 2)
            return zinc_usage("proxy", "%s: FRONT and BACK are already given", argv[i]);
        if (proxy_parse_spec(&o->side[sides++], argv[i]) < 0)
            return -1;
    }
    if (sides < 2)
        return zinc_usage("proxy", "missing %s (e.g. zinc proxy router@tcp://*:5555 dealer@tcp://*:5556)",
                          sides ? "BACK" : "FRONT and BACK");
    if (zinc_config_has_endpoints(&o->shared))
        return zinc_usage("proxy", "--bind/--connect before FRONT: put them after the side they belong to");
    for (int k = 0; k < 2; k++) {
        o->side[k].cfg.verbose |= o->shared.verbose;   /* -v and -e before FRONT count for both sides */
        o->side[k].cfg.escapes |= o->shared.escapes;
        if (!zinc_config_has_endpoints(&o->side[k].cfg))
            return zinc_usage("proxy", "%s has no endpoint: write TYPE@ENDPOINT or add --bind/--connect after it",
                              o->side[k].label);
        if (zinc_config_check(&o->side[k].cfg) < 0)
            return -1;
    }
    return zinc_config_check(&o->shared);
}

int zinc_cmd_proxy(int argc, char **argv)
{
    struct proxy_opts o;
    memset(&o, 0, sizeof o);
    o.side[0].label = "FRONT";
    o.side[1].label = "BACK";
    o.side[0].type = o.side[1].type = -1;
    int slots = argc;   /* every flag or comma may add an endpoint */
    for (int i = 1; i < argc; i++)
        for (const char *c = argv[i]; *c; c++)
            slots += *c == ',';
    int status, rc = -2;
    if (zinc_config_init(&o.shared, "proxy", slots) == 0 && zinc_config_init(&o.side[0].cfg, "proxy", slots) == 0 &&
        zinc_config_init(&o.side[1].cfg, "proxy", slots) == 0)
        rc = proxy_parse(&o, argc, argv);
    if (rc == 1)
        proxy_usage(stdout);
    if (rc != 0) {
        status = rc == 1 ? ZINC_EXIT_OK : rc == -1 ? ZINC_EXIT_USAGE : ZINC_EXIT_FAIL;
    } else {
        zinc_signals_install();
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, NULL);   /* before the context: see the top of the file */
        status = proxy_run(&o);
    }
    for (int k = 0; k < 2; k++)
        zinc_config_free(&o.side[k].cfg);
    zinc_config_free(&o.shared);
    return status;
}
