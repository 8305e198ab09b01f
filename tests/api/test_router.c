/* ROUTER, DEALER, REQ and REP beyond the RFC 28 clauses: a thousand peers on one ROUTER, ROUTER_MANDATORY
 * and the high-water mark, routing ids across a reconnect, metadata on the routing-id frame, REQ recovering
 * from a dead peer, REP dropping replies to vanished peers. Behaviour as libzmq 4.3.4 shows it. */
#include "testutil.h"

static void *ctx;

/* One ROUTER, PEERS DEALERs each with its own routing id: every request arrives under the right id and
 * every reply reaches exactly its DEALER. */
static void router_shall_route_among_a_thousand_dealers (const char *tr)
{
    enum { PEERS = 1000 };
    void *router = test_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_ROUTER_MANDATORY, 1);
    set_int (router, ZMQ_RCVHWM, 0);
    /* All thousand connects may arrive before the first accept: with the default backlog of 100 the kernel
     * drops SYNs and a peer's retries back off 1 s, 2 s, 4 s... (seen with libzmq on a busy machine). */
    set_int (router, ZMQ_BACKLOG, 2 * PEERS);
    char ep[TU_ENDPOINT_LEN];
    bind_transport (router, tr, ep, sizeof ep);
    static void *dealer[PEERS];
    char id[32], buf[64];
    for (int i = 0; i < PEERS; i++) {
        dealer[i] = test_socket (ctx, ZMQ_DEALER);
        snprintf (id, sizeof id, "peer-%d", i);
        CHECK_OK (zmq_setsockopt (dealer[i], ZMQ_ROUTING_ID, id, strlen (id)));
        CHECK_OK (zmq_connect (dealer[i], ep));
    }
    for (int i = 0; i < PEERS; i++) {
        snprintf (buf, sizeof buf, "request-%d", i);
        send_str (dealer[i], buf);
    }
    static char seen[PEERS];
    memset (seen, 0, sizeof seen);
    for (int n = 0; n < PEERS; n++) {
        int more = 0;
        int idlen = recv_timeout (router, id, sizeof id - 1, 15000, &more);
        CHECK_INT (idlen, >, 5);
        CHECK_EQ (more, 1);
        id[idlen] = 0;
        int who = atoi (id + 5);
        CHECK (who >= 0 && who < PEERS);
        CHECK_EQ (seen[who], 0);
        seen[who] = 1;
        snprintf (buf, sizeof buf, "request-%d", who);
        recv_expect (router, buf);
    }
    /* reply in reverse order, each by its id */
    for (int i = PEERS - 1; i >= 0; i--) {
        snprintf (id, sizeof id, "peer-%d", i);
        snprintf (buf, sizeof buf, "reply-%d", i);
        send_str_more (router, id);
        send_str (router, buf);
    }
    for (int i = 0; i < PEERS; i++) {
        snprintf (buf, sizeof buf, "reply-%d", i);
        recv_expect (dealer[i], buf);
    }
    for (int i = 0; i < PEERS; i++)
        close_zero_linger (dealer[i]);
    close_zero_linger (router);
}

/* ROUTER_MANDATORY at the high-water mark: EAGAIN (not a silent drop), no POLLOUT, nothing accepted is
 * lost, and sending works again once the peer reads. Without MANDATORY the same sends succeed and the
 * messages are dropped. */
static void router_mandatory_shall_report_a_full_peer_with_eagain (const char *tr)
{
    for (int mandatory = 1; mandatory >= 0; mandatory--) {
        void *router = test_socket (ctx, ZMQ_ROUTER);
        set_int (router, ZMQ_ROUTER_MANDATORY, mandatory);
        set_int (router, ZMQ_SNDHWM, 1);
        char ep[TU_ENDPOINT_LEN];
        bind_transport (router, tr, ep, sizeof ep);
        void *dealer = test_socket (ctx, ZMQ_DEALER);
        set_int (dealer, ZMQ_RCVHWM, 1);
        CHECK_OK (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "slow", 4));
        CHECK_OK (zmq_connect (dealer, ep));
        send_str (dealer, "hello");
        recv_expect_more (router, "slow");
        recv_expect (router, "hello");
        /* big frames so the kernel's socket buffers fill quickly on ipc and tcp */
        enum { BIG = 64 * 1024 };
        static char big[BIG];
        int sent = 0, eagain = 0;
        for (int i = 0; i < 20000 && !eagain; i++) {
            if (zmq_send (router, "slow", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) != 4) {
                CHECK_EQ (errno, EAGAIN);
                eagain = 1;
                break;
            }
            CHECK_EQ (zmq_send (router, big, BIG, ZMQ_DONTWAIT), BIG);
            sent++;
            if (!mandatory && sent == 5000)
                break;
        }
        if (mandatory) {
            CHECK (eagain);
            CHECK_INT (sent, >=, 1);
            /* over ipc and tcp the I/O thread may make room again at any moment */
            if (strcmp (tr, "inproc") == 0)
                CHECK_EQ (get_int (router, ZMQ_EVENTS) & ZMQ_POLLOUT, 0);
            /* nothing accepted was dropped: the peer gets every message; then there is room again */
            char buf[16];
            for (int i = 0; i < sent; i++)
                CHECK_EQ (recv_timeout (dealer, buf, sizeof buf, 5000, NULL), BIG);
            set_int (router, ZMQ_SNDTIMEO, 5000);
            send_str_more (router, "slow");
            send_str (router, "after");
            recv_expect (dealer, "after");
        } else {
            CHECK (!eagain);
            CHECK_EQ (sent, 5000);
            CHECK (get_int (router, ZMQ_EVENTS) & ZMQ_POLLOUT);
        }
        close_zero_linger (dealer);
        close_zero_linger (router);
    }
}

/* Without ZMQ_ROUTER_MANDATORY a single-frame message (an id and no body) is dropped; with it, too: libzmq
 * only looks up the id when a body follows. */
static void router_shall_drop_a_lone_routing_id_frame (const char *tr)
{
    void *router = test_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_ROUTER_MANDATORY, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport (router, tr, ep, sizeof ep);
    void *dealer = test_socket (ctx, ZMQ_DEALER);
    CHECK_OK (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "d", 1));
    CHECK_OK (zmq_connect (dealer, ep));
    send_str (dealer, "hi");
    recv_expect_more (router, "d");
    recv_expect (router, "hi");
    CHECK_EQ (zmq_send (router, "nobody", 6, ZMQ_DONTWAIT), 6);
    CHECK_EQ (zmq_send (router, "d", 1, ZMQ_DONTWAIT), 1);
    send_str_more (router, "d");
    send_str (router, "real");
    recv_expect (dealer, "real");
    expect_no_msg (dealer, 20);
    close_zero_linger (dealer);
    close_zero_linger (router);
}

/* The routing-id frame carries the message's properties, as in libzmq (Socket-Type, and Peer-Address
 * over tcp). */
static void router_shall_attach_peer_properties_to_the_routing_id_frame (const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *router = bound_socket (ctx, ZMQ_ROUTER, tr, ep, sizeof ep);
    void *dealer = connected_socket (ctx, ZMQ_DEALER, ep);
    send_str (dealer, "hi");
    zmq_msg_t id;
    zmq_msg_init (&id);
    set_int (router, ZMQ_RCVTIMEO, 2000);
    CHECK_EQ (zmq_msg_recv (&id, router, 0), 5);
    CHECK_EQ (zmq_msg_more (&id), 1);
    if (strcmp (tr, "inproc") != 0) {
        /* inproc messages carry no properties in libzmq */
        const char *type = zmq_msg_gets (&id, "Socket-Type");
        CHECK (type != NULL);
        CHECK_STR (type, "DEALER");
    }
    if (strcmp (tr, "tcp") == 0) {
        const char *addr = zmq_msg_gets (&id, "Peer-Address");
        CHECK (addr != NULL);
        CHECK_STR (addr, "127.0.0.1");
    }
    zmq_msg_close (&id);
    recv_expect (router, "hi");
    close_zero_linger (dealer);
    close_zero_linger (router);
}

/* A ROUTER that connects keeps the id it first learnt for that connection when the server restarts, even
 * if the new server announces another one (libzmq: "assumes that the peer always uses the same routing
 * id"), and the peer's messages keep flowing after the reconnect. */
static void router_shall_keep_a_connected_peers_id_across_reconnects (void)
{
    int port = free_tcp_port ();
    char ep[TU_ENDPOINT_LEN];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    void *server = test_socket (ctx, ZMQ_DEALER);
    CHECK_OK (zmq_setsockopt (server, ZMQ_ROUTING_ID, "srv-a", 5));
    CHECK_OK (zmq_bind (server, ep));
    void *router = test_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK (zmq_connect (router, ep));
    send_str (server, "first");
    recv_expect_more (router, "srv-a");
    recv_expect (router, "first");
    close_zero_linger (server);
    server = test_socket (ctx, ZMQ_DEALER);
    CHECK_OK (zmq_setsockopt (server, ZMQ_ROUTING_ID, "srv-b", 5));
    for (int i = 0; zmq_bind (server, ep) != 0; i++) {
        CHECK_EQ (errno, EADDRINUSE);
        CHECK_INT (i, <, 200);
        msleep (10);
    }
    send_str (server, "second");
    recv_expect_more (router, "srv-a");
    recv_expect (router, "second");
    send_str_more (router, "srv-a");
    send_str (router, "back");
    recv_expect (server, "back");
    close_zero_linger (router);
    close_zero_linger (server);
}

/* Two ROUTERs: the connecting one names its peer with ZMQ_CONNECT_ROUTING_ID and can send at once; the
 * bound one learns the connecting side's ZMQ_ROUTING_ID from that first message. */
static void router_to_router_with_connect_routing_id (const char *tr)
{
    void *server = test_socket (ctx, ZMQ_ROUTER);
    CHECK_OK (zmq_setsockopt (server, ZMQ_ROUTING_ID, "server", 6));
    char ep[TU_ENDPOINT_LEN];
    bind_transport (server, tr, ep, sizeof ep);
    void *client = test_socket (ctx, ZMQ_ROUTER);
    CHECK_OK (zmq_setsockopt (client, ZMQ_ROUTING_ID, "client", 6));
    CHECK_OK (zmq_setsockopt (client, ZMQ_CONNECT_ROUTING_ID, "to-server", 9));
    set_int (client, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_OK (zmq_connect (client, ep));
    send_str_more (client, "to-server");
    send_str (client, "hello");
    recv_expect_more (server, "client");
    recv_expect (server, "hello");
    send_str_more (server, "client");
    send_str (server, "welcome");
    recv_expect_more (client, "to-server");
    recv_expect (client, "welcome");
    close_zero_linger (client);
    close_zero_linger (server);
}

/* inproc, connect before bind: the connecting ROUTER still learns the binder's ZMQ_ROUTING_ID. */
static void router_connecting_inproc_before_bind_shall_learn_the_binders_id (void)
{
    void *router = test_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_OK (zmq_connect (router, "inproc://router-before-bind"));
    void *server = test_socket (ctx, ZMQ_DEALER);
    CHECK_OK (zmq_setsockopt (server, ZMQ_ROUTING_ID, "binder", 6));
    CHECK_OK (zmq_bind (server, "inproc://router-before-bind"));
    send_str (server, "hello");
    recv_expect_more (router, "binder");
    recv_expect (router, "hello");
    send_str_more (router, "binder");
    send_str (router, "back");
    recv_expect (server, "back");
    close_zero_linger (router);
    close_zero_linger (server);
}

/* REQ_RELAXED + REQ_CORRELATE: when the REP that holds the request dies, the REQ resends and the request
 * goes to the surviving REP. */
static void req_relaxed_shall_recover_from_a_dead_peer (const char *tr)
{
    void *rep_a = test_socket (ctx, ZMQ_REP);
    void *rep_b = test_socket (ctx, ZMQ_REP);
    char ep_a[TU_ENDPOINT_LEN], ep_b[TU_ENDPOINT_LEN];
    bind_transport (rep_a, tr, ep_a, sizeof ep_a);
    bind_transport (rep_b, tr, ep_b, sizeof ep_b);
    void *req = test_socket (ctx, ZMQ_REQ);
    set_int (req, ZMQ_REQ_RELAXED, 1);
    set_int (req, ZMQ_REQ_CORRELATE, 1);
    CHECK_OK (zmq_connect (req, ep_a));
    CHECK_OK (zmq_connect (req, ep_b));
    msleep (strcmp (tr, "inproc") == 0 ? 0 : 100);
    send_str (req, "one");
    /* whoever got it never answers and goes away */
    void *got = NULL, *other = NULL;
    char buf[16];
    for (int i = 0; i < 200 && !got; i++) {
        if (zmq_recv (rep_a, buf, sizeof buf, ZMQ_DONTWAIT) == 3) {
            got = rep_a;
            other = rep_b;
        } else if (zmq_recv (rep_b, buf, sizeof buf, ZMQ_DONTWAIT) == 3) {
            got = rep_b;
            other = rep_a;
        } else {
            msleep (10);
        }
    }
    CHECK (got != NULL);
    close_zero_linger (got);
    msleep (strcmp (tr, "inproc") == 0 ? 0 : 100);
    /* round robin may first pick the dead peer's pipe while it is still there: keep asking */
    int answered = 0;
    for (int i = 0; i < 20 && !answered; i++) {
        send_str (req, "two");
        if (recv_timeout (other, buf, sizeof buf, 100, NULL) == 3) {
            send_str (other, "two-reply");
            recv_expect (req, "two-reply");
            answered = 1;
        }
    }
    CHECK (answered);
    close_zero_linger (req);
    close_zero_linger (other);
}

/* A REP whose requester went away before the reply drops the reply and serves the next request. */
static void rep_shall_drop_the_reply_to_a_vanished_requester (const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *rep = bound_socket (ctx, ZMQ_REP, tr, ep, sizeof ep);
    void *gone = connected_socket (ctx, ZMQ_REQ, ep);
    send_str (gone, "from-gone");
    recv_expect (rep, "from-gone");
    close_zero_linger (gone);
    msleep (50);
    send_str (rep, "nobody-hears-this");
    void *req = connected_socket (ctx, ZMQ_REQ, ep);
    send_str (req, "from-live");
    recv_expect (rep, "from-live");
    send_str (rep, "for-live");
    recv_expect (req, "for-live");
    close_zero_linger (req);
    close_zero_linger (rep);
}

/* ZMQ_EVENTS follows the REQ/REP state machines: REQ is writable only between replies, REP readable only
 * between requests. */
static void req_rep_events_shall_follow_the_state_machine (const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *rep = bound_socket (ctx, ZMQ_REP, tr, ep, sizeof ep);
    void *req = connected_socket (ctx, ZMQ_REQ, ep);
    msleep (strcmp (tr, "inproc") == 0 ? 0 : 50);
    CHECK_EQ (get_int (req, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_EQ (get_int (rep, ZMQ_EVENTS), 0);
    send_str (req, "q");
    CHECK_EQ (get_int (req, ZMQ_EVENTS) & ZMQ_POLLOUT, 0);
    CHECK (poll_in (rep, 2000));
    CHECK_EQ (get_int (rep, ZMQ_EVENTS), ZMQ_POLLIN);
    recv_expect (rep, "q");
    CHECK_EQ (get_int (rep, ZMQ_EVENTS), ZMQ_POLLOUT);
    send_str (rep, "a");
    CHECK_EQ (get_int (rep, ZMQ_EVENTS), 0);
    CHECK (poll_in (req, 2000));
    recv_expect (req, "a");
    CHECK_EQ (get_int (req, ZMQ_EVENTS), ZMQ_POLLOUT);
    close_zero_linger (req);
    close_zero_linger (rep);
}

int main (void)
{
    test_begin (120);
    ctx = CHECK_PTR (zmq_ctx_new ());
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 4096));
    RUN_TRANSPORTS (router_shall_route_among_a_thousand_dealers);
    RUN_TRANSPORTS (router_mandatory_shall_report_a_full_peer_with_eagain);
    RUN_TRANSPORTS (router_shall_drop_a_lone_routing_id_frame);
    RUN_TRANSPORTS (router_shall_attach_peer_properties_to_the_routing_id_frame);
    RUN (router_shall_keep_a_connected_peers_id_across_reconnects);
    RUN_TRANSPORTS (router_to_router_with_connect_routing_id);
    RUN (router_connecting_inproc_before_bind_shall_learn_the_binders_id);
    RUN_TRANSPORTS (req_relaxed_shall_recover_from_a_dead_peer);
    RUN_TRANSPORTS (rep_shall_drop_the_reply_to_a_vanished_requester);
    RUN_TRANSPORTS (req_rep_events_shall_follow_the_state_machine);
    CHECK_OK (zmq_ctx_term (ctx));
    return test_end ();
}
