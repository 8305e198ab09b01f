/* RFC 28 (REQREP), DEALER and ROUTER: DEALER load-balances out and fair-queues in; ROUTER prefixes the
 * routing id and routes by it (ZMQ_ROUTING_ID, ZMQ_CONNECT_ROUTING_ID, ZMQ_ROUTER_MANDATORY,
 * ZMQ_ROUTER_HANDOVER, ZMQ_PROBE_ROUTER). Each check runs over inproc, ipc and tcp. */
#include "testutil.h"

static void *ctx;

/* DEALER "SHALL route outgoing messages to available peers using a round-robin strategy." */
static void dealer_shall_route_outgoing_messages_using_round_robin(const char *tr)
{
    enum { PEERS = 3, ROUNDS = 3 };
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    void *peer[PEERS];
    char ep[TU_ENDPOINT_LEN], msg[32];
    for (int i = 0; i < PEERS; i++) {
        peer[i] = test_socket(ctx, ZMQ_DEALER);
        bind_transport(peer[i], tr, ep, sizeof ep);
        CHECK_OK(zmq_connect(dealer, ep));
    }
    for (int n = 0; n < PEERS * ROUNDS; n++) {
        snprintf(msg, sizeof msg, "m%d", n);
        send_str_more(dealer, "head");
        send_str(dealer, msg);
    }
    for (int i = 0; i < PEERS; i++) {
        for (int r = 0; r < ROUNDS; r++) {
            snprintf(msg, sizeof msg, "m%d", r * PEERS + i);
            recv_expect_more(peer[i], "head");
            recv_expect(peer[i], msg);
        }
        expect_no_msg(peer[i], 0);
    }
    for (int i = 0; i < PEERS; i++)
        close_zero_linger(peer[i]);
    close_zero_linger(dealer);
}

/* DEALER "SHALL receive incoming messages from its peers using a fair-queuing strategy." */
static void dealer_shall_receive_incoming_messages_using_fair_queuing(const char *tr)
{
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    char ep[TU_ENDPOINT_LEN], buf[32];
    bind_transport(dealer, tr, ep, sizeof ep);
    void *a = test_socket(ctx, ZMQ_DEALER);
    void *b = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_connect(a, ep));
    CHECK_OK(zmq_connect(b, ep));
    send_str(a, "hello");
    send_str(b, "hello");
    recv_expect(dealer, "hello");
    recv_expect(dealer, "hello");
    for (int i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "a%d", i);
        send_str(a, buf);
        snprintf(buf, sizeof buf, "b%d", i);
        send_str(b, buf);
    }
    msleep(strcmp(tr, "inproc") == 0 ? 0 : 200);
    char first = 0;
    int next[2] = {0, 0};
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(recv_timeout(dealer, buf, sizeof buf, 2000, NULL), 2);
        if (i == 0)
            first = buf[0];
        CHECK_EQ(buf[0], (i % 2 == 0) ? first : (first == 'a' ? 'b' : 'a'));
        CHECK_EQ(buf[1] - '0', next[buf[0] - 'a']);
        next[buf[0] - 'a']++;
    }
    close_zero_linger(a);
    close_zero_linger(b);
    close_zero_linger(dealer);
}

/* ROUTER "SHALL prepend the routing id of the originating peer" and "SHALL use the first frame as the
 * routing id of the peer to send to"; ZMQ_ROUTING_ID names a peer. */
static void router_shall_prefix_the_routing_id_and_route_replies_by_it(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, tr, ep, sizeof ep);
    void *a = test_socket(ctx, ZMQ_DEALER);
    void *b = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(a, ZMQ_ROUTING_ID, "alpha", 5));
    CHECK_OK(zmq_setsockopt(b, ZMQ_ROUTING_ID, "beta", 4));
    CHECK_OK(zmq_connect(a, ep));
    CHECK_OK(zmq_connect(b, ep));
    send_str_more(a, "from");
    send_str(a, "a");
    recv_expect_more(router, "alpha");
    recv_expect_more(router, "from");
    recv_expect(router, "a");
    send_str(b, "from-b");
    recv_expect_more(router, "beta");
    recv_expect(router, "from-b");
    send_str_more(router, "beta");
    send_str_more(router, "to");
    send_str(router, "b");
    send_str_more(router, "alpha");
    send_str(router, "to-a");
    recv_expect_more(b, "to");
    recv_expect(b, "b");
    recv_expect(a, "to-a");
    expect_no_msg(a, 20);
    expect_no_msg(b, 0);
    close_zero_linger(a);
    close_zero_linger(b);
    close_zero_linger(router);
}

/* Without ZMQ_ROUTING_ID the ROUTER generates an id; libzmq's are 5 bytes, 0x00 then a counter. */
static void router_shall_generate_a_routing_id_for_anonymous_peers(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, tr, ep, sizeof ep);
    void *a = test_socket(ctx, ZMQ_DEALER);
    void *b = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_connect(a, ep));
    CHECK_OK(zmq_connect(b, ep));
    send_str(a, "a");
    unsigned char id_a[256], id_b[256];
    int more = 0;
    int len_a = recv_timeout(router, id_a, sizeof id_a, 2000, &more);
    CHECK_EQ(len_a, 5);
    CHECK_EQ(id_a[0], 0);
    CHECK_EQ(more, 1);
    recv_expect(router, "a");
    send_str(b, "b");
    int len_b = recv_timeout(router, id_b, sizeof id_b, 2000, &more);
    CHECK_EQ(len_b, 5);
    CHECK_EQ(id_b[0], 0);
    recv_expect(router, "b");
    CHECK(memcmp(id_a, id_b, 5) != 0);
    send_buf(router, id_b, 5, ZMQ_SNDMORE);
    send_str(router, "for-b");
    send_buf(router, id_a, 5, ZMQ_SNDMORE);
    send_str(router, "for-a");
    recv_expect(a, "for-a");
    recv_expect(b, "for-b");
    close_zero_linger(a);
    close_zero_linger(b);
    close_zero_linger(router);
}

/* ZMQ_CONNECT_ROUTING_ID names the peer of the next zmq_connect, so a connecting ROUTER can address it
 * at once. */
static void router_connect_routing_id_shall_name_the_connected_peer(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = bound_socket(ctx, ZMQ_DEALER, tr, ep, sizeof ep);
    char ep2[TU_ENDPOINT_LEN];
    void *server2 = bound_socket(ctx, ZMQ_DEALER, tr, ep2, sizeof ep2);
    void *router = test_socket(ctx, ZMQ_ROUTER);
    set_int(router, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_OK(zmq_setsockopt(router, ZMQ_CONNECT_ROUTING_ID, "srv-1", 5));
    CHECK_OK(zmq_connect(router, ep));
    CHECK_OK(zmq_setsockopt(router, ZMQ_CONNECT_ROUTING_ID, "srv-2", 5));
    CHECK_OK(zmq_connect(router, ep2));
    send_str_more(router, "srv-2");
    send_str(router, "to-two");
    send_str_more(router, "srv-1");
    send_str(router, "to-one");
    recv_expect(server, "to-one");
    recv_expect(server2, "to-two");
    send_str(server, "back-one");
    recv_expect_more(router, "srv-1");
    recv_expect(router, "back-one");
    close_zero_linger(router);
    close_zero_linger(server);
    close_zero_linger(server2);
}

/* ZMQ_ROUTER_MANDATORY: a message to an unknown routing id fails with EHOSTUNREACH. */
static void router_mandatory_shall_report_unroutable_messages_with_ehostunreach(const char *tr)
{
    void *router = test_socket(ctx, ZMQ_ROUTER);
    set_int(router, ZMQ_ROUTER_MANDATORY, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(router, tr, ep, sizeof ep);
    CHECK_ERR(zmq_send(router, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "known", 5));
    CHECK_OK(zmq_connect(dealer, ep));
    send_str(dealer, "hi");
    recv_expect_more(router, "known");
    recv_expect(router, "hi");
    CHECK_ERR(zmq_send(router, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);
    send_str_more(router, "known");
    send_str(router, "routed");
    recv_expect(dealer, "routed");
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* Without ZMQ_ROUTER_MANDATORY, "if the routing id is not known the ROUTER SHALL silently discard the
 * message": every part of it is accepted by zmq_send and dropped. */
static void router_shall_silently_discard_unroutable_messages(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, tr, ep, sizeof ep);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "known", 5));
    CHECK_OK(zmq_connect(dealer, ep));
    send_str(dealer, "hi");
    recv_expect_more(router, "known");
    recv_expect(router, "hi");
    CHECK_EQ(zmq_send(router, "nobody", 6, ZMQ_SNDMORE | ZMQ_DONTWAIT), 6);
    CHECK_EQ(zmq_send(router, "lost", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT), 4);
    CHECK_EQ(zmq_send(router, "lost", 4, ZMQ_DONTWAIT), 4);
    send_str_more(router, "known");
    send_str(router, "routed");
    recv_expect(dealer, "routed");
    expect_no_msg(dealer, 20);
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* ZMQ_ROUTER_HANDOVER: a new peer with a routing id already in use takes it over. Without it, libzmq
 * ignores the newcomer: its messages never reach the application. */
static void router_handover_shall_give_a_duplicate_routing_id_to_the_new_peer(const char *tr)
{
    for (int handover = 0; handover <= 1; handover++) {
        void *router = test_socket(ctx, ZMQ_ROUTER);
        set_int(router, ZMQ_ROUTER_HANDOVER, handover);
        char ep[TU_ENDPOINT_LEN];
        bind_transport(router, tr, ep, sizeof ep);
        void *old_peer = test_socket(ctx, ZMQ_DEALER);
        CHECK_OK(zmq_setsockopt(old_peer, ZMQ_ROUTING_ID, "same", 4));
        CHECK_OK(zmq_connect(old_peer, ep));
        send_str(old_peer, "old");
        recv_expect_more(router, "same");
        recv_expect(router, "old");
        void *new_peer = test_socket(ctx, ZMQ_DEALER);
        CHECK_OK(zmq_setsockopt(new_peer, ZMQ_ROUTING_ID, "same", 4));
        CHECK_OK(zmq_connect(new_peer, ep));
        send_str(new_peer, "new");
        if (handover) {
            recv_expect_more(router, "same");
            recv_expect(router, "new");
            send_str_more(router, "same");
            send_str(router, "reply");
            recv_expect(new_peer, "reply");
            expect_no_msg(old_peer, 20);
        } else {
            expect_no_msg(router, 200);
            send_str_more(router, "same");
            send_str(router, "reply");
            recv_expect(old_peer, "reply");
            expect_no_msg(new_peer, 20);
        }
        close_zero_linger(old_peer);
        close_zero_linger(new_peer);
        close_zero_linger(router);
    }
}

/* ZMQ_PROBE_ROUTER: on connecting, the socket sends an empty message, which the ROUTER receives as
 * [routing id][empty] before the application sends anything. */
static void probe_router_shall_send_an_empty_message_on_connect(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, tr, ep, sizeof ep);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_OK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "prober", 6));
    set_int(dealer, ZMQ_PROBE_ROUTER, 1);
    CHECK_OK(zmq_connect(dealer, ep));
    recv_expect_more(router, "prober");
    recv_expect(router, "");
    /* the router can answer straight away */
    send_str_more(router, "prober");
    send_str(router, "seen-you");
    recv_expect(dealer, "seen-you");
    /* a ROUTER that probes another ROUTER lets it learn the connecting side's id */
    void *router2 = test_socket(ctx, ZMQ_ROUTER);
    CHECK_OK(zmq_setsockopt(router2, ZMQ_ROUTING_ID, "r2", 2));
    set_int(router2, ZMQ_PROBE_ROUTER, 1);
    CHECK_OK(zmq_connect(router2, ep));
    recv_expect_more(router, "r2");
    recv_expect(router, "");
    close_zero_linger(router2);
    close_zero_linger(dealer);
    close_zero_linger(router);
}

/* DEALER with no peer blocks on send (EAGAIN with ZMQ_DONTWAIT); ROUTER never blocks for that. */
static void dealer_shall_block_when_it_has_no_peers(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *dealer = bound_socket(ctx, ZMQ_DEALER, tr, ep, sizeof ep);
    CHECK_ERR(zmq_send(dealer, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    char ep2[TU_ENDPOINT_LEN];
    void *router = bound_socket(ctx, ZMQ_ROUTER, tr, ep2, sizeof ep2);
    CHECK_EQ(zmq_send(router, "x", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT), 1);
    CHECK_EQ(zmq_send(router, "y", 1, ZMQ_DONTWAIT), 1);
    close_zero_linger(dealer);
    close_zero_linger(router);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(dealer_shall_route_outgoing_messages_using_round_robin);
    RUN_TRANSPORTS(dealer_shall_receive_incoming_messages_using_fair_queuing);
    RUN_TRANSPORTS(dealer_shall_block_when_it_has_no_peers);
    RUN_TRANSPORTS(router_shall_prefix_the_routing_id_and_route_replies_by_it);
    RUN_TRANSPORTS(router_shall_generate_a_routing_id_for_anonymous_peers);
    RUN_TRANSPORTS(router_connect_routing_id_shall_name_the_connected_peer);
    RUN_TRANSPORTS(router_mandatory_shall_report_unroutable_messages_with_ehostunreach);
    RUN_TRANSPORTS(router_shall_silently_discard_unroutable_messages);
    RUN_TRANSPORTS(router_handover_shall_give_a_duplicate_routing_id_to_the_new_peer);
    RUN_TRANSPORTS(probe_router_shall_send_an_empty_message_on_connect);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
