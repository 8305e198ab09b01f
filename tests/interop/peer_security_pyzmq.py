#!/usr/bin/python3
"""The pyzmq peer for the security interop cases (pyzmq 24 on the system libzmq). Same arguments and
output as sec_peer_libzmq.c; a server's ZAP handler is pyzmq's own zmq.auth.thread.ThreadAuthenticator
(PLAIN: admin/secret; CURVE: a callback admitting one client key), so a handler written for libzmq is
what zinc talks to.

    peer_security_pyzmq.py server|client plain|curve ZAP(0|1) ok|refused ENDPOINT|- SPUB SSEC CPUB CSEC USER PASS PID
"""
import signal
import sys
import time

import zmq
import zmq.auth
import zmq.utils.monitor
import zmq.utils.z85
from zmq.auth.thread import ThreadAuthenticator

BIG = 5 * 1024 * 1024


def arg(v):
    return "" if v == "-" else v


class OneKey:
    def __init__(self, key):
        self.key = key

    def callback(self, domain, key):
        return key in (self.key.encode(), zmq.utils.z85.decode(self.key.encode()))


def watch(mon, seconds):
    events = (zmq.EVENT_HANDSHAKE_SUCCEEDED, zmq.EVENT_HANDSHAKE_FAILED_AUTH,
              zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not mon.poll(50):
            continue
        ev = zmq.utils.monitor.recv_monitor_message(mon)
        if int(ev["event"]) in events:
            return int(ev["event"]), int(ev["value"])
    return 0, 0


def serve(sock, zap, expected_user):
    checked = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            frames = sock.recv_multipart(copy=False)
        except zmq.Again:
            return "fail:server timed out waiting for STOP"
        if zap and not checked:
            user = frames[0].get("User-Id")
            if user != expected_user:
                return "fail:User-Id is %s" % user
            checked = True
        sock.send_multipart(frames)
        if len(frames) == 1 and frames[0].bytes == b"STOP":
            return "ok"
    return "fail:server ran out of time"


def talk(sock):
    big = bytes((i * 7 + (i >> 11)) & 0xff for i in range(BIG))
    script = [[b"first", b"", b"last"], [b""], [big]]
    for m in script:
        sock.send_multipart(m)
    for m in script:
        try:
            got = sock.recv_multipart()
        except zmq.Again:
            return "fail:no echo"
        if got != m:
            return "fail:echo differs (%d frames, sizes %s)" % (len(got), [len(f) for f in got])
    sock.send(b"STOP")
    try:
        if sock.recv_multipart() != [b"STOP"]:
            return "fail:STOP echo differs"
    except zmq.Again:
        return "fail:no STOP echo"
    return "ok"


def main():
    if len(sys.argv) != 13:
        sys.stderr.write("usage: see the docstring\n")
        return 2
    signal.alarm(40)
    role, mech, zap, expect, endpoint, spub, ssec, cpub, csec, user, password = map(arg, sys.argv[1:12])
    server, curve, zap, refused = role == "server", mech == "curve", zap == "1", expect == "refused"
    ctx = zmq.Context()
    auth = None
    if server and zap:
        auth = ThreadAuthenticator(ctx)
        auth.start()
        if curve:
            auth.configure_curve_callback(domain="*", credentials_provider=OneKey(cpub))
        else:
            auth.configure_plain(domain="*", passwords={"admin": "secret"})
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.rcvtimeo = sock.sndtimeo = 10000
    if curve and server:
        sock.curve_server = 1
        sock.curve_secretkey = ssec.encode()
    elif curve:
        sock.curve_serverkey = spub.encode()
        sock.curve_publickey = cpub.encode()
        sock.curve_secretkey = csec.encode()
    elif server:
        sock.plain_server = 1
    else:
        sock.plain_username = user.encode()
        sock.plain_password = password.encode()
    mon = sock.get_monitor_socket()
    if server:
        sock.bind("tcp://127.0.0.1:*")
        print("ENDPOINT %s" % sock.last_endpoint.decode(), flush=True)
    else:
        sock.connect(endpoint)
    event, value = watch(mon, 10)
    if refused:
        if event in (0, zmq.EVENT_HANDSHAKE_SUCCEEDED):
            result = "fail:expected a refusal, got event 0x%x (value %d)" % (event, value)
        else:
            result = "refused:%d:%d" % (event, value)
            if sock.poll(100):
                result = "fail:a message got through a refused handshake"
    elif event != zmq.EVENT_HANDSHAKE_SUCCEEDED:
        result = "fail:handshake: event 0x%x value %d" % (event, value)
    else:
        # ThreadAuthenticator's User-Id: the PLAIN username, or the CURVE client key in Z85
        result = serve(sock, zap, cpub if curve else "admin") if server else talk(sock)
    print("RESULT %s" % result, flush=True)
    sock.disable_monitor()
    mon.close(0)
    sock.close(0)
    if auth:
        auth.stop()
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
