/* STREAM beyond the basics in spec/test_spec_stream.c: a connecting STREAM across its server's restart
 * (disconnect and reconnect notifications, same routing id), data queued before the connection exists,
 * large transfers both ways, many peers, properties on the routing-id frame, STREAM to STREAM. Behaviour
 * as libzmq 4.3.4 shows it. */
#include "rawpeer.h"

static void *ctx;

/* Receives [id][data]; checks the id when want_id is given; returns the data length (copied to buf). */
static int recv_stream (void *stream, const char *want_id, unsigned char *buf, size_t cap)
{
    unsigned char id[256];
    int more = 0;
    int idlen = recv_timeout (stream, id, sizeof id, 3000, &more);
    CHECK_INT (idlen, >, 0);
    CHECK_EQ (more, 1);
    if (want_id)
        CHECK_MEM (id, idlen, want_id, strlen (want_id));
    int n = recv_timeout (stream, buf, cap, 3000, &more);
    CHECK_INT (n, >=, 0);
    CHECK_EQ (more, 0);
    return n;
}

/* A connecting STREAM sees [id][""] when its server hangs up and again when it reconnects, under the same
 * routing id; data flows over the new connection. */
static void stream_connecter_shall_announce_disconnect_and_reconnect (void)
{
    int port = 0;
    int lfd = raw_listen (&port);
    void *stream = test_socket (ctx, ZMQ_STREAM);
    set_int (stream, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK (zmq_setsockopt (stream, ZMQ_CONNECT_ROUTING_ID, "srv", 3));
    char ep[TU_ENDPOINT_LEN];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_OK (zmq_connect (stream, ep));
    int fd = raw_accept (lfd, 3000);
    unsigned char buf[64];
    CHECK_EQ (recv_stream (stream, "srv", buf, sizeof buf), 0);
    raw_send (fd, "one", 3);
    CHECK_EQ (recv_stream (stream, "srv", buf, sizeof buf), 3);
    close (fd);
    CHECK_EQ (recv_stream (stream, "srv", buf, sizeof buf), 0);
    fd = raw_accept (lfd, 3000);
    CHECK_EQ (recv_stream (stream, "srv", buf, sizeof buf), 0);
    send_str_more (stream, "srv");
    send_str (stream, "two");
    raw_read_exact (fd, buf, 3, 3000);
    CHECK_MEM (buf, 3, "two", 3);
    close (fd);
    close (lfd);
    close_zero_linger (stream);
}

/* With ZMQ_CONNECT_ROUTING_ID the peer can be addressed before the connection is up: the data waits. */
static void stream_shall_queue_data_for_a_named_peer_until_connected (void)
{
    int port = free_tcp_port ();
    void *stream = test_socket (ctx, ZMQ_STREAM);
    set_int (stream, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK (zmq_setsockopt (stream, ZMQ_CONNECT_ROUTING_ID, "later", 5));
    char ep[TU_ENDPOINT_LEN];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_OK (zmq_connect (stream, ep));
    send_str_more (stream, "later");
    send_str (stream, "early-bird");
    msleep (50);
    int lfd = raw_listen (&port);
    int fd = raw_accept (lfd, 3000);
    unsigned char buf[64];
    raw_read_exact (fd, buf, 10, 3000);
    CHECK_MEM (buf, 10, "early-bird", 10);
    CHECK_EQ (recv_stream (stream, "later", buf, sizeof buf), 0);
    close (fd);
    close (lfd);
    close_zero_linger (stream);
}

/* A megabyte each way: what the peer writes arrives in order (in pieces), what we send arrives whole. */
static void stream_shall_carry_large_transfers_both_ways (void)
{
    enum { SIZE = 1 << 20 };
    unsigned char *out = malloc (SIZE), *in = malloc (SIZE);
    CHECK (out && in);
    for (size_t i = 0; i < SIZE; i++)
        out[i] = (unsigned char) (i * 7 + (i >> 11));
    char ep[TU_ENDPOINT_LEN];
    void *stream = bound_socket (ctx, ZMQ_STREAM, "tcp", ep, sizeof ep);
    int fd = raw_connect (ep);
    unsigned char id[256];
    int more = 0;
    int idlen = recv_timeout (stream, id, sizeof id, 3000, &more);
    CHECK_INT (idlen, >, 0);
    recv_expect (stream, "");
    /* to the peer: one message */
    send_buf (stream, id, (size_t) idlen, ZMQ_SNDMORE);
    send_buf (stream, out, SIZE, 0);
    raw_read_exact (fd, in, SIZE, 3000);
    CHECK (memcmp (in, out, SIZE) == 0);
    /* from the peer: as many messages as the reads make */
    raw_send (fd, out, SIZE);
    size_t got = 0;
    zmq_msg_t m;
    set_int (stream, ZMQ_RCVTIMEO, 3000);
    while (got < SIZE) {
        zmq_msg_init (&m);
        CHECK_EQ (zmq_msg_recv (&m, stream, 0), idlen);
        CHECK_MEM (zmq_msg_data (&m), idlen, id, idlen);
        CHECK_EQ (zmq_msg_more (&m), 1);
        int n = zmq_msg_recv (&m, stream, 0);
        CHECK_INT (n, >, 0);
        CHECK_INT (got + (size_t) n, <=, SIZE);
        memcpy (in + got, zmq_msg_data (&m), (size_t) n);
        got += (size_t) n;
        zmq_msg_close (&m);
    }
    CHECK (memcmp (in, out, SIZE) == 0);
    close (fd);
    close_zero_linger (stream);
    free (out);
    free (in);
}

/* Many plain TCP clients: distinct ids, and each reply goes to its own client. */
static void stream_shall_serve_many_peers (void)
{
    enum { PEERS = 200 };
    void *stream = test_socket (ctx, ZMQ_STREAM);
    set_int (stream, ZMQ_STREAM_NOTIFY, 0);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral (stream, ep, sizeof ep);
        static int fds[PEERS];
    char msg[32];
    for (int i = 0; i < PEERS; i++) {
        fds[i] = raw_connect (ep);
        snprintf (msg, sizeof msg, "c%03d", i);
        raw_send (fds[i], msg, 4);
    }
    for (int n = 0; n < PEERS; n++) {
        unsigned char id[256], data[16];
        int more = 0;
        int idlen = recv_timeout (stream, id, sizeof id, 3000, &more);
        CHECK_INT (idlen, >, 0);
        CHECK_EQ (recv_timeout (stream, data, sizeof data, 3000, &more), 4);
        /* answer with the client's own tag, reversed */
        char reply[4] = {(char) data[3], (char) data[2], (char) data[1], (char) data[0]};
        send_buf (stream, id, (size_t) idlen, ZMQ_SNDMORE);
        send_buf (stream, reply, 4, 0);
    }
    for (int i = 0; i < PEERS; i++) {
        unsigned char got[4];
        raw_read_exact (fds[i], got, 4, 3000);
        snprintf (msg, sizeof msg, "c%03d", i);
        char want[4] = {msg[3], msg[2], msg[1], msg[0]};
        CHECK_MEM (got, 4, want, 4);
        close (fds[i]);
    }
    close_zero_linger (stream);
}

/* The routing-id frame carries Peer-Address. */
static void stream_shall_attach_peer_address_to_the_routing_id_frame (void)
{
    char ep[TU_ENDPOINT_LEN];
    void *stream = bound_socket (ctx, ZMQ_STREAM, "tcp", ep, sizeof ep);
    int fd = raw_connect (ep);
    zmq_msg_t id;
    zmq_msg_init (&id);
    set_int (stream, ZMQ_RCVTIMEO, 3000);
    CHECK_INT (zmq_msg_recv (&id, stream, 0), >, 0);
    const char *addr = zmq_msg_gets (&id, "Peer-Address");
    CHECK (addr != NULL);
    CHECK_STR (addr, "127.0.0.1");
    zmq_msg_close (&id);
    recv_expect (stream, "");
    close (fd);
    close_zero_linger (stream);
}

/* Two STREAM sockets talk to each other over tcp: both announce the connection, bytes flow both ways. */
static void stream_to_stream (void)
{
    char ep[TU_ENDPOINT_LEN];
    void *server = bound_socket (ctx, ZMQ_STREAM, "tcp", ep, sizeof ep);
    void *client = test_socket (ctx, ZMQ_STREAM);
    CHECK_OK (zmq_setsockopt (client, ZMQ_CONNECT_ROUTING_ID, "s", 1));
    CHECK_OK (zmq_connect (client, ep));
    unsigned char sid[256], buf[64];
    int more = 0;
    int slen = recv_timeout (server, sid, sizeof sid, 3000, &more);
    CHECK_INT (slen, >, 0);
    recv_expect (server, "");
    CHECK_EQ (recv_stream (client, "s", buf, sizeof buf), 0);
    send_str_more (client, "s");
    send_str (client, "ping");
    CHECK_EQ (recv_stream (server, NULL, buf, sizeof buf), 4);
    CHECK_MEM (buf, 4, "ping", 4);
    send_buf (server, sid, (size_t) slen, ZMQ_SNDMORE);
    send_str (server, "pong");
    CHECK_EQ (recv_stream (client, "s", buf, sizeof buf), 4);
    CHECK_MEM (buf, 4, "pong", 4);
    close_zero_linger (client);
    close_zero_linger (server);
}

int main (void)
{
    test_begin (60);
    ctx = CHECK_PTR (zmq_ctx_new ());
    RUN (stream_connecter_shall_announce_disconnect_and_reconnect);
    RUN (stream_shall_queue_data_for_a_named_peer_until_connected);
    RUN (stream_shall_carry_large_transfers_both_ways);
    RUN (stream_shall_serve_many_peers);
    RUN (stream_shall_attach_peer_address_to_the_routing_id_frame);
    RUN (stream_to_stream);
    CHECK_OK (zmq_ctx_term (ctx));
    return test_end ();
}
