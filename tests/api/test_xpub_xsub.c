/* XPUB and XSUB behaviour beyond RFC 29's clauses, as libzmq 4.3.4 has it (every case passes against it):
 * upstream data through XSUB to XPUB, which subscriptions an XSUB forwards, cancels when subscribers
 * leave (VERBOSER, MANUAL), INVERT_MATCHING on XPUB, the draft options libzmq 4.3.4 accepts anyway
 * (ZMQ_XPUB_MANUAL_LAST_VALUE 98, ZMQ_ONLY_FIRST_SUBSCRIBE 108), a subscriber joining while a multipart
 * message is half sent, an XPUB whose application does not read, PUB with the XPUB options. */
#include "testutil.h"

#define OPT_XPUB_MANUAL_LAST_VALUE 98
#define OPT_ONLY_FIRST_SUBSCRIBE 108

static void *ctx;

/* Receives n frames and checks they are exactly the given ones, in any order. */
static void recv_set(void *sock, const char *const *want, const size_t *lens, int n)
{
    int seen[8] = {0};
    CHECK(n <= 8);
    for (int i = 0; i < n; i++) {
        char buf[256];
        int rc = recv_timeout(sock, buf, sizeof buf, 2000, NULL);
        CHECK(rc >= 0);
        int hit = -1;
        for (int k = 0; k < n; k++)
            if (!seen[k] && (size_t)rc == lens[k] && memcmp(buf, want[k], lens[k]) == 0)
                hit = k;
        if (hit < 0) {
            char h[100];
            tu_hex(h, sizeof h, buf, (size_t)rc);
            tu_fail(__FILE__, __LINE__, "unexpected frame [%s]", h);
        }
        seen[hit] = 1;
    }
}

/* Publishes "<topic>-n" until sub receives one. */
static void await_topic(void *pub, void *sub, const char *topic)
{
    char msg[64], buf[64];
    int64_t deadline = now_ms() + 5000;
    for (int n = 0;; n++) {
        if (now_ms() > deadline)
            tu_fail(__FILE__, __LINE__, "\"%s\" never arrived", topic);
        snprintf(msg, sizeof msg, "%s-%d", topic, n);
        CHECK_EQ(zmq_send(pub, msg, strlen(msg), ZMQ_DONTWAIT), (int)strlen(msg));
        if (recv_timeout(sub, buf, sizeof buf, 10, NULL) >= 0) {
            CHECK(strncmp(buf, topic, strlen(topic)) == 0);
            break;
        }
    }
    /* drain the ones still in flight */
    while (recv_timeout(sub, buf, sizeof buf, 50, NULL) >= 0)
        CHECK(strncmp(buf, topic, strlen(topic)) == 0);
}

static void xpub_shall_deliver_upstream_data_from_xsub_to_the_application(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *xpub = bound_socket(ctx, ZMQ_XPUB, tr, ep, sizeof ep);
    void *xsub = connected_socket(ctx, ZMQ_XSUB, ep);
    send_buf(xsub, "\1T", 2, 0);
    recv_expect_buf(xpub, "\1T", 2, 0);
    send_str_more(xsub, "up-1");
    send_str(xsub, "up-2");
    send_buf(xsub, "", 0, 0);
    recv_expect_more(xpub, "up-1");
    recv_expect(xpub, "up-2");
    recv_expect_buf(xpub, "", 0, 0);
    expect_no_msg(xpub, 20);
    close_zero_linger(xsub);
    close_zero_linger(xpub);
}

/* XSUB forwards every subscribe (an XPUB_VERBOSE upstream sees duplicates) and a cancel only when the
 * topic's count reaches zero; a cancel of what it never subscribed is dropped. */
static void xsub_shall_forward_every_subscribe_and_only_the_last_cancel(const char *tr)
{
    void *xpub = test_socket(ctx, ZMQ_XPUB);
    set_int(xpub, ZMQ_XPUB_VERBOSER, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(xpub, tr, ep, sizeof ep);
    void *xsub = connected_socket(ctx, ZMQ_XSUB, ep);
    send_buf(xsub, "\1A", 2, 0);
    recv_expect_buf(xpub, "\1A", 2, 0);
    send_buf(xsub, "\1A", 2, 0);
    recv_expect_buf(xpub, "\1A", 2, 0);
    send_buf(xsub, "\0A", 2, 0);        /* count 2 -> 1: not forwarded */
    send_buf(xsub, "\0never", 6, 0);    /* not subscribed: not forwarded */
    send_buf(xsub, "\1M", 2, 0);
    recv_expect_buf(xpub, "\1M", 2, 0);
    send_buf(xsub, "\0A", 2, 0);
    recv_expect_buf(xpub, "\0A", 2, 0);
    expect_no_msg(xpub, 20);
    close_zero_linger(xsub);
    close_zero_linger(xpub);
}

/* A subscriber that leaves cancels its topics: without VERBOSER only those it was the last to hold, with
 * VERBOSER all of them. */
static void a_leaving_subscriber_shall_cancel_its_topics(const char *tr)
{
    for (int verboser = 0; verboser <= 1; verboser++) {
        void *xpub = test_socket(ctx, ZMQ_XPUB);
        set_int(xpub, ZMQ_XPUB_VERBOSER, verboser);
        char ep[TU_ENDPOINT_LEN];
        bind_transport(xpub, tr, ep, sizeof ep);
        void *s1 = test_socket(ctx, ZMQ_SUB);
        void *s2 = test_socket(ctx, ZMQ_SUB);
        CHECK_OK(zmq_connect(s1, ep));
        CHECK_OK(zmq_connect(s2, ep));
        CHECK_OK(zmq_setsockopt(s1, ZMQ_SUBSCRIBE, "A", 1));
        recv_expect_buf(xpub, "\1A", 2, 0);
        CHECK_OK(zmq_setsockopt(s2, ZMQ_SUBSCRIBE, "A", 1));
        if (verboser)
            recv_expect_buf(xpub, "\1A", 2, 0);
        CHECK_OK(zmq_setsockopt(s2, ZMQ_SUBSCRIBE, "B", 1));
        recv_expect_buf(xpub, "\1B", 2, 0);
        close_zero_linger(s2);
        if (verboser) {
            const char *want[] = {"\0A", "\0B"};
            const size_t lens[] = {2, 2};
            recv_set(xpub, want, lens, 2);
        } else {
            recv_expect_buf(xpub, "\0B", 2, 0);
        }
        expect_no_msg(xpub, 50);
        /* s1 still gets "A" */
        await_topic(xpub, s1, "A");
        close_zero_linger(s1);
        recv_expect_buf(xpub, "\0A", 2, 0);
        close_zero_linger(xpub);
    }
}

/* ZMQ_XPUB_MANUAL: a leaving subscriber cancels everything it asked for, applied or not. */
static void xpub_manual_shall_cancel_what_a_leaving_subscriber_asked_for(const char *tr)
{
    void *xpub = test_socket(ctx, ZMQ_XPUB);
    set_int(xpub, ZMQ_XPUB_MANUAL, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(xpub, tr, ep, sizeof ep);
    void *xsub = connected_socket(ctx, ZMQ_XSUB, ep);
    send_buf(xsub, "\1A", 2, 0);
    send_buf(xsub, "\1B", 2, 0);
    recv_expect_buf(xpub, "\1A", 2, 0);
    recv_expect_buf(xpub, "\1B", 2, 0);
    CHECK_OK(zmq_setsockopt(xpub, ZMQ_SUBSCRIBE, "A", 1));
    await_topic(xpub, xsub, "A");
    close_zero_linger(xsub);
    const char *want[] = {"\0A", "\0B"};
    const size_t lens[] = {2, 2};
    recv_set(xpub, want, lens, 2);
    expect_no_msg(xpub, 20);
    /* with no last subscriber left, ZMQ_SUBSCRIBE applies to nothing (and succeeds) */
    CHECK_OK(zmq_setsockopt(xpub, ZMQ_SUBSCRIBE, "C", 1));
    close_zero_linger(xpub);
}

/* ZMQ_INVERT_MATCHING on XPUB: each message goes to the subscribers that do NOT match it. */
static void xpub_invert_matching_shall_send_to_the_subscribers_that_do_not_match(const char *tr)
{
    void *xpub = test_socket(ctx, ZMQ_XPUB);
    set_int(xpub, ZMQ_INVERT_MATCHING, 1);
    CHECK_EQ(get_int(xpub, ZMQ_INVERT_MATCHING), 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(xpub, tr, ep, sizeof ep);
    void *s1 = test_socket(ctx, ZMQ_SUB);
    void *s2 = test_socket(ctx, ZMQ_SUB);
    set_int(s1, ZMQ_INVERT_MATCHING, 1);
    set_int(s2, ZMQ_INVERT_MATCHING, 1);
    CHECK_OK(zmq_connect(s1, ep));
    CHECK_OK(zmq_connect(s2, ep));
    CHECK_OK(zmq_setsockopt(s1, ZMQ_SUBSCRIBE, "A", 1));
    recv_expect_buf(xpub, "\1A", 2, 0);
    CHECK_OK(zmq_setsockopt(s2, ZMQ_SUBSCRIBE, "B", 1));
    recv_expect_buf(xpub, "\1B", 2, 0);
    send_str(xpub, "A1");
    send_str(xpub, "B1");
    send_str(xpub, "C1");
    recv_expect(s1, "B1");
    recv_expect(s1, "C1");
    recv_expect(s2, "A1");
    recv_expect(s2, "C1");
    expect_no_msg(s1, 20);
    expect_no_msg(s2, 0);
    close_zero_linger(s1);
    close_zero_linger(s2);
    close_zero_linger(xpub);
}

/* ZMQ_XPUB_MANUAL_LAST_VALUE: manual, and the next message goes only to the subscriber the last
 * subscription came from (if it holds a matching topic); the one after goes to all again. */
static void xpub_manual_last_value_shall_send_to_the_last_subscriber_only(const char *tr)
{
    void *xpub = test_socket(ctx, ZMQ_XPUB);
    set_int(xpub, OPT_XPUB_MANUAL_LAST_VALUE, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(xpub, tr, ep, sizeof ep);
    void *s1 = test_socket(ctx, ZMQ_XSUB);
    void *s2 = test_socket(ctx, ZMQ_XSUB);
    CHECK_OK(zmq_connect(s1, ep));
    CHECK_OK(zmq_connect(s2, ep));
    send_buf(s1, "\1A", 2, 0);
    recv_expect_buf(xpub, "\1A", 2, 0);
    CHECK_OK(zmq_setsockopt(xpub, ZMQ_SUBSCRIBE, "A", 1));
    send_buf(s2, "\1A", 2, 0);
    recv_expect_buf(xpub, "\1A", 2, 0);
    CHECK_OK(zmq_setsockopt(xpub, ZMQ_SUBSCRIBE, "A", 1));
    send_str(xpub, "A-last");
    send_str(xpub, "A-all");
    recv_expect(s2, "A-last");
    recv_expect(s2, "A-all");
    recv_expect(s1, "A-all");
    expect_no_msg(s1, 20);
    close_zero_linger(s1);
    close_zero_linger(s2);
    close_zero_linger(xpub);
}

/* ZMQ_ONLY_FIRST_SUBSCRIBE on XPUB: in a message whose first frame is data, a later 0x01 frame is data. */
static void xpub_only_first_subscribe_shall_treat_later_frames_as_data(const char *tr)
{
    void *xpub = test_socket(ctx, ZMQ_XPUB);
    set_int(xpub, OPT_ONLY_FIRST_SUBSCRIBE, 1);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(xpub, tr, ep, sizeof ep);
    void *xsub = connected_socket(ctx, ZMQ_XSUB, ep);
    send_buf(xsub, "\1M", 2, 0);
    recv_expect_buf(xpub, "\1M", 2, 0);
    send_str_more(xsub, "data");
    send_buf(xsub, "\1B", 2, 0);
    recv_expect_more(xpub, "data");
    recv_expect_buf(xpub, "\1B", 2, 0);
    send_str(xpub, "B-not-subscribed");
    send_str(xpub, "M-1");
    recv_expect(xsub, "M-1");
    expect_no_msg(xsub, 20);
    close_zero_linger(xsub);
    close_zero_linger(xpub);
}

/* A subscriber that joins while a multipart message is half sent gets the messages after it, never the
 * rest of that one. */
static void a_subscriber_joining_mid_message_shall_start_at_the_next_message(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *pub = bound_socket(ctx, ZMQ_PUB, tr, ep, sizeof ep);
    void *early = test_socket(ctx, ZMQ_SUB);
    CHECK_OK(zmq_setsockopt(early, ZMQ_SUBSCRIBE, "", 0));
    CHECK_OK(zmq_connect(early, ep));
    await_subscription(pub, early, "");
    send_str_more(pub, "part-1");
    void *late = test_socket(ctx, ZMQ_SUB);
    CHECK_OK(zmq_setsockopt(late, ZMQ_SUBSCRIBE, "", 0));
    CHECK_OK(zmq_connect(late, ep));
    msleep(100);
    send_str_more(pub, "part-2");   /* the PUB runs its commands: the late pipe attaches here */
    msleep(50);
    send_str(pub, "part-3");
    recv_expect_more(early, "part-1");
    recv_expect_more(early, "part-2");
    recv_expect(early, "part-3");
    char msg[32], buf[32];
    int64_t deadline = now_ms() + 5000;
    for (int n = 0;; n++) {
        CHECK(now_ms() < deadline);
        snprintf(msg, sizeof msg, "after-%d", n);
        send_str(pub, msg);
        int rc = recv_timeout(late, buf, sizeof buf, 10, NULL);
        if (rc >= 0) {
            CHECK(strncmp(buf, "after-", 6) == 0);
            CHECK_EQ(rcvmore(late), 0);
            break;
        }
    }
    close_zero_linger(late);
    close_zero_linger(early);
    close_zero_linger(pub);
}

/* An XPUB whose application is not reading keeps applying subscriptions, and loses nothing of what it
 * queues for the application, however small its ZMQ_RCVHWM. */
static void an_xpub_not_read_shall_still_apply_subscriptions_and_lose_nothing(const char *tr)
{
    enum { COUNT = 50 };
    void *xpub = test_socket(ctx, ZMQ_XPUB);
    set_int(xpub, ZMQ_RCVHWM, 5);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(xpub, tr, ep, sizeof ep);
    void *xsub = connected_socket(ctx, ZMQ_XSUB, ep);
    send_buf(xsub, "\1T", 2, 0);
    recv_expect_buf(xpub, "\1T", 2, 0);
    char msg[32];
    for (int i = 0; i < COUNT; i++) {
        snprintf(msg, sizeof msg, "data-%d", i);
        send_str(xsub, msg);
    }
    msleep(100);
    void *sub = connected_socket(ctx, ZMQ_SUB, ep);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "Q", 1));
    await_topic(xpub, sub, "Q");
    int next = 0, notified = 0;
    for (int i = 0; i < COUNT + 1; i++) {
        char buf[32];
        int rc = recv_timeout(xpub, buf, sizeof buf, 2000, NULL);
        CHECK(rc >= 0);
        if (rc == 2 && memcmp(buf, "\1Q", 2) == 0) {
            notified++;
            continue;
        }
        snprintf(msg, sizeof msg, "data-%d", next++);
        CHECK(strcmp(buf, msg) == 0);
    }
    CHECK_EQ(notified, 1);
    CHECK_EQ(next, COUNT);
    expect_no_msg(xpub, 20);
    close_zero_linger(sub);
    close_zero_linger(xsub);
    close_zero_linger(xpub);
}

/* PUB takes the XPUB options: the welcome message, and NODROP. */
static void pub_shall_take_the_xpub_options(const char *tr)
{
    void *pub = test_socket(ctx, ZMQ_PUB);
    CHECK_OK(zmq_setsockopt(pub, ZMQ_XPUB_WELCOME_MSG, "W-hi", 4));
    set_int(pub, ZMQ_XPUB_NODROP, 1);
    set_int(pub, ZMQ_SNDHWM, 2);
    char ep[TU_ENDPOINT_LEN];
    bind_transport(pub, tr, ep, sizeof ep);
    void *sub = test_socket(ctx, ZMQ_SUB);
    set_int(sub, ZMQ_RCVHWM, 2);
    CHECK_OK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "W", 1));
    CHECK_OK(zmq_connect(sub, ep));
    await_topic(pub, sub, "W");   /* the welcome is one of them, or came first */
    /* the subscriber does not read: sending fails with EAGAIN soon, rather than dropping */
    int sent = 0, eagain = 0;
    char big[4096];
    memset(big, 'W', sizeof big);
    for (; sent < 100000 && !eagain; sent++) {
        if (zmq_send(pub, big, sizeof big, ZMQ_DONTWAIT) < 0) {
            CHECK_EQ(errno, EAGAIN);
            eagain = 1;
        }
    }
    CHECK(eagain);
    close_zero_linger(sub);
    close_zero_linger(pub);
}

int main(void)
{
    test_begin(120);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(xpub_shall_deliver_upstream_data_from_xsub_to_the_application);
    RUN_TRANSPORTS(xsub_shall_forward_every_subscribe_and_only_the_last_cancel);
    RUN_TRANSPORTS(a_leaving_subscriber_shall_cancel_its_topics);
    RUN_TRANSPORTS(xpub_manual_shall_cancel_what_a_leaving_subscriber_asked_for);
    RUN_TRANSPORTS(xpub_invert_matching_shall_send_to_the_subscribers_that_do_not_match);
    RUN_TRANSPORTS(xpub_manual_last_value_shall_send_to_the_last_subscriber_only);
    RUN_TRANSPORTS(xpub_only_first_subscribe_shall_treat_later_frames_as_data);
    RUN_TRANSPORTS(a_subscriber_joining_mid_message_shall_start_at_the_next_message);
    RUN_TRANSPORTS(an_xpub_not_read_shall_still_apply_subscriptions_and_lose_nothing);
    RUN_TRANSPORTS(pub_shall_take_the_xpub_options);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
