/* zmq_socket_get_peer_state (draft). libzmq has no man page for it; its zmq.cpp and router.cpp say: on a
 * ROUTER, the state of the peer with that routing id as a bit mask, ZMQ_POLLOUT when the peer's pipe is
 * below its high-water mark (a message can be sent to it now), else 0; -1 with EHOSTUNREACH when no
 * connected peer has that id; -1 with ENOTSUP on socket types without routing ids; ENOTSOCK for a bad
 * handle. */
#include "testutil.h"

static void *ctx;

/* Polls until the state of id is `want` (bounded: 5 s). */
static void wait_state(void *router, const char *id, int want)
{
    int64_t deadline = now_ms() + 5000;
    int rc;
    while ((rc = zmq_socket_get_peer_state(router, id, strlen(id))) != want) {
        if (now_ms() >= deadline)
            CHECK_EQ(rc, want);
        msleep(5);
    }
}

/* A DEALER with routing id id connected to ep, known to the ROUTER (its first message arrived). */
static void *known_dealer(void *router, const char *id, const char *ep)
{
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, id, strlen(id)));
    CHECK_OK(zmq_connect(dealer, ep));
    send_str(dealer, "here");
    recv_expect_more(router, id);
    recv_expect(router, "here");
    return dealer;
}

static void errors(void)
{
    CHECK_ERR(zmq_socket_get_peer_state(NULL, "x", 1), ENOTSOCK);
    CHECK_ERR(zmq_socket_get_peer_state(ctx, "x", 1), ENOTSOCK);   /* a context is not a socket */
    int types[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_DEALER, ZMQ_PULL, ZMQ_PUSH, ZMQ_XPUB, ZMQ_XSUB,
                   ZMQ_STREAM};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = test_socket(ctx, types[i]);
        CHECK_ERR(zmq_socket_get_peer_state(s, "x", 1), ENOTSUP);
        close_zero_linger(s);
    }
    void *router = test_socket(ctx, ZMQ_ROUTER);
    CHECK_ERR(zmq_socket_get_peer_state(router, "x", 1), EHOSTUNREACH);   /* no peers at all */
    CHECK_ERR(zmq_socket_get_peer_state(router, "", 0), EHOSTUNREACH);
    close_zero_linger(router);
}

/* Known ids are POLLOUT, unknown ones EHOSTUNREACH, a peer that left becomes EHOSTUNREACH. */
static void known_and_unknown(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, transport, ep, sizeof ep);
    void *a = known_dealer(router, "alpha", ep);
    void *b = known_dealer(router, "beta", ep);
    CHECK_EQ(zmq_socket_get_peer_state(router, "alpha", 5), ZMQ_POLLOUT);
    CHECK_EQ(zmq_socket_get_peer_state(router, "beta", 4), ZMQ_POLLOUT);
    CHECK_ERR(zmq_socket_get_peer_state(router, "alph", 4), EHOSTUNREACH);
    CHECK_ERR(zmq_socket_get_peer_state(router, "gamma", 5), EHOSTUNREACH);
    static char long_id[300];
    memset(long_id, 'a', sizeof long_id);
    CHECK_ERR(zmq_socket_get_peer_state(router, long_id, sizeof long_id), EHOSTUNREACH);
    close_zero_linger(a);
    wait_state(router, "alpha", -1);
    CHECK_EQ(errno, EHOSTUNREACH);
    CHECK_EQ(zmq_socket_get_peer_state(router, "beta", 4), ZMQ_POLLOUT);
    close_zero_linger(b);
    close_zero_linger(router);
}

/* A peer without ZMQ_ROUTING_ID is known by the id the ROUTER generated (the first frame it receives). */
static void generated_id(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, transport, ep, sizeof ep);
    void *dealer = connected_socket(ctx, ZMQ_DEALER, ep);
    send_str(dealer, "anon");
    char id[256];
    int more = 0;
    int n = recv_timeout(router, id, sizeof id, 2000, &more);
    CHECK_EQ(n, 5);
    CHECK_EQ(more, 1);
    recv_expect(router, "anon");
    CHECK_EQ(zmq_socket_get_peer_state(router, id, (size_t)n), ZMQ_POLLOUT);
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* Fills the pipe to one peer that does not read (ZMQ_ROUTER_MANDATORY: EAGAIN at the high-water mark):
 * its state drops to 0 while another peer stays POLLOUT; once the slow peer reads, POLLOUT returns. */
static void hwm(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = test_socket(ctx, ZMQ_ROUTER);
    set_int(router, ZMQ_SNDHWM, 4);
    set_int(router, ZMQ_SNDBUF, 4096);
    set_int(router, ZMQ_ROUTER_MANDATORY, 1);
    bind_transport(router, transport, ep, sizeof ep);
    void *slow = test_socket(ctx, ZMQ_DEALER);
    set_int(slow, ZMQ_RCVHWM, 4);
    set_int(slow, ZMQ_RCVBUF, 4096);
    CHECK_OK(zmq_setsockopt(slow, ZMQ_ROUTING_ID, "slow", 4));
    CHECK_OK(zmq_connect(slow, ep));
    send_str(slow, "here");
    recv_expect_more(router, "slow");
    recv_expect(router, "here");
    void *other = known_dealer(router, "other", ep);

    static char body[65536];
    int sent = 0;
    int64_t deadline = now_ms() + 10000;
    for (;;) {
        CHECK(now_ms() < deadline && sent < 100000);
        if (zmq_send(router, "slow", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1) {
            CHECK_EQ(errno, EAGAIN);
            break;
        }
        CHECK_EQ(zmq_send(router, body, sizeof body, ZMQ_DONTWAIT), (int)sizeof body);
        sent++;
    }
    CHECK_INT(sent, >=, 4);
    CHECK_EQ(zmq_socket_get_peer_state(router, "slow", 4), 0);
    CHECK_EQ(zmq_socket_get_peer_state(router, "other", 5), ZMQ_POLLOUT);
    for (int i = 0; i < sent; i++)
        CHECK_EQ(recv_timeout(slow, body, sizeof body, 5000, NULL), (int)sizeof body);
    wait_state(router, "slow", ZMQ_POLLOUT);
    send_routed(router, "slow", 4, "room again");
    recv_expect(slow, "room again");
    close_zero_linger(slow);
    close_zero_linger(other);
    close_zero_linger(router);
}

/* A peer that left while its last message still waits unread at the ROUTER: the ROUTER keeps the pipe
 * until that message is read (it is still delivered, with the peer's id), but no connected peer has the
 * id any more, so its state is EHOSTUNREACH at once (router_peer_state's "peer closed" check; without it
 * the state stays POLLOUT until the message is read). */
static void peer_left_with_unread_input(const char *transport)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, transport, ep, sizeof ep);
    void *a = known_dealer(router, "alpha", ep);
    send_str(a, "unread");
    CHECK(poll_in(router, 2000));   /* in the ROUTER's queue now */
    close_zero_linger(a);
    wait_state(router, "alpha", -1);
    CHECK_EQ(errno, EHOSTUNREACH);
    recv_expect_more(router, "alpha");
    recv_expect(router, "unread");
    CHECK_ERR(zmq_socket_get_peer_state(router, "alpha", 5), EHOSTUNREACH);
    close_zero_linger(router);
}

int main(void)
{
    test_begin(120);
    ctx = zmq_ctx_new();
    CHECK(ctx != NULL);
    RUN(errors);
    RUN_TRANSPORTS(known_and_unknown);
    RUN_TRANSPORTS(generated_id);
    RUN_TRANSPORTS(hwm);
    RUN_TRANSPORTS(peer_left_with_unread_input);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
