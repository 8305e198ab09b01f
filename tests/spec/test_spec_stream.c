/* STREAM sockets (tcp only): every message is [routing id][data]; ZMQ_STREAM_NOTIFY announces connects and
 * disconnects with an empty data frame; sending an empty data frame closes that connection. The peer is
 * a plain TCP socket. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static void *ctx;

/* The port of a "tcp://127.0.0.1:N" endpoint. */
static int endpoint_port(const char *ep)
{
    const char *colon = strrchr(ep, ':');
    CHECK(colon != NULL);
    return atoi(colon + 1);
}

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_OK(connect(fd, (struct sockaddr *)&sin, sizeof sin));
    return fd;
}

/* A listening raw socket on 127.0.0.1, ephemeral port returned in *port. */
static int raw_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_OK(bind(fd, (struct sockaddr *)&sin, sizeof sin));
    CHECK_OK(listen(fd, 4));
    socklen_t sl = sizeof sin;
    CHECK_OK(getsockname(fd, (struct sockaddr *)&sin, &sl));
    *port = ntohs(sin.sin_port);
    return fd;
}

/* Read exactly len bytes from fd within 2 s. */
static void raw_read_expect(int fd, const char *expected)
{
    size_t len = strlen(expected), got = 0;
    char buf[256];
    CHECK(len < sizeof buf);
    while (got < len) {
        struct pollfd p = {fd, POLLIN, 0};
        CHECK_INT(poll(&p, 1, 2000), ==, 1);
        ssize_t n = read(fd, buf + got, len - got);
        CHECK_INT(n, >, 0);
        got += (size_t)n;
    }
    CHECK_MEM(buf, len, expected, len);
}

/* Require EOF on fd within 2 s. Meanwhile keep calling into the STREAM socket: libzmq closes the
 * connection only once the application thread has processed the pipe's termination. */
static void raw_expect_eof(int fd, void *stream)
{
    struct pollfd p = {fd, POLLIN, 0};
    int ready = 0;
    for (int i = 0; i < 200 && !ready; i++) {
        poll_in(stream, 0);
        ready = poll(&p, 1, 10);
    }
    CHECK_EQ(ready, 1);
    char c;
    ssize_t n = read(fd, &c, 1);
    CHECK(n == 0 || (n == -1 && errno == ECONNRESET));
}

static void raw_write(int fd, const char *data)
{
    CHECK_EQ(write(fd, data, strlen(data)), (ssize_t)strlen(data));
}

/* Receive [id][data] from a STREAM socket; id is stored (length returned), data compared to expected. */
static int recv_stream(void *stream, unsigned char *id, size_t idcap, const char *expected)
{
    int more = 0;
    int idlen = recv_timeout(stream, id, idcap, 2000, &more);
    CHECK_INT(idlen, >, 0);
    CHECK_EQ(more, 1);
    recv_expect(stream, expected);
    return idlen;
}

static void send_stream(void *stream, const void *id, size_t idlen, const char *data)
{
    send_buf(stream, id, idlen, ZMQ_SNDMORE);
    send_str(stream, data);
}

/* A connecting peer is announced as [id][""]; its bytes arrive as [id][bytes]; [id][bytes] sent by the
 * application go to that peer as plain bytes. */
static void stream_shall_announce_a_connection_and_carry_raw_bytes(void)
{
    void *stream = test_socket(ctx, ZMQ_STREAM);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(stream, ep, sizeof ep);
    int fd = raw_connect(endpoint_port(ep));
    unsigned char id[256], id2[256];
    int idlen = recv_stream(stream, id, sizeof id, "");
    raw_write(fd, "hello");
    int idlen2 = recv_stream(stream, id2, sizeof id2, "hello");
    CHECK_MEM(id2, idlen2, id, idlen);
    send_stream(stream, id, (size_t)idlen, "world");
    raw_read_expect(fd, "world");
    /* the ZMQ_SNDMORE flag on the data frame is ignored */
    send_buf(stream, id, (size_t)idlen, ZMQ_SNDMORE);
    send_buf(stream, "more", 4, ZMQ_SNDMORE);
    send_stream(stream, id, (size_t)idlen, "-again");
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
    int fd = raw_connect(endpoint_port(ep));
    unsigned char id[256], id2[256];
    int idlen = recv_stream(stream, id, sizeof id, "");
    raw_write(fd, "bye");
    recv_stream(stream, id2, sizeof id2, "bye");
    close(fd);
    int idlen2 = recv_stream(stream, id2, sizeof id2, "");
    CHECK_MEM(id2, idlen2, id, idlen);
    close_zero_linger(stream);
}

/* Sending [id][""] closes the connection to that peer. */
static void stream_shall_close_a_connection_when_sent_an_empty_frame(void)
{
    void *stream = test_socket(ctx, ZMQ_STREAM);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(stream, ep, sizeof ep);
    int fd = raw_connect(endpoint_port(ep));
    unsigned char id[256];
    int idlen = recv_stream(stream, id, sizeof id, "");
    send_stream(stream, id, (size_t)idlen, "last words");
    send_stream(stream, id, (size_t)idlen, "");
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
    int fd = raw_connect(endpoint_port(ep));
    raw_write(fd, "data-first");
    unsigned char id[256];
    int idlen = recv_stream(stream, id, sizeof id, "data-first");
    send_stream(stream, id, (size_t)idlen, "ack");
    raw_read_expect(fd, "ack");
    close(fd);
    expect_no_msg(stream, 200);
    close_zero_linger(stream);
}

/* Each peer has its own routing id and replies go only to it. */
static void stream_shall_route_by_routing_id_between_several_peers(void)
{
    void *stream = test_socket(ctx, ZMQ_STREAM);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(stream, ep, sizeof ep);
    int port = endpoint_port(ep);
    int fa = raw_connect(port);
    unsigned char ida[256], idb[256], tmp[256];
    int la = recv_stream(stream, ida, sizeof ida, "");
    int fb = raw_connect(port);
    int lb = recv_stream(stream, idb, sizeof idb, "");
    CHECK(la != lb || memcmp(ida, idb, (size_t)la) != 0);
    raw_write(fb, "from-b");
    int lt = recv_stream(stream, tmp, sizeof tmp, "from-b");
    CHECK_MEM(tmp, lt, idb, lb);
    send_stream(stream, ida, (size_t)la, "to-a");
    send_stream(stream, idb, (size_t)lb, "to-b");
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
    int port;
    int lfd = raw_listen(&port);
    void *stream = test_socket(ctx, ZMQ_STREAM);
    CHECK_OK(zmq_setsockopt(stream, ZMQ_CONNECT_ROUTING_ID, "out", 3));
    char ep[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_OK(zmq_connect(stream, ep));
    struct pollfd p = {lfd, POLLIN, 0};
    CHECK_INT(poll(&p, 1, 2000), ==, 1);
    int fd = accept(lfd, NULL, NULL);
    CHECK(fd >= 0);
    unsigned char id[256];
    int idlen = recv_stream(stream, id, sizeof id, "");
    CHECK_MEM(id, idlen, "out", 3);
    send_stream(stream, "out", 3, "ping");
    raw_read_expect(fd, "ping");
    raw_write(fd, "pong");
    recv_stream(stream, id, sizeof id, "pong");
    CHECK_MEM(id, idlen, "out", 3);
    close(fd);
    close(lfd);
    close_zero_linger(stream);
}

/* A message for a routing id that is not connected fails with EHOSTUNREACH. */
static void stream_shall_refuse_unknown_routing_ids_with_ehostunreach(void)
{
    void *stream = test_socket(ctx, ZMQ_STREAM);
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(stream, ep, sizeof ep);
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
