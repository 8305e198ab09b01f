/* High-water marks and timeouts: ZMQ_SNDHWM bounds the outgoing queue (EAGAIN with ZMQ_DONTWAIT, block
 * otherwise), 0 means no limit; ZMQ_SNDTIMEO/ZMQ_RCVTIMEO give up with EAGAIN after about their time. */
#include "testutil.h"

static void *ctx;

/* Send 1-byte messages with ZMQ_DONTWAIT until EAGAIN (at most limit); returns how many were taken. */
static int fill_until_eagain(void *sock, int limit)
{
    int sent = 0;
    while (sent < limit) {
        if (zmq_send(sock, "h", 1, ZMQ_DONTWAIT) == -1) {
            CHECK_EQ(errno, EAGAIN);
            break;
        }
        sent++;
    }
    return sent;
}

/* A PUSH connected to an address where nobody listens queues exactly SNDHWM messages. */
static void sndhwm_shall_bound_the_queue_of_a_peer_not_yet_connected(void)
{
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_SNDHWM, 5);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    CHECK_OK(zmq_connect(push, ep));
    CHECK_EQ(fill_until_eagain(push, 1000), 5);
    CHECK_ERR(zmq_send(push, "h", 1, ZMQ_DONTWAIT), EAGAIN);
    /* when the peer appears, the queued five are delivered, then there is room again */
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, ep));
    for (int i = 0; i < 5; i++)
        recv_expect(pull, "h");
    set_int(push, ZMQ_SNDTIMEO, 2000);
    send_str(push, "room");
    recv_expect(pull, "room");
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* Over inproc the queue holds between SNDHWM and SNDHWM + the receiver's RCVHWM (libzmq: the sum);
 * after the receiver drains it, sends succeed again. */
static void sndhwm_shall_make_dontwait_sends_fail_with_eagain_when_full(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_RCVHWM, 5);
    CHECK_OK(zmq_bind(pull, "inproc://hwm-full"));
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_SNDHWM, 5);
    CHECK_OK(zmq_connect(push, "inproc://hwm-full"));
    int sent = fill_until_eagain(push, 1000);
    CHECK_INT(sent, >=, 5);
    CHECK_INT(sent, <=, 10);
    CHECK_EQ(get_int(push, ZMQ_EVENTS) & ZMQ_POLLOUT, 0);
    for (int i = 0; i < sent; i++)
        recv_expect(pull, "h");
    expect_no_msg(pull, 0);
    CHECK(get_int(push, ZMQ_EVENTS) & ZMQ_POLLOUT);
    CHECK_EQ(zmq_send(push, "h", 1, ZMQ_DONTWAIT), 1);
    close_zero_linger(push);
    close_zero_linger(pull);
}

struct blocked_send {
    void *sock;
    int rc;
    int64_t returned_at;
};

static void *blocking_send(void *arg)
{
    struct blocked_send *b = arg;
    b->rc = zmq_send(b->sock, "late", 4, 0);
    b->returned_at = now_ms();
    return NULL;
}

/* A blocking send on a full queue waits until the receiver makes room. */
static void a_blocking_send_shall_wait_until_the_receiver_makes_room(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_RCVHWM, 2);
    CHECK_OK(zmq_bind(pull, "inproc://hwm-block"));
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_SNDHWM, 2);
    CHECK_OK(zmq_connect(push, "inproc://hwm-block"));
    int sent = fill_until_eagain(push, 1000);
    struct blocked_send b = {push, -2, 0};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, blocking_send, &b), 0);
    msleep(100);
    CHECK_EQ(b.rc, -2); /* still blocked */
    int64_t drained_at = now_ms();
    for (int i = 0; i < sent; i++)
        recv_expect(pull, "h");
    recv_expect(pull, "late");
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(b.rc, 4);
    CHECK_INT(b.returned_at, >=, drained_at);
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* ZMQ_SNDHWM 0 means no limit. */
static void sndhwm_zero_shall_mean_no_limit(void)
{
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_SNDHWM, 0);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    CHECK_OK(zmq_connect(push, ep));
    CHECK_EQ(fill_until_eagain(push, 20000), 20000);
    close_zero_linger(push);
}

/* ZMQ_SNDTIMEO: a send that cannot proceed fails with EAGAIN after about that long. */
static void sndtimeo_shall_fail_with_eagain_after_its_time(void)
{
    void *push = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_bind(push, "inproc://hwm-sndtimeo"));
    set_int(push, ZMQ_SNDTIMEO, 200);
    int64_t t0 = now_ms();
    CHECK_ERR(zmq_send(push, "x", 1, 0), EAGAIN);
    int64_t took = now_ms() - t0;
    CHECK_INT(took, >=, 180);
    CHECK_INT(took, <, 1000);
    set_int(push, ZMQ_SNDTIMEO, 0);
    t0 = now_ms();
    CHECK_ERR(zmq_send(push, "x", 1, 0), EAGAIN);
    CHECK_INT(now_ms() - t0, <, 50);
    close_zero_linger(push);
}

/* ZMQ_RCVTIMEO: a recv with nothing to read fails with EAGAIN after about that long (0: at once); the
 * same for zmq_msg_recv. */
static void rcvtimeo_shall_fail_with_eagain_after_its_time(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, "inproc://hwm-rcvtimeo"));
    set_int(pull, ZMQ_RCVTIMEO, 200);
    char buf[8];
    int64_t t0 = now_ms();
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, 0), EAGAIN);
    int64_t took = now_ms() - t0;
    CHECK_INT(took, >=, 180);
    CHECK_INT(took, <, 1000);
    zmq_msg_t msg;
    CHECK_OK(zmq_msg_init(&msg));
    t0 = now_ms();
    CHECK_ERR(zmq_msg_recv(&msg, pull, 0), EAGAIN);
    CHECK_INT(now_ms() - t0, >=, 180);
    CHECK_OK(zmq_msg_close(&msg));
    set_int(pull, ZMQ_RCVTIMEO, 0);
    t0 = now_ms();
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, 0), EAGAIN);
    CHECK_INT(now_ms() - t0, <, 50);
    /* a message arriving within the timeout is returned at once */
    void *push = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(push, "inproc://hwm-rcvtimeo"));
    send_str(push, "in time");
    set_int(pull, ZMQ_RCVTIMEO, 2000);
    t0 = now_ms();
    CHECK_EQ(zmq_recv(pull, buf, sizeof buf, 0), 7);
    CHECK_INT(now_ms() - t0, <, 500);
    close_zero_linger(push);
    close_zero_linger(pull);
}

int main(void)
{
    test_begin(30);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(sndhwm_shall_bound_the_queue_of_a_peer_not_yet_connected);
    RUN(sndhwm_shall_make_dontwait_sends_fail_with_eagain_when_full);
    RUN(a_blocking_send_shall_wait_until_the_receiver_makes_room);
    RUN(sndhwm_zero_shall_mean_no_limit);
    RUN(sndtimeo_shall_fail_with_eagain_after_its_time);
    RUN(rcvtimeo_shall_fail_with_eagain_after_its_time);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
