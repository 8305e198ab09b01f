/* The libzmq side of the fault-relay interop tests (fault_driver.c): one end of a pattern of
 * tests/fault_patterns.h, compiled against the system /usr/include/zmq.h and linked with the system
 * libzmq.so.5 (no RUNPATH), like peer_libzmq.
 *
 *   fault_peer_libzmq rep                    REP echo server on tcp://127.0.0.1:*; prints ENDPOINT <ep>
 *   fault_peer_libzmq lpclient EP RELAXED    LP_CLIENTS lazy-pirate clients against EP (RELAXED 0 or 1)
 *   fault_peer_libzmq push EP                numbered stream to EP
 *
 * Lines on stdout: "HELLO lib=<the file zmq_version came from>" first, then as above; it runs until a
 * line "STOP" (or end of file) on stdin, then prints "RESULT requests R retries T most M" (lpclient),
 * "RESULT sent N" (push) or "RESULT ok" (rep) and exits 0. A failed check prints it to stderr and
 * exits 1 (testutil.h). */
#include "../fault_patterns.h"

#include <dlfcn.h>
#include <limits.h>

static void say_hello(void)
{
    Dl_info info;
    char real[PATH_MAX] = "unknown";
    if (dladdr((void *)zmq_version, &info) && info.dli_fname && !realpath(info.dli_fname, real))
        snprintf(real, sizeof real, "%s", info.dli_fname);
    printf("HELLO lib=%s\n", real);
}

/* Blocks until the driver says STOP or goes away. */
static void wait_for_stop(void)
{
    char line[64];
    while (fgets(line, sizeof line, stdin) && strncmp(line, "STOP", 4) != 0) {
    }
}

static int run_rep(void *ctx)
{
    void *rep = test_socket(ctx, ZMQ_REP);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(rep, "tcp", ep, sizeof ep);
    pthread_t server;
    CHECK_EQ(pthread_create(&server, NULL, lp_server, rep), 0);
    printf("ENDPOINT %s\n", ep);
    wait_for_stop();
    CHECK_OK(zmq_ctx_shutdown(ctx));   /* the server's zmq_recv returns ETERM */
    CHECK_EQ(pthread_join(server, NULL), 0);
    close_zero_linger(rep);
    printf("RESULT ok\n");
    return 0;
}

static int run_lpclient(void *ctx, const char *ep, int relaxed)
{
    static struct lp_run run;
    lp_clients_start(&run, ctx, ep, relaxed);
    wait_for_stop();
    lp_clients_stop(&run);
    printf("RESULT requests %d retries %d most %d\n", atomic_load(&run.requests), atomic_load(&run.retries),
           atomic_load(&run.most_attempts));
    return 0;
}

static int run_push(void *ctx, const char *ep)
{
    struct seq_sender s = {.push = test_socket(ctx, ZMQ_PUSH)};
    atomic_init(&s.stop, SEQ_RUN);
    atomic_init(&s.numbered, 0);
    seq_socket_setup(s.push);
    CHECK_OK(zmq_connect(s.push, ep));
    pthread_t sender;
    CHECK_EQ(pthread_create(&sender, NULL, seq_sender_main, &s), 0);
    wait_for_stop();
    atomic_store(&s.stop, SEQ_END);
    while (!atomic_load(&s.numbered))
        msleep(1);
    printf("RESULT sent %d\n", s.sent);
    /* End markers go out until the driver has one (it then closes stdin). */
    wait_for_stop();
    atomic_store(&s.stop, SEQ_DONE);
    CHECK_EQ(pthread_join(sender, NULL), 0);
    close_zero_linger(s.push);
    return 0;
}

int main(int argc, char **argv)
{
    test_begin(120);
    tu_current_case = "fault_peer_libzmq";
    say_hello();
    void *ctx = CHECK_PTR(zmq_ctx_new());
    int rc = 2;
    if (argc == 2 && strcmp(argv[1], "rep") == 0)
        rc = run_rep(ctx);
    else if (argc == 4 && strcmp(argv[1], "lpclient") == 0)
        rc = run_lpclient(ctx, argv[2], atoi(argv[3]));
    else if (argc == 3 && strcmp(argv[1], "push") == 0)
        rc = run_push(ctx, argv[2]);
    else
        fprintf(stderr, "usage: fault_peer_libzmq rep | lpclient EP RELAXED | push EP\n");
    CHECK_OK(zmq_ctx_term(ctx));
    return rc;
}
