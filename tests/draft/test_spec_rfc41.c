/* RFC 41 (CLISRV): the clause-by-clause index of CLIENT and SERVER, each clause a function named after it
 * with the clause quoted above it, run over inproc, ipc and tcp. test_client_server.c holds the longer
 * proofs (the exact high-water-mark counts, zmq_poll, threads); here each clause gets a short check.
 *
 * Clauses not observable through the API, so not tested:
 *  - "SHOULD constrain incoming and outgoing queue sizes to a runtime-configurable limit": a SHOULD; the
 *    limits (ZMQ_SNDHWM / ZMQ_RCVHWM) are used below by the mute-state clauses.
 *  - SERVER "SHALL maintain the double queue whether or not the connection is established" before the first
 *    connection: a SERVER cannot address a peer before it has heard from it (it has no routing id yet). That
 *    the queue outlives a broken connection, keeping its routing id, is tested (ipc and tcp).
 *  - "If this peer disconnects ... SHALL discard any messages it contains" for the incoming half: messages
 *    that a peer sent before it went are indistinguishable from messages still in flight; only the outgoing
 *    half (the routing id is gone, nothing reaches a later peer) is observable. */
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

/* The CLIENT's pipe to a departed peer is gone once the CLIENT cannot send (it has no other peer). */
static void await_no_peer(void *client)
{
    int64_t deadline = now_ms() + 5000;
    zmq_pollitem_t item = {client, 0, ZMQ_POLLOUT, 0};
    while (zmq_poll(&item, 1, 0) == 1) {
        CHECK(now_ms() < deadline);
        msleep(10);
    }
}


/* ---- CLIENT: general behaviour ------------------------------------------------------------------------ */

/* "MAY be connected to any number of SERVER peers, and MAY both send and receive messages." */
static void client_may_connect_to_many_servers_and_send_and_receive(const char *tr)
{
    enum { N = 3 };
    void *client = test_socket(ctx, ZMQ_CLIENT);
    void *server[N];
    char ep[TU_ENDPOINT_LEN];
    for (int i = 0; i < N; i++) {
        server[i] = bound_socket(ctx, ZMQ_SERVER, tr, ep, sizeof ep);
        CHECK_OK(zmq_connect(client, ep));
    }
    for (int i = 0; i < N; i++)
        send_str(client, "ping");
    for (int i = 0; i < N; i++) {
        uint32_t rid = expect_text(server[i], "ping");
        CHECK_EQ(send_rid(server[i], rid, "pong", 4, 0), 4);
        expect_text(client, "pong");
    }
    for (int i = 0; i < N; i++)
        close_zero_linger(server[i]);
    close_zero_linger(client);
}

/* "SHALL not filter or modify outgoing or incoming messages in any way." (both CLIENT and SERVER): empty,
 * binary with NULs and 0xff, and a large message arrive byte for byte, both ways. */
static void client_and_server_shall_not_filter_or_modify_messages(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = bound_socket(ctx, ZMQ_SERVER, tr, ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_CLIENT, ep);
    static unsigned char big[100000];
    static unsigned char got[100001];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7);
    const unsigned char bin[] = {0, 0xff, 1, 0, 0x7f, 0x80};
    const struct { const void *data; size_t len; } cases[] = {{"", 0}, {bin, sizeof bin}, {big, sizeof big}};
    for (size_t c = 0; c < 3; c++) {
        uint32_t rid = 0;
        CHECK_EQ(send_rid(client, 0, cases[c].data, cases[c].len, 0), (int)cases[c].len);
        CHECK_EQ(recv_rid(server, got, sizeof got, 2000, &rid), (int)cases[c].len);
        CHECK_MEM(got, cases[c].len, cases[c].data, cases[c].len);
        CHECK_EQ(send_rid(server, rid, cases[c].data, cases[c].len, 0), (int)cases[c].len);
        CHECK_EQ(recv_rid(client, got, sizeof got, 2000, NULL), (int)cases[c].len);
        CHECK_MEM(got, cases[c].len, cases[c].data, cases[c].len);
    }
    close_zero_linger(client);
    close_zero_linger(server);
}

/* "SHALL maintain a double queue for each connected peer, allowing outgoing and incoming messages to be
 * queued independently." (both): both sides send ten before either reads; nothing is lost or reordered. */
static void client_and_server_shall_queue_outgoing_and_incoming_independently(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], text[16];
    void *server = bound_socket(ctx, ZMQ_SERVER, tr, ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_CLIENT, ep);
    send_str(client, "hello");
    uint32_t rid = expect_text(server, "hello");
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "c%d", i);
        send_str(client, text);
        snprintf(text, sizeof text, "s%d", i);
        CHECK_EQ(send_rid(server, rid, text, strlen(text), 0), (int)strlen(text));
    }
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "c%d", i);
        expect_text(server, text);
        snprintf(text, sizeof text, "s%d", i);
        expect_text(client, text);
    }
    close_zero_linger(client);
    close_zero_linger(server);
}

/* "SHALL create a double queue when initiating an outgoing connection to a peer, and SHALL maintain the
 * double queue whether or not the connection is established." A CLIENT queues before its SERVER exists,
 * and again while its SERVER is gone; a new SERVER at the address gets what was queued. */
static void client_shall_create_and_maintain_a_queue_when_connecting(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    make_bind_endpoint(tr, ep, sizeof ep);
    if (strcmp(tr, "tcp") == 0)
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    void *client = test_socket(ctx, ZMQ_CLIENT);
    set_int(client, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK(zmq_connect(client, ep));
    CHECK_EQ(zmq_send(client, "early", 5, ZMQ_DONTWAIT), 5);   /* a queue exists with no connection */
    void *server = test_socket(ctx, ZMQ_SERVER);
    rebind(server, ep);
    expect_text(server, "early");
    if (strcmp(tr, "inproc") != 0) {   /* an inproc connection does not come back once its binder goes */
        close_zero_linger(server);
        msleep(50);   /* the connection is down: the CLIENT's queue stays */
        CHECK_EQ(zmq_send(client, "while-down", 10, ZMQ_DONTWAIT), 10);
        server = test_socket(ctx, ZMQ_SERVER);
        rebind(server, ep);
        expect_text(server, "while-down");
    }
    close_zero_linger(server);
    close_zero_linger(client);
}

/* "SHALL create a double queue when a peer connects to it. If this peer disconnects, the CLIENT socket
 * SHALL destroy its double queue and SHALL discard any messages it contains." A bound CLIENT gets a queue
 * when a SERVER connects; once that SERVER goes, the CLIENT has no peer, and a later SERVER gets only what
 * was sent after it came. */
static void client_shall_create_a_queue_for_a_peer_that_connects_and_destroy_it_when_it_goes(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *client = bound_socket(ctx, ZMQ_CLIENT, tr, ep, sizeof ep);
    CHECK_ERR(zmq_send(client, "none", 4, ZMQ_DONTWAIT), EAGAIN);   /* no peer, no queue */
    void *server = connected_socket(ctx, ZMQ_SERVER, ep);
    set_int(client, ZMQ_SNDTIMEO, 2000);
    send_str(client, "first");   /* blocks until the SERVER's queue exists */
    expect_text(server, "first");
    for (int i = 0; i < 3; i++)
        CHECK_EQ(zmq_send(client, "stale", 5, ZMQ_DONTWAIT), 5);
    close_zero_linger(server);
    await_no_peer(client);
    CHECK_ERR(zmq_send(client, "none", 4, ZMQ_DONTWAIT), EAGAIN);
    server = connected_socket(ctx, ZMQ_SERVER, ep);
    send_str(client, "fresh");
    expect_text(server, "fresh");
    expect_no_msg(server, 100);
    close_zero_linger(server);
    close_zero_linger(client);
}

/* ---- CLIENT: outgoing messages ------------------------------------------------------------------------- */

/* "SHALL route outgoing messages to available peers using a round-robin strategy." */
static void client_shall_route_outgoing_messages_round_robin(const char *tr)
{
    enum { N = 3, ROUNDS = 3 };
    void *client = test_socket(ctx, ZMQ_CLIENT);
    void *server[N];
    char ep[TU_ENDPOINT_LEN], text[16];
    for (int i = 0; i < N; i++) {
        server[i] = bound_socket(ctx, ZMQ_SERVER, tr, ep, sizeof ep);
        CHECK_OK(zmq_connect(client, ep));
    }
    for (int n = 0; n < N * ROUNDS; n++) {
        snprintf(text, sizeof text, "m%d", n);
        send_str(client, text);
    }
    for (int i = 0; i < N; i++) {
        for (int r = 0; r < ROUNDS; r++) {
            snprintf(text, sizeof text, "m%d", r * N + i);
            expect_text(server[i], text);
        }
        expect_no_msg(server[i], 0);
    }
    for (int i = 0; i < N; i++)
        close_zero_linger(server[i]);
    close_zero_linger(client);
}

/* "SHALL consider a peer as available only when it has a outgoing queue that is not full." One SERVER
 * never reads; every send still succeeds, the reading SERVER takes the rest, and no message is lost. */
static void client_shall_consider_a_peer_available_only_when_its_queue_is_not_full(const char *tr)
{
    enum { N = 300, LEN = 8192 };
    static char msg[LEN];
    void *client = test_socket(ctx, ZMQ_CLIENT);
    set_int(client, ZMQ_SNDHWM, 1);
    set_int(client, ZMQ_SNDBUF, 4096);
    set_int(client, ZMQ_SNDTIMEO, 2000);
    char ep_full[TU_ENDPOINT_LEN], ep_live[TU_ENDPOINT_LEN];
    void *full = test_socket(ctx, ZMQ_SERVER);
    set_int(full, ZMQ_RCVHWM, 1);
    set_int(full, ZMQ_RCVBUF, 4096);
    bind_transport(full, tr, ep_full, sizeof ep_full);
    void *live = bound_socket(ctx, ZMQ_SERVER, tr, ep_live, sizeof ep_live);
    CHECK_OK(zmq_connect(client, ep_full));
    CHECK_OK(zmq_connect(client, ep_live));
    int got_live = 0, got_full = 0;
    for (int i = 0; i < N; i++) {
        CHECK_EQ(zmq_send(client, msg, LEN, 0), LEN);
        while (zmq_recv(live, msg, sizeof msg, ZMQ_DONTWAIT) == LEN)
            got_live++;
    }
    while (got_live + got_full < N && (poll_in(live, 200) || poll_in(full, 200))) {
        while (zmq_recv(live, msg, sizeof msg, ZMQ_DONTWAIT) == LEN)
            got_live++;
        while (zmq_recv(full, msg, sizeof msg, ZMQ_DONTWAIT) == LEN)
            got_full++;
    }
    CHECK_EQ(got_live + got_full, N);
    CHECK_INT(got_full, >=, 1);
    CHECK_INT(got_full, <, N / 4);
    close_zero_linger(live);
    close_zero_linger(full);
    close_zero_linger(client);
}

/* "SHALL block on sending, or return a suitable error, when it has no available peers." and "SHALL not
 * accept further messages when it has no available peers.": with no peer, and with its only peer full,
 * a CLIENT says EAGAIN at once (ZMQ_DONTWAIT) or after ZMQ_SNDTIMEO; "SHALL NOT discard messages that it
 * cannot queue": every message it accepted arrives, in order, and none it refused. */
static void client_shall_block_or_fail_and_discard_nothing_without_available_peers(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    static char msg[1024];
    void *client = test_socket(ctx, ZMQ_CLIENT);
    set_int(client, ZMQ_SNDHWM, 5);
    set_int(client, ZMQ_SNDBUF, 4096);
    CHECK_ERR(zmq_send(client, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    set_int(client, ZMQ_SNDTIMEO, 50);
    int64_t t0 = now_ms();
    CHECK_ERR(zmq_send(client, "x", 1, 0), EAGAIN);
    CHECK_INT(now_ms() - t0, >=, 40);
    void *server = test_socket(ctx, ZMQ_SERVER);
    set_int(server, ZMQ_RCVHWM, 5);
    set_int(server, ZMQ_RCVBUF, 4096);
    bind_transport(server, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(client, ep));
    int sent = send_numbered_until_mute(client, msg, sizeof msg, 100000, 3000);
    CHECK_INT(sent, >=, 5);
    CHECK_INT(sent, <, 100000);
    expect_blocking_send_to_time_out(client, 0, msg, sizeof msg, &sent);
    recv_numbered(server, msg, sizeof msg, sent);
    expect_no_msg(server, 50);
    close_zero_linger(server);
    close_zero_linger(client);
}

/* ---- CLIENT: incoming messages ------------------------------------------------------------------------- */

/* "SHALL receive incoming messages from its peers using a fair-queuing strategy." and "SHALL deliver these
 * to its calling application.": two SERVERs queue four each; the CLIENT takes them alternately. */
static void client_shall_receive_incoming_messages_using_fair_queuing(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], text[16];
    void *client = test_socket(ctx, ZMQ_CLIENT);
    void *server[2];
    uint32_t rid[2];
    for (int i = 0; i < 2; i++) {
        server[i] = bound_socket(ctx, ZMQ_SERVER, tr, ep, sizeof ep);
        CHECK_OK(zmq_connect(client, ep));
    }
    send_str(client, "hi");
    send_str(client, "hi");
    for (int i = 0; i < 2; i++)
        rid[i] = expect_text(server[i], "hi");
    for (int n = 0; n < 4; n++) {
        for (int i = 0; i < 2; i++) {
            snprintf(text, sizeof text, "%c%d", 'a' + i, n);
            CHECK_EQ(send_rid(server[i], rid[i], text, 2, 0), 2);
        }
    }
    msleep(strcmp(tr, "inproc") == 0 ? 0 : 200);   /* both streams in their queues */
    char first = 0;
    int next[2] = {0, 0};
    for (int n = 0; n < 8; n++) {
        CHECK_EQ(recv_rid(client, text, sizeof text, 2000, NULL), 2);
        if (n == 0)
            first = text[0];
        CHECK_EQ(text[0], n % 2 == 0 ? first : (first == 'a' ? 'b' : 'a'));
        CHECK_EQ(text[1] - '0', next[text[0] - 'a']++);
    }
    for (int i = 0; i < 2; i++)
        close_zero_linger(server[i]);
    close_zero_linger(client);
}

/* ---- SERVER ---------------------------------------------------------------------------------------------- */

/* "MAY be connected to any number of CLIENT peers, and MAY both send and receive messages." and "SHALL
 * create a double queue when initiating an outgoing connection to a peer": a SERVER that connects to
 * CLIENTs not yet bound hears from each once they bind, and answers each. */
static void server_may_connect_to_many_clients_and_send_and_receive(const char *tr)
{
    enum { N = 3 };
    void *server = test_socket(ctx, ZMQ_SERVER);
    set_int(server, ZMQ_RECONNECT_IVL, 20);
    void *client[N];
    char ep[N][TU_ENDPOINT_LEN], text[16];
    for (int i = 0; i < N; i++) {
        make_bind_endpoint(tr, ep[i], sizeof ep[i]);
        if (strcmp(tr, "tcp") == 0)
            snprintf(ep[i], sizeof ep[i], "tcp://127.0.0.1:%d", free_tcp_port());
        CHECK_OK(zmq_connect(server, ep[i]));
    }
    for (int i = 0; i < N; i++) {
        client[i] = test_socket(ctx, ZMQ_CLIENT);
        rebind(client[i], ep[i]);
        set_int(client[i], ZMQ_SNDTIMEO, 2000);
        snprintf(text, sizeof text, "from-%d", i);
        send_str(client[i], text);
    }
    for (int n = 0; n < N; n++) {
        uint32_t rid = 0;
        CHECK_EQ(recv_rid(server, text, sizeof text, 2000, &rid), 6);
        CHECK_EQ(send_rid(server, rid, text, 6, 0), 6);
    }
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "from-%d", i);
        expect_text(client[i], text);
        close_zero_linger(client[i]);
    }
    close_zero_linger(server);
}

/* SERVER "SHALL create a double queue when initiating an outgoing connection to a peer, and SHALL maintain
 * the double queue whether or not the connection is established.": a SERVER that connected keeps the queue
 * (and its routing id) while its CLIENT is gone; what it queued then reaches the CLIENT that binds the
 * address next, and that CLIENT's messages carry the same id. Not inproc: an inproc connection does not
 * come back once its binder goes. */
static void server_shall_maintain_the_queue_of_its_connection_while_it_is_down(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *client = bound_socket(ctx, ZMQ_CLIENT, tr, ep, sizeof ep);
    void *server = test_socket(ctx, ZMQ_SERVER);
    set_int(server, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK(zmq_connect(server, ep));
    set_int(client, ZMQ_SNDTIMEO, 2000);
    send_str(client, "hi");
    uint32_t rid = expect_text(server, "hi");
    close_zero_linger(client);
    msleep(50);   /* the connection is down: the SERVER's queue stays */
    CHECK_EQ(send_rid(server, rid, "while-down", 10, ZMQ_DONTWAIT), 10);
    client = test_socket(ctx, ZMQ_CLIENT);
    rebind(client, ep);
    expect_text(client, "while-down");
    send_str(client, "again");
    CHECK_EQ(expect_text(server, "again"), rid);
    close_zero_linger(client);
    close_zero_linger(server);
}

/* "SHALL identify each double queue using a unique "routing id", which is a non-zero 32-bit unsigned
 * integer value." and "SHALL provide the application with an API to retrieve the message routing-id."
 * (zmq_msg_routing_id): ten CLIENTs, ten distinct non-zero ids, each the same on every message. */
static void server_shall_identify_each_queue_by_a_unique_nonzero_routing_id(const char *tr)
{
    enum { N = 10 };
    char ep[TU_ENDPOINT_LEN], text[16];
    void *server = bound_socket(ctx, ZMQ_SERVER, tr, ep, sizeof ep);
    void *client[N];
    uint32_t rid[N];
    for (int i = 0; i < N; i++) {
        client[i] = connected_socket(ctx, ZMQ_CLIENT, ep);
        snprintf(text, sizeof text, "%d", i);
        send_str(client[i], text);
    }
    for (int n = 0; n < N; n++) {
        uint32_t id = 0;
        CHECK_INT(recv_rid(server, text, sizeof text, 2000, &id), >, 0);
        CHECK(id != 0);
        rid[atoi(text)] = id;
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            CHECK(rid[i] != rid[j]);
    for (int i = 0; i < N; i++) {
        send_str(client[i], "again");
        CHECK_EQ(expect_text(server, "again"), rid[i]);
    }
    for (int i = 0; i < N; i++)
        close_zero_linger(client[i]);
    close_zero_linger(server);
}

/* "SHALL receive incoming messages from its peers using a fair-queuing strategy." and "SHALL deliver the
 * resulting messages to its calling application.": two CLIENTs queue four each; the SERVER alternates. */
static void server_shall_receive_incoming_messages_using_fair_queuing(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], text[16];
    void *server = bound_socket(ctx, ZMQ_SERVER, tr, ep, sizeof ep);
    void *client[2];
    uint32_t rid[2];
    for (int i = 0; i < 2; i++) {
        client[i] = connected_socket(ctx, ZMQ_CLIENT, ep);
        send_str(client[i], "hi");
        rid[i] = expect_text(server, "hi");
    }
    for (int n = 0; n < 4; n++) {
        for (int i = 0; i < 2; i++) {
            snprintf(text, sizeof text, "%c%d", 'a' + i, n);
            send_str(client[i], text);
        }
    }
    msleep(strcmp(tr, "inproc") == 0 ? 0 : 200);
    uint32_t first = 0;
    int next[2] = {0, 0};
    for (int n = 0; n < 8; n++) {
        uint32_t id = 0;
        CHECK_EQ(recv_rid(server, text, sizeof text, 2000, &id), 2);
        if (n == 0)
            first = id;
        CHECK_EQ(id, n % 2 == 0 ? first : (first == rid[0] ? rid[1] : rid[0]));
        CHECK_EQ(id, rid[text[0] - 'a']);
        CHECK_EQ(text[1] - '0', next[text[0] - 'a']++);
    }
    for (int i = 0; i < 2; i++)
        close_zero_linger(client[i]);
    close_zero_linger(server);
}

/* "SHALL provide the application with an API to set the message routing-id." and "SHALL route the
 * message to the outgoing queue if that queue exists, and is not full.": zmq_msg_set_routing_id (0 is
 * EINVAL) picks which of three CLIENTs gets each reply. */
static void server_shall_route_each_message_to_the_queue_its_routing_id_names(const char *tr)
{
    enum { N = 3 };
    char ep[TU_ENDPOINT_LEN], text[16];
    void *server = bound_socket(ctx, ZMQ_SERVER, tr, ep, sizeof ep);
    void *client[N];
    uint32_t rid[N];
    for (int i = 0; i < N; i++) {
        client[i] = connected_socket(ctx, ZMQ_CLIENT, ep);
        send_str(client[i], "hi");
        rid[i] = expect_text(server, "hi");
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_ERR(zmq_msg_set_routing_id(&m, 0), EINVAL);
    zmq_msg_close(&m);
    for (int i = N - 1; i >= 0; i--) {
        snprintf(text, sizeof text, "to-%d", i);
        CHECK_EQ(send_rid(server, rid[i], text, 4, 0), 4);
    }
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "to-%d", i);
        expect_text(client[i], text);
        expect_no_msg(client[i], 0);
    }
    for (int i = 0; i < N; i++)
        close_zero_linger(client[i]);
    close_zero_linger(server);
}

/* "SHALL return an error if the queue does not exist." and "If this peer disconnects, the SERVER socket
 * SHALL destroy its double queue and SHALL discard any messages it contains.": no id, an unknown id, and
 * the id of a CLIENT that has gone (with messages still queued to it) are EHOSTUNREACH, even blocking. */
static void server_shall_return_an_error_if_the_queue_does_not_exist(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = bound_socket(ctx, ZMQ_SERVER, tr, ep, sizeof ep);
    void *client = connected_socket(ctx, ZMQ_CLIENT, ep);
    set_int(client, ZMQ_RCVHWM, 1);
    CHECK_ERR(zmq_send(server, "x", 1, 0), EHOSTUNREACH);
    send_str(client, "hi");
    uint32_t rid = expect_text(server, "hi");
    CHECK_ERR(send_rid(server, rid + 1, "x", 1, 0), EHOSTUNREACH);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(send_rid(server, rid, "queued", 6, ZMQ_DONTWAIT), 6);
    close_zero_linger(client);
    int64_t deadline = now_ms() + 5000;
    int rc;
    while ((rc = send_rid(server, rid, "gone?", 5, ZMQ_DONTWAIT)) >= 0 || errno == EAGAIN) {
        CHECK(now_ms() < deadline);
        msleep(5);
    }
    CHECK_EQ(errno, EHOSTUNREACH);
    CHECK_ERR(send_rid(server, rid, "gone", 4, 0), EHOSTUNREACH);
    close_zero_linger(server);
}

/* "SHALL block on sending, if the queue is full, unless otherwise configured." and "SHALL NOT discard
 * messages that it cannot queue.": at the mute state a blocking send waits ZMQ_SNDTIMEO then fails, a
 * ZMQ_DONTWAIT send fails at once, and the CLIENT gets every accepted message, in order. */
static void server_shall_block_when_the_queue_is_full_and_discard_nothing(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    static char msg[1024];
    void *server = test_socket(ctx, ZMQ_SERVER);
    set_int(server, ZMQ_SNDHWM, 5);
    set_int(server, ZMQ_SNDBUF, 4096);
    bind_transport(server, tr, ep, sizeof ep);
    void *client = test_socket(ctx, ZMQ_CLIENT);
    set_int(client, ZMQ_RCVHWM, 5);
    set_int(client, ZMQ_RCVBUF, 4096);
    CHECK_OK(zmq_connect(client, ep));
    send_str(client, "hi");
    uint32_t rid = expect_text(server, "hi");
    int sent = 0;
    for (int quiet = 0; quiet < 3 && sent < 100000;) {
        memcpy(msg, &sent, sizeof sent);
        if (send_rid(server, rid, msg, sizeof msg, ZMQ_DONTWAIT) >= 0) {
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
    expect_blocking_send_to_time_out(server, rid, msg, sizeof msg, &sent);
    recv_numbered(client, msg, sizeof msg, sent);
    expect_no_msg(client, 50);
    close_zero_linger(client);
    close_zero_linger(server);
}

int main(void)
{
    test_begin(120);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(client_may_connect_to_many_servers_and_send_and_receive);
    RUN_TRANSPORTS(client_and_server_shall_not_filter_or_modify_messages);
    RUN_TRANSPORTS(client_and_server_shall_queue_outgoing_and_incoming_independently);
    RUN_TRANSPORTS(client_shall_create_and_maintain_a_queue_when_connecting);
    RUN_TRANSPORTS(client_shall_create_a_queue_for_a_peer_that_connects_and_destroy_it_when_it_goes);
    RUN_TRANSPORTS(client_shall_route_outgoing_messages_round_robin);
    RUN_TRANSPORTS(client_shall_consider_a_peer_available_only_when_its_queue_is_not_full);
    RUN_TRANSPORTS(client_shall_block_or_fail_and_discard_nothing_without_available_peers);
    RUN_TRANSPORTS(client_shall_receive_incoming_messages_using_fair_queuing);
    RUN_TRANSPORTS(server_may_connect_to_many_clients_and_send_and_receive);
    RUN_ENGINE_TRANSPORTS(server_shall_maintain_the_queue_of_its_connection_while_it_is_down);
    RUN_TRANSPORTS(server_shall_identify_each_queue_by_a_unique_nonzero_routing_id);
    RUN_TRANSPORTS(server_shall_receive_incoming_messages_using_fair_queuing);
    RUN_TRANSPORTS(server_shall_route_each_message_to_the_queue_its_routing_id_names);
    RUN_TRANSPORTS(server_shall_return_an_error_if_the_queue_does_not_exist);
    RUN_TRANSPORTS(server_shall_block_when_the_queue_is_full_and_discard_nothing);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
