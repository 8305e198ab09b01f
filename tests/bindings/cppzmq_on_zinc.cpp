/* cppzmq_on_zinc.cpp: cppzmq (Debian's header-only zmq.hpp and zmq_addon.hpp), compiled against the
 * system zmq.h and linked with the system libzmq.so exactly as a user's program would be, then run on
 * zinc's libzmq.so.5 through LD_LIBRARY_PATH (binding_check.h proves which library is loaded).
 * Exercised: context_t and its options, socket_t send/recv with buffers and messages, truncation,
 * multipart (send_multipart/recv_multipart, multipart_t), poll, monitor_t, proxy and proxy_steerable,
 * the typed sockopt set/get API (cppzmq passes sizeof the declared type and 1024-byte string buffers),
 * message_t::gets and zmq::version.
 */
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "binding_check.h"

static std::string bind_tcp(zmq::socket_t &s)
{
    s.bind("tcp://127.0.0.1:*");
    return s.get(zmq::sockopt::last_endpoint);
}

static void version_and_context(void)
{
    int major, minor, patch;
    std::tie(major, minor, patch) = zmq::version();
    BC_CHECK_INT(major * 100 + minor, ==, 403);
    zmq::context_t ctx(2);
    BC_CHECK_INT(ctx.get(zmq::ctxopt::io_threads), ==, 2);
    ctx.set(zmq::ctxopt::max_sockets, 512);
    BC_CHECK_INT(ctx.get(zmq::ctxopt::max_sockets), ==, 512);
    BC_CHECK(ctx.get(zmq::ctxopt::socket_limit) >= 1023);
    ctx.set(zmq::ctxopt::blocky, 0);
    BC_CHECK_INT(ctx.get(zmq::ctxopt::blocky), ==, 0);
    ctx.set(zmq::ctxopt::ipv6, 1);
    BC_CHECK_INT(ctx.get(zmq::ctxopt::ipv6), ==, 1);
    ctx.set(zmq::ctxopt::thread_name_prefix, 7);
    BC_CHECK_INT(ctx.get(zmq::ctxopt::thread_name_prefix), ==, 7);
    ctx.shutdown();
    ctx.close();
}

static void send_recv_buffers_and_messages(void)
{
    zmq::context_t ctx;
    for (const char *transport : {"inproc", "ipc", "tcp"}) {
        zmq::socket_t pull(ctx, zmq::socket_type::pull);
        zmq::socket_t push(ctx, zmq::socket_type::push);
        pull.set(zmq::sockopt::linger, 0);
        push.set(zmq::sockopt::linger, 0);
        pull.set(zmq::sockopt::rcvtimeo, 5000);
        std::string ep;
        if (std::string(transport) == "tcp") {
            ep = bind_tcp(pull);
        } else {
            ep = std::string(transport) + (transport[0] == 'i' && transport[1] == 'p'
                                               ? ":///tmp/zinc-cppzmq-" + std::to_string(getpid())
                                               : "://cppzmq-sendrecv");
            pull.bind(ep);
        }
        push.connect(ep);
        auto sr = push.send(zmq::str_buffer("hello"), zmq::send_flags::none);
        BC_CHECK(sr && *sr == 5);
        zmq::message_t msg;
        auto rr = pull.recv(msg, zmq::recv_flags::none);
        BC_CHECK(rr && *rr == 5);
        BC_CHECK(msg.to_string() == "hello");
        BC_CHECK(!msg.more());

        /* A buffer smaller than the message: truncated, with the full size reported. */
        push.send(zmq::buffer(std::string(100, 'x')), zmq::send_flags::none);
        std::array<char, 10> small;
        auto br = pull.recv(zmq::buffer(small), zmq::recv_flags::none);
        BC_CHECK(br && br->size == 10 && br->untruncated_size == 100 && br->truncated());

        /* Non-blocking receive on an empty queue: an empty optional, not an exception. */
        zmq::message_t none;
        BC_CHECK(!pull.recv(none, zmq::recv_flags::dontwait));

        /* A message built from a vector, moved into send. */
        std::vector<int> v = {1, 2, 3};
        zmq::message_t out(v.begin(), v.end());
        BC_CHECK(push.send(std::move(out), zmq::send_flags::none));
        zmq::message_t in;
        BC_CHECK(pull.recv(in));
        BC_CHECK(in.size() == 3 * sizeof(int) && memcmp(in.data(), v.data(), in.size()) == 0);
    }
}

/* How many messages a PUSH with SNDHWM 5 connected to an endpoint nobody has bound accepts with
 * dontwait before the send fails (empty send_result_t, EAGAIN). */
static int fill_unconnected_push(zmq::context_t &ctx, const std::string &endpoint)
{
    zmq::socket_t lonely(ctx, zmq::socket_type::push);
    lonely.set(zmq::sockopt::linger, 0);
    lonely.set(zmq::sockopt::sndhwm, 5);
    lonely.connect(endpoint);
    int sent = 0;
    while (sent < 100 && lonely.send(zmq::str_buffer("x"), zmq::send_flags::dontwait))
        sent++;
    lonely.disconnect(endpoint);
    return sent;
}

/* The same over inproc before the bind: libzmq queues exactly SNDHWM there too (zinc adds the
 * connecting socket's own RCVHWM, 1000 by default). */
static void inproc_connect_before_bind_queues_sndhwm(void)
{
    zmq::context_t ctx;
    BC_CHECK_INT(fill_unconnected_push(ctx, "inproc://cppzmq-nobody"), ==, 5);
}

static std::atomic<int> freed_by_hint{0};

static void free_with_hint(void *data, void *hint)
{
    free(data);
    freed_by_hint += *static_cast<int *>(hint);
}

/* message_t over user memory with a free function (zmq_msg_init_data), copy/move, equality; a full
 * queue with dontwait is an empty send_result_t (EAGAIN), not an exception; unbind and disconnect. */
static void messages_queues_unbind(void)
{
    static int hint = 1;
    zmq::context_t ctx;
    zmq::socket_t pull(ctx, zmq::socket_type::pull), push(ctx, zmq::socket_type::push);
    pull.set(zmq::sockopt::linger, 0);
    push.set(zmq::sockopt::linger, 0);
    pull.set(zmq::sockopt::rcvtimeo, 5000);
    std::string ep = bind_tcp(pull);
    push.connect(ep);
    char *data = static_cast<char *>(malloc(4096));
    BC_CHECK(data);
    memset(data, 'u', 4096);
    {
        zmq::message_t user(data, 4096, free_with_hint, &hint);
        zmq::message_t copy;
        copy.copy(user);
        BC_CHECK(copy == user);
        BC_CHECK(push.send(user, zmq::send_flags::none));
        BC_CHECK(push.send(copy, zmq::send_flags::none));
    }
    zmq::message_t a, b;
    BC_CHECK(pull.recv(a) && pull.recv(b));
    BC_CHECK(a.size() == 4096 && a == b && static_cast<const char *>(a.data())[4095] == 'u');
    long long deadline = bc_now_ms() + 5000;
    while (freed_by_hint == 0 && bc_now_ms() < deadline)
        usleep(1000);
    BC_CHECK_INT(freed_by_hint, ==, 1);

    /* Fill a PUSH with no peer: dontwait gives an empty result once SNDHWM messages are queued. */
    std::string nowhere = "ipc:///tmp/zinc-cppzmq-nobody-" + std::to_string(getpid());
    BC_CHECK_INT(fill_unconnected_push(ctx, nowhere), ==, 5);

    push.disconnect(ep);
    pull.unbind(ep);
    bool threw = false;
    try {
        pull.unbind(ep);
    } catch (const zmq::error_t &e) {
        threw = e.num() == ENOENT;
    }
    BC_CHECK(threw);
    zmq::socket_ref ref = pull;
    BC_CHECK(ref.get(zmq::sockopt::type) == ZMQ_PULL);
}

static void multipart_both_ways(void)
{
    zmq::context_t ctx;
    zmq::socket_t router(ctx, zmq::socket_type::router);
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    router.set(zmq::sockopt::linger, 0);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.set(zmq::sockopt::routing_id, "dealer-1");
    BC_CHECK(dealer.get(zmq::sockopt::routing_id) == "dealer-1");
    std::string ep = bind_tcp(router);
    dealer.connect(ep);
    std::vector<zmq::const_buffer> parts = {zmq::str_buffer("a"), zmq::str_buffer(""), zmq::str_buffer("ccc")};
    auto sent = zmq::send_multipart(dealer, parts);
    BC_CHECK(sent && *sent == 3);
    std::vector<zmq::message_t> got;
    router.set(zmq::sockopt::rcvtimeo, 5000);
    auto n = zmq::recv_multipart(router, std::back_inserter(got));
    BC_CHECK(n && *n == 4);
    BC_CHECK(got[0].to_string() == "dealer-1");
    BC_CHECK(got[1].to_string() == "a" && got[2].size() == 0 && got[3].to_string() == "ccc");
    BC_CHECK(std::string(got[3].gets("Socket-Type")) == "DEALER");
    BC_CHECK(std::string(got[3].gets("Peer-Address")) == "127.0.0.1");

    /* multipart_t from zmq_addon.hpp, back through the router. */
    zmq::multipart_t reply;
    reply.addstr("dealer-1");
    reply.addstr("x");
    reply.addtyp<int>(42);
    BC_CHECK(reply.send(router));
    zmq::multipart_t back;
    dealer.set(zmq::sockopt::rcvtimeo, 5000);
    BC_CHECK(back.recv(dealer));
    BC_CHECK(back.size() == 2);
    BC_CHECK(back.popstr() == "x");
    BC_CHECK_INT(back.poptyp<int>(), ==, 42);
}

static void poll_several_sockets(void)
{
    zmq::context_t ctx;
    std::vector<zmq::socket_t> pulls, pushes;
    std::vector<zmq::pollitem_t> items;
    for (int i = 0; i < 8; i++) {
        pulls.emplace_back(ctx, zmq::socket_type::pull);
        pushes.emplace_back(ctx, zmq::socket_type::push);
        pulls.back().set(zmq::sockopt::linger, 0);
        pushes.back().set(zmq::sockopt::linger, 0);
        std::string ep = bind_tcp(pulls.back());
        pushes.back().connect(ep);
    }
    for (auto &s : pulls)
        items.push_back({s.handle(), 0, ZMQ_POLLIN, 0});
    BC_CHECK_INT(zmq::poll(items, std::chrono::milliseconds(50)), ==, 0);
    pushes[3].send(zmq::str_buffer("3"));
    pushes[6].send(zmq::str_buffer("6"));
    int ready = 0;
    long long deadline = bc_now_ms() + 5000;
    while (ready < 2 && bc_now_ms() < deadline) {
        zmq::poll(items, std::chrono::milliseconds(1000));
        for (size_t i = 0; i < items.size(); i++) {
            if (items[i].revents & ZMQ_POLLIN) {
                BC_CHECK(i == 3 || i == 6);
                zmq::message_t m;
                BC_CHECK(pulls[i].recv(m, zmq::recv_flags::dontwait));
                BC_CHECK(m.to_string() == std::to_string(i));
                ready++;
            }
        }
    }
    BC_CHECK_INT(ready, ==, 2);
    /* A plain file descriptor in the same poll set. */
    int fds[2];
    BC_CHECK(pipe(fds) == 0);
    zmq::pollitem_t fditem[] = {{nullptr, fds[0], ZMQ_POLLIN, 0}};
    BC_CHECK(write(fds[1], "x", 1) == 1);
    BC_CHECK_INT(zmq::poll(fditem, 1, std::chrono::milliseconds(1000)), ==, 1);
    close(fds[0]);
    close(fds[1]);
}

struct recording_monitor : zmq::monitor_t {
    std::atomic<int> listening{0}, accepted{0}, connected{0}, handshake{0}, disconnected{0};
    void on_event_listening(const zmq_event_t &, const char *) override { listening++; }
    void on_event_accepted(const zmq_event_t &, const char *) override { accepted++; }
    void on_event_connected(const zmq_event_t &, const char *) override { connected++; }
    void on_event_handshake_succeeded(const zmq_event_t &, const char *) override { handshake++; }
    void on_event_disconnected(const zmq_event_t &, const char *) override { disconnected++; }
};

static void monitor_events(void)
{
    zmq::context_t ctx;
    zmq::socket_t server(ctx, zmq::socket_type::rep);
    server.set(zmq::sockopt::linger, 0);
    recording_monitor mon;
    mon.init(server, "inproc://cppzmq-monitor", ZMQ_EVENT_ALL);
    std::string ep = bind_tcp(server);
    zmq::socket_t client(ctx, zmq::socket_type::req);
    client.set(zmq::sockopt::linger, 0);
    client.connect(ep);
    long long deadline = bc_now_ms() + 5000;
    while ((mon.listening == 0 || mon.accepted == 0 || mon.handshake == 0) && bc_now_ms() < deadline)
        mon.check_event(100);
    BC_CHECK_INT(mon.listening, ==, 1);
    BC_CHECK_INT(mon.accepted, ==, 1);
    BC_CHECK_INT(mon.handshake, ==, 1);
    client.close();
    deadline = bc_now_ms() + 5000;
    while (mon.disconnected == 0 && bc_now_ms() < deadline)
        mon.check_event(100);
    BC_CHECK_INT(mon.disconnected, ==, 1);
}

static void proxy_in_a_thread(void)
{
    zmq::context_t ctx;
    zmq::socket_t front(ctx, zmq::socket_type::router);
    zmq::socket_t back(ctx, zmq::socket_type::dealer);
    front.bind("inproc://cppzmq-front");
    back.bind("inproc://cppzmq-back");
    std::atomic<int> proxy_errno{0};
    std::thread t([&] {
        try {
            zmq::proxy(front, back);
        } catch (const zmq::error_t &e) {
            proxy_errno = e.num();
        }
    });
    zmq::socket_t req(ctx, zmq::socket_type::req);
    zmq::socket_t rep(ctx, zmq::socket_type::rep);
    req.set(zmq::sockopt::linger, 0);
    rep.set(zmq::sockopt::linger, 0);
    req.set(zmq::sockopt::rcvtimeo, 5000);
    rep.set(zmq::sockopt::rcvtimeo, 5000);
    req.connect("inproc://cppzmq-front");
    rep.connect("inproc://cppzmq-back");
    req.send(zmq::str_buffer("q"));
    zmq::message_t m;
    BC_CHECK(rep.recv(m) && m.to_string() == "q");
    rep.send(zmq::str_buffer("a"));
    BC_CHECK(req.recv(m) && m.to_string() == "a");
    req.close();
    rep.close();
    ctx.shutdown(); /* zmq_proxy returns -1 with ETERM; cppzmq throws */
    t.join();
    BC_CHECK_INT(proxy_errno, ==, ETERM);
    front.close();
    back.close();
}

static void proxy_steerable_terminate(void)
{
    zmq::context_t ctx;
    zmq::socket_t front(ctx, zmq::socket_type::pull);
    zmq::socket_t back(ctx, zmq::socket_type::push);
    zmq::socket_t control(ctx, zmq::socket_type::pair);
    zmq::socket_t steer(ctx, zmq::socket_type::pair);
    front.bind("inproc://cppzmq-sfront");
    back.bind("inproc://cppzmq-sback");
    control.bind("inproc://cppzmq-control");
    steer.connect("inproc://cppzmq-control");
    std::atomic<int> done{0};
    std::thread t([&] {
        zmq::proxy_steerable(front, back, zmq::socket_ref(), control);
        done = 1;
    });
    zmq::socket_t in(ctx, zmq::socket_type::push), out(ctx, zmq::socket_type::pull);
    in.set(zmq::sockopt::linger, 0);
    out.set(zmq::sockopt::linger, 0);
    out.set(zmq::sockopt::rcvtimeo, 5000);
    in.connect("inproc://cppzmq-sfront");
    out.connect("inproc://cppzmq-sback");
    in.send(zmq::str_buffer("through"));
    zmq::message_t m;
    BC_CHECK(out.recv(m) && m.to_string() == "through");
    steer.send(zmq::str_buffer("TERMINATE"));
    t.join();
    BC_CHECK_INT(done, ==, 1);
}

/* Every typed option cppzmq users commonly set, read back through the same typed API. */
static void typed_socket_options(void)
{
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::affinity, uint64_t(3));
    BC_CHECK(s.get(zmq::sockopt::affinity) == 3);
    s.set(zmq::sockopt::backlog, 50);
    BC_CHECK_INT(s.get(zmq::sockopt::backlog), ==, 50);
    s.set(zmq::sockopt::connect_timeout, 1234);
    BC_CHECK_INT(s.get(zmq::sockopt::connect_timeout), ==, 1234);
    s.set(zmq::sockopt::handshake_ivl, 4000);
    BC_CHECK_INT(s.get(zmq::sockopt::handshake_ivl), ==, 4000);
    s.set(zmq::sockopt::heartbeat_ivl, 100);
    BC_CHECK_INT(s.get(zmq::sockopt::heartbeat_ivl), ==, 100);
    s.set(zmq::sockopt::heartbeat_timeout, 300);
    BC_CHECK_INT(s.get(zmq::sockopt::heartbeat_timeout), ==, 300);
    s.set(zmq::sockopt::heartbeat_ttl, 2000);
    BC_CHECK_INT(s.get(zmq::sockopt::heartbeat_ttl), ==, 2000);
    s.set(zmq::sockopt::immediate, true);
    BC_CHECK(s.get(zmq::sockopt::immediate) == true);
    s.set(zmq::sockopt::ipv6, true);
    BC_CHECK(s.get(zmq::sockopt::ipv6) == true);
    s.set(zmq::sockopt::linger, 10);
    BC_CHECK_INT(s.get(zmq::sockopt::linger), ==, 10);
    s.set(zmq::sockopt::maxmsgsize, int64_t(1) << 33);
    BC_CHECK(s.get(zmq::sockopt::maxmsgsize) == int64_t(1) << 33);
    BC_CHECK_INT(s.get(zmq::sockopt::mechanism), ==, ZMQ_NULL);
    s.set(zmq::sockopt::rcvbuf, 32768);
    BC_CHECK_INT(s.get(zmq::sockopt::rcvbuf), ==, 32768);
    s.set(zmq::sockopt::sndbuf, 32768);
    BC_CHECK_INT(s.get(zmq::sockopt::sndbuf), ==, 32768);
    s.set(zmq::sockopt::rcvhwm, 11);
    BC_CHECK_INT(s.get(zmq::sockopt::rcvhwm), ==, 11);
    s.set(zmq::sockopt::sndhwm, 12);
    BC_CHECK_INT(s.get(zmq::sockopt::sndhwm), ==, 12);
    s.set(zmq::sockopt::rcvtimeo, 13);
    BC_CHECK_INT(s.get(zmq::sockopt::rcvtimeo), ==, 13);
    s.set(zmq::sockopt::sndtimeo, 14);
    BC_CHECK_INT(s.get(zmq::sockopt::sndtimeo), ==, 14);
    s.set(zmq::sockopt::reconnect_ivl, 150);
    BC_CHECK_INT(s.get(zmq::sockopt::reconnect_ivl), ==, 150);
    s.set(zmq::sockopt::reconnect_ivl_max, 1500);
    BC_CHECK_INT(s.get(zmq::sockopt::reconnect_ivl_max), ==, 1500);
    s.set(zmq::sockopt::tcp_keepalive, 1);
    BC_CHECK_INT(s.get(zmq::sockopt::tcp_keepalive), ==, 1);
    s.set(zmq::sockopt::tcp_keepalive_cnt, 5);
    BC_CHECK_INT(s.get(zmq::sockopt::tcp_keepalive_cnt), ==, 5);
    s.set(zmq::sockopt::tcp_keepalive_idle, 60);
    BC_CHECK_INT(s.get(zmq::sockopt::tcp_keepalive_idle), ==, 60);
    s.set(zmq::sockopt::tcp_keepalive_intvl, 10);
    BC_CHECK_INT(s.get(zmq::sockopt::tcp_keepalive_intvl), ==, 10);
    s.set(zmq::sockopt::tcp_maxrt, 3000);
    BC_CHECK_INT(s.get(zmq::sockopt::tcp_maxrt), ==, 3000);
    s.set(zmq::sockopt::tos, 8);
    BC_CHECK_INT(s.get(zmq::sockopt::tos), ==, 8);
    s.set(zmq::sockopt::conflate, false);
    BC_CHECK(s.get(zmq::sockopt::conflate) == false);
    s.set(zmq::sockopt::probe_router, false);
    s.set(zmq::sockopt::routing_id, zmq::str_buffer("rid"));
    BC_CHECK(s.get(zmq::sockopt::routing_id) == "rid");
    s.set(zmq::sockopt::zap_domain, "global");
    BC_CHECK(s.get(zmq::sockopt::zap_domain) == "global");
    BC_CHECK(s.get(zmq::sockopt::plain_server) == false);
    s.set(zmq::sockopt::socks_proxy, "127.0.0.1:1080");
    BC_CHECK(s.get(zmq::sockopt::socks_proxy) == "127.0.0.1:1080");
    s.set(zmq::sockopt::bindtodevice, "lo");
    BC_CHECK(strcmp(s.get(zmq::sockopt::bindtodevice).c_str(), "lo") == 0);
    BC_CHECK(s.get(zmq::sockopt::type) == ZMQ_DEALER);
    BC_CHECK(s.get(zmq::sockopt::socket_type) == zmq::socket_type::dealer);
    BC_CHECK(s.get(zmq::sockopt::rcvmore) == false);
    BC_CHECK(s.get(zmq::sockopt::thread_safe) == false);
    BC_CHECK(s.get(zmq::sockopt::fd) >= 0);
    BC_CHECK_INT(s.get(zmq::sockopt::events), ==, 0);
    BC_CHECK(s.get(zmq::sockopt::last_endpoint) == "");

    zmq::socket_t r(ctx, zmq::socket_type::router);
    r.set(zmq::sockopt::router_mandatory, true);
    r.set(zmq::sockopt::router_handover, true);
    r.set(zmq::sockopt::connect_routing_id, "peer");
    zmq::socket_t q(ctx, zmq::socket_type::req);
    q.set(zmq::sockopt::req_correlate, true);
    q.set(zmq::sockopt::req_relaxed, true);
    zmq::socket_t x(ctx, zmq::socket_type::xpub);
    x.set(zmq::sockopt::xpub_verbose, true);
    x.set(zmq::sockopt::xpub_verboser, true);
    x.set(zmq::sockopt::xpub_manual, true);
    x.set(zmq::sockopt::xpub_nodrop, true);
    x.set(zmq::sockopt::xpub_welcome_msg, "welcome");
    x.set(zmq::sockopt::invert_matching, true);
    BC_CHECK(x.get(zmq::sockopt::invert_matching) == true);
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    sub.set(zmq::sockopt::subscribe, "a");
    sub.set(zmq::sockopt::unsubscribe, "a");
    zmq::socket_t st(ctx, zmq::socket_type::stream);
    st.set(zmq::sockopt::stream_notify, false);
    /* An unknown option through the raw API is EINVAL, surfaced as zmq::error_t. */
    bool threw = false;
    try {
        s.set(zmq::sockopt::array_option<9999>(), "x");
    } catch (const zmq::error_t &e) {
        threw = e.num() == EINVAL;
    }
    BC_CHECK(threw);
}

/* A PLAIN client sets its user name and password (libzmq has PLAIN built in): zinc refuses the options
 * until it has the mechanism, so cppzmq throws. */
static void plain_client_options(void)
{
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::plain_username, "user");
    BC_CHECK(s.get(zmq::sockopt::plain_username) == "user");
    s.set(zmq::sockopt::plain_password, "pass");
    BC_CHECK(s.get(zmq::sockopt::plain_password) == "pass");
    BC_CHECK_INT(s.get(zmq::sockopt::mechanism), ==, ZMQ_PLAIN);
}

static void pub_sub_and_pair(void)
{
    zmq::context_t ctx;
    zmq::socket_t pub(ctx, zmq::socket_type::pub), sub(ctx, zmq::socket_type::sub);
    pub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::linger, 0);
    std::string ep = bind_tcp(pub);
    sub.set(zmq::sockopt::subscribe, "t");
    sub.connect(ep);
    sub.set(zmq::sockopt::rcvtimeo, 100);
    bool got = false;
    long long deadline = bc_now_ms() + 5000;
    while (!got && bc_now_ms() < deadline) {
        pub.send(zmq::str_buffer("x-ignored"));
        pub.send(zmq::str_buffer("t-topic"));
        zmq::message_t m;
        if (sub.recv(m)) {
            BC_CHECK(m.to_string() == "t-topic");
            got = true;
        }
    }
    BC_CHECK(got);
    zmq::socket_t a(ctx, zmq::socket_type::pair), b(ctx, zmq::socket_type::pair);
    a.bind("inproc://cppzmq-pair");
    b.connect("inproc://cppzmq-pair");
    a.send(zmq::str_buffer("p"), zmq::send_flags::sndmore);
    a.send(zmq::str_buffer("q"));
    zmq::message_t m1, m2;
    BC_CHECK(b.recv(m1) && m1.more() && b.recv(m2) && !m2.more());
    BC_CHECK(m1.to_string() == "p" && m2.to_string() == "q");
}

/* CPP_RUN: BC_RUN, with a zmq::error_t escaping a case reported as a failure of that case. */
#define CPP_RUN(fn)                                                                                          \
    do {                                                                                                     \
        try {                                                                                                \
            BC_RUN(fn);                                                                                      \
        } catch (const zmq::error_t &e) {                                                                    \
            errno = e.num();                                                                                 \
            bc_fail(__FILE__, __LINE__, "zmq::error_t thrown");                                              \
        }                                                                                                    \
    } while (0)

int main(int argc, char **argv)
{
    bc_begin(argc, argv, 90);
    CPP_RUN(version_and_context);
    CPP_RUN(send_recv_buffers_and_messages);
    CPP_RUN(messages_queues_unbind);
    CPP_RUN(multipart_both_ways);
    CPP_RUN(poll_several_sockets);
    CPP_RUN(monitor_events);
    CPP_RUN(proxy_in_a_thread);
    CPP_RUN(proxy_steerable_terminate);
    CPP_RUN(typed_socket_options);
    CPP_RUN(pub_sub_and_pair);
    CPP_RUN(inproc_connect_before_bind_queues_sndhwm);
    CPP_RUN(plain_client_options);
    return bc_end();
}
