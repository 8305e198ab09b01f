/* hello_pull: binds a PULL socket and prints the messages it receives (getting-started.md).
 * Usage: hello_pull [endpoint] [count]; by default it binds port 5555 on every interface and takes 10. */
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

int main(int argc, char **argv)
{
    const char *endpoint = argc > 1 ? argv[1] : "tcp://*:5555";
    int count = argc > 2 ? atoi(argv[2]) : 10;

    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    if (zmq_bind(pull, endpoint) != 0) {
        fprintf(stderr, "bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }
    for (int i = 0; i < count; i++) {
        char buf[256];
        int n = zmq_recv(pull, buf, sizeof buf - 1, 0);
        if (n < 0)
            break;
        buf[n < (int)sizeof buf - 1 ? n : (int)sizeof buf - 1] = '\0';
        printf("received: %s\n", buf);
    }
    zmq_close(pull);
    zmq_ctx_term(ctx);
    return 0;
}
