/* RFC 51 (P2P): the clause-by-clause index of PEER, each clause a function named after it with the clause
 * quoted above it, run over inproc, ipc and tcp. test_peer.c holds the longer proofs (every errno of
 * zmq_connect_peer, exact high-water-mark counts, peer types on the wire, a mesh, threads).
 *
 * Clauses not observable through the API, so not tested here:
 *  - "SHOULD constrain incoming and outgoing queue sizes to a runtime-configurable limit": a SHOULD;
 *    ZMQ_SNDHWM / ZMQ_RCVHWM are used by the mute-state clause below.
 *  - "MUST discard any part of a multipart message." and "MAY disconnect a peer that is sending multipart
 *    messages.": no PEER can send one (ZMQ_SNDMORE is EINVAL), so only a hand-written ZMTP peer can;
 *    test_peer.c's wire_peers speaks ZMTP to a PEER by hand.
 *  - "If this peer disconnects, the PEER socket SHALL destroy its double queue and SHALL discard any
 *    messages it contains" for the incoming half: what a departed peer sent is indistinguishable from
 *    messages still in flight. The outgoing half (its routing id is gone) is tested. */
#include "testutil.h"
#include "draft_msg.h"

static void *ctx;

/* ---- helpers --------------------------------------------------------------------------------------- */





/* At the mute state a blocking send waits ZMQ_SNDTIMEO (50 ms here), then fails with EAGAIN. Over ipc and
 * tcp the I/O thread may still be draining into the kernel, so a few sends may go through first: each is
 * numbered like the ones before it and counted in *sent. rid 0: zmq_send. */
static void expect_blocking_send_to_time_out(void *sock, uint32_t rid, char *msg, size_t len, int *sent)
{
    set_int(sock, ZMQ_SNDTIMEO, 50);
    for (int extra = 0;; extra++) {
        CHECK_INT(extra, <, 1000);
        memcpy(msg, sent, sizeof *sent);
        int64_t t0 = now_ms();
        int rc = rid ? send_rid(sock, rid, msg, len, 0) : zmq_send(sock, msg, len, 0);
        if (rc >= 0) {
            (*sent)++;
            continue;
        }
        CHECK_EQ(errno, EAGAIN);
        CHECK_INT(now_ms() - t0, >=, 40);
        return;
    }
}

/* A PEER connected to ep by zmq_connect_peer; *rid receives the routing id of that connection. */
static void *peer_to(const char *ep, uint32_t *rid)
{
    void *peer = test_socket(ctx, ZMQ_PEER);
    *rid = zmq_connect_peer(peer, ep);
    CHECK(*rid != 0);
    return peer;
}

/* A fresh address on transport that nothing is bound to yet (tcp: a port that was free a moment ago). */
static void unbound_endpoint(const char *tr, char *ep, size_t len)
{
    make_bind_endpoint(tr, ep, len);
    if (strcmp(tr, "tcp") == 0)
        snprintf(ep, len, "tcp://127.0.0.1:%d", free_tcp_port());
}

/* ---- general behaviour ------------------------------------------------------------------------------- */

/* "MAY be connected to any number of PEER peers." and "MAY both send and receive messages in any order."
 * and "SHALL provide the application with an API to connect and retrieve the "routing id" of the double
 * queue in atomic manner.": one PEER connects to three with zmq_connect_peer, speaks first to each by the
 * id it got, and each answers (or speaks first itself) by the id it received. */
static void peer_may_connect_to_many_peers_and_send_and_receive_in_any_order(const char *tr)
{
    enum { N = 3 };
    char ep[TU_ENDPOINT_LEN], text[16];
    void *peer = test_socket(ctx, ZMQ_PEER);
    void *other[N];
    uint32_t out[N];
    for (int i = 0; i < N; i++) {
        other[i] = bound_socket(ctx, ZMQ_PEER, tr, ep, sizeof ep);
        out[i] = zmq_connect_peer(peer, ep);
        CHECK(out[i] != 0);
    }
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "to-%d", i);
        CHECK_EQ(send_rid(peer, out[i], text, 4, 0), 4);
    }
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "to-%d", i);
        uint32_t in = expect_text(other[i], text);
        CHECK_EQ(send_rid(other[i], in, "back", 4, 0), 4);
        CHECK_EQ(send_rid(other[i], in, "more", 4, 0), 4);   /* two in a row: no lock-step */
        CHECK_EQ(expect_text(peer, "back"), out[i]);
        CHECK_EQ(expect_text(peer, "more"), out[i]);
    }
    for (int i = 0; i < N; i++)
        close_zero_linger(other[i]);
    close_zero_linger(peer);
}

/* "SHALL not filter or modify outgoing or incoming messages in any way.": empty, binary and large
 * messages arrive byte for byte, both ways. */
static void peer_shall_not_filter_or_modify_messages(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *bound = bound_socket(ctx, ZMQ_PEER, tr, ep, sizeof ep);
    uint32_t out;
    void *peer = peer_to(ep, &out);
    static unsigned char big[100000];
    static unsigned char got[100001];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7);
    const unsigned char bin[] = {0, 0xff, 1, 0, 0x7f, 0x80};
    const struct { const void *data; size_t len; } cases[] = {{"", 0}, {bin, sizeof bin}, {big, sizeof big}};
    for (size_t c = 0; c < 3; c++) {
        uint32_t in = 0;
        CHECK_EQ(send_rid(peer, out, cases[c].data, cases[c].len, 0), (int)cases[c].len);
        CHECK_EQ(recv_rid(bound, got, sizeof got, 2000, &in), (int)cases[c].len);
        CHECK_MEM(got, cases[c].len, cases[c].data, cases[c].len);
        CHECK_EQ(send_rid(bound, in, cases[c].data, cases[c].len, 0), (int)cases[c].len);
        CHECK_EQ(recv_rid(peer, got, sizeof got, 2000, NULL), (int)cases[c].len);
        CHECK_MEM(got, cases[c].len, cases[c].data, cases[c].len);
    }
    close_zero_linger(peer);
    close_zero_linger(bound);
}

/* "SHALL maintain a double queue for each connected peer, allowing outgoing and incoming messages to be
 * queued independently.": both sides send ten before either reads; nothing is lost or reordered. */
static void peer_shall_queue_outgoing_and_incoming_independently(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], text[16];
    void *bound = bound_socket(ctx, ZMQ_PEER, tr, ep, sizeof ep);
    uint32_t out;
    void *peer = peer_to(ep, &out);
    CHECK_EQ(send_rid(peer, out, "hello", 5, 0), 5);
    uint32_t in = expect_text(bound, "hello");
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "p%d", i);
        CHECK_EQ(send_rid(peer, out, text, strlen(text), 0), (int)strlen(text));
        snprintf(text, sizeof text, "b%d", i);
        CHECK_EQ(send_rid(bound, in, text, strlen(text), 0), (int)strlen(text));
    }
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "p%d", i);
        expect_text(bound, text);
        snprintf(text, sizeof text, "b%d", i);
        expect_text(peer, text);
    }
    close_zero_linger(peer);
    close_zero_linger(bound);
}

/* "SHALL create a double queue when initiating an outgoing connection to a peer, and SHALL maintain the
 * double queue whether or not the connection is established.": a message sent by the id of a connection
 * whose peer has not bound yet, and one sent while that peer is gone, both reach the PEER that binds. */
static void peer_shall_create_and_maintain_a_queue_when_connecting(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    unbound_endpoint(tr, ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    set_int(peer, ZMQ_RECONNECT_IVL, 20);
    uint32_t out = zmq_connect_peer(peer, ep);
    CHECK(out != 0);
    CHECK_EQ(send_rid(peer, out, "early", 5, ZMQ_DONTWAIT), 5);
    void *bound = test_socket(ctx, ZMQ_PEER);
    rebind(bound, ep);
    expect_text(bound, "early");
    if (strcmp(tr, "inproc") != 0) {   /* an inproc connection does not come back once its binder goes */
        close_zero_linger(bound);
        msleep(50);
        CHECK_EQ(send_rid(peer, out, "while-down", 10, ZMQ_DONTWAIT), 10);
        bound = test_socket(ctx, ZMQ_PEER);
        rebind(bound, ep);
        expect_text(bound, "while-down");
    }
    close_zero_linger(bound);
    close_zero_linger(peer);
}

/* "SHALL create a double queue when a peer connects to it. If this peer disconnects, the PEER socket
 * SHALL destroy its double queue and SHALL discard any messages it contains." and "SHALL return an error
 * if the queue does not exist.": the bound PEER answers a peer that connected, and once that peer has gone
 * (with messages still queued to it) its id is EHOSTUNREACH, as are id 0 and an id never given. */
static void peer_shall_destroy_the_queue_of_a_peer_that_goes_and_return_an_error(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *bound = bound_socket(ctx, ZMQ_PEER, tr, ep, sizeof ep);
    uint32_t out;
    void *peer = peer_to(ep, &out);
    CHECK_ERR(zmq_send(bound, "x", 1, 0), EHOSTUNREACH);
    CHECK_EQ(send_rid(peer, out, "hi", 2, 0), 2);
    uint32_t in = expect_text(bound, "hi");
    CHECK_ERR(send_rid(bound, in + 1, "x", 1, 0), EHOSTUNREACH);
    CHECK_EQ(send_rid(bound, in, "reply", 5, 0), 5);
    expect_text(peer, "reply");
    for (int i = 0; i < 3; i++)
        CHECK_EQ(send_rid(bound, in, "queued", 6, ZMQ_DONTWAIT), 6);
    close_zero_linger(peer);
    int64_t deadline = now_ms() + 5000;
    while (send_rid(bound, in, "gone?", 5, ZMQ_DONTWAIT) >= 0 || errno == EAGAIN) {
        CHECK(now_ms() < deadline);
        msleep(5);
    }
    CHECK_EQ(errno, EHOSTUNREACH);
    CHECK_ERR(send_rid(bound, in, "gone", 4, 0), EHOSTUNREACH);
    close_zero_linger(bound);
}

/* "SHALL identify each double queue using a unique "routing id", which is a non-zero 32-bit unsigned
 * integer value." and "SHALL provide the application with an API to retrieve the message routing-id.":
 * ids from zmq_connect_peer and from zmq_msg_routing_id are non-zero and distinct, and stay the same. */
static void peer_shall_identify_each_queue_by_a_unique_nonzero_routing_id(const char *tr)
{
    enum { N = 8 };
    char ep[TU_ENDPOINT_LEN], text[16];
    void *bound = bound_socket(ctx, ZMQ_PEER, tr, ep, sizeof ep);
    void *hub = test_socket(ctx, ZMQ_PEER);
    uint32_t out[N], in[N];
    for (int i = 0; i < N; i++) {
        out[i] = zmq_connect_peer(hub, ep);   /* N connections from one socket to the same address */
        CHECK(out[i] != 0);
        for (int j = 0; j < i; j++)
            CHECK(out[i] != out[j]);
        snprintf(text, sizeof text, "%d", i);
        CHECK_EQ(send_rid(hub, out[i], text, strlen(text), 0), (int)strlen(text));
    }
    for (int n = 0; n < N; n++) {
        uint32_t id = 0;
        CHECK_INT(recv_rid(bound, text, sizeof text, 2000, &id), >, 0);
        CHECK(id != 0);
        in[atoi(text)] = id;
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            CHECK(in[i] != in[j]);
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "%d", i);
        CHECK_EQ(send_rid(bound, in[i], text, strlen(text), 0), (int)strlen(text));
        CHECK_EQ(expect_text(hub, text), out[i]);
    }
    close_zero_linger(hub);
    close_zero_linger(bound);
}

/* "SHALL NOT allow the peer to specify its routing id explicitly.": two PEERs that both set the same
 * ZMQ_ROUTING_ID (if the option is accepted at all) still get distinct ids, chosen by the receiving side,
 * and each gets only its own reply. */
static void peer_shall_not_allow_the_peer_to_specify_its_routing_id(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *bound = bound_socket(ctx, ZMQ_PEER, tr, ep, sizeof ep);
    void *peer[2];
    uint32_t out[2], in[2];
    for (int i = 0; i < 2; i++) {
        peer[i] = test_socket(ctx, ZMQ_PEER);
        if (zmq_setsockopt(peer[i], ZMQ_ROUTING_ID, "same", 4) != 0)
            CHECK_EQ(errno, EINVAL);
        out[i] = zmq_connect_peer(peer[i], ep);
        CHECK(out[i] != 0);
        CHECK_EQ(send_rid(peer[i], out[i], i ? "b" : "a", 1, 0), 1);
    }
    char text[8];
    for (int n = 0; n < 2; n++) {
        uint32_t id = 0;
        CHECK_EQ(recv_rid(bound, text, sizeof text, 2000, &id), 1);
        in[text[0] - 'a'] = id;
    }
    CHECK(in[0] != 0 && in[1] != 0 && in[0] != in[1]);
    for (int i = 0; i < 2; i++)
        CHECK_EQ(send_rid(bound, in[i], i ? "B" : "A", 1, 0), 1);
    expect_text(peer[0], "A");
    expect_text(peer[1], "B");
    for (int i = 0; i < 2; i++)
        close_zero_linger(peer[i]);
    close_zero_linger(bound);
}

/* ---- incoming messages ------------------------------------------------------------------------------- */

/* "SHALL receive incoming messages from its peers using a fair-queuing strategy." and "SHALL deliver the
 * resulting messages to its calling application.": two PEERs queue four each; the bound PEER alternates. */
static void peer_shall_receive_incoming_messages_using_fair_queuing(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], text[16];
    void *bound = bound_socket(ctx, ZMQ_PEER, tr, ep, sizeof ep);
    void *peer[2];
    uint32_t out[2], in[2];
    for (int i = 0; i < 2; i++) {
        peer[i] = peer_to(ep, &out[i]);
        CHECK_EQ(send_rid(peer[i], out[i], "hi", 2, 0), 2);
        in[i] = expect_text(bound, "hi");
    }
    for (int n = 0; n < 4; n++) {
        for (int i = 0; i < 2; i++) {
            snprintf(text, sizeof text, "%c%d", 'a' + i, n);
            CHECK_EQ(send_rid(peer[i], out[i], text, 2, 0), 2);
        }
    }
    msleep(strcmp(tr, "inproc") == 0 ? 0 : 200);
    uint32_t first = 0;
    int next[2] = {0, 0};
    for (int n = 0; n < 8; n++) {
        uint32_t id = 0;
        CHECK_EQ(recv_rid(bound, text, sizeof text, 2000, &id), 2);
        if (n == 0)
            first = id;
        CHECK_EQ(id, n % 2 == 0 ? first : (first == in[0] ? in[1] : in[0]));
        CHECK_EQ(id, in[text[0] - 'a']);
        CHECK_EQ(text[1] - '0', next[text[0] - 'a']++);
    }
    for (int i = 0; i < 2; i++)
        close_zero_linger(peer[i]);
    close_zero_linger(bound);
}

/* ---- outgoing messages ------------------------------------------------------------------------------- */

/* "SHALL provide the application with an API to set the message routing-id." and "SHALL route the message
 * to the outgoing queue if that queue exists, and is not full.": zmq_msg_set_routing_id (0 is EINVAL)
 * picks which of three PEERs gets each message. */
static void peer_shall_route_each_message_to_the_queue_its_routing_id_names(const char *tr)
{
    enum { N = 3 };
    char ep[TU_ENDPOINT_LEN], text[16];
    void *hub = test_socket(ctx, ZMQ_PEER);
    void *other[N];
    uint32_t out[N];
    for (int i = 0; i < N; i++) {
        other[i] = bound_socket(ctx, ZMQ_PEER, tr, ep, sizeof ep);
        out[i] = zmq_connect_peer(hub, ep);
        CHECK(out[i] != 0);
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_ERR(zmq_msg_set_routing_id(&m, 0), EINVAL);
    zmq_msg_close(&m);
    for (int i = N - 1; i >= 0; i--) {
        snprintf(text, sizeof text, "to-%d", i);
        CHECK_EQ(send_rid(hub, out[i], text, 4, 0), 4);
    }
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "to-%d", i);
        expect_text(other[i], text);
        expect_no_msg(other[i], 0);
    }
    for (int i = 0; i < N; i++)
        close_zero_linger(other[i]);
    close_zero_linger(hub);
}

/* "SHALL block on sending, if the queue is full, unless otherwise configured." and "SHALL NOT discard
 * messages that it cannot queue.": at the mute state a blocking send waits ZMQ_SNDTIMEO then fails, a
 * ZMQ_DONTWAIT send fails at once, and the other PEER gets every accepted message, in order. */
static void peer_shall_block_when_the_queue_is_full_and_discard_nothing(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    static char msg[1024];
    void *bound = test_socket(ctx, ZMQ_PEER);
    set_int(bound, ZMQ_RCVHWM, 5);
    set_int(bound, ZMQ_RCVBUF, 4096);
    bind_transport(bound, tr, ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    set_int(peer, ZMQ_SNDHWM, 5);
    set_int(peer, ZMQ_SNDBUF, 4096);
    uint32_t out = zmq_connect_peer(peer, ep);
    CHECK(out != 0);
    int sent = 0;
    for (int quiet = 0; quiet < 3 && sent < 100000;) {
        memcpy(msg, &sent, sizeof sent);
        if (send_rid(peer, out, msg, sizeof msg, ZMQ_DONTWAIT) >= 0) {
            sent++;
            quiet = 0;
            continue;
        }
        CHECK_EQ(errno, EAGAIN);
        quiet++;
        msleep(20);
    }
    CHECK_INT(sent, >=, 5);
    CHECK_INT(sent, <, 100000);
    expect_blocking_send_to_time_out(peer, out, msg, sizeof msg, &sent);
    recv_numbered(bound, msg, sizeof msg, sent);
    expect_no_msg(bound, 50);
    close_zero_linger(peer);
    close_zero_linger(bound);
}

/* "MUST NOT send multi-part messages.": ZMQ_SNDMORE is EINVAL and nothing of it is sent. */
static void peer_must_not_send_multipart_messages(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *bound = bound_socket(ctx, ZMQ_PEER, tr, ep, sizeof ep);
    uint32_t out;
    void *peer = peer_to(ep, &out);
    CHECK_ERR(send_rid(peer, out, "part", 4, ZMQ_SNDMORE), EINVAL);
    CHECK_ERR(zmq_send(peer, "part", 4, ZMQ_SNDMORE), EINVAL);
    CHECK_EQ(send_rid(peer, out, "whole", 5, 0), 5);
    expect_text(bound, "whole");
    expect_no_msg(bound, 50);
    close_zero_linger(peer);
    close_zero_linger(bound);
}

int main(void)
{
    test_begin(120);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(peer_may_connect_to_many_peers_and_send_and_receive_in_any_order);
    RUN_TRANSPORTS(peer_shall_not_filter_or_modify_messages);
    RUN_TRANSPORTS(peer_shall_queue_outgoing_and_incoming_independently);
    RUN_TRANSPORTS(peer_shall_create_and_maintain_a_queue_when_connecting);
    RUN_TRANSPORTS(peer_shall_destroy_the_queue_of_a_peer_that_goes_and_return_an_error);
    RUN_TRANSPORTS(peer_shall_identify_each_queue_by_a_unique_nonzero_routing_id);
    RUN_TRANSPORTS(peer_shall_not_allow_the_peer_to_specify_its_routing_id);
    RUN_TRANSPORTS(peer_shall_receive_incoming_messages_using_fair_queuing);
    RUN_TRANSPORTS(peer_shall_route_each_message_to_the_queue_its_routing_id_names);
    RUN_TRANSPORTS(peer_shall_block_when_the_queue_is_full_and_discard_nothing);
    RUN_TRANSPORTS(peer_must_not_send_multipart_messages);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
