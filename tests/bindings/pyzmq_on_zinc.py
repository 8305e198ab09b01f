"""pyzmq, unchanged and unrebuilt, running on zinc's libzmq.so.5 (the test sets LD_LIBRARY_PATH).

Exercises what pyzmq leans on: zmq_version gating, multipart, zero-copy frames whose free callback runs
on pyzmq's garbage-collector thread (which itself sends on an inproc socket), MessageTracker, the poller,
socket options, and zmq.asyncio, which drives ZMQ_FD / ZMQ_EVENTS from an asyncio event loop."""
import asyncio
import os
import threading
import sys

import zmq
import zmq.asyncio

lib = os.environ.get("LD_LIBRARY_PATH", "")
assert zmq.zmq_version_info()[:2] == (4, 3), zmq.zmq_version()


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def pair(ctx, a_type, b_type, transport):
    a = ctx.socket(a_type)
    b = ctx.socket(b_type)
    for s in (a, b):
        s.linger = 0
        s.rcvtimeo = 5000
        s.sndtimeo = 5000
    if transport == "tcp":
        port = a.bind_to_random_port("tcp://127.0.0.1")
        b.connect("tcp://127.0.0.1:%d" % port)
    elif transport == "ipc":
        path = "ipc:///tmp/zinc-pyzmq-%d-%d" % (os.getpid(), id(a))
        a.bind(path)
        b.connect(path)
    else:
        name = "inproc://pyzmq-%d" % id(a)
        a.bind(name)
        b.connect(name)
    return a, b


def test_pipeline(ctx):
    for transport in ("inproc", "ipc", "tcp"):
        pull, push = pair(ctx, zmq.PULL, zmq.PUSH, transport)
        frames = [b"", b"x" * 255, b"y" * 256, os.urandom(3 * 1024 * 1024)]
        push.send_multipart(frames)
        check(pull.recv_multipart() == frames, "multipart incl. empty, 255/256 and 3 MB frames over " + transport)
        sender = threading.Thread(target=lambda: [push.send(b"%d" % i) for i in range(10000)])
        sender.start()
        got = [pull.recv() for _ in range(10000)]
        sender.join()
        check(got == [b"%d" % i for i in range(10000)], "10,000 messages in order over " + transport)
        pull.close()
        push.close()


def test_zero_copy(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH, "tcp")
    payload = b"z" * 100000
    tracker = push.send(payload, copy=False, track=True)
    check(pull.recv() == payload, "zero-copy send arrives")
    tracker.wait(5)
    check(tracker.done, "MessageTracker completes (free callback ran on another thread)")
    push.send(b"q" * 5000, copy=False)
    msg = pull.recv(copy=False)
    check(msg.bytes == b"q" * 5000 and len(msg) == 5000, "zero-copy receive as a Frame")
    pull.close()
    push.close()


def test_poller_and_options(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH, "tcp")
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    check(poller.poll(50) == [], "poller times out with nothing to read")
    push.send(b"hi")
    check(dict(poller.poll(2000)).get(pull) == zmq.POLLIN, "poller sees POLLIN")
    check(pull.recv() == b"hi", "recv after poll")
    push.sndhwm = 77
    check(push.sndhwm == 77, "SNDHWM reads back")
    check(pull.getsockopt(zmq.TYPE) == zmq.PULL, "ZMQ_TYPE")
    check(pull.getsockopt(zmq.RCVMORE) == 0, "ZMQ_RCVMORE")
    check(pull.last_endpoint.startswith(b"tcp://127.0.0.1:"), "LAST_ENDPOINT")
    try:
        pull.send(b"x")
        check(False, "send on PULL must fail")
    except zmq.ZMQError as e:
        check(e.errno == zmq.ENOTSUP, "send on PULL fails with ENOTSUP")
    pull.close()
    push.close()


def test_asyncio(ctx_sync):
    async def main():
        actx = zmq.asyncio.Context.shadow(ctx_sync.underlying)
        pull = actx.socket(zmq.PULL)
        push = actx.socket(zmq.PUSH)
        pull.linger = push.linger = 0
        port = pull.bind_to_random_port("tcp://127.0.0.1")
        push.connect("tcp://127.0.0.1:%d" % port)

        async def sender():
            for i in range(2000):
                await push.send(b"%d" % i)
                if i % 100 == 0:
                    await asyncio.sleep(0)

        task = asyncio.ensure_future(sender())
        got = []
        for _ in range(2000):
            got.append(await asyncio.wait_for(pull.recv(), 5))
        await task
        pull.close()
        push.close()
        return got

    got = asyncio.run(main())
    check(got == [b"%d" % i for i in range(2000)], "zmq.asyncio (ZMQ_FD + ZMQ_EVENTS) delivers 2,000 messages")


ctx = zmq.Context()
test_pipeline(ctx)
test_zero_copy(ctx)
test_poller_and_options(ctx)
test_asyncio(ctx)
ctx.term()
print("pyzmq on", "zinc" if lib else "the system libzmq", ": all ok")
