/* hello_push: connects a PUSH socket and sends numbered messages (getting-started.md).
 * Usage: hello_push [endpoint] [count]   (default tcp://localhost:5555, 10) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int main(int argc, char **argv)
{
    const char *endpoint = argc > 1 ? argv[1] : "tcp://localhost:5555";
    int count = argc > 2 ? atoi(argv[2]) : 10;

    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    if (zmq_connect(push, endpoint) != 0) {
        fprintf(stderr, "connect %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }
    for (int i = 0; i < count; i++) {
        char text[32];
        snprintf(text, sizeof text, "hello %d", i);
        zmq_send(push, text, strlen(text), 0);   /* queued at once; sent when connected */
    }
    zmq_close(push);
    zmq_ctx_term(ctx);   /* waits until the queued messages are delivered (ZMQ_LINGER -1) */
    return 0;
}
