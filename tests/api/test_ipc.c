/* The ipc transport: filesystem paths, the Linux abstract namespace (ipc://@name), replacing a stale
 * socket file on bind, the ipc wildcard (path "*", removed again on unbind), connect before bind, and
 * path limits. libzmq 4.3 leaves an explicitly named socket file in place on unbind and close (only wildcard
 * files are removed), so that is not checked here; see docs/libzmq-behaviour.md. */
#include "rawpeer.h"

static void *ctx;

static int is_socket_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void round_trip(void *pull, const char *ep)
{
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    send_str(push, "over ipc");
    recv_expect(pull, "over ipc");
    close_zero_linger(push);
}

/* A path under /tmp: the socket file appears, ZMQ_LAST_ENDPOINT repeats the endpoint, messages flow. */
static void ipc_shall_carry_messages_over_a_filesystem_path(void)
{
    char path[108], ep[TU_ENDPOINT_LEN], last[TU_ENDPOINT_LEN];
    tu_ipc_path(path, sizeof path);
    snprintf(ep, sizeof ep, "ipc://%s", path);
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, ep));
    CHECK(is_socket_file(path));
    get_last_endpoint(pull, last, sizeof last);
    CHECK_STR(last, ep);
    round_trip(pull, ep);
    /* multipart and a larger message too */
    void *push = connected_socket(ctx, ZMQ_PUSH, ep);
    static char big[300000];
    memset(big, 'b', sizeof big);
    send_str_more(push, "head");
    send_buf(push, big, sizeof big, 0);
    recv_expect_more(pull, "head");
    zmq_msg_t msg;
    CHECK_OK(zmq_msg_init(&msg));
    CHECK_EQ(zmq_msg_recv(&msg, pull, 0), (int)sizeof big);
    CHECK(memcmp(zmq_msg_data(&msg), big, sizeof big) == 0);
    CHECK_OK(zmq_msg_close(&msg));
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* "ipc://@name" lives in the abstract namespace: no file is created, and it works end to end. */
static void ipc_shall_support_the_abstract_namespace(void)
{
    char ep[TU_ENDPOINT_LEN], last[TU_ENDPOINT_LEN];
    snprintf(ep, sizeof ep, "ipc://@zinc-test-abstract-%d", (int)getpid());
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, ep));
    get_last_endpoint(pull, last, sizeof last);
    CHECK_STR(last, ep);
    char file[128];
    snprintf(file, sizeof file, "@zinc-test-abstract-%d", (int)getpid());
    CHECK(access(file, F_OK) != 0);
    round_trip(pull, ep);
    /* the name is taken while bound */
    void *other = test_socket(ctx, ZMQ_PULL);
    CHECK_ERR(zmq_bind(other, ep), EADDRINUSE);
    close_zero_linger(other);
    close_zero_linger(pull);
}

/* A socket file left behind by a process that died (nobody listening) is replaced by the next bind. */
static void ipc_bind_shall_replace_a_stale_socket_file(void)
{
    char path[108], ep[TU_ENDPOINT_LEN];
    tu_ipc_path(path, sizeof path);
    int fd = raw_bind_unix(path);
    close(fd); /* the file stays, with nobody behind it */
    CHECK(is_socket_file(path));
    snprintf(ep, sizeof ep, "ipc://%s", path);
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, ep));
    round_trip(pull, ep);
    close_zero_linger(pull);
}

/* The ipc wildcard (path "*") binds a fresh path that ZMQ_LAST_ENDPOINT reports; unbinding removes it
 * again. */
static void ipc_wildcard_shall_bind_a_fresh_path_and_remove_it_on_unbind(void)
{
    setenv("TMPDIR", "/tmp", 1); /* libzmq makes the wildcard's directory under $TMPDIR (else the cwd) */
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, "ipc://*"));
    char last[TU_ENDPOINT_LEN];
    get_last_endpoint(pull, last, sizeof last);
    CHECK(strncmp(last, "ipc://", 6) == 0);
    CHECK(strcmp(last, "ipc://*") != 0);
    const char *path = last + 6;
    CHECK(is_socket_file(path));
    round_trip(pull, last);
    CHECK_OK(zmq_unbind(pull, last));
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = access(path, F_OK) != 0;
        if (!gone)
            msleep(10);
    }
    CHECK(gone);
    close_zero_linger(pull);
}

/* Connecting before the path exists is fine; the connection is made once someone binds. */
static void ipc_shall_deliver_when_connect_comes_before_bind(void)
{
    char path[108], ep[TU_ENDPOINT_LEN];
    tu_ipc_path(path, sizeof path);
    snprintf(ep, sizeof ep, "ipc://%s", path);
    void *push = test_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_RECONNECT_IVL, 20);
    CHECK_OK(zmq_connect(push, ep));
    send_str(push, "early");
    msleep(50);
    void *pull = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(pull, ep));
    recv_expect(pull, "early");
    close_zero_linger(push);
    close_zero_linger(pull);
}

/* Paths that do not fit sockaddr_un are ENAMETOOLONG; a missing directory is ENOENT. */
static void ipc_shall_reject_unusable_paths(void)
{
    void *s = test_socket(ctx, ZMQ_PULL);
    char ep[300];
    snprintf(ep, sizeof ep, "ipc:///tmp/");
    memset(ep + 11, 'a', 120);
    ep[131] = '\0';
    CHECK_ERR(zmq_bind(s, ep), ENAMETOOLONG);
    CHECK_ERR(zmq_bind(s, "ipc:///nonexistent-zinc-dir/x.ipc"), ENOENT);
    CHECK_ERR(zmq_bind(s, "ipc://"), EINVAL);
    close_zero_linger(s);
}

int main(void)
{
    test_begin(30);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(ipc_shall_carry_messages_over_a_filesystem_path);
    RUN(ipc_shall_support_the_abstract_namespace);
    RUN(ipc_bind_shall_replace_a_stale_socket_file);
    RUN(ipc_wildcard_shall_bind_a_fresh_path_and_remove_it_on_unbind);
    RUN(ipc_shall_deliver_when_connect_comes_before_bind);
    RUN(ipc_shall_reject_unusable_paths);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
