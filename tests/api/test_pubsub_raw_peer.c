/* Raw TCP peers that speak ZMTP by hand to PUB and SUB sockets, to check how subscriptions travel on the
 * wire (RFC 23 / RFC 37): a ZMTP 3.0 peer exchanges them as messages (0x01 / 0x00 + topic), a ZMTP 3.1
 * peer as SUBSCRIBE / CANCEL commands. A PUB must take both forms; a SUB must send each peer the form it
 * speaks, and send all its subscriptions again when it reconnects. Passes against libzmq 4.3.4 too. */
#include "rawpeer.h"

/* ---- the raw peer ------------------------------------------------------------------------------------ */
/* Accepts one connection within timeout_ms, pumping sock meanwhile (its reconnects run on our thread). */
static int raw_accept_pumping(int lfd, void *sock, int timeout_ms)
{
    CHECK(raw_wait_readable(lfd, sock, timeout_ms));
    int fd = accept(lfd, NULL, NULL);
    CHECK(fd >= 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Sends our greeting for ZMTP 3.<minor> with the NULL mechanism and checks the peer's. */
static void raw_greet(int fd, void *sock, int minor)
{
    raw_send_greeting(fd, minor);
    uint8_t theirs[64];
    CHECK_EQ(raw_recv_pumping(fd, sock, theirs, 64, 3000), 64);
    CHECK_EQ(theirs[0], 0xff);
    CHECK_EQ(theirs[9] & 1, 1);
    CHECK_EQ(theirs[10], 3);
    CHECK(memcmp(theirs + 12, "NULL", 5) == 0);
}

/* The peer's READY, naming its socket type. */
static void raw_expect_ready(int fd, void *sock, const char *type)
{
    uint8_t flags, body[512];
    int n = raw_recv_frame(fd, sock, &flags, body, sizeof body, 3000);
    CHECK(n > 6);
    CHECK_EQ(flags, 0x04);
    CHECK(memcmp(body, "\5READY", 6) == 0);
    size_t tlen = strlen(type);
    int found = 0;
    for (size_t i = 0; i + tlen <= (size_t)n && !found; i++)
        found = memcmp(body + i, type, tlen) == 0;
    CHECK(found);
}

/* Connects a raw peer speaking ZMTP 3.<minor> as a SUB to the PUB bound on tcp. */
static int raw_subscriber(void *pub, int minor)
{
    int fd = raw_connect_bound(pub);
    raw_greet(fd, pub, minor);
    raw_send_ready(fd, "SUB");
    raw_expect_ready(fd, pub, "PUB");
    return fd;
}

/* Publishes "<unwanted>-n" and "<wanted>-n" in turns until a wanted one reaches the raw subscriber (its
 * subscription is in effect), then some more rounds: from the first wanted message on, no unwanted one
 * may arrive; before it, only if unwanted_before (a topic just cancelled may still be in flight). */
static void expect_published(void *pub, int fd, const char *wanted, const char *unwanted, int unwanted_before)
{
    int64_t deadline = now_ms() + 5000;
    int seen_wanted = 0, rounds_after = 0;
    char want_prefix[32], unwanted_prefix[32], msg[64];
    snprintf(want_prefix, sizeof want_prefix, "%s-", wanted);
    snprintf(unwanted_prefix, sizeof unwanted_prefix, "%s-", unwanted);
    for (int n = 0; rounds_after < 20; n++) {
        if (now_ms() > deadline)
            tu_fail(__FILE__, __LINE__, "\"%s\" messages never arrived", wanted);
        snprintf(msg, sizeof msg, "%s%d", unwanted_prefix, n);
        CHECK_EQ(zmq_send(pub, msg, strlen(msg), ZMQ_DONTWAIT), (int)strlen(msg));
        snprintf(msg, sizeof msg, "%s%d", want_prefix, n);
        CHECK_EQ(zmq_send(pub, msg, strlen(msg), ZMQ_DONTWAIT), (int)strlen(msg));
        if (seen_wanted)
            rounds_after++;
        uint8_t flags, body[256];
        int len;
        while ((len = raw_recv_frame(fd, pub, &flags, body, sizeof body - 1, 20)) >= 0) {
            body[len] = 0;
            CHECK_EQ(flags, 0);   /* one-frame messages */
            if (strncmp((char *)body, want_prefix, strlen(want_prefix)) == 0) {
                seen_wanted = 1;
            } else if (strncmp((char *)body, unwanted_prefix, strlen(unwanted_prefix)) == 0) {
                if (seen_wanted || !unwanted_before)
                    tu_fail(__FILE__, __LINE__, "got \"%s\" though not subscribed to \"%s\"", body, unwanted);
            } else {
                tu_fail(__FILE__, __LINE__, "unexpected message \"%s\"", body);
            }
        }
    }
}

/* ---- a PUB and a raw subscriber ---------------------------------------------------------------------- */
/* ZMTP 3.0: subscriptions are messages, 0x01 + topic / 0x00 + topic. */
static void pub_shall_take_subscription_messages_from_a_zmtp_3_0_peer(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pub = test_socket(ctx, ZMQ_PUB);
    CHECK_OK(zmq_bind(pub, "tcp://127.0.0.1:*"));
    int fd = raw_subscriber(pub, 0);
    raw_send_frame(fd, 0, "\1A", 2);
    expect_published(pub, fd, "A", "B", 0);
    raw_send_frame(fd, 0, "\0A", 2);
    raw_send_frame(fd, 0, "\1C", 2);
    expect_published(pub, fd, "C", "A", 1);
    close(fd);
    zmq_close(pub);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ZMTP 3.1 (RFC 37): SUBSCRIBE and CANCEL commands. */
static void pub_shall_take_subscribe_and_cancel_commands_from_a_zmtp_3_1_peer(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *pub = test_socket(ctx, ZMQ_PUB);
    CHECK_OK(zmq_bind(pub, "tcp://127.0.0.1:*"));
    int fd = raw_subscriber(pub, 1);
    raw_send_command(fd, "SUBSCRIBE", "A", 1);
    expect_published(pub, fd, "A", "B", 0);
    raw_send_command(fd, "CANCEL", "A", 1);
    raw_send_command(fd, "SUBSCRIBE", "C", 1);
    expect_published(pub, fd, "C", "A", 1);
    /* the message form still works on 3.1 */
    raw_send_frame(fd, 0, "\0C", 2);
    raw_send_frame(fd, 0, "\1D", 2);
    expect_published(pub, fd, "D", "C", 1);
    close(fd);
    zmq_close(pub);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- a SUB and a raw publisher ----------------------------------------------------------------------- */
/* Accepts the SUB's connection on lfd as a raw PUB speaking ZMTP 3.<minor>. */
static int raw_publisher(int lfd, void *sub, int minor)
{
    int fd = raw_accept_pumping(lfd, sub, 3000);
    raw_greet(fd, sub, minor);
    raw_send_ready(fd, "PUB");
    raw_expect_ready(fd, sub, "SUB");
    return fd;
}

/* Reads the next frame and checks it is the subscription (subscribe or cancel) of topic in the form a
 * ZMTP 3.<minor> peer gets. */
static void expect_subscription(int fd, void *sub, int minor, int subscribe, const char *topic)
{
    uint8_t flags, body[256];
    int n = raw_recv_frame(fd, sub, &flags, body, sizeof body, 3000);
    CHECK(n >= 0);
    uint8_t want[256];
    size_t want_len, tlen = strlen(topic);
    if (minor >= 1) {
        const char *name = subscribe ? "SUBSCRIBE" : "CANCEL";
        want[0] = (uint8_t)strlen(name);
        memcpy(want + 1, name, want[0]);
        memcpy(want + 1 + want[0], topic, tlen);
        want_len = 1 + want[0] + tlen;
        CHECK_EQ(flags, 0x04);
    } else {
        want[0] = subscribe ? 1 : 0;
        memcpy(want + 1, topic, tlen);
        want_len = 1 + tlen;
        CHECK_EQ(flags, 0x00);
    }
    if ((size_t)n != want_len || memcmp(body, want, want_len) != 0) {
        char got_hex[600], want_hex[600];
        tu_hex(got_hex, sizeof got_hex, body, (size_t)n);
        tu_hex(want_hex, sizeof want_hex, want, want_len);
        tu_fail(__FILE__, __LINE__, "subscription frame %s, expected %s", got_hex, want_hex);
    }
}

static void sub_shall_send_subscriptions_in_the_form_its_peer_speaks(int minor)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    int port = 0;
    int lfd = raw_listen(&port);
    void *sub = test_socket(ctx, ZMQ_SUB);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "topic", 5));
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_OK(zmq_connect(sub, ep));
    int fd = raw_publisher(lfd, sub, minor);
    /* made before the connection: sent once it is up */
    expect_subscription(fd, sub, minor, 1, "topic");
    /* made while connected; the empty topic too */
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "later", 5));
    expect_subscription(fd, sub, minor, 1, "later");
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0));
    expect_subscription(fd, sub, minor, 1, "");
    CHECK_OK(zmq_setsockopt(sub, ZMQ_UNSUBSCRIBE, "", 0));
    expect_subscription(fd, sub, minor, 0, "");
    CHECK_OK(zmq_setsockopt(sub, ZMQ_UNSUBSCRIBE, "topic", 5));
    expect_subscription(fd, sub, minor, 0, "topic");
    /* and it filters what arrives as well: a publisher need not */
    raw_send_frame(fd, 0, "topic-gone", 10);
    raw_send_frame(fd, 0, "later-1", 7);
    char buf[32];
    CHECK_EQ(recv_timeout(sub, buf, sizeof buf, 3000, NULL), 7);
    CHECK(memcmp(buf, "later-1", 7) == 0);
    expect_no_msg(sub, 50);
    close(fd);
    close(lfd);
    zmq_close(sub);
    CHECK_OK(zmq_ctx_term(ctx));
}

static void sub_shall_send_subscribe_commands_to_a_zmtp_3_1_peer(void)
{
    sub_shall_send_subscriptions_in_the_form_its_peer_speaks(1);
}

static void sub_shall_send_subscription_messages_to_a_zmtp_3_0_peer(void)
{
    sub_shall_send_subscriptions_in_the_form_its_peer_speaks(0);
}

/* The connection drops and comes back: the new one gets every current subscription again (once each, in
 * whatever order), in the form the new peer speaks. */
static void sub_shall_resend_its_subscriptions_when_it_reconnects(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    int port = 0;
    int lfd = raw_listen(&port);
    void *sub = test_socket(ctx, ZMQ_SUB);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "a", 1));
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "b", 1));
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "b", 1));
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "gone", 4));
    CHECK_OK(zmq_setsockopt(sub, ZMQ_UNSUBSCRIBE, "gone", 4));
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_OK(zmq_connect(sub, ep));
    int fd = raw_publisher(lfd, sub, 1);
    int got_a = 0, got_b = 0;
    while (!(got_a && got_b)) {
        uint8_t flags, body[64];
        int n = raw_recv_frame(fd, sub, &flags, body, sizeof body, 3000);
        CHECK_EQ(n, 11);
        CHECK_EQ(flags, 0x04);
        CHECK(memcmp(body, "\x09SUBSCRIBE", 10) == 0);
        got_a |= body[10] == 'a';
        got_b |= body[10] == 'b';
    }
    close(fd);
    /* the SUB reconnects; this time the peer speaks ZMTP 3.0 */
    fd = raw_publisher(lfd, sub, 0);
    got_a = got_b = 0;
    while (!(got_a && got_b)) {
        uint8_t flags, body[64];
        int n = raw_recv_frame(fd, sub, &flags, body, sizeof body, 3000);
        CHECK_EQ(n, 2);
        CHECK_EQ(flags, 0);
        CHECK_EQ(body[0], 1);
        CHECK(body[1] == 'a' || body[1] == 'b');
        got_a |= body[1] == 'a';
        got_b |= body[1] == 'b';
    }
    /* and the subscriptions are in effect on the new connection */
    raw_send_frame(fd, 0, "gone-1", 6);
    raw_send_frame(fd, 0, "b-1", 3);
    char buf[16];
    CHECK_EQ(recv_timeout(sub, buf, sizeof buf, 3000, NULL), 3);
    CHECK(memcmp(buf, "b-1", 3) == 0);
    close(fd);
    close(lfd);
    zmq_close(sub);
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(60);
    RUN(pub_shall_take_subscription_messages_from_a_zmtp_3_0_peer);
    RUN(pub_shall_take_subscribe_and_cancel_commands_from_a_zmtp_3_1_peer);
    RUN(sub_shall_send_subscribe_commands_to_a_zmtp_3_1_peer);
    RUN(sub_shall_send_subscription_messages_to_a_zmtp_3_0_peer);
    RUN(sub_shall_resend_its_subscriptions_when_it_reconnects);
    return test_end();
}
