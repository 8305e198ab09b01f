/* The zinc command's small shared pieces: error messages with hints, flag/value parsing, socket types by
 * name, signal handling and the clock. */
#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

volatile sig_atomic_t zinc_interrupted = 0;

/* ---- errors ------------------------------------------------------------------------------------------ */

static void error_prefix(const char *cmd)
{
    if (cmd)
        fprintf(stderr, "zinc %s: ", cmd);
    else
        fputs("zinc: ", stderr);
}

static void verror(const char *cmd, const char *fmt, va_list ap)
{
    error_prefix(cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void zinc_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(cmd, fmt, ap);
    va_end(ap);
}

int zinc_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(cmd, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "Try 'zinc %s --help'.\n", cmd);
    else
        fputs("Try 'zinc --help'.\n", stderr);
    return -1;
}

static int what_is_tcp(const char *what)
{
    return what && strstr(what, "tcp://") != NULL;
}

const char *zinc_hint(int err, const char *what)
{
    switch (err) {
    case EINVAL:
        if (what_is_tcp(what))
            return "check the host name and port: tcp://HOST:PORT, HOST a name, an address or * to bind";
        return "check the value";
    case EPROTONOSUPPORT:
        return "use tcp://, ipc:// or inproc://";
    case EADDRINUSE:
        return "the address is in use: pick another port, or * for an ephemeral one";
    case EADDRNOTAVAIL:
        return "no such local address: bind to * or an address of this host";
    case ENODEV:
        return "no such network interface";
    case EACCES:
        return "permission denied: use a port above 1023 or another path";
    case ENOENT:
        return "no such file or directory";
    case EAGAIN:
        return "timed out";
    case EHOSTUNREACH:
        return "no peer with that routing id is connected";
    case EFSM:
        return "the socket's send/receive order forbids this now";
    case ENOTSUP:
        return "this socket type does not support the operation";
    default:
        return "";
    }
}

void zinc_error_zmq(const char *cmd, const char *what)
{
    int err = errno;
    const char *hint = zinc_hint(err, what);
    error_prefix(cmd);
    fprintf(stderr, "%s: %s", what, zmq_strerror(err));
    if (hint[0])
        fprintf(stderr, " (%s)", hint);
    fputc('\n', stderr);
    errno = err;
}

/* ---- flags ------------------------------------------------------------------------------------------- */

int zinc_flag_is(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || (arg[n] == '=' && name[1] == '-'));
}

const char *zinc_flag_value(const char *cmd, int argc, char **argv, int *i, const char *example)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    if (arg[0] == '-' && arg[1] == '-' && eq)
        return eq + 1;
    if (*i + 1 >= argc) {
        zinc_usage(cmd, "%s needs a value (e.g. %s %s)", arg, arg, example);
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

int zinc_parse_ll(const char *cmd, const char *flag, const char *value, long long min, long long max,
                  long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(value, &end, 0);
    if (value[0] == '\0' || *end != '\0' || errno == ERANGE)
        return zinc_usage(cmd, "%s: '%s' is not a number (e.g. %s %lld)", flag, value, flag,
                          min > 0 ? min : (max < 1000 ? max : 1000));
    if (v < min || v > max)
        return zinc_usage(cmd, "%s: %lld is out of range (%lld to %lld)", flag, v, min, max);
    *out = v;
    return 0;
}

int zinc_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* ---- socket types ------------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    int type;
} socket_types[] = {
    {"pair", ZMQ_PAIR},     {"pub", ZMQ_PUB},       {"sub", ZMQ_SUB},       {"req", ZMQ_REQ},
    {"rep", ZMQ_REP},       {"dealer", ZMQ_DEALER}, {"router", ZMQ_ROUTER}, {"pull", ZMQ_PULL},
    {"push", ZMQ_PUSH},     {"xpub", ZMQ_XPUB},     {"xsub", ZMQ_XSUB},     {"stream", ZMQ_STREAM},
    {"xreq", ZMQ_DEALER},   {"xrep", ZMQ_ROUTER},
};

int zinc_socket_type(const char *name)
{
    for (size_t k = 0; k < sizeof socket_types / sizeof socket_types[0]; k++)
        if (strcmp(socket_types[k].name, name) == 0)
            return socket_types[k].type;
    return -1;
}

const char *zinc_socket_type_name(int type)
{
    for (size_t k = 0; k < sizeof socket_types / sizeof socket_types[0]; k++)
        if (socket_types[k].type == type)
            return socket_types[k].name;
    return "?";
}

int zinc_socket_has_routing_id(int type)
{
    return type == ZMQ_ROUTER || type == ZMQ_STREAM;
}

/* ---- signals and time -------------------------------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    zinc_interrupted = 1;
}

void zinc_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked zmq call returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

long long zinc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
