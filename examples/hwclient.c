/* hwclient: the "Hello World" client. Connects a REQ socket to hwserver, sends "Hello" N times and waits
 * for each "World".
 *
 * Pattern: request-reply (REQ/REP). REQ is the strict half: send one request, then receive exactly one reply,
 * then send again. The client may start before the server: zmq_connect succeeds at once and ØMQ connects
 * (and reconnects) in the background, so the first request simply waits until the server is there.
 *
 * Usage: hwclient [--connect ENDPOINT] [--count N]
 *   --connect  where the server is (default tcp://localhost:5555)
 *   --count    how many requests to send (default 10)
 */
#include <zmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *endpoint = "tcp://localhost:5555";
    long count = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--connect") == 0)
            endpoint = argv[i + 1];
        else if (strcmp(argv[i], "--count") == 0)
            count = strtol(argv[i + 1], NULL, 10);
    }

    printf("connecting to hello world server at %s\n", endpoint);
    void *context = zmq_ctx_new();
    void *requester = zmq_socket(context, ZMQ_REQ);
    zmq_connect(requester, endpoint);

    long replies = 0;
    for (long request = 0; request < count; request++) {
        char buffer[10];
        printf("sending Hello %ld\n", request);
        zmq_send(requester, "Hello", 5, 0);
        int size = zmq_recv(requester, buffer, sizeof buffer - 1, 0);
        if (size < 0)
            break;
        if (size > (int) sizeof buffer - 1)
            size = sizeof buffer - 1;
        buffer[size] = '\0';
        printf("received %s %ld\n", buffer, request);
        if (strcmp(buffer, "World") == 0)
            replies++;
    }
    printf("%ld of %ld replies were World\n", replies, count);

    zmq_close(requester);
    zmq_ctx_term(context);
    return replies == count ? 0 : 1;
}
