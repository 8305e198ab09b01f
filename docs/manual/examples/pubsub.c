/* pubsub: a PUB sends two topics, a SUB subscribed to one receives only that one (sockets/pub.md,
 * sockets/sub.md). A subscription takes a moment to reach the publisher, so the publisher repeats its
 * messages until the subscriber has one: messages published before that are dropped, not queued. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

int main(void)
{
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    char endpoint[256];
    size_t size = sizeof endpoint;
    zmq_bind(pub, "tcp://127.0.0.1:*");
    zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, endpoint, &size);
    zmq_connect(sub, endpoint);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "weather.", 8);   /* prefix match on the first frame */
    int timeout = 100;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);

    char buf[64];
    int n = -1;
    for (int i = 0; i < 50 && n < 0; i++) {               /* at most 5 s */
        zmq_send(pub, "sports.football 3-1", 19, 0);
        zmq_send(pub, "weather.paris 21C", 17, 0);
        n = zmq_recv(sub, buf, sizeof buf - 1, 0);
    }
    if (n < 0) {
        fprintf(stderr, "no message: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    buf[n] = '\0';
    printf("subscriber got: %s\n", buf);
    int ok = strncmp(buf, "weather.", 8) == 0;            /* never the sports topic */

    zmq_close(sub);
    zmq_close(pub);
    zmq_ctx_term(ctx);
    return ok ? 0 : 1;
}
