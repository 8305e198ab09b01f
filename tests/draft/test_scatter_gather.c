/* SCATTER and GATHER (RFC 49, libzmq 4.3's draft socket types): the thread-safe pipeline. Errors, single
 * frames, load balancing and fair queueing counts, the high-water mark, peer types on the wire, zmq_poll,
 * and several threads on one socket at once. */
#include "testutil.h"
#include "rawpeer.h"

#include <stdatomic.h>
#include <stdbool.h>

/* ---- helpers --------------------------------------------------------------------------------------- */

/* Receives one message within ms into buf (NUL-terminated) and returns its length; fails the test if none
 * comes. POLLIN followed by EAGAIN is possible, as in libzmq: a multipart message from a raw peer makes
 * the GATHER readable, and the receive then drops it. */
static int recv_one(void *sock, char *buf, size_t cap, int ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        CHECK(poll_in(sock, left > 0 ? (int)left : 0));
        int rc = zmq_recv(sock, buf, cap - 1, ZMQ_DONTWAIT);
        if (rc >= 0) {
            CHECK((size_t)rc < cap);
            buf[rc] = '\0';
            CHECK_EQ(rcvmore(sock), 0);
            return rc;
        }
        CHECK_EQ(errno, EAGAIN);
    }
}

/* Sends probes from scatter until every one of the n gathers has received one (each connection is then
 * attached at both ends), then drains what is left, so that counting can start from empty queues. */
static void await_gathers(void *scatter, void **gathers, int n)
{
    char buf[64];
    int got[8] = {0}, missing = n;
    int64_t deadline = now_ms() + 5000;
    while (missing > 0) {
        CHECK(now_ms() < deadline);
        send_str(scatter, "probe");
        for (int i = 0; i < n; i++) {
            if (poll_in(gathers[i], 10)) {
                recv_one(gathers[i], buf, sizeof buf, 0);
                missing -= !got[i];
                got[i] = 1;
            }
        }
    }
    for (int i = 0; i < n; i++)
        while (poll_in(gathers[i], 50))
            recv_one(gathers[i], buf, sizeof buf, 0);
}

/* ---- the API ---------------------------------------------------------------------------------------- */

/* ZMQ_TYPE; ZMQ_THREAD_SAFE 1 (libzmq lists both as thread-safe); ZMQ_FD EINVAL, as on every thread-safe
 * socket; ZMQ_EVENTS 0 on both while alone (a SCATTER with no peer cannot send). */
static void socket_options(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *scatter = test_socket(ctx, ZMQ_SCATTER);
    void *gather = test_socket(ctx, ZMQ_GATHER);
    CHECK_EQ(get_int(scatter, ZMQ_TYPE), ZMQ_SCATTER);
    CHECK_EQ(get_int(gather, ZMQ_TYPE), ZMQ_GATHER);
    CHECK_EQ(get_int(scatter, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ(get_int(gather, ZMQ_THREAD_SAFE), 1);
    int fd;
    size_t len = sizeof fd;
    CHECK_ERR(zmq_getsockopt(scatter, ZMQ_FD, &fd, &len), EINVAL);
    CHECK_ERR(zmq_getsockopt(gather, ZMQ_FD, &fd, &len), EINVAL);
    CHECK_EQ(get_int(scatter, ZMQ_EVENTS), 0);
    CHECK_EQ(get_int(gather, ZMQ_EVENTS), 0);
    set_int(scatter, ZMQ_SNDHWM, 7);   /* the generic options apply */
    CHECK_EQ(get_int(scatter, ZMQ_SNDHWM), 7);
    close_zero_linger(scatter);
    close_zero_linger(gather);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* RFC 49: SCATTER "SHALL only send", GATHER "SHALL only receive": the other direction is ENOTSUP (libzmq's
 * socket base for a type without it), with zmq_send/zmq_recv and zmq_msg_send/zmq_msg_recv alike. SCATTER
 * "MUST NOT send multi-part messages": ZMQ_SNDMORE is EINVAL, even with ZMQ_DONTWAIT, and queues nothing. */
static void errors(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *gather = bound_socket(ctx, ZMQ_GATHER, transport, ep, sizeof ep);
    void *scatter = connected_socket(ctx, ZMQ_SCATTER, ep);
    CHECK_ERR(zmq_recv(scatter, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
    CHECK_ERR(zmq_recv(scatter, buf, sizeof buf, 0), ENOTSUP);
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_ERR(zmq_msg_recv(&m, scatter, 0), ENOTSUP);
    CHECK_ERR(zmq_send(gather, "x", 1, 0), ENOTSUP);
    CHECK_ERR(zmq_send(gather, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
    CHECK_OK(zmq_msg_init_size(&m, 1));
    CHECK_ERR(zmq_msg_send(&m, gather, 0), ENOTSUP);
    zmq_msg_close(&m);
    CHECK_ERR(zmq_send(scatter, "part", 4, ZMQ_SNDMORE), EINVAL);
    CHECK_ERR(zmq_send(scatter, "part", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT), EINVAL);
    send_str(scatter, "whole");
    recv_one(gather, buf, sizeof buf, 2000);
    CHECK_STR(buf, "whole");
    expect_no_msg(gather, 100);
    close_zero_linger(scatter);
    close_zero_linger(gather);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* RFC 49: "SHALL block on sending, or return a suitable error, when it has no available peers": EAGAIN
 * with ZMQ_DONTWAIT, a blocking send waits ZMQ_SNDTIMEO; once a GATHER connects the send goes through. */
static void no_peer_blocks(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *scatter = bound_socket(ctx, ZMQ_SCATTER, transport, ep, sizeof ep);
    CHECK_ERR(zmq_send(scatter, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    set_int(scatter, ZMQ_SNDTIMEO, 100);
    int64_t t0 = now_ms();
    CHECK_ERR(zmq_send(scatter, "x", 1, 0), EAGAIN);
    CHECK_INT(now_ms() - t0, >=, 90);
    void *gather = connected_socket(ctx, ZMQ_GATHER, ep);
    set_int(scatter, ZMQ_SNDTIMEO, 5000);
    send_str(scatter, "now");
    recv_one(gather, buf, sizeof buf, 2000);
    CHECK_STR(buf, "now");
    close_zero_linger(gather);
    close_zero_linger(scatter);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- routing ---------------------------------------------------------------------------------------- */

/* RFC 49: "SHALL route outgoing messages to available peers using a round-robin strategy": three GATHERs,
 * 30 messages, ten each. */
#define NG 3
static void load_balance(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *scatter = bound_socket(ctx, ZMQ_SCATTER, transport, ep, sizeof ep);
    void *gathers[NG];
    for (int i = 0; i < NG; i++)
        gathers[i] = connected_socket(ctx, ZMQ_GATHER, ep);
    await_gathers(scatter, gathers, NG);
    for (int i = 0; i < 10 * NG; i++)
        send_str(scatter, "work");
    for (int i = 0; i < NG; i++) {
        for (int k = 0; k < 10; k++) {
            recv_one(gathers[i], buf, sizeof buf, 2000);
            CHECK_STR(buf, "work");
        }
        expect_no_msg(gathers[i], i == 0 ? 100 : 0);
    }
    for (int i = 0; i < NG; i++)
        close_zero_linger(gathers[i]);
    close_zero_linger(scatter);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* RFC 49: GATHER "SHALL receive incoming messages from its peers using a fair-queuing strategy": three
 * SCATTERs with ten messages queued each are served in turn, five each in the first fifteen (over inproc,
 * where a sent message is in the queue at once, strictly one from each in every three). */
static void fair_queue(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *gather = bound_socket(ctx, ZMQ_GATHER, transport, ep, sizeof ep);
    void *scatters[NG];
    for (int i = 0; i < NG; i++) {
        scatters[i] = connected_socket(ctx, ZMQ_SCATTER, ep);
        set_int(scatters[i], ZMQ_SNDTIMEO, 5000);
        send_str(scatters[i], "hello");   /* blocks until connected */
    }
    for (int i = 0; i < NG; i++)
        recv_one(gather, buf, sizeof buf, 2000);
    for (int i = 0; i < NG; i++) {
        for (int k = 0; k < 10; k++) {
            char text[16];
            snprintf(text, sizeof text, "%d", i);
            send_str(scatters[i], text);
        }
    }
    msleep(strcmp(transport, "inproc") == 0 ? 0 : 300);   /* the I/O thread moves them into the queues */
    int count[NG] = {0};
    for (int n = 0; n < 10 * NG; n++) {
        recv_one(gather, buf, sizeof buf, 2000);
        int i = atoi(buf);
        CHECK(i >= 0 && i < NG);
        count[i]++;
        if (strcmp(transport, "inproc") == 0 && n % NG == NG - 1)
            for (int j = 0; j < NG; j++)
                CHECK_EQ(count[j], n / NG + 1);
        if (n == 5 * NG - 1)
            for (int j = 0; j < NG; j++)
                CHECK_EQ(count[j], 5);
    }
    expect_no_msg(gather, 50);
    for (int i = 0; i < NG; i++)
        close_zero_linger(scatters[i]);
    close_zero_linger(gather);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- the high-water mark ---------------------------------------------------------------------------- */

/* A GATHER that does not read: the SCATTER queues up to the high-water mark (inproc: SNDHWM + RCVHWM
 * exactly), then is mute: EAGAIN with ZMQ_DONTWAIT, a blocking send waits ZMQ_SNDTIMEO; nothing is dropped
 * and every accepted message arrives in order; room again lets a blocking send through. Over ipc and tcp
 * the kernel's buffers hold more: 64 KiB messages fill them quickly. */
static void hwm(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    bool inproc = strcmp(transport, "inproc") == 0;
    size_t len = inproc ? 16 : 65536;
    char *msg = calloc(1, len);
    CHECK(msg != NULL);
    void *gather = test_socket(ctx, ZMQ_GATHER);
    set_int(gather, ZMQ_RCVHWM, 10);
    bind_transport(gather, transport, ep, sizeof ep);
    void *scatter = test_socket(ctx, ZMQ_SCATTER);
    set_int(scatter, ZMQ_SNDHWM, 10);
    CHECK_OK(zmq_connect(scatter, ep));
    set_int(scatter, ZMQ_SNDTIMEO, 5000);
    send_str(scatter, "hello");
    recv_one(gather, buf, sizeof buf, 2000);
    int sent = send_numbered_until_mute(scatter, msg, len, 100000, 20000);
    if (inproc)
        CHECK_EQ(sent, 20);
    CHECK_INT(sent, >=, 10);
    set_int(scatter, ZMQ_SNDTIMEO, 100);
    int64_t t0 = now_ms();
    memcpy(msg, &sent, sizeof sent);
    if (zmq_send(scatter, msg, len, 0) == (int)len) {
        CHECK(!inproc);   /* over ipc/tcp a late drain into the kernel may take one more */
        sent++;
    } else {
        CHECK_EQ(errno, EAGAIN);
        CHECK_INT(now_ms() - t0, >=, 90);
    }
    recv_numbered(gather, msg, len, sent);
    expect_no_msg(gather, 50);
    set_int(scatter, ZMQ_SNDTIMEO, 2000);
    send_str(scatter, "room");
    recv_one(gather, buf, sizeof buf, 2000);
    CHECK_STR(buf, "room");
    free(msg);
    close_zero_linger(scatter);
    close_zero_linger(gather);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* RFC 49: a peer is "available only when it has a outgoing queue that is not full": with two GATHERs
 * (inproc, each queue 5 + 5) twenty messages go through, ten to each, and the 21st is EAGAIN. */
static void hwm_skips_full_peer(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *scatter = test_socket(ctx, ZMQ_SCATTER);
    set_int(scatter, ZMQ_SNDHWM, 5);
    bind_transport(scatter, "inproc", ep, sizeof ep);
    void *gathers[2];
    for (int i = 0; i < 2; i++) {
        gathers[i] = test_socket(ctx, ZMQ_GATHER);
        set_int(gathers[i], ZMQ_RCVHWM, 5);
        CHECK_OK(zmq_connect(gathers[i], ep));
    }
    await_gathers(scatter, gathers, 2);
    int sent = 0;
    while (sent < 100 && zmq_send(scatter, "m", 1, ZMQ_DONTWAIT) == 1)
        sent++;
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(sent, 20);
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 10; k++)
            recv_one(gathers[i], buf, sizeof buf, 2000);
        expect_no_msg(gathers[i], 0);
    }
    for (int i = 0; i < 2; i++)
        close_zero_linger(gathers[i]);
    close_zero_linger(scatter);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- the wire: a raw ZMTP peer ---------------------------------------------------------------------- */

/* Greets sock's tcp endpoint as a raw peer of type; if expect_type, reads sock's READY and checks that its
 * Socket-Type is expect_type. Returns the fd. */
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

/* RFC 49: a GATHER talks to SCATTERs only and a SCATTER to GATHERs only: any other type is refused at the
 * handshake (the connection is closed). A zinc PUSH's message never reaches a GATHER. */
static void incompatible_peers(void)
{
    static const char *const not_scatter[] = {"PUSH", "PULL", "PAIR", "DEALER", "GATHER", "PEER", "CLIENT"};
    static const char *const not_gather[] = {"PULL", "PUSH", "SCATTER", "SERVER", "CHANNEL"};
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    void *gather = bound_socket(ctx, ZMQ_GATHER, "tcp", ep, sizeof ep);
    for (size_t i = 0; i < sizeof not_scatter / sizeof not_scatter[0]; i++) {
        int fd = raw_peer_as(gather, not_scatter[i], NULL);
        CHECK_EQ(raw_wait_closed(fd, 3000), 1);
        close(fd);
    }
    void *scatter = bound_socket(ctx, ZMQ_SCATTER, "tcp", ep, sizeof ep);
    for (size_t i = 0; i < sizeof not_gather / sizeof not_gather[0]; i++) {
        int fd = raw_peer_as(scatter, not_gather[i], NULL);
        CHECK_EQ(raw_wait_closed(fd, 3000), 1);
        close(fd);
    }
    void *push = test_socket(ctx, ZMQ_PUSH);
    char gep[TU_ENDPOINT_LEN];
    get_last_endpoint(gather, gep, sizeof gep);
    CHECK_OK(zmq_connect(push, gep));
    int rc = zmq_send(push, "not for you", 11, ZMQ_DONTWAIT);   /* queued on its early pipe, never delivered */
    CHECK(rc == 11 || (rc == -1 && errno == EAGAIN));
    expect_no_msg(gather, 300);
    close_zero_linger(push);
    close_zero_linger(scatter);
    close_zero_linger(gather);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* A raw SCATTER peer: the GATHER's READY says "GATHER"; a multipart message is dropped whole ("MUST discard
 * any part of a multipart message") and the single-frame one after it arrives. A raw GATHER peer gets a
 * SCATTER's messages as single frames, and its READY says "SCATTER". */
static void raw_peers(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *gather = bound_socket(ctx, ZMQ_GATHER, "tcp", ep, sizeof ep);
    int fd = raw_peer_as(gather, "SCATTER", "GATHER");
    raw_send_frame(fd, 0x01, "multi-1", 7);
    raw_send_frame(fd, 0x01, "multi-2", 7);
    raw_send_frame(fd, 0x00, "multi-3", 7);
    raw_send_frame(fd, 0x00, "single", 6);
    recv_one(gather, buf, sizeof buf, 2000);
    CHECK_STR(buf, "single");
    expect_no_msg(gather, 100);
    close(fd);
    void *scatter = bound_socket(ctx, ZMQ_SCATTER, "tcp", ep, sizeof ep);
    fd = raw_peer_as(scatter, "GATHER", "SCATTER");
    set_int(scatter, ZMQ_SNDTIMEO, 2000);
    send_str(scatter, "to-raw");
    uint8_t flags, body[64];
    int n = raw_recv_frame(fd, scatter, &flags, body, sizeof body, 3000);
    CHECK_EQ(flags, 0);
    CHECK_MEM(body, (size_t)n, "to-raw", 6);
    close(fd);
    close_zero_linger(scatter);
    close_zero_linger(gather);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- zmq_poll and blocking ---------------------------------------------------------------------------- */

static void *delayed_send_main(void *arg)
{
    msleep(100);
    send_str(arg, "late");
    return NULL;
}

/* zmq_poll takes both: SCATTER has POLLOUT once it has a peer; a poll sleeping on a GATHER wakes when
 * another thread's send makes a message arrive. */
static void poll_both(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN], buf[64];
    void *gather = bound_socket(ctx, ZMQ_GATHER, transport, ep, sizeof ep);
    void *scatter = connected_socket(ctx, ZMQ_SCATTER, ep);
    zmq_pollitem_t items[2] = {{gather, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0}, {scatter, 0, ZMQ_POLLOUT, 0}};
    CHECK_EQ(zmq_poll(items + 1, 1, 2000), 1);
    CHECK_EQ(items[1].revents, ZMQ_POLLOUT);
    CHECK_EQ(zmq_poll(items, 1, 50), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, delayed_send_main, scatter), 0);
    int64_t t0 = now_ms();
    CHECK_EQ(zmq_poll(items, 1, 5000), 1);
    CHECK(now_ms() - t0 < 4000);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    pthread_join(t, NULL);
    recv_one(gather, buf, sizeof buf, 0);
    CHECK_STR(buf, "late");
    close_zero_linger(scatter);
    close_zero_linger(gather);
    CHECK_OK(zmq_ctx_term(ctx));
}

struct blocked {
    void *sock;
    bool send;
    int rc, err;
};

static void *blocked_main(void *arg)
{
    struct blocked *b = arg;
    char buf[16];
    b->rc = b->send ? zmq_send(b->sock, "x", 1, 0) : zmq_recv(b->sock, buf, sizeof buf, 0);
    b->err = errno;
    return NULL;
}

/* zmq_ctx_shutdown wakes every thread blocked on them with ETERM: receivers on an empty GATHER, senders
 * on a SCATTER with no peer. */
static void term_unblocks(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    void *gather = bound_socket(ctx, ZMQ_GATHER, "tcp", ep, sizeof ep);
    void *scatter = bound_socket(ctx, ZMQ_SCATTER, "tcp", ep, sizeof ep);
    struct blocked b[4] = {{gather, false, 0, 0}, {gather, false, 0, 0}, {scatter, true, 0, 0},
                           {scatter, true, 0, 0}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, blocked_main, &b[i]), 0);
    msleep(100);
    CHECK_OK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(b[i].rc, -1);
        CHECK_EQ(b[i].err, ETERM);
    }
    close_zero_linger(scatter);
    close_zero_linger(gather);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- threads ---------------------------------------------------------------------------------------- */

/* Several threads on one SCATTER and one GATHER at once, no user locks: SENDERS threads send numbered
 * messages (blocking, with small high-water marks, so they block now and then), RECEIVERS threads receive
 * with blocking calls and one more waits in zmq_poll and takes with ZMQ_DONTWAIT. No call has a timeout: a
 * lost wake-up hangs the test (the watchdog fails it). Every message must arrive exactly once. */
#define SENDERS 3
#define RECEIVERS 2
#define PER_SENDER 1000
#define TOTAL (SENDERS * PER_SENDER)

struct stress {
    void *scatter, *gather;
    atomic_int next_sender;
    atomic_int received;
    atomic_uchar seen[TOTAL];
    atomic_int errors;
};

static void stress_take(struct stress *st, const char *buf, int len)
{
    int sender, seq;
    if (len <= 0 || sscanf(buf, "%d:%d", &sender, &seq) != 2 || sender < 0 || sender >= SENDERS || seq < 0 ||
        seq >= PER_SENDER || atomic_fetch_add(&st->seen[sender * PER_SENDER + seq], 1) != 0)
        atomic_fetch_add(&st->errors, 1);
    atomic_fetch_add(&st->received, 1);
}

static void *stress_sender(void *arg)
{
    struct stress *st = arg;
    int me = atomic_fetch_add(&st->next_sender, 1);
    for (int seq = 0; seq < PER_SENDER; seq++) {
        char text[32];
        int len = snprintf(text, sizeof text, "%d:%d", me, seq);
        if (zmq_send(st->scatter, text, (size_t)len, 0) != len) {
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
        int rc = zmq_recv(st->gather, buf, sizeof buf - 1, 0);
        if (rc < 0) {
            if (errno != ETERM)
                atomic_fetch_add(&st->errors, 1);
            return NULL;
        }
        buf[rc] = '\0';
        stress_take(st, buf, rc);
    }
}

static void *stress_poller(void *arg)
{
    struct stress *st = arg;
    for (;;) {
        zmq_pollitem_t item = {st->gather, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, -1) < 0) {
            if (errno != ETERM)
                atomic_fetch_add(&st->errors, 1);
            return NULL;
        }
        char buf[32];
        int rc = zmq_recv(st->gather, buf, sizeof buf - 1, ZMQ_DONTWAIT);
        if (rc < 0) {
            if (errno == ETERM)
                return NULL;
            if (errno != EAGAIN)   /* another receiver took it first */
                atomic_fetch_add(&st->errors, 1);
            continue;
        }
        buf[rc] = '\0';
        stress_take(st, buf, rc);
    }
}

static void threaded(const char *transport)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    char ep[TU_ENDPOINT_LEN];
    struct stress *st = calloc(1, sizeof *st);
    CHECK(st != NULL);
    st->gather = test_socket(ctx, ZMQ_GATHER);
    set_int(st->gather, ZMQ_RCVHWM, 50);
    bind_transport(st->gather, transport, ep, sizeof ep);
    st->scatter = test_socket(ctx, ZMQ_SCATTER);
    set_int(st->scatter, ZMQ_SNDHWM, 50);
    CHECK_OK(zmq_connect(st->scatter, ep));
    pthread_t t[SENDERS + RECEIVERS + 1];
    int n = 0;
    for (int i = 0; i < RECEIVERS; i++)
        CHECK_EQ(pthread_create(&t[n++], NULL, stress_receiver, st), 0);
    CHECK_EQ(pthread_create(&t[n++], NULL, stress_poller, st), 0);
    for (int i = 0; i < SENDERS; i++)
        CHECK_EQ(pthread_create(&t[n++], NULL, stress_sender, st), 0);
    int64_t deadline = now_ms() + 60000;
    while (atomic_load(&st->received) < TOTAL && atomic_load(&st->errors) == 0 && now_ms() < deadline)
        msleep(5);
    msleep(50);   /* a duplicate would arrive now */
    CHECK_OK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&st->errors), 0);
    CHECK_EQ(atomic_load(&st->received), TOTAL);
    for (int i = 0; i < TOTAL; i++)
        CHECK_EQ(atomic_load(&st->seen[i]), 1);
    close_zero_linger(st->scatter);
    close_zero_linger(st->gather);
    CHECK_OK(zmq_ctx_term(ctx));
    free(st);
}

int main(void)
{
    test_begin(240);
    RUN(socket_options);
    RUN_TRANSPORTS(errors);
    RUN_TRANSPORTS(no_peer_blocks);
    RUN_TRANSPORTS(load_balance);
    RUN_TRANSPORTS(fair_queue);
    RUN_TRANSPORTS(hwm);
    RUN(hwm_skips_full_peer);
    RUN(incompatible_peers);
    RUN(raw_peers);
    RUN_TRANSPORTS(poll_both);
    RUN(term_unblocks);
    RUN_TRANSPORTS(threaded);
    return test_end();
}
