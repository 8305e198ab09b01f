/* STREAM to STREAM, as libzmq 4.3.4 behaves: the connecting side learns the connection's routing id from
 * its connect notification ([id][""], a generated 5-byte id starting with 0, or ZMQ_CONNECT_ROUTING_ID);
 * [id][""] sent closes that connection and the peer is told with [id][""], the closer is not; with
 * ZMQ_STREAM_NOTIFY 0 on both sides no empty frames appear at all. */
/* recv_routed waits up to 3 s here (the default is 2 s); defined before testutil.h reads it. */
#define TU_ROUTED_RECV_MS 3000
#include "testutil.h"

static void *ctx;

static void *stream_server(char *ep, size_t cap)
{
    void *srv = test_socket(ctx, ZMQ_STREAM);
    bind_ephemeral(srv, ep, cap);
    return srv;
}

/* Accepted on STREAM only, 0 or 1, never readable back. */
static void stream_notify_option_shall_match_libzmq(void)
{
    void *s = test_socket(ctx, ZMQ_STREAM);
    int v = 0, two = 2, minus = -1;
    size_t len = sizeof v;
    set_int(s, ZMQ_STREAM_NOTIFY, 0);
    set_int(s, ZMQ_STREAM_NOTIFY, 1);
    CHECK_ERR(zmq_setsockopt(s, ZMQ_STREAM_NOTIFY, &two, sizeof two), EINVAL);
    CHECK_ERR(zmq_setsockopt(s, ZMQ_STREAM_NOTIFY, &minus, sizeof minus), EINVAL);
    CHECK_ERR(zmq_setsockopt(s, ZMQ_STREAM_NOTIFY, &two, 1), EINVAL);
    CHECK_ERR(zmq_getsockopt(s, ZMQ_STREAM_NOTIFY, &v, &len), EINVAL);   /* write-only in libzmq */
    CHECK_OK(zmq_close(s));
    int others[] = {ZMQ_PAIR, ZMQ_ROUTER, ZMQ_DEALER, ZMQ_PUB};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        void *o = test_socket(ctx, others[i]);
        int one = 1;
        CHECK_ERR(zmq_setsockopt(o, ZMQ_STREAM_NOTIFY, &one, sizeof one), EINVAL);
        CHECK_OK(zmq_close(o));
    }
}

/* Without ZMQ_CONNECT_ROUTING_ID the connecter gets a generated id in its connect notification and
 * addresses the connection with it; each side's notification comes first, then data both ways. */
static void stream_connecter_shall_learn_a_generated_id(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *srv = stream_server(ep, sizeof ep);
    void *cli = connected_socket(ctx, ZMQ_STREAM, ep);
    unsigned char sid[256], cid[256], id[256];
    int sidlen = recv_routed(srv, sid, sizeof sid, "");
    int cidlen = recv_routed(cli, cid, sizeof cid, "");
    CHECK_EQ(cidlen, 5);
    CHECK_EQ(cid[0], 0);
    send_routed(cli, cid, cidlen, "ping");
    int idlen = recv_routed(srv, id, sizeof id, "ping");
    CHECK_MEM(id, idlen, sid, sidlen);
    send_routed(srv, sid, sidlen, "pong");
    idlen = recv_routed(cli, id, sizeof id, "pong");
    CHECK_MEM(id, idlen, cid, cidlen);
    close_zero_linger(cli);
    close_zero_linger(srv);
}

/* The connecter closes with [id][""]: the server hears [sid][""]; the connecter hears nothing and does not
 * reconnect. */
static void stream_connecter_shall_close_with_an_empty_frame(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *srv = stream_server(ep, sizeof ep);
    void *cli = connected_socket(ctx, ZMQ_STREAM, ep);
    unsigned char sid[256], cid[256], id[256];
    int sidlen = recv_routed(srv, sid, sizeof sid, "");
    int cidlen = recv_routed(cli, cid, sizeof cid, "");
    send_routed(cli, cid, cidlen, "bye");
    send_routed(cli, cid, cidlen, "");
    recv_routed(srv, id, sizeof id, "bye");
    /* libzmq closes once the closer's thread has processed the pipe's end: keep it busy meanwhile */
    int got = 0;
    for (int i = 0; i < 300 && !got; i++) {
        CHECK_EQ(poll_in(cli, 0), 0);
        got = poll_in(srv, 10);
    }
    CHECK(got);
    int idlen = recv_routed(srv, id, sizeof id, "");
    CHECK_MEM(id, idlen, sid, sidlen);
    expect_no_msg(cli, 300);
    expect_no_msg(srv, 100);
    close_zero_linger(cli);
    close_zero_linger(srv);
}

/* The server closes with [sid][""]: the connecter hears [cid][""], reconnects (default ZMQ_RECONNECT_IVL)
 * and hears [cid][""] again under the same id, while the server hears only the new connection, under a new
 * id: never its own close. (With ZMQ_RECONNECT_IVL -1 libzmq 4.3.4 loses the connecter's disconnect
 * notification; zinc delivers it. See docs/compat/sockets.md.) */
static void stream_server_close_shall_notify_the_connecter(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *srv = stream_server(ep, sizeof ep);
    void *cli = connected_socket(ctx, ZMQ_STREAM, ep);
    unsigned char sid[256], cid[256], id[256];
    int sidlen = recv_routed(srv, sid, sizeof sid, "");
    int cidlen = recv_routed(cli, cid, sizeof cid, "");
    send_routed(srv, sid, sidlen, "");
    int got = 0;
    for (int i = 0; i < 300 && !got; i++) {
        poll_in(srv, 0);
        got = poll_in(cli, 10);
    }
    CHECK(got);
    int idlen = recv_routed(cli, id, sizeof id, "");   /* disconnected */
    CHECK_MEM(id, idlen, cid, cidlen);
    idlen = recv_routed(cli, id, sizeof id, "");       /* connected again */
    CHECK_MEM(id, idlen, cid, cidlen);
    idlen = recv_routed(srv, id, sizeof id, "");       /* the new connection */
    CHECK(idlen != sidlen || memcmp(id, sid, (size_t)sidlen) != 0);
    expect_no_msg(srv, 100);
    close_zero_linger(cli);
    close_zero_linger(srv);
}

/* ZMQ_STREAM_NOTIFY 0 on both sides: data only. The connecter names the connection itself. */
static void stream_notify_off_shall_carry_data_only(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *srv = test_socket(ctx, ZMQ_STREAM);
    set_int(srv, ZMQ_STREAM_NOTIFY, 0);
    bind_ephemeral(srv, ep, sizeof ep);
    void *cli = test_socket(ctx, ZMQ_STREAM);
    set_int(cli, ZMQ_STREAM_NOTIFY, 0);
    CHECK_OK(zmq_setsockopt(cli, ZMQ_CONNECT_ROUTING_ID, "s", 1));
    CHECK_OK(zmq_connect(cli, ep));
    send_routed(cli, (const unsigned char *)"s", 1, "ping");
    unsigned char sid[256], id[256];
    int sidlen = recv_routed(srv, sid, sizeof sid, "ping");
    send_routed(srv, sid, sidlen, "pong");
    int idlen = recv_routed(cli, id, sizeof id, "pong");
    CHECK_MEM(id, idlen, "s", 1);
    close_zero_linger(cli);
    expect_no_msg(srv, 200);
    close_zero_linger(srv);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(stream_notify_option_shall_match_libzmq);
    RUN(stream_connecter_shall_learn_a_generated_id);
    RUN(stream_connecter_shall_close_with_an_empty_frame);
    RUN(stream_server_close_shall_notify_the_connecter);
    RUN(stream_notify_off_shall_carry_data_only);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
