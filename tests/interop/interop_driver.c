/* The interop test driver: runs one pattern (pushpull, pair, reqrep, dealerrouter, pubsub, xpubxsub; the
 * draft clientserver, scattergather, scattergather_lb, channel, peer) against one peer program (libzmq in
 * C, pyzmq, JeroMQ; zinc for the draft patterns), every case with the driver binding and with the peer
 * binding unless the case says, over tcp on 127.0.0.1 with an ephemeral port (or ipc, ws). Written only
 * against <zmq.h>.
 *
 *   interop_driver --peer NAME --pattern P [--expect-lib PATH] [--skip-unless PATH]... [--peer-connects-only]
 *                  -- PEER-COMMAND...
 *
 * The peer command gets four more arguments: SOCKET-TYPE bind|connect ENDPOINT|- STEPS. Control protocol
 * (lines; peer stdout -> driver, driver -> peer stdin):
 *
 *   peer: HELLO impl=... lib=PATH      first line; lib is the libzmq the peer has mapped ("-" for Java)
 *   peer: ENDPOINT tcp://...           only when the peer binds
 *   peer: READY                        socket bound or connecting
 *   both: SYNCED A / SYNCED Z          subscriber to publisher, see interop.c
 *   peer: OK | FAIL text               after the peer's steps
 *   drv:  DONE                         the driver has checked everything; the peer closes and exits 0
 *
 * Every exit path kills and reaps the peer: a timer (SIGALRM), SIGTERM/SIGINT handlers, and
 * PR_SET_PDEATHSIG in the child for when the driver itself is killed.
 * Exit status: 0 all cases passed, 1 a failure, 77 skipped (--skip-unless path missing).
 */
#include "interop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define EXIT_SKIP 77
/* The whole run must end before ctest's TIMEOUT (60 s). */
#define DRIVER_DEADLINE_S 55
#define PEER_START_TIMEOUT_MS 15000
#define PEER_OK_TIMEOUT_MS 30000
#define PEER_EXIT_TIMEOUT_MS 10000

extern char **environ;

/* One case of a pattern: the two sockets and the steps each side runs. */
struct pattern_case {
    const char *driver_type;
    const char *driver_steps;
    const char *peer_type;
    const char *peer_steps;
    int binds;   /* BOTH_BIND: the case runs twice, else only with this side binding */
};

enum { BOTH_BIND, DRIVER_BINDS, PEER_BINDS };

struct pattern {
    const char *name;
    int ncases;
    struct pattern_case cases[2];   /* every socket type in each role, each side of the wire */
};

static const struct pattern patterns[] = {
    {"pushpull", 2, {{"PUSH", "stream-send", "PULL", "stream-recv", BOTH_BIND}, {"PULL", "stream-recv", "PUSH", "stream-send", BOTH_BIND}}},
    {"pair", 1, {{"PAIR", "stream-send,stream-recv", "PAIR", "stream-recv,stream-send", BOTH_BIND}}},
    {"reqrep", 2, {{"REQ", "req", "REP", "rep", BOTH_BIND}, {"REP", "rep", "REQ", "req", BOTH_BIND}}},
    {"dealerrouter", 2, {{"DEALER", "dealer", "ROUTER", "router", BOTH_BIND}, {"ROUTER", "router", "DEALER", "dealer", BOTH_BIND}}},
    {"pubsub", 2, {{"PUB", "pub", "SUB", "sub", BOTH_BIND}, {"SUB", "sub", "PUB", "pub", BOTH_BIND}}},
    {"xpubxsub", 2, {{"XPUB", "xpub", "XSUB", "xsub", BOTH_BIND}, {"XSUB", "xsub", "XPUB", "xpub", BOTH_BIND}}},
    /* Draft socket types (interop_draft.c). A libzmq SERVER cannot reply without zmq_msg_set_routing_id,
     * nor a libzmq PEER send at all: those directions are receive-only on the libzmq side. */
    {"clientserver", 2, {{"CLIENT", "single-send", "SERVER", "single-recv", BOTH_BIND}, {"SERVER", "cs-server", "CLIENT", "cs-client", BOTH_BIND}}},
    {"scattergather", 2, {{"SCATTER", "single-send", "GATHER", "single-recv", BOTH_BIND}, {"GATHER", "single-recv", "SCATTER", "single-send", BOTH_BIND}}},
    /* Two gatherers connect to the SCATTER, so the SCATTER's side binds. */
    {"scattergather_lb", 2, {{"SCATTER", "lb-scatter", "GATHER", "lb-gather", DRIVER_BINDS},
                             {"GATHER", "lb-gather", "SCATTER", "lb-scatter", PEER_BINDS}}},
    {"channel", 1, {{"CHANNEL", "single-send,single-recv", "CHANNEL", "single-recv,single-send", BOTH_BIND}}},
    /* The side that sends first connects with zmq_connect_peer, the bound side replies by routing id. */
    {"peer", 2, {{"PEER", "peer-send", "PEER", "single-recv", PEER_BINDS}, {"PEER", "cs-server", "PEER", "peer-client", DRIVER_BINDS}}},
};

/* The running peer, for the signal handlers and atexit. */
static volatile pid_t live_peer = 0;

static void kill_live_peer(void)
{
    pid_t pid = live_peer;
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        live_peer = 0;
    }
}

static void on_fatal_signal(int sig)
{
    static const char timeout_text[] = "driver: FAIL: overall deadline reached, killing the peer\n";
    static const char signal_text[] = "driver: killed by a signal, killing the peer\n";
    if (sig == SIGALRM)
        (void)!write(2, timeout_text, sizeof timeout_text - 1);
    else
        (void)!write(2, signal_text, sizeof signal_text - 1);
    pid_t pid = live_peer;
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    _exit(1);
}

struct peer {
    pid_t pid;
    struct interop_ctl ctl;
};

/* The peer's environment: ours without LD_LIBRARY_PATH and LD_PRELOAD, so that nothing but its own
 * linkage decides which libzmq.so.5 it loads. */
static char **peer_environment(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **envp = calloc(n + 1, sizeof *envp);
    if (!envp)
        abort();
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_LIBRARY_PATH=", 16) != 0 && strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            envp[out++] = environ[i];
    return envp;
}

static int spawn_peer(struct peer *peer, char **command, int ncommand, const char *type, const char *mode,
                      const char *endpoint, const char *steps)
{
    char **argv = calloc((size_t)ncommand + 5, sizeof *argv);
    if (!argv)
        abort();
    for (int i = 0; i < ncommand; i++)
        argv[i] = command[i];
    argv[ncommand] = (char *)type;
    argv[ncommand + 1] = (char *)mode;
    argv[ncommand + 2] = (char *)endpoint;
    argv[ncommand + 3] = (char *)steps;
    char **envp = peer_environment();

    int to_peer[2], from_peer[2];
    if (pipe2(to_peer, O_CLOEXEC) < 0)
        abort();
    if (pipe2(from_peer, O_CLOEXEC) < 0)
        abort();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        abort();
    }
    if (pid == 0) {
        /* Only async-signal-safe calls here: the zmq context's threads exist in the parent. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(to_peer[0], 0);
        dup2(from_peer[1], 1);
        /* No driver descriptor (zmq sockets, the listener, eventfds) leaks into the peer. */
        close_range(3, ~0U, 0);
        execve(argv[0], argv, envp);
        static const char text[] = "driver: execve of the peer failed\n";
        (void)!write(2, text, sizeof text - 1);
        _exit(127);
    }
    live_peer = pid;
    close(to_peer[0]);
    close(from_peer[1]);
    free(argv);
    free(envp);
    peer->pid = pid;
    peer->ctl.rfd = from_peer[0];
    peer->ctl.wfd = to_peer[1];
    peer->ctl.len = 0;
    return 0;
}

/* Waits for the peer to exit by itself; kills it after timeout_ms. Returns its exit status or -1. */
static int reap_peer(struct peer *peer, int timeout_ms)
{
    long long deadline = interop_now_ms() + timeout_ms;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(peer->pid, &status, WNOHANG);
        if (r == peer->pid)
            break;
        if (r < 0 && errno != EINTR) {
            perror("waitpid");
            break;
        }
        if (interop_now_ms() >= deadline) {
            interop_fail("peer did not exit within %d ms; killing it", timeout_ms);
            kill(peer->pid, SIGKILL);
            waitpid(peer->pid, &status, 0);
            status = -1;
            break;
        }
        usleep(5000);
    }
    live_peer = 0;
    close(peer->ctl.rfd);
    close(peer->ctl.wfd);
    if (status == -1)
        return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    interop_fail("peer died from signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    return -1;
}

static void kill_peer(struct peer *peer)
{
    kill(peer->pid, SIGKILL);
    waitpid(peer->pid, NULL, 0);
    live_peer = 0;
    close(peer->ctl.rfd);
    close(peer->ctl.wfd);
}

/* Checks the peer's HELLO line; with expect_lib, the peer must have mapped exactly that libzmq file. */
static int check_hello(struct peer *peer, const char *expect_lib)
{
    char line[1024];
    int rc = interop_ctl_read(&peer->ctl, line, sizeof line, PEER_START_TIMEOUT_MS);
    if (rc <= 0)
        return interop_fail("no HELLO from the peer within %d ms", PEER_START_TIMEOUT_MS);
    if (strncmp(line, "HELLO ", 6) != 0)
        return interop_fail("peer's first line is \"%s\", not HELLO", line);
    if (expect_lib) {
        const char *lib = strstr(line, " lib=");
        if (!lib)
            return interop_fail("peer's HELLO names no lib: \"%s\"", line);
        lib += 5;
        size_t n = strcspn(lib, " ");
        if (strlen(expect_lib) != n || memcmp(lib, expect_lib, n) != 0)
            return interop_fail("peer loaded libzmq from \"%.*s\", expected the system library \"%s\"",
                                (int)n, lib, expect_lib);
    }
    static int said_hello = 0;
    if (!said_hello) {
        printf("peer: %s\n", line + 6);
        said_hello = 1;
    }
    return 0;
}

/* Connection events of the driver's socket (zmq_socket_monitor), printed when a case fails: a
 * disconnect and reconnect in the middle of a case explains lost messages. Optional: if the library under
 * test has no monitor the cases still run. */
struct monitor {
    void *pair;   /* receives the events; NULL when monitoring is unavailable */
};

static void monitor_start(struct monitor *mon, void *ctx, void *sock)
{
    static int counter = 0;
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://interop-monitor-%d", counter++);
    mon->pair = NULL;
    if (zmq_socket_monitor(sock, endpoint, ZMQ_EVENT_ALL) < 0)
        return;
    mon->pair = zmq_socket(ctx, ZMQ_PAIR);
    if (mon->pair && zmq_connect(mon->pair, endpoint) < 0) {
        zmq_close(mon->pair);
        mon->pair = NULL;
    }
}

static const char *event_name(unsigned event)
{
    switch (event) {
    case ZMQ_EVENT_CONNECTED: return "CONNECTED";
    case ZMQ_EVENT_CONNECT_DELAYED: return "CONNECT_DELAYED";
    case ZMQ_EVENT_CONNECT_RETRIED: return "CONNECT_RETRIED";
    case ZMQ_EVENT_LISTENING: return "LISTENING";
    case ZMQ_EVENT_BIND_FAILED: return "BIND_FAILED";
    case ZMQ_EVENT_ACCEPTED: return "ACCEPTED";
    case ZMQ_EVENT_ACCEPT_FAILED: return "ACCEPT_FAILED";
    case ZMQ_EVENT_CLOSED: return "CLOSED";
    case ZMQ_EVENT_CLOSE_FAILED: return "CLOSE_FAILED";
    case ZMQ_EVENT_DISCONNECTED: return "DISCONNECTED";
    case ZMQ_EVENT_MONITOR_STOPPED: return "MONITOR_STOPPED";
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return "HANDSHAKE_FAILED_NO_DETAIL";
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return "HANDSHAKE_SUCCEEDED";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return "HANDSHAKE_FAILED_PROTOCOL";
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "HANDSHAKE_FAILED_AUTH";
    default: return "?";
    }
}

/* Drains the events; prints them when verbose. Returns how many DISCONNECTED events there were. */
static int monitor_drain(struct monitor *mon, int verbose)
{
    int disconnects = 0;
    if (!mon->pair)
        return 0;
    for (;;) {
        unsigned char head[6];
        char endpoint[256];
        int n = zmq_recv(mon->pair, head, sizeof head, ZMQ_DONTWAIT);
        if (n < 0)
            break;
        int m = zmq_recv(mon->pair, endpoint, sizeof endpoint - 1, ZMQ_DONTWAIT);
        endpoint[m < 0 ? 0 : (m < (int)sizeof endpoint - 1 ? m : (int)sizeof endpoint - 1)] = '\0';
        uint16_t event;
        uint32_t value;
        memcpy(&event, head, sizeof event);
        memcpy(&value, head + 2, sizeof value);
        if (event == ZMQ_EVENT_DISCONNECTED)
            disconnects++;
        if (verbose)
            fprintf(stderr, "driver: socket event %s (value %u) %s\n", event_name(event), value, endpoint);
    }
    return disconnects;
}

static void monitor_stop(struct monitor *mon, void *sock)
{
    if (!mon->pair)
        return;
    zmq_socket_monitor(sock, NULL, 0);
    int linger = 0;
    zmq_setsockopt(mon->pair, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(mon->pair);
    mon->pair = NULL;
}

struct options {
    const char *peer_name;
    const char *expect_lib;
    char **command;
    int ncommand;
    int peer_connects_only;   /* skip the cases in which the peer binds (JeroMQ, see README.md) */
    const char *bind_uri;     /* --transport tcp, ipc or ws: the wildcard address each side binds */
};

static int run_case(const struct options *opt, const struct pattern *pat, const struct pattern_case *c,
                    int driver_binds)
{
    long long start = interop_now_ms();
    char label[256];
    snprintf(label, sizeof label, "[%s %s] driver %s %s / peer %s %s", opt->peer_name, pat->name,
             c->driver_type, driver_binds ? "bind" : "connect", c->peer_type, driver_binds ? "connect" : "bind");

    int result = -1;
    struct peer peer = {0};
    int spawned = 0;
    void *ctx = zmq_ctx_new();
    if (!ctx) {
        interop_fail("zmq_ctx_new: %s", zmq_strerror(errno));
        goto out;
    }
    void *sock = zmq_socket(ctx, interop_socket_type(c->driver_type));
    if (!sock) {
        interop_fail("zmq_socket(%s): %s", c->driver_type, zmq_strerror(errno));
        goto close_ctx;
    }
    struct monitor mon;
    monitor_start(&mon, ctx, sock);
    if (interop_socket_setup(sock, c->driver_steps) < 0)
        goto close_socket;

    char endpoint[512];
    if (driver_binds) {
        if (zmq_bind(sock, opt->bind_uri) < 0) {
            interop_fail("zmq_bind(%s): %s", opt->bind_uri, zmq_strerror(errno));
            goto close_socket;
        }
        size_t len = sizeof endpoint;
        if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &len) < 0) {
            interop_fail("ZMQ_LAST_ENDPOINT: %s", zmq_strerror(errno));
            goto close_socket;
        }
        spawn_peer(&peer, opt->command, opt->ncommand, c->peer_type, "connect", endpoint, c->peer_steps);
        spawned = 1;
        if (check_hello(&peer, opt->expect_lib) < 0)
            goto kill;
    } else {
        spawn_peer(&peer, opt->command, opt->ncommand, c->peer_type, "bind",
                   strncmp(opt->bind_uri, "tcp:", 4) ? opt->bind_uri : "-", c->peer_steps);
        spawned = 1;
        if (check_hello(&peer, opt->expect_lib) < 0)
            goto kill;
        char line[sizeof endpoint];
        if (interop_ctl_read(&peer.ctl, line, sizeof line, PEER_START_TIMEOUT_MS) <= 0 ||
            strncmp(line, "ENDPOINT ", 9) != 0) {
            interop_fail("no ENDPOINT line from the binding peer");
            goto kill;
        }
        memmove(endpoint, line + 9, strlen(line + 9) + 1);
        if (interop_connect(sock, endpoint, c->driver_steps) < 0) {
            interop_fail("zmq_connect(%s): %s", endpoint, zmq_strerror(errno));
            goto kill;
        }
    }
    if (interop_ctl_expect(&peer.ctl, "READY", PEER_START_TIMEOUT_MS) < 0)
        goto kill;
    if (interop_run_steps(sock, &peer.ctl, c->driver_steps) < 0)
        goto kill;
    if (interop_ctl_expect(&peer.ctl, "OK", PEER_OK_TIMEOUT_MS) < 0)
        goto kill;
    /* A reconnect is legal, but in these tests it means messages may have been dropped: say so. */
    if (monitor_drain(&mon, 0) > 0)
        fprintf(stderr, "driver: note: the connection was dropped and re-established during %s\n", label);
    if (interop_ctl_send(&peer.ctl, "DONE") < 0)
        goto kill;
    spawned = 0;
    int status = reap_peer(&peer, PEER_EXIT_TIMEOUT_MS);
    if (status != 0) {
        interop_fail("peer exited with status %d after DONE", status);
        goto close_socket;
    }
    result = 0;
    goto close_socket;

kill:
    if (spawned)
        kill_peer(&peer);
close_socket:;
    if (result != 0)
        monitor_drain(&mon, 1);
    monitor_stop(&mon, sock);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(sock);
close_ctx:
    zmq_ctx_term(ctx);
out:
    if (result == 0)
        printf("%s: PASS (%.2f s)\n", label, (double)(interop_now_ms() - start) / 1000.0);
    else
        printf("%s: FAIL\n", label);
    fflush(stdout);
    return result;
}

static int usage(void)
{
    fprintf(stderr, "usage: interop_driver --peer NAME --pattern P [--transport tcp|ipc|ws] [--expect-lib PATH] [--skip-unless PATH]..."
                    " [--peer-connects-only] -- PEER-COMMAND...\n");
    return 2;
}

int main(int argc, char **argv)
{
    interop_who = "driver";
    struct options opt = {.bind_uri = "tcp://127.0.0.1:*"};
    const char *pattern_name = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--peer") == 0) {
            opt.peer_name = argv[++i];
        } else if (strcmp(argv[i], "--pattern") == 0) {
            pattern_name = argv[++i];
        } else if (strcmp(argv[i], "--peer-connects-only") == 0) {
            opt.peer_connects_only = 1;
        } else if (strcmp(argv[i], "--transport") == 0) {
            i++;
            opt.bind_uri = strcmp(argv[i], "ws") == 0    ? "ws://127.0.0.1:*"
                           : strcmp(argv[i], "ipc") == 0 ? "ipc://*"
                                                         : "tcp://127.0.0.1:*";
        } else if (strcmp(argv[i], "--expect-lib") == 0) {
            opt.expect_lib = argv[++i];
        } else if (strcmp(argv[i], "--skip-unless") == 0) {
            const char *path = argv[++i];
            if (path[0] == '\0' || access(path, R_OK) != 0) {
                printf("SKIPPED: no java/jeromq (%s is missing)\n", path[0] ? path : "a required tool");
                return EXIT_SKIP;
            }
        } else {
            return usage();
        }
    }
    if (!opt.peer_name || !pattern_name || i >= argc)
        return usage();
    opt.command = argv + i;
    opt.ncommand = argc - i;

    const struct pattern *pat = NULL;
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++)
        if (strcmp(patterns[p].name, pattern_name) == 0)
            pat = &patterns[p];
    if (!pat) {
        fprintf(stderr, "driver: unknown pattern \"%s\"\n", pattern_name);
        return 2;
    }

    /* A peer that dies must not kill us through a write to its stdin. */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_fatal_signal;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    atexit(kill_live_peer);
    alarm(DRIVER_DEADLINE_S);

    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("driver: zmq_version %d.%d.%d, pattern %s, peer %s\n", major, minor, patch, pat->name, opt.peer_name);

    int passed = 0, failed = 0;
    for (int c = 0; c < pat->ncases; c++) {
        for (int driver_binds = 1; driver_binds >= (opt.peer_connects_only ? 1 : 0); driver_binds--) {
            int binds = pat->cases[c].binds;
            if ((binds == DRIVER_BINDS && !driver_binds) || (binds == PEER_BINDS && driver_binds))
                continue;
            if (run_case(&opt, pat, &pat->cases[c], driver_binds) == 0)
                passed++;
            else
                failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
