"""pyzmq's own ZAP handler, zmq.auth.thread.ThreadAuthenticator, unchanged, on zinc's libzmq.so.5 (the
test sets LD_LIBRARY_PATH; in reference mode the same script runs on the system libzmq): a ZAP handler
written for libzmq must work on zinc. PLAIN passwords, CURVE certificates from a directory and
CURVE_ALLOW_ANY, and the NULL deny list, which (as in libzmq) only acts when the server sets a ZAP domain."""
import os
import shutil
import sys
import tempfile
import time

import zmq
import zmq.auth
import zmq.utils.monitor
from zmq.auth.thread import ThreadAuthenticator

HANDSHAKE_EVENTS = (zmq.EVENT_HANDSHAKE_SUCCEEDED, zmq.EVENT_HANDSHAKE_FAILED_AUTH,
                    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def handshake_event(mon, seconds=5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if mon.poll(50):
            ev = zmq.utils.monitor.recv_monitor_message(mon)
            if int(ev["event"]) in HANDSHAKE_EVENTS:
                return int(ev["event"]), int(ev["value"])
    return 0, 0


def attempt(configure_auth, configure_server, configure_client):
    """In a context of its own (libzmq misbehaves when refused handshakes share one), starts a
    ThreadAuthenticator, binds a PULL server and connects a PUSH client; returns (server event, client
    event, message bytes and User-Id)."""
    ctx = zmq.Context()
    auth = ThreadAuthenticator(ctx)
    auth.start()
    configure_auth(auth)
    server, client = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    for s in (server, client):
        s.linger = 0
    server.rcvtimeo = 2000
    configure_server(server)
    configure_client(client)
    smon, cmon = server.get_monitor_socket(), client.get_monitor_socket()
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client.connect("tcp://127.0.0.1:%d" % port)
    sev, cev = handshake_event(smon), handshake_event(cmon)
    message = None
    if sev[0] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
        client.send(b"hello")
        try:
            frame = server.recv(copy=False)
            try:
                user = frame.get("User-Id")
            except zmq.ZMQError:   # EINVAL: no User-Id (no handler was asked)
                user = None
            message = (frame.bytes, user)
        except zmq.Again:
            pass
    for s in (smon, cmon, client, server):
        s.close(0)
    auth.stop()
    ctx.term()
    return sev, cev, message


def plain_server(s):
    s.plain_server = 1


def plain_client(user, password):
    def configure(s):
        s.plain_username, s.plain_password = user, password
    return configure


def curve_server(secret):
    def configure(s):
        s.curve_server = 1
        s.curve_secretkey = secret
    return configure


def curve_client(server_public, public, secret):
    def configure(s):
        s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server_public, public, secret
    return configure


def main():
    def plain_auth(auth):
        auth.configure_plain(domain="*", passwords={"admin": "secret"})

    sev, cev, msg = attempt(plain_auth, plain_server, plain_client(b"admin", b"secret"))
    check(msg == (b"hello", "admin"), "PLAIN: the password ThreadAuthenticator knows gets in, User-Id = username")
    sev, cev, msg = attempt(plain_auth, plain_server, plain_client(b"admin", b"wrong"))
    check(sev == (zmq.EVENT_HANDSHAKE_FAILED_AUTH, 400) and cev == (zmq.EVENT_HANDSHAKE_FAILED_AUTH, 400)
          and msg is None, "PLAIN: a wrong password is refused, FAILED_AUTH 400 on both sides")

    keys = tempfile.mkdtemp(prefix="zinc-auth-")
    try:
        allowed_dir = os.path.join(keys, "allowed")
        os.mkdir(allowed_dir)
        server_pub, server_sec = zmq.curve_keypair()
        zmq.auth.create_certificates(keys, "client")
        client_pub, client_sec = zmq.auth.load_certificate(os.path.join(keys, "client.key_secret"))
        shutil.copy(os.path.join(keys, "client.key"), allowed_dir)

        def curve_dir(auth):
            auth.configure_curve(domain="*", location=allowed_dir)

        sev, cev, msg = attempt(curve_dir, curve_server(server_sec), curve_client(server_pub, client_pub, client_sec))
        check(msg == (b"hello", client_pub.decode()),
              "CURVE: a client whose certificate is in the directory gets in, User-Id = its Z85 key")
        stranger_pub, stranger_sec = zmq.curve_keypair()
        sev, cev, msg = attempt(curve_dir, curve_server(server_sec), curve_client(server_pub, stranger_pub, stranger_sec))
        check(sev == (zmq.EVENT_HANDSHAKE_FAILED_AUTH, 400) and cev == (zmq.EVENT_HANDSHAKE_FAILED_AUTH, 400)
              and msg is None, "CURVE: an unknown client key is refused, FAILED_AUTH 400 on both sides")
        sev, cev, msg = attempt(lambda auth: auth.configure_curve(domain="*", location=zmq.auth.CURVE_ALLOW_ANY),
                                curve_server(server_sec), curve_client(server_pub, stranger_pub, stranger_sec))
        check(msg is not None, "CURVE: CURVE_ALLOW_ANY admits any client key")
    finally:
        shutil.rmtree(keys)

    sev, cev, msg = attempt(lambda auth: auth.deny("127.0.0.1"), lambda s: None, lambda s: None)
    check(msg is not None, "NULL without a ZAP domain: the deny list does not apply (as libzmq)")
    sev, cev, msg = attempt(lambda auth: auth.deny("127.0.0.1"), lambda s: setattr(s, "zap_domain", b"global"),
                            lambda s: None)
    check(sev == (zmq.EVENT_HANDSHAKE_FAILED_AUTH, 400) and msg is None,
          "NULL with a ZAP domain: a denied address is refused")
    print("all ThreadAuthenticator checks passed")


if __name__ == "__main__":
    main()
