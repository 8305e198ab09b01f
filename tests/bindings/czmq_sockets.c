/* czmq_sockets.c: czmq's socket layer (zsock, zstr, zmsg, zframe, pictures, options), built against the
 * system czmq and libzmq and run unchanged on zinc's libzmq.so.5 (see binding_check.h). Each case is what
 * czmq users write most: sockets made from "@bind"/">connect" endpoint strings, zstr and picture messages,
 * zmsg/zframe multipart, routing ids, and the generated option getters and setters (which pass
 * sizeof (int) buffers and check the reported sizes).
 */
#include <czmq.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "binding_check.h"

static void version_is_4_3(void)
{
    int major, minor, patch;
    zsys_version(&major, &minor, &patch); /* czmq's own version */
    BC_CHECK_INT(major, ==, 4);
    zmq_version(&major, &minor, &patch);
    BC_CHECK_INT(major * 100 + minor, ==, 403);
    BC_CHECK(zsys_has_curve() == zmq_has("curve"));
}

/* A PUSH bound to "@tcp://127.0.0.1:*" and a PULL connected with ">" + the endpoint czmq resolved. */
static void push_pull_over_each_transport(void)
{
    char ipc[128];
    snprintf(ipc, sizeof ipc, "@ipc:///tmp/zinc-czmq-%d", (int)getpid());
    const char *binds[] = {"@tcp://127.0.0.1:*", ipc, "@inproc://czmq-pushpull"};
    for (size_t i = 0; i < sizeof binds / sizeof binds[0]; i++) {
        zsock_t *pull = zsock_new_pull(binds[i]);
        BC_CHECK(pull);
        const char *bound = zsock_endpoint(pull);
        BC_CHECK(bound && strncmp(bound, binds[i] + 1, 3) == 0);
        char connect[300];
        snprintf(connect, sizeof connect, ">%s", bound);
        zsock_t *push = zsock_new_push(connect);
        BC_CHECK(push);
        zsock_set_rcvtimeo(pull, 5000);
        BC_CHECK_INT(zstr_send(push, "hello"), ==, 0);
        BC_CHECK_INT(zstr_sendx(push, "a", "b", "c", NULL), ==, 0);
        char *s = zstr_recv(pull);
        BC_CHECK(s && streq(s, "hello"));
        zstr_free(&s);
        char *a = NULL, *b = NULL, *c = NULL;
        BC_CHECK_INT(zstr_recvx(pull, &a, &b, &c, NULL), ==, 3);
        BC_CHECK(streq(a, "a") && streq(b, "b") && streq(c, "c"));
        zstr_free(&a);
        zstr_free(&b);
        zstr_free(&c);
        zsock_destroy(&push);
        zsock_destroy(&pull);
    }
}

/* zsock_send/zsock_recv pictures: integers of every width, strings, frames, messages, pointers. */
static void pictures_round_trip(void)
{
    zsock_t *pair_a = zsock_new_pair("@inproc://czmq-picture");
    zsock_t *pair_b = zsock_new_pair(">inproc://czmq-picture");
    BC_CHECK(pair_a && pair_b);
    zframe_t *frame = zframe_new("frame", 5);
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, "m1");
    zmsg_addstr(msg, "m2");
    char blob[3] = {1, 0, 2};
    int rc = zsock_send(pair_a, "i48sbfpzm", -7, 4000000000u, (uint64_t)1 << 40, "str", blob, sizeof blob,
                        frame, (void *)pair_a, msg);
    BC_CHECK_INT(rc, ==, 0);
    zframe_destroy(&frame);
    zmsg_destroy(&msg);
    zsock_set_rcvtimeo(pair_b, 5000);
    int i;
    uint32_t u4;
    uint64_t u8;
    char *s;
    byte *data;
    size_t size;
    zframe_t *f;
    zmsg_t *m;
    void *p;
    rc = zsock_recv(pair_b, "i48sbfpzm", &i, &u4, &u8, &s, &data, &size, &f, &p, &m);
    BC_CHECK_INT(rc, ==, 0);
    BC_CHECK_INT(i, ==, -7);
    BC_CHECK_INT(u4, ==, 4000000000u);
    BC_CHECK(u8 == (uint64_t)1 << 40);
    BC_CHECK(streq(s, "str"));
    BC_CHECK(size == 3 && memcmp(data, blob, 3) == 0);
    BC_CHECK(zframe_streq(f, "frame"));
    BC_CHECK_INT(zmsg_size(m), ==, 2);
    BC_CHECK(p == (void *)pair_a);
    zstr_free(&s);
    free(data);
    zframe_destroy(&f);
    zmsg_destroy(&m);
    /* Binary pictures pack everything into one frame. */
    BC_CHECK_INT(zsock_bsend(pair_a, "1248s", 200, 65000, 4000000000u, (uint64_t)7, "bin"), ==, 0);
    uint8_t u1;
    uint16_t u2;
    char *bs;
    BC_CHECK_INT(zsock_brecv(pair_b, "1248s", &u1, &u2, &u4, &u8, &bs), ==, 0);
    BC_CHECK(u1 == 200 && u2 == 65000 && u4 == 4000000000u && u8 == 7 && streq(bs, "bin"));
    zsock_destroy(&pair_b);
    zsock_destroy(&pair_a);
}

/* zmsg and zframe: multipart with empty and large frames, ZFRAME_MORE/REUSE, signals. */
static void zmsg_and_zframe(void)
{
    zsock_t *pull = zsock_new_pull("@tcp://127.0.0.1:*");
    BC_CHECK(pull);
    zsock_t *push = zsock_new_push(zsock_endpoint(pull));
    BC_CHECK(push);
    zsock_set_rcvtimeo(pull, 5000);
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, "");
    char *big = malloc(1 << 20);
    BC_CHECK(big);
    memset(big, 'x', 1 << 20);
    zmsg_addmem(msg, big, 1 << 20);
    zmsg_addstrf(msg, "n=%d", 42);
    BC_CHECK_INT(zmsg_send(&msg, push), ==, 0);
    BC_CHECK(msg == NULL);
    msg = zmsg_recv(pull);
    BC_CHECK(msg);
    BC_CHECK_INT(zmsg_size(msg), ==, 3);
    BC_CHECK_INT(zmsg_content_size(msg), ==, (1 << 20) + 4);
    zframe_t *first = zmsg_first(msg);
    BC_CHECK_INT(zframe_size(first), ==, 0);
    zframe_t *second = zmsg_next(msg);
    BC_CHECK(memcmp(zframe_data(second), big, 1 << 20) == 0);
    char *last = zmsg_popstr(msg) /* pops "" */;
    free(last);
    zmsg_destroy(&msg);
    free(big);

    zframe_t *frame = zframe_new("one", 3);
    BC_CHECK_INT(zframe_send(&frame, push, ZFRAME_MORE | ZFRAME_REUSE), ==, 0);
    BC_CHECK(frame != NULL);
    BC_CHECK_INT(zframe_send(&frame, push, 0), ==, 0);
    zframe_t *r1 = zframe_recv(pull);
    BC_CHECK(r1 && zframe_more(r1) == 1 && zframe_streq(r1, "one"));
    zframe_t *r2 = zframe_recv(pull);
    BC_CHECK(r2 && zframe_more(r2) == 0 && zframe_streq(r2, "one"));
    BC_CHECK_INT(zsock_rcvmore(pull), ==, 0);
    zframe_destroy(&r1);
    zframe_destroy(&r2);

    BC_CHECK_INT(zsock_signal(push, 3), ==, 0);
    BC_CHECK_INT(zsock_wait(pull), ==, 3);
    zsock_destroy(&push);
    zsock_destroy(&pull);
}

/* REQ/REP and DEALER/ROUTER with routing ids, as czmq servers use them. */
static void req_rep_and_dealer_router(void)
{
    zsock_t *rep = zsock_new_rep("@tcp://127.0.0.1:*");
    zsock_t *req = zsock_new_req(zsock_endpoint(rep));
    BC_CHECK(rep && req);
    zsock_set_rcvtimeo(rep, 5000);
    zsock_set_rcvtimeo(req, 5000);
    for (int round = 0; round < 3; round++) {
        BC_CHECK_INT(zsock_send(req, "si", "ping", round), ==, 0);
        char *s;
        int n;
        BC_CHECK_INT(zsock_recv(rep, "si", &s, &n), ==, 0);
        BC_CHECK(streq(s, "ping") && n == round);
        zstr_free(&s);
        BC_CHECK_INT(zstr_send(rep, "pong"), ==, 0);
        s = zstr_recv(req);
        BC_CHECK(s && streq(s, "pong"));
        zstr_free(&s);
    }
    zsock_destroy(&req);
    zsock_destroy(&rep);

    zsock_t *router = zsock_new_router("@tcp://127.0.0.1:*");
    BC_CHECK(router);
    zsock_set_router_mandatory(router, 1);
    zsock_set_rcvtimeo(router, 5000);
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    BC_CHECK(dealer);
    zsock_set_identity(dealer, "client-7");
    char *id = zsock_identity(dealer);
    BC_CHECK(id && streq(id, "client-7"));
    zstr_free(&id);
    BC_CHECK_INT(zsock_connect(dealer, "%s", zsock_endpoint(router)), ==, 0);
    zsock_set_rcvtimeo(dealer, 5000);
    BC_CHECK_INT(zstr_send(dealer, "hello"), ==, 0);
    zmsg_t *msg = zmsg_recv(router);
    BC_CHECK(msg && zmsg_size(msg) == 2);
    zframe_t *rid = zmsg_pop(msg);
    BC_CHECK(zframe_streq(rid, "client-7"));
    zmsg_destroy(&msg);
    msg = zmsg_new();
    zmsg_prepend(msg, &rid);
    zmsg_addstr(msg, "world");
    BC_CHECK_INT(zmsg_send(&msg, router), ==, 0);
    char *s = zstr_recv(dealer);
    BC_CHECK(s && streq(s, "world"));
    zstr_free(&s);
    /* ROUTER_MANDATORY: an unknown routing id is EHOSTUNREACH, which czmq reports as -1. */
    BC_CHECK_INT(zsock_send(router, "ss", "nobody", "x"), ==, -1);
    BC_CHECK_INT(zmq_errno(), ==, EHOSTUNREACH);
    zsock_destroy(&dealer);
    zsock_destroy(&router);
}

/* czmq's own endpoint handling: zsock_bind returns the port for "*", picks one itself for "!" and for
 * "*[first-last]" ranges (by trying binds), accepts comma lists in zsock_new_* and zsock_attach, and
 * unbinds/disconnects with the resolved endpoint. */
static void bind_ports_lists_unbind_disconnect(void)
{
    zsock_t *pull = zsock_new(ZMQ_PULL);
    BC_CHECK(pull);
    int port = zsock_bind(pull, "tcp://127.0.0.1:*");
    BC_CHECK(port > 0);
    int port2 = zsock_bind(pull, "tcp://127.0.0.1:!");
    BC_CHECK(port2 > 0 && port2 != port);
    int port3 = zsock_bind(pull, "tcp://127.0.0.1:*[50000-]");
    BC_CHECK(port3 >= 50000);
    /* The same port again: libzmq refuses with EADDRINUSE, czmq returns -1. */
    BC_CHECK_INT(zsock_bind(pull, "tcp://127.0.0.1:%d", port), ==, -1);
    BC_CHECK_INT(zmq_errno(), ==, EADDRINUSE);
    BC_CHECK_INT(zsock_unbind(pull, "tcp://127.0.0.1:%d", port2), ==, 0);
    BC_CHECK_INT(zsock_bind(pull, "inproc://czmq-list-%d", 1), ==, 0);
    zsock_t *push = zsock_new_push(NULL);
    BC_CHECK(push);
    char list[200];
    snprintf(list, sizeof list, "tcp://127.0.0.1:%d,inproc://czmq-list-1", port);
    BC_CHECK_INT(zsock_attach(push, list, false), ==, 0);
    zsock_set_rcvtimeo(pull, 5000);
    for (int i = 0; i < 4; i++)
        zstr_sendf(push, "m%d", i);
    int got = 0;
    for (int i = 0; i < 4; i++) {
        char *m = zstr_recv(pull);
        BC_CHECK(m && m[0] == 'm');
        zstr_free(&m);
        got++;
    }
    BC_CHECK_INT(got, ==, 4);
    BC_CHECK_INT(zsock_disconnect(push, "tcp://127.0.0.1:%d", port), ==, 0);
    BC_CHECK_INT(zsock_disconnect(push, "inproc://czmq-list-1"), ==, 0);
    /* A disconnect of something never connected is -1 (ENOENT). */
    BC_CHECK_INT(zsock_disconnect(push, "tcp://127.0.0.1:%d", port3), ==, -1);
    BC_CHECK_INT(zmq_errno(), ==, ENOENT);
    zsock_destroy(&push);
    zsock_destroy(&pull);
}

/* XPUB/XSUB: subscriptions arrive at XPUB as messages; an XSUB subscribes by sending one. */
static void xpub_xsub_subscriptions(void)
{
    zsock_t *xpub = zsock_new_xpub("@tcp://127.0.0.1:*");
    BC_CHECK(xpub);
    zsock_t *xsub = zsock_new_xsub(zsock_endpoint(xpub));
    BC_CHECK(xsub);
    zsock_set_rcvtimeo(xpub, 5000);
    zsock_set_rcvtimeo(xsub, 5000);
    zframe_t *subscribe = zframe_new("\001news", 5);
    BC_CHECK_INT(zframe_send(&subscribe, xsub, 0), ==, 0);
    zframe_t *seen = zframe_recv(xpub);
    BC_CHECK(seen && zframe_size(seen) == 5 && memcmp(zframe_data(seen), "\001news", 5) == 0);
    zframe_destroy(&seen);
    zstr_send(xpub, "news flash");
    zstr_send(xpub, "other");
    char *s = zstr_recv(xsub);
    BC_CHECK(s && streq(s, "news flash"));
    zstr_free(&s);
    zsock_destroy(&xsub);
    zsock_destroy(&xpub);
}

/* PUB/SUB: zsock_new_sub subscribes; the first messages may be lost (slow joiner), so publish until
 * one arrives, in bounded time. */
static void pub_sub_with_subscription(void)
{
    zsock_t *pub = zsock_new_pub("@tcp://127.0.0.1:*");
    BC_CHECK(pub);
    zsock_t *sub = zsock_new_sub(zsock_endpoint(pub), "weather");
    BC_CHECK(sub);
    zsock_set_subscribe(sub, "news");
    zsock_set_rcvtimeo(sub, 100);
    char *got = NULL;
    long long deadline = bc_now_ms() + 5000;
    while (!got && bc_now_ms() < deadline) {
        zstr_sendx(pub, "sports", "nothing", NULL);
        zstr_sendx(pub, "weather", "sunny", NULL);
        char *topic = NULL, *body = NULL;
        if (zstr_recvx(sub, &topic, &body, NULL) == 2) {
            BC_CHECK(streq(topic, "weather") || streq(topic, "news"));
            got = body;
            body = NULL;
        }
        zstr_free(&topic);
        zstr_free(&body);
    }
    BC_CHECK(got && streq(got, "sunny"));
    zstr_free(&got);
    zsock_set_unsubscribe(sub, "weather");
    zsock_destroy(&sub);
    zsock_destroy(&pub);
}

/* STREAM: a plain TCP client is announced as [id][""], its bytes arrive as [id][data], and czmq
 * can write back through [id][data]. */
static void stream_with_raw_tcp_client(void)
{
    zsock_t *stream = zsock_new_stream("@tcp://127.0.0.1:*");
    BC_CHECK(stream);
    zsock_set_rcvtimeo(stream, 5000);
    const char *ep = zsock_endpoint(stream);
    int port = atoi(strrchr(ep, ':') + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    BC_CHECK(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BC_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    zmsg_t *hello = zmsg_recv(stream);
    BC_CHECK(hello && zmsg_size(hello) == 2);
    zframe_t *id = zmsg_pop(hello);
    zframe_t *empty = zmsg_pop(hello);
    BC_CHECK(zframe_size(empty) == 0);
    zframe_destroy(&empty);
    zmsg_destroy(&hello);
    BC_CHECK(send(fd, "GET", 3, MSG_NOSIGNAL) == 3);
    zmsg_t *data = zmsg_recv(stream);
    BC_CHECK(data && zmsg_size(data) == 2);
    zframe_t *id2 = zmsg_pop(data);
    BC_CHECK(zframe_eq(id, id2));
    char *body = zmsg_popstr(data);
    BC_CHECK(body && streq(body, "GET"));
    free(body);
    zframe_destroy(&id2);
    zmsg_destroy(&data);
    zmsg_t *reply = zmsg_new();
    zmsg_append(reply, &id);
    zmsg_addstr(reply, "OK");
    BC_CHECK_INT(zmsg_send(&reply, stream), ==, 0);
    char buf[8];
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    BC_CHECK(recv(fd, buf, sizeof buf, 0) == 2 && memcmp(buf, "OK", 2) == 0);
    close(fd);
    zsock_destroy(&stream);
}

/* The generated option accessors: czmq passes sizeof (int) (or int64/uint64) buffers and expects the
 * values back as set. */
static void option_getters_and_setters(void)
{
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    BC_CHECK(dealer);
    BC_CHECK_INT(zsock_type(dealer), ==, ZMQ_DEALER);
    BC_CHECK(streq(zsock_type_str(dealer), "DEALER"));
    zsock_set_sndhwm(dealer, 123);
    BC_CHECK_INT(zsock_sndhwm(dealer), ==, 123);
    zsock_set_rcvhwm(dealer, 321);
    BC_CHECK_INT(zsock_rcvhwm(dealer), ==, 321);
    zsock_set_linger(dealer, 250);
    BC_CHECK_INT(zsock_linger(dealer), ==, 250);
    zsock_set_rcvtimeo(dealer, 77);
    BC_CHECK_INT(zsock_rcvtimeo(dealer), ==, 77);
    zsock_set_sndtimeo(dealer, 88);
    BC_CHECK_INT(zsock_sndtimeo(dealer), ==, 88);
    zsock_set_reconnect_ivl(dealer, 150);
    BC_CHECK_INT(zsock_reconnect_ivl(dealer), ==, 150);
    zsock_set_reconnect_ivl_max(dealer, 1500);
    BC_CHECK_INT(zsock_reconnect_ivl_max(dealer), ==, 1500);
    zsock_set_maxmsgsize(dealer, 1 << 20);
    BC_CHECK_INT(zsock_maxmsgsize(dealer), ==, 1 << 20);
    zsock_set_sndbuf(dealer, 65536);
    BC_CHECK_INT(zsock_sndbuf(dealer), ==, 65536);
    zsock_set_rcvbuf(dealer, 65536);
    BC_CHECK_INT(zsock_rcvbuf(dealer), ==, 65536);
    zsock_set_immediate(dealer, 1);
    BC_CHECK_INT(zsock_immediate(dealer), ==, 1);
    zsock_set_ipv6(dealer, 1);
    BC_CHECK_INT(zsock_ipv6(dealer), ==, 1);
    zsock_set_ipv6(dealer, 0);
    zsock_set_tcp_keepalive(dealer, 1);
    BC_CHECK_INT(zsock_tcp_keepalive(dealer), ==, 1);
    zsock_set_tcp_keepalive_idle(dealer, 30);
    BC_CHECK_INT(zsock_tcp_keepalive_idle(dealer), ==, 30);
    zsock_set_heartbeat_ivl(dealer, 1000);
    BC_CHECK_INT(zsock_heartbeat_ivl(dealer), ==, 1000);
    zsock_set_heartbeat_timeout(dealer, 3000);
    BC_CHECK_INT(zsock_heartbeat_timeout(dealer), ==, 3000);
    zsock_set_heartbeat_ttl(dealer, 2000);
    BC_CHECK_INT(zsock_heartbeat_ttl(dealer), ==, 2000);
    zsock_set_handshake_ivl(dealer, 4000);
    BC_CHECK_INT(zsock_handshake_ivl(dealer), ==, 4000);
    zsock_set_tos(dealer, 0x10);
    BC_CHECK_INT(zsock_tos(dealer), ==, 0x10);
    zsock_set_conflate(dealer, 0);
    zsock_set_identity(dealer, "rid");
    char *rid = zsock_identity(dealer);
    BC_CHECK(rid && streq(rid, "rid"));
    zstr_free(&rid);
    BC_CHECK_INT(zsock_mechanism(dealer), ==, ZMQ_NULL);
    char *zap = zsock_zap_domain(dealer);
    BC_CHECK(zap && streq(zap, ""));
    zstr_free(&zap);
    BC_CHECK_INT(zsock_rcvmore(dealer), ==, 0);
    BC_CHECK_INT(zsock_events(dealer), ==, 0);
    BC_CHECK(zsock_fd(dealer) >= 0);
    zsock_set_affinity(dealer, 3);
    BC_CHECK_INT(zsock_affinity(dealer), ==, 3);
    zsock_set_rate(dealer, 200);
    BC_CHECK_INT(zsock_rate(dealer), ==, 200);
    zsock_set_multicast_hops(dealer, 3);
    BC_CHECK_INT(zsock_multicast_hops(dealer), ==, 3);
    zsock_set_backlog(dealer, 50);
    BC_CHECK_INT(zsock_backlog(dealer), ==, 50);
    zsock_destroy(&dealer);

    zsock_t *router = zsock_new(ZMQ_ROUTER);
    BC_CHECK(router);
    zsock_set_router_handover(router, 1);
    zsock_set_probe_router(router, 1);
    zsock_destroy(&router);
    zsock_t *xpub = zsock_new(ZMQ_XPUB);
    zsock_set_xpub_verbose(xpub, 1);
    zsock_destroy(&xpub);
    zsock_t *sub = zsock_new(ZMQ_SUB);
    zsock_set_subscribe(sub, "");
    zsock_set_unsubscribe(sub, "");
    zsock_destroy(&sub);
}

/* ZMQ_ROUTER_RAW: deprecated, but libzmq 4.3.4 accepts it and czmq exposes zsock_set_router_raw. It
 * turns the ROUTER into a STREAM-like socket. czmq prints an error and carries on when the option is
 * refused, so check through libzmq directly after the czmq call. */
static void router_raw_is_accepted(void)
{
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    BC_CHECK(router);
    int on = 1;
    int rc = zmq_setsockopt(zsock_resolve(router), ZMQ_ROUTER_RAW, &on, sizeof on);
    if (rc != 0)
        fprintf(stderr, "ZMQ_ROUTER_RAW refused: %s\n", zmq_strerror(zmq_errno()));
    BC_CHECK_INT(rc, ==, 0);
    zsock_destroy(&router);
}

/* zsys_set_auto_use_fd: a process started by systemd socket activation inherits listening sockets
 * (LISTEN_PID, LISTEN_FDS, descriptors from 3); czmq's zsock_bind finds the one for its port and hands
 * it to libzmq with ZMQ_USE_FD instead of binding anew. systemd_prepare runs before zsys_init, in the
 * process that runs this case alone, and plays systemd's part. */
static int systemd_port;

static void systemd_prepare(void)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    BC_CHECK(lfd >= 3);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BC_CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
    BC_CHECK(listen(lfd, 16) == 0);
    socklen_t len = sizeof sa;
    BC_CHECK(getsockname(lfd, (struct sockaddr *)&sa, &len) == 0);
    systemd_port = ntohs(sa.sin_port);
    char pid[32], count[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    snprintf(count, sizeof count, "%d", lfd - 3 + 1); /* fds 3..lfd; czmq skips the ones that do not match */
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", count, 1);
}

static void systemd_socket_via_auto_use_fd(void)
{
    zsys_set_auto_use_fd(1);
    zsock_t *pull = zsock_new(ZMQ_PULL);
    BC_CHECK(pull);
    /* The port is taken by the inherited socket: a plain bind would fail with EADDRINUSE. */
    BC_CHECK_INT(zsock_bind(pull, "tcp://127.0.0.1:%d", systemd_port), ==, systemd_port);
    zsock_t *push = zsock_new(ZMQ_PUSH);
    BC_CHECK(push);
    BC_CHECK_INT(zsock_connect(push, "tcp://127.0.0.1:%d", systemd_port), ==, 0);
    zstr_send(push, "through the inherited socket");
    zsock_set_rcvtimeo(pull, 5000);
    char *s = zstr_recv(pull);
    BC_CHECK(s && streq(s, "through the inherited socket"));
    zstr_free(&s);
    zsock_destroy(&push);
    zsock_destroy(&pull);
    zsys_set_auto_use_fd(0);
}

int main(int argc, char **argv)
{
    bc_begin(argc, argv, 60);
    if (bc_only && streq(bc_only, "systemd_socket_via_auto_use_fd"))
        systemd_prepare();
    zsys_init();
    zsys_set_linger(0);
    BC_RUN(version_is_4_3);
    BC_RUN(push_pull_over_each_transport);
    BC_RUN(pictures_round_trip);
    BC_RUN(zmsg_and_zframe);
    BC_RUN(req_rep_and_dealer_router);
    BC_RUN(pub_sub_with_subscription);
    BC_RUN(xpub_xsub_subscriptions);
    BC_RUN(bind_ports_lists_unbind_disconnect);
    BC_RUN(stream_with_raw_tcp_client);
    BC_RUN(option_getters_and_setters);
    BC_RUN(router_raw_is_accepted);
    BC_RUN_ALONE(systemd_socket_via_auto_use_fd); /* alone: plays systemd before zsys_init */
    zsys_shutdown();
    return bc_end();
}
