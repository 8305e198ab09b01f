/* ZINC_POLLIN_FD with libuv: a DEALER and a ROUTER echo server in one loop, each watched by a uv_poll_t in
 * UV_READABLE. A callback receives until EAGAIN; sends need no ZMQ_EVENTS afterwards. zinc only. */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>
#include <zmq.h>

#define ROUNDS 2000

struct app {
    void *router, *dealer;
    uv_poll_t router_w, dealer_w;
    uv_timer_t sender, deadline;
    int sent, replies, empty_wakes;
};

static uv_poll_t *watch(uv_loop_t *loop, uv_poll_t *w, void *sock, uv_poll_cb cb, struct app *a)
{
    int fd;
    size_t len = sizeof fd;
    if (zmq_getsockopt(sock, ZINC_POLLIN_FD, &fd, &len) != 0) {
        perror("ZINC_POLLIN_FD (is this zinc?)");
        exit(1);
    }
    uv_poll_init(loop, w, fd);
    w->data = a;
    uv_poll_start(w, UV_READABLE, cb);
    return w;
}

static void on_router(uv_poll_t *w, int status, int events)
{
    struct app *a = w->data;
    (void)status, (void)events;
    for (;;) {   /* [routing id][body]: echo it */
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, a->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            return;   /* EAGAIN: the fd is unreadable now, uv will not call again until a message comes */
        }
        zmq_msg_init(&body);
        zmq_msg_recv(&body, a->router, ZMQ_DONTWAIT);   /* the rest of a message is always there */
        zmq_msg_send(&id, a->router, ZMQ_SNDMORE);
        zmq_msg_send(&body, a->router, 0);
    }
}

static void stop_all(struct app *a)
{
    uv_poll_stop(&a->router_w);   /* stop watching before zmq_close closes the fds */
    uv_poll_stop(&a->dealer_w);
    uv_timer_stop(&a->sender);
    uv_timer_stop(&a->deadline);
}

static void on_dealer(uv_poll_t *w, int status, int events)
{
    struct app *a = w->data;
    (void)status, (void)events;
    int n = 0;
    char buf[16];
    while (zmq_recv(a->dealer, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
        n++;
    a->replies += n;
    a->empty_wakes += n == 0;
    if (a->replies == ROUNDS)
        stop_all(a);
}

static void on_sender(uv_timer_t *t)   /* a burst of requests every millisecond */
{
    struct app *a = t->data;
    for (int i = 0; i < 50 && a->sent < ROUNDS; i++, a->sent++)
        zmq_send(a->dealer, "ping", 4, 0);
}

static void on_deadline(uv_timer_t *t)
{
    struct app *a = t->data;
    fprintf(stderr, "level_uv: only %d replies of %d in 10 s\n", a->replies, ROUNDS);
    exit(1);
}

int main(void)
{
    void *ctx = zmq_ctx_new();
    struct app a = {0};
    a.router = zmq_socket(ctx, ZMQ_ROUTER);
    a.dealer = zmq_socket(ctx, ZMQ_DEALER);
    char ep[64];
    size_t len = sizeof ep;
    if (zmq_bind(a.router, "tcp://127.0.0.1:*") != 0 ||
        zmq_getsockopt(a.router, ZMQ_LAST_ENDPOINT, ep, &len) != 0 || zmq_connect(a.dealer, ep) != 0)
        return 1;

    uv_loop_t *loop = uv_default_loop();
    watch(loop, &a.router_w, a.router, on_router, &a);
    watch(loop, &a.dealer_w, a.dealer, on_dealer, &a);
    uv_timer_init(loop, &a.sender);
    a.sender.data = &a;
    uv_timer_start(&a.sender, on_sender, 1, 1);
    uv_timer_init(loop, &a.deadline);
    a.deadline.data = &a;
    uv_timer_start(&a.deadline, on_deadline, 10000, 0);
    uv_run(loop, UV_RUN_DEFAULT);   /* returns once stop_all left nothing active */

    printf("level_uv: %d requests, %d replies, %d wake-ups with nothing to receive\n", a.sent, a.replies,
           a.empty_wakes);
    int linger = 0;
    zmq_setsockopt(a.dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(a.router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(a.dealer);
    zmq_close(a.router);
    zmq_ctx_term(ctx);
    uv_loop_close(loop);
    return a.replies == ROUNDS && a.empty_wakes <= 2 ? 0 : 1;
}
