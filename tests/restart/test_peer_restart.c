/* A libzmq peer process killed with SIGKILL mid-stream and started again: the zinc socket notices,
 * reconnects (as connecter) or accepts the new connection (as binder), and traffic resumes.
 *   usage: test_peer_restart <path to restart_peer>
 * Public API only: in reference mode the driver runs on libzmq too. */
#include "testutil.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>

static const char *peer_path;

struct peer {
    pid_t pid;
    FILE *out;
};

static struct peer peer_start(const char *mode, const char *endpoint)
{
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        unsetenv("LD_LIBRARY_PATH");
        unsetenv("LD_PRELOAD");
        execl(peer_path, peer_path, mode, endpoint, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    struct peer p = {pid, fdopen(fds[0], "r")};
    char line[64];
    CHECK(fgets(line, sizeof line, p.out) != NULL);
    CHECK(strncmp(line, "ready", 5) == 0);
    return p;
}

static void peer_kill(struct peer *p)
{
    kill(p->pid, SIGKILL);
    int status;
    waitpid(p->pid, &status, 0);
    fclose(p->out);
    p->pid = 0;
}

/* Reads the peer's lines until it has printed `count` more messages; returns the last number seen. */
static long peer_read(struct peer *p, int count)
{
    char line[64];
    long last = -1;
    for (int i = 0; i < count; i++) {
        CHECK(fgets(line, sizeof line, p->out) != NULL);
        last = atol(line);
    }
    return last;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

struct pusher {
    void *push;
    volatile int stop;
};

static void *pusher_main(void *arg)
{
    struct pusher *p = arg;
    for (long i = 0; !p->stop; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%ld", i);
        zmq_send(p->push, buf, (size_t)n, 0);
        usleep(500);
    }
    return NULL;
}

/* zinc connects PUSH to a libzmq PULL that dies and comes back on the same port. */
static void zinc_connecter_reconnects_after_peer_sigkill(void)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", free_port());
    struct peer p = peer_start("pull", endpoint);
    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    int linger = 0, ivl = 50, timeout = 2000;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(push, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(push, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    CHECK_OK(zmq_connect(push, endpoint));
    struct pusher pu = {push, 0};
    pthread_t th;
    pthread_create(&th, NULL, pusher_main, &pu);
    long before = peer_read(&p, 200);
    peer_kill(&p);               /* mid-stream */
    usleep(200 * 1000);
    p = peer_start("pull", endpoint);
    long after = peer_read(&p, 200);
    CHECK_INT(after, >, before);   /* the stream resumed with newer messages */
    pu.stop = 1;
    pthread_join(th, NULL);
    peer_kill(&p);
    zmq_close(push);
    zmq_ctx_term(ctx);
}

/* zinc binds PULL; a libzmq PUSH connects, dies, and a new one connects. */
static void zinc_binder_serves_the_restarted_peer(void)
{
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    int linger = 0, timeout = 3000;
    zmq_setsockopt(pull, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    CHECK_OK(zmq_bind(pull, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t len = sizeof endpoint;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, endpoint, &len);
    for (int round = 0; round < 3; round++) {
        struct peer p = peer_start("push", endpoint);
        char buf[32];
        for (int i = 0; i < 50; i++)
            CHECK(zmq_recv(pull, buf, sizeof buf, 0) > 0);
        peer_kill(&p);
        /* drain whatever the dead peer got out before it died */
        int quick = 100;
        zmq_setsockopt(pull, ZMQ_RCVTIMEO, &quick, sizeof quick);
        while (zmq_recv(pull, buf, sizeof buf, 0) > 0)
            ;
        zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    }
    zmq_close(pull);
    zmq_ctx_term(ctx);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s restart_peer\n", argv[0]);
        return 2;
    }
    peer_path = argv[1];
    test_begin(60);
    RUN(zinc_connecter_reconnects_after_peer_sigkill);
    RUN(zinc_binder_serves_the_restarted_peer);
    return test_end();
}
