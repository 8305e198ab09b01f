#!/usr/bin/python3
"""The "Python users" benchmark (issue 9, item 4): Debian's pyzmq, unchanged, over whichever libzmq.so.5 the
dynamic loader gives it. bench/run runs it once with LD_LIBRARY_PATH naming zinc's build directory and once
without (the system libzmq 4.3.4), and checks here, in /proc/self/maps, that each side loaded its own library.

    /usr/bin/python3 pyzmq_bench.py [-t seconds] [--expect FILE] [--reject FILE] thr|asyncio tcp size count

thr      PUSH -> PULL stream between two processes, plain blocking send(bytes) / recv(): messages/s, timed by
         the receiver from the first message to the last.
asyncio  zmq.asyncio ping-pong between two processes: a DEALER awaits each echo of a ROUTER (both on asyncio
         event loops); after a warm-up each round trip is timed on its own: median and p99 in us.

Prints one line of key=value fields like the C programs (bench/README.md), then a usage line (both processes
summed); "error: why" on stderr and exit 1 on failure; "skip: why" and exit 77 when pyzmq is not installed.
"""

import argparse
import asyncio
import importlib.util
import os
import resource
import statistics
import struct
import sys
import threading
import time

SKIP_STATUS = 77
STAMP = struct.Struct("<Q")   # every message starts with its sequence number (fewer bytes if it is shorter)
zmq = None                    # imported in load_zmq(), after the arguments are known


def fail(why):
    sys.stderr.write(f"error: {why}\n")
    sys.stderr.flush()
    os._exit(1)


def watchdog(seconds, what):
    """Ends this process after `seconds`: pyzmq's blocking calls wait in C with the GIL released, so a
    timer thread still runs."""
    t = threading.Timer(seconds, lambda: fail(f"{what}: timeout after {seconds} s"))
    t.daemon = True
    t.start()


# ---- which libzmq.so.5 is this process running on? ----------------------------------------------------

def loaded_libzmq():
    """The real paths of every libzmq shared object mapped into this process."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) == 6 and os.path.basename(parts[5].strip()).startswith("libzmq.so"):
                libs.add(os.path.realpath(parts[5].strip()))
    return libs


def load_zmq(expect, reject):
    """Import pyzmq and make sure it runs on the intended library. Returns the library's path."""
    global zmq
    if importlib.util.find_spec("zmq") is None:
        sys.stderr.write(f"skip: pyzmq is not installed for {sys.executable} (Debian: python3-zmq)\n")
        sys.exit(SKIP_STATUS)
    try:
        import zmq as imported
        import zmq.asyncio  # noqa: F401  (checked here so a missing symbol fails before anything is timed)
    except ImportError as e:   # installed, but does not load on this libzmq.so.5 (a missing symbol?)
        fail(f"import zmq: {e}")
    zmq = imported
    libs = loaded_libzmq()
    if len(libs) != 1:
        fail(f"expected one libzmq mapped, found {sorted(libs) or 'none'}")
    lib = libs.pop()
    if expect and lib != os.path.realpath(expect):
        fail(f"pyzmq loaded {lib}, not {os.path.realpath(expect)} (LD_LIBRARY_PATH="
             f"{os.environ.get('LD_LIBRARY_PATH', '')})")
    if reject and lib == os.path.realpath(reject):
        fail(f"pyzmq loaded {lib}, the other side's library")
    return lib


# ---- two processes: the parent times, the child is the other end -------------------------------------

class Usage:
    """getrusage(RUSAGE_SELF) over a window: the whole process, the library's I/O threads included."""

    def __init__(self):
        self.start = resource.getrusage(resource.RUSAGE_SELF)

    def since(self):
        now = resource.getrusage(resource.RUSAGE_SELF)
        return (now.ru_nvcsw - self.start.ru_nvcsw, now.ru_nivcsw - self.start.ru_nivcsw,
                (now.ru_utime + now.ru_stime) - (self.start.ru_utime + self.start.ru_stime))


def read_line(fd):
    """One line from a pipe, without its newline; fails on end of file (the other end died)."""
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = os.read(fd, 1)
        if not chunk:
            fail("the other process ended early")
        buf += chunk
    return buf[:-1].decode()


def fork_end(child_fn, timeout):
    """Runs child_fn(up, down) in a child process (it writes to `up`, reads `down`). No context exists yet,
    so forking is safe. Returns (pid, up read end, down write end)."""
    up_r, up_w = os.pipe()
    down_r, down_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(up_r)
        os.close(down_w)
        watchdog(timeout, "child")
        try:
            child_fn(up_w, down_r)
        except BaseException as e:  # noqa: B902  (anything: the child must not return into the parent's code)
            fail(f"child: {type(e).__name__}: {e}")
        os._exit(0)
    os.close(up_w)
    os.close(down_r)
    watchdog(timeout, "parent")
    threading.Thread(target=watch_child, args=(pid,), daemon=True).start()
    return pid, up_r, down_w


def watch_child(pid):
    """Fails at once when the child fails (it has printed its error) rather than at the timeout."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:
        return    # finish_child() has reaped it
    if info.si_code != os.CLD_EXITED or info.si_status != 0:
        fail("the other process failed")


def finish_child(pid, up_r):
    """The child's usage (it writes it as it ends), then its exit status."""
    child = [float(x) for x in read_line(up_r).split()]
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        fail(f"the other process failed (status {status})")
    return child


def print_usage(name, mine, child, count):
    vcsw, ivcsw, cpu = mine[0] + child[0], mine[1] + child[1], mine[2] + child[2]
    print(f"{name} usage vcsw={vcsw:.0f} ivcsw={ivcsw:.0f} cpu_s={cpu:.3f} vcsw_per_msg={vcsw / count:.3f} "
          f"ivcsw_per_msg={ivcsw / count:.3f} cpu_us_per_msg={cpu / count * 1e6:.3f}")


def stamp(i, size, pad):
    return STAMP.pack(i)[:size] + pad


def stamp_ok(msg, i, size):
    return len(msg) == size and msg[:8] == STAMP.pack(i)[:size]


# ---- thr: PUSH -> PULL ---------------------------------------------------------------------------------

def thr_sender(args, up, down):
    endpoint = read_line(down)
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.connect(endpoint)
    usage = Usage()
    pad = bytes(max(0, args.size - STAMP.size))
    for i in range(args.count):
        push.send(stamp(i, args.size, pad))
    read_line(down)   # the receiver has the last message: no reliance on ZMQ_LINGER
    push.close(linger=0)
    ctx.term()
    os.write(up, ("%d %d %f\n" % usage.since()).encode())


def thr(args, lib):
    pid, up, down = fork_end(lambda u, d: thr_sender(args, u, d), args.t)
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.bind(f"{args.transport}://127.0.0.1:*")
    os.write(down, (pull.getsockopt_string(zmq.LAST_ENDPOINT) + "\n").encode())
    size, count = args.size, args.count
    msg = pull.recv()
    start = time.perf_counter()   # the clock and the usage start at the first message, as in thr.c
    usage = Usage()
    for i in range(count):
        if i:
            msg = pull.recv()
        if not stamp_ok(msg, i, size):
            fail(f"message {i} has {len(msg)} bytes or is not the one sent in that place (lost, repeated "
                 f"or reordered)")
    elapsed = time.perf_counter() - start
    mine = usage.since()
    os.write(down, b"d\n")
    child = finish_child(pid, up)
    pull.close(linger=0)
    ctx.term()
    rate = (count - 1) / elapsed if count > 1 and elapsed > 0 else 0
    print(f"pyzmq_thr transport={args.transport} size={size} count={count} elapsed_s={elapsed:.4f} "
          f"msgs_s={rate:.0f} mb_s={rate * size / 1e6:.2f} lib={lib}")
    print_usage("pyzmq_thr", mine, child, count)


# ---- asyncio: DEALER <-> ROUTER ping-pong --------------------------------------------------------------

def warmup_of(count):
    return min(1000, max(10, count // 10))   # as bench_latency_warmup() in bench.c


def asyncio_server(args, up, down):
    async def serve():
        router = ctx.socket(zmq.ROUTER)
        router.bind(f"{args.transport}://127.0.0.1:*")
        os.write(up, (router.getsockopt_string(zmq.LAST_ENDPOINT) + "\n").encode())
        for _ in range(warmup_of(args.count) + args.count):
            await router.send_multipart(await router.recv_multipart())
        read_line(down)   # the client has the last echo
        router.close(linger=0)

    usage = Usage()
    ctx = zmq.asyncio.Context()
    asyncio.run(serve())
    ctx.term()
    os.write(up, ("%d %d %f\n" % usage.since()).encode())


async def asyncio_client(args, ctx, endpoint, down):
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(endpoint)
    size, warmup = args.size, warmup_of(args.count)
    pad = bytes(max(0, size - STAMP.size))
    samples = []
    usage = None
    for i in range(warmup + args.count):
        if i == warmup:
            usage = Usage()
        msg = stamp(i, size, pad)
        start = time.perf_counter_ns()
        await dealer.send(msg)
        reply = await dealer.recv()
        samples.append(time.perf_counter_ns() - start)
        if not stamp_ok(reply, i, size):
            fail(f"reply {i} does not echo its request")
    mine = usage.since()
    os.write(down, b"d\n")   # the server may close now
    dealer.close(linger=0)
    return samples[warmup:], mine


def asyncio_lat(args, lib):
    pid, up, down = fork_end(lambda u, d: asyncio_server(args, u, d), args.t)
    endpoint = read_line(up)
    ctx = zmq.asyncio.Context()
    samples, mine = asyncio.run(asyncio_client(args, ctx, endpoint, down))
    child = finish_child(pid, up)
    ctx.term()
    samples.sort()
    n = len(samples)
    p99 = samples[int((n - 1) * 0.99 + 0.5)]
    print(f"pyzmq_asyncio transport={args.transport} size={args.size} count={n} "
          f"median_us={statistics.median(samples) / 1e3:.2f} p99_us={p99 / 1e3:.2f} "
          f"mean_us={sum(samples) / n / 1e3:.2f} min_us={samples[0] / 1e3:.2f} max_us={samples[-1] / 1e3:.2f} "
          f"rtt_s={n / (sum(samples) / 1e9):.0f} lib={lib}")
    print_usage("pyzmq_asyncio", mine, child, n)


def main():
    ap = argparse.ArgumentParser(description="pyzmq on zinc or libzmq (bench/README.md)")
    ap.add_argument("-t", type=int, default=30, help="seconds before the run fails (default 30)")
    ap.add_argument("--expect", metavar="FILE", help="fail unless pyzmq loads this libzmq.so.5")
    ap.add_argument("--reject", metavar="FILE", help="fail if pyzmq loads this libzmq.so.5")
    ap.add_argument("mode", choices=("thr", "asyncio"))
    ap.add_argument("transport", choices=("tcp",))
    ap.add_argument("size", type=int)
    ap.add_argument("count", type=int)
    args = ap.parse_args()
    if not 1 <= args.size <= 65536 or args.count < 1:
        ap.error("size is 1 to 65536, count at least 1")
    lib = load_zmq(args.expect, args.reject)
    sys.stdout.flush()   # nothing buffered may be written twice by the forked child
    (thr if args.mode == "thr" else asyncio_lat)(args, lib)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
