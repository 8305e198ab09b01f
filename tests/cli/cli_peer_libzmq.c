/* A libzmq 4.3.4 peer for the zinc command's tests (tests/cli/zinc_cli_test.py): binds one socket on an
 * ephemeral loopback port, prints the endpoint, then does one thing:
 *   cli_peer_libzmq TYPE echo N         receive N messages, send each back (ROUTER: to its sender)
 *   cli_peer_libzmq TYPE send N TEXT    send TEXT N times, 50 ms apart
 *   cli_peer_libzmq TYPE recv N         receive N messages, print each frame in hex, a line per message
 * TYPE: push pull rep router dealer pub. Exits 1 after 10 s without traffic. Built against the system libzmq
 * only (see CMakeLists.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

static int type_of(const char *name)
{
    static const char *names[] = {"pair", "pub", "sub", "req", "rep", "dealer", "router", "pull", "push"};
    for (int k = 0; k < 9; k++)
        if (strcmp(names[k], name) == 0)
            return k;
    return -1;
}

/* Receives one multipart message into parts (up to 16); the number of frames, or -1. */
static int recv_all(void *s, zmq_msg_t *parts)
{
    int n = 0, more = 1;
    while (more && n < 16) {
        zmq_msg_init(&parts[n]);
        if (zmq_msg_recv(&parts[n], s, 0) < 0)
            return -1;
        more = zmq_msg_more(&parts[n]);
        n++;
    }
    return n;
}

static int do_echo(void *s, int count)
{
    for (int i = 0; i < count; i++) {
        zmq_msg_t parts[16];
        int n = recv_all(s, parts);
        if (n < 0)
            return 1;
        for (int k = 0; k < n; k++)
            if (zmq_msg_send(&parts[k], s, k + 1 < n ? ZMQ_SNDMORE : 0) < 0)
                return 1;
    }
    return 0;
}

static int do_recv(void *s, int count)
{
    for (int i = 0; i < count; i++) {
        zmq_msg_t parts[16];
        int n = recv_all(s, parts);
        if (n < 0)
            return 1;
        for (int k = 0; k < n; k++) {
            const unsigned char *d = zmq_msg_data(&parts[k]);
            for (size_t j = 0; j < zmq_msg_size(&parts[k]); j++)
                printf("%02x", d[j]);
            printf(k + 1 < n ? " " : "\n");
            zmq_msg_close(&parts[k]);
        }
        fflush(stdout);
    }
    return 0;
}

static int do_send(void *s, int count, const char *text)
{
    for (int i = 0; i < count; i++) {
        if (zmq_send(s, text, strlen(text), 0) < 0)
            return 1;
        zmq_poll(NULL, 0, 50);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || type_of(argv[1]) < 0) {
        fprintf(stderr, "usage: cli_peer_libzmq TYPE echo|send|recv N [TEXT]\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, type_of(argv[1]));
    int timeout = 10000, linger = 2000;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(s, "tcp://127.0.0.1:*") != 0)
        return 1;
    char endpoint[256];
    size_t size = sizeof endpoint;
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, endpoint, &size);
    printf("%s\n", endpoint);
    fflush(stdout);
    int count = atoi(argv[3]);
    int rc = 2;
    if (strcmp(argv[2], "echo") == 0)
        rc = do_echo(s, count);
    else if (strcmp(argv[2], "recv") == 0)
        rc = do_recv(s, count);
    else if (strcmp(argv[2], "send") == 0 && argc > 4)
        rc = do_send(s, count, argv[4]);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}
