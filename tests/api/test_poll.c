/* zmq_poll over sockets and plain file descriptors, its timeout semantics, and ZMQ_FD + ZMQ_EVENTS
 * driving a real epoll loop (ZMQ_FD signals edge-style: drain while ZMQ_EVENTS says POLLIN). */
#include "testutil.h"

#include <sys/epoll.h>

static void *ctx;

static void connected_pair(const char *name, void **a, void **b)
{
    *a = test_socket(ctx, ZMQ_PAIR);
    *b = test_socket(ctx, ZMQ_PAIR);
    CHECK_OK(zmq_bind(*a, name));
    CHECK_OK(zmq_connect(*b, name));
}

/* POLLIN is reported while a message waits, and not after it is read. */
static void poll_shall_report_pollin_while_a_message_waits(void)
{
    void *a, *b;
    connected_pair("inproc://poll-in", &a, &b);
    zmq_pollitem_t item = {a, 0, ZMQ_POLLIN, 0};
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_EQ(item.revents, 0);
    send_str(b, "wake");
    CHECK_EQ(zmq_poll(&item, 1, 1000), 1);
    CHECK_EQ(item.revents, ZMQ_POLLIN);
    CHECK_EQ(zmq_poll(&item, 1, 0), 1); /* still there: level-triggered */
    recv_expect(a, "wake");
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_EQ(item.revents, 0);
    close_zero_linger(a);
    close_zero_linger(b);
}

/* POLLOUT is reported when a send would not block; a socket with no peer is not writable. */
static void poll_shall_report_pollout_only_when_a_send_would_not_block(void)
{
    void *push = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_bind(push, "inproc://poll-out"));
    zmq_pollitem_t item = {push, 0, ZMQ_POLLOUT, 0};
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_connect(pull, "inproc://poll-out"));
    CHECK_EQ(zmq_poll(&item, 1, 1000), 1);
    CHECK_EQ(item.revents, ZMQ_POLLOUT);
    /* events 0: the item is never reported */
    zmq_pollitem_t quiet = {push, 0, 0, 0};
    CHECK_EQ(zmq_poll(&quiet, 1, 0), 0);
    CHECK_EQ(quiet.revents, 0);
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* Items with socket NULL watch a plain fd; sockets and fds mix in one call and each ready item counts. */
static void poll_shall_watch_plain_file_descriptors_alongside_sockets(void)
{
    int fds[2];
    CHECK_OK(pipe(fds));
    void *a, *b;
    connected_pair("inproc://poll-fd", &a, &b);
    zmq_pollitem_t items[3] = {
        {NULL, fds[0], ZMQ_POLLIN, 0},
        {a, 0, ZMQ_POLLIN, 0},
        {NULL, fds[1], ZMQ_POLLOUT, 0},
    };
    CHECK_EQ(zmq_poll(items, 2, 0), 0);
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(zmq_poll(items, 2, 1000), 1);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(items[1].revents, 0);
    send_str(b, "msg");
    CHECK_EQ(zmq_poll(items, 3, 1000), 3);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(items[1].revents, ZMQ_POLLIN);
    CHECK_EQ(items[2].revents, ZMQ_POLLOUT);
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1);
    recv_expect(a, "msg");
    CHECK_EQ(zmq_poll(items, 2, 0), 0);
    close(fds[0]);
    close(fds[1]);
    close_zero_linger(a);
    close_zero_linger(b);
}

struct delayed_sender {
    void *sock;
    int delay_ms;
};

static void *send_later(void *arg)
{
    struct delayed_sender *d = arg;
    msleep(d->delay_ms);
    send_str(d->sock, "later");
    return NULL;
}

/* timeout 0 returns at once; a positive timeout waits about that long; -1 waits until an event; with no
 * items zmq_poll just sleeps for the timeout. */
static void poll_timeouts_shall_be_honoured(void)
{
    void *a, *b;
    connected_pair("inproc://poll-timeout", &a, &b);
    zmq_pollitem_t item = {a, 0, ZMQ_POLLIN, 0};
    int64_t t0 = now_ms();
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_INT(now_ms() - t0, <, 50);
    t0 = now_ms();
    CHECK_EQ(zmq_poll(&item, 1, 150), 0);
    int64_t took = now_ms() - t0;
    CHECK_INT(took, >=, 140);
    CHECK_INT(took, <, 1000);
    struct delayed_sender d = {b, 100};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, send_later, &d), 0);
    t0 = now_ms();
    CHECK_EQ(zmq_poll(&item, 1, -1), 1);
    took = now_ms() - t0;
    CHECK_INT(took, >=, 80);
    CHECK_INT(took, <, 2000);
    CHECK_EQ(pthread_join(th, NULL), 0);
    recv_expect(a, "later");
    t0 = now_ms();
    CHECK_EQ(zmq_poll(NULL, 0, 100), 0);
    took = now_ms() - t0;
    CHECK_INT(took, >=, 90);
    CHECK_INT(took, <, 1000);
    close_zero_linger(a);
    close_zero_linger(b);
}

/* An invalid item is rejected: NULL items with a count is EFAULT, a non-socket ENOTSOCK. */
static void poll_shall_reject_invalid_items(void)
{
    CHECK_ERR(zmq_poll(NULL, 1, 0), EFAULT);
    int not_a_socket[32] = {0};
    zmq_pollitem_t item = {not_a_socket, 0, ZMQ_POLLIN, 0};
    CHECK_ERR(zmq_poll(&item, 1, 0), ENOTSOCK);
}

struct bulk_sender {
    void *push;
    int count;
};

static void *send_in_bursts(void *arg)
{
    struct bulk_sender *b = arg;
    for (int i = 0; i < b->count; i++) {
        uint32_t seq = (uint32_t)i;
        if (zmq_send(b->push, &seq, sizeof seq, 0) != sizeof seq)
            tu_fail(__FILE__, __LINE__, "send failed: %s", zmq_strerror(errno));
        if (i % 100 == 99)
            msleep(2);
    }
    return NULL;
}

/* ZMQ_FD in an edge-triggered epoll set, with ZMQ_EVENTS checked (and the socket drained) after every
 * wake-up and before every wait, receives every message of a bursty sender. */
static void zmq_fd_and_zmq_events_shall_drive_an_epoll_loop(void)
{
    char ep[TU_ENDPOINT_LEN];
    void *pull = bound_socket(ctx, ZMQ_PULL, "tcp", ep, sizeof ep);
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    int zfd = -1;
    size_t sz = sizeof zfd;
    CHECK_OK(zmq_getsockopt(pull, ZMQ_FD, &zfd, &sz));
    CHECK_INT(zfd, >=, 0);
    int ep_fd = epoll_create1(0);
    CHECK(ep_fd >= 0);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | EPOLLET;
    CHECK_OK(epoll_ctl(ep_fd, EPOLL_CTL_ADD, zfd, &ev));

    struct bulk_sender b = {push, 5000};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, send_in_bursts, &b), 0);
    int received = 0, wakeups = 0;
    int64_t deadline = now_ms() + 10000;
    while (received < b.count && now_ms() < deadline) {
        /* drain everything ZMQ_EVENTS says is there */
        while (get_int(pull, ZMQ_EVENTS) & ZMQ_POLLIN) {
            uint32_t seq;
            int rc = zmq_recv(pull, &seq, sizeof seq, ZMQ_DONTWAIT);
            if (rc == -1) {
                CHECK_EQ(errno, EAGAIN);
                break;
            }
            CHECK_EQ(rc, 4);
            CHECK_EQ(seq, (uint32_t)received);
            received++;
        }
        if (received == b.count)
            break;
        struct epoll_event out;
        int n = epoll_wait(ep_fd, &out, 1, 1000);
        CHECK(n >= 0 || errno == EINTR);
        if (n > 0)
            wakeups++;
    }
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(received, b.count);
    CHECK_INT(wakeups, >, 0);
    close(ep_fd);
    close_zero_linger(push);
    close_zero_linger(pull);
}

int main(void)
{
    test_begin(30);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(poll_shall_report_pollin_while_a_message_waits);
    RUN(poll_shall_report_pollout_only_when_a_send_would_not_block);
    RUN(poll_shall_watch_plain_file_descriptors_alongside_sockets);
    RUN(poll_timeouts_shall_be_honoured);
    RUN(poll_shall_reject_invalid_items);
    RUN(zmq_fd_and_zmq_events_shall_drive_an_epoll_loop);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
