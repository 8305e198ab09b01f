/* ZMQ_CONFLATE as libzmq 4.3.4 has it: accepted (and readable) on every socket type, acting only on PUSH,
 * PUB and DEALER (outgoing queue) and PULL, SUB and DEALER (incoming queue): such a queue keeps only the
 * newest message and has no high-water mark; multipart is not supported (only a last frame survives, without
 * MORE). On inproc the connecting socket's setting decides. */
#include "testutil.h"

static void *ctx;

static void send_numbered(void *s, const char *prefix, int n, int flags)
{
    for (int i = 1; i <= n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s%d", prefix, i);
        CHECK_EQ(zmq_send(s, buf, strlen(buf), flags), (int)strlen(buf));
    }
}

static void conflate_option_shall_be_accepted_on_every_type(void)
{
    int types[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_REP, ZMQ_DEALER, ZMQ_ROUTER, ZMQ_PULL, ZMQ_PUSH,
                   ZMQ_XPUB, ZMQ_XSUB, ZMQ_STREAM};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = test_socket(ctx, types[i]);
        CHECK_EQ(get_int(s, ZMQ_CONFLATE), 0);
        set_int(s, ZMQ_CONFLATE, 1);
        CHECK_EQ(get_int(s, ZMQ_CONFLATE), 1);
        set_int(s, ZMQ_CONFLATE, 0);
        CHECK_EQ(get_int(s, ZMQ_CONFLATE), 0);
        CHECK_OK(zmq_close(s));
    }
}

/* A conflating PULL that connects over inproc: everything the PUSH sent before the PULL reads collapses to
 * the newest message. */
static void pull_shall_keep_only_the_newest_message(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *push = test_socket(ctx, ZMQ_PUSH);
    bind_transport(push, "inproc", ep, sizeof ep);
    void *pull = test_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_CONFLATE, 1);
    CHECK_OK(zmq_connect(pull, ep));
    send_numbered(push, "m", 10, ZMQ_DONTWAIT);
    recv_expect(pull, "m10");
    expect_no_msg(pull, 100);
    send_str(push, "again");
    recv_expect(pull, "again");
    close_zero_linger(pull);
    close_zero_linger(push);
}

/* A conflating PUSH (or DEALER) connecting before its peer binds: its queue takes every message without
 * blocking, even past ZMQ_SNDHWM, and delivers only the newest once connected. */
static void sender_shall_keep_only_the_newest_message(int type, int peer_type)
{
    char path[108], ep[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "ipc://%s", tu_ipc_path(path, sizeof path));
    void *sender = test_socket(ctx, type);
    set_int(sender, ZMQ_CONFLATE, 1);
    set_int(sender, ZMQ_SNDHWM, 1);
    CHECK_OK(zmq_connect(sender, ep));
    send_numbered(sender, "m", 5, ZMQ_DONTWAIT);
    void *receiver = test_socket(ctx, peer_type);
    CHECK_OK(zmq_bind(receiver, ep));
    recv_expect(receiver, "m5");
    expect_no_msg(receiver, 200);
    close_zero_linger(sender);
    close_zero_linger(receiver);
}

static void push_shall_keep_only_the_newest_message(void) { sender_shall_keep_only_the_newest_message(ZMQ_PUSH, ZMQ_PULL); }
static void dealer_shall_keep_only_the_newest_message(void) { sender_shall_keep_only_the_newest_message(ZMQ_DEALER, ZMQ_DEALER); }

/* Without conflate the same early queue stops at ZMQ_SNDHWM (the contrast that shows it above). */
static void plain_push_shall_stop_at_its_high_water_mark(void)
{
    char path[108], ep[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "ipc://%s", tu_ipc_path(path, sizeof path));
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_SNDHWM, 1);
    CHECK_OK(zmq_connect(push, ep));
    send_str(push, "m1");
    CHECK_ERR(zmq_send(push, "m2", 2, ZMQ_DONTWAIT), EAGAIN);
    close_zero_linger(push);
}

/* Over tcp, however the messages are batched on the way, a conflating receiver only ever moves forward and
 * ends on the newest; multipart messages come out as lone last frames. */
static void tcp_receiver_shall_end_on_the_newest(int type)
{
    void *recv_sock = test_socket(ctx, type);
    set_int(recv_sock, ZMQ_CONFLATE, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(recv_sock, ep, sizeof ep);
    void *send_sock = test_socket(ctx, type == ZMQ_PULL ? ZMQ_PUSH : ZMQ_DEALER);
    CHECK_OK(zmq_connect(send_sock, ep));
    for (int i = 1; i <= 20; i++) {
        char a[16], b[16];
        snprintf(a, sizeof a, "a%d", i);
        snprintf(b, sizeof b, "b%d", i);
        send_str_more(send_sock, a);
        send_str(send_sock, b);
    }
    int last = 0, more = 0;
    char buf[16];
    while (last < 20) {
        int n = recv_timeout(recv_sock, buf, sizeof buf - 1, 3000, &more);
        CHECK_INT(n, >, 0);
        buf[n] = 0;
        CHECK_EQ(more, 0);
        CHECK_EQ(buf[0], 'b');
        int seq = atoi(buf + 1);
        CHECK_INT(seq, >, last);
        last = seq;
    }
    expect_no_msg(recv_sock, 100);
    close_zero_linger(send_sock);
    close_zero_linger(recv_sock);
}

static void pull_over_tcp_shall_end_on_the_newest(void) { tcp_receiver_shall_end_on_the_newest(ZMQ_PULL); }
static void dealer_over_tcp_shall_end_on_the_newest(void) { tcp_receiver_shall_end_on_the_newest(ZMQ_DEALER); }

/* PAIR ignores the option: every message arrives, multipart intact. */
static void pair_shall_ignore_conflate(void)
{
    void *a = test_socket(ctx, ZMQ_PAIR), *b = test_socket(ctx, ZMQ_PAIR);
    set_int(a, ZMQ_CONFLATE, 1);
    set_int(b, ZMQ_CONFLATE, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(a, ep, sizeof ep);
    CHECK_OK(zmq_connect(b, ep));
    send_numbered(b, "m", 5, 0);
    send_str_more(b, "x");
    send_str(b, "y");
    recv_expect(a, "m1");
    recv_expect(a, "m2");
    recv_expect(a, "m3");
    recv_expect(a, "m4");
    recv_expect(a, "m5");
    recv_expect_more(a, "x");
    recv_expect(a, "y");
    close_zero_linger(a);
    close_zero_linger(b);
}

/* A conflating SUB connecting over inproc sees only the newest publication. */
static void sub_shall_keep_only_the_newest_message(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *pub = test_socket(ctx, ZMQ_PUB);
    bind_transport(pub, "inproc", ep, sizeof ep);
    void *sub = test_socket(ctx, ZMQ_SUB);
    set_int(sub, ZMQ_CONFLATE, 1);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0));
    CHECK_OK(zmq_connect(sub, ep));
    /* the subscription reaches the PUB once it processes its commands: publish until one gets through */
    int got = 0;
    for (int i = 0; i < 200 && !got; i++) {
        send_str(pub, "probe");
        got = poll_in(sub, 10);
    }
    CHECK(got);
    recv_expect(sub, "probe");
    send_numbered(pub, "m", 10, 0);
    recv_expect(sub, "m10");
    expect_no_msg(sub, 100);
    close_zero_linger(sub);
    close_zero_linger(pub);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(conflate_option_shall_be_accepted_on_every_type);
    RUN(pull_shall_keep_only_the_newest_message);
    RUN(push_shall_keep_only_the_newest_message);
    RUN(dealer_shall_keep_only_the_newest_message);
    RUN(plain_push_shall_stop_at_its_high_water_mark);
    RUN(pull_over_tcp_shall_end_on_the_newest);
    RUN(dealer_over_tcp_shall_end_on_the_newest);
    RUN(pair_shall_ignore_conflate);
    RUN(sub_shall_keep_only_the_newest_message);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
