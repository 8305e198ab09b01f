#!/usr/bin/env python3
"""Writes seed inputs for fuzz_engine into corpus/engine/: for each socket type a well-behaved peer (ZMTP
3.0 and 3.1 greeting, READY with a compatible Socket-Type, messages, PING, SUBSCRIBE), a ZMTP 2.0 peer,
and the same streams cut into small chunks. The input format is described in fuzz_engine.c."""
import hashlib
import os
import struct
import sys

TYPES = ["DEALER", "ROUTER", "PUB", "SUB", "XPUB", "PULL", "REP", "STREAM"]
PEER = {"DEALER": "DEALER", "ROUTER": "DEALER", "PUB": "SUB", "SUB": "PUB", "XPUB": "SUB",
        "PULL": "PUSH", "REP": "REQ", "STREAM": None}
ZMTP2_NUM = {"PAIR": 0, "PUB": 1, "SUB": 2, "REQ": 3, "REP": 4, "DEALER": 5, "ROUTER": 6, "PULL": 7,
             "PUSH": 8, "XPUB": 9, "XSUB": 10}


def frame(body, flags=0):
    if len(body) < 256:
        return bytes([flags, len(body)]) + body
    return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body


def command(name, data=b""):
    return frame(bytes([len(name)]) + name + data, 4)


def prop(name, value):
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def greeting(minor):
    return b"\xff" + b"\0" * 8 + b"\x01\x7f" + bytes([3, minor]) + b"NULL".ljust(20, b"\0") + b"\0" * 32


def messages(ours, peer, minor):
    out = b""
    if peer == "REQ":
        out += frame(b"", 1) + frame(b"hello")
    elif peer == "SUB":
        out += command(b"SUBSCRIBE", b"A") if minor else frame(b"\x01A")
        out += command(b"CANCEL", b"A") if minor else frame(b"\x00A")
    else:
        out += frame(b"part", 1) + frame(b"hello") + frame(b"x" * 300)
    out += command(b"PING", b"\x00\x0actx") + command(b"PONG", b"ctx")
    return out


def zmtp3(ours, minor):
    peer = PEER[ours]
    ready = command(b"READY", prop(b"Socket-Type", peer.encode()) + prop(b"Identity", b"id"))
    return greeting(minor) + ready + messages(ours, peer, minor)


def zmtp2(ours):
    peer = PEER[ours]
    out = b"\xff" + b"\0" * 8 + b"\x01\x7f" + bytes([1, ZMTP2_NUM[peer]]) + b"\x00\x00"
    return out + b"\x00\x05hello" + b"\x01\x04part\x00\x03end"


def chunks(stream, size, wait):
    out = b""
    for i in range(0, len(stream), size):
        piece = stream[i:i + size]
        out += bytes([len(piece) | (0x80 if wait else 0)]) + piece
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "engine")
    os.makedirs(outdir, exist_ok=True)
    seeds = []
    for index, ours in enumerate(TYPES):
        if PEER[ours] is None:
            seeds.append(bytes([index]) + chunks(b"GET / HTTP/1.0\r\n\r\n" * 3, 127, True))
            continue
        for minor in (0, 1):
            stream = zmtp3(ours, minor)
            seeds.append(bytes([index]) + chunks(stream, 127, True))
            seeds.append(bytes([index | 16 | 32]) + chunks(stream, 7, False))
        seeds.append(bytes([index | 8]) + chunks(zmtp2(ours), 127, True))
        seeds.append(bytes([index]) + chunks(zmtp2(ours), 3, True))
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(seed)
    print(f"{len(seeds)} seeds in {outdir}")


if __name__ == "__main__":
    main()
