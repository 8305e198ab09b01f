/* PEER (RFC 51, libzmq 4.3's draft socket type) and zmq_connect_peer: every errno of zmq_connect_peer,
 * routing ids (distinct, usable before the handshake), single frames, unknown ids, the high-water mark,
 * peer types on the wire, a mesh of sockets that both bind and connect, and several threads at once. */
#include "testutil.h"
#include "rawpeer.h"

#include <stdatomic.h>
#include <stdbool.h>

/* ---- helpers --------------------------------------------------------------------------------------- */

/* Sends text to the peer with routing id rid (0: none set); returns zmq_msg_send's result. */
static int peer_send(void *sock, uint32_t rid, const char *text, int flags)
{
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_size(&m, strlen(text)));
    memcpy(zmq_msg_data(&m), text, strlen(text));
    if (rid)
        CHECK_OK(zmq_msg_set_routing_id(&m, rid));
    int rc = zmq_msg_send(&m, sock, flags);
    int err = errno;
    if (rc < 0)
        zmq_msg_close(&m);
    errno = err;
    return rc;
}

/* Receives one message within ms into buf (NUL-terminated); returns its routing id (never 0 on a PEER).
 * POLLIN followed by EAGAIN is possible: a raw peer's multipart message is dropped by the receive. */
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
    CHECK(rid != 0);
    return rid;
}

/* zmq_connect_peer that must succeed: returns the id, reported at the caller's line otherwise. */
#define connect_peer(sock, ep) tu_connect_peer(__FILE__, __LINE__, (sock), (ep))
static uint32_t tu_connect_peer(const char *file, int line, void *sock, const char *ep)
{
    uint32_t id = zmq_connect_peer(sock, ep);
    if (id == 0)
        tu_fail(file, line, "zmq_connect_peer (%s): errno %d: %s", ep, errno, zmq_strerror(errno));
    return id;
}

/* zmq_connect_peer that must fail with err (returning 0). */
#define CHECK_CONNECT_PEER_ERR(sock, ep, err)                                                                \
    do {                                                                                                     \
        errno = 0;                                                                                           \
        CHECK_EQ(zmq_connect_peer((sock), (ep)), 0);                                                         \
        CHECK_EQ(errno, (err));                                                                              \
    } while (0)

/* ---- the API ---------------------------------------------------------------------------------------- */

/* ZMQ_TYPE, ZMQ_THREAD_SAFE 1, ZMQ_FD EINVAL (thread-safe), ZMQ_EVENTS always POLLOUT (whether a send can
 * go depends on the id it names, as on SERVER). */
static void socket_options(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *peer = test_socket(ctx, ZMQ_PEER);
    CHECK_EQ(get_int(peer, ZMQ_TYPE), ZMQ_PEER);
    CHECK_EQ(get_int(peer, ZMQ_THREAD_SAFE), 1);
    int fd;
    size_t len = sizeof fd;
    CHECK_ERR(zmq_getsockopt(peer, ZMQ_FD, &fd, &len), EINVAL);
    CHECK_EQ(get_int(peer, ZMQ_EVENTS), ZMQ_POLLOUT);
    set_int(peer, ZMQ_SNDHWM, 5);
    CHECK_EQ(get_int(peer, ZMQ_SNDHWM), 5);
    close_zero_linger(peer);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_connect_peer's errors (its man page), each returning 0: ENOTSOCK for a bad handle; ENOTSUP on any
 * other socket type (checked before anything else, as libzmq checks ZMQ_TYPE first); EFAULT with
 * ZMQ_IMMEDIATE (the pipe would wait for the handshake, so no id could be given); EINVAL for a malformed
 * endpoint; EPROTONOSUPPORT for an unknown transport; ENOCOMPATPROTO for udp:// (RADIO/DISH only) and pgm://;
 * EMTHREAD for tcp with no I/O thread; ETERM once the context is shut down. None leaves a connection. */
static void connect_peer_errors(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    void *bound = bound_socket(ctx, ZMQ_PEER, "tcp", ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    CHECK_CONNECT_PEER_ERR(NULL, ep, ENOTSOCK);
    CHECK_CONNECT_PEER_ERR(ctx, ep, ENOTSOCK);
    static const int others[] = {ZMQ_DEALER, ZMQ_ROUTER, ZMQ_SERVER, ZMQ_CLIENT, ZMQ_PAIR, ZMQ_CHANNEL,
                                 ZMQ_SCATTER};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        void *s = test_socket(ctx, others[i]);
        CHECK_CONNECT_PEER_ERR(s, ep, ENOTSUP);
        CHECK_CONNECT_PEER_ERR(s, "nonsense", ENOTSUP);   /* the type is checked first */
        close_zero_linger(s);
    }
    set_int(peer, ZMQ_IMMEDIATE, 1);
    CHECK_CONNECT_PEER_ERR(peer, ep, EFAULT);
    set_int(peer, ZMQ_IMMEDIATE, 0);
    CHECK_CONNECT_PEER_ERR(peer, NULL, EINVAL);
    CHECK_CONNECT_PEER_ERR(peer, "nonsense", EINVAL);
    CHECK_CONNECT_PEER_ERR(peer, "tcp://", EINVAL);
    CHECK_CONNECT_PEER_ERR(peer, "tcp://127.0.0.1", EINVAL);
    CHECK_CONNECT_PEER_ERR(peer, "foo://bar", EPROTONOSUPPORT);
    CHECK_CONNECT_PEER_ERR(peer, "udp://127.0.0.1:5555", ENOCOMPATPROTO);
    CHECK_CONNECT_PEER_ERR(peer, "pgm://eth0;239.192.1.1:5555", ENOCOMPATPROTO);
    /* After all that, the socket works and names its first real peer. */
    char buf[64];
    uint32_t id = connect_peer(peer, ep);
    CHECK_OK(peer_send(peer, id, "after", 0));
    recv_msg(bound, buf, sizeof buf, 2000);
    CHECK_STR(buf, "after");
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_CONNECT_PEER_ERR(peer, ep, ETERM);
    close_zero_linger(peer);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
    /* No I/O thread: tcp is EMTHREAD, inproc still works. */
    ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_IO_THREADS, 0));
    peer = test_socket(ctx, ZMQ_PEER);
    CHECK_CONNECT_PEER_ERR(peer, "tcp://127.0.0.1:5555", EMTHREAD);
    CHECK(zmq_connect_peer(peer, "inproc://no-io-thread") != 0);
    close_zero_linger(peer);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- routing ids ------------------------------------------------------------------------------------ */

/* zmq_connect_peer's ids are non-zero and distinct (RFC 51: "a unique routing id"), also for the same
 * endpoint twice; each names its own connection: the bound PEER sees each sender under its own id, and a
 * reply by that id comes back tagged with the id zmq_connect_peer gave. */
#define NCONN 4
static void ids_distinct(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *bound = bound_socket(ctx, ZMQ_PEER, transport, ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    uint32_t ids[NCONN];
    for (int i = 0; i < NCONN; i++) {
        ids[i] = connect_peer(peer, ep);
        for (int j = 0; j < i; j++)
            CHECK(ids[j] != ids[i]);
    }
    uint32_t back[NCONN];
    for (int i = 0; i < NCONN; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        CHECK_OK(peer_send(peer, ids[i], text, 0));
    }
    int seen[NCONN] = {0};
    for (int n = 0; n < NCONN; n++) {
        uint32_t rid = recv_msg(bound, buf, sizeof buf, 2000);
        int i = atoi(buf);
        CHECK(i >= 0 && i < NCONN && !seen[i]);
        seen[i] = 1;
        back[i] = rid;
        for (int j = 0; j < NCONN; j++)
            CHECK(j == i || !seen[j] || back[j] != rid);
    }
    for (int i = 0; i < NCONN; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        CHECK_OK(peer_send(bound, back[i], text, 0));
    }
    for (int n = 0; n < NCONN; n++) {
        uint32_t rid = recv_msg(peer, buf, sizeof buf, 2000);
        CHECK_EQ(rid, ids[atoi(buf)]);
    }
    close_zero_linger(peer);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* The id is usable at once: a message sent right after zmq_connect_peer, before any handshake (tcp: before
 * the other side even binds; inproc: before the bind too), queues on the new pipe and is delivered once
 * the connection is up, as libzmq's pipe made at connect time. */
static void usable_before_handshake(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    if (strcmp(transport, "tcp") == 0)
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    else
        make_bind_endpoint(transport, ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    uint32_t id = connect_peer(peer, ep);
    CHECK_OK(peer_send(peer, id, "early-1", ZMQ_DONTWAIT));
    CHECK_OK(peer_send(peer, id, "early-2", ZMQ_DONTWAIT));
    void *bound = test_socket(ctx, ZMQ_PEER);
    CHECK_OK(zmq_bind(bound, ep));
    uint32_t rid = recv_msg(bound, buf, sizeof buf, 5000);
    CHECK_STR(buf, "early-1");
    CHECK_EQ(recv_msg(bound, buf, sizeof buf, 2000), rid);
    CHECK_STR(buf, "early-2");
    CHECK_OK(peer_send(bound, rid, "reply", 0));
    CHECK_EQ(recv_msg(peer, buf, sizeof buf, 2000), id);
    CHECK_STR(buf, "reply");
    close_zero_linger(peer);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* zmq_connect works on a PEER too (libzmq does not refuse it): the connector learns the peer's id from
 * the first message it receives from it. */
static void plain_connect(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *bound = bound_socket(ctx, ZMQ_PEER, transport, ep, sizeof ep);
    void *peer = connected_socket(ctx, ZMQ_PEER, ep);
    /* the bound side hears nothing until the connector speaks; the connector sends to no id: EHOSTUNREACH */
    CHECK_ERR(zmq_send(peer, "x", 1, 0), EHOSTUNREACH);
    uint32_t id = connect_peer(peer, ep);   /* a second connection, whose id we know */
    CHECK_OK(peer_send(peer, id, "hi", 0));
    uint32_t rid = recv_msg(bound, buf, sizeof buf, 2000);
    CHECK_OK(peer_send(bound, rid, "back", 0));
    CHECK_EQ(recv_msg(peer, buf, sizeof buf, 2000), id);
    close_zero_linger(peer);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* RFC 51: the double queue of a connection this PEER made is kept "whether or not the connection is
 * established": when the other side goes and a new one binds the same endpoint, the id zmq_connect_peer
 * gave still names it (never EHOSTUNREACH) and messages sent to it reach the newcomer. */
static void id_survives_reconnect(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *bound = bound_socket(ctx, ZMQ_PEER, transport, ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    set_int(peer, ZMQ_RECONNECT_IVL, 20);
    uint32_t id = connect_peer(peer, ep);
    CHECK_OK(peer_send(peer, id, "one", 0));
    recv_msg(bound, buf, sizeof buf, 2000);
    CHECK_STR(buf, "one");
    close_zero_linger(bound);
    bound = test_socket(ctx, ZMQ_PEER);
    int64_t deadline = now_ms() + 5000;
    while (zmq_bind(bound, ep) != 0) {   /* the old listener's port is freed by the I/O thread */
        CHECK_EQ(errno, EADDRINUSE);
        CHECK(now_ms() < deadline);
        msleep(10);
    }
    for (;;) {   /* a message written to the old connection as it went may be lost: send until one lands */
        CHECK(now_ms() < deadline);
        int rc = peer_send(peer, id, "two", ZMQ_DONTWAIT);
        CHECK(rc == 3 || (rc == -1 && errno == EAGAIN));
        if (poll_in(bound, 50))
            break;
    }
    uint32_t rid = recv_msg(bound, buf, sizeof buf, 0);
    CHECK_STR(buf, "two");
    CHECK_OK(peer_send(bound, rid, "back", 0));
    CHECK_EQ(recv_msg(peer, buf, sizeof buf, 2000), id);
    CHECK_STR(buf, "back");
    close_zero_linger(peer);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* RFC 51: "SHALL return an error if the queue does not exist": id 0 (zmq_send has none), an id no peer
 * has, and a peer that has gone are EHOSTUNREACH, at once even when blocking. */
static void unknown_id(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *bound = bound_socket(ctx, ZMQ_PEER, transport, ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    uint32_t id = connect_peer(peer, ep);
    CHECK_ERR(zmq_send(peer, "x", 1, 0), EHOSTUNREACH);
    CHECK_ERR(peer_send(peer, 0, "x", 0), EHOSTUNREACH);
    CHECK_ERR(peer_send(peer, id + 1, "x", 0), EHOSTUNREACH);
    CHECK_ERR(peer_send(peer, id + 1, "x", ZMQ_DONTWAIT), EHOSTUNREACH);
    CHECK_OK(peer_send(peer, id, "hi", 0));
    uint32_t rid = recv_msg(bound, buf, sizeof buf, 2000);
    close_zero_linger(peer);
    int64_t deadline = now_ms() + 5000;
    int rc;
    while (((rc = peer_send(bound, rid, "gone?", ZMQ_DONTWAIT)) >= 0 || errno == EAGAIN) && now_ms() < deadline)
        msleep(5);
    CHECK_EQ(rc, -1);
    CHECK_EQ(errno, EHOSTUNREACH);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* RFC 51: "MUST NOT send multi-part messages": ZMQ_SNDMORE is EINVAL and nothing of it is sent. */
static void sndmore_rejected(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *bound = bound_socket(ctx, ZMQ_PEER, transport, ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    uint32_t id = connect_peer(peer, ep);
    CHECK_ERR(peer_send(peer, id, "part", ZMQ_SNDMORE), EINVAL);
    CHECK_ERR(peer_send(peer, id, "part", ZMQ_SNDMORE | ZMQ_DONTWAIT), EINVAL);
    CHECK_OK(peer_send(peer, id, "whole", 0));
    recv_msg(bound, buf, sizeof buf, 2000);
    CHECK_STR(buf, "whole");
    expect_no_msg(bound, 100);
    close_zero_linger(peer);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* "Peer can both connect and bind": three PEERs, each bound, A connected to B and C, B to C. Every
 * message reaches the one peer its id names, and replies come back under the ids zmq_connect_peer gave. */
static void mesh(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char epb[TU_ENDPOINT_LEN], epc[TU_ENDPOINT_LEN], epa[TU_ENDPOINT_LEN], buf[64];
    void *a = bound_socket(ctx, ZMQ_PEER, transport, epa, sizeof epa);
    void *b = bound_socket(ctx, ZMQ_PEER, transport, epb, sizeof epb);
    void *c = bound_socket(ctx, ZMQ_PEER, transport, epc, sizeof epc);
    uint32_t a_to_b = connect_peer(a, epb), a_to_c = connect_peer(a, epc), b_to_c = connect_peer(b, epc);
    CHECK_OK(peer_send(a, a_to_b, "a->b", 0));
    CHECK_OK(peer_send(a, a_to_c, "a->c", 0));
    CHECK_OK(peer_send(b, b_to_c, "b->c", 0));
    uint32_t b_from_a = recv_msg(b, buf, sizeof buf, 2000);
    CHECK_STR(buf, "a->b");
    expect_no_msg(b, 50);
    uint32_t c_from_a = 0, c_from_b = 0;
    for (int i = 0; i < 2; i++) {
        uint32_t rid = recv_msg(c, buf, sizeof buf, 2000);
        if (strcmp(buf, "a->c") == 0)
            c_from_a = rid;
        else if (strcmp(buf, "b->c") == 0)
            c_from_b = rid;
    }
    CHECK(c_from_a != 0 && c_from_b != 0 && c_from_a != c_from_b);
    CHECK_OK(peer_send(b, b_from_a, "b->a", 0));
    CHECK_OK(peer_send(c, c_from_a, "c->a", 0));
    CHECK_OK(peer_send(c, c_from_b, "c->b", 0));
    for (int i = 0; i < 2; i++) {
        uint32_t rid = recv_msg(a, buf, sizeof buf, 2000);
        CHECK_EQ(rid, strcmp(buf, "b->a") == 0 ? a_to_b : a_to_c);
    }
    CHECK_EQ(recv_msg(b, buf, sizeof buf, 2000), b_to_c);
    CHECK_STR(buf, "c->b");
    expect_no_msg(a, 50);
    expect_no_msg(b, 0);
    expect_no_msg(c, 0);
    close_zero_linger(a);
    close_zero_linger(b);
    close_zero_linger(c);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- the high-water mark ---------------------------------------------------------------------------- */

static int send_numbered_to(void *sock, uint32_t rid, int seq, size_t len, int flags)
{
    zmq_msg_t m;
    CHECK_OK(zmq_msg_init_size(&m, len));
    memset(zmq_msg_data(&m), 'x', len);
    memcpy(zmq_msg_data(&m), &seq, sizeof seq);
    CHECK_OK(zmq_msg_set_routing_id(&m, rid));
    int rc = zmq_msg_send(&m, sock, flags);
    int err = errno;
    if (rc < 0)
        zmq_msg_close(&m);
    errno = err;
    return rc;
}

/* RFC 51: "SHALL block on sending, if the queue is full" and "SHALL NOT discard messages": a peer that does
 * not read: EAGAIN with ZMQ_DONTWAIT once its queue holds the high-water mark (inproc: SNDHWM + RCVHWM
 * exactly), a blocking send waits ZMQ_SNDTIMEO; every accepted message arrives in order. */
static void hwm(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    bool inproc = strcmp(transport, "inproc") == 0;
    size_t len = inproc ? 16 : 65536;
    char *buf = calloc(1, len + 1);
    CHECK(buf != NULL);
    void *bound = test_socket(ctx, ZMQ_PEER);
    set_int(bound, ZMQ_RCVHWM, 10);
    bind_transport(bound, transport, ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    set_int(peer, ZMQ_SNDHWM, 10);
    uint32_t id = connect_peer(peer, ep);
    CHECK_OK(peer_send(peer, id, "hello", 0));
    recv_msg(bound, buf, len + 1, 2000);
    int sent = 0;
    int64_t deadline = now_ms() + 20000;
    for (int quiet = 0; quiet < 3;) {
        if (send_numbered_to(peer, id, sent, len, ZMQ_DONTWAIT) >= 0) {
            sent++;
            quiet = 0;
            continue;
        }
        CHECK_EQ(errno, EAGAIN);
        quiet++;
        msleep(30);
        CHECK(sent < 100000 && now_ms() < deadline);
    }
    if (inproc)
        CHECK_EQ(sent, 20);
    CHECK_INT(sent, >=, 10);
    set_int(peer, ZMQ_SNDTIMEO, 100);
    for (;;) {
        int64_t t0 = now_ms();
        if (send_numbered_to(peer, id, sent, len, 0) >= 0) {
            CHECK(!inproc && sent < 100000 && now_ms() < deadline);
            sent++;
            continue;
        }
        CHECK_EQ(errno, EAGAIN);
        CHECK_INT(now_ms() - t0, >=, 90);
        break;
    }
    recv_numbered(bound, buf, len, sent);
    expect_no_msg(bound, 50);
    set_int(peer, ZMQ_SNDTIMEO, 2000);
    CHECK_OK(peer_send(peer, id, "room", 0));
    recv_msg(bound, buf, len + 1, 2000);
    CHECK_STR(buf, "room");
    free(buf);
    close_zero_linger(peer);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- the wire: a raw ZMTP peer ---------------------------------------------------------------------- */

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

/* RFC 51: a PEER talks to PEERs only: any other type is refused at the handshake; a zinc SERVER's
 * connection never delivers. A raw PEER is served: the READY says "PEER", a multipart message is dropped
 * whole, the single frame after it arrives with an id, and the reply is one frame without MORE. */
static void wire_peers(void)
{
    static const char *const others[] = {"SERVER", "CLIENT", "ROUTER", "DEALER", "PAIR", "CHANNEL", "SCATTER"};
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *bound = bound_socket(ctx, ZMQ_PEER, "tcp", ep, sizeof ep);
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        int fd = raw_peer_as(bound, others[i], NULL);
        CHECK_EQ(raw_wait_closed(fd, 3000), 1);
        close(fd);
    }
    void *client = connected_socket(ctx, ZMQ_CLIENT, ep);
    int rc = zmq_send(client, "not for you", 11, ZMQ_DONTWAIT);
    CHECK(rc == 11 || (rc == -1 && errno == EAGAIN));
    expect_no_msg(bound, 300);
    close_zero_linger(client);
    int fd = raw_peer_as(bound, "PEER", "PEER");
    raw_send_frame(fd, 0x01, "multi-1", 7);
    raw_send_frame(fd, 0x00, "multi-2", 7);
    raw_send_frame(fd, 0x00, "single", 6);
    uint32_t rid = recv_msg(bound, buf, sizeof buf, 2000);
    CHECK_STR(buf, "single");
    expect_no_msg(bound, 100);
    CHECK_OK(peer_send(bound, rid, "reply", 0));
    uint8_t flags, body[64];
    int n = raw_recv_frame(fd, NULL, &flags, body, sizeof body, 3000);
    CHECK_EQ(flags, 0);
    CHECK_MEM(body, (size_t)n, "reply", 5);
    close(fd);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- zmq_poll --------------------------------------------------------------------------------------- */

struct delayed {
    void *sock;
    uint32_t id;
};

static void *delayed_send_main(void *arg)
{
    struct delayed *d = arg;
    msleep(100);
    CHECK_OK(peer_send(d->sock, d->id, "late", 0));
    return NULL;
}

/* zmq_poll takes a PEER: always POLLOUT, POLLIN once a message waits; a sleeping poll wakes when another
 * thread's send on the peer makes one arrive. */
static void poll_peer(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *bound = bound_socket(ctx, ZMQ_PEER, transport, ep, sizeof ep);
    void *peer = test_socket(ctx, ZMQ_PEER);
    struct delayed d = {peer, connect_peer(peer, ep)};
    zmq_pollitem_t item = {bound, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0};
    CHECK_EQ(zmq_poll(&item, 1, 0), 1);
    CHECK_EQ(item.revents, ZMQ_POLLOUT);
    item.events = ZMQ_POLLIN;
    CHECK_EQ(zmq_poll(&item, 1, 50), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, delayed_send_main, &d), 0);
    int64_t t0 = now_ms();
    CHECK_EQ(zmq_poll(&item, 1, 5000), 1);
    CHECK(now_ms() - t0 < 4000);
    CHECK_EQ(item.revents, ZMQ_POLLIN);
    pthread_join(t, NULL);
    recv_msg(bound, buf, sizeof buf, 0);
    CHECK_STR(buf, "late");
    close_zero_linger(peer);
    close_zero_linger(bound);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- threads ---------------------------------------------------------------------------------------- */

/* Several threads on two PEERs at once, no user locks. On the connecting PEER: SENDERS threads send
 * numbered messages to the id zmq_connect_peer gave, RECEIVERS threads take the echoes (each must carry
 * that id). On the bound PEER: WORKERS threads receive and send each message straight back (it carries the
 * sender's id), and a thread in zmq_poll competes with them using ZMQ_DONTWAIT; one more thread keeps
 * connecting new peers to the bound PEER with zmq_connect_peer, which must give distinct ids while the
 * others run. Small high-water marks make senders block now and then; no call has a timeout. Every message
 * must be echoed exactly once. */
#define SENDERS 3
#define RECEIVERS 2
#define WORKERS 2
#define PER_SENDER 1000
#define TOTAL (SENDERS * PER_SENDER)
#define EXTRA_CONNECTS 20

struct stress {
    void *bound, *peer;
    uint32_t id;
    const char *ep;
    atomic_int next_sender;
    atomic_int echoed, replies;
    atomic_uchar seen_echo[TOTAL];
    atomic_uchar seen_reply[TOTAL];
    atomic_int errors;
    atomic_int connects_done;            /* the connector finished (before the context is shut down) */
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
    int me = atomic_fetch_add(&st->next_sender, 1);
    for (int seq = 0; seq < PER_SENDER; seq++) {
        char text[32];
        snprintf(text, sizeof text, "%d:%d", me, seq);
        if (peer_send(st->peer, st->id, text, 0) < 0) {
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
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, st->peer, 0);
        if (rc < 0) {
            zmq_msg_close(&m);
            if (errno != ETERM)
                atomic_fetch_add(&st->errors, 1);
            return NULL;
        }
        char buf[32];
        size_t len = (size_t)rc < sizeof buf - 1 ? (size_t)rc : sizeof buf - 1;
        memcpy(buf, zmq_msg_data(&m), len);
        buf[len] = '\0';
        int i = stress_index(buf, (int)len);
        if (i < 0 || zmq_msg_routing_id(&m) != st->id || atomic_fetch_add(&st->seen_reply[i], 1) != 0)
            atomic_fetch_add(&st->errors, 1);
        zmq_msg_close(&m);
        atomic_fetch_add(&st->replies, 1);
    }
}

/* Takes one message off the bound PEER (flags: 0 or ZMQ_DONTWAIT) and echoes it; 1, 0 (EAGAIN), -1. */
static int stress_echo_one(struct stress *st, int flags)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, st->bound, flags) < 0) {
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
    if (i < 0 || zmq_msg_routing_id(&m) == 0 || atomic_fetch_add(&st->seen_echo[i], 1) != 0)
        atomic_fetch_add(&st->errors, 1);
    atomic_fetch_add(&st->echoed, 1);
    if (zmq_msg_send(&m, st->bound, 0) < 0) {
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
    while (stress_echo_one(st, 0) >= 0)
        ;
    return NULL;
}

static void *stress_poller(void *arg)
{
    struct stress *st = arg;
    for (;;) {
        zmq_pollitem_t item = {st->bound, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, -1);
        if (rc < 0) {
            if (errno != ETERM)
                atomic_fetch_add(&st->errors, 1);
            return NULL;
        }
        if (rc == 1 && stress_echo_one(st, ZMQ_DONTWAIT) < 0)
            return NULL;
    }
}

static void *stress_connector(void *arg)
{
    struct stress *st = arg;
    uint32_t ids[EXTRA_CONNECTS];
    for (int i = 0; i < EXTRA_CONNECTS; i++) {
        ids[i] = zmq_connect_peer(st->peer, st->ep);
        bool bad = ids[i] == 0 || ids[i] == st->id;
        for (int j = 0; j < i; j++)
            bad = bad || ids[j] == ids[i];
        if (bad) {
            atomic_fetch_add(&st->errors, 1);
            break;
        }
        msleep(1);
    }
    atomic_store(&st->connects_done, 1);
    return NULL;
}

static void threaded(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    struct stress *st = calloc(1, sizeof *st);
    CHECK(st != NULL);
    st->bound = bound_socket(ctx, ZMQ_PEER, transport, ep, sizeof ep);
    st->peer = test_socket(ctx, ZMQ_PEER);
    set_int(st->bound, ZMQ_SNDHWM, 100);
    set_int(st->peer, ZMQ_SNDHWM, 100);
    st->ep = ep;
    st->id = connect_peer(st->peer, ep);
    pthread_t t[SENDERS + RECEIVERS + WORKERS + 2];
    int n = 0;
    for (int i = 0; i < RECEIVERS; i++)
        CHECK_EQ(pthread_create(&t[n++], NULL, stress_receiver, st), 0);
    for (int i = 0; i < WORKERS; i++)
        CHECK_EQ(pthread_create(&t[n++], NULL, stress_worker, st), 0);
    CHECK_EQ(pthread_create(&t[n++], NULL, stress_poller, st), 0);
    CHECK_EQ(pthread_create(&t[n++], NULL, stress_connector, st), 0);
    for (int i = 0; i < SENDERS; i++)
        CHECK_EQ(pthread_create(&t[n++], NULL, stress_sender, st), 0);
    int64_t deadline = now_ms() + 60000;
    while ((atomic_load(&st->replies) < TOTAL || !atomic_load(&st->connects_done)) &&
           atomic_load(&st->errors) == 0 && now_ms() < deadline)
        msleep(5);
    msleep(50);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&st->errors), 0);
    CHECK_EQ(atomic_load(&st->replies), TOTAL);
    CHECK_EQ(atomic_load(&st->echoed), TOTAL);
    for (int i = 0; i < TOTAL; i++) {
        CHECK_EQ(atomic_load(&st->seen_echo[i]), 1);
        CHECK_EQ(atomic_load(&st->seen_reply[i]), 1);
    }
    close_zero_linger(st->peer);
    close_zero_linger(st->bound);
    CHECK_OK(zmq_ctx_term(ctx));
    free(st);
}

int main(void)
{
    test_begin(240);
    RUN(socket_options);
    RUN(connect_peer_errors);
    RUN_TRANSPORTS(ids_distinct);
    RUN_TRANSPORTS(usable_before_handshake);
    RUN_TRANSPORTS(plain_connect);
    RUN_ENGINE_TRANSPORTS(id_survives_reconnect);
    RUN_TRANSPORTS(unknown_id);
    RUN_TRANSPORTS(sndmore_rejected);
    RUN_TRANSPORTS(mesh);
    RUN_TRANSPORTS(hwm);
    RUN(wire_peers);
    RUN_TRANSPORTS(poll_peer);
    RUN_TRANSPORTS(threaded);
    return test_end();
}
