/* ZMQ_FD right after zmq_bind/zmq_connect, as libzmq 4.3.4 behaves: its socket then has a command pending
 * for itself, so the fd turns readable once and an event loop polling it right away (czmq's zpoller)
 * wakes up; reading ZMQ_EVENTS drains it and reports the real state. Only the transports with I/O objects
 * (tcp, ipc) do this; inproc does not. Also after zmq_unbind and zmq_disconnect. */
#include "testutil.h"

static void *ctx;

static int socket_fd(void *s)
{
    int fd = -1;
    size_t len = sizeof fd;
    CHECK_OK(zmq_getsockopt(s, ZMQ_FD, &fd, &len));
    return fd;
}

/* Reads ZMQ_EVENTS (which drains the fd) and returns it. */
static int events_of(void *s)
{
    return get_int(s, ZMQ_EVENTS);
}

static int fd_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc = poll(&p, 1, ms);
    CHECK_INT(rc, >=, 0);
    return rc > 0 && (p.revents & POLLIN);
}

static void fd_shall_wake_after_bind_and_unbind(const char *tr)
{
    void *s = test_socket(ctx, ZMQ_DEALER);
    int fd = socket_fd(s);
    CHECK_EQ(events_of(s), 0);
    CHECK(!fd_readable(fd, 0));
    char ep[TU_ENDPOINT_LEN];
    bind_transport(s, tr, ep, sizeof ep);
    int woke = fd_readable(fd, 1000);
    if (strcmp(tr, "inproc") == 0)
        CHECK(!woke);
    else
        CHECK(woke);
    CHECK_EQ(events_of(s), 0); /* no peer: neither in nor out */
    CHECK(!fd_readable(fd, 50));
    CHECK_OK(zmq_unbind(s, ep));
    woke = fd_readable(fd, strcmp(tr, "inproc") == 0 ? 50 : 1000);
    CHECK_EQ(woke, strcmp(tr, "inproc") != 0);
    CHECK_EQ(events_of(s), 0);
    CHECK(!fd_readable(fd, 50));
    close_zero_linger(s);
}

static void fd_shall_wake_after_connect_and_disconnect(const char *tr)
{
    char ep[TU_ENDPOINT_LEN];
    void *peer = bound_socket(ctx, ZMQ_DEALER, tr, ep, sizeof ep);
    void *s = test_socket(ctx, ZMQ_DEALER);
    int fd = socket_fd(s);
    CHECK_EQ(events_of(s), 0);
    CHECK(!fd_readable(fd, 0));
    CHECK_OK(zmq_connect(s, ep));
    int woke = fd_readable(fd, strcmp(tr, "inproc") == 0 ? 50 : 1000);
    CHECK_EQ(woke, strcmp(tr, "inproc") != 0);
    CHECK_EQ(events_of(s), ZMQ_POLLOUT); /* the pipe exists at once: a DEALER can queue */
    /* the state is right afterwards: a message from the peer makes the fd readable and POLLIN shows */
    send_str(s, "hello");
    recv_expect(peer, "hello");
    send_str(peer, "back");
    int64_t deadline = now_ms() + 2000;
    while (!(events_of(s) & ZMQ_POLLIN) && now_ms() < deadline)
        fd_readable(fd, 100);
    CHECK_EQ(events_of(s), ZMQ_POLLIN | ZMQ_POLLOUT);
    recv_expect(s, "back");
    CHECK_OK(zmq_disconnect(s, ep));
    if (strcmp(tr, "inproc") != 0)
        CHECK(fd_readable(fd, 1000));
    events_of(s);
    close_zero_linger(s);
    close_zero_linger(peer);
}

int main(void)
{
    test_begin(30);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN_TRANSPORTS(fd_shall_wake_after_bind_and_unbind);
    RUN_TRANSPORTS(fd_shall_wake_after_connect_and_disconnect);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
