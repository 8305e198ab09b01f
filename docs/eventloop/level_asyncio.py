"""ZINC_POLLIN_FD with asyncio: loop.add_reader on the fd (asyncio's selector is level-triggered), the
callback receives until zmq.Again. Runs with pyzmq on zinc's libzmq.so.5:
    LD_LIBRARY_PATH=/path/to/zinc/build python3 level_asyncio.py
"""
import asyncio
import sys

import zmq

ZINC_POLLIN_FD = 0x7A690001  # from zinc's zmq.h; pyzmq reads an option number it does not know as an int


def on_messages(loop, sock, handle, stats):
    """Calls handle(frames) for every message sock receives; returns a function that stops watching."""
    try:
        fd = sock.getsockopt(ZINC_POLLIN_FD)
    except zmq.ZMQError:
        sys.exit("ZINC_POLLIN_FD: not running on zinc (libzmq says EINVAL)")

    def readable():
        received = 0
        while True:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                stats["empty"] += received == 0  # woken for nothing (rare: a new connection)
                return  # drained: the fd is unreadable until the next message
            received += 1
            handle(frames)

    loop.add_reader(fd, readable)
    return lambda: loop.remove_reader(fd)  # call before sock.close(): zmq_close closes the fd


async def main():
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect("tcp://127.0.0.1:%d" % port)

    loop = asyncio.get_running_loop()
    replies = []
    done = loop.create_future()

    def echo(frames):  # the server, in the same loop: sending needs no ZMQ_EVENTS afterwards
        router.send_multipart(frames)

    def reply(frames):
        replies.append(int(frames[0]))
        if len(replies) == 1000 and not done.done():
            done.set_result(None)

    stats = {"empty": 0}
    stop_router = on_messages(loop, router, echo, stats)
    stop_dealer = on_messages(loop, dealer, reply, stats)
    for i in range(1000):
        dealer.send(b"%d" % i)
        if i % 50 == 49:
            await asyncio.sleep(0.001)
    await asyncio.wait_for(done, 10)
    await asyncio.sleep(0.1)  # a drained socket's fd stays quiet: the loop sleeps, it does not spin

    stop_router()
    stop_dealer()
    for s in (router, dealer):
        s.close(linger=0)
    ctx.term()
    assert replies == list(range(1000)), "replies out of order or missing"
    assert stats["empty"] <= 2, "%d wake-ups with nothing to receive" % stats["empty"]
    print("level_asyncio: 1000 requests, 1000 replies, %d wake-ups with nothing to receive" % stats["empty"])


if __name__ == "__main__":
    asyncio.run(main())
