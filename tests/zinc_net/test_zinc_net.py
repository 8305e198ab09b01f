#!/usr/bin/python3
"""test_zinc_net.py: drives `zinc probe`, `zinc monitor`, `zinc proxy` and `zinc bench` against real peers
in other processes: pyzmq (this interpreter, Debian's python3-zmq on libzmq 4.3.4), peer_bound built on
the system libzmq and on zinc, and raw TCP listeners written here (garbage, silence, hand-made ZMTP 2.0
and 1.0 greetings, random bytes). One case per run, named on the command line; every wait is bounded and
every process started here is ended before returning.

usage: test_zinc_net.py CASE --zinc PATH [--peer-libzmq PATH] [--peer-zinc PATH]
exit: 0 pass, 1 fail, 77 skipped (no pyzmq, or a peer binary not built)
"""
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import threading
import time

try:
    import zmq
except ImportError:
    print("SKIP: pyzmq missing (python3-zmq)")
    sys.exit(77)

ARGS = {}
STEP_S = 10  # bound on any single wait


class Fail(Exception):
    pass


def check(cond, what, output=""):
    if not cond:
        raise Fail(what + ("\n--- output ---\n" + output if output else ""))


# Under ASan/UBSan a report must not pass for "exit 1": give it its own status, and look for it too.
for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
    os.environ[var] = (os.environ.get(var, "") + ":exitcode=86").lstrip(":")


def sanitizer_clean(err):
    check("Sanitizer" not in err and "runtime error:" not in err, "sanitizer report", err)


def zinc(*args, timeout=STEP_S):
    """Runs zinc to completion; returns (status, stdout, stderr)."""
    p = subprocess.run([ARGS["zinc"]] + list(args), capture_output=True, text=True, timeout=timeout)
    sanitizer_clean(p.stderr)
    check(p.returncode != 86, "sanitizer exit", p.stderr)
    return p.returncode, p.stdout, p.stderr


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Proc:
    """A background process whose stdout is read line by line with a deadline; always killed at exit."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        self.lines = []
        self.buf = b""  # read from stdout, not yet a whole line

    def readline(self, timeout=STEP_S):
        """The next line, or None when none came within timeout (or at EOF). Reads the fd itself: a select()
        on it says nothing about lines already pulled into a buffered reader's buffer."""
        deadline = time.time() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.time()
            ready, _, _ = select.select([fd], [], [], max(0.0, left))
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.decode(errors="replace") + "\n"
        self.lines.append(line)
        return line

    def wait_for(self, text, timeout=STEP_S):
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.readline(max(0.0, deadline - time.time()))
            if line is None:
                break
            if text in line:
                return line
        raise Fail("no line with %r; got:\n%s" % (text, "".join(self.lines)))

    def finish(self, timeout=STEP_S):
        """Waits for the exit; returns (status, rest of stdout, stderr)."""
        try:
            out, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
            raise Fail("did not exit within %s s:\n%s%s%s\n%s" % (timeout, "".join(self.lines),
                                                                self.buf.decode(errors="replace"), out, err))
        self.lines.append(self.buf.decode(errors="replace") + out)
        self.buf = b""
        sanitizer_clean(err)
        return self.p.returncode, "".join(self.lines), err

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()


class Peer(Proc):
    """peer_bound: prints its endpoint, stays until its stdin closes."""

    def __init__(self, binary, type_name):
        if not binary or not os.path.exists(binary):
            print("SKIP: peer binary not built")
            sys.exit(77)
        super().__init__([binary, type_name])
        self.endpoint = self.readline()
        if not (self.endpoint and self.endpoint.startswith("tcp://")):
            self.kill()
            raise Fail("peer_bound gave no endpoint")
        self.endpoint = self.endpoint.strip()

    def stop(self):
        self.p.stdin.close()
        self.p.stdin = None  # communicate() must not flush it
        self.finish()


class RawListener:
    """A TCP listener on 127.0.0.1 answering each connection with `behave(conn)`, in a thread."""

    def __init__(self, behave):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.behave = behave
        self.stop_flag = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_flag:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            conn.settimeout(2)
            try:
                self.behave(conn)
            except OSError:
                pass
            finally:
                conn.close()

    def stop(self):
        self.stop_flag = True
        self.thread.join(5)
        self.sock.close()


def field(out, key):
    """The value of a 'key: value' line of zinc probe's report."""
    for line in out.splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return None


# ---- probe ---------------------------------------------------------------------------------------------

def probe_router(binary):
    peer = Peer(binary, "router")
    try:
        rc, out, err = zinc("probe", peer.endpoint)
        check(rc == 0, "probe exit %d" % rc, out + err)
        check(field(out, "zmtp") == "3.1", "zmtp 3.1", out)
        check(field(out, "mechanism").startswith("NULL"), "mechanism NULL", out)
        check(field(out, "socket-type") == "ROUTER", "socket-type ROUTER", out)
        check(field(out, "accepted").startswith("yes"), "accepted as DEALER", out)
        for key in ("connect", "greeting", "ready"):
            check(field(out, key).endswith(" us"), key + " in us", out)
    finally:
        peer.stop()


def case_probe_libzmq_router():
    probe_router(ARGS.get("peer-libzmq"))


def case_probe_zinc_router():
    probe_router(ARGS.get("peer-zinc"))


def case_probe_pyzmq_curve():
    ctx = zmq.Context()
    s = ctx.socket(zmq.REP)
    s.curve_server = True
    s.curve_secretkey = zmq.curve_keypair()[1]
    s.linger = 0
    port = s.bind_to_random_port("tcp://127.0.0.1")
    try:
        rc, out, err = zinc("probe", "tcp://127.0.0.1:%d" % port)
        check(rc == 0, "probe exit %d" % rc, out + err)
        check(field(out, "zmtp") == "3.1", "zmtp 3.1", out)
        check(field(out, "mechanism").startswith("CURVE"), "mechanism CURVE", out)
        check("CURVE" in field(out, "handshake"), "no NULL handshake attempted", out)
    finally:
        s.close()
        ctx.term()


def case_probe_pyzmq_pub():
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUB)
    s.linger = 0
    port = s.bind_to_random_port("tcp://127.0.0.1")
    try:
        ep = "tcp://127.0.0.1:%d" % port
        rc, out, err = zinc("probe", ep)
        check(rc == 0 and field(out, "socket-type") == "PUB", "PUB seen", out + err)
        check(field(out, "accepted").startswith("no"), "a PUB refuses a DEALER", out)
        rc, out, err = zinc("probe", "--as", "sub", ep)
        check(rc == 0 and field(out, "accepted") == "yes, as SUB", "a PUB accepts a SUB", out + err)
    finally:
        s.close()
        ctx.term()


def answer_with(data, linger=0.3):
    """Sends data on connect, then closes after linger seconds."""
    def behave(conn):
        conn.sendall(data)
        time.sleep(linger)
    return behave


def case_probe_garbage():
    srv = RawListener(answer_with(b"HTTP/1.1 400 Bad Request\r\nServer: test\r\n\r\n"))
    try:
        rc, out, err = zinc("probe", "tcp://127.0.0.1:%d" % srv.port)
        check(rc == 1, "exit 1 for a non-ZMTP peer, got %d" % rc, out + err)
        check("not a ZMTP peer: got 'HTTP/1.1 400" in out, "says not a ZMTP peer", out)
    finally:
        srv.stop()


def case_probe_silent():
    srv = RawListener(lambda conn: time.sleep(1))
    try:
        t0 = time.time()
        rc, out, err = zinc("probe", "--timeout", "300", "tcp://127.0.0.1:%d" % srv.port)
        check(rc == 1 and "none within 300 ms" in out, "timeout reported, exit 1", out + err)
        check(time.time() - t0 < 3, "bounded by --timeout")
    finally:
        srv.stop()


def case_probe_refused():
    rc, out, err = zinc("probe", "tcp://127.0.0.1:%d" % free_port())
    check(rc == 1 and "refused" in field(out, "connect"), "refused, exit 1", out + err)


def case_probe_old_versions():
    # ZMTP 2.0 (RFC 15): signature, revision 1, socket type 5 (DEALER), empty identity as a short frame.
    srv = RawListener(answer_with(b"\xff" + b"\0" * 7 + b"\x01\x7f" + b"\x01\x05" + b"\x00\x00"))
    try:
        rc, out, err = zinc("probe", "tcp://127.0.0.1:%d" % srv.port)
        check(rc == 0 and field(out, "zmtp").startswith("2.0"), "ZMTP 2.0 recognised", out + err)
        check(field(out, "socket-type").startswith("DEALER"), "2.0 socket type", out)
    finally:
        srv.stop()
    # ZMTP 1.0: no signature, straight to the identity frame (length 1 = flags only: anonymous).
    srv = RawListener(answer_with(b"\x01\x00"))
    try:
        rc, out, err = zinc("probe", "tcp://127.0.0.1:%d" % srv.port)
        check(rc == 0 and field(out, "zmtp").startswith("1.0"), "ZMTP 1.0 recognised", out + err)
    finally:
        srv.stop()


def greeting3(mechanism=b"NULL"):
    return b"\xff" + b"\0" * 7 + b"\x01\x7f\x03\x01" + mechanism.ljust(20, b"\0") + b"\0" + b"\0" * 31


def case_probe_hostile():
    """Random and truncated answers, and 3.x greetings followed by malformed commands: never a crash."""
    rng = random.Random(1234)
    good = greeting3()
    ready = b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER"
    answers = [b"", b"\xff", good[:10], good[:11], good[:63], good, good + b"\x04", good + b"\x06" + b"\xff" * 8,
               good + b"\x04\x05\x09READY", good + ready[:-3], good + b"\x04\x07\x05READY\x01",
               good + b"\x04\x0e\x05READY\x01A\xff\xff\xff\xff", good + b"\x04\x06\x05ERROR",
               good + b"\x04\x0a\x05ERROR\x10abc", good + b"\x00\x03abc", greeting3(b"\x01\x02"),
               b"\xff" + b"\0" * 8 + b"\x7f\x00", b"\xff" + b"\0" * 8 + b"\x7f\x01\x05\x00\xff",
               b"\x05\x00ab"]
    answers += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))) for _ in range(20)]
    answers += [good + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 100))) for _ in range(20)]
    current = [b""]
    srv = RawListener(lambda conn: answer_with(current[0], 0.05)(conn))
    try:
        for data in answers:
            current[0] = data
            rc, out, err = zinc("probe", "--timeout", "300", "tcp://127.0.0.1:%d" % srv.port)
            check(rc in (0, 1), "exit %d for answer %r" % (rc, data[:80]), out + err)
            check("zmtp:" in out or "greeting:" in out, "a verdict for %r" % data[:80], out)
    finally:
        srv.stop()


# ---- monitor -------------------------------------------------------------------------------------------

def case_monitor_pyzmq():
    ctx = zmq.Context()
    s = ctx.socket(zmq.ROUTER)
    s.linger = 0
    port = s.bind_to_random_port("tcp://127.0.0.1")
    mon = Proc([ARGS["zinc"], "monitor", "tcp://127.0.0.1:%d" % port, "--until", "DISCONNECTED",
                "--timeout", "8000", "--reconnect-ivl", "5000"])
    try:
        mon.wait_for(" CONNECTED tcp://127.0.0.1:%d fd=" % port)
        mon.wait_for(" HANDSHAKE_SUCCEEDED tcp://127.0.0.1:%d" % port)
        s.close()  # the peer goes away: its context ends too, so every fd it had is closed now
        ctx.term()
        rc, out, err = mon.finish()
        check(rc == 0, "monitor exit %d" % rc, out + err)
        check(" DISCONNECTED tcp://127.0.0.1:%d fd=" % port in out, "DISCONNECTED shown", out)
        stamp = out.split()[0]
        check(len(stamp) == 27 and stamp.endswith("Z") and stamp[10] == "T", "UTC timestamp", out)
    finally:
        mon.kill()
        if not s.closed:
            s.close()
        if not ctx.closed:
            ctx.term()


def case_monitor_json_libzmq():
    peer = Peer(ARGS.get("peer-libzmq"), "router")
    try:
        rc, out, err = zinc("monitor", peer.endpoint, "--format", "json", "--until", "HANDSHAKE_SUCCEEDED",
                            "--timeout", "5000")
        check(rc == 0, "monitor exit %d" % rc, out + err)
        events = [json.loads(line) for line in out.splitlines()]
        names = [e["event"] for e in events]
        check("CONNECTED" in names and names[-1] == "HANDSHAKE_SUCCEEDED", "events in order", out)
        connected = events[names.index("CONNECTED")]
        check(connected["endpoint"] == peer.endpoint and connected["fd"] == connected["value"], "fields", out)
    finally:
        peer.stop()


def case_monitor_handshake_failed():
    ctx = zmq.Context()
    s = ctx.socket(zmq.ROUTER)  # NULL: a CURVE client fails the handshake with a mechanism mismatch
    s.linger = 0
    port = s.bind_to_random_port("tcp://127.0.0.1")
    public, _ = zmq.curve_keypair()
    try:
        rc, out, err = zinc("monitor", "tcp://127.0.0.1:%d" % port, "--curve-client", public.decode(),
                            "--until", "HANDSHAKE_FAILED_PROTOCOL", "--timeout", "8000")
        check(rc == 0, "monitor exit %d" % rc, out + err)
        check("HANDSHAKE_FAILED_PROTOCOL tcp://127.0.0.1:%d (ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)" % port
              in out, "protocol error by name", out)
    finally:
        s.close()
        ctx.term()


def case_monitor_bounds():
    port = free_port()
    t0 = time.time()
    rc, out, err = zinc("monitor", "tcp://127.0.0.1:%d" % port, "--count", "1000", "--timeout", "400")
    check(rc == 1 and time.time() - t0 < 3, "--count not met within --timeout: exit 1", out + err)
    check("CONNECT_RETRIED" in out or "CONNECT_DELAYED" in out, "retries shown", out)
    rc, out, err = zinc("monitor", "--bind", "tcp://127.0.0.1:%d" % port, "--count", "1")
    check(rc == 0 and " LISTENING tcp://127.0.0.1:%d fd=" % port in out, "bind: LISTENING", out + err)


# ---- proxy ---------------------------------------------------------------------------------------------

def case_proxy_pyzmq():
    p_in, p_out, p_cap = free_port(), free_port(), free_port()
    proxy = Proc([ARGS["zinc"], "proxy", "pull@tcp://127.0.0.1:%d" % p_in, "push@tcp://127.0.0.1:%d" % p_out,
                  "--capture", "tcp://127.0.0.1:%d" % p_cap, "--timeout", "9000"])
    ctx = zmq.Context()
    try:
        push, pull, sub = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL), ctx.socket(zmq.SUB)
        for s in (push, pull, sub):
            s.linger = 0
            s.rcvtimeo = 5000
        sub.subscribe(b"")
        push.connect("tcp://127.0.0.1:%d" % p_in)
        pull.connect("tcp://127.0.0.1:%d" % p_out)
        sub.connect("tcp://127.0.0.1:%d" % p_cap)
        time.sleep(0.3)  # the subscription reaches the capture PUB
        sent = [[b"job", b"%d" % i] for i in range(5)]
        for m in sent:
            push.send_multipart(m)
        check([pull.recv_multipart() for _ in sent] == sent, "forwarded in order")
        check([sub.recv_multipart() for _ in sent] == sent, "captured")
        proxy.p.send_signal(signal.SIGINT)
        t0 = time.time()
        rc, out, err = proxy.finish(5)
        check(rc == 0 and time.time() - t0 < 2, "SIGINT: exit 0 at once (got %d)" % rc, out + err)
        check("5 messages front->back" in err, "statistics on exit", err)
        for s in (push, pull, sub):
            s.close()
    finally:
        proxy.kill()
        ctx.term()


def case_proxy_count():
    p_front, p_back = free_port(), free_port()
    proxy = Proc([ARGS["zinc"], "proxy", "router@tcp://127.0.0.1:%d" % p_front, "dealer@tcp://127.0.0.1:%d" % p_back,
                  "--count", "4", "--timeout", "9000"])
    ctx = zmq.Context()
    try:
        req, rep = ctx.socket(zmq.REQ), ctx.socket(zmq.REP)
        for s in (req, rep):
            s.linger = 0
            s.rcvtimeo = 5000
        req.connect("tcp://127.0.0.1:%d" % p_front)
        rep.connect("tcp://127.0.0.1:%d" % p_back)
        for i in range(2):
            req.send(b"ping %d" % i)
            check(rep.recv() == b"ping %d" % i, "request through ROUTER/DEALER")
            rep.send(b"pong %d" % i)
            check(req.recv() == b"pong %d" % i, "reply back")
        rc, out, err = proxy.finish(5)
        check(rc == 0 and "--count reached" in err, "stops after 4 messages", out + err)
        check("2 messages front->back, 2 back->front" in err, "both directions counted", err)
        for s in (req, rep):
            s.close()
    finally:
        proxy.kill()
        ctx.term()


# ---- bench ---------------------------------------------------------------------------------------------

def case_bench_local():
    rc, out, err = zinc("bench", "local", "--count", "5000", "--lat-count", "300", "--size", "32", "--timeout",
                        "5000", timeout=30)
    check(rc == 0, "bench local exit %d" % rc, out + err)
    rows = [line.split() for line in out.splitlines()[1:]]
    check([(r[0], r[1]) for r in rows] == [(t, x) for x in ("inproc", "ipc", "tcp") for t in ("thr", "lat")],
          "six rows", out)
    for r in rows:
        check(r[2] == "32" and float(r[5]) > 0, "size and rate", out)
        if r[0] == "lat":
            check(r[3] == "300" and 0 < float(r[7]) <= float(r[8]) <= float(r[9]), "median <= p90 <= p99", out)
        else:
            check(r[3] == "5000" and float(r[6]) > 0, "MB/s", out)


def case_bench_pair():
    port = free_port()
    ep = "tcp://127.0.0.1:%d" % port
    recv = Proc([ARGS["zinc"], "bench", "thr", "--bind", ep, "--count", "20000", "--timeout", "5000"])
    try:
        time.sleep(0.2)
        rc, out, err = zinc("bench", "thr", "--send", "--connect", ep, "--count", "20000", "--size", "100")
        check(rc == 0 and "thr-send" in out, "sender exit %d" % rc, out + err)
        rc, out, err = recv.finish()
        check(rc == 0, "receiver exit %d" % rc, out + err)
        row = out.splitlines()[-1].split()
        check(row[0] == "thr-recv" and row[2] == "100" and row[3] == "20000", "receiver's row", out)
    finally:
        recv.kill()
    echo = Proc([ARGS["zinc"], "bench", "lat", "--echo", "--bind", ep, "--count", "200", "--timeout", "5000"])
    try:
        time.sleep(0.2)
        rc, out, err = zinc("bench", "lat", "--connect", ep, "--count", "200", "--timeout", "5000")
        check(rc == 0, "lat exit %d" % rc, out + err)
        row = out.splitlines()[-1].split()
        check(row[0] == "lat" and row[3] == "200" and float(row[7]) > 0, "latency row", out)
        rc, out, err = echo.finish()
        check(rc == 0, "echo exit %d" % rc, out + err)
    finally:
        echo.kill()


def case_bench_pyzmq_peer():
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.linger = 0
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    try:
        rc, out, err = zinc("bench", "thr", "--send", "--connect", "tcp://127.0.0.1:%d" % port, "--count", "1000",
                            "--timeout", "5000")
        check(rc == 0, "sender exit %d" % rc, out + err)
        pull.rcvtimeo = 5000
        got = [pull.recv() for _ in range(1000)]
        check(all(len(m) == 64 for m in got), "1000 messages of 64 bytes")
    finally:
        pull.close()
        ctx.term()


# ---- command lines -------------------------------------------------------------------------------------

def case_usage():
    bad = [["probe"], ["probe", "http://x"], ["probe", "--timeout", "0", "tcp://a:1"], ["probe", "--as", "x", "tcp://a:1"],
           ["probe", "--nope", "tcp://a:1"], ["probe", "tcp://a:1", "tcp://b:2"], ["probe", "tcp://noport"],
           ["monitor"], ["monitor", "--type", "nope", "tcp://a:1"], ["monitor", "--until", "NOPE", "tcp://a:1"],
           ["monitor", "--format", "xml", "tcp://a:1"], ["monitor", "--count", "x", "tcp://a:1"], ["monitor", "a:1"],
           ["proxy"], ["proxy", "router@tcp://*:1"], ["proxy", "nope@tcp://*:1", "dealer@tcp://*:2"],
           ["proxy", "router", "dealer@tcp://*:2"], ["proxy", "router@tcp://*:1", "dealer@x"],
           ["proxy", "--bind", "tcp://*:3", "router@tcp://*:1", "dealer@tcp://*:2"],
           ["proxy", "a@tcp://*:1", "b@tcp://*:2", "c@tcp://*:3"], ["proxy", "--count", "0", "pull@tcp://*:1", "push@tcp://*:2"],
           ["bench"], ["bench", "nope"], ["bench", "thr"], ["bench", "lat", "--send", "--bind", "tcp://*:1"],
           ["bench", "thr", "--echo", "--bind", "tcp://*:1"], ["bench", "local", "--transport", "udp"],
           ["bench", "local", "--bind", "tcp://*:1"], ["bench", "local", "--size", "-1"], ["bench", "thr", "extra"]]
    for argv in bad:
        rc, out, err = zinc(*argv)
        check(rc == 2, "%s: exit %d, want 2" % (" ".join(argv), rc), out + err)
        check(err.startswith("zinc ") and "--help" in err, "%s: says what to fix" % " ".join(argv), err)
    for cmd in (["probe"], ["monitor"], ["proxy"], ["bench"], ["bench", "thr"], ["bench", "local"]):
        rc, out, err = zinc(*(cmd + ["--help"]))
        check(rc == 0 and out.startswith("Usage: zinc " + cmd[0]), "%s --help" % cmd[0], out + err)


def main():
    argv = sys.argv[1:]
    if not argv:
        print(__doc__)
        return 2
    case = argv[0]
    for k in range(1, len(argv) - 1, 2):
        ARGS[argv[k].lstrip("-")] = argv[k + 1]
    fn = globals().get("case_" + case)
    if not fn or "zinc" not in ARGS:
        print(__doc__)
        return 2
    try:
        fn()
    except Fail as e:
        print("FAIL %s: %s" % (case, e))
        return 1
    except subprocess.TimeoutExpired as e:
        print("FAIL %s: %s" % (case, e))
        return 1
    print("PASS %s" % case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
