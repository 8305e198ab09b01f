/* ZMQ_USE_FD: a listening socket the application created, bound and put in listen() is used by zmq_bind
 * instead of a new one. The endpoint string is not used for the address; ZMQ_LAST_ENDPOINT shows the fd's
 * own address; zmq_unbind takes that endpoint; an ipc socket file handed in is left in place. Connects and
 * inproc ignore the option. */
#include "rawpeer.h"

static void *ctx;

static void use_fd_shall_default_to_minus_one_and_refuse_below(void)
{
    void *s = test_socket(ctx, ZMQ_PULL);
    CHECK_EQ(get_int(s, ZMQ_USE_FD), -1);
    int v = -2;
    CHECK_ERR(zmq_setsockopt(s, ZMQ_USE_FD, &v, sizeof v), EINVAL);
    CHECK_ERR(zmq_setsockopt(s, ZMQ_USE_FD, &v, 2), EINVAL);
    set_int(s, ZMQ_USE_FD, 0);
    CHECK_EQ(get_int(s, ZMQ_USE_FD), 0);
    set_int(s, ZMQ_USE_FD, 1000);
    CHECK_EQ(get_int(s, ZMQ_USE_FD), 1000);
    set_int(s, ZMQ_USE_FD, -1);
    CHECK_EQ(get_int(s, ZMQ_USE_FD), -1);
    close_zero_linger(s);
}

/* The bind address is ignored: the fd's own address is the endpoint. */
static void tcp_bind_shall_use_the_given_listening_fd(void)
{
    /* any tcp address will do, even one that would not resolve */
    const char *forms[] = {"tcp://127.0.0.1:*", "tcp://127.0.0.1:1", "tcp://*:*", "tcp://garbage"};
    for (int i = 0; i < 4; i++) {
        int port = 0;
        int fd = raw_listen(&port);
        void *pull = test_socket(ctx, ZMQ_PULL);
        set_int(pull, ZMQ_USE_FD, fd);
        CHECK_OK(zmq_bind(pull, forms[i]));
        char last[TU_ENDPOINT_LEN], want[64];
        get_last_endpoint(pull, last, sizeof last);
        snprintf(want, sizeof want, "tcp://127.0.0.1:%d", port);
        CHECK_STR(last, want);

        void *push = connected_socket(ctx, ZMQ_PUSH, want);
        send_str(push, "through the fd");
        recv_expect(pull, "through the fd");
        /* unbound by the endpoint it reports, not by the string given to zmq_bind */
        if (strchr(forms[i], '*'))
            CHECK_ERR(zmq_unbind(pull, forms[i]), ENOENT);
        CHECK_OK(zmq_unbind(pull, last));
        close_zero_linger(push);
        close_zero_linger(pull);
    }
}

/* A unix socket works the same; the file stays the application's. */
static void ipc_bind_shall_use_the_given_listening_fd(void)
{
    char path[108], other[108], ep[TU_ENDPOINT_LEN], want[TU_ENDPOINT_LEN];
    tu_ipc_path(path, sizeof path);
    tu_ipc_path(other, sizeof other);
    int fd = raw_bind_unix(path);
    CHECK_OK(listen(fd, 16));

    void *pull = test_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_USE_FD, fd);
    snprintf(ep, sizeof ep, "ipc://%s", other);
    CHECK_OK(zmq_bind(pull, ep));
    char last[TU_ENDPOINT_LEN];
    get_last_endpoint(pull, last, sizeof last);
    snprintf(want, sizeof want, "ipc://%s", path);
    CHECK_STR(last, want);
    CHECK(access(other, F_OK) != 0);   /* nothing was created at the string's path */

    void *push = connected_socket(ctx, ZMQ_PUSH, want);
    send_str(push, "through the unix fd");
    recv_expect(pull, "through the unix fd");
    close_zero_linger(push);
    close_zero_linger(pull);
    msleep(50);
    CHECK(access(path, F_OK) == 0);    /* the socket file handed in is not removed */
}

/* inproc binds and all connects ignore ZMQ_USE_FD. */
static void use_fd_shall_not_affect_inproc_or_connects(void)
{
    int port = 0;
    int fd = raw_listen(&port);
    void *s = test_socket(ctx, ZMQ_PAIR);
    set_int(s, ZMQ_USE_FD, fd);
    char ep[64], last[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "inproc://use-fd-%d", (int)getpid());
    CHECK_OK(zmq_bind(s, ep));
    get_last_endpoint(s, last, sizeof last);
    CHECK_STR(last, ep);
    void *peer = connected_socket(ctx, ZMQ_PAIR, ep);
    send_str(peer, "inproc");
    recv_expect(s, "inproc");
    close_zero_linger(peer);
    close_zero_linger(s);

    s = test_socket(ctx, ZMQ_PUSH);
    set_int(s, ZMQ_USE_FD, fd);
    void *listener = test_socket(ctx, ZMQ_PULL);
    bind_ephemeral(listener, last, sizeof last);
    CHECK_OK(zmq_connect(s, last));
    send_str(s, "connected normally");
    recv_expect(listener, "connected normally");
    close_zero_linger(listener);
    close_zero_linger(s);
    close(fd);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(use_fd_shall_default_to_minus_one_and_refuse_below);
    RUN(tcp_bind_shall_use_the_given_listening_fd);
    RUN(ipc_bind_shall_use_the_given_listening_fd);
    RUN(use_fd_shall_not_affect_inproc_or_connects);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
