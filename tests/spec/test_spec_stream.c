/* STREAM sockets (tcp only): every message is [routing id][data]; ZMQ_STREAM_NOTIFY announces connects and
 * disconnects with an empty data frame; sending an empty data frame closes that connection. The peer is
 * a plain TCP socket. */
#include "rawpeer.h"

static void *ctx;

/* A connecting peer is announced as [id][""]; its bytes arrive as [id][bytes]; [id][bytes] sent by the
 * application go to that peer as plain bytes. */
static void stream_shall_announce_a_connection_and_carry_raw_bytes(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *stream = bound_socket(ctx, ZMQ_STREAM, "tcp", ep, sizeof ep);
    int fd = raw_connect(ep);
    unsigned char id[256], id2[256];
    int idlen = recv_routed(stream, id, sizeof id, "");
    raw_write(fd, "hello");
    int idlen2 = recv_routed(stream, id2, sizeof id2, "hello");
    CHECK_MEM(id2, idlen2, id, idlen);
    send_routed(stream, id, (size_t)idlen, "world");
    raw_read_expect(fd, "world");
    /* the ZMQ_SNDMORE flag on the data frame is ignored */
    send_buf(stream, id, (size_t)idlen, ZMQ_SNDMORE);
    send_buf(stream, "more", 4, ZMQ_SNDMORE);
    send_routed(stream, id, (size_t)idlen, "-again");
    raw_read_expect(fd, "more-again");
    close(fd);
    close_zero_linger(stream);
}

/* When the peer closes, the application receives [id][""] (ZMQ_STREAM_NOTIFY is on by default). */
static void stream_shall_announce_a_disconnection_with_an_empty_frame(void)
{
    void *stream = test_socket(ctx, ZMQ_STREAM);
    CHECK_EQ(get_int(stream, ZMQ_TYPE), ZMQ_STREAM);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(stream, ep, sizeof ep);
    int fd = raw_connect(ep);
    unsigned char id[256], id2[256];
    int idlen = recv_routed(stream, id, sizeof id, "");
    raw_write(fd, "bye");
    recv_routed(stream, id2, sizeof id2, "bye");
    close(fd);
    int idlen2 = recv_routed(stream, id2, sizeof id2, "");
    CHECK_MEM(id2, idlen2, id, idlen);
    close_zero_linger(stream);
}

/* Sending [id][""] closes the connection to that peer. */
static void stream_shall_close_a_connection_when_sent_an_empty_frame(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *stream = bound_socket(ctx, ZMQ_STREAM, "tcp", ep, sizeof ep);
    int fd = raw_connect(ep);
    unsigned char id[256];
    int idlen = recv_routed(stream, id, sizeof id, "");
    send_routed(stream, id, (size_t)idlen, "last words");
    send_routed(stream, id, (size_t)idlen, "");
    raw_read_expect(fd, "last words");
    raw_expect_eof(fd, stream);
    /* a connection closed this way is not announced back */
    expect_no_msg(stream, 50);
    close(fd);
    close_zero_linger(stream);
}

/* ZMQ_STREAM_NOTIFY 0: no empty frames on connect or disconnect, just data. */
static void stream_notify_off_shall_suppress_connect_and_disconnect_frames(void)
{
    void *stream = test_socket(ctx, ZMQ_STREAM);
    set_int(stream, ZMQ_STREAM_NOTIFY, 0);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(stream, ep, sizeof ep);
    int fd = raw_connect(ep);
    raw_write(fd, "data-first");
    unsigned char id[256];
    int idlen = recv_routed(stream, id, sizeof id, "data-first");
    send_routed(stream, id, (size_t)idlen, "ack");
    raw_read_expect(fd, "ack");
    close(fd);
    expect_no_msg(stream, 200);
    close_zero_linger(stream);
}

/* Each peer has its own routing id and replies go only to it. */
static void stream_shall_route_by_routing_id_between_several_peers(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *stream = bound_socket(ctx, ZMQ_STREAM, "tcp", ep, sizeof ep);
    int fa = raw_connect(ep);
    unsigned char ida[256], idb[256], tmp[256];
    int la = recv_routed(stream, ida, sizeof ida, "");
    int fb = raw_connect(ep);
    int lb = recv_routed(stream, idb, sizeof idb, "");
    CHECK(la != lb || memcmp(ida, idb, (size_t)la) != 0);
    raw_write(fb, "from-b");
    int lt = recv_routed(stream, tmp, sizeof tmp, "from-b");
    CHECK_MEM(tmp, lt, idb, lb);
    send_routed(stream, ida, (size_t)la, "to-a");
    send_routed(stream, idb, (size_t)lb, "to-b");
    raw_read_expect(fa, "to-a");
    raw_read_expect(fb, "to-b");
    close(fa);
    close(fb);
    close_zero_linger(stream);
}

/* A STREAM that connects to a plain TCP server: ZMQ_CONNECT_ROUTING_ID names the connection, the
 * connect is announced, and data flows both ways. */
static void stream_shall_connect_to_a_plain_tcp_server(void)
{
    int port = 0;
    int lfd = raw_listen(&port);
    void *stream = test_socket(ctx, ZMQ_STREAM);
    CHECK_OK(zmq_setsockopt(stream, ZMQ_CONNECT_ROUTING_ID, "out", 3));
    char ep[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_OK(zmq_connect(stream, ep));
    int fd = raw_accept(lfd, 2000);
    unsigned char id[256];
    int idlen = recv_routed(stream, id, sizeof id, "");
    CHECK_MEM(id, idlen, "out", 3);
    send_routed(stream, "out", 3, "ping");
    raw_read_expect(fd, "ping");
    raw_write(fd, "pong");
    recv_routed(stream, id, sizeof id, "pong");
    CHECK_MEM(id, idlen, "out", 3);
    close(fd);
    close(lfd);
    close_zero_linger(stream);
}

/* A message for a routing id that is not connected fails with EHOSTUNREACH. */
static void stream_shall_refuse_unknown_routing_ids_with_ehostunreach(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *stream = bound_socket(ctx, ZMQ_STREAM, "tcp", ep, sizeof ep);
    CHECK_ERR(zmq_send(stream, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);
    close_zero_linger(stream);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(stream_shall_announce_a_connection_and_carry_raw_bytes);
    RUN(stream_shall_announce_a_disconnection_with_an_empty_frame);
    RUN(stream_shall_close_a_connection_when_sent_an_empty_frame);
    RUN(stream_notify_off_shall_suppress_connect_and_disconnect_frames);
    RUN(stream_shall_route_by_routing_id_between_several_peers);
    RUN(stream_shall_connect_to_a_plain_tcp_server);
    RUN(stream_shall_refuse_unknown_routing_ids_with_ehostunreach);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
