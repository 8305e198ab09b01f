/* Security interop: zinc (or libzmq, with ZINC_REFERENCE) against a peer process on the system libzmq
 * (sec_peer_libzmq, or pyzmq with its ThreadAuthenticator as the ZAP handler), PLAIN and CURVE, each side
 * as server and as client, with and without a ZAP handler; good credentials exchange multipart, empty and
 * 5 MB messages checked byte for byte; wrong passwords, unknown client keys and wrong server keys are
 * refused with the right events on both sides.
 *
 *   interop_security --peer NAME -- PEER-COMMAND...
 *
 * The peer takes the case as arguments (see sec_peer_libzmq.c), prints "ENDPOINT <ep>" when it is the
 * server and "RESULT <result>" at the end. Every wait is bounded; the peer is killed on every exit path. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sec_side.h"

#define FAILED_AUTH_400 "refused:16384:400"                 /* ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400 */
#define FAILED_CRYPTO "refused:8192:285212673"              /* FAILED_PROTOCOL, ZMTP_CRYPTOGRAPHIC */

enum variant { GOOD, GOOD_NO_ZAP, BAD_CREDENTIALS, WRONG_SERVER_KEY };

struct sec_case {
    const char *name;
    int curve;
    enum variant variant;
};

static const struct sec_case cases[] = {
    {"plain, handler admits", 0, GOOD},
    {"plain, wrong password", 0, BAD_CREDENTIALS},
    {"curve, handler admits", 1, GOOD},
    {"curve, no handler", 1, GOOD_NO_ZAP},
    {"curve, unknown client key", 1, BAD_CREDENTIALS},
    {"curve, wrong server key", 1, WRONG_SERVER_KEY},
};

static char **peer_argv;
static pid_t peer_pid = -1;
static FILE *peer_out;

static void kill_peer(void)
{
    if (peer_pid > 0) {
        kill(peer_pid, SIGKILL);
        waitpid(peer_pid, NULL, 0);
        peer_pid = -1;
    }
    if (peer_out) {
        fclose(peer_out);
        peer_out = NULL;
    }
}

static void on_signal(int sig)
{
    (void)sig;
    if (peer_pid > 0)
        kill(peer_pid, SIGKILL);
    _exit(1);
}

static const char *dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Starts the peer for one side of a case. */
static void spawn_peer(const struct sec_side *p)
{
    int fds[2];
    if (pipe(fds) < 0) {
        perror("pipe");
        exit(1);
    }
    char *args[14 + 64];
    int n = 0;
    for (char **a = peer_argv; *a && n < 64; a++)
        args[n++] = *a;
    args[n++] = p->server ? "server" : "client";
    args[n++] = p->curve ? "curve" : "plain";
    args[n++] = p->zap ? "1" : "0";
    args[n++] = p->expect_refused ? "refused" : "ok";
    args[n++] = (char *)dash(p->endpoint);
    args[n++] = (char *)dash(p->server_public);
    args[n++] = (char *)dash(p->server_secret);
    args[n++] = (char *)dash(p->client_public);
    args[n++] = (char *)dash(p->client_secret);
    args[n++] = (char *)dash(p->username);
    args[n++] = (char *)dash(p->password);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    args[n++] = pid;
    args[n] = NULL;
    peer_pid = fork();
    if (peer_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], 1);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        unsetenv("LD_LIBRARY_PATH");   /* the peer must load the system libzmq, never zinc */
        unsetenv("LD_PRELOAD");
        execv(args[0], args);
        _exit(127);
    }
    close(fds[1]);
    peer_out = fdopen(fds[0], "r");
}

/* The peer's next line starting with `tag`, within ms; the rest of the line into out. */
static int read_peer_line(const char *tag, char *out, size_t cap, int ms)
{
    char line[512];
    struct pollfd pfd = {.fd = fileno(peer_out), .events = POLLIN};
    while (poll(&pfd, 1, ms) > 0) {
        if (!fgets(line, sizeof line, peer_out))
            return -1;
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, tag, strlen(tag)) == 0) {
            snprintf(out, cap, "%s", line + strlen(tag));
            return 0;
        }
        fprintf(stderr, "  peer: %s\n", line);
    }
    return -1;
}

static void on_driver_bound(const char *endpoint, void *arg)
{
    struct sec_side *peer = arg;
    snprintf(peer->endpoint, sizeof peer->endpoint, "%s", endpoint);
    spawn_peer(peer);
}

/* Both sides of a case from its variant. */
static void make_sides(const struct sec_case *c, int driver_server, struct sec_side *driver, struct sec_side *peer)
{
    struct sec_side server = {.server = 1, .curve = c->curve, .zap = c->variant != GOOD_NO_ZAP &&
                                                                   c->variant != WRONG_SERVER_KEY};
    struct sec_side client = {.curve = c->curve};
    char other_public[41], other_secret[41];
    zmq_curve_keypair(server.server_public, server.server_secret);
    zmq_curve_keypair(client.client_public, client.client_secret);
    zmq_curve_keypair(other_public, other_secret);
    memcpy(client.server_public, server.server_public, 41);
    memcpy(server.client_public, client.client_public, 41);   /* the key the handler admits */
    snprintf(client.username, sizeof client.username, "admin");
    snprintf(client.password, sizeof client.password, "%s", c->variant == BAD_CREDENTIALS ? "wrong" : "secret");
    if (c->variant == BAD_CREDENTIALS && c->curve)
        memcpy(server.client_public, other_public, 41);
    if (c->variant == WRONG_SERVER_KEY)
        memcpy(client.server_public, other_public, 41);
    server.expect_refused = client.expect_refused = c->variant == BAD_CREDENTIALS || c->variant == WRONG_SERVER_KEY;
    *driver = driver_server ? server : client;
    *peer = driver_server ? client : server;
}

/* What a refused side must report. */
static int result_ok(const struct sec_case *c, const struct sec_side *s)
{
    if (c->variant == GOOD || c->variant == GOOD_NO_ZAP)
        return strcmp(s->result, "ok") == 0;
    if (c->variant == BAD_CREDENTIALS)
        return strcmp(s->result, FAILED_AUTH_400) == 0;
    if (s->server)
        return strcmp(s->result, FAILED_CRYPTO) == 0;
    return strncmp(s->result, "refused:", 8) == 0;   /* the client only sees the server hang up */
}

static int run_case(const struct sec_case *c, int driver_server)
{
    struct sec_side driver, peer;
    make_sides(c, driver_server, &driver, &peer);
    if (!driver_server) {
        char endpoint[256];
        spawn_peer(&peer);
        if (read_peer_line("ENDPOINT ", endpoint, sizeof endpoint, 10000) < 0) {
            fprintf(stderr, "  the peer never bound\n");
            kill_peer();
            return 0;
        }
        snprintf(driver.endpoint, sizeof driver.endpoint, "%s", endpoint);
        sec_run(&driver, NULL, NULL);
    } else {
        sec_run(&driver, on_driver_bound, &peer);
    }
    int ok = read_peer_line("RESULT ", peer.result, sizeof peer.result, 30000) == 0;
    kill_peer();
    if (!ok)
        snprintf(peer.result, sizeof peer.result, "fail:no RESULT from the peer");
    int pass = result_ok(c, &driver) && result_ok(c, &peer);
    printf("%s: %s (driver as %s: %s; peer: %s)\n", pass ? "ok" : "FAILED", c->name, driver_server ? "server" : "client",
           driver.result, peer.result);
    fflush(stdout);
    return pass;
}

int main(int argc, char **argv)
{
    const char *peer_name = "peer";
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--peer") == 0 && i + 1 < argc)
            peer_name = argv[++i];
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: interop_security --peer NAME -- PEER-COMMAND...\n");
        return 2;
    }
    peer_argv = argv + i + 1;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGALRM, on_signal);
    alarm(280);
    atexit(kill_peer);
    int passed = 0, total = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int driver_server = 1; driver_server >= 0; driver_server--) {
            passed += run_case(&cases[k], driver_server);
            total++;
        }
    printf("%s: %d of %d security cases passed\n", peer_name, passed, total);
    return passed == total ? 0 : 1;
}
