#!/usr/bin/python3
"""The pyzmq peer: the interop steps of interop.c in Python (pyzmq 24 on the system libzmq).

    /usr/bin/python3 peer_pyzmq.py SOCKET-TYPE bind|connect ENDPOINT|- STEPS

Speaks the control protocol described in interop_driver.c on stdin/stdout; diagnostics go to stderr.
README.md specifies the scripts; keep this file in step with interop.c and PeerJeromq.java.
"""
import os
import select
import sys
import time

import zmq

IO_TIMEOUT_MS = 10000
SYNC_TIMEOUT_MS = 10000
SYNC_REPEAT_MS = 20
DONE_TIMEOUT_MS = 60000

WHO = "peer-pyzmq"


class StepFailed(Exception):
    pass


def fail(text):
    sys.stderr.write("%s: FAIL: %s\n" % (WHO, text))
    sys.stderr.flush()
    raise StepFailed(text)


# ---- control channel --------------------------------------------------------------------------------

class Ctl:
    def __init__(self):
        self.buf = b""

    def send(self, line):
        os.write(1, line.encode() + b"\n")

    def read(self, timeout_ms):
        """A line without its newline, None on timeout; raises on end of file."""
        deadline = time.monotonic() + timeout_ms / 1000.0
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl], self.buf[nl + 1:]
                return line.decode(errors="replace")
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([0], [], [], left)
            if not ready:
                continue
            chunk = os.read(0, 4096)
            if not chunk:
                fail("control channel closed")
            self.buf += chunk

    def expect(self, want, timeout_ms):
        line = self.read(timeout_ms)
        if line is None:
            fail('no "%s" on the control channel within %d ms' % (want, timeout_ms))
        if line != want:
            fail('waiting for "%s", got "%s"' % (want, line))


# ---- scripts (README.md) ----------------------------------------------------------------------------

_BASE = bytes(range(256))


def fill(msg_id, f, n):
    """Byte j is (msg_id*7 + f*13 + j) % 256."""
    start = (msg_id * 7 + f * 13) & 0xFF
    reps = (start + n) // 256 + 1
    return (_BASE * reps)[start:start + n]


STREAM_SHAPES = [[1, 0, 17, 0], [0], [255], [256], [254, 255, 256, 257], [0, 0, 0], [5242880], [1, 5242881]]
STREAM_BULK = 100000
STREAM_COUNT = len(STREAM_SHAPES) + STREAM_BULK


def stream_msg(m):
    if m < len(STREAM_SHAPES):
        return [fill(m, f, n) for f, n in enumerate(STREAM_SHAPES[m])]
    k = m - len(STREAM_SHAPES)
    return [k.to_bytes(4, "big") + fill(m, 1, k % 13)]


RR_SHAPES = [[5], [0], [1, 0, 17, 0], [0, 3], [255], [256], [255, 256], [65536], [1] * 8, [300000]]
RR_COUNT = 200


def rr_request(m):
    return [fill(m, f, n) for f, n in enumerate(RR_SHAPES[m % len(RR_SHAPES)])]


def rr_reply(m):
    return [fill(m + 1000, f, n) for f, n in enumerate(RR_SHAPES[(m + 3) % len(RR_SHAPES)])]


DEALER_ROUTING_ID = b"dlr-\x00\xff-id"

# (matches, frames)
PUB_PHASE1 = [
    (True, [b"A"]),
    (True, [b"A-1"]),
    (False, [b"B-no"]),
    (True, [b"BC-2"]),
    (False, [b"X-no"]),
    (False, [b""]),
    (True, [b"ABC-3"]),
    (False, [b"Bx-no"]),
    (True, [b"A-multi", b"", fill(0, 0, 256)]),
    (False, [b"C-no"]),
    (True, [b"BC", fill(0, 1, 255)]),
    (False, [b"a-no"]),
    (True, [b"A-END"]),
]
PUB_PHASE2 = [
    (False, [b"A-gone"]),
    (True, [b"Z-1"]),
    (True, [b"BC-3"]),
    (False, [b"b"]),
    (True, [b"Z-END"]),
]


# ---- send, receive, compare -------------------------------------------------------------------------

def send_msg(sock, frames, what, m):
    try:
        sock.send_multipart(frames)
    except zmq.ZMQError as e:
        fail("%s %d: send: %s" % (what, m, e))


def recv_msg(sock, what, m):
    try:
        return sock.recv_multipart()
    except zmq.ZMQError as e:
        fail("%s %d: recv: %s" % (what, m, e))


def compare(got, want, what, m):
    if got == want:
        return
    if len(got) != len(want):
        fail("%s %d: got %d frames, want %d" % (what, m, len(got), len(want)))
    for f, (g, w) in enumerate(zip(got, want)):
        if len(g) != len(w):
            fail("%s %d frame %d: got %d bytes, want %d" % (what, m, f, len(g), len(w)))
        for j, (a, b) in enumerate(zip(g, w)):
            if a != b:
                fail("%s %d frame %d byte %d: got 0x%02x, want 0x%02x" % (what, m, f, j, a, b))


def recv_expect(sock, want, what, m=0):
    compare(recv_msg(sock, what, m), want, what, m)


# ---- steps ------------------------------------------------------------------------------------------

def step_stream_send(sock, ctl):
    for m in range(STREAM_COUNT):
        send_msg(sock, stream_msg(m), "stream message", m)


def step_stream_recv(sock, ctl):
    for m in range(STREAM_COUNT):
        recv_expect(sock, stream_msg(m), "stream message", m)


def step_req(sock, ctl):
    for m in range(RR_COUNT):
        send_msg(sock, rr_request(m), "request", m)
        recv_expect(sock, rr_reply(m), "reply", m)


def step_rep(sock, ctl):
    for m in range(RR_COUNT):
        recv_expect(sock, rr_request(m), "request", m)
        send_msg(sock, rr_reply(m), "reply", m)


def step_dealer(sock, ctl):
    for m in range(RR_COUNT):
        send_msg(sock, rr_request(m), "request", m)
    for m in range(RR_COUNT):
        recv_expect(sock, [DEALER_ROUTING_ID] + rr_reply(m), "reply (routing id echo + reply)", m)


def step_router(sock, ctl):
    for m in range(RR_COUNT):
        got = recv_msg(sock, "request", m)
        if not got or got[0] != DEALER_ROUTING_ID:
            fail("request %d: routing id frame %r is not the dealer's ZMQ_ROUTING_ID" % (m, got[:1]))
        compare(got[1:], rr_request(m), "request", m)
        send_msg(sock, [got[0], got[0]] + rr_reply(m), "reply", m)


def pub_sync(sock, ctl, sync_text, confirm):
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000.0
    while time.monotonic() < deadline:
        send_msg(sock, [sync_text], "sync", 0)
        line = ctl.read(SYNC_REPEAT_MS)
        if line is None:
            continue
        if line == confirm:
            return
        fail('waiting for "%s", the other side said "%s"' % (confirm, line))
    fail('subscriber never confirmed "%s" within %d ms' % (confirm, SYNC_TIMEOUT_MS))


def sub_phase(sock, ctl, sync_text, confirm, specs):
    got = recv_msg(sock, "waiting for sync message", 0)
    if got != [sync_text]:
        fail('waiting for "%s", got %r' % (sync_text.decode(), got[:1]))
    ctl.send(confirm)
    first = True
    for i, (matches, frames) in enumerate(specs):
        if not matches:
            continue
        while True:
            got = recv_msg(sock, "published message", i)
            if first and got == [sync_text]:
                continue
            break
        first = False
        compare(got, frames, "published message (index in the publisher's list)", i)


def pub_phase(sock, specs):
    for i, (_, frames) in enumerate(specs):
        send_msg(sock, frames, "published message", i)


def step_pub(sock, ctl):
    pub_sync(sock, ctl, b"A-sync", "SYNCED A")
    pub_phase(sock, PUB_PHASE1)
    pub_sync(sock, ctl, b"Z-sync", "SYNCED Z")
    pub_phase(sock, PUB_PHASE2)


def step_sub(sock, ctl):
    sock.setsockopt(zmq.SUBSCRIBE, b"A")
    sock.setsockopt(zmq.SUBSCRIBE, b"BC")
    sub_phase(sock, ctl, b"A-sync", "SYNCED A", PUB_PHASE1)
    sock.setsockopt(zmq.UNSUBSCRIBE, b"A")
    sock.setsockopt(zmq.SUBSCRIBE, b"Z")
    sub_phase(sock, ctl, b"Z-sync", "SYNCED Z", PUB_PHASE2)


def step_xsub(sock, ctl):
    send_msg(sock, [b"\x01AB"], "subscribe AB", 0)
    recv_expect(sock, [b"AB-1"], "first message on AB")
    recv_expect(sock, [b"ABC-2", b""], "second message on AB (ZZ-x must have been filtered)")
    send_msg(sock, [b"\x00AB"], "cancel AB", 0)
    send_msg(sock, [b"\x01"], "subscribe all", 0)
    recv_expect(sock, [b"ZZ-y"], "message after subscribing to everything")


def step_xpub(sock, ctl):
    recv_expect(sock, [b"\x01AB"], "subscription message \\x01AB at XPUB")
    send_msg(sock, [b"AB-1"], "AB-1", 0)
    send_msg(sock, [b"ZZ-x"], "ZZ-x", 0)
    send_msg(sock, [b"ABC-2", b""], "ABC-2", 0)
    recv_expect(sock, [b"\x00AB"], "cancel message \\x00AB at XPUB")
    recv_expect(sock, [b"\x01"], "subscribe-all message \\x01 at XPUB")
    send_msg(sock, [b"ZZ-y"], "ZZ-y", 0)


STEPS = {
    "stream-send": step_stream_send,
    "stream-recv": step_stream_recv,
    "req": step_req,
    "rep": step_rep,
    "dealer": step_dealer,
    "router": step_router,
    "pub": step_pub,
    "sub": step_sub,
    "xpub": step_xpub,
    "xsub": step_xsub,
}

SOCKET_TYPES = {
    "PAIR": zmq.PAIR, "PUB": zmq.PUB, "SUB": zmq.SUB, "REQ": zmq.REQ, "REP": zmq.REP,
    "DEALER": zmq.DEALER, "ROUTER": zmq.ROUTER, "PULL": zmq.PULL, "PUSH": zmq.PUSH,
    "XPUB": zmq.XPUB, "XSUB": zmq.XSUB,
}


def loaded_libzmq():
    """The real path of every mapped libzmq shared object, comma separated."""
    paths = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split(None, 5)
            if len(parts) == 6:
                path = parts[5].strip()
                if os.path.basename(path).startswith("libzmq.so"):
                    real = os.path.realpath(path)
                    if real not in paths:
                        paths.append(real)
    return ",".join(paths) or "none"


def main():
    if len(sys.argv) != 5:
        sys.stderr.write("usage: peer_pyzmq.py SOCKET-TYPE bind|connect ENDPOINT|- STEPS\n")
        return 2
    type_name, mode, endpoint, steps = sys.argv[1:]
    ctl = Ctl()
    ctl.send("HELLO impl=pyzmq version=%s libzmq=%s python=%s lib=%s" % (
        zmq.__version__, zmq.zmq_version(), sys.executable, loaded_libzmq()))
    ctx = zmq.Context()
    sock = ctx.socket(SOCKET_TYPES[type_name])
    sock.rcvtimeo = IO_TIMEOUT_MS
    sock.sndtimeo = IO_TIMEOUT_MS
    step_names = steps.split(",")
    if "dealer" in step_names:
        sock.setsockopt(zmq.ROUTING_ID, DEALER_ROUTING_ID)
    rc = 1
    try:
        if mode == "bind":
            sock.bind("tcp://127.0.0.1:*")
            ctl.send("ENDPOINT %s" % sock.getsockopt_string(zmq.LAST_ENDPOINT))
        else:
            sock.connect(endpoint)
        ctl.send("READY")
        for name in step_names:
            if name not in STEPS:
                fail('unknown step "%s"' % name)
            STEPS[name](sock, ctl)
        ctl.send("OK")
        ctl.expect("DONE", DONE_TIMEOUT_MS)
        rc = 0
    except StepFailed as e:
        ctl.send("FAIL %s" % e)
    except zmq.ZMQError as e:
        sys.stderr.write("%s: FAIL: %s\n" % (WHO, e))
        ctl.send("FAIL %s" % e)
    finally:
        sock.close(linger=0)
        ctx.term()
    return rc


if __name__ == "__main__":
    sys.exit(main())
