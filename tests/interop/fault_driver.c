/* Fault-relay interop: one end of a tests/fault_patterns.h pattern here (built against zmq_api: zinc, or
 * libzmq in reference mode), the other in fault_peer_libzmq (the system libzmq 4.3.4), with the relay of
 * tests/relay.h between them injecting faults.
 *
 *   fault_driver --case CASE [--expect-lib PATH] -- PEER-COMMAND...
 *
 * CASE is one of
 *   zinc-req, zinc-req-relaxed       lazy-pirate REQ clients here, the REP server in the peer
 *   libzmq-req, libzmq-req-relaxed   lazy-pirate REQ clients in the peer, the REP server here
 *   libzmq-push                      the numbered stream from a PUSH in the peer to a PULL here
 * (-relaxed: ZMQ_REQ_RELAXED + ZMQ_REQ_CORRELATE on the same socket, else a fresh socket per retry).
 * The peer is started with LD_LIBRARY_PATH and LD_PRELOAD removed and must name PATH as the library it
 * loaded; it dies with us (PR_SET_PDEATHSIG). */
#include "../fault_patterns.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define STREAM_TARGET 300       /* stop injecting after this many cuts and resets ... */
#define STREAM_BUDGET_MS 6000   /* ... or after this long */

extern char **environ;

struct peer {
    pid_t pid;
    FILE *out;   /* its stdout */
    FILE *in;    /* its stdin */
};

static struct peer peer;

static void peer_spawn(char **command, const char *a1, const char *a2, const char *a3)
{
    char *argv[16];
    int n = 0;
    while (command[n] && n < 11) {
        argv[n] = command[n];
        n++;
    }
    argv[n++] = (char *)a1;
    argv[n++] = (char *)a2;
    argv[n++] = (char *)a3;
    argv[n] = NULL;
    static char *envp[256];
    int e = 0;
    for (int i = 0; environ[i] && e < 255; i++)
        if (strncmp(environ[i], "LD_LIBRARY_PATH=", 16) != 0 && strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            envp[e++] = environ[i];
    envp[e] = NULL;
    int to[2], from[2];
    CHECK_OK(pipe(to));
    CHECK_OK(pipe(from));
    pid_t parent = getpid();
    peer.pid = fork();
    CHECK(peer.pid >= 0);
    if (peer.pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(to[0], 0);
        dup2(from[1], 1);
        close_range(3, ~0U, 0);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    peer.in = fdopen(to[1], "w");
    peer.out = fdopen(from[0], "r");
    CHECK(peer.in && peer.out);
    setvbuf(peer.in, NULL, _IOLBF, 0);
}

/* The next line from the peer, which must start with prefix; returns what follows it. */
static const char *peer_expect(const char *prefix)
{
    static char line[1024];
    if (!fgets(line, sizeof line, peer.out))
        tu_fail(__FILE__, __LINE__, "the peer ended before \"%s\"", prefix);
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, prefix, strlen(prefix)) != 0)
        tu_fail(__FILE__, __LINE__, "the peer said \"%s\", expected \"%s...\"", line, prefix);
    return line + strlen(prefix);
}

static void peer_hello(const char *expect_lib)
{
    const char *lib = peer_expect("HELLO lib=");
    printf("  peer: %s\n", lib);
    if (expect_lib)
        CHECK_STR(lib, expect_lib);
}

/* Closes its stdin and waits for it: it must exit 0. */
static void peer_reap(void)
{
    fclose(peer.in);
    int status = 0;
    CHECK_EQ(waitpid(peer.pid, &status, 0), peer.pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fclose(peer.out);
}

static void await_faults(struct relay *r)
{
    int64_t start = now_ms();
    while (relay_fault_total(r) < LP_FAULT_TARGET && now_ms() - start < LP_BUDGET_MS)
        msleep(20);
    atomic_store(&r->faults_on, 0);   /* the requests in hand now finish on a clean line */
}

static void check_faults(struct relay *r)
{
    CHECK_INT(relay_fault_total(r), >=, 200);
    CHECK_INT(relay_breaks(r), >=, 50);
}

static void zinc_req(char **command, const char *expect_lib, int relaxed)
{
    static struct relay r;
    static struct lp_run run;
    peer_spawn(command, "rep", NULL, NULL);
    peer_hello(expect_lib);
    const char *ep = peer_expect("ENDPOINT ");
    relay_start(&r, endpoint_port(ep), &lp_plan, 41);
    char relay_ep[64];
    relay_endpoint(&r, relay_ep, sizeof relay_ep);
    void *ctx = CHECK_PTR(zmq_ctx_new());
    lp_clients_start(&run, ctx, relay_ep, relaxed);
    await_faults(&r);
    lp_clients_stop(&run);
    relay_print(&r, relaxed ? "relaxed+correlate" : "fresh socket per retry");
    printf("  %d requests answered (%d clients here), %d retries, at most %d attempts for one\n",
           atomic_load(&run.requests), LP_CLIENTS, atomic_load(&run.retries), atomic_load(&run.most_attempts));
    check_faults(&r);
    CHECK_INT(atomic_load(&run.requests), >=, LP_CLIENTS);
    fprintf(peer.in, "STOP\n");
    peer_expect("RESULT ok");
    peer_reap();
    relay_stop(&r);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void libzmq_req(char **command, const char *expect_lib, int relaxed)
{
    static struct relay r;
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *rep = test_socket(ctx, ZMQ_REP);
    char ep[TU_ENDPOINT_LEN], relay_ep[64];
    bind_transport(rep, "tcp", ep, sizeof ep);
    pthread_t server;
    CHECK_EQ(pthread_create(&server, NULL, lp_server, rep), 0);
    relay_start(&r, endpoint_port(ep), &lp_plan, 42);
    relay_endpoint(&r, relay_ep, sizeof relay_ep);
    peer_spawn(command, "lpclient", relay_ep, relaxed ? "1" : "0");
    peer_hello(expect_lib);
    await_faults(&r);
    fprintf(peer.in, "STOP\n");
    int requests = -1, retries = -1, most = -1;
    const char *result = peer_expect("RESULT ");
    CHECK_EQ(sscanf(result, "requests %d retries %d most %d", &requests, &retries, &most), 3);
    peer_reap();
    relay_print(&r, relaxed ? "relaxed+correlate" : "fresh socket per retry");
    printf("  %d requests answered (%d clients in the peer), %d retries, at most %d attempts for one\n", requests,
           LP_CLIENTS, retries, most);
    check_faults(&r);
    CHECK_INT(requests, >=, LP_CLIENTS);
    CHECK_OK(zmq_ctx_shutdown(ctx));   /* the server's zmq_recv returns ETERM */
    CHECK_EQ(pthread_join(server, NULL), 0);
    relay_stop(&r);
    close_zero_linger(rep);
    CHECK_OK(zmq_ctx_term(ctx));
}

struct stream_run {
    struct relay *relay;
    int64_t start;
    int stopped;
};

/* Between messages: enough cuts, or enough time? Then no more faults, and the peer ends the stream. */
static void stream_tick(void *arg)
{
    struct stream_run *s = arg;
    if (!s->stopped && (relay_breaks(s->relay) >= STREAM_TARGET || now_ms() - s->start > STREAM_BUDGET_MS)) {
        atomic_store(&s->relay->faults_on, 0);
        fprintf(peer.in, "STOP\n");
        s->stopped = 1;
    }
}

static void libzmq_push(char **command, const char *expect_lib)
{
    static struct relay r;
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pull = test_socket(ctx, ZMQ_PULL);
    seq_socket_setup(pull);
    void *mon = start_monitor(ctx, pull, ZMQ_EVENT_DISCONNECTED);
    char ep[TU_ENDPOINT_LEN], relay_ep[64];
    bind_transport(pull, "tcp", ep, sizeof ep);
    relay_start(&r, endpoint_port(ep), &seq_plan, 43);
    relay_endpoint(&r, relay_ep, sizeof relay_ep);
    peer_spawn(command, "push", relay_ep, NULL);
    peer_hello(expect_lib);
    struct stream_run run = {.relay = &r, .start = now_ms()};
    struct seq_counts counts;
    seq_receive(pull, mon, &r, stream_tick, &run, &counts);
    int sent = -1;
    CHECK_EQ(sscanf(peer_expect("RESULT "), "sent %d", &sent), 1);
    peer_reap();
    seq_check(&r, &counts, sent, now_ms() - run.start);
    CHECK_INT(relay_breaks(&r), >=, 30);
    relay_stop(&r);
    CHECK_OK(zmq_socket_monitor(pull, NULL, 0));
    close_zero_linger(mon);
    close_zero_linger(pull);
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(int argc, char **argv)
{
    const char *which = NULL, *expect_lib = NULL;
    char **command = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--case") == 0 && i + 1 < argc)
            which = argv[++i];
        else if (strcmp(argv[i], "--expect-lib") == 0 && i + 1 < argc)
            expect_lib = argv[++i];
        else if (strcmp(argv[i], "--") == 0 && i + 1 < argc) {
            command = argv + i + 1;
            break;
        }
    }
    if (!which || !command) {
        fprintf(stderr, "usage: fault_driver --case CASE [--expect-lib PATH] -- PEER-COMMAND...\n");
        return 2;
    }
    test_begin(55);
    tu_current_case = which;
    if (strcmp(which, "zinc-req") == 0)
        zinc_req(command, expect_lib, 0);
    else if (strcmp(which, "zinc-req-relaxed") == 0)
        zinc_req(command, expect_lib, 1);
    else if (strcmp(which, "libzmq-req") == 0)
        libzmq_req(command, expect_lib, 0);
    else if (strcmp(which, "libzmq-req-relaxed") == 0)
        libzmq_req(command, expect_lib, 1);
    else if (strcmp(which, "libzmq-push") == 0)
        libzmq_push(command, expect_lib);
    else
        tu_fail(__FILE__, __LINE__, "unknown case %s", which);
    printf("%s: ok\n", which);
    return 0;
}
