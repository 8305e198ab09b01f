/* A libzmq 4.3.4 peer for the restart test (built against the system zmq.h and libzmq only).
 *   restart_peer pull <endpoint>   binds PULL, prints every message as a line on stdout, forever
 *   restart_peer push <endpoint>   connects PUSH, sends "0", "1", ... every millisecond, forever
 * It runs until it is killed, which is the point. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    void *ctx = zmq_ctx_new();
    if (strcmp(argv[1], "pull") == 0) {
        void *pull = zmq_socket(ctx, ZMQ_PULL);
        if (zmq_bind(pull, argv[2]) != 0) {
            fprintf(stderr, "bind %s: %s\n", argv[2], zmq_strerror(zmq_errno()));
            return 1;
        }
        printf("ready\n");
        char buf[64];
        for (;;) {
            int n = zmq_recv(pull, buf, sizeof buf - 1, 0);
            if (n < 0)
                return 1;
            buf[n < (int)sizeof buf - 1 ? n : (int)sizeof buf - 1] = 0;
            printf("%s\n", buf);
        }
    }
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    zmq_connect(push, argv[2]);
    printf("ready\n");
    for (unsigned long i = 0;; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%lu", i);
        zmq_send(push, buf, (size_t)n, 0);
        usleep(1000);
    }
}
