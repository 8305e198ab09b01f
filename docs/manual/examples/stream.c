/* stream: a STREAM socket serving a plain TCP client (here a POSIX socket in the same program): it sees
 * the connection, the bytes, and closes the connection by sending an empty frame (sockets/stream.md). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

/* A plain TCP client connected to "tcp://127.0.0.1:PORT". */
static int tcp_client(const char *endpoint)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_port = htons((unsigned short)atoi(strrchr(endpoint, ':') + 1));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        exit(1);
    return fd;
}

int main(void)
{
    void *ctx = zmq_ctx_new();
    void *stream = zmq_socket(ctx, ZMQ_STREAM);
    char endpoint[256];
    size_t size = sizeof endpoint;
    zmq_bind(stream, "tcp://127.0.0.1:*");
    zmq_getsockopt(stream, ZMQ_LAST_ENDPOINT, endpoint, &size);
    int fd = tcp_client(endpoint);

    char id[256], data[256];
    int idlen = zmq_recv(stream, id, sizeof id, 0);
    int n = zmq_recv(stream, data, sizeof data, 0);           /* empty: a new connection */
    printf("connected (%d-byte routing id, %d-byte frame)\n", idlen, n);

    if (write(fd, "hello?", 6) != 6)
        return 1;
    zmq_recv(stream, id, sizeof id, 0);
    n = zmq_recv(stream, data, sizeof data - 1, 0);           /* the bytes, as they came */
    data[n] = '\0';
    printf("received: %s\n", data);

    zmq_send(stream, id, (size_t)idlen, ZMQ_SNDMORE);
    zmq_send(stream, "hello!", 6, 0);                         /* raw bytes to that client */
    zmq_send(stream, id, (size_t)idlen, ZMQ_SNDMORE);
    zmq_send(stream, "", 0, 0);                               /* empty frame: close it */

    char reply[64];
    ssize_t got = read(fd, reply, 6);                         /* "hello!" */
    reply[got > 0 ? got : 0] = '\0';
    int events;
    size_t len = sizeof events;
    ssize_t eof = -1;
    for (int i = 0; i < 50 && eof != 0; i++) {                /* then the end of the connection */
        zmq_getsockopt(stream, ZMQ_EVENTS, &events, &len);    /* libzmq closes it on its next call */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) == 1)
            eof = read(fd, reply + 6, sizeof reply - 7);
    }
    printf("client read: %s, then %s\n", reply, eof == 0 ? "end of file" : "no end of file");

    close(fd);
    zmq_close(stream);
    zmq_ctx_term(ctx);
    return strcmp(reply, "hello!") == 0 && eof == 0 ? 0 : 1;
}
