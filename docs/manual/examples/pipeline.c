/* pipeline: a PUSH shares tasks among PULL workers, and blocks (here: EAGAIN with ZMQ_DONTWAIT) when
 * their queues are full (sockets/push.md, sockets/pull.md). */
#include <errno.h>
#include <stdio.h>
#include <zmq.h>

static int drain(void *pull)
{
    char buf[16];
    int got = 0;
    while (zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
        got++;
    return got;
}

int main(void)
{
    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    int hwm = 5;
    zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_bind(push, "inproc://pipeline-example");
    void *workers[2];
    for (int i = 0; i < 2; i++) {
        workers[i] = zmq_socket(ctx, ZMQ_PULL);
        zmq_setsockopt(workers[i], ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_connect(workers[i], "inproc://pipeline-example");
    }

    int events;                         /* let every socket take in its new connections */
    size_t len = sizeof events;
    zmq_getsockopt(push, ZMQ_EVENTS, &events, &len);
    for (int i = 0; i < 2; i++)
        zmq_getsockopt(workers[i], ZMQ_EVENTS, &events, &len);

    int sent = 0;                       /* round-robin until every worker's queue is full */
    while (sent < 1000 && zmq_send(push, "task", 4, ZMQ_DONTWAIT) == 4)
        sent++;
    int full = errno == EAGAIN;
    int a = drain(workers[0]), b = drain(workers[1]);
    printf("sent %d tasks before EAGAIN: worker 0 got %d, worker 1 got %d\n", sent, a, b);

    for (int i = 0; i < 2; i++)
        zmq_close(workers[i]);
    zmq_close(push);
    zmq_ctx_term(ctx);
    /* inproc: each queue holds the PUSH's SNDHWM plus the PULL's RCVHWM */
    return full && a + b == sent && a == 10 && b == 10 ? 0 : 1;
}
