/* dealer_router: a ROUTER learns a DEALER's routing id from its first message and replies through it;
 * with ZMQ_ROUTER_MANDATORY a message for an unknown id fails with EHOSTUNREACH instead of vanishing
 * (sockets/dealer.md, sockets/router.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

int main(void)
{
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    int mandatory = 1;
    zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
    zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "worker-1", 8);   /* before connecting */
    zmq_bind(router, "inproc://router-example");
    zmq_connect(dealer, "inproc://router-example");

    zmq_send(dealer, "ready", 5, 0);
    char id[256], body[64];
    int idlen = zmq_recv(router, id, sizeof id, 0);          /* frame 1: who sent it */
    int n = zmq_recv(router, body, sizeof body - 1, 0);      /* frame 2: what it sent */
    body[n] = '\0';
    printf("router got '%s' from %.*s\n", body, idlen, id);

    zmq_send(router, id, (size_t)idlen, ZMQ_SNDMORE);        /* address the reply */
    zmq_send(router, "job 42", 6, 0);
    n = zmq_recv(dealer, body, sizeof body - 1, 0);
    body[n] = '\0';
    printf("dealer got '%s'\n", body);

    int rc = zmq_send(router, "nobody", 6, ZMQ_SNDMORE);     /* an id no peer has */
    printf("send to nobody: %s\n", rc == -1 && errno == EHOSTUNREACH ? "EHOSTUNREACH" : "unexpected");
    int ok = rc == -1 && errno == EHOSTUNREACH && strcmp(body, "job 42") == 0;

    zmq_close(dealer);
    zmq_close(router);
    zmq_ctx_term(ctx);
    return ok ? 0 : 1;
}
