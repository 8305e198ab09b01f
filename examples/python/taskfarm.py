#!/usr/bin/python3
"""taskfarm.py: the image task farm of taskvent.c / taskwork.c / tasksink.c, in Python with pyzmq.

Pattern: pipeline (PUSH/PULL) with a kill signal (PUB/SUB), the "divide and conquer" task farm:

    vent (PUSH, bind)  -- tasks, dealt round-robin -->  work (PULL ... PUSH)  -- results, fair-queued -->
    sink (PULL, bind);  sink (PUB, bind) -- "KILL" when the batch is done --> every work (SUB)

It speaks exactly the wire protocol of the C programs (see farm.h), so C and Python parts can be mixed:
a Python vent and sink with C workers, or the other way round. Each message is a text header frame and a
pixel frame; the work is grey = (77 R + 150 G + 29 B + 128) >> 8, then a 2x2 box average (a+b+c+d+2) >> 2.

Usage:
    taskfarm.py sink --bind ENDPOINT --control ENDPOINT --out DIR
    taskfarm.py work --connect VENT --sink SINK --control CONTROL [--id NAME]
    taskfarm.py vent --bind ENDPOINT --workers N [--band ROWS] IMAGE...
Every role first prints which libzmq pyzmq is running on (zinc or libzmq, and the file it was loaded from).
"""
import argparse
import ctypes
import os
import re
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message

NAME_OK = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}$")
TASK = re.compile(rb"^TASK image=(\d+) images=(\d+) tasks=(\d+) name=(\S+) width=(\d+) height=(\d+) "
                  rb"channels=(\d+) row=(\d+) rows=(\d+)$")
RESULT = re.compile(rb"^RESULT worker=(\S+) image=(\d+) images=(\d+) tasks=(\d+) name=(\S+) width=(\d+) "
                    rb"height=(\d+) row=(\d+) rows=(\d+) inbytes=(\d+)$")
MAX_SIDE = 16384
FARM_HEADER_MAX = 256


def read_image(path):
    """A careful P5/P6 reader: returns (width, height, channels, pixels) or raises ValueError."""
    with open(path, "rb") as f:
        data = f.read(64 << 20)
    if data[:2] not in (b"P5", b"P6") or len(data) < 3 or not data[2:3].isspace():
        raise ValueError("%s: not a binary PGM/PPM" % path)
    fields, pos = [], 2
    while len(fields) < 3:
        while pos < len(data) and (data[pos:pos + 1].isspace() or data[pos:pos + 1] == b"#"):
            if data[pos:pos + 1] == b"#":
                while pos < len(data) and data[pos:pos + 1] not in (b"\n", b"\r"):
                    pos += 1
            else:
                pos += 1
        start = pos
        while pos < len(data) and data[pos:pos + 1].isdigit() and pos - start < 6:
            pos += 1
        if pos == start:
            raise ValueError("%s: bad header" % path)
        fields.append(int(data[start:pos]))
    width, height, maxval = fields
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE) or maxval != 255:
        raise ValueError("%s: unsupported size or maxval" % path)
    if pos >= len(data) or not data[pos:pos + 1].isspace():
        raise ValueError("%s: no whitespace after maxval" % path)
    channels = 3 if data[1:2] == b"6" else 1
    raster = data[pos + 1:pos + 1 + width * height * channels]
    if len(raster) != width * height * channels:
        raise ValueError("%s: truncated raster" % path)
    return width, height, channels, raster


def shrink_band(width, rows, channels, pixels):
    """The work: grey, then a 2x2 box average. Returns (width // 2) * (rows // 2) bytes."""
    if channels == 3:
        grey = bytes((77 * r + 150 * g + 29 * b + 128) >> 8
                     for r, g, b in zip(pixels[0::3], pixels[1::3], pixels[2::3]))
    else:
        grey = pixels
    half = width // 2
    out = bytearray()
    for y in range(0, rows - 1, 2):
        top, bottom = grey[y * width:(y + 1) * width], grey[(y + 1) * width:(y + 2) * width]
        out += bytes((a + b + c + d + 2) >> 2 for a, b, c, d in
                     zip(top[0:2 * half:2], top[1:2 * half:2], bottom[0:2 * half:2], bottom[1:2 * half:2]))
    return bytes(out)


def band_starts(width, height, band):
    """First rows of an image's bands: even rows only (an odd last row is dropped), `band` rows each."""
    return range(0, height & ~1, band) if width >= 2 else range(0)


def vent(args, ctx):
    for path in args.images:
        if not NAME_OK.match(os.path.basename(path)):
            sys.exit("vent: %s: use a plain file name" % path)
    try:
        images = [read_image(path) for path in args.images]
    except (OSError, ValueError) as e:
        sys.exit("vent: %s" % e)
    tasks = sum(len(band_starts(width, height, args.band)) for width, height, _, _ in images)
    sender = ctx.socket(zmq.PUSH)
    sender.bind(args.bind)
    print("ventilating on", sender.last_endpoint.decode(), flush=True)

    # PUSH deals only to the workers connected now: wait until all of them have completed the handshake.
    monitor = sender.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    ready = 0
    while ready < args.workers and monitor.poll(10000):
        recv_monitor_message(monitor)
        ready += 1
    sender.disable_monitor()
    monitor.close()
    print("%d of %d workers connected" % (ready, args.workers), flush=True)
    if ready < args.workers:
        sys.exit(1)

    sent = 0
    for i, (path, (width, height, channels, pixels)) in enumerate(zip(args.images, images)):
        stride = width * channels
        for row in band_starts(width, height, args.band):
            rows = min(args.band, (height & ~1) - row)
            header = "TASK image=%d images=%d tasks=%d name=%s width=%d height=%d channels=%d row=%d rows=%d" % (
                i, len(images), tasks, os.path.basename(path), width, height, channels, row, rows)
            sender.send_multipart([header.encode(), pixels[row * stride:(row + rows) * stride]])
            sent += 1
    print("sent %d tasks for %d images" % (sent, len(images)), flush=True)
    sender.close(linger=-1)   # deliver every queued task before the context ends


def work(args, ctx):
    # The controller first, so that our subscription to "KILL" reaches the sink before any task reaches us.
    controller = ctx.socket(zmq.SUB)
    controller.setsockopt(zmq.SUBSCRIBE, b"KILL")
    controller.connect(args.control)
    receiver = ctx.socket(zmq.PULL)
    receiver.connect(args.connect)
    sender = ctx.socket(zmq.PUSH)
    sender.connect(args.sink)

    poller = zmq.Poller()
    poller.register(receiver, zmq.POLLIN)
    poller.register(controller, zmq.POLLIN)
    done = 0
    while True:
        events = dict(poller.poll())
        if receiver in events:
            frames = receiver.recv_multipart()
            m = TASK.match(frames[0]) if len(frames) == 2 else None
            if m:
                name = m.group(4)
                image, images, tasks, width, height, channels, row, rows = map(int, m.group(1, 2, 3, 5, 6, 7, 8, 9))
                pixels = frames[1]
            if not m or channels not in (1, 3) or rows % 2 or row % 2 or len(pixels) != width * rows * channels:
                print("work: malformed task skipped", file=sys.stderr)
                continue
            out = shrink_band(width, rows, channels, pixels)
            reply = "RESULT worker=%s image=%d images=%d tasks=%d name=%s width=%d height=%d row=%d rows=%d " \
                    "inbytes=%d" % (args.id, image, images, tasks, name.decode(), width // 2, height // 2,
                                    row // 2, rows // 2, len(pixels))
            sender.send_multipart([reply.encode(), out])
            done += 1
        if controller in events:
            break
    print("%s: %d tasks done" % (args.id, done), flush=True)
    # Every result has reached the sink (it said KILL after the last one), so nothing is left to deliver.
    # Keep the SUB socket's default linger of 0: once the sink has gone, libzmq queues the subscription again
    # for it, and with linger=-1 ctx.term() would wait for that forever.
    for s in (receiver, sender, controller):
        s.close()


def sink(args, ctx):
    receiver = ctx.socket(zmq.PULL)
    receiver.bind(args.bind)
    print("collecting on", receiver.last_endpoint.decode(), flush=True)
    controller = ctx.socket(zmq.PUB)
    controller.bind(args.control)
    print("control on", controller.last_endpoint.decode(), flush=True)

    outputs, per_worker, received, inbytes, total, start = {}, {}, 0, 0, None, None
    while total is None or received < total:
        frames = receiver.recv_multipart()
        start = start or time.monotonic()   # the clock starts at the first result, as in tasksink.c
        m = RESULT.match(frames[0]) if len(frames) == 2 else None
        if not m or not NAME_OK.match(m.group(5).decode()):
            print("sink: bad result ignored:", frames[0][:FARM_HEADER_MAX], file=sys.stderr)
            continue
        worker, name, pixels = m.group(1).decode(), m.group(5).decode(), frames[1]
        image, images, tasks, width, height, row, rows, nbytes = map(int, m.group(2, 3, 4, 6, 7, 8, 9, 10))
        if row + rows > height or len(pixels) != width * rows or image >= images:
            print("sink: bad result ignored:", frames[0][:FARM_HEADER_MAX], file=sys.stderr)
            continue
        total = tasks
        out = outputs.setdefault(image, {"name": name, "width": width, "height": height,
                                         "pixels": bytearray(width * height), "rows": set()})
        out["pixels"][row * width:(row + rows) * width] = pixels
        out["rows"].update(range(row, row + rows))
        received, inbytes = received + 1, inbytes + nbytes
        per_worker[worker] = per_worker.get(worker, 0) + 1
        if len(out["rows"]) == height:
            path = os.path.join(args.out, os.path.splitext(name)[0] + "-small.pgm")
            with open(path, "wb") as f:
                f.write(b"P5\n%d %d\n255\n" % (width, height) + out["pixels"])
            print("wrote %s (%dx%d)" % (path, width, height), flush=True)
    elapsed = max(time.monotonic() - start, 1e-6)
    print("%d images, %d tasks in %.3f s: %.1f images/s, %.1f MB/s" % (
        len(outputs), total, elapsed, len(outputs) / elapsed, inbytes / 1e6 / elapsed))
    for worker, count in per_worker.items():
        print("  %s: %d tasks" % (worker, count))
    controller.send(b"KILL")
    receiver.close()
    controller.close(linger=-1)


def which_libzmq():
    """Which libzmq.so pyzmq loaded (from /proc/self/maps): (path, "zinc 0.1.0" or "libzmq 4.3.4"). zinc
    exports zinc_version(); libzmq does not."""
    with open("/proc/self/maps") as maps:
        paths = [line.split()[-1] for line in maps if "libzmq.so" in line]
    if not paths:
        return "not found", "libzmq " + zmq.zmq_version()
    lib = ctypes.CDLL(paths[0])   # the library already mapped: dlopen returns the same one
    if not hasattr(lib, "zinc_version"):
        return paths[0], "libzmq " + zmq.zmq_version()
    lib.zinc_version.restype = ctypes.c_char_p
    version = lib.zinc_version().decode()   # "zinc 0.1.0"
    return paths[0], version if version.startswith("zinc") else "zinc " + version


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    roles = parser.add_subparsers(dest="role", required=True)
    p = roles.add_parser("vent")
    p.add_argument("--bind", default="tcp://*:5557")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--band", type=int, default=64)
    p.add_argument("images", nargs="+")
    p = roles.add_parser("work")
    p.add_argument("--connect", default="tcp://localhost:5557")
    p.add_argument("--sink", default="tcp://localhost:5558")
    p.add_argument("--control", default="tcp://localhost:5559")
    p.add_argument("--id", default="pyworker-%d" % os.getpid())
    p = roles.add_parser("sink")
    p.add_argument("--bind", default="tcp://*:5558")
    p.add_argument("--control", default="tcp://*:5559")
    p.add_argument("--out", default=".")
    args = parser.parse_args()
    if args.role == "vent" and (args.band < 2 or args.band % 2):
        parser.error("--band must be even")

    path, library = which_libzmq()
    print("pyzmq %s on %s (%s)" % (zmq.__version__, library, path), flush=True)
    ctx = zmq.Context()
    {"vent": vent, "work": work, "sink": sink}[args.role](args, ctx)
    ctx.term()


if __name__ == "__main__":
    main()
