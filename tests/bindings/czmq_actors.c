/* czmq_actors.c: czmq's event-driven layer (zpoller, zactor, zproxy, zloop, zmonitor, zbeacon, zsys),
 * built against the system czmq and libzmq and run unchanged on zinc's libzmq.so.5 (binding_check.h).
 * These lean on inproc PAIR pipes between threads, signals (zsock_signal/zsock_wait), zmq_poll on many
 * sockets, zmq_proxy driven by a control socket, zmq_socket_monitor and zsys_shutdown's teardown.
 */
#include <czmq.h>

#include "binding_check.h"

/* zpoller over three sockets, two of which become readable; then an expiry and a stopped poller. */
static void zpoller_on_several_sockets(void)
{
    zsock_t *a = zsock_new_pull("@tcp://127.0.0.1:*");
    zsock_t *b = zsock_new_pull("@inproc://czmq-poller-b");
    zsock_t *c = zsock_new_pull("@inproc://czmq-poller-c");
    BC_CHECK(a && b && c);
    zsock_t *push_a = zsock_new_push(zsock_endpoint(a));
    zsock_t *push_c = zsock_new_push(">inproc://czmq-poller-c");
    BC_CHECK(push_a && push_c);
    zpoller_t *poller = zpoller_new(a, b, NULL);
    BC_CHECK(poller);
    BC_CHECK_INT(zpoller_add(poller, c), ==, 0);
    BC_CHECK(zpoller_wait(poller, 50) == NULL);
    BC_CHECK(zpoller_expired(poller));
    BC_CHECK(!zpoller_terminated(poller));
    zstr_send(push_c, "to-c");
    void *which = zpoller_wait(poller, 5000);
    BC_CHECK(which == c);
    char *s = zstr_recv(c);
    BC_CHECK(s && streq(s, "to-c"));
    zstr_free(&s);
    zstr_send(push_a, "to-a");
    which = zpoller_wait(poller, 5000);
    BC_CHECK(which == a);
    s = zstr_recv(a);
    BC_CHECK(s && streq(s, "to-a"));
    zstr_free(&s);
    BC_CHECK_INT(zpoller_remove(poller, b), ==, 0);
    zpoller_destroy(&poller);
    zsock_destroy(&push_a);
    zsock_destroy(&push_c);
    zsock_destroy(&a);
    zsock_destroy(&b);
    zsock_destroy(&c);
}

/* zpoller right after connect, with nothing sent: czmq-based event loops poll ZMQ_FD and expect at most
 * a wake-up, never an error or a stall. The poller must time out cleanly, then see a real message. */
static void zpoller_right_after_connect(void)
{
    zsock_t *server = zsock_new_router("@tcp://127.0.0.1:*");
    zsock_t *client = zsock_new_dealer(zsock_endpoint(server));
    BC_CHECK(server && client);
    zpoller_t *poller = zpoller_new(client, server, NULL);
    BC_CHECK(zpoller_wait(poller, 100) == NULL);
    BC_CHECK(zpoller_expired(poller));
    zstr_send(client, "hi");
    BC_CHECK(zpoller_wait(poller, 5000) == server);
    zmsg_t *msg = zmsg_recv(server);
    BC_CHECK(msg && zmsg_size(msg) == 2);
    zmsg_destroy(&msg);
    zpoller_destroy(&poller);
    zsock_destroy(&client);
    zsock_destroy(&server);
}

/* zpoller and zloop_poller on a plain file descriptor next to zsocks (czmq passes it to zmq_poll). */
static void zpoller_with_a_plain_fd(void)
{
    int fds[2];
    BC_CHECK(pipe(fds) == 0);
    zsock_t *pull = zsock_new_pull("@inproc://czmq-poller-fd");
    BC_CHECK(pull);
    /* czmq tells an fd from a socket by calling zmq_getsockopt (ZMQ_TYPE) on the int's address: the
     * library must answer ENOTSOCK without reading past those 4 bytes. */
    int *readfd = malloc(sizeof *readfd);
    BC_CHECK(readfd);
    *readfd = fds[0];
    zpoller_t *poller = zpoller_new(pull, readfd, NULL);
    BC_CHECK(poller);
    BC_CHECK(zpoller_wait(poller, 20) == NULL);
    BC_CHECK(write(fds[1], "x", 1) == 1);
    void *which = zpoller_wait(poller, 5000);
    BC_CHECK(which == readfd);
    free(readfd);
    zpoller_destroy(&poller);
    zsock_destroy(&pull);
    close(fds[0]);
    close(fds[1]);
}

/* An echo actor: signals ready, answers "ECHO x" with x, ends on "$TERM". */
static void echo_actor(zsock_t *pipe, void *args)
{
    BC_CHECK(streq((const char *)args, "arg"));
    zsock_signal(pipe, 0);
    for (;;) {
        zmsg_t *msg = zmsg_recv(pipe);
        if (!msg)
            break;
        char *command = zmsg_popstr(msg);
        int done = streq(command, "$TERM");
        if (streq(command, "ECHO")) {
            char *body = zmsg_popstr(msg);
            zstr_send(pipe, body);
            free(body);
        } else if (streq(command, "SIGNAL")) {
            zsock_signal(pipe, 9);
        }
        free(command);
        zmsg_destroy(&msg);
        if (done)
            break;
    }
}

static void zactor_commands_and_signals(void)
{
    for (int round = 0; round < 20; round++) {
        zactor_t *actor = zactor_new(echo_actor, (void *)"arg");
        BC_CHECK(actor);
        zstr_sendx(actor, "ECHO", "hello", NULL);
        char *s = zstr_recv(actor);
        BC_CHECK(s && streq(s, "hello"));
        zstr_free(&s);
        zstr_send(actor, "SIGNAL");
        BC_CHECK_INT(zsock_wait(actor), ==, 9);
        BC_CHECK(zactor_sock(actor) != NULL);
        BC_CHECK(zsock_is(zactor_sock(actor)));
        zactor_destroy(&actor);
    }
}

/* zproxy: PULL frontend, PUSH backend, capture, pause and resume, all through actor commands. */
static void zproxy_steered_by_commands(void)
{
    zactor_t *proxy = zactor_new(zproxy, NULL);
    BC_CHECK(proxy);
    zstr_sendx(proxy, "FRONTEND", "PULL", "inproc://czmq-proxy-front", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zstr_sendx(proxy, "BACKEND", "PUSH", "tcp://127.0.0.1:*", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zsock_t *capture = zsock_new_pull("@inproc://czmq-proxy-capture");
    BC_CHECK(capture);
    zstr_sendx(proxy, "CAPTURE", "inproc://czmq-proxy-capture", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    /* zproxy does not report the backend's tcp port: the traffic below goes through a second proxy
     * bound on inproc instead. */
    zsock_t *producer = zsock_new_push(">inproc://czmq-proxy-front");
    BC_CHECK(producer);
    zactor_destroy(&proxy);

    proxy = zactor_new(zproxy, NULL);
    zstr_sendx(proxy, "FRONTEND", "PULL", "inproc://czmq-proxy-front2", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zstr_sendx(proxy, "BACKEND", "PUSH", "inproc://czmq-proxy-back2", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zstr_sendx(proxy, "CAPTURE", "inproc://czmq-proxy-capture", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zsock_t *producer2 = zsock_new_push(">inproc://czmq-proxy-front2");
    zsock_t *consumer = zsock_new_pull(">inproc://czmq-proxy-back2");
    BC_CHECK(producer2 && consumer);
    zsock_set_rcvtimeo(consumer, 5000);
    zsock_set_rcvtimeo(capture, 5000);
    zstr_sendx(producer2, "one", "two", NULL);
    char *x = NULL, *y = NULL;
    BC_CHECK_INT(zstr_recvx(consumer, &x, &y, NULL), ==, 2);
    BC_CHECK(streq(x, "one") && streq(y, "two"));
    zstr_free(&x);
    zstr_free(&y);
    BC_CHECK_INT(zstr_recvx(capture, &x, &y, NULL), ==, 2);
    BC_CHECK(streq(x, "one") && streq(y, "two"));
    zstr_free(&x);
    zstr_free(&y);

    zstr_sendx(proxy, "PAUSE", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zstr_send(producer2, "held");
    zsock_set_rcvtimeo(consumer, 200);
    char *held = zstr_recv(consumer);
    BC_CHECK(held == NULL);
    zstr_sendx(proxy, "RESUME", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zsock_set_rcvtimeo(consumer, 5000);
    held = zstr_recv(consumer);
    BC_CHECK(held && streq(held, "held"));
    zstr_free(&held);
    zactor_destroy(&proxy);
    zsock_destroy(&producer);
    zsock_destroy(&producer2);
    zsock_destroy(&consumer);
    zsock_destroy(&capture);
}

/* zproxy as a pub-sub forwarder (XSUB frontend, XPUB backend), its most common use: subscriptions
 * travel upstream through the proxy, messages downstream. */
static void zproxy_pubsub_forwarder(void)
{
    zactor_t *proxy = zactor_new(zproxy, NULL);
    BC_CHECK(proxy);
    zstr_sendx(proxy, "FRONTEND", "XSUB", "inproc://czmq-fwd-in", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zstr_sendx(proxy, "BACKEND", "XPUB", "tcp://127.0.0.1:*", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    /* zproxy accepts the tcp wildcard bind but does not report the port it got, so the traffic below
     * goes through a second forwarder bound on inproc at both ends. */
    zactor_destroy(&proxy);
    proxy = zactor_new(zproxy, NULL);
    /* a name of its own: libzmq releases the first forwarder's inproc name only once its reaper has closed
     * that socket, after zactor_destroy returns (a rebind of the same name failed once under load) */
    zstr_sendx(proxy, "FRONTEND", "XSUB", "inproc://czmq-fwd-in2", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zstr_sendx(proxy, "BACKEND", "XPUB", "inproc://czmq-fwd-out", NULL);
    BC_CHECK_INT(zsock_wait(proxy), ==, 0);
    zsock_t *pub = zsock_new_pub(">inproc://czmq-fwd-in2");
    zsock_t *sub = zsock_new_sub(">inproc://czmq-fwd-out", "alerts");
    BC_CHECK(pub && sub);
    zsock_set_rcvtimeo(sub, 100);
    char *got = NULL;
    long long deadline = bc_now_ms() + 5000;
    while (!got && bc_now_ms() < deadline) {
        zstr_send(pub, "noise");
        zstr_send(pub, "alerts: fire");
        got = zstr_recv(sub);
    }
    BC_CHECK(got && streq(got, "alerts: fire"));
    zstr_free(&got);
    zsock_destroy(&sub);
    zsock_destroy(&pub);
    zactor_destroy(&proxy);
}

/* ---- zloop ------------------------------------------------------------------------------------------ */

typedef struct {
    int timer_fired;
    int ticket_fired;
    int received;
    int once_fired;
} loop_state_t;

static int on_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    ((loop_state_t *)arg)->timer_fired++;
    return 0;
}

static int on_once(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    ((loop_state_t *)arg)->once_fired++;
    return 0;
}

static int on_ticket(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    ((loop_state_t *)arg)->ticket_fired++;
    return 0;
}

static int on_reader(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    loop_state_t *st = (loop_state_t *)arg;
    char *s = zstr_recv(reader);
    BC_CHECK(s);
    int stop = streq(s, "stop");
    zstr_free(&s);
    st->received++;
    return stop ? -1 : 0;
}

static int send_stop(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    zstr_send((zsock_t *)arg, "data");
    zstr_send((zsock_t *)arg, "stop");
    return 0;
}

static void zloop_timers_and_readers(void)
{
    zsock_t *pull = zsock_new_pull("@tcp://127.0.0.1:*");
    zsock_t *push = zsock_new_push(zsock_endpoint(pull));
    BC_CHECK(pull && push);
    zloop_t *loop = zloop_new();
    BC_CHECK(loop);
    loop_state_t st = {0, 0, 0, 0};
    BC_CHECK(zloop_timer(loop, 10, 0, on_timer, &st) >= 0);
    BC_CHECK(zloop_timer(loop, 5, 1, on_once, &st) >= 0);
    zloop_set_ticket_delay(loop, 20);
    BC_CHECK(zloop_ticket(loop, on_ticket, &st) != NULL);
    BC_CHECK_INT(zloop_reader(loop, pull, on_reader, &st), ==, 0);
    BC_CHECK(zloop_timer(loop, 150, 1, send_stop, push) >= 0);
    int rc = zloop_start(loop);
    BC_CHECK_INT(rc, ==, -1); /* a handler ended it */
    BC_CHECK_INT(st.received, ==, 2);
    BC_CHECK(st.timer_fired >= 3);
    BC_CHECK_INT(st.once_fired, ==, 1);
    BC_CHECK_INT(st.ticket_fired, ==, 1);
    zloop_destroy(&loop);
    zsock_destroy(&push);
    zsock_destroy(&pull);
}

/* An event loop watching a socket's ZMQ_FD (zsock_fd) rather than the socket, as code integrating czmq
 * into another loop does (zloop_poller with a plain fd item). libzmq makes ZMQ_FD readable right after
 * zmq_connect/zmq_bind on tcp and ipc (a command is pending for the socket), so such a loop wakes once
 * and checks ZMQ_EVENTS; loops written against libzmq rely on that first wake-up. */
static int on_fd_readable(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    (void)item;
    *(int *)arg = 1;
    return -1;
}

static int on_fd_timeout(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

static void zsock_fd_wakes_after_connect(void)
{
    zsock_t *server = zsock_new_router("@tcp://127.0.0.1:*");
    BC_CHECK(server);
    zsock_t *client = zsock_new(ZMQ_DEALER);
    BC_CHECK(client);
    zloop_t *loop = zloop_new();
    BC_CHECK(zsock_connect(client, "%s", zsock_endpoint(server)) == 0);
    zmq_pollitem_t item = {NULL, zsock_fd(client), ZMQ_POLLIN, 0};
    int woke = 0;
    BC_CHECK_INT(zloop_poller(loop, &item, on_fd_readable, &woke), ==, 0);
    BC_CHECK(zloop_timer(loop, 2000, 1, on_fd_timeout, NULL) >= 0);
    zloop_start(loop);
    BC_CHECK_INT(woke, ==, 1);
    zloop_destroy(&loop);
    zsock_destroy(&client);
    zsock_destroy(&server);
}

/* ---- zmonitor --------------------------------------------------------------------------------------- */

/* Next event name from the monitor actor, NULL after 5 s. */
static char *next_event(zactor_t *monitor)
{
    zsock_set_rcvtimeo(monitor, 5000);
    zmsg_t *msg = zmsg_recv(monitor);
    if (!msg)
        return NULL;
    BC_CHECK_INT(zmsg_size(msg), ==, 3); /* name, value, endpoint */
    char *name = zmsg_popstr(msg);
    zmsg_destroy(&msg);
    return name;
}

static void zmonitor_events(void)
{
    zsock_t *server = zsock_new(ZMQ_PULL);
    BC_CHECK(server);
    zactor_t *monitor = zactor_new(zmonitor, server);
    BC_CHECK(monitor);
    zstr_sendx(monitor, "LISTEN", "LISTENING", "ACCEPTED", "DISCONNECTED", NULL);
    zstr_sendx(monitor, "START", NULL);
    BC_CHECK_INT(zsock_wait(monitor), ==, 0);
    BC_CHECK(zsock_bind(server, "tcp://127.0.0.1:*") > 0);
    char *ev = next_event(monitor);
    BC_CHECK(ev && streq(ev, "LISTENING"));
    zstr_free(&ev);
    zsock_t *client = zsock_new_push(zsock_endpoint(server));
    BC_CHECK(client);
    ev = next_event(monitor);
    BC_CHECK(ev && streq(ev, "ACCEPTED"));
    zstr_free(&ev);
    zsock_destroy(&client);
    ev = next_event(monitor);
    BC_CHECK(ev && streq(ev, "DISCONNECTED"));
    zstr_free(&ev);
    zactor_destroy(&monitor);
    zsock_destroy(&server);
}

/* zbeacon over loopback: czmq's UDP beacon, driven entirely through an actor pipe. Some machines have
 * no usable broadcast interface; czmq then answers CONFIGURE with an empty hostname and the case is a
 * no-op (on zinc and libzmq alike). */
static void zbeacon_on_loopback(void)
{
    zactor_t *speaker = zactor_new(zbeacon, NULL);
    BC_CHECK(speaker);
    zsock_send(speaker, "si", "CONFIGURE", 9999);
    char *hostname = zstr_recv(speaker);
    BC_CHECK(hostname);
    if (!*hostname) {
        printf("zbeacon: no broadcast interface here, skipped\n");
        zstr_free(&hostname);
        zactor_destroy(&speaker);
        return;
    }
    zstr_free(&hostname);
    zactor_t *listener = zactor_new(zbeacon, NULL);
    zsock_send(listener, "si", "CONFIGURE", 9999);
    hostname = zstr_recv(listener);
    zstr_free(&hostname);
    zsock_send(listener, "sb", "SUBSCRIBE", "", (size_t)0);
    zsock_send(speaker, "sbi", "PUBLISH", "zinc!", (size_t)5, 50);
    zsock_set_rcvtimeo(listener, 5000);
    char *ip = NULL, *beacon = NULL;
    BC_CHECK_INT(zstr_recvx(listener, &ip, &beacon, NULL), ==, 2);
    BC_CHECK(streq(beacon, "zinc!"));
    zstr_free(&ip);
    zstr_free(&beacon);
    zstr_sendx(speaker, "SILENCE", NULL);
    zactor_destroy(&listener);
    zactor_destroy(&speaker);
}

/* zsys: the context options czmq passes to libzmq (zsys_init's context, re-created when io threads
 * change): io threads, max sockets, max message size, thread name prefix, scheduling; many sockets. */
static void zsys_settings_and_many_sockets(void)
{
    zsys_set_io_threads(2);
    zsys_set_max_sockets(2048);
    zsys_set_max_msgsz(1 << 20);
    zsys_set_thread_name_prefix(5);
    zsys_set_thread_sched_policy(0); /* SCHED_OTHER */
    void *ctx = zsys_init();
    BC_CHECK(ctx);
    BC_CHECK_INT(zmq_ctx_get(ctx, ZMQ_IO_THREADS), ==, 2);
    BC_CHECK_INT(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), ==, 2048);
    BC_CHECK_INT(zmq_ctx_get(ctx, ZMQ_MAX_MSGSZ), ==, 1 << 20);
    BC_CHECK_INT(zmq_ctx_get(ctx, ZMQ_THREAD_NAME_PREFIX), ==, 5);
    BC_CHECK_INT(zsys_thread_name_prefix(), ==, 5);
    BC_CHECK(zsys_socket_limit() >= 1024);
    zsock_t *socks[100];
    for (int i = 0; i < 100; i++) {
        socks[i] = zsock_new(i % 2 ? ZMQ_PUSH : ZMQ_PULL);
        BC_CHECK(socks[i]);
    }
    for (int i = 0; i < 100; i++)
        zsock_destroy(&socks[i]);
    zsys_set_ipv6(0);
    BC_CHECK_INT(zsys_ipv6(), ==, 0);
}

int main(int argc, char **argv)
{
    bc_begin(argc, argv, 90);
    setenv("ZSYS_INTERFACE", "lo", 0);
    zsys_init();
    zsys_set_linger(0);
    BC_RUN(zsys_settings_and_many_sockets);
    BC_RUN(zpoller_on_several_sockets);
    BC_RUN(zpoller_right_after_connect);
    BC_RUN(zpoller_with_a_plain_fd);
    BC_RUN(zsock_fd_wakes_after_connect);
    BC_RUN(zactor_commands_and_signals);
    BC_RUN(zproxy_steered_by_commands);
    BC_RUN(zproxy_pubsub_forwarder);
    BC_RUN(zloop_timers_and_readers);
    BC_RUN(zmonitor_events);
    BC_RUN(zbeacon_on_loopback);
    /* A socket left open on purpose (zsys_socket, so czmq owns all of it): zsys_shutdown must close it
     * with its linger and terminate the context without hanging. */
    void *dangling = zsys_socket(ZMQ_PULL, __FILE__, __LINE__);
    BC_CHECK(dangling);
    BC_CHECK(zmq_bind(dangling, "tcp://127.0.0.1:*") == 0);
    zsys_shutdown();
    return bc_end();
}
