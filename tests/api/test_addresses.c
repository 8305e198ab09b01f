/* Endpoint strings as libzmq 4.3.4 takes and refuses them, with the same errno: one table of bind, connect,
 * unbind and disconnect cases (probed against Debian's libzmq), then the cases that need a live port
 * (atoi-style ports, EADDRINUSE, unbinding wildcards and host names, source-address binds). */
#include "testutil.h"

static void *ctx;

enum op { BIND, CONNECT, UNBIND, DISCONNECT };

struct addr_case {
    enum op op;
    int type;             /* socket type; 0 is PAIR */
    const char *endpoint;
    int err;              /* 0: succeeds */
    const char *last;     /* on success: ZMQ_LAST_ENDPOINT prefix ("=" first: exact, the endpoint itself) */
};

#define OK_AS(p) 0, p
#define SAME 0, "="

static const struct addr_case cases[] = {
    /* bind: "*", numeric addresses, interface names; ports "*" and "0" are ephemeral */
    {BIND, 0, "tcp://127.0.0.1:*", OK_AS("tcp://127.0.0.1:")},
    {BIND, 0, "tcp://127.0.0.1:0", OK_AS("tcp://127.0.0.1:")},
    {BIND, 0, "tcp://*:*", OK_AS("tcp://0.0.0.0:")},
    {BIND, 0, "tcp://*:0", OK_AS("tcp://0.0.0.0:")},
    {BIND, 0, "tcp://0.0.0.0:*", OK_AS("tcp://0.0.0.0:")},
    {BIND, 0, "tcp://lo:*", OK_AS("tcp://127.0.0.1:")},
    {BIND, 0, "tcp://lo:0", OK_AS("tcp://127.0.0.1:")},
    {BIND, 0, "tcp://[127.0.0.1]:*", OK_AS("tcp://127.0.0.1:")},
    {BIND, 0, "tcp://[::ffff:127.0.0.1]:*", OK_AS("tcp://127.0.0.1:")},
    {BIND, 0, "ipc://*", OK_AS("ipc://")},
    /* bind: malformed */
    {BIND, 0, "tcp://127.0.0.1", EINVAL, NULL},
    {BIND, 0, "tcp://127.0.0.1:", EINVAL, NULL},
    {BIND, 0, "tcp://127.0.0.1:65536", EINVAL, NULL},   /* reads as port 0 */
    {BIND, 0, "tcp://127.0.0.1:abc", EINVAL, NULL},
    {BIND, 0, "tcp://127.0.0.1:0x10", EINVAL, NULL},
    {BIND, 0, "tcp://*", EINVAL, NULL},
    {BIND, 0, "tcp://a:b:c", EINVAL, NULL},
    {BIND, 0, "tcp://127.0.0.1;127.0.0.1:5556", EINVAL, NULL},   /* a source needs a port */
    {BIND, 0, "tcp://;127.0.0.1:5556", EINVAL, NULL},
    {BIND, 0, "tcp://127.0.0.1:5556;", EINVAL, NULL},
    {BIND, 0, "tcp://", EINVAL, NULL},
    {BIND, 0, "tcp:///", EINVAL, NULL},
    {BIND, 0, "tcp:/127.0.0.1:5555", EINVAL, NULL},
    {BIND, 0, "127.0.0.1:5555", EINVAL, NULL},
    {BIND, 0, "", EINVAL, NULL},
    {BIND, 0, "inproc://", EINVAL, NULL},
    {BIND, 0, "ipc://", EINVAL, NULL},
    {BIND, 0, "ipc://@", EINVAL, NULL},
    /* bind: not an address or interface of this host (no DNS on bind) */
    {BIND, 0, "tcp://:5555", ENODEV, NULL},
    {BIND, 0, "tcp://local host:5555", ENODEV, NULL},
    {BIND, 0, "tcp://localhost:5555", ENODEV, NULL},
    {BIND, 0, "tcp://localhost:*", ENODEV, NULL},
    {BIND, 0, "tcp://no-such-if0:*", ENODEV, NULL},
    {BIND, 0, "tcp://256.1.1.1:*", ENODEV, NULL},
    {BIND, 0, "tcp:// 127.0.0.1:5555", ENODEV, NULL},
    {BIND, 0, "tcp://[::1]:*", ENODEV, NULL},   /* ZMQ_IPV6 is off */
    {BIND, 0, "tcp://::1:5555", ENODEV, NULL},
    {BIND, 0, "tcp://[::1:*", ENODEV, NULL},
    {BIND, 0, "tcp://::1]:*", ENODEV, NULL},
    {BIND, 0, "tcp://[::1]", ENODEV, NULL},     /* "1]" is the port, "[:" the host */
    {BIND, 0, "tcp://[]:5555", ENODEV, NULL},
    {BIND, 0, "tcp://[fe80::1%lo]:*", ENODEV, NULL},
    {BIND, 0, "tcp://1.2.3.4:*", EADDRNOTAVAIL, NULL},
    /* schemes */
    {BIND, 0, "foo://x", EPROTONOSUPPORT, NULL},
    {BIND, 0, "TCP://127.0.0.1:*", EPROTONOSUPPORT, NULL},
    {BIND, 0, "vmci://1:5555", EPROTONOSUPPORT, NULL},
    {BIND, 0, "udp://127.0.0.1:5555", ENOCOMPATPROTO, NULL},
    {BIND, ZMQ_PUSH, "pgm://eth0;239.1.1.1:5555", ENOCOMPATPROTO, NULL},
    {BIND, ZMQ_DEALER, "epgm://eth0;239.1.1.1:5555", ENOCOMPATPROTO, NULL},
    {BIND, 0, "norm://x", ENOCOMPATPROTO, NULL},
    {CONNECT, 0, "foo://x", EPROTONOSUPPORT, NULL},
    {CONNECT, ZMQ_REQ, "udp://127.0.0.1:5555", ENOCOMPATPROTO, NULL},
    {CONNECT, 0, "pgm://eth0;239.1.1.1:5555", ENOCOMPATPROTO, NULL},
    /* connect: checked for syntax at once, resolved later (bad hosts and port 0 only fail to connect) */
    {CONNECT, 0, "tcp://127.0.0.1:0", SAME},
    {CONNECT, 0, "tcp://127.0.0.1:99999", SAME},
    {CONNECT, 0, "tcp://127.0.0.1:65536", SAME},
    {CONNECT, 0, "tcp://127.0.0.1:12a", SAME},
    {CONNECT, 0, "tcp://127.0.0.1:0x10", SAME},
    {CONNECT, 0, "tcp://localhost:5555", SAME},
    {CONNECT, 0, "tcp://[127.0.0.1]:5555", SAME},
    {CONNECT, 0, "tcp://127.0.0.1:0;127.0.0.1:5556", SAME},
    {CONNECT, 0, "tcp://127.0.0.1:*;127.0.0.1:5556", SAME},
    {CONNECT, 0, "tcp://127.0.0.1;127.0.0.1:5556", SAME},
    {CONNECT, 0, "ipc://*", SAME},
    {CONNECT, 0, "ipc://@zinc-addresses-nobody", SAME},
    {CONNECT, 0, "tcp://127.0.0.1:*", EINVAL, NULL},
    {CONNECT, 0, "tcp://*:*", EINVAL, NULL},
    {CONNECT, 0, "tcp://*:0", EINVAL, NULL},
    {CONNECT, 0, "tcp://*:5555", EINVAL, NULL},
    {CONNECT, 0, "tcp://127.0.0.1", EINVAL, NULL},
    {CONNECT, 0, "tcp://127.0.0.1:", EINVAL, NULL},
    {CONNECT, 0, "tcp://127.0.0.1:abc", EINVAL, NULL},
    {CONNECT, 0, "tcp://127.0.0.1:-1", EINVAL, NULL},
    {CONNECT, 0, "tcp://127.0.0.1:+5", EINVAL, NULL},
    {CONNECT, 0, "tcp://127.0.0.1: 5555", EINVAL, NULL},
    {CONNECT, 0, "tcp://127.0.0.1:5555/x", EINVAL, NULL},
    {CONNECT, 0, "tcp://local host:5555", EINVAL, NULL},
    {CONNECT, 0, "tcp:// 127.0.0.1:5555", EINVAL, NULL},
    {CONNECT, 0, "tcp://*", EINVAL, NULL},
    {CONNECT, 0, "tcp://lo:*", EINVAL, NULL},
    {CONNECT, 0, "tcp://[::1]:*", EINVAL, NULL},
    {CONNECT, 0, "tcp://a:b:c", EINVAL, NULL},
    {CONNECT, 0, "tcp://;127.0.0.1:5556", EINVAL, NULL},
    {CONNECT, 0, "tcp://", EINVAL, NULL},
    {CONNECT, 0, "ipc://", EINVAL, NULL},
    {CONNECT, 0, "ipc://@", EINVAL, NULL},
    {CONNECT, 0, "inproc://", EINVAL, NULL},
    {CONNECT, 0, "", EINVAL, NULL},
    /* unbind / disconnect: the string is parsed first, then looked up */
    {UNBIND, 0, "tcp://127.0.0.1:5555", ENOENT, NULL},
    {UNBIND, 0, "inproc://nobody", ENOENT, NULL},
    {UNBIND, 0, "ipc:///tmp/zinc-addresses-nobody", ENOENT, NULL},
    {UNBIND, 0, "foo://x", EPROTONOSUPPORT, NULL},
    {UNBIND, 0, "garbage", EINVAL, NULL},
    {UNBIND, 0, "", EINVAL, NULL},
    {DISCONNECT, 0, "tcp://127.0.0.1:5555", ENOENT, NULL},
    {DISCONNECT, 0, "inproc://nobody", ENOENT, NULL},
    {DISCONNECT, 0, "foo://x", EPROTONOSUPPORT, NULL},
    {DISCONNECT, 0, "garbage", EINVAL, NULL},
};

static const char *op_name(enum op op)
{
    static const char *const names[] = {"bind", "connect", "unbind", "disconnect"};
    return names[op];
}

static int apply(void *s, enum op op, const char *ep)
{
    switch (op) {
    case BIND: return zmq_bind(s, ep);
    case CONNECT: return zmq_connect(s, ep);
    case UNBIND: return zmq_unbind(s, ep);
    default: return zmq_disconnect(s, ep);
    }
}

/* Runs one case on a fresh socket; for a failure, also checks ZMQ_LAST_ENDPOINT stayed empty. */
static void run_case(const struct addr_case *c)
{
    void *s = test_socket(ctx, c->type ? c->type : ZMQ_PAIR);
    errno = 0;
    int rc = apply(s, c->op, c->endpoint);
    int err = rc == 0 ? 0 : errno;
    if (err != c->err)
        printf("  %s \"%s\": got %s, expected %s\n", op_name(c->op), c->endpoint, err ? zmq_strerror(err) : "ok",
               c->err ? zmq_strerror(c->err) : "ok");
    CHECK_EQ(err, c->err);
    char last[TU_ENDPOINT_LEN];
    get_last_endpoint(s, last, sizeof last);
    if (c->err) {
        CHECK_STR(last, "");
    } else if (c->last && c->last[0] == '=') {
        CHECK_STR(last, c->endpoint);
    } else if (c->last) {
        if (strncmp(last, c->last, strlen(c->last)) != 0)
            printf("  %s \"%s\": last endpoint \"%s\"\n", op_name(c->op), c->endpoint, last);
        CHECK(strncmp(last, c->last, strlen(c->last)) == 0);
    }
    close_zero_linger(s);
}

static void addresses_shall_be_taken_and_refused_as_libzmq_does(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

/* ipc paths: sun_path holds 107 characters and a NUL; abstract names likewise. */
static void ipc_paths_longer_than_sun_path_shall_be_enametoolong(void)
{
    char ep[200], path[120];
    for (int len = 106; len <= 109; len++) {
        snprintf(path, sizeof path, "/tmp/zinc-addr-%d-", (int)getpid());
        size_t n = strlen(path);
        memset(path + n, 'a', (size_t)len - n);
        path[len] = 0;
        snprintf(ep, sizeof ep, "ipc://%s", path);
        void *s = test_socket(ctx, ZMQ_PAIR);
        if (len <= 107) {
            CHECK_OK(zmq_bind(s, ep));
            CHECK_OK(zmq_connect(s, ep));
        } else {
            CHECK_ERR(zmq_bind(s, ep), ENAMETOOLONG);
            CHECK_ERR(zmq_connect(s, ep), ENAMETOOLONG);
        }
        close_zero_linger(s);
        unlink(path);
        /* the abstract name "@" + len - 1 characters */
        snprintf(ep, sizeof ep, "ipc://@%s", path + 1);
        s = test_socket(ctx, ZMQ_PAIR);
        if (len <= 107) {
            CHECK_OK(zmq_bind(s, ep));
            CHECK_OK(zmq_connect(s, ep));
        } else {
            CHECK_ERR(zmq_bind(s, ep), ENAMETOOLONG);
            CHECK_ERR(zmq_connect(s, ep), ENAMETOOLONG);
        }
        close_zero_linger(s);
    }
}

/* Binds to form (a printf pattern taking a port number, written as value(port)), expecting
 * ZMQ_LAST_ENDPOINT tcp://127.0.0.1:port. A fresh port each time: closing a listener is asynchronous. */
static void bind_reads_port(const char *form, long extra)
{
    int port = free_tcp_port();
    char ep[64], last[TU_ENDPOINT_LEN], want[64];
    snprintf(ep, sizeof ep, form, port + extra);
    snprintf(want, sizeof want, "tcp://127.0.0.1:%d", port);
    void *s = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(s, ep));
    get_last_endpoint(s, last, sizeof last);
    CHECK_STR(last, want);
    close_zero_linger(s);
}

/* A bind port is read like atoi and cut to 16 bits; text after the digits is ignored. */
static void bind_ports_shall_be_read_as_libzmq_reads_them(void)
{
    bind_reads_port("tcp://127.0.0.1:%ld", 65536L);
    bind_reads_port("tcp://127.0.0.1:%ldabc", 0);
    bind_reads_port("tcp://127.0.0.1:+%ld", 0);
    bind_reads_port("tcp://127.0.0.1: %ld", 0);
    bind_reads_port("tcp://127.0.0.1:%ld/path", 0);
    bind_reads_port("tcp://127.0.0.1:0%ld", 0);
    /* with a source part, a bind uses the destination */
    bind_reads_port("tcp://127.0.0.1:0;127.0.0.1:%ld", 0);
}

/* Binding an endpoint in use: EADDRINUSE on tcp, inproc and abstract ipc names. */
static void binding_an_address_in_use_shall_be_eaddrinuse(void)
{
    char ep[TU_ENDPOINT_LEN], abstract[64];
    const char *transports[] = {"tcp", "ipc", "inproc"};
    for (int i = 0; i < 3; i++) {
        void *a = test_socket(ctx, ZMQ_PULL);
        void *b = test_socket(ctx, ZMQ_PULL);
        bind_transport(a, transports[i], ep, sizeof ep);
        if (strcmp(transports[i], "ipc") == 0) {
            /* an ipc path is not "in use": a bind removes the socket file there and takes the path */
            CHECK_OK(zmq_bind(b, ep));
        } else {
            CHECK_ERR(zmq_bind(b, ep), EADDRINUSE);
            CHECK_ERR(zmq_bind(a, ep), EADDRINUSE);
        }
        close_zero_linger(a);
        close_zero_linger(b);
    }
    snprintf(abstract, sizeof abstract, "ipc://@zinc-addr-inuse-%d", (int)getpid());
    void *a = test_socket(ctx, ZMQ_PULL);
    void *b = test_socket(ctx, ZMQ_PULL);
    CHECK_OK(zmq_bind(a, abstract));
    CHECK_ERR(zmq_bind(b, abstract), EADDRINUSE);
    close_zero_linger(a);
    close_zero_linger(b);
}

/* A wildcard bind is unbound by its real endpoint, which host names also resolve to; once. */
static void unbind_shall_find_binds_by_their_resolved_endpoint(void)
{
    void *s = test_socket(ctx, ZMQ_PULL);
    char last[TU_ENDPOINT_LEN], ep[64];
    CHECK_OK(zmq_bind(s, "tcp://127.0.0.1:*"));
    get_last_endpoint(s, last, sizeof last);
    CHECK_ERR(zmq_unbind(s, "tcp://127.0.0.1:*"), ENOENT);
    CHECK_OK(zmq_unbind(s, last));
    CHECK_ERR(zmq_unbind(s, last), ENOENT);

    CHECK_OK(zmq_bind(s, "tcp://*:*"));
    get_last_endpoint(s, last, sizeof last);
    CHECK(strncmp(last, "tcp://0.0.0.0:", 14) == 0);
    CHECK_ERR(zmq_unbind(s, "tcp://*:*"), ENOENT);
    CHECK_OK(zmq_unbind(s, last));

    CHECK_OK(zmq_bind(s, "tcp://lo:*"));
    get_last_endpoint(s, last, sizeof last);
    CHECK_ERR(zmq_unbind(s, "tcp://lo:*"), ENOENT);
    snprintf(ep, sizeof ep, "tcp://localhost:%d", endpoint_port(last));
    CHECK_OK(zmq_unbind(s, ep));
    CHECK_ERR(zmq_unbind(s, last), ENOENT);

    CHECK_OK(zmq_bind(s, "ipc://*"));
    CHECK_ERR(zmq_unbind(s, "ipc://*"), ENOENT);
    get_last_endpoint(s, last, sizeof last);
    CHECK_OK(zmq_unbind(s, last));
    close_zero_linger(s);
}

/* Disconnect ends every connect made with that exact string; libzmq keeps tcp binds and connects in one
 * table, so zmq_disconnect of a bound tcp endpoint unbinds it. */
static void disconnect_shall_end_every_connect_of_that_string(void)
{
    void *s = test_socket(ctx, ZMQ_PUSH);
    CHECK_OK(zmq_connect(s, "tcp://127.0.0.1:1"));
    CHECK_OK(zmq_connect(s, "tcp://127.0.0.1:1"));
    CHECK_OK(zmq_connect(s, "tcp://localhost:1"));
    CHECK_OK(zmq_disconnect(s, "tcp://127.0.0.1:1"));
    CHECK_ERR(zmq_disconnect(s, "tcp://127.0.0.1:1"), ENOENT);
    CHECK_OK(zmq_disconnect(s, "tcp://localhost:1"));
    CHECK_OK(zmq_connect(s, "tcp://127.0.0.1:0;127.0.0.1:1"));
    CHECK_ERR(zmq_disconnect(s, "tcp://127.0.0.1:1"), ENOENT);
    CHECK_OK(zmq_disconnect(s, "tcp://127.0.0.1:0;127.0.0.1:1"));

    char last[TU_ENDPOINT_LEN];
    bind_ephemeral(s, last, sizeof last);
    CHECK_OK(zmq_disconnect(s, last));
    CHECK_ERR(zmq_unbind(s, last), ENOENT);
    close_zero_linger(s);
}

/* Host names work for connect; interface names and the wildcard for bind. */
static void host_names_shall_resolve_for_connect(void)
{
    void *pull = test_socket(ctx, ZMQ_PULL);
    void *push = test_socket(ctx, ZMQ_PUSH);
    char last[TU_ENDPOINT_LEN], ep[64];
    CHECK_OK(zmq_bind(pull, "tcp://lo:*"));
    get_last_endpoint(pull, last, sizeof last);
    snprintf(ep, sizeof ep, "tcp://localhost:%d", endpoint_port(last));
    CHECK_OK(zmq_connect(push, ep));
    send_str(push, "by name");
    recv_expect(pull, "by name");
    close_zero_linger(push);
    close_zero_linger(pull);
}

int main(void)
{
    test_begin(60);
    ctx = CHECK_PTR(zmq_ctx_new());
    RUN(addresses_shall_be_taken_and_refused_as_libzmq_does);
    RUN(ipc_paths_longer_than_sun_path_shall_be_enametoolong);
    RUN(bind_ports_shall_be_read_as_libzmq_reads_them);
    RUN(binding_an_address_in_use_shall_be_eaddrinuse);
    RUN(unbind_shall_find_binds_by_their_resolved_endpoint);
    RUN(disconnect_shall_end_every_connect_of_that_string);
    RUN(host_names_shall_resolve_for_connect);
    CHECK_OK(zmq_ctx_term(ctx));
    return test_end();
}
