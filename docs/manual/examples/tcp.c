/* tcp: binding to an ephemeral port and reading it back, connecting to it, and the errors of a few
 * malformed endpoints (transports/tcp.md). */
#include <errno.h>
#include <stdio.h>
#include <zmq.h>

static int fails_with(void *socket, const char *endpoint, int expected)
{
    int rc = zmq_bind(socket, endpoint);
    printf("bind %-26s -> %s\n", endpoint, rc == 0 ? "ok" : zmq_strerror(errno));
    return rc == -1 && errno == expected;
}

int main(void)
{
    void *ctx = zmq_ctx_new();
    void *server = zmq_socket(ctx, ZMQ_PAIR);
    void *client = zmq_socket(ctx, ZMQ_PAIR);
    zmq_bind(server, "tcp://127.0.0.1:*");                 /* the system picks a free port */
    char endpoint[256];
    size_t size = sizeof endpoint;
    zmq_getsockopt(server, ZMQ_LAST_ENDPOINT, endpoint, &size);
    printf("bound to %s\n", endpoint);
    zmq_connect(client, endpoint);
    zmq_send(client, "hi", 2, 0);
    char buf[8];
    int ok = zmq_recv(server, buf, sizeof buf, 0) == 2;

    void *other = zmq_socket(ctx, ZMQ_PAIR);
    ok &= fails_with(other, endpoint, EADDRINUSE);          /* the port is taken */
    ok &= fails_with(other, "tcp://localhost:5555", ENODEV); /* bind takes addresses, not host names */
    ok &= fails_with(other, "tcp://127.0.0.1", EINVAL);     /* no port */
    ok &= fails_with(other, "tcp://127.0.0.1:0x10", EINVAL); /* not a port number */

    zmq_close(other);
    zmq_close(client);
    zmq_close(server);
    zmq_ctx_term(ctx);
    return ok ? 0 : 1;
}
