/* CLIENT and SERVER (RFC 41, libzmq 4.3's draft socket types): routing ids, single-frame messages, peer
 * types, the high-water mark, zmq_poll, and thread safety (several threads on one socket at once). */
#include "testutil.h"
#include "rawpeer.h"

#include <stdatomic.h>
#include <stdbool.h>

/* ---- helpers --------------------------------------------------------------------------------------- */

/* Sends text from a SERVER to the peer with routing id rid (zmq_msg_send); returns its result. */
static int server_send(void *server, uint32_t rid, const char *text, int flags)
{
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_size(&m, strlen(text)));
    memcpy(zmq_msg_data(&m), text, strlen(text));
    if (rid)
        CHECK_OK(zmq_msg_set_routing_id(&m, rid));
    int rc = zmq_msg_send(&m, server, flags);
    int err = errno;
    if (rc < 0)
        zmq_msg_close(&m);
    errno = err;
    return rc;
}

/* Receives one message within ms into buf (NUL-terminated); returns its routing id. Fails the test if none
 * comes. POLLIN followed by EAGAIN is possible, as in libzmq: a multipart message a peer sent makes the
 * socket readable, and the receive then drops it. */
static uint32_t recv_msg(void *sock, char *buf, size_t cap, int ms)
{
    int64_t deadline = now_ms() + ms;
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc;
    for (;;) {
        int64_t left = deadline - now_ms();
        CHECK(poll_in(sock, left > 0 ? (int)left : 0));
        rc = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT);
        if (rc >= 0)
            break;
        CHECK_EQ(errno, EAGAIN);
    }
    CHECK((size_t)rc < cap);
    memcpy(buf, zmq_msg_data(&m), (size_t)rc);
    buf[rc] = '\0';
    CHECK_EQ(zmq_msg_more(&m), 0);
    uint32_t rid = zmq_msg_routing_id(&m);
    zmq_msg_close(&m);
    return rid;
}

static void pair_up(void *ctx, const char *transport, void **server, void **client, char *ep, size_t eplen)
{
    *server = bound_socket(ctx, ZMQ_SERVER, transport, ep, eplen);
    *client = connected_socket(ctx, ZMQ_CLIENT, ep);
}

/* ---- the API ---------------------------------------------------------------------------------------- */

/* zmq_msg_routing_id: 0 on a new message; zmq_msg_set_routing_id rejects 0 (EINVAL) and keeps others. */
static void routing_id_api(void)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_EQ(zmq_msg_routing_id(&m), 0);
    CHECK_ERR(zmq_msg_set_routing_id(&m, 0), EINVAL);
    CHECK_OK(zmq_msg_set_routing_id(&m, 0xdeadbeef));
    CHECK_EQ(zmq_msg_routing_id(&m), 0xdeadbeef);
    CHECK_ERR(zmq_msg_set_routing_id(&m, 0), EINVAL);
    CHECK_EQ(zmq_msg_routing_id(&m), 0xdeadbeef);
    zmq_msg_close(&m);
}

/* ZMQ_TYPE, ZMQ_THREAD_SAFE (1 for CLIENT and SERVER, 0 otherwise), ZMQ_FD (EINVAL on a thread-safe
 * socket, as libzmq), ZMQ_EVENTS (SERVER: always POLLOUT; CLIENT: POLLOUT only with a peer). */
static void socket_options(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server = test_socket(ctx, ZMQ_SERVER);
    void *client = test_socket(ctx, ZMQ_CLIENT);
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    CHECK_EQ(get_int(server, ZMQ_TYPE), ZMQ_SERVER);
    CHECK_EQ(get_int(client, ZMQ_TYPE), ZMQ_CLIENT);
    CHECK_EQ(get_int(server, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ(get_int(client, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ(get_int(dealer, ZMQ_THREAD_SAFE), 0);
    int fd;
    size_t len = sizeof fd;
    CHECK_ERR(zmq_getsockopt(server, ZMQ_FD, &fd, &len), EINVAL);
    CHECK_ERR(zmq_getsockopt(client, ZMQ_FD, &fd, &len), EINVAL);
    CHECK_OK(zmq_getsockopt(dealer, ZMQ_FD, &fd, &len));
    CHECK_EQ(get_int(server, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_EQ(get_int(client, ZMQ_EVENTS), 0);
    set_int(server, ZMQ_SNDHWM, 5);   /* the generic options apply */
    CHECK_EQ(get_int(server, ZMQ_SNDHWM), 5);
    close_zero_linger(server);
    close_zero_linger(client);
    close_zero_linger(dealer);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- request and reply ------------------------------------------------------------------------------ */

/* The SERVER tags what it receives with the sender's routing id (not 0) and replies by it; the CLIENT's
 * messages carry no routing id. */
static void request_reply(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    char ep[TU_ENDPOINT_LEN], buf[64];
    pair_up(ctx, transport, &server, &client, ep, sizeof ep);
    for (int round = 0; round < 3; round++) {
        send_str(client, "hello");
        uint32_t rid = recv_msg(server, buf, sizeof buf, 2000);
        CHECK_STR(buf, "hello");
        CHECK(rid != 0);
        CHECK_OK(server_send(server, rid, "world", 0));
        CHECK_EQ(recv_msg(client, buf, sizeof buf, 2000), 0);
        CHECK_STR(buf, "world");
    }
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* Many CLIENTs: each gets its own routing id, and each reply reaches only the client it names. */
#define MANY 8
static void many_clients(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *server = bound_socket(ctx, ZMQ_SERVER, transport, ep, sizeof ep);
    void *clients[MANY];
    for (int i = 0; i < MANY; i++) {
        clients[i] = connected_socket(ctx, ZMQ_CLIENT, ep);
        char name[16];
        snprintf(name, sizeof name, "client-%d", i);
        send_str(clients[i], name);
    }
    uint32_t ids[MANY] = {0};
    for (int n = 0; n < MANY; n++) {
        uint32_t rid = recv_msg(server, buf, sizeof buf, 2000);
        int i = atoi(buf + strlen("client-"));
        CHECK(i >= 0 && i < MANY && ids[i] == 0 && rid != 0);
        for (int j = 0; j < MANY; j++)
            CHECK(ids[j] != rid);
        ids[i] = rid;
    }
    for (int i = MANY - 1; i >= 0; i--) {
        char reply[16];
        snprintf(reply, sizeof reply, "reply-%d", i);
        CHECK_OK(server_send(server, ids[i], reply, 0));
    }
    for (int i = 0; i < MANY; i++) {
        char reply[16];
        snprintf(reply, sizeof reply, "reply-%d", i);
        recv_msg(clients[i], buf, sizeof buf, 2000);
        CHECK_STR(buf, reply);
        expect_no_msg(clients[i], 0);
    }
    for (int i = 0; i < MANY; i++)
        close_zero_linger(clients[i]);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A CLIENT connected to two SERVERs sends its messages to them in turn, and hears from both. */
static void client_round_robin(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep1[TU_ENDPOINT_LEN], ep2[TU_ENDPOINT_LEN], buf[64];
    void *s1 = bound_socket(ctx, ZMQ_SERVER, transport, ep1, sizeof ep1);
    void *s2 = bound_socket(ctx, ZMQ_SERVER, transport, ep2, sizeof ep2);
    void *client = connected_socket(ctx, ZMQ_CLIENT, ep1);
    CHECK_OK(zmq_connect(client, ep2));
    /* Until both connections are up a CLIENT may send everything to one: wait for both with a probe each. */
    int64_t deadline = now_ms() + 5000;
    int got1 = 0, got2 = 0;
    uint32_t id1 = 0, id2 = 0;
    while ((!got1 || !got2) && now_ms() < deadline) {
        send_str(client, "probe");
        if (poll_in(s1, 20)) {
            id1 = recv_msg(s1, buf, sizeof buf, 0);
            got1 = 1;
        }
        if (poll_in(s2, 0)) {
            id2 = recv_msg(s2, buf, sizeof buf, 0);
            got2 = 1;
        }
    }
    CHECK(got1 && got2);
    while (poll_in(s1, 50))
        recv_msg(s1, buf, sizeof buf, 0);
    while (poll_in(s2, 50))
        recv_msg(s2, buf, sizeof buf, 0);
    for (int i = 0; i < 10; i++)
        send_str(client, "rr");
    int n1 = 0, n2 = 0;
    while (n1 + n2 < 10) {
        if (poll_in(s1, 20)) {
            recv_msg(s1, buf, sizeof buf, 0);
            n1++;
        }
        if (poll_in(s2, 20)) {
            recv_msg(s2, buf, sizeof buf, 0);
            n2++;
        }
        CHECK(now_ms() < deadline + 5000);
    }
    CHECK_EQ(n1, 5);
    CHECK_EQ(n2, 5);
    CHECK_OK(server_send(s1, id1, "from-1", 0));
    CHECK_OK(server_send(s2, id2, "from-2", 0));
    int seen1 = 0, seen2 = 0;
    for (int i = 0; i < 2; i++) {
        recv_msg(client, buf, sizeof buf, 2000);
        seen1 += strcmp(buf, "from-1") == 0;
        seen2 += strcmp(buf, "from-2") == 0;
    }
    CHECK(seen1 == 1 && seen2 == 1);
    close_zero_linger(client);
    close_zero_linger(s1);
    close_zero_linger(s2);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* Sending to routing id 0 or to an id no peer has is EHOSTUNREACH, at once even when blocking; so is a
 * peer that has gone. */
static void unknown_id(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    char ep[TU_ENDPOINT_LEN], buf[64];
    pair_up(ctx, transport, &server, &client, ep, sizeof ep);
    CHECK_ERR(server_send(server, 0, "nobody", 0), EHOSTUNREACH);
    CHECK_ERR(zmq_send(server, "nobody", 6, 0), EHOSTUNREACH);
    send_str(client, "hi");
    uint32_t rid = recv_msg(server, buf, sizeof buf, 2000);
    CHECK_ERR(server_send(server, rid + 1, "nobody", 0), EHOSTUNREACH);
    CHECK_ERR(server_send(server, rid + 1, "nobody", ZMQ_DONTWAIT), EHOSTUNREACH);
    close_zero_linger(client);
    int64_t deadline = now_ms() + 5000;
    int rc;
    while (((rc = server_send(server, rid, "gone?", ZMQ_DONTWAIT)) >= 0 || errno == EAGAIN) && now_ms() < deadline)
        msleep(5);
    CHECK_EQ(rc, -1);
    CHECK_EQ(errno, EHOSTUNREACH);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ZMQ_SNDMORE is EINVAL on both (zmq_send and zmq_msg_send), and nothing of it is sent. */
static void sndmore_rejected(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    char ep[TU_ENDPOINT_LEN], buf[64];
    pair_up(ctx, transport, &server, &client, ep, sizeof ep);
    CHECK_ERR(zmq_send(client, "part", 4, ZMQ_SNDMORE), EINVAL);
    send_str(client, "whole");
    uint32_t rid = recv_msg(server, buf, sizeof buf, 2000);
    CHECK_STR(buf, "whole");
    CHECK_ERR(server_send(server, rid, "part", ZMQ_SNDMORE), EINVAL);
    CHECK_ERR(server_send(server, rid, "part", ZMQ_SNDMORE | ZMQ_DONTWAIT), EINVAL);
    CHECK_OK(server_send(server, rid, "whole", 0));
    recv_msg(client, buf, sizeof buf, 2000);
    CHECK_STR(buf, "whole");
    expect_no_msg(client, 100);
    expect_no_msg(server, 0);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- the wire: a raw ZMTP peer ---------------------------------------------------------------------- */

/* Our greeting (NULL, ZMTP 3.1) and READY as type; checks the socket's greeting and that its READY names
 * its own type. */
static int raw_peer_as(void *sock, const char *type, const char *expect_type)
{
    int fd = raw_connect_bound(sock);
    raw_send_greeting(fd, 1);
    uint8_t theirs[64];
    CHECK_EQ(raw_recv_pumping(fd, sock, theirs, 64, 3000), 64);
    CHECK(theirs[0] == 0xff && theirs[10] == 3 && memcmp(theirs + 12, "NULL", 5) == 0);
    raw_send_ready(fd, type);
    if (expect_type) {
        uint8_t flags, body[512];
        int n = raw_recv_frame(fd, sock, &flags, body, sizeof body, 3000);
        CHECK(n > 6 && flags == 0x04 && memcmp(body, "\5READY", 6) == 0);
        /* the Socket-Type property: name length 11, name, 4-byte length, value */
        uint8_t prop[64];
        size_t tlen = strlen(expect_type);
        memcpy(prop, "\13Socket-Type\0\0\0", 15);
        prop[15] = (uint8_t)tlen;
        memcpy(prop + 16, expect_type, tlen);
        int found = 0;
        for (size_t i = 6; i + 16 + tlen <= (size_t)n && !found; i++)
            found = memcmp(body + i, prop, 16 + tlen) == 0;
        CHECK(found);
    }
    return fd;
}

/* RFC 41: a SERVER talks to CLIENTs only and a CLIENT to SERVERs only; any other peer type is refused at
 * the handshake (the connection is closed), and libzmq types the other way round too. */
static void incompatible_peers(void)
{
    static const char *const others[] = {"PAIR", "DEALER", "ROUTER", "REQ", "REP", "PUSH", "PULL", "SUB",
                                         "SERVER"};
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    void *server = bound_socket(ctx, ZMQ_SERVER, "tcp", ep, sizeof ep);
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        int fd = raw_peer_as(server, others[i], NULL);
        CHECK_EQ(raw_wait_closed(fd, 3000), 1);
        close(fd);
    }
    void *client = bound_socket(ctx, ZMQ_CLIENT, "tcp", ep, sizeof ep);
    static const char *const not_server[] = {"CLIENT", "DEALER", "ROUTER"};
    for (size_t i = 0; i < sizeof not_server / sizeof not_server[0]; i++) {
        int fd = raw_peer_as(client, not_server[i], NULL);
        CHECK_EQ(raw_wait_closed(fd, 3000), 1);
        close(fd);
    }
    /* zinc's own sockets: a DEALER's message never reaches a SERVER. */
    void *dealer = test_socket(ctx, ZMQ_DEALER);
    char sep[TU_ENDPOINT_LEN];
    get_last_endpoint(server, sep, sizeof sep);
    CHECK_OK(zmq_connect(dealer, sep));
    send_str(dealer, "not for you");
    expect_no_msg(server, 300);
    close_zero_linger(dealer);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A raw CLIENT peer: the SERVER's READY says "SERVER"; a multipart message from the peer is dropped whole
 * (as libzmq does) and the single-frame one after it arrives; the reply is one frame without MORE. */
static void raw_client_peer(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *server = bound_socket(ctx, ZMQ_SERVER, "tcp", ep, sizeof ep);
    int fd = raw_peer_as(server, "CLIENT", "SERVER");
    raw_send_frame(fd, 0x01, "multi-1", 7);
    raw_send_frame(fd, 0x01, "multi-2", 7);
    raw_send_frame(fd, 0x00, "multi-3", 7);
    raw_send_frame(fd, 0x00, "single", 6);
    uint32_t rid = recv_msg(server, buf, sizeof buf, 2000);
    CHECK_STR(buf, "single");
    expect_no_msg(server, 100);
    CHECK_OK(server_send(server, rid, "reply", 0));
    uint8_t flags, body[64];
    int n = raw_recv_frame(fd, NULL, &flags, body, sizeof body, 3000);
    CHECK_EQ(flags, 0);
    CHECK_MEM(body, (size_t)n, "reply", 5);
    close(fd);
    /* And a raw SERVER peer for a CLIENT: the CLIENT says "CLIENT" and its messages reach the peer. */
    void *client = bound_socket(ctx, ZMQ_CLIENT, "tcp", ep, sizeof ep);
    fd = raw_peer_as(client, "SERVER", "CLIENT");
    send_str(client, "to-raw");
    n = raw_recv_frame(fd, client, &flags, body, sizeof body, 3000);
    CHECK_EQ(flags, 0);
    CHECK_MEM(body, (size_t)n, "to-raw", 6);
    close(fd);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- the high-water mark ---------------------------------------------------------------------------- */

/* Sends len bytes numbered seq (in the first 4 bytes) from a SERVER to rid; returns its result. */
static int server_send_numbered(void *server, uint32_t rid, int seq, size_t len, int flags)
{
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_size(&m, len));
    memset(zmq_msg_data(&m), 'x', len);
    memcpy(zmq_msg_data(&m), &seq, sizeof seq);
    CHECK_OK(zmq_msg_set_routing_id(&m, rid));
    int rc = zmq_msg_send(&m, server, flags);
    int err = errno;
    if (rc < 0)
        zmq_msg_close(&m);
    errno = err;
    return rc;
}

/* The next message on sock, within 2 s, is len bytes numbered seq. */
static void recv_numbered_msg(void *sock, int seq, size_t len)
{
    CHECK(poll_in(sock, 2000));
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_EQ(CHECK_OK(zmq_msg_recv(&m, sock, ZMQ_DONTWAIT)), (long long)len);
    int got;
    memcpy(&got, zmq_msg_data(&m), sizeof got);
    CHECK_EQ(got, seq);
    zmq_msg_close(&m);
}

/* A SERVER sending to a CLIENT that does not read: once the peer's queue holds its high-water mark, a
 * non-blocking send is EAGAIN and a blocking one waits ZMQ_SNDTIMEO and then says EAGAIN (libzmq's
 * server_t does the same); nothing is dropped, and every message accepted arrives in order. Over inproc
 * the queue holds exactly SNDHWM + RCVHWM. The CLIENT blocks the same way towards a SERVER that does not
 * read. Over ipc and tcp the kernel's buffers hold more: 64 KiB messages fill them quickly. */
static void hwm(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    bool inproc = strcmp(transport, "inproc") == 0;
    size_t len = inproc ? 16 : 65536;
    void *server = test_socket(ctx, ZMQ_SERVER);
    void *client = test_socket(ctx, ZMQ_CLIENT);
    set_int(server, ZMQ_SNDHWM, 10);
    set_int(client, ZMQ_RCVHWM, 10);
    set_int(client, ZMQ_SNDHWM, 10);
    set_int(server, ZMQ_RCVHWM, 10);
    bind_transport(server, transport, ep, sizeof ep);
    CHECK_OK(zmq_connect(client, ep));
    send_str(client, "hello");
    uint32_t rid = recv_msg(server, buf, sizeof buf, 2000);
    int sent = 0;
    int64_t deadline = now_ms() + 20000;
    for (int quiet = 0; quiet < 3;) {   /* mute: EAGAIN three times, 30 ms apart */
        if (server_send_numbered(server, rid, sent, len, ZMQ_DONTWAIT) >= 0) {
            sent++;
            quiet = 0;
            continue;
        }
        CHECK_EQ(errno, EAGAIN);
        quiet++;
        msleep(30);   /* over ipc and tcp the I/O threads may still be moving messages into the kernel */
        CHECK(sent < 100000 && now_ms() < deadline);
    }
    if (inproc)
        CHECK_EQ(sent, 20);
    CHECK_INT(sent, >=, 10);
    /* A blocking send waits ZMQ_SNDTIMEO, then fails (over tcp a late drain may still let one through). */
    set_int(server, ZMQ_SNDTIMEO, 100);
    for (;;) {
        int64_t t0 = now_ms();
        if (server_send_numbered(server, rid, sent, len, 0) >= 0) {
            CHECK(!inproc && sent < 100000 && now_ms() < deadline);
            sent++;
            continue;
        }
        CHECK_EQ(errno, EAGAIN);
        CHECK_INT(now_ms() - t0, >=, 90);
        break;
    }
    for (int i = 0; i < sent; i++)
        recv_numbered_msg(client, i, len);
    expect_no_msg(client, 50);
    /* Room again: a blocking send goes through. */
    set_int(server, ZMQ_SNDTIMEO, 2000);
    CHECK_OK(server_send(server, rid, "room", 0));
    recv_msg(client, buf, sizeof buf, 2000);
    CHECK_STR(buf, "room");
    /* The CLIENT's side: the SERVER stops reading. */
    if (inproc) {
        int csent = 0;
        while (zmq_send(client, "c", 1, ZMQ_DONTWAIT) == 1 && csent < 1000)
            csent++;
        CHECK_EQ(errno, EAGAIN);
        CHECK_EQ(csent, 20);
        set_int(client, ZMQ_SNDTIMEO, 50);
        CHECK_ERR(zmq_send(client, "c", 1, 0), EAGAIN);
        for (int i = 0; i < csent; i++) {
            recv_msg(server, buf, sizeof buf, 2000);
            CHECK_STR(buf, "c");
        }
        send_str(client, "again");
        recv_msg(server, buf, sizeof buf, 2000);
        CHECK_STR(buf, "again");
    }
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- zmq_poll ----------------------------------------------------------------------------------------- */

struct delayed_send {
    void *client;
    int delay_ms;
};

static void *delayed_send_main(void *arg)
{
    struct delayed_send *d = arg;
    msleep(d->delay_ms);
    send_str(d->client, "late");
    return NULL;
}

/* zmq_poll takes thread-safe sockets (libzmq 4.3 polls them through its poller): SERVER always has
 * POLLOUT, POLLIN once a message waits; a poll that sleeps wakes up when another thread's send makes a
 * message arrive, even though that thread uses the polled socket's peer meanwhile. */
static void poll_thread_safe(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    char ep[TU_ENDPOINT_LEN], buf[64];
    pair_up(ctx, transport, &server, &client, ep, sizeof ep);
    zmq_pollitem_t items[2] = {{server, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0}, {client, 0, ZMQ_POLLIN, 0}};
    CHECK_EQ(zmq_poll(items, 2, 0), 1);
    CHECK_EQ(items[0].revents, ZMQ_POLLOUT);
    items[0].events = ZMQ_POLLIN;
    CHECK_EQ(zmq_poll(items, 2, 50), 0);
    struct delayed_send d = {client, 100};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, delayed_send_main, &d), 0);
    int64_t t0 = now_ms();
    CHECK_EQ(zmq_poll(items, 2, 5000), 1);
    CHECK(now_ms() - t0 < 4000);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(items[1].revents, 0);
    pthread_join(t, NULL);
    uint32_t rid = recv_msg(server, buf, sizeof buf, 0);
    CHECK_STR(buf, "late");
    CHECK_OK(server_send(server, rid, "back", 0));
    CHECK_EQ(zmq_poll(items + 1, 1, 2000), 1);
    recv_msg(client, buf, sizeof buf, 0);
    CHECK_STR(buf, "back");
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_poller takes CLIENT and SERVER too (one thread here; other threads using the socket during the
 * wait, several pollers on one socket and zmq_poller_fd: tests/draft/test_poller_safe.c). */
static void poller_single_thread(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    char ep[TU_ENDPOINT_LEN], buf[64];
    pair_up(ctx, transport, &server, &client, ep, sizeof ep);
    void *poller = CHECK_PTR(zmq_poller_new());
    CHECK_OK(zmq_poller_add(poller, server, NULL, ZMQ_POLLIN));
    CHECK_OK(zmq_poller_add(poller, client, NULL, ZMQ_POLLIN));
    zmq_poller_event_t ev[2];
    CHECK_ERR(zmq_poller_wait_all(poller, ev, 2, 50), EAGAIN);
    send_str(client, "via poller");
    CHECK_EQ(CHECK_OK(zmq_poller_wait_all(poller, ev, 2, 2000)), 1);
    CHECK(ev[0].socket == server && ev[0].events == ZMQ_POLLIN);
    uint32_t rid = recv_msg(server, buf, sizeof buf, 0);
    CHECK_STR(buf, "via poller");
    CHECK_OK(server_send(server, rid, "back", 0));
    CHECK_EQ(CHECK_OK(zmq_poller_wait_all(poller, ev, 2, 2000)), 1);
    CHECK(ev[0].socket == client && ev[0].events == ZMQ_POLLIN);
    recv_msg(client, buf, sizeof buf, 0);
    CHECK_STR(buf, "back");
    CHECK_OK(zmq_poller_destroy(&poller));
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zinc's ZINC_POLLIN_FD works on a thread-safe socket: readable once a message waits; recv and ZMQ_EVENTS
 * sync it under the socket's lock (its rare re-run of commands, when some arrive during the sync, goes
 * through socket_process_commands_held, which does not take the lock again: not forced here). */
static void level_fd_on_server(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    char ep[TU_ENDPOINT_LEN], buf[64];
    pair_up(ctx, "tcp", &server, &client, ep, sizeof ep);
    int fd = -1;
    size_t len = sizeof fd;
    CHECK_OK(zmq_getsockopt(server, ZINC_POLLIN_FD, &fd, &len));
    CHECK(fd >= 0);
    send_str(client, "level");
    /* The fd may also rise for a command that brought no input (the connection's attach): look again. */
    int64_t deadline = now_ms() + 2000;
    struct pollfd p = {fd, POLLIN, 0};
    while (!(get_int(server, ZMQ_EVENTS) & ZMQ_POLLIN)) {
        CHECK(now_ms() < deadline);
        poll(&p, 1, 100);
    }
    CHECK_EQ(poll(&p, 1, 0), 1);
    uint32_t rid = recv_msg(server, buf, sizeof buf, 2000);
    CHECK_STR(buf, "level");
    CHECK_EQ(get_int(server, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_OK(server_send(server, rid, "ok", 0));
    recv_msg(client, buf, sizeof buf, 2000);
    CHECK_STR(buf, "ok");
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- threads ---------------------------------------------------------------------------------------- */

struct blocked {
    void *sock;
    int rc, err;
    char buf[64];
    int64_t returned_ms;
};

static void *blocked_recv_main(void *arg)
{
    struct blocked *b = arg;
    b->rc = zmq_recv(b->sock, b->buf, sizeof b->buf - 1, 0);
    b->err = errno;
    if (b->rc >= 0)
        b->buf[b->rc] = '\0';
    b->returned_ms = now_ms();
    return NULL;
}

/* A thread blocked in zmq_recv on a CLIENT does not hold it: another thread sends on the same CLIENT at
 * once, the reply wakes the blocked thread. */
static void blocked_recv_lets_send(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    char ep[TU_ENDPOINT_LEN], buf[64];
    pair_up(ctx, transport, &server, &client, ep, sizeof ep);
    set_int(client, ZMQ_RCVTIMEO, 5000);
    struct blocked b = {client, 0, 0, "", 0};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, blocked_recv_main, &b), 0);
    msleep(100);   /* let it block */
    int64_t t0 = now_ms();
    set_int(client, ZMQ_SNDTIMEO, 1000);
    send_str(client, "ping");
    CHECK(now_ms() - t0 < 500);
    uint32_t rid = recv_msg(server, buf, sizeof buf, 2000);
    CHECK_STR(buf, "ping");
    CHECK_OK(server_send(server, rid, "pong", 0));
    pthread_join(t, NULL);
    CHECK_EQ(b.rc, 4);
    CHECK_STR(b.buf, "pong");
    CHECK(b.returned_ms - t0 < 2000);
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_ctx_shutdown wakes every thread blocked on a thread-safe socket with ETERM. */
static void term_unblocks(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *server, *client;
    char ep[TU_ENDPOINT_LEN];
    pair_up(ctx, "tcp", &server, &client, ep, sizeof ep);
    struct blocked b[4] = {{server, 0, 0, "", 0}, {server, 0, 0, "", 0}, {client, 0, 0, "", 0},
                           {client, 0, 0, "", 0}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, blocked_recv_main, &b[i]), 0);
    msleep(100);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(b[i].rc, -1);
        CHECK_EQ(b[i].err, ETERM);
    }
    close_zero_linger(client);
    close_zero_linger(server);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* Several threads on one SERVER and one CLIENT at once, no user locks: SENDERS threads send numbered
 * requests on the CLIENT (blocking sends, so they also meet the high-water mark), RECEIVERS threads
 * receive the replies on the same CLIENT, WORKERS threads receive on the SERVER and reply by routing id,
 * and one more SERVER thread waits in zmq_poll and takes requests with ZMQ_DONTWAIT, competing with the
 * workers. Blocking calls have no timeout: a wake-up lost anywhere hangs the test (and the watchdog fails
 * it). Every request must reach the SERVER once and every reply the CLIENT once. */
#define SENDERS 3
#define RECEIVERS 2
#define WORKERS 2
#define PER_SENDER 1000
#define TOTAL (SENDERS * PER_SENDER)

struct stress {
    void *server, *client;
    int next_sender;
    atomic_int requests;                 /* taken by the SERVER side */
    atomic_int replies;                  /* taken by the CLIENT side */
    atomic_uchar seen_request[TOTAL];
    atomic_uchar seen_reply[TOTAL];
    atomic_int errors;
    pthread_mutex_t lock;                /* for next_sender only */
};

static int stress_index(const char *buf, int len)
{
    int sender, seq;
    if (len <= 0 || sscanf(buf, "%d:%d", &sender, &seq) != 2 || sender < 0 || sender >= SENDERS || seq < 0 ||
        seq >= PER_SENDER)
        return -1;
    return sender * PER_SENDER + seq;
}

static void *stress_sender(void *arg)
{
    struct stress *st = arg;
    pthread_mutex_lock(&st->lock);
    int me = st->next_sender++;
    pthread_mutex_unlock(&st->lock);
    for (int seq = 0; seq < PER_SENDER; seq++) {
        char text[32];
        int len = snprintf(text, sizeof text, "%d:%d", me, seq);
        if (zmq_send(st->client, text, (size_t)len, 0) != len) {
            atomic_fetch_add(&st->errors, 1);
            return NULL;
        }
    }
    return NULL;
}

static void *stress_receiver(void *arg)
{
    struct stress *st = arg;
    for (;;) {
        char buf[32];
        int rc = zmq_recv(st->client, buf, sizeof buf - 1, 0);
        if (rc < 0) {
            if (errno != ETERM)
                atomic_fetch_add(&st->errors, 1);
            return NULL;
        }
        buf[rc] = '\0';
        int i = stress_index(buf, rc);
        if (i < 0 || atomic_fetch_add(&st->seen_reply[i], 1) != 0)
            atomic_fetch_add(&st->errors, 1);
        atomic_fetch_add(&st->replies, 1);
    }
}

/* Takes one request off the SERVER (flags: 0 or ZMQ_DONTWAIT) and replies; 1, 0 (EAGAIN) or -1 (ETERM). */
static int stress_serve_one(struct stress *st, int flags)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, st->server, flags) < 0) {
        int err = errno;
        zmq_msg_close(&m);
        if (err == EAGAIN && flags)
            return 0;
        if (err != ETERM)
            atomic_fetch_add(&st->errors, 1);
        return -1;
    }
    char buf[32];
    size_t len = zmq_msg_size(&m) < sizeof buf - 1 ? zmq_msg_size(&m) : sizeof buf - 1;
    memcpy(buf, zmq_msg_data(&m), len);
    buf[len] = '\0';
    int i = stress_index(buf, (int)len);
    if (i < 0 || zmq_msg_routing_id(&m) == 0 || atomic_fetch_add(&st->seen_request[i], 1) != 0)
        atomic_fetch_add(&st->errors, 1);
    atomic_fetch_add(&st->requests, 1);
    /* The received message goes back as the reply: it carries the routing id already. */
    if (zmq_msg_send(&m, st->server, 0) < 0) {
        zmq_msg_close(&m);
        if (errno != ETERM)
            atomic_fetch_add(&st->errors, 1);
        return -1;
    }
    return 1;
}

static void *stress_worker(void *arg)
{
    struct stress *st = arg;
    while (stress_serve_one(st, 0) >= 0)
        ;
    return NULL;
}

static void *stress_poller(void *arg)
{
    struct stress *st = arg;
    for (;;) {
        zmq_pollitem_t item = {st->server, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, -1);
        if (rc < 0) {
            if (errno != ETERM)
                atomic_fetch_add(&st->errors, 1);
            return NULL;
        }
        if (rc == 1 && stress_serve_one(st, ZMQ_DONTWAIT) < 0)
            return NULL;
    }
}

static void threaded(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    struct stress *st = calloc(1, sizeof *st);
    CHECK(st != NULL);
    pthread_mutex_init(&st->lock, NULL);
    pair_up(ctx, transport, &st->server, &st->client, ep, sizeof ep);
    set_int(st->server, ZMQ_SNDHWM, 100);   /* small queues: senders and repliers block now and then */
    set_int(st->client, ZMQ_SNDHWM, 100);
    pthread_t t[SENDERS + RECEIVERS + WORKERS + 1];
    int n = 0;
    for (int i = 0; i < RECEIVERS; i++)
        CHECK_EQ(pthread_create(&t[n++], NULL, stress_receiver, st), 0);
    for (int i = 0; i < WORKERS; i++)
        CHECK_EQ(pthread_create(&t[n++], NULL, stress_worker, st), 0);
    CHECK_EQ(pthread_create(&t[n++], NULL, stress_poller, st), 0);
    for (int i = 0; i < SENDERS; i++)
        CHECK_EQ(pthread_create(&t[n++], NULL, stress_sender, st), 0);
    int64_t deadline = now_ms() + 60000;
    while (atomic_load(&st->replies) < TOTAL && atomic_load(&st->errors) == 0 && now_ms() < deadline)
        msleep(5);
    int replies = atomic_load(&st->replies);
    msleep(50);   /* anything extra (a duplicate) would arrive now */
    CHECK_OK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&st->errors), 0);
    CHECK_EQ(replies, TOTAL);
    CHECK_EQ(atomic_load(&st->replies), TOTAL);
    CHECK_EQ(atomic_load(&st->requests), TOTAL);
    for (int i = 0; i < TOTAL; i++) {
        CHECK_EQ(atomic_load(&st->seen_request[i]), 1);
        CHECK_EQ(atomic_load(&st->seen_reply[i]), 1);
    }
    close_zero_linger(st->client);
    close_zero_linger(st->server);
    CHECK_OK(zmq_ctx_term(ctx));
    pthread_mutex_destroy(&st->lock);
    free(st);
}

int main(void)
{
    test_begin(240);
    RUN(routing_id_api);
    RUN(socket_options);
    RUN_TRANSPORTS(request_reply);
    RUN_TRANSPORTS(many_clients);
    RUN_TRANSPORTS(client_round_robin);
    RUN_TRANSPORTS(unknown_id);
    RUN_TRANSPORTS(sndmore_rejected);
    RUN(incompatible_peers);
    RUN(raw_client_peer);
    RUN_TRANSPORTS(hwm);
    RUN_TRANSPORTS(poll_thread_safe);
    RUN_TRANSPORTS(poller_single_thread);
    RUN(level_fd_on_server);
    RUN_TRANSPORTS(blocked_recv_lets_send);
    RUN(term_unblocks);
    RUN_TRANSPORTS(threaded);
    return test_end();
}
