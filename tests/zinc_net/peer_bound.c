/* peer_bound.c: a socket bound to tcp://127.0.0.1:* for the zinc net-tool tests (probe, monitor). It prints
 * the endpoint it got on one line, then stays until stdin closes or 20 s pass, and exits. Built twice: on
 * the system libzmq 4.3.4 (by file, no include directories: only the system <zmq.h>) and on zmq_api.
 *
 * usage: peer_bound TYPE   (router, dealer, rep, pub, pull) */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

static int type_by_name(const char *name)
{
    static const struct {
        const char *name;
        int type;
    } types[] = {{"router", ZMQ_ROUTER}, {"dealer", ZMQ_DEALER}, {"rep", ZMQ_REP},
                 {"pub", ZMQ_PUB},       {"pull", ZMQ_PULL}};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
        if (strcmp(types[k].name, name) == 0)
            return types[k].type;
    return -1;
}

int main(int argc, char **argv)
{
    int type = argc == 2 ? type_by_name(argv[1]) : -1;
    if (type < 0) {
        fprintf(stderr, "usage: peer_bound router|dealer|rep|pub|pull\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, type);
    char ep[256];
    size_t len = sizeof ep;
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(s, "tcp://127.0.0.1:*") < 0 || zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len) < 0) {
        fprintf(stderr, "peer_bound: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    printf("%s\n", ep);
    fflush(stdout);
    struct pollfd in = {.fd = 0, .events = POLLIN};
    char buf[64];
    while (poll(&in, 1, 20000) > 0 && read(0, buf, sizeof buf) > 0)
        ;
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
