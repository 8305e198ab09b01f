/* ipc: a Unix-domain socket at a path, in the abstract namespace, and at a fresh path chosen by the
 * ipc wildcard (transports/ipc.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static int round_trip(void *ctx, const char *bind_to)
{
    void *server = zmq_socket(ctx, ZMQ_PAIR);
    void *client = zmq_socket(ctx, ZMQ_PAIR);
    char endpoint[256];
    size_t size = sizeof endpoint;
    int ok = zmq_bind(server, bind_to) == 0;
    zmq_getsockopt(server, ZMQ_LAST_ENDPOINT, endpoint, &size);   /* a wildcard becomes a real path */
    ok = ok && zmq_connect(client, endpoint) == 0 && zmq_send(client, "hi", 2, 0) == 2;
    char buf[8];
    ok = ok && zmq_recv(server, buf, sizeof buf, 0) == 2;
    printf("%-28s -> %s: %s\n", bind_to, endpoint, ok ? "ok" : zmq_strerror(errno));
    zmq_close(client);
    zmq_close(server);
    return ok;
}

int main(void)
{
    void *ctx = zmq_ctx_new();
    char path[64];
    snprintf(path, sizeof path, "ipc:///tmp/zinc-example-%d", (int)getpid());
    int ok = round_trip(ctx, path);
    unlink(path + strlen("ipc://"));                      /* an explicit path's file stays behind */
    ok &= round_trip(ctx, "ipc://@zinc-example");         /* Linux abstract namespace: no file */
    ok &= round_trip(ctx, "ipc://*");

    char longpath[200] = "ipc:///tmp/";
    memset(longpath + 11, 'x', 150);                       /* longer than a Unix socket address takes */
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    int rc = zmq_bind(s, longpath);
    printf("bind with a 161-byte path -> %s\n", rc == 0 ? "ok" : zmq_strerror(errno));
    ok &= rc == -1 && errno == ENAMETOOLONG;

    zmq_close(s);
    zmq_ctx_term(ctx);
    return ok ? 0 : 1;
}
