/* inproc: threads of one process sharing a context; connecting before the bind is fine, a name can be
 * bound once (transports/inproc.md). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <zmq.h>

static void *worker(void *ctx)
{
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    zmq_connect(push, "inproc://results");                /* may run before main binds */
    zmq_send(push, "42", 2, 0);
    zmq_close(push);
    return NULL;
}

int main(void)
{
    void *ctx = zmq_ctx_new();                            /* one context for every thread */
    pthread_t thread;
    pthread_create(&thread, NULL, worker, ctx);

    void *pull = zmq_socket(ctx, ZMQ_PULL);
    zmq_bind(pull, "inproc://results");
    char buf[8];
    int n = zmq_recv(pull, buf, sizeof buf, 0);
    printf("from the worker thread: %.*s\n", n, buf);
    pthread_join(thread, NULL);

    void *other = zmq_socket(ctx, ZMQ_PULL);
    int rc = zmq_bind(other, "inproc://results");         /* one bind per name and context */
    printf("second bind -> %s\n", rc == 0 ? "ok" : zmq_strerror(errno));
    int ok = n == 2 && rc == -1 && errno == EADDRINUSE;

    zmq_close(other);
    zmq_close(pull);
    zmq_ctx_term(ctx);
    return ok ? 0 : 1;
}
