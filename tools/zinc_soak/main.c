/* zinc_soak: the hub. Builds the lanes (soak.h), starts their drivers, inproc peers, the XSUB/XPUB proxy
 * and the fault relay, keeps the external peers running (a supervisor thread starts each one, kills it with
 * SIGKILL 2-7 s later and starts it again 0.1-0.5 s after), prints one row every interval (throughput per
 * pattern, the hub's RSS, heap in use, fds, threads, restarts, cuts, losses, errors) and at the end a summary.
 *
 *   zinc_soak [--duration S] [--interval S] [--rate N] [--libzmq-peer PATH] [--mem-check | --no-mem-check]
 *   zinc_soak peer KIND EP1 EP2 SECRET RATE INC [HUB]  (the peer role, see peer.c)
 *
 * Exit status 0 only if no lane broke a promise (lanes.c), every lane moved, the hub's fds and heap after
 * zmq_ctx_term are what they were before zmq_ctx_new, and (memory check, default for runs of 5 min or more)
 * RSS, heap and fds after the warm-up stay flat.
 * Invariants: every child sets PR_SET_PDEATHSIG(SIGKILL), tied to the supervisor thread that spawned it, which
 * lives until every child is reaped; SIGINT and SIGTERM only end the run early (the main thread waits for
 * them). */
#include "soak.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

atomic_int soak_stop;
void *soak_ctx;

static struct soak_lane lanes[32];
static int lane_count;
static pthread_mutex_t soak_error_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t supervisor;
static char self_path[4096];
static pid_t hub_pid;

void soak_error(struct soak_lane *l, const char *fmt, ...)
{
    atomic_fetch_add(&l->errors, 1);
    pthread_mutex_lock(&soak_error_lock);
    if (!l->first_error[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->first_error, sizeof l->first_error, fmt, ap);
        va_end(ap);
        fprintf(stderr, "zinc_soak: %s: %s\n", l->name, l->first_error);
    }
    pthread_mutex_unlock(&soak_error_lock);
}

/* ---- lanes ---------------------------------------------------------------------------------------------- */

static struct soak_lane *lane_add(const char *name, enum soak_lane_kind kind, enum soak_pattern pattern,
                                  const char *transport, const char *peer_bin, int rate)
{
    struct soak_lane *l = &lanes[lane_count];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->kind = kind;
    l->pattern = pattern;
    l->peer_bin = peer_bin;
    l->rate = rate;
    for (int k = 0; k < 2; k++) {
        if (strcmp(transport, "inproc") == 0)
            snprintf(l->hub_ep[k], sizeof l->hub_ep[k], "inproc://soak-%d-%d", lane_count, k);
        else if (strcmp(transport, "ipc") == 0)
            snprintf(l->hub_ep[k], sizeof l->hub_ep[k], "ipc:///tmp/zinc-soak-%d-%d-%d.ipc", (int)hub_pid,
                     lane_count, k);
        else
            snprintf(l->hub_ep[k], sizeof l->hub_ep[k], "tcp://127.0.0.1:*");
        memcpy(l->peer_ep[k], l->hub_ep[k], sizeof l->peer_ep[k]);
    }
    lane_count++;
    return l;
}

/* A TCP port nobody listens on now, for peers that bind (REP): the kernel's pick for an unbound socket. */
static int free_port(void)
{
    void *s = zmq_socket(soak_ctx, ZMQ_PAIR);
    char ep[64] = "";
    size_t len = sizeof ep;
    if (s && zmq_bind(s, "tcp://127.0.0.1:*") == 0)
        zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len);
    if (s)
        zmq_close(s);
    const char *colon = strrchr(ep, ':');
    return colon ? atoi(colon + 1) : 0;
}

static void lanes_build(int rate, const char *libzmq_peer)
{
    static const char *const transports[] = {"inproc", "ipc", "tcp"};
    static const struct { const char *name; enum soak_lane_kind kind; enum soak_pattern pat; } kinds[] = {
        {"reqrep", LANE_REQREP, PAT_REQREP}, {"pipe", LANE_PIPE, PAT_PIPE}, {"pair", LANE_PAIR, PAT_PAIR},
        {"router", LANE_ROUTER, PAT_ROUTER}, {"pubsub", LANE_SUB, PAT_SUB},
    };
    char name[40];
    for (int t = 0; t < 3; t++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            snprintf(name, sizeof name, "%s/%s", kinds[k].name, transports[t]);
            lane_add(name, kinds[k].kind, kinds[k].pat, transports[t], t == 0 ? NULL : self_path, rate);
        }
    lane_add("pipe/tcp+relay", LANE_PIPE, PAT_PIPE, "tcp", self_path, rate)->relay = 1;
    lane_add("router/tcp+relay", LANE_ROUTER, PAT_ROUTER, "tcp", self_path, rate)->relay = 1;
    lane_add("xpub-xsub/tcp", LANE_PROXY, PAT_PROXY, "tcp", self_path, rate);
    if (zmq_has("curve")) {
        struct soak_lane *l = lane_add("reqrep/tcp+curve", LANE_REQREP, PAT_CURVE, "tcp", self_path, rate);
        l->curve = 1;
        zmq_curve_keypair(l->server_public, l->server_secret);
    }
    if (libzmq_peer) {
        lane_add("reqrep/tcp/libzmq", LANE_REQREP, PAT_REQREP, "tcp", libzmq_peer, rate);
        lane_add("router/tcp/libzmq", LANE_ROUTER, PAT_ROUTER, "tcp", libzmq_peer, rate);
        lane_add("pubsub/tcp/libzmq", LANE_SUB, PAT_SUB, "tcp", libzmq_peer, rate);
    }
    for (int i = 0; i < lane_count; i++) {   /* REP peers bind: give them a fixed port up front */
        struct soak_lane *l = &lanes[i];
        if (l->kind == LANE_REQREP && strncmp(l->hub_ep[0], "tcp", 3) == 0) {
            snprintf(l->hub_ep[0], sizeof l->hub_ep[0], "tcp://127.0.0.1:%d", free_port());
            memcpy(l->peer_ep[0], l->hub_ep[0], sizeof l->peer_ep[0]);
        }
    }
}

/* After a driver bound "tcp://127.0.0.1:*", its peer connects to the port it got (or to a relay to it). */
static void lane_resolve(struct soak_lane *l)
{
    for (int k = 0; k < (l->kind == LANE_PIPE ? 2 : 1); k++) {
        if (strncmp(l->hub_ep[k], "tcp", 3) != 0 || l->kind == LANE_REQREP)
            continue;
        int port = atoi(strrchr(l->hub_ep[k], ':') + 1);
        if (l->relay)
            port = soak_relay_add(l, port);
        snprintf(l->peer_ep[k], sizeof l->peer_ep[k], "tcp://127.0.0.1:%d", port);
    }
}

/* ---- the supervisor: external peers killed and restarted ------------------------------------------------ */

/* posix_spawn (no copy of the hub's page tables, unlike fork), with no signal blocked; the peer ties itself to
 * this thread with PR_SET_PDEATHSIG and leaves at once if the hub is already gone (peer.c). */
static void peer_spawn(struct soak_lane *l)
{
    char rate[16], parent[16];
    snprintf(rate, sizeof rate, "%d", l->rate);
    snprintf(parent, sizeof parent, "%d", (int)hub_pid);
    char *argv[] = {(char *)l->peer_bin, "peer", (char *)soak_lane_peer_kind(l), l->peer_ep[0],
                    l->kind == LANE_PIPE ? l->peer_ep[1] : "-", l->curve ? l->server_secret : "-", rate, "0",
                    parent, NULL};
    posix_spawnattr_t attr;
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0], NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        soak_error(l, "posix_spawn %s: %s", argv[0], strerror(rc));
    l->pid = rc == 0 ? pid : 0;
}

/* A killed peer is reaped later (supervise_one): a sanitizer-built one can take seconds to exit on a loaded
 * machine, and waiting here would hold up every other lane's kills and restarts. */
static void peer_kill(struct soak_lane *l)
{
    kill(l->pid, SIGKILL);
    l->dying = l->pid;
    l->pid = 0;
}

static void supervise_one(struct soak_lane *l, uint64_t now, uint64_t *rng)
{
    int status;
    if (l->dying > 0 && waitpid(l->dying, &status, WNOHANG) == l->dying)
        l->dying = 0;
    if (l->pid > 0 && waitpid(l->pid, &status, WNOHANG) == l->pid) {
        atomic_store(&l->last_event_ns, now);
        soak_error(l, "peer %d ended by itself (status 0x%x)", (int)l->pid, status);
        l->pid = 0;
        l->restart_at_ns = now + 500000000ull;
    }
    if (l->pid > 0 && now >= l->kill_at_ns) {
        /* the time of the kill itself, not `now`: spawns before it on a loaded machine take long */
        atomic_store(&l->last_event_ns, soak_now_ns());
        peer_kill(l);
        atomic_fetch_add(&l->restarts, 1);
        l->restart_at_ns = now + (100 + soak_rand(rng) % 400) * 1000000ull;
    }
    if (l->pid == 0 && !l->dying && now >= l->restart_at_ns) {
        peer_spawn(l);
        l->kill_at_ns = soak_now_ns() + (2000 + soak_rand(rng) % 5000) * 1000000ull;
    }
}

static void *supervisor_run(void *arg)
{
    (void)arg;
    uint64_t rng = (uint64_t)hub_pid * 0x9e3779b9u + 1;
    while (!atomic_load(&soak_stop)) {
        uint64_t now = soak_now_ns();
        for (int i = 0; i < lane_count; i++)
            if (lanes[i].peer_bin)
                supervise_one(&lanes[i], now, &rng);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < lane_count; i++)   /* all at once: they die in parallel */
        if (lanes[i].pid > 0)
            peer_kill(&lanes[i]);
    for (int i = 0; i < lane_count; i++)
        if (lanes[i].dying > 0)
            waitpid(lanes[i].dying, NULL, 0);
    return NULL;
}

/* ---- the run -------------------------------------------------------------------------------------------- */

static int lanes_start(void)
{
    for (int i = 0; i < lane_count; i++)
        if (pthread_create(&lanes[i].driver, NULL, soak_lane_run, &lanes[i]) != 0)
            return -1;
    /* the drivers bind; wait until every "tcp://...:*" has its port */
    for (int i = 0; i < lane_count; i++) {
        struct soak_lane *l = &lanes[i];
        while (!atomic_load(&l->bound) && !atomic_load(&l->errors))
            nanosleep(&(struct timespec){0, 1000000}, NULL);
        lane_resolve(l);
        if (!l->peer_bin && pthread_create(&l->local_peer, NULL, soak_local_peer_run, l) != 0)
            return -1;
    }
    if (soak_relay_start() != 0)
        return -1;
    return pthread_create(&supervisor, NULL, supervisor_run, NULL) == 0 ? 0 : -1;
}

static void lanes_join(void)
{
    pthread_join(supervisor, NULL);
    soak_relay_stop();
    for (int i = 0; i < lane_count; i++) {
        pthread_join(lanes[i].driver, NULL);
        if (!lanes[i].peer_bin)
            pthread_join(lanes[i].local_peer, NULL);
    }
    soak_proxy_stop();
    for (int i = 0; i < lane_count; i++)
        for (int k = 0; k < 2; k++)
            if (strncmp(lanes[i].hub_ep[k], "ipc://", 6) == 0)
                unlink(lanes[i].hub_ep[k] + 6);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "peer") == 0)
        return soak_peer_main(argc, argv);
    struct soak_options o = {.duration = 60, .interval = 10, .rate = 500, .mem_check = -1};
    if (soak_parse_options(argc, argv, &o) != 0)
        return 2;
    hub_pid = getpid();
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n <= 0)
        return 2;
    self_path[n] = '\0';

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);   /* every thread inherits it; main waits for them */

    struct soak_sample before;
    soak_sample_take(&before);
    soak_ctx = zmq_ctx_new();
    lanes_build(o.rate, o.libzmq_peer);
    for (int i = 0; i < lane_count; i++)
        if (lanes[i].kind == LANE_PROXY &&
            soak_proxy_setup(soak_ctx, lanes[i].hub_ep[0], sizeof lanes[i].hub_ep[0]) == 0) {
            /* the peers publish into the proxy's XSUB; the driver subscribes at its XPUB */
            memcpy(lanes[i].peer_ep[0], lanes[i].hub_ep[0], sizeof lanes[i].peer_ep[0]);
            snprintf(lanes[i].hub_ep[0], sizeof lanes[i].hub_ep[0], "inproc://soak-xpub");
        }
    int failed = lanes_start() != 0;
    if (!failed)
        failed = soak_report_run(&o, lanes, lane_count, &stop_signals);
    atomic_store(&soak_stop, 1);
    lanes_join();
    zmq_ctx_term(soak_ctx);
    struct soak_sample after;
    soak_sample_take(&after);
    failed |= soak_report_summary(&o, lanes, lane_count, &before, &after);
    return failed ? 1 : 0;
}
