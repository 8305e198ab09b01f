/* High-water marks exactly as libzmq 4.3.4 counts them (probed against Debian's libzmq):
 *   - inproc: a queue holds the writer's SNDHWM plus the reader's RCVHWM, no limit if either is 0; a
 *     connector that comes before the bind queues up to its own SNDHWM, and gets the sum at the bind;
 *   - ZMQ_SNDHWM / ZMQ_RCVHWM set after connecting apply to the pipes that exist;
 *   - ZMQ_IMMEDIATE: tcp and ipc connectors have no pipe until connected (EAGAIN, no POLLOUT, nothing
 *     queued for a dead peer); with 0 they queue up to SNDHWM; inproc ignores it;
 *   - over tcp kernel buffers add room, so only bounds are checked there.
 * Counts are taken with ZMQ_DONTWAIT sends after ZMQ_EVENTS on both sockets (libzmq runs pending commands
 * there), so they do not depend on timing. */
#include "testutil.h"

static void *ctx;

#define NO_LIMIT_PROBE 20000

/* Runs the socket's pending commands (pipe attaches, reader progress), as libzmq does in ZMQ_EVENTS. */
static void settle(void *sock)
{
    (void)get_int(sock, ZMQ_EVENTS);
}

/* ZMQ_DONTWAIT 1-byte sends until EAGAIN (at most limit); how many were taken. */
static int fill(void *sock, int limit)
{
    settle(sock);
    int sent = 0;
    while (sent < limit) {
        if (zmq_send(sock, "h", 1, ZMQ_DONTWAIT) == -1) {
            CHECK_EQ(errno, EAGAIN);
            break;
        }
        sent++;
    }
    return sent;
}

/* Receives everything queued (ZMQ_DONTWAIT); how many. */
static int drain(void *sock)
{
    settle(sock);
    char buf[8];
    int got = 0;
    while (zmq_recv(sock, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
        got++;
    CHECK_EQ(errno, EAGAIN);
    return got;
}

static void *hwm_socket(int type, int sndhwm, int rcvhwm)
{
    void *s = test_socket(ctx, type);
    set_int(s, ZMQ_SNDHWM, sndhwm);
    set_int(s, ZMQ_RCVHWM, rcvhwm);
    return s;
}

static const int pairs[][2] = {{5, 5}, {3, 7}, {7, 3}, {1, 1}, {1000, 1000}};
#define NPAIRS (int)(sizeof pairs / sizeof pairs[0])

/* Bind first, either side binding: the queue holds exactly SNDHWM + RCVHWM, again after a full drain. The
 * other direction's options (the PUSH's RCVHWM, the PULL's SNDHWM) do not count. */
static void inproc_queue_shall_hold_sndhwm_plus_rcvhwm(void)
{
    for (int i = 0; i < NPAIRS; i++) {
        for (int push_binds = 0; push_binds < 2; push_binds++) {
            int snd = pairs[i][0], rcv = pairs[i][1];
            char ep[128];
            make_bind_endpoint("inproc", ep, sizeof ep);
            void *push = hwm_socket(ZMQ_PUSH, snd, 13);
            void *pull = hwm_socket(ZMQ_PULL, 11, rcv);
            CHECK_OK(zmq_bind(push_binds ? push : pull, ep));
            CHECK_OK(zmq_connect(push_binds ? pull : push, ep));
            settle(pull);
            CHECK_EQ(fill(push, NO_LIMIT_PROBE), snd + rcv);
            CHECK_EQ(drain(pull), snd + rcv);
            CHECK_EQ(fill(push, NO_LIMIT_PROBE), snd + rcv);
            CHECK_EQ(drain(pull), snd + rcv);
            close_zero_linger(push);
            close_zero_linger(pull);
        }
    }
}

/* ZMQ_SNDHWM or ZMQ_RCVHWM 0 on either side of an inproc pipe: no limit. */
static void inproc_hwm_zero_on_either_side_shall_mean_no_limit(void)
{
    const int zero_pairs[][2] = {{5, 0}, {0, 5}, {0, 0}};
    for (int i = 0; i < 3; i++) {
        char ep[128];
        make_bind_endpoint("inproc", ep, sizeof ep);
        void *pull = hwm_socket(ZMQ_PULL, 1000, zero_pairs[i][1]);
        CHECK_OK(zmq_bind(pull, ep));
        void *push = hwm_socket(ZMQ_PUSH, zero_pairs[i][0], 1000);
        CHECK_OK(zmq_connect(push, ep));
        CHECK_EQ(fill(push, NO_LIMIT_PROBE), NO_LIMIT_PROBE);
        CHECK_EQ(drain(pull), NO_LIMIT_PROBE);
        close_zero_linger(push);
        close_zero_linger(pull);
    }
}

/* Connect before the bind: the connector queues exactly its own SNDHWM (its RCVHWM does not count); the
 * bind raises the limit to SNDHWM + the binder's RCVHWM at once, and the messages queued before arrive. */
static void inproc_connect_before_bind_shall_queue_sndhwm_then_the_sum(void)
{
    for (int i = 0; i < NPAIRS; i++) {
        int snd = pairs[i][0], rcv = pairs[i][1];
        char ep[128];
        make_bind_endpoint("inproc", ep, sizeof ep);
        void *push = hwm_socket(ZMQ_PUSH, snd, 13);
        CHECK_OK(zmq_connect(push, ep));
        CHECK_EQ(fill(push, NO_LIMIT_PROBE), snd);
        CHECK_EQ(get_int(push, ZMQ_EVENTS) & ZMQ_POLLOUT, 0);
        void *pull = hwm_socket(ZMQ_PULL, 11, rcv);
        CHECK_OK(zmq_bind(pull, ep));
        settle(pull);
        CHECK_EQ(fill(push, NO_LIMIT_PROBE), rcv);
        CHECK_EQ(drain(pull), snd + rcv);
        CHECK_EQ(fill(push, NO_LIMIT_PROBE), snd + rcv);
        CHECK_EQ(drain(pull), snd + rcv);
        close_zero_linger(push);
        close_zero_linger(pull);
    }
}

/* The receiving side connects first and the sender binds: the sender's queue holds the sum too. */
static void inproc_receiver_connecting_first_shall_give_the_sum(void)
{
    for (int i = 0; i < NPAIRS; i++) {
        int snd = pairs[i][0], rcv = pairs[i][1];
        char ep[128];
        make_bind_endpoint("inproc", ep, sizeof ep);
        void *pull = hwm_socket(ZMQ_PULL, 11, rcv);
        CHECK_OK(zmq_connect(pull, ep));
        void *push = hwm_socket(ZMQ_PUSH, snd, 13);
        CHECK_OK(zmq_bind(push, ep));
        settle(pull);
        CHECK_EQ(fill(push, NO_LIMIT_PROBE), snd + rcv);
        CHECK_EQ(drain(pull), snd + rcv);
        close_zero_linger(push);
        close_zero_linger(pull);
    }
}

/* Connect before the bind with either HWM 0: no limit before or after the bind. */
static void inproc_connect_before_bind_with_hwm_zero_shall_not_limit(void)
{
    char ep[128];
    make_bind_endpoint("inproc", ep, sizeof ep);
    void *push = hwm_socket(ZMQ_PUSH, 0, 1000);
    CHECK_OK(zmq_connect(push, ep));
    CHECK_EQ(fill(push, NO_LIMIT_PROBE), NO_LIMIT_PROBE);
    void *pull = hwm_socket(ZMQ_PULL, 1000, 5);
    CHECK_OK(zmq_bind(pull, ep));
    settle(pull);
    CHECK_EQ(fill(push, NO_LIMIT_PROBE), NO_LIMIT_PROBE);
    CHECK_EQ(drain(pull), 2 * NO_LIMIT_PROBE);
    close_zero_linger(push);
    close_zero_linger(pull);

    make_bind_endpoint("inproc", ep, sizeof ep);
    push = hwm_socket(ZMQ_PUSH, 5, 1000);
    CHECK_OK(zmq_connect(push, ep));
    CHECK_EQ(fill(push, NO_LIMIT_PROBE), 5);
    pull = hwm_socket(ZMQ_PULL, 1000, 0);
    CHECK_OK(zmq_bind(pull, ep));
    settle(pull);
    CHECK_EQ(fill(push, NO_LIMIT_PROBE), NO_LIMIT_PROBE);
    CHECK_EQ(drain(pull), NO_LIMIT_PROBE + 5);
    close_zero_linger(push);
    close_zero_linger(pull);
}

static const int new_values[] = {2, 20, 0};

/* How many the inproc queue takes when, once connected (both sides settled), one socket changes one
 * option from 5 to value. */
static int inproc_count_after_change(int push_binds, int change_push, int option, int value)
{
    char ep[128];
    make_bind_endpoint("inproc", ep, sizeof ep);
    void *push = hwm_socket(ZMQ_PUSH, 5, 5);
    void *pull = hwm_socket(ZMQ_PULL, 5, 5);
    CHECK_OK(zmq_bind(push_binds ? push : pull, ep));
    CHECK_OK(zmq_connect(push_binds ? pull : push, ep));
    settle(push);
    settle(pull);
    set_int(change_push ? push : pull, option, value);
    CHECK_EQ(get_int(change_push ? push : pull, option), value);
    int n = fill(push, NO_LIMIT_PROBE);
    CHECK_EQ(drain(pull), n);
    close_zero_linger(push);
    close_zero_linger(pull);
    return n;
}

/* libzmq 4.3 applies a new ZMQ_SNDHWM (sender) or ZMQ_RCVHWM (receiver) to existing inproc pipes: the
 * limit becomes the new value plus the other side's; 0 lifts it. The options of the other direction leave
 * it alone. */
static void hwm_set_after_connect_shall_apply_to_inproc_pipes(void)
{
    for (int i = 0; i < 3; i++) {
        int v = new_values[i];
        int expected = v == 0 ? NO_LIMIT_PROBE : v + 5;
        for (int push_binds = 0; push_binds < 2; push_binds++) {
            CHECK_EQ(inproc_count_after_change(push_binds, 1, ZMQ_SNDHWM, v), expected);
            CHECK_EQ(inproc_count_after_change(push_binds, 0, ZMQ_RCVHWM, v), expected);
            CHECK_EQ(inproc_count_after_change(push_binds, 1, ZMQ_RCVHWM, v), 10);
            CHECK_EQ(inproc_count_after_change(push_binds, 0, ZMQ_SNDHWM, v), 10);
        }
    }
}

/* Over tcp and ipc (nobody listening, so the pipe only fills) a new ZMQ_SNDHWM is the new limit. */
static void sndhwm_set_after_connect_shall_apply_to_a_waiting_pipe(const char *transport)
{
    if (strcmp(transport, "inproc") == 0)
        return;   /* covered above */
    for (int i = 0; i < 3; i++) {
        char ep[128];
        if (strcmp(transport, "tcp") == 0)
            snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", free_tcp_port());
        else
            make_bind_endpoint(transport, ep, sizeof ep);
        void *push = hwm_socket(ZMQ_PUSH, 5, 5);
        CHECK_OK(zmq_connect(push, ep));
        set_int(push, ZMQ_SNDHWM, new_values[i]);
        CHECK_EQ(fill(push, NO_LIMIT_PROBE), new_values[i] ? new_values[i] : NO_LIMIT_PROBE);
        close_zero_linger(push);
    }
}

/* Waits (bounded) until sock reports POLLOUT. */
static void await_pollout(void *sock)
{
    for (int i = 0; i < 500 && !(get_int(sock, ZMQ_EVENTS) & ZMQ_POLLOUT); i++)
        msleep(10);
    CHECK(get_int(sock, ZMQ_EVENTS) & ZMQ_POLLOUT);
}

static void connect_ep(const char *transport, char *ep, size_t len)
{
    if (strcmp(transport, "tcp") == 0)
        snprintf(ep, len, "tcp://127.0.0.1:%d", free_tcp_port());
    else
        make_bind_endpoint(transport, ep, len);
}

/* ZMQ_IMMEDIATE 1: no pipe until the connection is complete, so ZMQ_DONTWAIT sends fail with EAGAIN,
 * POLLOUT is off and a blocking send times out; once the peer is there, sends go through. Over inproc the
 * option does not apply: the connector queues up to SNDHWM before the bind, as with 0. */
static void immediate_shall_refuse_until_connected(const char *transport)
{
    char ep[128];
    connect_ep(transport, ep, sizeof ep);
    void *push = hwm_socket(ZMQ_PUSH, 5, 5);
    set_int(push, ZMQ_IMMEDIATE, 1);
    CHECK_OK(zmq_connect(push, ep));
    int inproc = strcmp(transport, "inproc") == 0;
    if (inproc) {
        CHECK_EQ(fill(push, NO_LIMIT_PROBE), 5);
    } else {
        CHECK_EQ(fill(push, NO_LIMIT_PROBE), 0);
        CHECK_EQ(get_int(push, ZMQ_EVENTS) & ZMQ_POLLOUT, 0);
        set_int(push, ZMQ_SNDTIMEO, 100);
        CHECK_ERR(zmq_send(push, "x", 1, 0), EAGAIN);
    }
    void *pull = hwm_socket(ZMQ_PULL, 5, 5);
    CHECK_OK(zmq_bind(pull, ep));
    settle(pull);
    await_pollout(push);
    set_int(push, ZMQ_SNDTIMEO, 2000);
    send_str(push, "now");
    if (inproc)
        for (int i = 0; i < 5; i++)
            recv_expect(pull, "h");
    recv_expect(pull, "now");
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* ZMQ_IMMEDIATE 0: the connector queues exactly SNDHWM before the peer exists, delivered when it comes. */
static void immediate_zero_shall_queue_sndhwm_until_connected(const char *transport)
{
    char ep[128];
    connect_ep(transport, ep, sizeof ep);
    void *push = hwm_socket(ZMQ_PUSH, 5, 5);
    set_int(push, ZMQ_IMMEDIATE, 0);
    CHECK_OK(zmq_connect(push, ep));
    CHECK_EQ(fill(push, NO_LIMIT_PROBE), 5);
    CHECK_EQ(get_int(push, ZMQ_EVENTS) & ZMQ_POLLOUT, 0);
    void *pull = hwm_socket(ZMQ_PULL, 5, 5);
    CHECK_OK(zmq_bind(pull, ep));
    for (int i = 0; i < 5; i++)
        recv_expect(pull, "h");
    expect_no_msg(pull, 50);
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* Two peers, one never there: with ZMQ_IMMEDIATE 1 every message goes to the live one; with 0 the dead
 * one's pipe takes its round-robin share (up to SNDHWM) and those never arrive. */
static void immediate_shall_not_queue_for_a_dead_peer(const char *transport)
{
    if (strcmp(transport, "inproc") == 0)
        return;   /* inproc has no connection to wait for */
    for (int immediate = 0; immediate < 2; immediate++) {
        void *pull = hwm_socket(ZMQ_PULL, 5, 100);
        char live[128], dead[128];
        bind_transport(pull, transport, live, sizeof live);
        connect_ep(transport, dead, sizeof dead);
        void *push = hwm_socket(ZMQ_PUSH, 5, 5);
        set_int(push, ZMQ_IMMEDIATE, immediate);
        set_int(push, ZMQ_SNDTIMEO, 2000);
        CHECK_OK(zmq_connect(push, dead));
        CHECK_OK(zmq_connect(push, live));
        await_pollout(push);
        if (immediate) {
            /* the live connection must be up before anything is sent, or it would wait for it */
            send_str(push, "first");
            recv_expect(pull, "first");
        }
        for (int i = 0; i < 10; i++)
            send_str(push, "m");
        for (int i = 0; i < (immediate ? 10 : 5); i++)
            recv_expect(pull, "m");
        expect_no_msg(pull, 100);
        close_zero_linger(push);
        close_zero_linger(pull);
    }
}

/* Over tcp the kernel's buffers add room: a connected PUSH (SNDHWM 5) to a PULL (RCVHWM 5) that does not
 * read takes at least SNDHWM messages and stops within what the buffers can hold; nothing is lost. */
static void tcp_hwm_shall_bound_the_queue_within_kernel_buffers(void)
{
    void *pull = hwm_socket(ZMQ_PULL, 5, 5);
    char ep[128];
    bind_ephemeral(pull, ep, sizeof ep);
    void *push = hwm_socket(ZMQ_PUSH, 5, 5);
    CHECK_OK(zmq_connect(push, ep));
    await_pollout(push);
    enum { SIZE = 256 * 1024 };
    static char big[SIZE];
    int sent = 0;
    for (int quiet = 0; quiet < 5 && sent < 1000;) {   /* until nothing more fits for 5 tries */
        if (zmq_send(push, big, SIZE, ZMQ_DONTWAIT) == SIZE) {
            sent++;
            quiet = 0;
        } else {
            CHECK_EQ(errno, EAGAIN);
            quiet++;
            msleep(20);
        }
    }
    CHECK_INT(sent, >=, 5);
    CHECK_INT(sent, <, 1000);
    static char buf[SIZE + 1];
    for (int i = 0; i < sent; i++)
        CHECK_EQ(recv_timeout(pull, buf, sizeof buf, 2000, NULL), SIZE);
    close_zero_linger(push);
    close_zero_linger(pull);
}

int main(void)
{
    test_begin(90);
    ctx = zmq_ctx_new();
    CHECK(ctx);
    RUN(inproc_queue_shall_hold_sndhwm_plus_rcvhwm);
    RUN(inproc_hwm_zero_on_either_side_shall_mean_no_limit);
    RUN(inproc_connect_before_bind_shall_queue_sndhwm_then_the_sum);
    RUN(inproc_receiver_connecting_first_shall_give_the_sum);
    RUN(inproc_connect_before_bind_with_hwm_zero_shall_not_limit);
    RUN(hwm_set_after_connect_shall_apply_to_inproc_pipes);
    RUN_TRANSPORTS(sndhwm_set_after_connect_shall_apply_to_a_waiting_pipe);
    RUN_TRANSPORTS(immediate_shall_refuse_until_connected);
    RUN_TRANSPORTS(immediate_zero_shall_queue_sndhwm_until_connected);
    RUN_TRANSPORTS(immediate_shall_not_queue_for_a_dead_peer);
    RUN(tcp_hwm_shall_bound_the_queue_within_kernel_buffers);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
