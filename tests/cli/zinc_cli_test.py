#!/usr/bin/python3
"""Tests of the zinc command (tools/zinc/) against real peers in other processes: pyzmq (Debian's
/usr/bin/python3, on the system libzmq) and a libzmq 4.3.4 C peer (cli_peer_libzmq). One case per run:

    zinc_cli_test.py --zinc PATH [--libzmq-peer PATH] CASE

Exit 0 pass, 1 fail, 77 skip (pyzmq or the libzmq peer missing). Every process is bounded by a timeout and
killed on the way out; endpoints are ephemeral loopback ports."""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
ZINC = None
LIBZMQ_PEER = None
CHILDREN = []


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def need_pyzmq():
    try:
        import zmq  # noqa: F401
    except ImportError:
        print("SKIP: pyzmq not available")
        sys.exit(SKIP)
    import zmq
    return zmq


def zinc(args, stdin_data=None, timeout=5):
    """Runs zinc to completion: (status, stdout bytes, stderr text)."""
    p = subprocess.run([ZINC] + args, input=stdin_data, capture_output=True, timeout=timeout,
                       stdin=None if stdin_data is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def zinc_bg(args):
    """Starts zinc with -v and a --bind tcp://127.0.0.1:*; returns (process, the bound endpoint)."""
    p = subprocess.Popen([ZINC] + args + ["-v", "--bind", "tcp://127.0.0.1:*"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    CHILDREN.append(p)
    line = p.stderr.readline().decode()
    m = re.search(r"bound to (tcp://\S+)", line)
    check(m, "zinc did not report its endpoint: %r" % line)
    return p, m.group(1)


def finish(p, timeout=5):
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err.decode(errors="replace")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pyzmq_bound(zmq, ctx, kind):
    s = ctx.socket(kind)
    s.linger = 0
    s.rcvtimeo = 5000
    s.sndtimeo = 5000
    port = s.bind_to_random_port("tcp://127.0.0.1")
    return s, "tcp://127.0.0.1:%d" % port


def send_in_background(sock, messages):
    """A bound PUSH blocks until a peer connects: send from a thread while zinc connects."""
    t = threading.Thread(target=lambda: [sock.send_multipart(m) for m in messages])
    t.start()
    return t


def libzmq_peer(args):
    if not LIBZMQ_PEER:
        print("SKIP: no libzmq peer")
        sys.exit(SKIP)
    p = subprocess.Popen([LIBZMQ_PEER] + args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    CHILDREN.append(p)
    endpoint = p.stdout.readline().decode().strip()
    check(endpoint.startswith("tcp://"), "libzmq peer endpoint: %r" % endpoint)
    return p, endpoint


# ---- cases: pyzmq peers ---------------------------------------------------------------------------------

def case_pushpull_pyzmq():
    zmq = need_pyzmq()
    ctx = zmq.Context()
    pull, ep = pyzmq_bound(zmq, ctx, zmq.PULL)
    rc, _, err = zinc(["push", "--connect", ep, "--timeout", "3000", "a", "b", "--part", "c"])
    check(rc == 0, "push status %d: %s" % (rc, err))
    check(pull.recv_multipart() == [b"a"], "first message")
    check(pull.recv_multipart() == [b"b", b"c"], "--part frame")
    push, ep = pyzmq_bound(zmq, ctx, zmq.PUSH)
    t = send_in_background(push, [[b"x", b"y"], [b"z"]])
    rc, out, err = zinc(["pull", "--connect", ep, "--count", "2", "--timeout", "3000", "-f", "json"])
    t.join()
    check(rc == 0, "pull status %d: %s" % (rc, err))
    lines = [json.loads(x) for x in out.decode().splitlines()]
    check(lines == [{"frames": ["x", "y"]}, {"frames": ["z"]}], "pull json: %r" % lines)
    ctx.destroy()


def case_pubsub_pyzmq():
    zmq = need_pyzmq()
    ctx = zmq.Context()
    pub, ep = pyzmq_bound(zmq, ctx, zmq.PUB)
    stop = threading.Event()

    def publish():
        n = 0
        while not stop.is_set():
            pub.send(b"news %d" % n)
            pub.send(b"weather %d" % n)
            n += 1
            time.sleep(0.01)
    t = threading.Thread(target=publish)
    t.start()
    try:
        rc, out, err = zinc(["sub", "--connect", ep, "--subscribe", "weather", "--count", "3", "--timeout", "3000"])
    finally:
        stop.set()
        t.join()
    check(rc == 0, "sub status %d: %s" % (rc, err))
    lines = out.decode().splitlines()
    check(len(lines) == 3 and all(x.startswith("weather ") for x in lines), "filtered: %r" % lines)
    ctx.destroy()


def case_reqrep_pyzmq():
    zmq = need_pyzmq()
    ctx = zmq.Context()
    rep, ep = pyzmq_bound(zmq, ctx, zmq.REP)

    def serve():
        for _ in range(2):
            rep.send(b"re:" + rep.recv())
    t = threading.Thread(target=serve)
    t.start()
    rc, out, err = zinc(["req", "--connect", ep, "--timeout", "3000"], stdin_data=b"one\ntwo\n")
    t.join()
    check(rc == 0, "req status %d: %s" % (rc, err))
    check(out == b"re:one\nre:two\n", "replies: %r" % out)
    # zinc rep answering a pyzmq REQ
    p, ep = zinc_bg(["rep", "--count", "1", "--reply", "pong", "--timeout", "3000"])
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.rcvtimeo = 3000
    req.connect(ep)
    req.send(b"ping")
    check(req.recv() == b"pong", "zinc rep reply")
    rc, out, err = finish(p)
    check(rc == 0 and out == b"ping\n", "zinc rep printed %r, status %d: %s" % (out, rc, err))
    ctx.destroy()


def case_routerdealer_pyzmq():
    zmq = need_pyzmq()
    ctx = zmq.Context()
    p, ep = zinc_bg(["router", "--count", "1", "--echo", "-f", "json", "--timeout", "3000"])
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.rcvtimeo = 3000
    dealer.setsockopt(zmq.ROUTING_ID, b"d\x01")
    dealer.connect(ep)
    dealer.send_multipart([b"hi", b"\x00\xff"])
    check(dealer.recv_multipart() == [b"hi", b"\x00\xff"], "echo to the dealer")
    rc, out, err = finish(p)
    check(rc == 0, "router status %d: %s" % (rc, err))
    msg = json.loads(out.decode())
    check(msg["routing_id"] == "6401", "routing id: %r" % msg)
    check([f.encode("latin-1") for f in msg["frames"]] == [b"hi", b"\x00\xff"], "frames: %r" % msg)
    # zinc dealer against a pyzmq ROUTER
    router, ep = pyzmq_bound(zmq, ctx, zmq.ROUTER)

    def serve():
        rid, body = router.recv_multipart()
        router.send_multipart([rid, rid, body])
    t = threading.Thread(target=serve)
    t.start()
    rc, out, err = zinc(["dealer", "--connect", ep, "--identity", "me", "--count", "1", "-f", "quoted",
                         "--timeout", "3000", "ping"])
    t.join()
    check(rc == 0 and out == b'"me" "ping"\n', "dealer got %r, status %d: %s" % (out, rc, err))
    ctx.destroy()


def case_formats_pyzmq():
    zmq = need_pyzmq()
    ctx = zmq.Context()
    frames = [b'a\x00\n"\\', b"\xff\xe9t\xc3\xa9", b""]
    expect = {
        "hex": b"61000a225c ffe974c3a9 \n",
        "quoted": b'"a\\x00\\n\\"\\\\" "\\xff\\xe9t\\xc3\\xa9" ""\n',
        "text": b'a\x00\n"\\\t\xff\xe9t\xc3\xa9\t\n',
    }
    for fmt in ["hex", "quoted", "text", "json"]:
        push, ep = pyzmq_bound(zmq, ctx, zmq.PUSH)
        t = send_in_background(push, [frames])
        rc, out, err = zinc(["pull", "--connect", ep, "--count", "1", "--timeout", "3000", "--format", fmt])
        t.join()
        check(rc == 0, "%s: status %d: %s" % (fmt, rc, err))
        if fmt == "json":
            got = [f.encode("latin-1") for f in json.loads(out.decode("ascii"))["frames"]]
            check(got == frames, "json round trip: %r" % out)
        else:
            check(out == expect[fmt], "%s: %r" % (fmt, out))
        push.close()
    ctx.destroy()


def case_stdin_pyzmq():
    zmq = need_pyzmq()
    ctx = zmq.Context()
    pull, ep = pyzmq_bound(zmq, ctx, zmq.PULL)
    rc, _, err = zinc(["send", "--connect", ep, "--timeout", "3000", "--count", "2"],
                      stdin_data=b"line 1\nline 2\nline 3\n")
    check(rc == 0, "send status %d: %s" % (rc, err))
    check([pull.recv(), pull.recv()] == [b"line 1", b"line 2"], "lines (--count 2)")
    rc, _, err = zinc(["push", "--connect", ep, "--timeout", "3000", "--split", "-e"], stdin_data=b"a\\x01\tb\n")
    check(rc == 0 and pull.recv_multipart() == [b"a\x01", b"b"], "--split --escapes: %s" % err)
    rc, _, err = zinc(["push", "--connect", ep, "--timeout", "3000", "--raw"], stdin_data=b"x\ny\n")
    check(rc == 0 and pull.recv() == b"x\ny\n", "--raw: %s" % err)
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"from file\n")
        f.flush()
        rc, _, err = zinc(["push", "--connect", ep, "--timeout", "3000", "--file", f.name])
        check(rc == 0 and pull.recv() == b"from file", "--file: %s" % err)
    pull.rcvtimeo = 200
    try:
        extra = pull.recv()
        raise Fail("unexpected message %r" % extra)
    except zmq.Again:
        pass
    ctx.destroy()


def z85_pair(path_prefix):
    pub, sec = path_prefix + ".public", path_prefix + ".secret"
    rc, out, err = zinc(["keygen", "--public-file", pub, "--secret-file", sec])
    check(rc == 0, "keygen: %s" % err)
    lines = out.decode().splitlines()
    check(len(lines) == 2 and lines[0].startswith("public: ") and lines[1].startswith("secret: "), "keygen out")
    check(open(pub).read().strip() == lines[0][8:] and open(sec).read().strip() == lines[1][8:], "key files")
    check(os.stat(sec).st_mode & 0o777 == 0o600, "secret file mode %o" % os.stat(sec).st_mode)
    return pub, sec, lines[0][8:].encode(), lines[1][8:].encode()


def case_curve_pyzmq():
    zmq = need_pyzmq()
    if not zmq.has("curve"):
        print("SKIP: pyzmq without CURVE")
        sys.exit(SKIP)
    ctx = zmq.Context()
    with tempfile.TemporaryDirectory() as d:
        pub_file, sec_file, server_public, server_secret = z85_pair(os.path.join(d, "server"))
        # pyzmq CURVE server, zinc client with an ephemeral keypair
        rep = ctx.socket(zmq.REP)
        rep.linger = 0
        rep.rcvtimeo = 5000
        rep.curve_server = True
        rep.curve_secretkey = server_secret
        ep = "tcp://127.0.0.1:%d" % rep.bind_to_random_port("tcp://127.0.0.1")

        def serve():
            rep.send(b"secure " + rep.recv())
        t = threading.Thread(target=serve)
        t.start()
        rc, out, err = zinc(["req", "--connect", ep, "--curve-client", "@" + pub_file, "--timeout", "3000", "hi"])
        t.join()
        check(rc == 0 and out == b"secure hi\n", "curve req: %r %d %s" % (out, rc, err))
        # zinc CURVE server, pyzmq client
        p, ep = zinc_bg(["rep", "--curve-server", "@" + sec_file, "--count", "1", "--timeout", "3000"])
        req = ctx.socket(zmq.REQ)
        req.linger = 0
        req.rcvtimeo = 3000
        req.curve_serverkey = server_public
        req.curve_publickey, req.curve_secretkey = zmq.curve_keypair()
        req.connect(ep)
        req.send(b"knock")
        check(req.recv() == b"knock", "zinc curve rep echo")
        rc, out, err = finish(p)
        check(rc == 0 and out == b"knock\n", "zinc rep: %r %s" % (out, err))
        # a wrong server key: a clean timeout that names the cause
        other_pub, _, _, _ = z85_pair(os.path.join(d, "other"))
        p, ep = zinc_bg(["rep", "--curve-server", "@" + sec_file, "--count", "1", "--timeout", "3000"])
        rc, out, err = zinc(["req", "--connect", ep, "--curve-client", "@" + other_pub, "--timeout", "700", "x"])
        check(rc == 1 and "timed out" in err and "CURVE" in err, "wrong key: %d %s" % (rc, err))
        p.kill()
        p.wait()
    ctx.destroy()


def case_plain_pyzmq():
    zmq = need_pyzmq()
    ctx = zmq.Context()
    p, ep = zinc_bg(["rep", "--plain-server", "--plain-user", "ann", "--plain-password", "pw", "--count", "1",
                     "--timeout", "3000", "--reply", "welcome"])
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.rcvtimeo = 3000
    req.plain_username = b"ann"
    req.plain_password = b"pw"
    req.connect(ep)
    req.send(b"let me in")
    check(req.recv() == b"welcome", "plain reply")
    rc, out, err = finish(p)
    check(rc == 0, "zinc rep: %d %s" % (rc, err))
    p, ep = zinc_bg(["rep", "--plain-server", "--plain-user", "ann", "--plain-password", "pw", "--count", "1",
                     "--timeout", "3000"])
    rc, out, err = zinc(["req", "--connect", ep, "--plain-user", "ann", "--plain-password", "bad", "--timeout",
                         "700", "x"])
    check(rc == 1 and "authentication failed" in err, "bad password: %d %s" % (rc, err))
    p.kill()
    p.wait()
    ctx.destroy()


# ---- cases: libzmq C peer -------------------------------------------------------------------------------

def case_pushpull_libzmq():
    p, ep = libzmq_peer(["pull", "recv", "2"])
    rc, _, err = zinc(["push", "--connect", ep, "--timeout", "3000", "one", "two", "--part", "2b"])
    check(rc == 0, "push: %s" % err)
    out, _ = p.communicate(timeout=5)
    check(out == b"6f6e65\n74776f 3262\n", "libzmq got %r" % out)
    p, ep = libzmq_peer(["push", "send", "3", "hey"])
    rc, out, err = zinc(["pull", "--connect", ep, "--count", "3", "--timeout", "3000", "-f", "hex"])
    check(rc == 0 and out == b"686579\n" * 3, "pull from libzmq: %r %s" % (out, err))
    p.wait(timeout=5)


def case_reqrep_libzmq():
    p, ep = libzmq_peer(["rep", "echo", "2"])
    rc, out, err = zinc(["req", "--connect", ep, "--timeout", "3000", "-f", "json", "a", "b", "--part", "c"])
    check(rc == 0 and out == b'{"frames":["a"]}\n{"frames":["b","c"]}\n', "req: %r %s" % (out, err))
    p.wait(timeout=5)


def case_routerdealer_libzmq():
    p, ep = libzmq_peer(["router", "echo", "1"])
    rc, out, err = zinc(["dealer", "--connect", ep, "--count", "1", "--timeout", "3000", "-f", "hex", "x",
                         "--part", "y"])
    check(rc == 0 and out == b"78 79\n", "dealer: %r %s" % (out, err))
    p.wait(timeout=5)
    # zinc ROUTER sending to a libzmq DEALER needs its routing id: the libzmq peer is bound, so zinc connects
    # and names it with --connect-routing-id
    p, ep = libzmq_peer(["dealer", "recv", "1"])
    rc, out, err = zinc(["send", "--type", "router", "--connect-routing-id", "peer", "--connect", ep,
                         "--timeout", "3000", "--delay", "200", "peer", "--part", "to you"])
    out2, _ = p.communicate(timeout=5)
    check(out2 == b"746f20796f75\n", "libzmq dealer got %r (zinc: %d %s)" % (out2, rc, err))


# ---- cases: the command itself --------------------------------------------------------------------------

def case_timeout():
    start = time.monotonic()
    rc, out, err = zinc(["pull", "--connect", "tcp://127.0.0.1:%d" % closed_port(), "--timeout", "300"])
    check(rc == 1, "status %d" % rc)
    check("timed out after 300 ms" in err and "cannot connect" in err, "message: %s" % err)
    check(time.monotonic() - start < 3, "took too long")
    p, ep = zinc_bg(["pull", "--timeout", "300"])
    rc, out, err = finish(p)
    check(rc == 1 and "no peer has connected" in err, "bound pull: %d %s" % (rc, err))


def case_unreachable():
    start = time.monotonic()
    for cmd in (["push"], ["req"], ["dealer", "--count", "1"]):
        rc, out, err = zinc(cmd + ["--connect", "tcp://127.0.0.1:%d" % closed_port(), "--timeout", "300", "hi"])
        check(rc == 1 and "timed out" in err and "cannot connect" in err, "%s: %d %s" % (cmd, rc, err))
    check(time.monotonic() - start < 4, "took too long")


def case_bad_args():
    cases = [
        (["push", "--sndhwm", "lots", "--connect", "tcp://127.0.0.1:1"], "--sndhwm"),
        (["push", "--connect"], "--connect needs a value"),
        (["pull", "--frobnicate"], "--frobnicate"),
        (["pull"], "--connect"),
        (["pull", "--connect", "localhost:5555"], "TRANSPORT://"),
        (["pull", "--connect", "tcp://127.0.0.1:1", "--format", "xml"], "--format xml"),
        (["pull", "--connect", "tcp://127.0.0.1:1", "--count", "0"], "--count"),
        (["pull", "--connect", "tcp://127.0.0.1:1", "hello"], "sends no data"),
        (["send", "--type", "pull", "--connect", "tcp://127.0.0.1:1"], "--type pull"),
        (["push", "--connect", "tcp://nohost", "x"], "--connect tcp://nohost"),
        (["push", "--connect", "tcp://nohost.invalid:1", "x"], "check the host name"),
        (["push", "--connect", "tcp://127.0.0.1:99999", "x"], "bad port"),
        (["push", "--connect", "tcp://127.0.0.1:1", "--curve-client", "short"], "--curve-client"),
        (["push", "--connect", "tcp://127.0.0.1:1", "--plain-user", "u"], "--plain-password"),
        (["keygen", "--secret-file"], "--secret-file"),
        (["nosuchcommand"], "nosuchcommand"),
        (["help", "nosuch"], "nosuch"),
    ]
    for args, needle in cases:
        rc, out, err = zinc(args)
        check(rc == 2, "%s: status %d (%s)" % (args, rc, err))
        check(needle in err, "%s: %r not in %r" % (args, needle, err))


def case_help():
    rc, out, err = zinc(["--help"])
    check(rc == 0 and b"Usage: zinc COMMAND" in out, "--help")
    rc, out, err = zinc(["--version"])
    check(rc == 0 and re.match(rb"zinc \S+", out), "--version: %r" % out)
    for sub in ["send", "recv", "req", "rep", "pub", "sub", "push", "pull", "dealer", "router", "pair", "xpub",
                "xsub", "stream", "keygen"]:
        rc, out, err = zinc([sub, "--help"])
        check(rc == 0 and b"Usage: zinc " + sub.encode() in out, "%s --help" % sub)
        rc2, out2, _ = zinc(["help", sub])
        check(rc2 == 0 and out2 == out, "help %s" % sub)
    docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "zinc.md")
    if os.path.exists(docs):
        text = open(docs).read()
        rc, out, err = zinc(["push", "--help"])
        for flag in set(re.findall(r"(--[a-z][a-z0-9-]+)", out.decode())):
            check(flag in text, "docs/zinc.md does not mention %s" % flag)


def case_zinc_pairs():
    """zinc against zinc: pair both ways, xpub/xsub subscriptions, pub/sub with --delay."""
    p, ep = zinc_bg(["pair", "--count", "1", "--timeout", "3000", "from-bound"])
    rc, out, err = zinc(["pair", "--connect", ep, "--count", "1", "--timeout", "3000", "from-connected"])
    check(rc == 0 and out == b"from-bound\n", "connected pair: %r %s" % (out, err))
    rc, out, err = finish(p)
    check(rc == 0 and out == b"from-connected\n", "bound pair: %r %s" % (out, err))
    p, ep = zinc_bg(["xpub", "--count", "1", "--timeout", "3000", "-f", "quoted", "-n"])
    rc, out, err = zinc(["xsub", "--connect", ep, "--subscribe", "topic", "--timeout", "500", "-n"])
    rc, out, err = finish(p)
    check(rc == 0 and out == b'"\\x01topic"\n', "xpub saw %r %s" % (out, err))
    p, ep = zinc_bg(["sub", "--count", "1", "--timeout", "3000", "--subscribe", "b"])
    rc, out, err = zinc(["pub", "--connect", ep, "--delay", "300", "a1", "b1", "c1"])
    check(rc == 0, "pub: %s" % err)
    rc, out, err = finish(p)
    check(rc == 0 and out == b"b1\n", "sub: %r %s" % (out, err))


def case_stream():
    """zinc stream echoing a raw TCP client; the connect notice is printed, not echoed."""
    p, ep = zinc_bg(["stream", "--count", "2", "--echo", "-n", "-f", "json", "--timeout", "3000"])
    host, port = ep[len("tcp://"):].rsplit(":", 1)
    c = socket.create_connection((host, int(port)), timeout=3)
    c.sendall(b"raw\x00bytes")
    got = b""
    while len(got) < 9:
        got += c.recv(100)
    c.close()
    check(got == b"raw\x00bytes", "echo: %r" % got)
    rc, out, err = finish(p)
    lines = [json.loads(x) for x in out.decode().splitlines()]
    check(rc == 0 and len(lines) == 2, "stream: %d %r %s" % (rc, out, err))
    check(lines[0]["frames"] == [""] and lines[1]["frames"] == ["raw\u0000bytes"], "frames: %r" % lines)
    check(lines[0]["routing_id"] == lines[1]["routing_id"] != "", "routing ids: %r" % lines)


def case_stats():
    """zinc stats against a live zinc process serving its counters (ZINC_STATS_ENDPOINT): json and the
    refreshing table, exact counts, and the errors (no server, bad flags)."""
    rc, out, err = zinc(["--version"])
    if b"built on libzmq" in out:
        print("SKIP: the stats server is zinc's (this zinc command is built on libzmq)")
        sys.exit(SKIP)
    tmp = tempfile.mkdtemp(prefix="zinc-stats-")
    stats_ep = "ipc://%s/stats" % tmp
    env = dict(os.environ, ZINC_STATS_ENDPOINT=stats_ep)
    p = subprocess.Popen([ZINC, "pull", "--count", "3", "--timeout", "20000", "-v", "--bind", "tcp://127.0.0.1:*"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    CHILDREN.append(p)
    m = re.search(r"bound to (tcp://\S+)", p.stderr.readline().decode())
    check(m, "pull did not report its endpoint")
    ep = m.group(1)
    rc, out, err = zinc(["push", "--connect", ep, "--count", "2", "a", "bb"])
    check(rc == 0, "push: %s" % err)
    doc, deadline = None, time.time() + 5
    while time.time() < deadline:
        rc, out, err = zinc(["stats", stats_ep, "--once", "--format", "json"])
        check(rc == 0, "stats --once: %d %s" % (rc, err))
        doc = json.loads(out.decode().splitlines()[0])
        pulls = [x for x in doc["sockets"] if x["type"] == "PULL"]
        check(len(pulls) == 1, "one PULL socket: %r" % doc)
        if pulls[0]["msgs_in"] == 2:
            break
        time.sleep(0.05)
    pull = pulls[0]
    check(doc["pid"] == p.pid, "pid %r, expected %d" % (doc["pid"], p.pid))
    check(pull["msgs_in"] == 2 and pull["bytes_in"] == 3 and pull["endpoint"] == ep,
          "PULL counters: %r" % pull)
    check(all(pull[k] == 0 for k in pull if k.startswith("dropped_")), "no drops: %r" % pull)
    rc, out, err = zinc(["stats", stats_ep, "--count", "2", "--interval", "200"])
    text = out.decode()
    check(rc == 0 and text.count("zinc stats %s: pid %d" % (stats_ep, p.pid)) == 2, "table: %d %r %s" % (rc, text, err))
    rows = [l.split() for l in text.splitlines() if " PULL " in l]
    check(len(rows) == 2 and rows[-1][2] == ep and rows[-1][4] == "2" and rows[-1][-1] == "0/0/0/0/0",
          "PULL rows: %r" % rows)
    rc, out, err = zinc(["push", "--connect", ep, "last"])
    rc, out, err = finish(p)
    check(rc == 0 and out == b"a\nbb\nlast\n", "pull: %d %r %s" % (rc, out, err))
    rc, out, err = zinc(["stats", stats_ep, "--once", "--timeout", "300"])
    check(rc == 1 and "no answer" in err, "no server: %d %s" % (rc, err))
    rc, out, err = zinc(["stats"])
    check(rc == 2 and "which endpoint" in err, "no endpoint: %d %s" % (rc, err))
    rc, out, err = zinc(["stats", stats_ep, "--format", "xml"])
    check(rc == 2, "bad format: %d %s" % (rc, err))
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    global ZINC, LIBZMQ_PEER
    ap = argparse.ArgumentParser()
    ap.add_argument("--zinc", required=True)
    ap.add_argument("--libzmq-peer")
    ap.add_argument("case")
    a = ap.parse_args()
    ZINC, LIBZMQ_PEER = a.zinc, a.libzmq_peer
    fn = globals().get("case_" + a.case)
    if not fn:
        print("no such case: %s" % a.case)
        return 2
    try:
        fn()
    except (Fail, subprocess.TimeoutExpired) as e:
        print("FAIL %s: %s" % (a.case, e))
        return 1
    finally:
        for p in CHILDREN:
            if p.poll() is None:
                p.kill()
                p.wait()
    print("PASS %s" % a.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
