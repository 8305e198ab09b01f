/* Messages sent before zmq_close with the default linger all arrive, even when the receiver is slower than
 * the sender (its pipe hits the high-water mark) and the sender's connection is gone before the receiver
 * has read everything (which once lost the tail of the stream over ipc). Over tcp and ipc. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#define COUNT 50000

static char endpoint[256];

static void check(int ok, const char *what, long got, long want)
{
    if (!ok) {
        fprintf(stderr, "FAIL: %s: got %ld, want %ld\n", what, got, want);
        exit(1);
    }
}

static void *sender(void *arg)
{
    (void)arg;
    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    check(zmq_connect(push, endpoint) == 0, "connect", zmq_errno(), 0);
    char buf[64];
    for (int i = 0; i < COUNT; i++) {
        memcpy(buf, &i, sizeof i);
        check(zmq_send(push, buf, sizeof buf, 0) == (int)sizeof buf, "send", i, COUNT);
    }
    zmq_close(push);
    zmq_ctx_term(ctx);
    return NULL;
}

static void run(const char *transport_endpoint)
{
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    int timeout = 5000;
    zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    check(zmq_bind(pull, transport_endpoint) == 0, "bind", zmq_errno(), 0);
    size_t len = sizeof endpoint;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, endpoint, &len);
    pthread_t th;
    pthread_create(&th, NULL, sender, NULL);
    usleep(100 * 1000);   /* let the sender run ahead: our pipe fills and the connection pauses */
    char buf[64];
    for (int i = 0; i < COUNT; i++) {
        int n = zmq_recv(pull, buf, sizeof buf, 0);
        check(n == 64, "recv size", n, 64);
        int seq;
        memcpy(&seq, buf, sizeof seq);
        check(seq == i, "sequence", seq, i);
    }
    pthread_join(th, NULL);
    zmq_close(pull);
    zmq_ctx_term(ctx);
    printf("%s: ok\n", transport_endpoint);
}

int main(void)
{
    alarm(60);
    run("tcp://127.0.0.1:*");
    char ipc[128];
    snprintf(ipc, sizeof ipc, "ipc:///tmp/zinc-test-close-%d.ipc", (int)getpid());
    run(ipc);
    return 0;
}
