#!/usr/bin/python3
"""Shows the JeroMQ 0.3.6 bug that keeps the JeroMQ-binds cases out of ctest (README.md, "Quirks found").

A PeerJeromq PUSH sends the STREAM script to a hand-written ZMTP 2.0 reader in this file; no libzmq and no
zinc are involved. When JeroMQ binds, some runs put a wrong sequence on the wire (a message missing,
repeated or out of order); when JeroMQ connects, none do. Not registered with ctest; run by hand:

    /usr/bin/python3 jeromq_bind_repro.py BUILD/tests/interop/java bind 40
    /usr/bin/python3 jeromq_bind_repro.py BUILD/tests/interop/java connect 40
"""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_pyzmq as script  # noqa: E402  (the STREAM script; pyzmq itself is not used)


def read_exact(stream, n):
    data = stream.read(n)
    if len(data) != n:
        raise EOFError("connection closed after %d of %d bytes" % (len(data), n))
    return data


def one_run(classes, mode):
    java = ["java", "-XX:+UseSerialGC", "-cp", "/usr/share/java/jeromq.jar:" + classes, "PeerJeromq"]
    listener = None
    if mode == "bind":
        peer = subprocess.Popen(java + ["PUSH", "bind", "-", "stream-send"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        lines = b""
        while lines.count(b"\n") < 3:
            lines += os.read(peer.stdout.fileno(), 4096)
        port = int(lines.split(b"\n")[1].rsplit(b":", 1)[1])
        conn = socket.create_connection(("127.0.0.1", port))
    else:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        endpoint = "tcp://127.0.0.1:%d" % listener.getsockname()[1]
        peer = subprocess.Popen(java + ["PUSH", "connect", endpoint, "stream-send"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        conn, _ = listener.accept()
    conn.settimeout(10)
    # ZMTP 2.0 (RFC 15): signature, revision 1, socket type PULL (7), empty identity frame.
    conn.sendall(b"\xff" + b"\x00" * 8 + b"\x01\x7f" + b"\x01\x07" + b"\x00\x00")
    stream = conn.makefile("rb", buffering=1 << 20)
    error = None
    try:
        read_exact(stream, 12 + 2)  # the peer's greeting and identity frame
        for m in range(script.STREAM_COUNT):
            frames = []
            while True:
                flags = read_exact(stream, 1)[0]
                size = int.from_bytes(read_exact(stream, 8 if flags & 2 else 1), "big")
                frames.append(read_exact(stream, size))
                if not flags & 1:
                    break
            want = script.stream_msg(m)
            if frames != want:
                error = "message %d: frame lengths %s, want %s" % (
                    m, [len(f) for f in frames][:4], [len(f) for f in want][:4])
                break
    except (EOFError, OSError) as e:
        error = "%s" % e
    peer.kill()
    peer.wait()
    conn.close()
    if listener:
        listener.close()
    return error


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("bind", "connect"):
        sys.stderr.write(__doc__)
        return 2
    classes, mode, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    bad = 0
    for i in range(runs):
        error = one_run(classes, mode)
        if error:
            bad += 1
            print("run %d: %s" % (i, error), flush=True)
    print("JeroMQ PUSH %s: %d of %d runs put a wrong message sequence on the wire" % (mode, bad, runs))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
