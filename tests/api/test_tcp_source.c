/* tcp source addresses ("tcp://src-host:src-port;dst-host:dst-port"): the connecting side binds its end to
 * the source before it connects, so the peer sees that address and port. The source is resolved like a
 * bind (addresses, interface names, port "*" or 0 for any); one that cannot be bound makes the connection
 * retry without harm. */
#include "rawpeer.h"

static void *ctx;

/* Accepts one connection within 5 s and returns its peer address. */
static void accept_peer(int lfd, struct sockaddr_in *peer)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, 5000), 1);
    socklen_t len = sizeof *peer;
    int fd = accept(lfd, (struct sockaddr *)peer, &len);
    CHECK(fd >= 0);
    close(fd);
}

/* An explicit source port is the port the peer sees. */
static void connect_shall_bind_the_source_address_and_port(void)
{
    int port = 0;
    int lfd = raw_listen(&port);
    int src = free_tcp_port();
    char ep[96];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d;127.0.0.1:%d", src, port);
    void *s = connected_socket(ctx, ZMQ_DEALER, ep);
    char last[TU_ENDPOINT_LEN];
    get_last_endpoint(s, last, sizeof last);
    CHECK_STR(last, ep);
    struct sockaddr_in peer;
    accept_peer(lfd, &peer);
    CHECK_EQ(ntohs(peer.sin_port), src);
    CHECK_EQ(ntohl(peer.sin_addr.s_addr), INADDR_LOOPBACK);
    close_zero_linger(s);
    close(lfd);
}

/* A source host with port 0 or "*": any port, that host. The bound side's Peer-Address shows it. */
static void source_host_shall_be_the_peer_address(void)
{
    const char *sources[] = {"127.0.0.2:0", "127.0.0.2:*", "lo:0"};
    const char *expect[] = {"127.0.0.2", "127.0.0.2", "127.0.0.1"};
    for (int i = 0; i < 3; i++) {
        void *pull = test_socket(ctx, ZMQ_PULL);
        char last[TU_ENDPOINT_LEN], ep[TU_ENDPOINT_LEN + 32];
        bind_ephemeral(pull, last, sizeof last);
        snprintf(ep, sizeof ep, "tcp://%s;%s", sources[i], last + strlen("tcp://"));
        void *push = connected_socket(ctx, ZMQ_PUSH, ep);
        send_str(push, "from a source");
        zmq_msg_t m;
        zmq_msg_init(&m);
        set_int(pull, ZMQ_RCVTIMEO, 5000);
        CHECK_OK(zmq_msg_recv(&m, pull, 0));
        CHECK_MEM(zmq_msg_data(&m), zmq_msg_size(&m), "from a source", 13);
        const char *addr = zmq_msg_gets(&m, "Peer-Address");
        CHECK(addr != NULL);
        CHECK_STR(addr, expect[i]);
        zmq_msg_close(&m);
        close_zero_linger(push);
        close_zero_linger(pull);
    }
}

/* A source that cannot be bound (not local, or a port in use by a listener) only delays: the connect
 * keeps retrying and nothing arrives, with no crash; zmq_connect itself succeeds. */
static void an_unbindable_source_shall_retry_quietly(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    char last[TU_ENDPOINT_LEN], ep[TU_ENDPOINT_LEN + 128];
    bind_ephemeral(pull, last, sizeof last);
    int busy_port = 0;
    int busy = raw_listen(&busy_port);
    char src[2][48];
    snprintf(src[0], sizeof src[0], "1.2.3.4:0");
    snprintf(src[1], sizeof src[1], "127.0.0.1:%d", busy_port);
    for (int i = 0; i < 2; i++) {
        snprintf(ep, sizeof ep, "tcp://%s;%s", src[i], last + strlen("tcp://"));
        void *push = test_socket(ctx, ZMQ_PUSH);
        set_int(push, ZMQ_RECONNECT_IVL, 20);
        CHECK_OK(zmq_connect(push, ep));
        CHECK_EQ(zmq_send(push, "x", 1, ZMQ_DONTWAIT), 1);   /* queued for the connection to come */
        expect_no_msg(pull, 300);
        close_zero_linger(push);
    }
    close(busy);
    close_zero_linger(pull);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(connect_shall_bind_the_source_address_and_port);
    RUN(source_host_shall_be_the_peer_address);
    RUN(an_unbindable_source_shall_retry_quietly);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
