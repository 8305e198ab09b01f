/* RFC 28 (REQREP): the SHALL clauses of REQ and REP, each checked over inproc, ipc and tcp; the envelope
 * on the wire is seen through a ROUTER or DEALER peer. */
#include "testutil.h"

static void *ctx;

/* Receive a routing-id frame (must have more parts) into id; returns its length. */
static int recv_routing_id(void *router, unsigned char *id, size_t len)
{
    int more = 0;
    int n = recv_timeout(router, id, len, 2000, &more);
    CHECK_INT(n, >, 0);
    CHECK_INT(n, <, (int)len);
    CHECK_EQ(more, 1);
    return n;
}

/* "SHALL route outgoing messages to connected peers using a round-robin strategy." */
static void req_shall_route_outgoing_requests_to_connected_peers_using_round_robin(const char *tr)
{
    enum { PEERS = 3 };
    void *req = test_socket(ctx, ZMQ_REQ);
    void *rep[PEERS];
    char ep[TU_ENDPOINT_LEN];
    for (int i = 0; i < PEERS; i++) {
        rep[i] = test_socket(ctx, ZMQ_REP);
        bind_transport(rep[i], tr, ep, sizeof ep);
        CHECK_OK(zmq_connect(req, ep));
    }
    char msg[32], reply[32];
    for (int n = 0; n < PEERS * 3; n++) {
        snprintf(msg, sizeof msg, "req-%d", n);
        snprintf(reply, sizeof reply, "rep-%d", n);
        send_str(req, msg);
        recv_expect(rep[n % PEERS], msg);
        for (int i = 0; i < PEERS; i++)
            if (i != n % PEERS)
                expect_no_msg(rep[i], 0);
        send_str(rep[n % PEERS], reply);
        recv_expect(req, reply);
    }
    for (int i = 0; i < PEERS; i++)
        close_zero_linger(rep[i]);
    close_zero_linger(req);
}

/* "The REQ socket SHALL send a request, then wait for a reply": out-of-turn calls fail with EFSM, on REQ
 * and on REP alike. */
static void req_and_rep_shall_enforce_strict_send_receive_alternation(const char *tr)
{
    void *req = test_socket(ctx, ZMQ_REQ);
    void *rep = test_socket(ctx, ZMQ_REP);
    char ep[TU_ENDPOINT_LEN], buf[32];
    bind_transport(rep, tr, ep, sizeof ep);
    CHECK_ERR(zmq_recv(req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    CHECK_ERR(zmq_send(rep, "x", 1, ZMQ_DONTWAIT), EFSM);
    CHECK_OK(zmq_connect(req, ep));
    send_str(req, "request");
    CHECK_ERR(zmq_send(req, "again", 5, ZMQ_DONTWAIT), EFSM);
    recv_expect(rep, "request");
    CHECK_ERR(zmq_recv(rep, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    send_str(rep, "reply");
    CHECK_ERR(zmq_send(rep, "again", 5, ZMQ_DONTWAIT), EFSM);
    recv_expect(req, "reply");
    CHECK_ERR(zmq_recv(req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    /* the cycle starts over */
    send_str(req, "request2");
    recv_expect(rep, "request2");
    send_str(rep, "reply2");
    recv_expect(req, "reply2");
    close_zero_linger(req);
    close_zero_linger(rep);
}

/* "SHALL prefix the outgoing message with an empty delimiter frame"; "SHALL remove the delimiter from
 * the reply before passing it to the application". */
static void req_shall_prefix_outgoing_message_with_an_empty_delimiter_frame(const char *tr)
{
    void *router = test_socket(ctx, ZMQ_ROUTER);
    void *req = test_socket(ctx, ZMQ_REQ);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(router, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(req, ep));
    send_str_more(req, "part-a");
    send_str(req, "part-b");
    unsigned char id[256];
    int idlen = recv_routing_id(router, id, sizeof id);
    recv_expect_more(router, "");
    recv_expect_more(router, "part-a");
    recv_expect(router, "part-b");
    send_buf(router, id, (size_t)idlen, ZMQ_SNDMORE);
    send_str_more(router, "");
    send_str_more(router, "reply-a");
    send_str(router, "reply-b");
    recv_expect_more(req, "reply-a");
    recv_expect(req, "reply-b");
    close_zero_linger(req);
    close_zero_linger(router);
}

/* "SHALL discard silently any messages received that do not start with an empty delimiter." The
 * malformed replies are never delivered, on any transport. On inproc libzmq's REQ then takes the good
 * reply that follows; on ipc and tcp its REQ session treats a malformed reply as a protocol error and
 * closes the connection for good (no reconnect; a plain REQ is then stuck), so there the good reply is
 * not checked: the RFC's "discard and carry on" is allowed, not required. */
static void req_shall_discard_replies_without_an_empty_delimiter(const char *tr)
{
    void *router = test_socket(ctx, ZMQ_ROUTER);
    void *req = test_socket(ctx, ZMQ_REQ);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(router, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(req, ep));
    send_str(req, "request");
    unsigned char id[256];
    int idlen = recv_routing_id(router, id, sizeof id);
    recv_expect_more(router, "");
    recv_expect(router, "request");
    send_buf(router, id, (size_t)idlen, ZMQ_SNDMORE);
    send_str(router, "no-delimiter");
    send_buf(router, id, (size_t)idlen, ZMQ_SNDMORE);
    send_str_more(router, "not-empty");
    send_str(router, "bad-delimiter");
    expect_no_msg(req, 50);
    if (strcmp(tr, "inproc") == 0) {
        send_buf(router, id, (size_t)idlen, ZMQ_SNDMORE);
        send_str_more(router, "");
        send_str(router, "good");
        recv_expect(req, "good");
        expect_no_msg(req, 20);
    }
    close_zero_linger(req);
    close_zero_linger(router);
}

/* "SHALL accept an incoming message only from the last peer that it sent a request to; SHALL discard
 * silently any messages received from other peers." */
static void req_shall_accept_a_reply_only_from_the_peer_it_sent_the_request_to(const char *tr)
{
    void *r1 = test_socket(ctx, ZMQ_ROUTER);
    void *r2 = test_socket(ctx, ZMQ_ROUTER);
    set_int(r1, ZMQ_ROUTER_MANDATORY, 1);
    set_int(r2, ZMQ_ROUTER_MANDATORY, 1);
    char ep1[TU_ENDPOINT_LEN], ep2[TU_ENDPOINT_LEN];
    bind_transport(r1, tr, ep1, sizeof ep1);
    bind_transport(r2, tr, ep2, sizeof ep2);
    void *req = test_socket(ctx, ZMQ_REQ);
    CHECK_OK(zmq_setsockopt(req, ZMQ_ROUTING_ID, "client", 6));
    CHECK_OK(zmq_connect(req, ep1));
    CHECK_OK(zmq_connect(req, ep2));
    send_str(req, "request");
    recv_expect_more(r1, "client");
    recv_expect_more(r1, "");
    recv_expect(r1, "request");
    /* r2 forges a reply as soon as it knows the peer "client" */
    int sent = 0;
    for (int i = 0; i < 200 && !sent; i++) {
        if (zmq_send(r2, "client", 6, ZMQ_SNDMORE) == 6) {
            send_str_more(r2, "");
            send_str(r2, "forged");
            sent = 1;
        } else {
            CHECK_EQ(errno, EHOSTUNREACH);
            msleep(10);
        }
    }
    CHECK(sent);
    msleep(50); /* let the forged reply reach req first */
    send_str_more(r1, "client");
    send_str_more(r1, "");
    send_str(r1, "genuine");
    recv_expect(req, "genuine");
    expect_no_msg(req, 50);
    close_zero_linger(req);
    close_zero_linger(r1);
    close_zero_linger(r2);
}

/* REP "SHALL receive incoming messages from its peers using a fair-queuing strategy" and "SHALL route
 * the reply back to the peer that sent the request". */
static void rep_shall_fair_queue_requests_and_route_each_reply_to_its_originator(const char *tr)
{
    enum { PEERS = 3 };
    char ep[TU_ENDPOINT_LEN];
    void *rep = bound_socket(ctx, ZMQ_REP, tr, ep, sizeof ep);
    void *req[PEERS];
    char msg[32];
    for (int i = 0; i < PEERS; i++) {
        req[i] = test_socket(ctx, ZMQ_REQ);
        CHECK_OK(zmq_connect(req[i], ep));
    }
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < PEERS; i++) {
            snprintf(msg, sizeof msg, "from-%d", i);
            send_str(req[i], msg);
        }
        int seen[PEERS] = {0};
        for (int i = 0; i < PEERS; i++) {
            char buf[32], reply[40];
            CHECK_EQ(recv_timeout(rep, buf, sizeof buf, 2000, NULL), 6);
            CHECK_EQ(rcvmore(rep), 0);
            int who = buf[5] - '0';
            CHECK(who >= 0 && who < PEERS);
            CHECK_EQ(seen[who], 0);
            seen[who] = 1;
            snprintf(reply, sizeof reply, "re:%s", buf);
            send_str(rep, reply);
        }
        for (int i = 0; i < PEERS; i++) {
            snprintf(msg, sizeof msg, "re:from-%d", i);
            recv_expect(req[i], msg);
        }
    }
    for (int i = 0; i < PEERS; i++)
        close_zero_linger(req[i]);
    close_zero_linger(rep);
}

/* REP "SHALL remove and save the envelope (all frames up to and including the delimiter)" and "SHALL
 * prepend the saved envelope to the reply"; a message with no delimiter is discarded. */
static void rep_shall_save_the_envelope_and_prepend_it_to_the_reply(const char *tr)
{
    void *rep = test_socket(ctx, ZMQ_REP);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(rep, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(dealer, ep));
    send_str(dealer, "no-envelope-at-all");
    send_str_more(dealer, "hop-1");
    send_str_more(dealer, "hop-2");
    send_str_more(dealer, "");
    send_str_more(dealer, "body-1");
    send_str(dealer, "body-2");
    recv_expect_more(rep, "body-1");
    recv_expect(rep, "body-2");
    send_str(rep, "answer");
    recv_expect_more(dealer, "hop-1");
    recv_expect_more(dealer, "hop-2");
    recv_expect_more(dealer, "");
    recv_expect(dealer, "answer");
    /* an empty envelope: just the delimiter */
    send_str_more(dealer, "");
    send_str(dealer, "plain");
    recv_expect(rep, "plain");
    send_str(rep, "plain-answer");
    recv_expect_more(dealer, "");
    recv_expect(dealer, "plain-answer");
    close_zero_linger(dealer);
    close_zero_linger(rep);
}

/* With no peer a REQ blocks on send (EAGAIN with ZMQ_DONTWAIT); it is not left in the receiving state. */
static void req_shall_block_on_send_when_it_has_no_peer(const char *tr)
{
    void *req = test_socket(ctx, ZMQ_REQ);
    CHECK_ERR(zmq_send(req, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    /* the failed send left the state machine where it was */
    char buf[8];
    CHECK_ERR(zmq_recv(req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    char ep[TU_ENDPOINT_LEN];
    void *rep = bound_socket(ctx, ZMQ_REP, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(req, ep));
    send_str(req, "hello");
    recv_expect(rep, "hello");
    send_str(rep, "world");
    recv_expect(req, "world");
    close_zero_linger(req);
    close_zero_linger(rep);
}

/* ZMQ_REQ_CORRELATE: each request is prefixed by a 4-byte request id before the delimiter; replies with
 * any other id are discarded. */
static void req_correlate_shall_prefix_a_request_id_and_drop_mismatched_replies(const char *tr)
{
    void *router = test_socket(ctx, ZMQ_ROUTER);
    void *req = test_socket(ctx, ZMQ_REQ);
    set_int(req, ZMQ_REQ_CORRELATE, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(router, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(req, ep));
    uint32_t prev_reqid = 0;
    for (int round = 0; round < 2; round++) {
        send_str(req, "request");
        unsigned char id[256];
        int idlen = recv_routing_id(router, id, sizeof id);
        uint32_t reqid;
        char raw[8];
        int more = 0;
        CHECK_EQ(recv_timeout(router, raw, sizeof raw, 2000, &more), 4);
        CHECK_EQ(more, 1);
        memcpy(&reqid, raw, sizeof reqid);
        if (round == 1)
            CHECK(reqid != prev_reqid);
        prev_reqid = reqid;
        recv_expect_more(router, "");
        recv_expect(router, "request");
        uint32_t wrong = reqid + 1;
        send_buf(router, id, (size_t)idlen, ZMQ_SNDMORE);
        send_buf(router, &wrong, sizeof wrong, ZMQ_SNDMORE);
        send_str_more(router, "");
        send_str(router, "wrong-id");
        send_buf(router, id, (size_t)idlen, ZMQ_SNDMORE);
        send_str_more(router, ""); /* no request id at all */
        send_str(router, "no-id");
        send_buf(router, id, (size_t)idlen, ZMQ_SNDMORE);
        send_buf(router, &reqid, sizeof reqid, ZMQ_SNDMORE);
        send_str_more(router, "");
        send_str(router, "right-id");
        recv_expect(req, "right-id");
        expect_no_msg(req, 20);
    }
    close_zero_linger(req);
    close_zero_linger(router);
}

/* ZMQ_REQ_RELAXED: a REQ may send a new request without waiting for the reply; with ZMQ_REQ_CORRELATE
 * the reply to the abandoned request is discarded and the reply to the new one delivered. */
static void req_relaxed_shall_allow_a_new_request_and_discard_the_stale_reply(const char *tr)
{
    void *router = test_socket(ctx, ZMQ_ROUTER);
    void *req = test_socket(ctx, ZMQ_REQ);
    set_int(req, ZMQ_REQ_RELAXED, 1);
    set_int(req, ZMQ_REQ_CORRELATE, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(router, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(req, ep));
    send_str(req, "first");
    send_str(req, "second"); /* no EFSM */
    unsigned char id[256];
    uint32_t reqid[2];
    int idlen = 0;
    for (int i = 0; i < 2; i++) {
        idlen = recv_routing_id(router, id, sizeof id);
        char raw[8];
        CHECK_EQ(recv_timeout(router, raw, sizeof raw, 2000, NULL), 4);
        memcpy(&reqid[i], raw, sizeof reqid[i]);
        recv_expect_more(router, "");
        recv_expect(router, i == 0 ? "first" : "second");
    }
    CHECK(reqid[0] != reqid[1]);
    for (int i = 0; i < 2; i++) {
        send_buf(router, id, (size_t)idlen, ZMQ_SNDMORE);
        send_buf(router, &reqid[i], sizeof reqid[i], ZMQ_SNDMORE);
        send_str_more(router, "");
        send_str(router, i == 0 ? "reply-first" : "reply-second");
    }
    recv_expect(req, "reply-second");
    expect_no_msg(req, 20);
    close_zero_linger(req);
    close_zero_linger(router);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(req_shall_route_outgoing_requests_to_connected_peers_using_round_robin);
    RUN_TRANSPORTS(req_and_rep_shall_enforce_strict_send_receive_alternation);
    RUN_TRANSPORTS(req_shall_prefix_outgoing_message_with_an_empty_delimiter_frame);
    RUN_TRANSPORTS(req_shall_discard_replies_without_an_empty_delimiter);
    RUN_TRANSPORTS(req_shall_accept_a_reply_only_from_the_peer_it_sent_the_request_to);
    RUN_TRANSPORTS(req_shall_block_on_send_when_it_has_no_peer);
    RUN_TRANSPORTS(rep_shall_fair_queue_requests_and_route_each_reply_to_its_originator);
    RUN_TRANSPORTS(rep_shall_save_the_envelope_and_prepend_it_to_the_reply);
    RUN_TRANSPORTS(req_correlate_shall_prefix_a_request_id_and_drop_mismatched_replies);
    RUN_TRANSPORTS(req_relaxed_shall_allow_a_new_request_and_discard_the_stale_reply);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
