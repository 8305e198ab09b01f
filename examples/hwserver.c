/* hwserver: the "Hello World" server, the first example of the ØMQ talk.
 *
 * Pattern: request-reply (REQ/REP). The server binds a REP socket and, for every request, must send exactly
 * one reply before it may receive the next: REP enforces the strict recv/send/recv/send lockstep, and it
 * routes each reply back to the client that sent the request without us ever seeing an address.
 *
 *   hwclient (REQ) --"Hello"--> hwserver (REP)
 *   hwclient (REQ) <--"World"-- hwserver (REP)
 *
 * Usage: hwserver [--bind ENDPOINT] [--count N]
 *   --bind   where to listen (default: TCP port 5555 on every interface); "tcp://127.0.0.1:*" picks a free port, printed below
 *   --count  answer N requests and exit (default 0: serve forever, like the classic example)
 */
#include <zmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *endpoint = "tcp://*:5555";
    long count = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bind") == 0)
            endpoint = argv[i + 1];
        else if (strcmp(argv[i], "--count") == 0)
            count = strtol(argv[i + 1], NULL, 10);
    }

    void *context = zmq_ctx_new();
    void *responder = zmq_socket(context, ZMQ_REP);
    if (zmq_bind(responder, endpoint) != 0) {
        fprintf(stderr, "hwserver: bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }
    /* With a wildcard port, ZMQ_LAST_ENDPOINT tells which port we got: print it for the clients. */
    char bound[256];
    size_t bound_len = sizeof bound;
    zmq_getsockopt(responder, ZMQ_LAST_ENDPOINT, bound, &bound_len);
    printf("listening on %s\n", bound);
    fflush(stdout);

    for (long served = 0; count == 0 || served < count; served++) {
        char buffer[10];
        int size = zmq_recv(responder, buffer, sizeof buffer - 1, 0);
        if (size < 0)
            break;
        if (size > (int) sizeof buffer - 1)
            size = sizeof buffer - 1;    /* zmq_recv truncates long messages but returns the full size */
        buffer[size] = '\0';
        printf("received %s\n", buffer);
        /* Here a real server would do some work. */
        zmq_send(responder, "World", 5, 0);
    }

    zmq_close(responder);
    zmq_ctx_term(context);
    return 0;
}
