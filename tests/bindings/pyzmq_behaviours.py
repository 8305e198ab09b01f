"""pyzmq behaviours that programs rely on, beyond pyzmq_on_zinc.py's basics, run on zinc's libzmq.so.5
(LD_LIBRARY_PATH set by the test) or, in reference mode, on the system libzmq.

  poller_many        zmq.Poller over 64 sockets on three transports
  monitor            socket.monitor() + zmq.utils.monitor.recv_monitor_message, disable_monitor
  proxy_term         zmq.proxy in a thread, ended by ctx.term() (ContextTerminated in the thread)
  thread_device      zmq.devices.ThreadDevice (QUEUE, ROUTER/DEALER) carrying requests
  zero_copy          copy=False / track=True on inproc and tcp, Frame properties (zmq_msg_gets)
  rcvtimeo_again     RCVTIMEO raising zmq.Again, SNDTIMEO likewise, NOBLOCK
  interrupt_...      SIGINT during a blocking recv/poll raises KeyboardInterrupt (EINTR reaches pyzmq)
  destroy_linger0    ctx.destroy(linger=0) with unsent messages returns at once
  sockopts           get/set of every option pyzmq exposes (zmq.constants.SocketOption) on every socket
                     type, compared with the same matrix computed by a child python on the SYSTEM libzmq;
                     and again with edge values (negative, 0, huge, empty, 300 bytes)

Run with no argument for all cases. The sockopt matrices tolerate only the differences listed in KNOWN
and EDGE_KNOWN, each documented in docs/compat/opts.md. `pyzmq_behaviours.py sockopts-strict OWNER` fails
on any difference listed for OWNER (or an unlisted one). `--dump` prints the matrix as JSON (used for the child).
Use /usr/bin/python3, Debian's pyzmq 24."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import zmq
import zmq.devices
from zmq.utils.monitor import recv_monitor_message

passed = 0


def check(cond, what):
    if not cond:
        print("FAIL:", what, flush=True)
        sys.exit(1)


def case(fn):
    global passed
    fn()
    passed += 1
    print(fn.__name__ + ": ok", flush=True)


def loaded_libzmq():
    """The path of the libzmq.so.5 mapped into this process (pyzmq's backend imports it)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "libzmq.so" in line:
                return line.split()[-1]
    return None


def endpoint(transport, tag):
    if transport == "tcp":
        return "tcp://127.0.0.1:*"
    if transport == "ipc":
        return "ipc:///tmp/zinc-pyb-%d-%s" % (os.getpid(), tag)
    return "inproc://pyb-%s" % tag


def bound(sock, transport, tag):
    sock.bind(endpoint(transport, tag))
    return sock.last_endpoint.decode()


# ---- cases ------------------------------------------------------------------------------------------------

def poller_many():
    ctx = zmq.Context()
    pulls, pushes = [], []
    poller = zmq.Poller()
    for i in range(64):
        transport = ("inproc", "ipc", "tcp")[i % 3]
        pull = ctx.socket(zmq.PULL)
        push = ctx.socket(zmq.PUSH)
        pull.linger = push.linger = 0
        push.connect(bound(pull, transport, "poll%d" % i))
        poller.register(pull, zmq.POLLIN)
        pulls.append(pull)
        pushes.append(push)
    check(poller.poll(20) == [], "an idle poller over 64 sockets times out")
    chosen = set(range(0, 64, 5))
    for i in chosen:
        pushes[i].send(b"%d" % i)
    seen = set()
    deadline = time.time() + 10
    while seen != chosen and time.time() < deadline:
        for sock, ev in poller.poll(1000):
            check(ev == zmq.POLLIN, "POLLIN only")
            i = pulls.index(sock)
            check(sock.recv(zmq.NOBLOCK) == b"%d" % i, "the message polled for")
            seen.add(i)
    check(seen == chosen, "every ready socket reported, no other")
    poller.unregister(pulls[0])
    check(pulls[0] not in dict(poller.sockets), "unregister")
    ctx.destroy(linger=0)


def monitor():
    ctx = zmq.Context()
    server = ctx.socket(zmq.REP)
    server.linger = 0
    mon = server.get_monitor_socket()
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = ctx.socket(zmq.REQ)
    client.linger = 0
    cmon = client.get_monitor_socket(zmq.EVENT_CONNECTED | zmq.EVENT_HANDSHAKE_SUCCEEDED)
    client.connect("tcp://127.0.0.1:%d" % port)
    client.send(b"q")
    check(server.recv() == b"q", "request through a monitored pair")
    server.send(b"a")
    check(client.recv() == b"a", "reply")

    def events(sock, want, seconds=5):
        got = []
        deadline = time.time() + seconds
        while not want.issubset({e["event"] for e in got}) and time.time() < deadline:
            if sock.poll(200):
                got.append(recv_monitor_message(sock))
        return got

    got = events(mon, {zmq.EVENT_LISTENING, zmq.EVENT_ACCEPTED, zmq.EVENT_HANDSHAKE_SUCCEEDED})
    names = {e["event"] for e in got}
    check({zmq.EVENT_LISTENING, zmq.EVENT_ACCEPTED, zmq.EVENT_HANDSHAKE_SUCCEEDED} <= names,
          "server monitor: LISTENING, ACCEPTED, HANDSHAKE_SUCCEEDED (got %r)" % names)
    listening = [e for e in got if e["event"] == zmq.EVENT_LISTENING][0]
    check(listening["endpoint"] == ("tcp://127.0.0.1:%d" % port).encode(), "LISTENING endpoint")
    got = events(cmon, {zmq.EVENT_CONNECTED, zmq.EVENT_HANDSHAKE_SUCCEEDED})
    check({e["event"] for e in got} == {zmq.EVENT_CONNECTED, zmq.EVENT_HANDSHAKE_SUCCEEDED},
          "client monitor with a mask sees only CONNECTED and HANDSHAKE_SUCCEEDED")
    client.disable_monitor()
    got = events(cmon, {zmq.EVENT_MONITOR_STOPPED}, 2)
    check(all(e["event"] in (zmq.EVENT_MONITOR_STOPPED,) for e in got),
          "after disable_monitor nothing but (maybe) MONITOR_STOPPED")
    mon.close()
    cmon.close()
    ctx.destroy(linger=0)


def proxy_term():
    ctx = zmq.Context()
    outcome = {}

    def run():
        front = ctx.socket(zmq.ROUTER)
        back = ctx.socket(zmq.DEALER)
        front.bind("inproc://pyb-front")
        back.bind("inproc://pyb-back")
        ready.set()
        try:
            zmq.proxy(front, back)
        except zmq.ContextTerminated:
            outcome["term"] = True
        finally:
            front.close(linger=0)
            back.close(linger=0)

    ready = threading.Event()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    check(ready.wait(5), "proxy thread started")
    req = ctx.socket(zmq.REQ)
    rep = ctx.socket(zmq.REP)
    req.rcvtimeo = rep.rcvtimeo = 5000
    req.connect("inproc://pyb-front")
    rep.connect("inproc://pyb-back")
    req.send(b"ping")
    check(rep.recv() == b"ping", "request through zmq.proxy")
    rep.send(b"pong")
    check(req.recv() == b"pong", "reply through zmq.proxy")
    req.close(linger=0)
    rep.close(linger=0)
    term = threading.Thread(target=ctx.term, daemon=True)
    term.start()
    term.join(10)
    t.join(10)
    check(not term.is_alive(), "ctx.term() returns once the proxy thread closed its sockets")
    check(outcome.get("term"), "zmq.proxy raised ContextTerminated")


def thread_device():
    base = "ipc:///tmp/zinc-pyb-%d-device" % os.getpid()
    dev = zmq.devices.ThreadDevice(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    dev.bind_in(base + "-in")
    dev.bind_out(base + "-out")
    dev.setsockopt_in(zmq.LINGER, 0)
    dev.setsockopt_out(zmq.LINGER, 0)
    dev.daemon = True
    dev.start()
    ctx = zmq.Context()
    worker = ctx.socket(zmq.REP)
    client = ctx.socket(zmq.REQ)
    for s in (worker, client):
        s.linger = 0
        s.rcvtimeo = 5000
    worker.connect(base + "-out")  # connects retry until the device thread has bound
    client.connect(base + "-in")
    for i in range(10):
        client.send(b"job %d" % i)
        check(worker.recv() == b"job %d" % i, "request through ThreadDevice")
        worker.send(b"done %d" % i)
        check(client.recv() == b"done %d" % i, "reply through ThreadDevice")
    ctx.destroy(linger=0)
    for suffix in ("-in", "-out"):
        try:
            os.unlink(base[len("ipc://"):] + suffix)
        except OSError:
            pass


def zero_copy():
    ctx = zmq.Context()
    for transport in ("inproc", "tcp"):
        pull = ctx.socket(zmq.PULL)
        push = ctx.socket(zmq.PUSH)
        pull.linger = push.linger = 0
        pull.rcvtimeo = 5000
        push.connect(bound(pull, transport, "zc"))
        trackers = []
        payloads = [bytes([i]) * (10 + i * 3000) for i in range(20)]
        for p in payloads:
            trackers.append(push.send(p, copy=False, track=True))
        frames = [pull.recv(copy=False) for _ in payloads]
        check([f.bytes for f in frames] == payloads, "zero-copy payloads over " + transport)
        check(bytes(frames[5].buffer) == payloads[5], "Frame.buffer is a memoryview of the data")
        for t in trackers:
            t.wait(5)
        check(all(t.done for t in trackers), "every MessageTracker completes over " + transport)
        if transport == "tcp":
            check(frames[0].get("Socket-Type") == "PUSH", "Frame.get('Socket-Type') (zmq_msg_gets)")
            check(frames[0].get("Peer-Address") == "127.0.0.1", "Frame.get('Peer-Address')")
        check(frames[0].get(zmq.MORE) == 0, "Frame.get(zmq.MORE)")
        # A frame sent twice: the same zmq.Frame object reused (pyzmq copies the message, refcount).
        f = zmq.Frame(b"again" * 1000, track=True)
        push.send(f, copy=False)
        push.send(f, copy=False)
        check(pull.recv() == pull.recv() == b"again" * 1000, "one Frame sent twice")
        pull.close()
        push.close()
    ctx.term()


def rcvtimeo_again():
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.linger = 0
    pull.rcvtimeo = 100
    pull.bind("inproc://pyb-again")
    t0 = time.time()
    try:
        pull.recv()
        check(False, "recv with RCVTIMEO must raise")
    except zmq.Again as e:
        check(e.errno == zmq.EAGAIN, "zmq.Again carries EAGAIN")
    check(time.time() - t0 >= 0.09, "RCVTIMEO waited about 100 ms")
    try:
        pull.recv(zmq.NOBLOCK)
        check(False, "NOBLOCK recv must raise")
    except zmq.Again:
        pass
    push = ctx.socket(zmq.PUSH)
    push.linger = 0
    push.sndtimeo = 100
    try:
        push.send(b"nobody")
        check(False, "send with no peer and SNDTIMEO must raise")
    except zmq.Again:
        pass
    check(push.poll(50, zmq.POLLOUT) == 0, "POLLOUT false without a peer")
    ctx.destroy(linger=0)


def interrupt_blocking_recv():
    """Ctrl-C during a blocking recv or poll: libzmq returns EINTR, pyzmq runs the signal handler and
    raises KeyboardInterrupt. A library that retried on EINTR would hang the program here."""
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.linger = 0
    pull.bind("tcp://127.0.0.1:*")
    for what in ("recv", "poll"):
        timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        t0 = time.time()
        try:
            if what == "recv":
                pull.recv()
            else:
                pull.poll(10000)
            check(False, what + " must be interrupted")
        except KeyboardInterrupt:
            pass
        timer.join()
        check(time.time() - t0 < 5, "SIGINT ends a blocking " + what + " at once")
    ctx.destroy(linger=0)


def destroy_linger0():
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.linger = -1
    push.sndhwm = 10
    push.connect("tcp://127.0.0.1:1")  # nobody there: messages queue forever
    for _ in range(5):
        push.send(b"pending", zmq.NOBLOCK)
    other = ctx.socket(zmq.DEALER)
    other.bind("tcp://127.0.0.1:*")
    t0 = time.time()
    ctx.destroy(linger=0)
    check(time.time() - t0 < 5, "ctx.destroy(linger=0) returns at once despite pending messages")
    check(push.closed and other.closed, "every socket closed")


# ---- the socket option matrix -----------------------------------------------------------------------------

SOCKET_TYPES = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"]

# Differences from libzmq 4.3.4 known today, by option, with the helper whose work removes each.
KNOWN = {
    # GSSAPI: Debian's libzmq is built with it and accepts its options; zinc does not implement it and
    # refuses them (EINVAL), as libzmq built without GSSAPI does. Listed in docs/compat/opts.md.
    "GSSAPI_SERVER": "documented", "GSSAPI_PLAINTEXT": "documented", "GSSAPI_PRINCIPAL": "documented",
    "GSSAPI_SERVICE_PRINCIPAL": "documented", "GSSAPI_PRINCIPAL_NAMETYPE": "documented",
    "GSSAPI_SERVICE_PRINCIPAL_NAMETYPE": "documented",
    # Draft options zinc implements (issue 11); Debian's build has no draft API and refuses them.
    "ROUTER_NOTIFY": "documented", "HELLO_MSG": "documented", "DISCONNECT_MSG": "documented",
}

# Differences only at edge values (see option_matrix), by option. "documented": kept on purpose and listed
# in docs/compat/opts.md, so no test waits for them to go away.
EDGE_KNOWN = {
    # 300 bytes: libzmq accepts the set (and cannot read it back into pyzmq's 255-byte buffer: EINVAL);
    # zinc refuses the set with EINVAL: routing ids and the SOCKS "host:port" live in 255-byte fields.
    "SOCKS_PROXY": "documented", "CONNECT_ROUTING_ID": "documented",
}


def owner_of(key, edges):
    option = key.split("/")[1]
    return KNOWN.get(option) or (EDGE_KNOWN.get(option) if edges else None) or "?"


def option_matrix(edges=False):
    """For each socket type and option: (default get, set of a typical value, get after). With edges,
    for each edge value instead (ints -2, -1, 0, 2, 1000000; bytes empty and 300 long): (set, get after)."""
    import zmq.constants as zc
    result = {}

    def outcome(f):
        try:
            v = f()
        except zmq.ZMQError as e:
            return ["err", e.errno]
        if isinstance(v, bytes):
            v = v.decode("latin-1")
        return ["ok", v]

    for tname in SOCKET_TYPES:
        # A context per socket type: closed sockets are reaped asynchronously, and ~500 of them in
        # quick succession must stay under ZMQ_MAX_SOCKETS (1023).
        ctx = zmq.Context()
        for opt in zc.SocketOption:
            is_bytes = opt._opt_type == zc._OptType.bytes
            if not edges:
                values = [-1 if opt.name == "USE_FD" else b"x" if is_bytes else 1]
            elif opt.name in ("FD", "USE_FD"):
                continue
            else:
                values = [b"", b"y" * 300] if is_bytes else [-2, -1, 0, 2, 1000000]
            for value in values:
                s = ctx.socket(getattr(zmq, tname))
                s.linger = 0
                before = None if edges else outcome(lambda: s.getsockopt(opt))
                done = outcome(lambda: s.setsockopt(opt, value))
                after = outcome(lambda: s.getsockopt(opt))
                if opt.name == "FD":  # a descriptor number differs by nature
                    before[1] = after[1] = "fd" if before[0] == "ok" else before[1]
                if edges:
                    key = "%s/%s/%s" % (tname, opt.name, len(value) if is_bytes else value)
                    result[key] = [done, after]
                else:
                    result["%s/%s" % (tname, opt.name)] = [before, done, after]
                s.close()
        ctx.term()
    return result


def sockopt_differences(edges=False):
    env = dict(os.environ)
    env.pop("LD_LIBRARY_PATH", None)
    args = [sys.executable, __file__, "--dump"] + (["edges"] if edges else [])
    child = subprocess.run(args, env=env, capture_output=True, timeout=120)
    check(child.returncode == 0, "the reference child failed: " + child.stderr.decode(errors="replace")[-2000:])
    reference = json.loads(child.stdout)
    check(reference["lib"] and "zinc" not in reference["lib"], "the child runs on the system libzmq")
    mine = option_matrix(edges)
    check(set(mine) == set(reference["matrix"]), "same option list")
    return {k: (reference["matrix"][k], mine[k]) for k in mine if mine[k] != reference["matrix"][k]}


def sockopts():
    """Both matrices; fails on any difference not listed in KNOWN / EDGE_KNOWN."""
    total = 0
    for edges in (False, True):
        diffs = sockopt_differences(edges)
        unknown = {k: v for k, v in diffs.items() if owner_of(k, edges) == "?"}
        for k, (ref, got) in sorted(unknown.items()):
            print("  %s: libzmq %r, here %r" % (k, ref, got))
        check(not unknown, "every option behaves as on libzmq 4.3.4, except the KNOWN differences")
        total += len(diffs)
    print("  typical and edge values compared; %d known differences remain" % total)


def sockopts_strict(owner):
    """Fails on a difference of an option listed for owner (or of an unlisted one), in both matrices."""
    bad = []
    for edges in (False, True):
        diffs = sockopt_differences(edges)
        bad += [(k, v) for k, v in sorted(diffs.items()) if owner_of(k, edges) in (owner, "?")]
    for k, (ref, got) in bad:
        print("  %s (helper %s): libzmq %r, here %r" % (k, owner, ref, got))
    check(not bad, "every option (of helper %s's) behaves exactly as on libzmq 4.3.4" % owner)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--dump"]:
        print(json.dumps({"lib": loaded_libzmq(), "matrix": option_matrix(sys.argv[2:] == ["edges"])}))
        sys.exit(0)
    lib = loaded_libzmq()
    expect_zinc = bool(os.environ.get("LD_LIBRARY_PATH"))
    check(lib is not None, "libzmq is mapped")
    check((os.path.dirname(lib) == os.path.realpath(os.environ["LD_LIBRARY_PATH"])) if expect_zinc
          else lib.startswith("/usr/lib"), "the expected libzmq.so.5 is loaded: " + lib)
    print("running on", lib, flush=True)
    if sys.argv[1:2] == ["sockopts-strict"]:
        sockopts_strict(sys.argv[2])
        passed += 1
        print("sockopts_strict %s: ok" % sys.argv[2])
    else:
        for fn in (poller_many, monitor, proxy_term, thread_device, zero_copy, rcvtimeo_again,
                   interrupt_blocking_recv, destroy_linger0, sockopts):
            case(fn)
    print("%d passed, 0 failed" % passed)
