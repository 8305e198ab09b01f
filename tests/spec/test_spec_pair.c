/* RFC 31 (EXCLUSIVE PAIR): the SHALL clauses of PAIR, each checked over inproc, ipc and tcp. */
#include "testutil.h"

static void *ctx;

/* Bind a, connect b, and wait until a round trip has gone through both ways. */
static void connect_pair(const char *tr, void **a, void **b, char *ep, size_t eplen)
{
    *a = bound_socket(ctx, ZMQ_PAIR, tr, ep, eplen);
    *b = connected_socket(ctx, ZMQ_PAIR, ep);
    send_str(*b, "ping");
    recv_expect(*a, "ping");
    send_str(*a, "pong");
    recv_expect(*b, "pong");
}

/* "SHALL be bidirectional: either peer may send and receive at any time" (no alternation). */
static void pair_shall_send_and_receive_in_both_directions_without_alternation(const char *tr)
{
    void *a, *b;
    char ep[TU_ENDPOINT_LEN];
    connect_pair(tr, &a, &b, ep, sizeof ep);
    send_str(a, "a1");
    send_str(a, "a2");
    send_str(b, "b1");
    send_str(b, "b2");
    send_str(b, "b3");
    recv_expect(b, "a1");
    recv_expect(b, "a2");
    recv_expect(a, "b1");
    recv_expect(a, "b2");
    recv_expect(a, "b3");
    expect_no_msg(a, 20);
    expect_no_msg(b, 0);
    close_zero_linger(a);
    close_zero_linger(b);
}

/* "SHALL NOT accept more than one connected peer at a time": a second peer's messages never arrive
 * and the first connection keeps working. */
static void pair_shall_not_accept_a_second_peer(const char *tr)
{
    void *a, *b;
    char ep[TU_ENDPOINT_LEN];
    connect_pair(tr, &a, &b, ep, sizeof ep);
    void *c = connected_socket(ctx, ZMQ_PAIR, ep);
    /* c may queue (its own pipe exists from connect) or refuse; either way nothing reaches a */
    int rc = zmq_send(c, "intruder", 8, ZMQ_DONTWAIT);
    CHECK(rc == 8 || (rc == -1 && errno == EAGAIN));
    expect_no_msg(a, 200);
    send_str(b, "still-b");
    recv_expect(a, "still-b");
    send_str(a, "to-b");
    recv_expect(b, "to-b");
    expect_no_msg(c, 50);
    close_zero_linger(c);
    close_zero_linger(a);
    close_zero_linger(b);
}

/* "When a PAIR socket has no connected peer, zmq_send SHALL block" (EAGAIN with ZMQ_DONTWAIT). */
static void pair_shall_block_send_when_it_has_no_peer(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *a = bound_socket(ctx, ZMQ_PAIR, tr, ep, sizeof ep);
    CHECK_ERR(zmq_send(a, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    set_int(a, ZMQ_SNDTIMEO, 50);
    int64_t t0 = now_ms();
    CHECK_ERR(zmq_send(a, "x", 1, 0), EAGAIN);
    CHECK_INT(now_ms() - t0, >=, 40);
    /* once a peer connects, sends go through */
    void *b = connected_socket(ctx, ZMQ_PAIR, ep);
    set_int(a, ZMQ_SNDTIMEO, 2000);
    send_str(a, "now");
    recv_expect(b, "now");
    close_zero_linger(a);
    close_zero_linger(b);
}

/* "SHALL NOT discard messages" at the high-water mark: send says EAGAIN, the peer gets every one. */
static void pair_shall_not_discard_messages_at_the_high_water_mark(const char *tr)
{
    void *a = test_socket(ctx, ZMQ_PAIR);
    void *b = test_socket(ctx, ZMQ_PAIR);
    set_int(a, ZMQ_SNDHWM, 5);
    set_int(b, ZMQ_RCVHWM, 5);
    set_int(a, ZMQ_SNDBUF, 4096);
    set_int(b, ZMQ_RCVBUF, 4096);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(b, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(a, ep));
    char msg[1024];
    memset(msg, 'p', sizeof msg);
    int sent = send_numbered_until_mute(a, msg, sizeof msg, 100000, 3000);
    CHECK_INT(sent, >=, 5);
    CHECK_INT(sent, <, 100000);
    recv_numbered(b, msg, sizeof msg, sent);
    expect_no_msg(b, 50);
    close_zero_linger(a);
    close_zero_linger(b);
}

/* Multipart messages are delivered whole, in order, with their more-flags. */
static void pair_shall_deliver_multipart_messages_atomically(const char *tr)
{
    void *a, *b;
    char ep[TU_ENDPOINT_LEN];
    connect_pair(tr, &a, &b, ep, sizeof ep);
    send_str_more(a, "part1");
    send_buf(a, "", 0, ZMQ_SNDMORE);
    send_str(a, "part3");
    send_str(a, "single");
    recv_expect_more(b, "part1");
    recv_expect_more(b, "");
    recv_expect(b, "part3");
    recv_expect(b, "single");
    close_zero_linger(a);
    close_zero_linger(b);
}

/* When the peer goes away, a new peer may connect and take its place. */
static void pair_shall_accept_a_new_peer_after_the_old_one_disconnects(const char *tr)
{
    void *a, *b;
    char ep[TU_ENDPOINT_LEN];
    connect_pair(tr, &a, &b, ep, sizeof ep);
    close_zero_linger(b);
    void *c = connected_socket(ctx, ZMQ_PAIR, ep);
    /* the old pipe is torn down asynchronously, and a peer that came while b still held the slot is
     * refused: retry with a fresh socket until the new peer is attached */
    int got = 0;
    for (int i = 0; i < 40 && !got; i++) {
        zmq_send(c, "new-peer", 8, ZMQ_DONTWAIT);
        got = poll_in(a, 50);
        if (!got) {
            close_zero_linger(c);
            c = test_socket(ctx, ZMQ_PAIR);
            CHECK_OK(zmq_connect(c, ep));
        }
    }
    CHECK(got);
    recv_expect(a, "new-peer");
    send_str(a, "welcome");
    recv_expect(c, "welcome");
    close_zero_linger(a);
    close_zero_linger(c);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(pair_shall_send_and_receive_in_both_directions_without_alternation);
    RUN_TRANSPORTS(pair_shall_not_accept_a_second_peer);
    RUN_TRANSPORTS(pair_shall_block_send_when_it_has_no_peer);
    RUN_TRANSPORTS(pair_shall_not_discard_messages_at_the_high_water_mark);
    RUN_TRANSPORTS(pair_shall_deliver_multipart_messages_atomically);
    RUN_TRANSPORTS(pair_shall_accept_a_new_peer_after_the_old_one_disconnects);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
