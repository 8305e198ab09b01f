/* RFC 30 (PIPELINE): the SHALL clauses of PUSH and PULL, each checked over inproc, ipc and tcp. */
#include "testutil.h"

static void *ctx;

/* "SHALL route outgoing messages to connected peers using a round-robin strategy." PUSH connects to
 * three PULLs; its pipes exist from zmq_connect on (ZMQ_IMMEDIATE is 0), in connect order. */
static void push_shall_route_outgoing_messages_to_connected_peers_using_round_robin(const char *tr)
{
    enum { PEERS = 3, ROUNDS = 4 };
    void *push = test_socket(ctx, ZMQ_PUSH);
    void *pull[PEERS];
    char ep[PEERS][TU_ENDPOINT_LEN];
    for (int i = 0; i < PEERS; i++) {
        pull[i] = test_socket(ctx, ZMQ_PULL);
        bind_transport(pull[i], tr, ep[i], sizeof ep[i]);
    }
    for (int i = 0; i < PEERS; i++)
        CHECK_OK(zmq_connect(push, ep[i]));
    char msg[32];
    for (int n = 0; n < PEERS * ROUNDS; n++) {
        snprintf(msg, sizeof msg, "msg-%d", n);
        send_str(push, msg);
    }
    for (int i = 0; i < PEERS; i++) {
        for (int r = 0; r < ROUNDS; r++) {
            snprintf(msg, sizeof msg, "msg-%d", r * PEERS + i);
            recv_expect(pull[i], msg);
        }
        expect_no_msg(pull[i], 0);
    }
    for (int i = 0; i < PEERS; i++)
        close_zero_linger(pull[i]);
    close_zero_linger(push);
}

struct blocked_send {
    void *push;
    int rc;
};

static void *blocked_send_thread(void *arg)
{
    struct blocked_send *b = arg;
    b->rc = zmq_send(b->push, "late", 4, 0);
    return NULL;
}

/* "If there are no downstream nodes at all, then any zmq_send operations on the socket SHALL block until
 * ... at least one downstream node becomes available for sending; messages are not discarded." */
static void push_shall_block_when_it_has_no_peers(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *push = bound_socket(ctx, ZMQ_PUSH, tr, ep, sizeof ep);
    CHECK_ERR(zmq_send(push, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    set_int(push, ZMQ_SNDTIMEO, 50);
    int64_t t0 = now_ms();
    CHECK_ERR(zmq_send(push, "x", 1, 0), EAGAIN);
    CHECK_INT(now_ms() - t0, >=, 40);
    set_int(push, ZMQ_SNDTIMEO, -1);

    /* A blocking send in another thread completes once a PULL connects. */
    struct blocked_send b = {push, -2};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, blocked_send_thread, &b), 0);
    msleep(50);
    CHECK_EQ(b.rc, -2); /* still blocked */
    void *pull = connected_socket(ctx, ZMQ_PULL, ep);
    recv_expect(pull, "late");
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(b.rc, 4);
    close_zero_linger(pull);
    close_zero_linger(push);
}

/* "SHALL NOT discard messages ... in the mute state": at the high-water mark PUSH says EAGAIN (or
 * blocks) and every message it accepted reaches the PULL. */
static void push_shall_not_discard_messages_at_the_high_water_mark(const char *tr)
{
    void *push = test_socket(ctx, ZMQ_PUSH);
    void *pull = test_socket(ctx, ZMQ_PULL);
    set_int(push, ZMQ_SNDHWM, 10);
    set_int(pull, ZMQ_RCVHWM, 10);
    /* small kernel buffers, so that the mute state comes soon on ipc and tcp */
    set_int(push, ZMQ_SNDBUF, 4096);
    set_int(pull, ZMQ_RCVBUF, 4096);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(pull, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(push, ep));
    char msg[1024];
    memset(msg, 'x', sizeof msg);
    /* Kernel buffers hold a lot on ipc/tcp: keep going until EAGAIN, bounded in count and time. */
    int sent = send_numbered_until_mute(push, msg, sizeof msg, 200000, 3000);
    CHECK_INT(sent, >=, 10);
    CHECK_INT(sent, <, 200000);
    recv_numbered(pull, msg, sizeof msg, sent);
    expect_no_msg(pull, 50);
    close_zero_linger(pull);
    close_zero_linger(push);
}

/* "SHALL receive incoming messages from its peers using a fair-queuing strategy." Two PUSHes each queue
 * four messages at one PULL; the PULL takes them alternately. */
static void pull_shall_receive_incoming_messages_from_its_peers_using_fair_queuing(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *pull = bound_socket(ctx, ZMQ_PULL, tr, ep, sizeof ep);
    void *push_a = test_socket(ctx, ZMQ_PUSH);
    void *push_b = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(push_a, ep));
    CHECK_OK(zmq_connect(push_b, ep));
    /* Both connections are up once a message from each has arrived. */
    send_str(push_a, "hello-a");
    send_str(push_b, "hello-b");
    char buf[64];
    int seen_a = 0, seen_b = 0;
    for (int i = 0; i < 2; i++) {
        CHECK_INT(recv_timeout(pull, buf, sizeof buf, 2000, NULL), ==, 7);
        seen_a += strcmp(buf, "hello-a") == 0;
        seen_b += strcmp(buf, "hello-b") == 0;
    }
    CHECK(seen_a == 1 && seen_b == 1);
    for (int i = 0; i < 4; i++) {
        snprintf(buf, sizeof buf, "a%d", i);
        send_str(push_a, buf);
        snprintf(buf, sizeof buf, "b%d", i);
        send_str(push_b, buf);
    }
    msleep(strcmp(tr, "inproc") == 0 ? 0 : 200); /* let both streams land in their queues */
    char first = 0;
    int next_a = 0, next_b = 0;
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(recv_timeout(pull, buf, sizeof buf, 2000, NULL), 2);
        if (i == 0)
            first = buf[0];
        /* strict alternation, starting with whichever peer came first */
        char expect_peer = (i % 2 == 0) ? first : (first == 'a' ? 'b' : 'a');
        CHECK_EQ(buf[0], expect_peer);
        int *next = buf[0] == 'a' ? &next_a : &next_b;
        CHECK_EQ(buf[1] - '0', *next);
        (*next)++;
    }
    CHECK(next_a == 4 && next_b == 4);
    close_zero_linger(push_a);
    close_zero_linger(push_b);
    close_zero_linger(pull);
}

/* Messages are atomic: a multipart message from one PUSH is never interleaved with parts from another,
 * and arrives whole with the more-flags intact. */
static void pull_shall_deliver_multipart_messages_atomically(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *pull = bound_socket(ctx, ZMQ_PULL, tr, ep, sizeof ep);
    void *push_a = test_socket(ctx, ZMQ_PUSH);
    void *push_b = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(push_a, ep));
    CHECK_OK(zmq_connect(push_b, ep));
    for (int i = 0; i < 10; i++) {
        send_str_more(push_a, "A1");
        send_str_more(push_a, "A2");
        send_str(push_a, "A3");
        send_str_more(push_b, "B1");
        send_buf(push_b, "", 0, ZMQ_SNDMORE);
        send_str(push_b, "B3");
    }
    int count_a = 0, count_b = 0;
    char buf[16];
    for (int i = 0; i < 20; i++) {
        int more = 0;
        CHECK_EQ(recv_timeout(pull, buf, sizeof buf, 2000, &more), 2);
        CHECK_EQ(more, 1);
        if (buf[0] == 'A') {
            CHECK_STR(buf, "A1");
            recv_expect_more(pull, "A2");
            recv_expect(pull, "A3");
            count_a++;
        } else {
            CHECK_STR(buf, "B1");
            recv_expect_more(pull, "");
            recv_expect(pull, "B3");
            count_b++;
        }
    }
    CHECK_EQ(count_a, 10);
    CHECK_EQ(count_b, 10);
    close_zero_linger(push_a);
    close_zero_linger(push_b);
    close_zero_linger(pull);
}

/* PUSH is send-only and PULL receive-only: "the PUSH socket SHALL NOT deliver/receive" and vice versa. */
static void push_and_pull_shall_be_unidirectional(const char *tr)
{
    void *push = test_socket(ctx, ZMQ_PUSH);
    char ep[TU_ENDPOINT_LEN];
    void *pull = bound_socket(ctx, ZMQ_PULL, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(push, ep));
    char buf[8];
    CHECK_ERR(zmq_recv(push, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
    CHECK_ERR(zmq_send(pull, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
    send_str(push, "one-way");
    recv_expect(pull, "one-way");
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* A PUSH that binds distributes to PULLs that connect to it, round-robin, once they are connected. */
static void push_shall_round_robin_to_peers_that_connect_to_it(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *push = bound_socket(ctx, ZMQ_PUSH, tr, ep, sizeof ep);
    void *pull_a = test_socket(ctx, ZMQ_PULL);
    void *pull_b = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_connect(pull_a, ep));
    /* wait until pull_a is attached: the first message can only go to it */
    send_str(push, "first");
    recv_expect(pull_a, "first");
    CHECK_OK(zmq_connect(pull_b, ep));
    /* once pull_b is attached, a message is bound to reach it within a few sends */
    int got_b = 0;
    char buf[32];
    for (int i = 0; i < 200 && !got_b; i++) {
        send_str(push, "probe");
        if (poll_in(pull_b, 10)) {
            CHECK_EQ(recv_timeout(pull_b, buf, sizeof buf, 0, NULL), 5);
            got_b = 1;
        }
    }
    CHECK(got_b);
    while (poll_in(pull_a, 50))
        CHECK_EQ(recv_timeout(pull_a, buf, sizeof buf, 0, NULL), 5);
    while (poll_in(pull_b, 0))
        CHECK_EQ(recv_timeout(pull_b, buf, sizeof buf, 0, NULL), 5);
    /* now strictly alternating: of 10 messages each PULL gets 5 */
    for (int i = 0; i < 10; i++)
        send_str(push, "rr");
    for (int i = 0; i < 5; i++) {
        recv_expect(pull_a, "rr");
        recv_expect(pull_b, "rr");
    }
    expect_no_msg(pull_a, 50);
    expect_no_msg(pull_b, 0);
    close_zero_linger(pull_a);
    close_zero_linger(pull_b);
    close_zero_linger(push);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(push_shall_route_outgoing_messages_to_connected_peers_using_round_robin);
    RUN_TRANSPORTS(push_shall_round_robin_to_peers_that_connect_to_it);
    RUN_TRANSPORTS(push_shall_block_when_it_has_no_peers);
    RUN_TRANSPORTS(push_shall_not_discard_messages_at_the_high_water_mark);
    RUN_TRANSPORTS(pull_shall_receive_incoming_messages_from_its_peers_using_fair_queuing);
    RUN_TRANSPORTS(pull_shall_deliver_multipart_messages_atomically);
    RUN_TRANSPORTS(push_and_pull_shall_be_unidirectional);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
