/* RFC 29 (PUBSUB): PUB, SUB, XPUB and XSUB, each check over inproc, ipc and tcp. Every test first waits
 * for its subscriptions to reach the publisher (await_subscription) instead of sleeping blindly. */
#include "testutil.h"

static void *ctx;

static void subscribe(void *sub, const void *topic, size_t len)
{
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, len));
}

static void unsubscribe(void *sub, const void *topic, size_t len)
{
    CHECK_OK(zmq_setsockopt(sub, ZMQ_UNSUBSCRIBE, topic, len));
}

/* A PUB (or XPUB when xpub) bound on tr, and a SUB connected to it. */
static void make_pub_sub(const char *tr, int pub_type, void **pub, void **sub, char *ep, size_t eplen)
{
    *pub = bound_socket(ctx, pub_type, tr, ep, eplen);
    *sub = connected_socket(ctx, ZMQ_SUB, ep);
}

/* "SHALL deliver ... only messages whose first frame starts with a subscribed prefix" (byte-wise,
 * binary-safe). */
static void sub_shall_receive_only_messages_matching_a_subscribed_prefix(const char *tr)
{
    void *pub, *sub;
    char ep[TU_ENDPOINT_LEN];
    make_pub_sub(tr, ZMQ_PUB, &pub, &sub, ep, sizeof ep);
    subscribe(sub, "\0\1", 2);
    subscribe(sub, "AB", 2);
    await_subscription(pub, sub, "AB"); /* the earlier "\0\1" travelled ahead of it */
    const char *nope[] = {"A", "BA", "", "aB", "xAB"};
    for (size_t i = 0; i < sizeof nope / sizeof nope[0]; i++)
        send_str(pub, nope[i]);
    send_buf(pub, "\0\2", 2, 0);
    send_str(pub, "AB");
    send_str(pub, "ABC");
    send_buf(pub, "AB\0x", 4, 0);
    send_buf(pub, "\0\1z", 3, 0);
    recv_expect(sub, "AB");
    recv_expect(sub, "ABC");
    recv_expect_buf(sub, "AB\0x", 4, 0);
    recv_expect_buf(sub, "\0\1z", 3, 0);
    expect_no_msg(sub, 50);
    close_zero_linger(sub);
    close_zero_linger(pub);
}

/* A SUB with no subscription receives nothing; the empty subscription matches every message. */
static void sub_shall_receive_everything_with_an_empty_subscription_and_nothing_without_one(const char *tr)
{
    void *pub, *sub;
    char ep[TU_ENDPOINT_LEN];
    make_pub_sub(tr, ZMQ_PUB, &pub, &sub, ep, sizeof ep);
    void *all = connected_socket(ctx, ZMQ_SUB, ep);
    subscribe(all, "", 0);
    await_subscription(pub, all, "");
    send_str(pub, "anything");
    send_str(pub, "");
    send_buf(pub, "\xff\x00", 2, 0);
    recv_expect(all, "anything");
    recv_expect(all, "");
    recv_expect_buf(all, "\xff\x00", 2, 0);
    expect_no_msg(sub, 50);
    close_zero_linger(all);
    close_zero_linger(sub);
    close_zero_linger(pub);
}

/* "SHALL distribute ... to all subscribers" whose subscription matches. */
static void pub_shall_send_each_message_to_all_matching_subscribers(const char *tr)
{
    enum { SUBS = 3 };
    char ep[TU_ENDPOINT_LEN];
    void *pub = bound_socket(ctx, ZMQ_PUB, tr, ep, sizeof ep);
    void *subs[SUBS];
    for (int i = 0; i < SUBS; i++) {
        subs[i] = test_socket(ctx, ZMQ_SUB);
        subscribe(subs[i], "news", 4);
        CHECK_OK(zmq_connect(subs[i], ep));
    }
    void *other = test_socket(ctx, ZMQ_SUB);
    subscribe(other, "sport", 5);
    CHECK_OK(zmq_connect(other, ep));
    await_subscriptions(pub, subs, SUBS, "news");
    await_subscription(pub, other, "sport");
    send_str(pub, "news-1");
    send_str(pub, "sport-1");
    send_str_more(pub, "news-2");
    send_str(pub, "second part");
    for (int i = 0; i < SUBS; i++) {
        recv_expect(subs[i], "news-1");
        recv_expect_more(subs[i], "news-2");
        recv_expect(subs[i], "second part");
        expect_no_msg(subs[i], 0);
    }
    recv_expect(other, "sport-1");
    expect_no_msg(other, 20);
    for (int i = 0; i < SUBS; i++)
        close_zero_linger(subs[i]);
    close_zero_linger(other);
    close_zero_linger(pub);
}

/* A SUB connected to several publishers receives from each of them. */
static void sub_shall_receive_from_all_connected_publishers(const char *tr)
{
    void *pub1 = test_socket(ctx, ZMQ_PUB);
    void *pub2 = test_socket(ctx, ZMQ_PUB);
    char ep1[TU_ENDPOINT_LEN], ep2[TU_ENDPOINT_LEN];
    bind_transport(pub1, tr, ep1, sizeof ep1);
    bind_transport(pub2, tr, ep2, sizeof ep2);
    void *sub = test_socket(ctx, ZMQ_SUB);
    subscribe(sub, "", 0);
    CHECK_OK(zmq_connect(sub, ep1));
    CHECK_OK(zmq_connect(sub, ep2));
    await_subscription(pub1, sub, "1");
    await_subscription(pub2, sub, "2");
    send_str(pub1, "from-1");
    send_str(pub2, "from-2");
    char buf[32];
    int seen1 = 0, seen2 = 0;
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(recv_timeout(sub, buf, sizeof buf, 2000, NULL), 6);
        seen1 += strcmp(buf, "from-1") == 0;
        seen2 += strcmp(buf, "from-2") == 0;
    }
    CHECK(seen1 == 1 && seen2 == 1);
    close_zero_linger(sub);
    close_zero_linger(pub1);
    close_zero_linger(pub2);
}

/* Subscriptions are counted: subscribing twice and unsubscribing once leaves the subscription in place;
 * the second unsubscribe removes it. */
static void subscriptions_shall_be_counted(const char *tr)
{
    void *pub, *sub;
    char ep[TU_ENDPOINT_LEN];
    make_pub_sub(tr, ZMQ_PUB, &pub, &sub, ep, sizeof ep);
    subscribe(sub, "A", 1);
    subscribe(sub, "A", 1);
    await_subscription(pub, sub, "A");
    unsubscribe(sub, "A", 1);
    /* subscription messages travel in order: once "Z" is in effect, the unsubscribe has been seen */
    subscribe(sub, "Z", 1);
    await_subscription(pub, sub, "Z");
    send_str(pub, "A-still-here");
    recv_expect(sub, "A-still-here");
    unsubscribe(sub, "A", 1);
    subscribe(sub, "Y", 1);
    await_subscription(pub, sub, "Y");
    send_str(pub, "A-gone");
    send_str(pub, "Y-here");
    recv_expect(sub, "Y-here");
    expect_no_msg(sub, 20);
    /* unsubscribing something never subscribed is accepted and harmless */
    unsubscribe(sub, "never", 5);
    close_zero_linger(sub);
    close_zero_linger(pub);
}

/* ZMQ_INVERT_MATCHING (on PUB and SUB): deliver the messages that do NOT match a subscription. */
static void invert_matching_shall_deliver_only_messages_that_do_not_match(const char *tr)
{
    void *pub = test_socket(ctx, ZMQ_PUB);
    set_int(pub, ZMQ_INVERT_MATCHING, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(pub, tr, ep, sizeof ep);
    void *sub = test_socket(ctx, ZMQ_SUB);
    set_int(sub, ZMQ_INVERT_MATCHING, 1);
    CHECK_EQ(get_int(sub, ZMQ_INVERT_MATCHING), 1);
    subscribe(sub, "A", 1);
    CHECK_OK(zmq_connect(sub, ep));
    await_subscription(pub, sub, "X");
    send_str(pub, "A1");
    send_str(pub, "B1");
    send_str(pub, "AB");
    send_str(pub, "C1");
    recv_expect(sub, "B1");
    recv_expect(sub, "C1");
    expect_no_msg(sub, 50);
    close_zero_linger(sub);
    close_zero_linger(pub);
}

/* "SHALL NOT block on sending": at the high-water mark a PUB drops messages; zmq_send still succeeds and
 * what does arrive is in order. */
static void pub_shall_never_block_and_shall_drop_messages_at_the_high_water_mark(const char *tr)
{
    void *pub = test_socket(ctx, ZMQ_PUB);
    set_int(pub, ZMQ_SNDHWM, 10);
    set_int(pub, ZMQ_SNDBUF, 4096);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(pub, tr, ep, sizeof ep);
    void *sub = test_socket(ctx, ZMQ_SUB);
    set_int(sub, ZMQ_RCVHWM, 10);
    set_int(sub, ZMQ_RCVBUF, 4096);
    subscribe(sub, "", 0);
    CHECK_OK(zmq_connect(sub, ep));
    await_subscription(pub, sub, "");
    enum { COUNT = 20000 };
    char msg[512];
    memset(msg, 'd', sizeof msg);
    int64_t t0 = now_ms();
    for (int i = 0; i < COUNT; i++) {
        memcpy(msg, &i, sizeof i);
        CHECK_EQ(zmq_send(pub, msg, sizeof msg, i % 2 ? ZMQ_DONTWAIT : 0), sizeof msg);
    }
    CHECK_INT(now_ms() - t0, <, 5000);
    int received = 0, last = -1;
    while (recv_timeout(sub, msg, sizeof msg, 300, NULL) >= 0) {
        int seq;
        memcpy(&seq, msg, sizeof seq);
        CHECK_INT(seq, >, last);
        last = seq;
        received++;
    }
    CHECK_INT(received, >=, 1);
    CHECK_INT(received, <, COUNT);
    /* a PUB with no subscribers at all just drops */
    char ep2[TU_ENDPOINT_LEN];
    void *lonely = bound_socket(ctx, ZMQ_PUB, tr, ep2, sizeof ep2);
    for (int i = 0; i < 2000; i++)
        CHECK_EQ(zmq_send(lonely, "x", 1, ZMQ_DONTWAIT), 1);
    close_zero_linger(lonely);
    close_zero_linger(sub);
    close_zero_linger(pub);
}

/* PUB cannot receive and SUB cannot send. */
static void pub_and_sub_shall_be_unidirectional(const char *tr)
{
    void *pub, *sub;
    char ep[TU_ENDPOINT_LEN], buf[8];
    make_pub_sub(tr, ZMQ_PUB, &pub, &sub, ep, sizeof ep);
    CHECK_ERR(zmq_recv(pub, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
    CHECK_ERR(zmq_send(sub, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
    /* ZMQ_SUBSCRIBE is a SUB/XSUB option */
    CHECK_ERR(zmq_setsockopt(pub, ZMQ_SUBSCRIBE, "", 0), EINVAL);
    close_zero_linger(sub);
    close_zero_linger(pub);
}

/* XPUB "SHALL deliver subscription messages to the application": 0x01 + topic to subscribe, 0x00 + topic
 * to cancel; without ZMQ_XPUB_VERBOSE only the first subscribe and the last cancel of a topic; a
 * subscriber that goes away cancels its subscriptions. */
static void xpub_shall_receive_subscriptions_as_messages(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *xpub = bound_socket(ctx, ZMQ_XPUB, tr, ep, sizeof ep);
    void *s1 = test_socket(ctx, ZMQ_SUB);
    void *s2 = test_socket(ctx, ZMQ_SUB);
    CHECK_OK(zmq_connect(s1, ep));
    CHECK_OK(zmq_connect(s2, ep));
    subscribe(s1, "topic", 5);
    recv_expect_buf(xpub, "\1topic", 6, 0);
    subscribe(s2, "topic", 5);
    subscribe(s2, "mark-1", 6); /* on the same pipe, after "topic": proves that one was swallowed */
    recv_expect_buf(xpub, "\1mark-1", 7, 0);
    unsubscribe(s1, "topic", 5);
    subscribe(s1, "mark-2", 6);
    recv_expect_buf(xpub, "\1mark-2", 7, 0);
    unsubscribe(s2, "topic", 5);
    recv_expect_buf(xpub, "\0topic", 6, 0);
    void *s3 = connected_socket(ctx, ZMQ_SUB, ep);
    subscribe(s3, "gone", 4);
    recv_expect_buf(xpub, "\1gone", 5, 0);
    close_zero_linger(s3);
    recv_expect_buf(xpub, "\0gone", 5, 0);
    expect_no_msg(xpub, 20);
    close_zero_linger(s1);
    close_zero_linger(s2);
    close_zero_linger(xpub);
}

/* ZMQ_XPUB_VERBOSE passes on every subscribe (duplicates too) but only the last cancel;
 * ZMQ_XPUB_VERBOSER passes on every cancel as well. */
static void xpub_verbose_and_verboser_shall_pass_on_duplicate_subscriptions(const char *tr)
{
    for (int verboser = 0; verboser <= 1; verboser++) {
        void *xpub = test_socket(ctx, ZMQ_XPUB);
        set_int(xpub, verboser ? ZMQ_XPUB_VERBOSER : ZMQ_XPUB_VERBOSE, 1);
        char ep[TU_ENDPOINT_LEN];
        bind_transport(xpub, tr, ep, sizeof ep);
        void *s1 = test_socket(ctx, ZMQ_SUB);
        void *s2 = test_socket(ctx, ZMQ_SUB);
        CHECK_OK(zmq_connect(s1, ep));
        CHECK_OK(zmq_connect(s2, ep));
        subscribe(s1, "A", 1);
        recv_expect_buf(xpub, "\1A", 2, 0);
        subscribe(s2, "A", 1);
        recv_expect_buf(xpub, "\1A", 2, 0);
        unsubscribe(s2, "A", 1);
        if (verboser) {
            recv_expect_buf(xpub, "\0A", 2, 0);
        } else {
            subscribe(s2, "mark", 4);
            recv_expect_buf(xpub, "\1mark", 5, 0);
        }
        unsubscribe(s1, "A", 1);
        recv_expect_buf(xpub, "\0A", 2, 0);
        expect_no_msg(xpub, 20);
        close_zero_linger(s1);
        close_zero_linger(s2);
        close_zero_linger(xpub);
    }
}

/* ZMQ_XPUB_MANUAL: subscriptions are handed to the application and not applied; the application applies
 * its own with ZMQ_SUBSCRIBE/ZMQ_UNSUBSCRIBE on the XPUB, for the peer that sent the last one. */
static void xpub_manual_shall_let_the_application_decide_subscriptions(const char *tr)
{
    void *xpub = test_socket(ctx, ZMQ_XPUB);
    set_int(xpub, ZMQ_XPUB_MANUAL, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(xpub, tr, ep, sizeof ep);
    void *xsub = connected_socket(ctx, ZMQ_XSUB, ep);
    send_buf(xsub, "\1A", 2, 0);
    recv_expect_buf(xpub, "\1A", 2, 0);
    subscribe(xpub, "B", 1);
    send_str(xpub, "A-not-applied");
    send_str(xpub, "B-applied");
    recv_expect(xsub, "B-applied");
    expect_no_msg(xsub, 20);
    unsubscribe(xpub, "B", 1);
    subscribe(xpub, "C", 1);
    send_str(xpub, "B-removed");
    send_str(xpub, "C-applied");
    recv_expect(xsub, "C-applied");
    expect_no_msg(xsub, 20);
    close_zero_linger(xsub);
    close_zero_linger(xpub);
}

/* ZMQ_XPUB_WELCOME_MSG is sent to each new subscriber when the XPUB attaches it (a SUB must be subscribed
 * to it to see it; an XSUB sees it anyway). libzmq attaches a new peer only when the application next
 * calls into the XPUB, so the test reads the subscription from the XPUB first. */
static void xpub_welcome_msg_shall_greet_each_new_subscriber(const char *tr)
{
    void *xpub = test_socket(ctx, ZMQ_XPUB);
    CHECK_OK(zmq_setsockopt(xpub, ZMQ_XPUB_WELCOME_MSG, "W-hello", 7));
    char ep[TU_ENDPOINT_LEN];
    bind_transport(xpub, tr, ep, sizeof ep);
    void *sub = test_socket(ctx, ZMQ_SUB);
    subscribe(sub, "W", 1);
    CHECK_OK(zmq_connect(sub, ep));
    recv_expect_buf(xpub, "\1W", 2, 0);
    recv_expect(sub, "W-hello");
    void *xsub = connected_socket(ctx, ZMQ_XSUB, ep);
    send_buf(xsub, "\1X", 2, 0);
    recv_expect_buf(xpub, "\1X", 2, 0);
    recv_expect(xsub, "W-hello");
    send_str(xpub, "X-after");
    recv_expect(xsub, "X-after");
    expect_no_msg(sub, 20);
    close_zero_linger(xsub);
    close_zero_linger(sub);
    close_zero_linger(xpub);
}

/* XSUB "SHALL send subscription messages" the application writes (0x01/0x00 + topic) upstream, where the
 * PUB applies them, and passes every message through unfiltered. */
static void xsub_shall_send_subscriptions_upstream_as_messages(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *pub = bound_socket(ctx, ZMQ_PUB, tr, ep, sizeof ep);
    void *xsub = connected_socket(ctx, ZMQ_XSUB, ep);
    send_buf(xsub, "\1A", 2, 0);
    await_subscription(pub, xsub, "A");
    send_str(pub, "A1");
    send_str(pub, "B1");
    recv_expect(xsub, "A1");
    send_buf(xsub, "\0A", 2, 0);
    send_buf(xsub, "\1M", 2, 0);
    await_subscription(pub, xsub, "M");
    send_str(pub, "A2");
    send_str(pub, "M2");
    recv_expect(xsub, "M2");
    expect_no_msg(xsub, 20);
    /* and the exact bytes reach an XPUB */
    char ep2[TU_ENDPOINT_LEN];
    void *xpub = bound_socket(ctx, ZMQ_XPUB, tr, ep2, sizeof ep2);
    void *xsub2 = connected_socket(ctx, ZMQ_XSUB, ep2);
    send_buf(xsub2, "\1topic\0bin", 10, 0);
    recv_expect_buf(xpub, "\1topic\0bin", 10, 0);
    close_zero_linger(xsub2);
    close_zero_linger(xpub);
    close_zero_linger(xsub);
    close_zero_linger(pub);
}

/* ZMQ_XPUB_NODROP: at the high-water mark an XPUB refuses (EAGAIN) instead of dropping. */
static void xpub_nodrop_shall_refuse_instead_of_dropping_at_the_high_water_mark(const char *tr)
{
    void *xpub = test_socket(ctx, ZMQ_XPUB);
    set_int(xpub, ZMQ_XPUB_NODROP, 1);
    set_int(xpub, ZMQ_SNDHWM, 10);
    set_int(xpub, ZMQ_SNDBUF, 4096);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(xpub, tr, ep, sizeof ep);
    void *sub = test_socket(ctx, ZMQ_SUB);
    set_int(sub, ZMQ_RCVHWM, 10);
    set_int(sub, ZMQ_RCVBUF, 4096);
    subscribe(sub, "", 0);
    CHECK_OK(zmq_connect(sub, ep));
    recv_expect_buf(xpub, "\1", 1, 0);
    await_subscription(xpub, sub, "");
    char msg[512];
    memset(msg, 'n', sizeof msg);
    int sent = send_numbered_until_mute(xpub, msg, sizeof msg, 100000, 3000);
    CHECK_INT(sent, <, 100000);
    recv_numbered(sub, msg, sizeof msg, sent);
    close_zero_linger(sub);
    close_zero_linger(xpub);
}

/* ZMQ_CONFLATE on a SUB keeps only the newest message. */
static void sub_conflate_shall_keep_only_the_last_message(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *pub = bound_socket(ctx, ZMQ_PUB, tr, ep, sizeof ep);
    void *sub = test_socket(ctx, ZMQ_SUB);
    set_int(sub, ZMQ_CONFLATE, 1);
    CHECK_EQ(get_int(sub, ZMQ_CONFLATE), 1);
    subscribe(sub, "", 0);
    CHECK_OK(zmq_connect(sub, ep));
    await_subscription(pub, sub, "");
    char msg[32];
    for (int i = 1; i <= 100; i++) {
        snprintf(msg, sizeof msg, "state-%d", i);
        send_str(pub, msg);
    }
    /* Read one message every 50 ms: each must be newer than the last, and "state-100" must come within
     * 30 reads. Without conflation the reads would walk state-1, state-2, ... and never get there. */
    int last = 0, reads = 0;
    while (last < 100 && reads < 30) {
        msleep(50);
        int rc = zmq_recv(sub, msg, sizeof msg - 1, ZMQ_DONTWAIT);
        if (rc < 0) {
            CHECK_EQ(errno, EAGAIN);
            continue;
        }
        CHECK_INT(rc, <, (int) sizeof msg);
        msg[rc] = '\0';
        reads++;
        int n = atoi(msg + 6);
        CHECK_INT(n, >, last);
        last = n;
    }
    CHECK_EQ(last, 100);
    CHECK_INT(reads, <, 30);
    expect_no_msg(sub, 50);
    close_zero_linger(sub);
    close_zero_linger(pub);
}

int main(void)
{
    test_begin(90);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(sub_shall_receive_only_messages_matching_a_subscribed_prefix);
    RUN_TRANSPORTS(sub_shall_receive_everything_with_an_empty_subscription_and_nothing_without_one);
    RUN_TRANSPORTS(pub_shall_send_each_message_to_all_matching_subscribers);
    RUN_TRANSPORTS(sub_shall_receive_from_all_connected_publishers);
    RUN_TRANSPORTS(subscriptions_shall_be_counted);
    RUN_TRANSPORTS(invert_matching_shall_deliver_only_messages_that_do_not_match);
    RUN_TRANSPORTS(pub_shall_never_block_and_shall_drop_messages_at_the_high_water_mark);
    RUN_TRANSPORTS(pub_and_sub_shall_be_unidirectional);
    RUN_TRANSPORTS(xpub_shall_receive_subscriptions_as_messages);
    RUN_TRANSPORTS(xpub_verbose_and_verboser_shall_pass_on_duplicate_subscriptions);
    RUN_TRANSPORTS(xpub_manual_shall_let_the_application_decide_subscriptions);
    RUN_TRANSPORTS(xpub_welcome_msg_shall_greet_each_new_subscriber);
    RUN_TRANSPORTS(xsub_shall_send_subscriptions_upstream_as_messages);
    RUN_TRANSPORTS(xpub_nodrop_shall_refuse_instead_of_dropping_at_the_high_water_mark);
    RUN_TRANSPORTS(sub_conflate_shall_keep_only_the_last_message);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
