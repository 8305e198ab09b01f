/* RFC 48 (RADIO-DISH): the clause-by-clause index of RADIO and DISH, each clause a function named after it
 * with the clause quoted above it, run over inproc, ipc and tcp (and udp:// where the clause is about the
 * transport). test_radio_dish.c holds the longer proofs (the group API's edges, the ZMTP JOIN/LEAVE wire
 * form with raw peers, joins past the high-water mark, multicast, a stress of threads).
 *
 * Clauses not observable through the API, so not tested here:
 *  - "SHOULD constrain queue sizes to a runtime-configurable limit" (both): a SHOULD; ZMQ_SNDHWM and
 *    ZMQ_RCVHWM are used by the drop clauses below.
 *  - RADIO "SHALL silently discard any messages that dishes send it": a DISH cannot send (ENOTSUP), so only
 *    a hand-written ZMTP peer could; test_radio_dish.c's raw_dish_peer speaks to a RADIO by hand.
 *  - RADIO "SHALL maintain a single outgoing message queue for each connected socket" and DISH "SHALL
 *    maintain a single incoming message queue for each connected radio": the queues themselves are not
 *    visible; their consequences (per-dish drops, fair queueing between radios) are tested.
 *  - "If this radio disconnects, the DISH socket SHALL destroy its queue and SHALL discard any messages it
 *    contains": what a departed RADIO sent is indistinguishable from messages still in flight.
 *  - DISH "SHALL silently discard messages if the queue for a radio is full" over inproc, ipc and tcp: over
 *    inproc the RADIO's and the DISH's queue are one; over ipc and tcp zinc's DISH stops reading a
 *    connection whose queue is full (backpressure), so the drop happens at the RADIO's end of it. Over udp://
 *    the DISH itself discards, and that is tested. */
#include "testutil.h"

static void *ctx;

/* ---- helpers --------------------------------------------------------------------------------------- */

/* Sends len bytes in group (NULL: no group) from a RADIO; returns zmq_msg_send's result with errno kept. */
static int radio_send(void *radio, const char *group, const void *data, size_t len, int flags)
{
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_size(&m, len));
    if (len)
        memcpy(zmq_msg_data(&m), data, len);
    if (group)
        CHECK_OK(zmq_msg_set_group(&m, group));
    int rc = zmq_msg_send(&m, radio, flags);
    int err = errno;
    if (rc < 0)
        zmq_msg_close(&m);
    errno = err;
    return rc;
}
#define radio_str(radio, group, text) radio_send((radio), (group), (text), strlen(text), 0)

/* Receives one message within ms: its length (body NUL-terminated in buf, group in group[256]), or -1 if
 * none came. */
static int dish_recv(void *dish, void *buf, size_t cap, char *group, int ms)
{
    if (!poll_in(dish, ms))
        return -1;
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc = zmq_msg_recv(&m, dish, ZMQ_DONTWAIT);
    if (rc < 0) {
        CHECK_EQ(errno, EAGAIN);
        zmq_msg_close(&m);
        return -1;
    }
    CHECK((size_t)rc < cap);
    memcpy(buf, zmq_msg_data(&m), (size_t)rc);
    ((char *)buf)[rc] = '\0';
    CHECK_EQ(zmq_msg_more(&m), 0);
    snprintf(group, 256, "%s", zmq_msg_group(&m));
    zmq_msg_close(&m);
    return rc;
}

/* The next message on dish is text in group. */
static void expect(void *dish, const char *group, const char *text)
{
    char t[1024], g[256];
    CHECK_EQ(dish_recv(dish, t, sizeof t, g, 2000), (int)strlen(text));
    CHECK_STR(t, text);
    CHECK_STR(g, group);
}

/* Sends "sync" in group until dish gets one (its join reached the radio), then drains what followed. */
static void await_join(void *radio, void *dish, const char *group)
{
    int64_t deadline = now_ms() + 5000;
    char t[1024], g[256];
    do {
        CHECK(now_ms() < deadline);
        CHECK_EQ(radio_str(radio, group, "sync"), 4);
    } while (dish_recv(dish, t, sizeof t, g, 20) < 0);
    while (dish_recv(dish, t, sizeof t, g, 50) >= 0)
        ;
}

/* A fresh address on transport that nothing is bound to yet (tcp: a port that was free a moment ago). */
static void unbound_endpoint(const char *tr, char *ep, size_t len)
{
    make_bind_endpoint(tr, ep, len);
    if (strcmp(tr, "tcp") == 0)
        snprintf(ep, len, "tcp://127.0.0.1:%d", free_tcp_port());
}

/* Binds sock to ep, retrying while an old listener on the same address is going. */
static void rebind(void *sock, const char *ep)
{
    int64_t deadline = now_ms() + 5000;
    while (zmq_bind(sock, ep) != 0) {
        CHECK_EQ(errno, EADDRINUSE);
        CHECK(now_ms() < deadline);
        msleep(10);
    }
}

/* ---- RADIO: general behaviour ------------------------------------------------------------------------- */

/* "MAY be connected to any number of DISH sockets, and SHALL only send messages.": receiving on a RADIO is
 * ENOTSUP; three DISHes that joined the group each get every message. */
static void radio_may_connect_to_many_dishes_and_shall_only_send(const char *tr)
{
    enum { N = 3 };
    char ep[TU_ENDPOINT_LEN], buf[8];
    void *radio = test_socket(ctx, ZMQ_RADIO);
    void *dish[N];
    for (int i = 0; i < N; i++) {
        dish[i] = bound_socket(ctx, ZMQ_DISH, tr, ep, sizeof ep);
        CHECK_OK(zmq_join(dish[i], "g"));
        CHECK_OK(zmq_connect(radio, ep));
    }
    CHECK_ERR(zmq_recv(radio, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
    for (int i = 0; i < N; i++)
        await_join(radio, dish[i], "g");
    for (int i = 0; i < N; i++)   /* the others' syncs may still have been on their way */
        while (dish_recv(dish[i], buf, sizeof buf, (char[256]){0}, 50) >= 0)
            ;
    CHECK_EQ(radio_str(radio, "g", "all"), 3);
    for (int i = 0; i < N; i++) {
        expect(dish[i], "g", "all");
        close_zero_linger(dish[i]);
    }
    close_zero_linger(radio);
}

/* "SHALL create a queue when initiating an outgoing connection to a socket, and SHALL maintain the queue
 * whether or not the connection is established.": a RADIO that connects before its DISH binds serves it
 * once it does, and serves a new DISH on the same address after the first went. */
static void radio_shall_create_and_maintain_a_queue_when_connecting(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    unbound_endpoint(tr, ep, sizeof ep);
    void *radio = test_socket(ctx, ZMQ_RADIO);
    set_int(radio, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK(zmq_connect(radio, ep));
    CHECK_EQ(radio_str(radio, "g", "nobody"), 6);   /* taken and dropped: no DISH has joined */
    for (int round = 0; round < (strcmp(tr, "inproc") == 0 ? 1 : 2); round++) {
        void *dish = test_socket(ctx, ZMQ_DISH);
        rebind(dish, ep);
        CHECK_OK(zmq_join(dish, "g"));
        await_join(radio, dish, "g");
        CHECK_EQ(radio_str(radio, "g", "hello"), 5);
        expect(dish, "g", "hello");
        close_zero_linger(dish);
    }
    close_zero_linger(radio);
}

/* "SHALL create a queue when a socket connects to it. If this socket disconnects, the RADIO socket SHALL
 * destroy its queue and SHALL discard any messages it contains.": messages queued for a DISH that went
 * never reach the DISH that connects after it; everything that one gets was sent after it came. */
static void radio_shall_create_a_queue_for_a_dish_that_connects_and_destroy_it_when_it_goes(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], t[64], g[256];
    void *radio = bound_socket(ctx, ZMQ_RADIO, tr, ep, sizeof ep);
    void *dish = connected_socket(ctx, ZMQ_DISH, ep);
    CHECK_OK(zmq_join(dish, "g"));
    await_join(radio, dish, "g");
    for (int i = 0; i < 5; i++)
        CHECK_EQ(radio_str(radio, "g", "stale"), 5);
    close_zero_linger(dish);
    msleep(50);
    dish = connected_socket(ctx, ZMQ_DISH, ep);
    CHECK_OK(zmq_join(dish, "g"));
    int64_t deadline = now_ms() + 5000;
    int n;
    do {
        CHECK(now_ms() < deadline);
        CHECK_EQ(radio_str(radio, "g", "fresh"), 5);
    } while ((n = dish_recv(dish, t, sizeof t, g, 20)) < 0);
    do
        CHECK_STR(t, "fresh");
    while (dish_recv(dish, t, sizeof t, g, 50) >= 0);
    close_zero_linger(dish);
    close_zero_linger(radio);
}

/* ---- RADIO: outgoing messages ------------------------------------------------------------------------- */

/* "SHALL not modify outgoing messages in any way." (RADIO), "SHALL not modify incoming messages in any
 * way." and "SHALL attach the group to the message." (DISH): empty, binary and large bodies arrive byte for
 * byte, each with the group it was sent in (zmq_msg_group). */
static void radio_and_dish_shall_not_modify_messages_and_dish_shall_attach_the_group(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], g[256];
    void *radio = bound_socket(ctx, ZMQ_RADIO, tr, ep, sizeof ep);
    void *dish = connected_socket(ctx, ZMQ_DISH, ep);
    CHECK_OK(zmq_join(dish, "body"));
    await_join(radio, dish, "body");
    static unsigned char big[100000];
    static unsigned char got[100001];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7);
    const unsigned char bin[] = {0, 0xff, 1, 0, 0x7f, 0x80};
    const struct { const void *data; size_t len; } cases[] = {{"", 0}, {bin, sizeof bin}, {big, sizeof big}};
    for (size_t c = 0; c < 3; c++) {
        CHECK_EQ(radio_send(radio, "body", cases[c].data, cases[c].len, 0), (int)cases[c].len);
        CHECK_EQ(dish_recv(dish, got, sizeof got, g, 2000), (int)cases[c].len);
        CHECK_MEM(got, cases[c].len, cases[c].data, cases[c].len);
        CHECK_STR(g, "body");
    }
    close_zero_linger(dish);
    close_zero_linger(radio);
}

/* "SHALL perform a group membership check using exact matching algorithm." (RADIO) and "MAY ... filter
 * messages according to group membership, using a exact matching algorithm." (DISH): a DISH that joined
 * "abc" gets "abc" only: not a prefix, an extension, another case, a trailing space, or no group. */
static void radio_shall_check_group_membership_by_exact_match(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *radio = bound_socket(ctx, ZMQ_RADIO, tr, ep, sizeof ep);
    void *dish = connected_socket(ctx, ZMQ_DISH, ep);
    CHECK_OK(zmq_join(dish, "abc"));
    await_join(radio, dish, "abc");
    const char *others[] = {"ab", "abcd", "ABC", "abc ", "bc", ""};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        CHECK_EQ(radio_str(radio, others[i], "no"), 2);
        CHECK_EQ(radio_str(radio, "abc", "yes"), 3);
    }
    CHECK_EQ(radio_send(radio, NULL, "no", 2, 0), 2);
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        expect(dish, "abc", "yes");
    expect_no_msg(dish, 100);
    close_zero_linger(dish);
    close_zero_linger(radio);
}

/* "SHALL silently drop the message if the queue for a dish is full." and "SHALL NOT block on sending.":
 * 5000 blocking sends past small high-water marks all succeed at once; the DISH gets some, in order, with
 * gaps. */
static void radio_shall_drop_for_a_full_dish_and_never_block(const char *tr)
{
    enum { N = 5000 };
    char ep[TU_ENDPOINT_LEN], t[32], g[256];
    void *radio = test_socket(ctx, ZMQ_RADIO);
    set_int(radio, ZMQ_SNDHWM, 10);
    bind_transport(radio, tr, ep, sizeof ep);
    void *slow = test_socket(ctx, ZMQ_DISH);
    set_int(slow, ZMQ_RCVHWM, 10);
    CHECK_OK(zmq_connect(slow, ep));
    CHECK_OK(zmq_join(slow, "g"));
    await_join(radio, slow, "g");
    int64_t start = now_ms();
    for (int i = 0; i < N; i++) {
        snprintf(t, sizeof t, "%d", i);
        CHECK_EQ(radio_str(radio, "g", t), (int)strlen(t));
    }
    CHECK_INT(now_ms() - start, <, 3000);
    int got = 0, last = -1;
    while (dish_recv(slow, t, sizeof t, g, 200) >= 0) {
        CHECK_INT(atoi(t), >, last);
        last = atoi(t);
        got++;
    }
    CHECK_INT(got, >=, 10);
    CHECK_INT(got, <, N);
    close_zero_linger(slow);
    close_zero_linger(radio);
}

/* ---- commands ------------------------------------------------------------------------------------------ */

/* RADIO "SHALL receive join and leave commands from dishes" and "SHALL NOT deliver these commands to its
 * calling application"; DISH "MAY send join and leave commands to radios": after zmq_join a group's
 * messages arrive, after zmq_leave they stop; the commands themselves never surface as messages (a RADIO
 * cannot receive at all, and the DISH gets only the data sent to it). */
static void radio_shall_receive_join_and_leave_commands_from_dishes(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], buf[8];
    void *radio = bound_socket(ctx, ZMQ_RADIO, tr, ep, sizeof ep);
    void *dish = connected_socket(ctx, ZMQ_DISH, ep);
    CHECK_EQ(radio_str(radio, "a", "before-join"), 11);
    CHECK_OK(zmq_join(dish, "a"));
    await_join(radio, dish, "a");
    CHECK_EQ(radio_str(radio, "a", "joined"), 6);
    expect(dish, "a", "joined");
    CHECK_OK(zmq_leave(dish, "a"));
    CHECK_OK(zmq_join(dish, "marker"));   /* travels after the leave on the same connection */
    await_join(radio, dish, "marker");
    CHECK_EQ(radio_str(radio, "a", "after-leave"), 11);
    CHECK_EQ(radio_str(radio, "marker", "end"), 3);
    expect(dish, "marker", "end");
    expect_no_msg(dish, 100);
    CHECK_ERR(zmq_recv(radio, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
    close_zero_linger(dish);
    close_zero_linger(radio);
}

/* ---- DISH ---------------------------------------------------------------------------------------------- */

/* DISH "MAY be connected to any number of DISH sockets [sic: RADIO], and SHALL only receive messages.":
 * sending on a DISH is ENOTSUP; a DISH connected to three RADIOs gets from each. */
static void dish_may_connect_to_many_radios_and_shall_only_receive(const char *tr)
{
    enum { N = 3 };
    char ep[TU_ENDPOINT_LEN], t[16], g[256];
    void *dish = test_socket(ctx, ZMQ_DISH);
    void *radio[N];
    CHECK_OK(zmq_join(dish, "g"));
    for (int i = 0; i < N; i++) {
        radio[i] = bound_socket(ctx, ZMQ_RADIO, tr, ep, sizeof ep);
        CHECK_OK(zmq_connect(dish, ep));
    }
    CHECK_ERR(zmq_send(dish, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
    for (int i = 0; i < N; i++)
        await_join(radio[i], dish, "g");
    while (dish_recv(dish, t, sizeof t, g, 50) >= 0)
        ;
    for (int i = 0; i < N; i++) {
        snprintf(t, sizeof t, "r%d", i);
        CHECK_EQ(radio_str(radio[i], "g", t), 2);
    }
    int seen = 0;
    for (int i = 0; i < N; i++) {
        CHECK_EQ(dish_recv(dish, t, sizeof t, g, 2000), 2);
        seen |= 1 << (t[1] - '0');
    }
    CHECK_EQ(seen, (1 << N) - 1);
    for (int i = 0; i < N; i++)
        close_zero_linger(radio[i]);
    close_zero_linger(dish);
}

/* DISH "SHALL create a queue when initiating an outgoing connection to a radio, and SHALL maintain the
 * queue whether or not the connection is established." and "SHALL create a queue when a radio connects to
 * it.": a DISH that joined and connected before its RADIO bound is served once it binds, and again by a
 * RADIO that binds the address after the first went, with no new zmq_join; a bound DISH is served by a
 * RADIO that connects to it. */
static void dish_shall_create_and_maintain_queues(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    unbound_endpoint(tr, ep, sizeof ep);
    void *dish = test_socket(ctx, ZMQ_DISH);
    set_int(dish, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK(zmq_join(dish, "g"));
    CHECK_OK(zmq_connect(dish, ep));
    for (int round = 0; round < (strcmp(tr, "inproc") == 0 ? 1 : 2); round++) {
        void *radio = test_socket(ctx, ZMQ_RADIO);
        rebind(radio, ep);
        await_join(radio, dish, "g");
        CHECK_EQ(radio_str(radio, "g", "hello"), 5);
        expect(dish, "g", "hello");
        close_zero_linger(radio);
    }
    close_zero_linger(dish);
    dish = bound_socket(ctx, ZMQ_DISH, tr, ep, sizeof ep);
    CHECK_OK(zmq_join(dish, "g"));
    void *radio = connected_socket(ctx, ZMQ_RADIO, ep);
    await_join(radio, dish, "g");
    CHECK_EQ(radio_str(radio, "g", "bound"), 5);
    expect(dish, "g", "bound");
    close_zero_linger(radio);
    close_zero_linger(dish);
}

/* "SHALL receive incoming messages from its sockets using a fair-queuing strategy." and "SHALL deliver
 * messages to its calling application.": two RADIOs send four each; the DISH takes them alternately. */
static void dish_shall_receive_incoming_messages_using_fair_queuing(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], t[16], g[256];
    void *dish = test_socket(ctx, ZMQ_DISH);
    CHECK_OK(zmq_join(dish, "g"));
    void *radio[2];
    for (int i = 0; i < 2; i++) {
        radio[i] = bound_socket(ctx, ZMQ_RADIO, tr, ep, sizeof ep);
        CHECK_OK(zmq_connect(dish, ep));
    }
    for (int i = 0; i < 2; i++)
        await_join(radio[i], dish, "g");
    while (dish_recv(dish, t, sizeof t, g, 50) >= 0)
        ;
    for (int n = 0; n < 4; n++) {
        for (int i = 0; i < 2; i++) {
            snprintf(t, sizeof t, "%c%d", 'a' + i, n);
            CHECK_EQ(radio_str(radio[i], "g", t), 2);
        }
    }
    msleep(strcmp(tr, "inproc") == 0 ? 0 : 200);
    char first = 0;
    int next[2] = {0, 0};
    for (int n = 0; n < 8; n++) {
        CHECK_EQ(dish_recv(dish, t, sizeof t, g, 2000), 2);
        if (n == 0)
            first = t[0];
        CHECK_EQ(t[0], n % 2 == 0 ? first : (first == 'a' ? 'b' : 'a'));
        CHECK_EQ(t[1] - '0', next[t[0] - 'a']++);
    }
    for (int i = 0; i < 2; i++)
        close_zero_linger(radio[i]);
    close_zero_linger(dish);
}

/* DISH "MAY, depending on the transport, filter messages according to group membership" and RADIO "MAY,
 * depending on the transport, send all messages to all dishes": over udp:// the RADIO cannot know the
 * joins, sends every group, and the DISH keeps the one it joined. */
static void dish_may_filter_by_group_over_udp(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *dish = test_socket(ctx, ZMQ_DISH);
    CHECK_OK(zmq_bind(dish, "udp://127.0.0.1:*"));
    get_last_endpoint(dish, ep, sizeof ep);
    CHECK_OK(zmq_join(dish, "in"));
    void *radio = connected_socket(ctx, ZMQ_RADIO, ep);
    await_join(radio, dish, "in");   /* datagrams sent before the engines run may be lost */
    CHECK_EQ(radio_str(radio, "out", "no"), 2);
    CHECK_EQ(radio_str(radio, "in", "yes"), 3);
    CHECK_EQ(radio_str(radio, "inn", "no"), 2);
    expect(dish, "in", "yes");
    expect_no_msg(dish, 100);
    close_zero_linger(radio);
    close_zero_linger(dish);
}

/* "SHALL silently discard messages if the queue for a radio is full.": over udp:// a DISH with ZMQ_RCVHWM
 * 10 that does not read keeps the first ten of 2000 datagrams and discards the rest, where the kernel's
 * receive buffer alone would have held hundreds. */
static void dish_shall_silently_discard_messages_when_the_queue_is_full(void)
{
    enum { N = 2000 };
    char ep[TU_ENDPOINT_LEN], t[32], g[256];
    void *dish = test_socket(ctx, ZMQ_DISH);
    set_int(dish, ZMQ_RCVHWM, 10);
    CHECK_OK(zmq_bind(dish, "udp://127.0.0.1:*"));
    get_last_endpoint(dish, ep, sizeof ep);
    CHECK_OK(zmq_join(dish, "g"));
    void *radio = connected_socket(ctx, ZMQ_RADIO, ep);
    await_join(radio, dish, "g");
    for (int i = 0; i < N; i++) {
        snprintf(t, sizeof t, "%d", i);
        CHECK_EQ(radio_str(radio, "g", t), (int)strlen(t));
        if (i % 50 == 49)
            msleep(1);   /* paced, so that the kernel's buffer is not what overflows */
    }
    msleep(200);
    int got = 0, last = -1;
    while (dish_recv(dish, t, sizeof t, g, 200) >= 0) {
        CHECK_INT(atoi(t), >, last);
        last = atoi(t);
        got++;
    }
    CHECK_INT(got, >=, 10);
    CHECK_INT(got, <, 50);
    close_zero_linger(radio);
    close_zero_linger(dish);
}

/* ---- groups -------------------------------------------------------------------------------------------- */

/* "Length MUST be between 0 to 255 bytes." and "Group character MUST be one byte with allowed values
 * 1-255.": a 256-byte group is EINVAL to zmq_msg_set_group and zmq_join; groups of 255 bytes, of bytes
 * 0x01 and 0x80..0xff, and the empty group travel whole. */
static void group_length_shall_be_0_to_255_bytes_of_1_to_255(const char *tr)
{
    char g255[256], g256[257];
    memset(g255, 'x', 255);
    g255[255] = '\0';
    memset(g256, 'y', 256);
    g256[256] = '\0';
    const char high[] = "\x01\x7f\x80\xfe\xff";
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_ERR(zmq_msg_set_group(&m, g256), EINVAL);
    zmq_msg_close(&m);
    char ep[TU_ENDPOINT_LEN];
    void *radio = bound_socket(ctx, ZMQ_RADIO, tr, ep, sizeof ep);
    void *dish = connected_socket(ctx, ZMQ_DISH, ep);
    CHECK_ERR(zmq_join(dish, g256), EINVAL);
    const char *groups[] = {g255, high, ""};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(zmq_join(dish, groups[i]));
        await_join(radio, dish, groups[i]);
        CHECK_EQ(radio_str(radio, groups[i], "body"), 4);
        expect(dish, groups[i], "body");
    }
    close_zero_linger(dish);
    close_zero_linger(radio);
}

/* ---- thread safety ------------------------------------------------------------------------------------- */

enum { THREADS = 4, PER_THREAD = 100 };

struct shared {
    void *sock;
    int index;
    int got[THREADS * PER_THREAD];   /* receivers: how often each message number arrived */
    pthread_mutex_t lock;
};

/* Each sender sends its numbers in its own group "t<index>". */
static void *sender_main(void *arg)
{
    struct shared *sh = arg;
    pthread_mutex_lock(&sh->lock);
    int index = sh->index++;
    pthread_mutex_unlock(&sh->lock);
    char group[8];
    snprintf(group, sizeof group, "t%d", index);
    for (int i = 0; i < PER_THREAD; i++) {
        int n = index * PER_THREAD + i;
        CHECK_EQ(radio_send(sh->sock, group, &n, sizeof n, 0), (int)sizeof n);
    }
    return NULL;
}

/* Each receiver takes PER_THREAD messages and checks each one's group against its number. */
static void *receiver_main(void *arg)
{
    struct shared *sh = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        CHECK_EQ(zmq_msg_recv(&m, sh->sock, 0), (int)sizeof(int));
        int n;
        memcpy(&n, zmq_msg_data(&m), sizeof n);
        CHECK(n >= 0 && n < THREADS * PER_THREAD);
        char group[8];
        snprintf(group, sizeof group, "t%d", n / PER_THREAD);
        CHECK_STR(zmq_msg_group(&m), group);
        zmq_msg_close(&m);
        pthread_mutex_lock(&sh->lock);
        sh->got[n]++;
        pthread_mutex_unlock(&sh->lock);
    }
    return NULL;
}

/* RADIO "MUST be thread-safe and allow sending from multiple threads." and "MUST allow attaching a group to
 * a message in a thread-safe way."; DISH "MUST be thread-safe and allow receiving from multiple threads."
 * and "MUST allow retrieving the group of a message in a thread-safe way.": four threads send, each in its
 * own group, on one RADIO while four receive on one DISH; every message arrives once, in its group. */
static void radio_and_dish_must_be_thread_safe(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], group[8];
    static struct shared tx, rx;
    memset(&tx, 0, sizeof tx);
    memset(&rx, 0, sizeof rx);
    pthread_mutex_init(&tx.lock, NULL);
    pthread_mutex_init(&rx.lock, NULL);
    tx.sock = bound_socket(ctx, ZMQ_RADIO, tr, ep, sizeof ep);
    rx.sock = connected_socket(ctx, ZMQ_DISH, ep);
    set_int(rx.sock, ZMQ_RCVTIMEO, 5000);
    for (int i = 0; i < THREADS; i++) {
        snprintf(group, sizeof group, "t%d", i);
        CHECK_OK(zmq_join(rx.sock, group));
        await_join(tx.sock, rx.sock, group);
    }
    char t[64], g[256];
    while (dish_recv(rx.sock, t, sizeof t, g, 50) >= 0)
        ;
    pthread_t th[2 * THREADS];
    for (int i = 0; i < THREADS; i++) {
        CHECK_EQ(pthread_create(&th[i], NULL, receiver_main, &rx), 0);
        CHECK_EQ(pthread_create(&th[THREADS + i], NULL, sender_main, &tx), 0);
    }
    for (int i = 0; i < 2 * THREADS; i++)
        CHECK_EQ(pthread_join(th[i], NULL), 0);
    for (int n = 0; n < THREADS * PER_THREAD; n++)
        CHECK_EQ(rx.got[n], 1);
    close_zero_linger(tx.sock);
    close_zero_linger(rx.sock);
    pthread_mutex_destroy(&tx.lock);
    pthread_mutex_destroy(&rx.lock);
}

int main(void)
{
    test_begin(120);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(radio_may_connect_to_many_dishes_and_shall_only_send);
    RUN_TRANSPORTS(radio_shall_create_and_maintain_a_queue_when_connecting);
    RUN_TRANSPORTS(radio_shall_create_a_queue_for_a_dish_that_connects_and_destroy_it_when_it_goes);
    RUN_TRANSPORTS(radio_and_dish_shall_not_modify_messages_and_dish_shall_attach_the_group);
    RUN_TRANSPORTS(radio_shall_check_group_membership_by_exact_match);
    RUN_TRANSPORTS(radio_shall_drop_for_a_full_dish_and_never_block);
    RUN_TRANSPORTS(radio_shall_receive_join_and_leave_commands_from_dishes);
    RUN_TRANSPORTS(dish_may_connect_to_many_radios_and_shall_only_receive);
    RUN_TRANSPORTS(dish_shall_create_and_maintain_queues);
    RUN_TRANSPORTS(dish_shall_receive_incoming_messages_using_fair_queuing);
    RUN(dish_may_filter_by_group_over_udp);
    RUN(dish_shall_silently_discard_messages_when_the_queue_is_full);
    RUN_TRANSPORTS(group_length_shall_be_0_to_255_bytes_of_1_to_255);
    RUN_TRANSPORTS(radio_and_dish_must_be_thread_safe);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
