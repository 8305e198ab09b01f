/* RFC 49 (SCATTERGATHER): the clause-by-clause index of SCATTER and GATHER, each clause a function named
 * after it with the clause quoted above it, run over inproc, ipc and tcp. test_scatter_gather.c holds the
 * longer proofs (exact high-water-mark counts, peer types on the wire, zmq_poll, a stress of threads).
 *
 * Clauses not observable through the API, so not tested here:
 *  - "SHOULD constrain ... queue sizes to a runtime-configurable limit": a SHOULD; ZMQ_SNDHWM/ZMQ_RCVHWM
 *    are used by the mute-state clauses below.
 *  - GATHER "MUST discard any part of a multipart message, MAY disconnect a peer that is sending multipart
 *    messages": no zinc or libzmq peer of a GATHER can send one (SCATTER refuses ZMQ_SNDMORE), so only a
 *    hand-written ZMTP peer can; test_scatter_gather.c's raw_peers does that (parts dropped, the single
 *    frame after them delivered, the connection kept).
 *  - "If this peer disconnects, the GATHER socket SHALL destroy its queue and SHALL discard any messages it
 *    contains": what a departed SCATTER sent is indistinguishable from messages still in flight. */
#include "testutil.h"
#include "draft_msg.h"

static void *ctx;

/* ---- helpers --------------------------------------------------------------------------------------- */



/* At the mute state a blocking send waits ZMQ_SNDTIMEO (50 ms here), then fails with EAGAIN. Over ipc and
 * tcp the I/O thread may still be draining into the kernel, so a few sends may go through first: each is
 * numbered like the ones before it and counted in *sent. */
static void expect_blocking_send_to_time_out(void *sock, char *msg, size_t len, int *sent)
{
    set_int(sock, ZMQ_SNDTIMEO, 50);
    for (int extra = 0;; extra++) {
        CHECK_INT(extra, <, 1000);
        memcpy(msg, sent, sizeof *sent);
        int64_t t0 = now_ms();
        int rc = zmq_send(sock, msg, len, 0);
        if (rc >= 0) {
            (*sent)++;
            continue;
        }
        CHECK_EQ(errno, EAGAIN);
        CHECK_INT(now_ms() - t0, >=, 40);
        return;
    }
}

/* The SCATTER's pipe to a departed peer is gone once the SCATTER cannot send (it has no other peer). */
static void await_no_peer(void *scatter)
{
    int64_t deadline = now_ms() + 5000;
    zmq_pollitem_t item = {scatter, 0, ZMQ_POLLOUT, 0};
    while (zmq_poll(&item, 1, 0) == 1) {
        CHECK(now_ms() < deadline);
        msleep(10);
    }
}


/* ---- SCATTER: queues and outgoing messages ------------------------------------------------------------ */

/* "SHALL create this queue when initiating an outgoing connection to a peer, and SHALL maintain the queue
 * whether or not the connection is established." A SCATTER queues before its GATHER exists,
 * and again while its GATHER is gone; a new GATHER at the address gets what was queued. */
static void scatter_shall_create_and_maintain_a_queue_when_connecting(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    make_bind_endpoint(tr, ep, sizeof ep);
    if (strcmp(tr, "tcp") == 0)
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    void *scatter = test_socket(ctx, ZMQ_SCATTER);
    set_int(scatter, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK(zmq_connect(scatter, ep));
    CHECK_EQ(zmq_send(scatter, "early", 5, ZMQ_DONTWAIT), 5);   /* a queue exists with no connection */
    void *gather = test_socket(ctx, ZMQ_GATHER);
    rebind(gather, ep);
    expect_text(gather, "early");
    if (strcmp(tr, "inproc") != 0) {   /* an inproc connection does not come back once its binder goes */
        close_zero_linger(gather);
        msleep(50);   /* the connection is down: the SCATTER's queue stays */
        CHECK_EQ(zmq_send(scatter, "while-down", 10, ZMQ_DONTWAIT), 10);
        gather = test_socket(ctx, ZMQ_GATHER);
        rebind(gather, ep);
        expect_text(gather, "while-down");
    }
    close_zero_linger(gather);
    close_zero_linger(scatter);
}

/* "SHALL create this queue when a peer connects to it. If this peer disconnects, the SCATTER socket SHALL
 * destroy its queue and SHALL discard any messages it contains." A bound SCATTER gets a queue
 * when a GATHER connects; once that GATHER goes, the SCATTER has no peer, and a later GATHER gets only what
 * was sent after it came. */
static void scatter_shall_create_a_queue_for_a_peer_that_connects_and_destroy_it_when_it_goes(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *scatter = bound_socket(ctx, ZMQ_SCATTER, tr, ep, sizeof ep);
    CHECK_ERR(zmq_send(scatter, "none", 4, ZMQ_DONTWAIT), EAGAIN);   /* no peer, no queue */
    void *gather = connected_socket(ctx, ZMQ_GATHER, ep);
    set_int(scatter, ZMQ_SNDTIMEO, 2000);
    send_str(scatter, "first");   /* blocks until the GATHER's queue exists */
    expect_text(gather, "first");
    for (int i = 0; i < 3; i++)
        CHECK_EQ(zmq_send(scatter, "stale", 5, ZMQ_DONTWAIT), 5);
    close_zero_linger(gather);
    await_no_peer(scatter);
    CHECK_ERR(zmq_send(scatter, "none", 4, ZMQ_DONTWAIT), EAGAIN);
    gather = connected_socket(ctx, ZMQ_GATHER, ep);
    send_str(scatter, "fresh");
    expect_text(gather, "fresh");
    expect_no_msg(gather, 100);
    close_zero_linger(gather);
    close_zero_linger(scatter);
}

/* "SHALL route outgoing messages to available peers using a round-robin strategy." */
static void scatter_shall_route_outgoing_messages_round_robin(const char *tr)
{
    enum { N = 3, ROUNDS = 3 };
    void *scatter = test_socket(ctx, ZMQ_SCATTER);
    void *gather[N];
    char ep[TU_ENDPOINT_LEN], text[16];
    for (int i = 0; i < N; i++) {
        gather[i] = bound_socket(ctx, ZMQ_GATHER, tr, ep, sizeof ep);
        CHECK_OK(zmq_connect(scatter, ep));
    }
    for (int n = 0; n < N * ROUNDS; n++) {
        snprintf(text, sizeof text, "m%d", n);
        send_str(scatter, text);
    }
    for (int i = 0; i < N; i++) {
        for (int r = 0; r < ROUNDS; r++) {
            snprintf(text, sizeof text, "m%d", r * N + i);
            expect_text(gather[i], text);
        }
        expect_no_msg(gather[i], 0);
    }
    for (int i = 0; i < N; i++)
        close_zero_linger(gather[i]);
    close_zero_linger(scatter);
}

/* "SHALL consider a peer as available only when it has a outgoing queue that is not full." One GATHER
 * never reads; every send still succeeds, the reading GATHER takes the rest, and no message is lost. */
static void scatter_shall_consider_a_peer_available_only_when_its_queue_is_not_full(const char *tr)
{
    enum { N = 300, LEN = 8192 };
    static char msg[LEN];
    void *scatter = test_socket(ctx, ZMQ_SCATTER);
    set_int(scatter, ZMQ_SNDHWM, 1);
    set_int(scatter, ZMQ_SNDBUF, 4096);
    set_int(scatter, ZMQ_SNDTIMEO, 2000);
    char ep_full[TU_ENDPOINT_LEN], ep_live[TU_ENDPOINT_LEN];
    void *full = test_socket(ctx, ZMQ_GATHER);
    set_int(full, ZMQ_RCVHWM, 1);
    set_int(full, ZMQ_RCVBUF, 4096);
    bind_transport(full, tr, ep_full, sizeof ep_full);
    void *live = bound_socket(ctx, ZMQ_GATHER, tr, ep_live, sizeof ep_live);
    CHECK_OK(zmq_connect(scatter, ep_full));
    CHECK_OK(zmq_connect(scatter, ep_live));
    int got_live = 0, got_full = 0;
    for (int i = 0; i < N; i++) {
        CHECK_EQ(zmq_send(scatter, msg, LEN, 0), LEN);
        while (zmq_recv(live, msg, sizeof msg, ZMQ_DONTWAIT) == LEN)
            got_live++;
    }
    while (got_live + got_full < N && (poll_in(live, 200) || poll_in(full, 200))) {
        while (zmq_recv(live, msg, sizeof msg, ZMQ_DONTWAIT) == LEN)
            got_live++;
        while (zmq_recv(full, msg, sizeof msg, ZMQ_DONTWAIT) == LEN)
            got_full++;
    }
    CHECK_EQ(got_live + got_full, N);
    CHECK_INT(got_full, >=, 1);
    CHECK_INT(got_full, <, N / 4);
    close_zero_linger(live);
    close_zero_linger(full);
    close_zero_linger(scatter);
}

/* "SHALL block on sending, or return a suitable error, when it has no available peers." and "SHALL not
 * accept further messages when it has no available peers.": with no peer, and with its only peer full,
 * a SCATTER says EAGAIN at once (ZMQ_DONTWAIT) or after ZMQ_SNDTIMEO; "SHALL NOT discard messages that it
 * cannot queue": every message it accepted arrives, in order, and none it refused. */
static void scatter_shall_block_or_fail_and_discard_nothing_without_available_peers(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    static char msg[1024];
    void *scatter = test_socket(ctx, ZMQ_SCATTER);
    set_int(scatter, ZMQ_SNDHWM, 5);
    set_int(scatter, ZMQ_SNDBUF, 4096);
    CHECK_ERR(zmq_send(scatter, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    set_int(scatter, ZMQ_SNDTIMEO, 50);
    int64_t t0 = now_ms();
    CHECK_ERR(zmq_send(scatter, "x", 1, 0), EAGAIN);
    CHECK_INT(now_ms() - t0, >=, 40);
    void *gather = test_socket(ctx, ZMQ_GATHER);
    set_int(gather, ZMQ_RCVHWM, 5);
    set_int(gather, ZMQ_RCVBUF, 4096);
    bind_transport(gather, tr, ep, sizeof ep);
    CHECK_OK(zmq_connect(scatter, ep));
    int sent = send_numbered_until_mute(scatter, msg, sizeof msg, 100000, 3000);
    CHECK_INT(sent, >=, 5);
    CHECK_INT(sent, <, 100000);
    expect_blocking_send_to_time_out(scatter, msg, sizeof msg, &sent);
    recv_numbered(gather, msg, sizeof msg, sent);
    expect_no_msg(gather, 50);
    close_zero_linger(gather);
    close_zero_linger(scatter);
}

/* ---- SCATTER and GATHER: general behaviour --------------------------------------------------------------- */

/* SCATTER "MAY be connected to any number of GATHER peers, and SHALL only send messages." and GATHER "MAY
 * be connected to any number of SCATTER peers, and SHALL only receive messages.": receiving on a SCATTER
 * and sending on a GATHER are ENOTSUP; a GATHER that connects to three SCATTERs hears from each. */
static void scatter_shall_only_send_and_gather_shall_only_receive(const char *tr)
{
    enum { N = 3 };
    char ep[TU_ENDPOINT_LEN], buf[16];
    void *gather = test_socket(ctx, ZMQ_GATHER);
    void *scatter[N];
    for (int i = 0; i < N; i++) {
        scatter[i] = bound_socket(ctx, ZMQ_SCATTER, tr, ep, sizeof ep);
        CHECK_OK(zmq_connect(gather, ep));
    }
    CHECK_ERR(zmq_recv(scatter[0], buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
    CHECK_ERR(zmq_send(gather, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
    set_int(scatter[0], ZMQ_SNDTIMEO, 2000);
    for (int i = 0; i < N; i++) {
        set_int(scatter[i], ZMQ_SNDTIMEO, 2000);
        snprintf(buf, sizeof buf, "s%d", i);
        send_str(scatter[i], buf);
    }
    int seen = 0;
    for (int i = 0; i < N; i++) {
        CHECK_EQ(recv_rid(gather, buf, sizeof buf, 2000, NULL), 2);
        seen |= 1 << (buf[1] - '0');
    }
    CHECK_EQ(seen, (1 << N) - 1);
    for (int i = 0; i < N; i++)
        close_zero_linger(scatter[i]);
    close_zero_linger(gather);
}

/* "SHALL not filter or modify outgoing messages in any way." (SCATTER) and "SHALL not filter or modify
 * incoming messages in any way." (GATHER): empty, binary and large messages arrive byte for byte. */
static void scatter_and_gather_shall_not_filter_or_modify_messages(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *gather = bound_socket(ctx, ZMQ_GATHER, tr, ep, sizeof ep);
    void *scatter = connected_socket(ctx, ZMQ_SCATTER, ep);
    static unsigned char big[100000];
    static unsigned char got[100001];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7);
    const unsigned char bin[] = {0, 0xff, 1, 0, 0x7f, 0x80};
    const struct { const void *data; size_t len; } cases[] = {{"", 0}, {bin, sizeof bin}, {big, sizeof big}};
    for (size_t c = 0; c < 3; c++) {
        CHECK_EQ(zmq_send(scatter, cases[c].data, cases[c].len, 0), (int)cases[c].len);
        CHECK_EQ(recv_rid(gather, got, sizeof got, 2000, NULL), (int)cases[c].len);
        CHECK_MEM(got, cases[c].len, cases[c].data, cases[c].len);
    }
    close_zero_linger(scatter);
    close_zero_linger(gather);
}

/* GATHER "SHALL create this queue when initiating an outgoing connection to a peer, and SHALL maintain the
 * queue whether or not the connection is established.": a GATHER connected before its SCATTER binds, and
 * again after that SCATTER went and a new one bound the address, receives from it. */
static void gather_shall_create_and_maintain_a_queue_when_connecting(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    make_bind_endpoint(tr, ep, sizeof ep);
    if (strcmp(tr, "tcp") == 0)
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
    void *gather = test_socket(ctx, ZMQ_GATHER);
    set_int(gather, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK(zmq_connect(gather, ep));
    for (int round = 0; round < (strcmp(tr, "inproc") == 0 ? 1 : 2); round++) {
        void *scatter = test_socket(ctx, ZMQ_SCATTER);
        rebind(scatter, ep);
        set_int(scatter, ZMQ_SNDTIMEO, 2000);
        send_str(scatter, "hello");   /* waits for the GATHER's (re)connection */
        expect_text(gather, "hello");
        close_zero_linger(scatter);
    }
    close_zero_linger(gather);
}

/* ---- SCATTER: outgoing messages ---------------------------------------------------------------------- */

/* "MUST NOT send multi-part messages.": ZMQ_SNDMORE is EINVAL and nothing of it is sent. */
static void scatter_must_not_send_multipart_messages(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *gather = bound_socket(ctx, ZMQ_GATHER, tr, ep, sizeof ep);
    void *scatter = connected_socket(ctx, ZMQ_SCATTER, ep);
    CHECK_ERR(zmq_send(scatter, "part", 4, ZMQ_SNDMORE), EINVAL);
    send_str(scatter, "whole");
    expect_text(gather, "whole");
    expect_no_msg(gather, 50);
    close_zero_linger(scatter);
    close_zero_linger(gather);
}

/* ---- GATHER: incoming messages ----------------------------------------------------------------------- */

/* "SHALL receive incoming messages from its peers using a fair-queuing strategy." and "SHALL deliver these
 * to its calling application.": two SCATTERs queue four each; the GATHER takes them alternately. */
static void gather_shall_receive_incoming_messages_using_fair_queuing(const char *tr)
{
    char ep[TU_ENDPOINT_LEN], text[16];
    void *gather = bound_socket(ctx, ZMQ_GATHER, tr, ep, sizeof ep);
    void *scatter[2];
    for (int i = 0; i < 2; i++) {
        scatter[i] = connected_socket(ctx, ZMQ_SCATTER, ep);
        send_str(scatter[i], "hi");
        expect_text(gather, "hi");
    }
    for (int n = 0; n < 4; n++) {
        for (int i = 0; i < 2; i++) {
            snprintf(text, sizeof text, "%c%d", 'a' + i, n);
            send_str(scatter[i], text);
        }
    }
    msleep(strcmp(tr, "inproc") == 0 ? 0 : 200);
    char first = 0;
    int next[2] = {0, 0};
    for (int n = 0; n < 8; n++) {
        CHECK_EQ(recv_rid(gather, text, sizeof text, 2000, NULL), 2);
        if (n == 0)
            first = text[0];
        CHECK_EQ(text[0], n % 2 == 0 ? first : (first == 'a' ? 'b' : 'a'));
        CHECK_EQ(text[1] - '0', next[text[0] - 'a']++);
    }
    for (int i = 0; i < 2; i++)
        close_zero_linger(scatter[i]);
    close_zero_linger(gather);
}

/* ---- thread safety ------------------------------------------------------------------------------------ */

enum { THREADS = 4, PER_THREAD = 200 };

struct shared {
    void *sock;
    int index;
    int got[THREADS * PER_THREAD];   /* receivers: how often each message number arrived */
    pthread_mutex_t lock;
};

static void *sender_main(void *arg)
{
    struct shared *sh = arg;
    pthread_mutex_lock(&sh->lock);
    int base = sh->index++ * PER_THREAD;
    pthread_mutex_unlock(&sh->lock);
    for (int i = 0; i < PER_THREAD; i++) {
        int n = base + i;
        CHECK_EQ(zmq_send(sh->sock, &n, sizeof n, 0), (int)sizeof n);
    }
    return NULL;
}

static void *receiver_main(void *arg)
{
    struct shared *sh = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        int n = -1;
        CHECK_EQ(zmq_recv(sh->sock, &n, sizeof n, 0), (int)sizeof n);
        CHECK(n >= 0 && n < THREADS * PER_THREAD);
        pthread_mutex_lock(&sh->lock);
        sh->got[n]++;
        pthread_mutex_unlock(&sh->lock);
    }
    return NULL;
}

/* SCATTER "MUST be thread-safe and allow sending from multiple threads." and GATHER "MUST be thread-safe and
 * allow receiving from multiple threads.": four threads send on one SCATTER while four receive on one
 * GATHER; every message arrives exactly once. */
static void scatter_and_gather_must_be_thread_safe(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    static struct shared tx, rx;
    memset(&tx, 0, sizeof tx);
    memset(&rx, 0, sizeof rx);
    pthread_mutex_init(&tx.lock, NULL);
    pthread_mutex_init(&rx.lock, NULL);
    rx.sock = bound_socket(ctx, ZMQ_GATHER, tr, ep, sizeof ep);
    set_int(rx.sock, ZMQ_RCVTIMEO, 5000);
    tx.sock = connected_socket(ctx, ZMQ_SCATTER, ep);
    set_int(tx.sock, ZMQ_SNDTIMEO, 5000);
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
    RUN_TRANSPORTS(scatter_shall_only_send_and_gather_shall_only_receive);
    RUN_TRANSPORTS(scatter_and_gather_shall_not_filter_or_modify_messages);
    RUN_TRANSPORTS(scatter_shall_create_and_maintain_a_queue_when_connecting);
    RUN_TRANSPORTS(gather_shall_create_and_maintain_a_queue_when_connecting);
    RUN_TRANSPORTS(scatter_shall_create_a_queue_for_a_peer_that_connects_and_destroy_it_when_it_goes);
    RUN_TRANSPORTS(scatter_shall_route_outgoing_messages_round_robin);
    RUN_TRANSPORTS(scatter_shall_consider_a_peer_available_only_when_its_queue_is_not_full);
    RUN_TRANSPORTS(scatter_shall_block_or_fail_and_discard_nothing_without_available_peers);
    RUN_TRANSPORTS(scatter_must_not_send_multipart_messages);
    RUN_TRANSPORTS(gather_shall_receive_incoming_messages_using_fair_queuing);
    RUN_TRANSPORTS(scatter_and_gather_must_be_thread_safe);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
