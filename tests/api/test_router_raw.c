/* ZMQ_ROUTER_RAW (deprecated in libzmq, still accepted by 4.3.4, set by czmq): a ROUTER whose connections
 * speak raw bytes like STREAM's. Behaviour as libzmq 4.3.4 shows it: accepted on ROUTER (and REP, which is
 * a ROUTER there), any value >= 0, never readable back; [id][""] announces a peer's connect and disconnect;
 * a body frame's MORE flag is ignored; [id][""] sent closes that connection. */
#include "rawpeer.h"

static void *ctx;

static void *raw_router(void)
{
    void *r = test_socket(ctx, ZMQ_ROUTER);
    set_int(r, ZMQ_ROUTER_RAW, 1);
    return r;
}

/* Accepted on ROUTER and REP with any value >= 0; EINVAL for other types, negative values, a wrong size;
 * never readable (EINVAL); ZMQ_STREAM_NOTIFY stays a STREAM-only option. */
static void router_raw_option_shall_match_libzmq(void)
{
    int types[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_DEALER, ZMQ_PULL, ZMQ_PUSH, ZMQ_XPUB, ZMQ_XSUB,
                   ZMQ_STREAM};
    int one = 1, two = 2, zero = 0, minus = -1, v = 0;
    size_t len = sizeof v;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = test_socket(ctx, types[i]);
        CHECK_ERR(zmq_setsockopt(s, ZMQ_ROUTER_RAW, &one, sizeof one), EINVAL);
        CHECK_OK(zmq_close(s));
    }
    void *rep = test_socket(ctx, ZMQ_REP);
    CHECK_OK(zmq_setsockopt(rep, ZMQ_ROUTER_RAW, &one, sizeof one));
    CHECK_OK(zmq_close(rep));
    void *r = test_socket(ctx, ZMQ_ROUTER);
    CHECK_OK(zmq_setsockopt(r, ZMQ_ROUTER_RAW, &zero, sizeof zero));
    CHECK_OK(zmq_setsockopt(r, ZMQ_ROUTER_RAW, &two, sizeof two));
    CHECK_ERR(zmq_setsockopt(r, ZMQ_ROUTER_RAW, &minus, sizeof minus), EINVAL);
    CHECK_ERR(zmq_setsockopt(r, ZMQ_ROUTER_RAW, &one, 1), EINVAL);
    CHECK_ERR(zmq_getsockopt(r, ZMQ_ROUTER_RAW, &v, &len), EINVAL);
    CHECK_ERR(zmq_setsockopt(r, ZMQ_STREAM_NOTIFY, &zero, sizeof zero), EINVAL);
    CHECK_EQ(get_int(r, ZMQ_TYPE), ZMQ_ROUTER);
    CHECK_OK(zmq_close(r));
}

/* A raw TCP client is announced as [id][""], its bytes arrive as [id][bytes], [id][bytes] goes back as
 * plain bytes, and its hang-up is announced as [id][""] with the same id. */
static void router_raw_shall_carry_raw_bytes_and_announce_peers(void)
{
    void *r = raw_router();
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(r, ep, sizeof ep);
    int fd = raw_connect(ep);
    unsigned char id[256], id2[256];
    int idlen = recv_routed(r, id, sizeof id, "");
    raw_write(fd, "hello");
    int idlen2 = recv_routed(r, id2, sizeof id2, "hello");
    CHECK_MEM(id2, idlen2, id, idlen);
    send_buf(r, id, (size_t)idlen, ZMQ_SNDMORE);
    send_str(r, "world");
    raw_read_expect(fd, "world");
    close(fd);
    idlen2 = recv_routed(r, id2, sizeof id2, "");
    CHECK_MEM(id2, idlen2, id, idlen);
    close_zero_linger(r);
}

/* The body's MORE flag is ignored: [id][a, MORE] writes "a" and ends the message, so the next frame is a
 * routing id again (an unknown one without MORE: dropped). */
static void router_raw_shall_ignore_more_on_the_body(void)
{
    void *r = raw_router();
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(r, ep, sizeof ep);
    int fd = raw_connect(ep);
    unsigned char id[256];
    int idlen = recv_routed(r, id, sizeof id, "");
    send_buf(r, id, (size_t)idlen, ZMQ_SNDMORE);
    send_str_more(r, "first");
    send_str(r, "dropped");
    send_buf(r, id, (size_t)idlen, ZMQ_SNDMORE);
    send_str(r, "+second");
    raw_read_expect(fd, "first+second");
    close(fd);
    close_zero_linger(r);
}

/* [id][""] closes that connection after what was sent before it; the application is not told back. */
static void router_raw_shall_close_a_connection_when_sent_an_empty_body(void)
{
    void *r = raw_router();
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(r, ep, sizeof ep);
    int fd = raw_connect(ep);
    unsigned char id[256];
    int idlen = recv_routed(r, id, sizeof id, "");
    send_buf(r, id, (size_t)idlen, ZMQ_SNDMORE);
    send_str(r, "last words");
    send_buf(r, id, (size_t)idlen, ZMQ_SNDMORE);
    send_str(r, "");
    raw_read_expect(fd, "last words");
    raw_expect_eof(fd, r);
    expect_no_msg(r, 50);
    close(fd);
    close_zero_linger(r);
}

/* A raw router connecting to a plain TCP server: [id][""] when connected, then the server's bytes; with
 * ZMQ_CONNECT_ROUTING_ID the id is that name and data sent before the connection is up is delivered. */
static void router_raw_shall_connect_to_a_plain_tcp_server(void)
{
    int port = 0;
    int lfd = raw_listen(&port);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);

    void *r = raw_router();
    CHECK_OK(zmq_connect(r, ep));
    int fd = raw_accept(lfd, 3000);
    unsigned char id[256], id2[256];
    int idlen = recv_routed(r, id, sizeof id, "");
    raw_write(fd, "srv");
    int idlen2 = recv_routed(r, id2, sizeof id2, "srv");
    CHECK_MEM(id2, idlen2, id, idlen);

    void *named = raw_router();
    CHECK_OK(zmq_setsockopt(named, ZMQ_CONNECT_ROUTING_ID, "peer", 4));
    CHECK_OK(zmq_connect(named, ep));
    send_str_more(named, "peer");
    send_str(named, "early");
    int fd2 = raw_accept(lfd, 3000);
    raw_read_expect(fd2, "early");
    idlen = recv_routed(named, id, sizeof id, "");
    CHECK_MEM(id, idlen, "peer", 4);

    close_zero_linger(r);
    close_zero_linger(named);
    close(fd);
    close(fd2);
    close(lfd);
}

/* A raw router sees a ZMTP peer's greeting as bytes: libzmq's first 10 (signature) come first. */
static void router_raw_shall_not_speak_zmtp(void)
{
    void *r = raw_router();
    char ep[TU_ENDPOINT_LEN];
    bind_ephemeral(r, ep, sizeof ep);
    void *dealer = connected_socket(ctx, ZMQ_DEALER, ep);
    unsigned char id[256], buf[64];
    recv_routed(r, id, sizeof id, "");
    int more = 0;
    CHECK_INT(recv_timeout(r, id, sizeof id, 2000, &more), >, 0);
    int n = recv_timeout(r, buf, sizeof buf, 2000, &more);
    CHECK_INT(n, >=, 10);
    CHECK_EQ(buf[0], 0xff);
    CHECK_EQ(buf[9], 0x7f);
    close_zero_linger(dealer);
    close_zero_linger(r);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(router_raw_option_shall_match_libzmq);
    RUN(router_raw_shall_carry_raw_bytes_and_announce_peers);
    RUN(router_raw_shall_ignore_more_on_the_body);
    RUN(router_raw_shall_close_a_connection_when_sent_an_empty_body);
    RUN(router_raw_shall_connect_to_a_plain_tcp_server);
    RUN(router_raw_shall_not_speak_zmtp);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
