/* reqrep: a REQ client and a REP server; then what happens when a REQ breaks the send/receive rhythm
 * (sockets/req.md, sockets/rep.md). */
#include <errno.h>
#include <stdio.h>
#include <zmq.h>

int main(void)
{
    void *ctx = zmq_ctx_new();
    void *rep = zmq_socket(ctx, ZMQ_REP);
    void *req = zmq_socket(ctx, ZMQ_REQ);
    zmq_bind(rep, "inproc://reqrep-example");
    zmq_connect(req, "inproc://reqrep-example");

    char buf[64];
    zmq_send(req, "2+2", 3, 0);
    int n = zmq_recv(rep, buf, sizeof buf - 1, 0);       /* REP: receive a request ... */
    buf[n] = '\0';
    printf("server got: %s\n", buf);
    zmq_send(rep, "4", 1, 0);                            /* ... then send its reply */
    n = zmq_recv(req, buf, sizeof buf - 1, 0);
    buf[n] = '\0';
    printf("client got: %s\n", buf);

    zmq_send(req, "again", 5, 0);
    int rc = zmq_send(req, "too soon", 8, 0);            /* a second request before the reply */
    printf("second send: %s\n", rc == -1 && errno == EFSM ? "EFSM" : "unexpected");
    int ok = rc == -1 && errno == EFSM;
    rc = zmq_send(rep, "no request", 10, 0);             /* REP has not received "again" yet */
    ok = ok && rc == -1 && errno == EFSM;

    zmq_close(req);
    zmq_close(rep);
    zmq_ctx_term(ctx);
    return ok ? 0 : 1;
}
