/* pair: two PAIR sockets talking over inproc, as two threads of one program would (sockets/pair.md). */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

static int expect(void *socket, const char *want)
{
    char buf[64];
    int n = zmq_recv(socket, buf, sizeof buf, 0);
    if (n != (int)strlen(want) || memcmp(buf, want, (size_t)n) != 0) {
        fprintf(stderr, "expected %s\n", want);
        return -1;
    }
    printf("got %s\n", want);
    return 0;
}

int main(void)
{
    void *ctx = zmq_ctx_new();
    void *a = zmq_socket(ctx, ZMQ_PAIR);
    void *b = zmq_socket(ctx, ZMQ_PAIR);
    zmq_bind(a, "inproc://pair-example");
    zmq_connect(b, "inproc://pair-example");

    zmq_send(b, "ping", 4, 0);           /* either side may send at any time */
    int rc = expect(a, "ping");
    zmq_send(a, "pong", 4, 0);
    rc |= expect(b, "pong");

    zmq_close(b);
    zmq_close(a);
    zmq_ctx_term(ctx);
    return rc == 0 ? 0 : 1;
}
