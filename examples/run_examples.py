#!/usr/bin/python3
"""run_examples.py: runs one example's processes together and checks what they print and write (ctest).

    run_examples.py --bin DIR hello|weather|taskfarm|lbbroker|lbbroker_tcp|pyfarm

Every child's output goes to a file in a private temporary directory (no pipe can fill up and block a
child); endpoints are tcp://127.0.0.1:* (the servers print the port they got) or ipc:// in that directory,
so parallel ctest runs cannot collide. Children die with the driver (PR_SET_PDEATHSIG) and are killed on
any failure or timeout, so no process is left behind. Exit 0 on success, 1 on failure, 77 to skip.
"""
import argparse
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEADLINE = 60.0   # seconds for the whole example; ctest's timeout is longer so we can report and clean up
HERE = os.path.dirname(os.path.abspath(__file__))


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print("ok:", what, flush=True)


def die_with_parent():
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


class Children:
    """The example's processes: started with their output in files, waited for with a deadline, and killed
    (by pid, each one) if anything goes wrong."""

    def __init__(self, tmp, bin_dir):
        self.tmp, self.bin_dir, self.procs, self.start = tmp, bin_dir, [], time.monotonic()

    def run(self, name, argv, env=None):
        out = open(os.path.join(self.tmp, name + ".out"), "w")
        print("start %s: %s" % (name, " ".join(argv)), flush=True)
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=die_with_parent, env=env)
        out.close()
        proc.name = name
        self.procs.append(proc)
        return proc

    def remaining(self):
        return max(0.1, DEADLINE - (time.monotonic() - self.start))

    def output(self, proc):
        with open(os.path.join(self.tmp, proc.name + ".out")) as f:
            return f.read()

    def wait_line(self, proc, pattern):
        """Wait for a line of proc's output matching pattern (e.g. the endpoint it bound); returns the match."""
        while self.remaining() > 0.1:
            m = re.search(pattern, self.output(proc), re.M)
            if m:
                return m
            if proc.poll() is not None:
                raise Failure("%s exited (%d) before printing /%s/:\n%s" % (proc.name, proc.returncode,
                                                                               pattern, self.output(proc)))
            time.sleep(0.02)
        raise Failure("%s never printed /%s/" % (proc.name, pattern))

    def wait(self, proc, expect_rc=0):
        try:
            rc = proc.wait(timeout=self.remaining())
        except subprocess.TimeoutExpired:
            raise Failure("%s still running after the %.0f s deadline" % (proc.name, DEADLINE))
        out = self.output(proc)
        if rc != expect_rc:
            raise Failure("%s exited with %d, not %d:\n%s" % (proc.name, rc, expect_rc, indent(out)))
        print("ok: %s exited with %d" % (proc.name, rc), flush=True)
        return out

    def kill_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                print("killing %s (pid %d)" % (proc.name, proc.pid), flush=True)
                proc.kill()
                proc.wait()


def indent(text, limit=40):
    lines = text.splitlines()
    if len(lines) > limit:
        lines = lines[:limit // 2] + ["    ... %d lines ..." % (len(lines) - limit)] + lines[-limit // 2:]
    return "\n".join("    | " + line for line in lines)


# ---- the examples -----------------------------------------------------------------------------------------

def example_hello(kids, bin_dir, tmp):
    # tcp: the server binds a free port and prints it; two clients share the server.
    server = kids.run("hwserver", [bin_dir + "/hwserver", "--bind", "tcp://127.0.0.1:*", "--count", "20"])
    endpoint = kids.wait_line(server, r"^listening on (\S+)").group(1)
    clients = [kids.run("hwclient%d" % i, [bin_dir + "/hwclient", "--connect", endpoint, "--count", "10"])
               for i in range(2)]
    for c in clients:
        check("10 of 10 replies were World" in kids.wait(c), c.name + " got World for each of its 10 Hellos")
    check(kids.wait(server).count("received Hello") == 20, "hwserver answered 20 requests and exited")
    # ipc, client first: zmq_connect does not need the server to be there yet.
    endpoint = "ipc://%s/hello" % tmp
    client = kids.run("hwclient-early", [bin_dir + "/hwclient", "--connect", endpoint, "--count", "5"])
    time.sleep(0.3)
    server = kids.run("hwserver-late", [bin_dir + "/hwserver", "--bind", endpoint, "--count", "5"])
    check("5 of 5 replies were World" in kids.wait(client), "a client started before its server (ipc) works")
    kids.wait(server)


def example_weather(kids, bin_dir, tmp):
    server = kids.run("wuserver", [bin_dir + "/wuserver", "--bind", "tcp://127.0.0.1:*", "--zipcodes", "100",
                                   "--seconds", "40"])
    endpoint = kids.wait_line(server, r"^publishing on (\S+)").group(1)
    wanted = {"10001 ": 50, "1002": 200}   # one zipcode exactly; ten zipcodes 10020 .. 10029 by prefix
    clients = {prefix: kids.run("wuclient-%s" % prefix.strip(),
                                [bin_dir + "/wuclient", "--connect", endpoint, "--count", str(n), "--verbose", prefix])
               for prefix, n in wanted.items()}
    for prefix, client in clients.items():
        updates = re.findall(r"^update (.*)$", kids.wait(client), re.M)
        check(len(updates) == wanted[prefix], "wuclient '%s' received %d updates" % (prefix, wanted[prefix]))
        strays = [u for u in updates if not u.startswith(prefix)]
        check(not strays, "wuclient '%s' only ever received its prefix (strays: %s)" % (prefix, strays[:5]))
        zipcodes = {u.split()[0] for u in updates}
        if prefix == "1002":
            check(len(zipcodes) > 1 and zipcodes <= {"1002%d" % d for d in range(10)},
                  "prefix '1002' matched several zipcodes of 10020 .. 10029: %s" % sorted(zipcodes))
    server.send_signal(signal.SIGTERM)   # the publisher runs until told to stop; it exits cleanly on SIGTERM
    out = kids.wait(server)
    check(re.search(r"^published \d+ updates", out, re.M) is not None, "wuserver stopped cleanly on SIGTERM")


def run_farm(kids, tmp, vent, work, sink, workers=3, band=32):
    """Generate the images, run a farm (argv prefixes for each role), check outputs and load balancing."""
    in_dir, out_dir = os.path.join(tmp, "in"), os.path.join(tmp, "out")
    os.mkdir(in_dir)
    os.mkdir(out_dir)
    kids.wait(kids.run("mkimages", [kids.bin_dir + "/mkimages", in_dir]))
    images = sorted(os.path.join(in_dir, f) for f in os.listdir(in_dir))
    ends = {name: "ipc://%s/%s" % (tmp, name) for name in ("vent", "sink", "control")}
    sink_proc = kids.run("sink", sink(0) + ["--bind", ends["sink"], "--control", ends["control"], "--out", out_dir])
    kids.wait_line(sink_proc, r"^control on")
    inject_bad_results(kids, sink_proc, ends["sink"])
    worker_procs = [kids.run("worker%d" % i, work(i) + ["--connect", ends["vent"], "--sink", ends["sink"],
                                                         "--control", ends["control"], "--id", "worker-%d" % i])
                    for i in range(workers)]
    vent_proc = kids.run("vent", vent(0) + ["--bind", ends["vent"], "--band", str(band), "--workers",
                                            str(workers)] + images)
    vent_out = kids.wait(vent_proc)
    tasks = int(re.search(r"^sent (\d+) tasks", vent_out, re.M).group(1))
    sink_out = kids.wait(sink_proc)
    print(indent(sink_out), flush=True)
    done = {}
    for w in worker_procs:
        m = re.search(r"^(\S+): (\d+) tasks done", kids.wait(w), re.M)
        check(m is not None, "%s stopped on KILL and said how many tasks it did" % w.name)
        done[m.group(1)] = int(m.group(2))
    counted = {w: int(n) for w, n in re.findall(r"^  (\S+): (\d+) tasks$", sink_out, re.M)}
    check(sum(done.values()) == tasks and counted == {w: n for w, n in done.items() if n},
          "the sink counted the %d tasks per worker as the workers did: %s" % (tasks, done))
    check(all(n > 0 for n in done.values()), "every worker got a share of the tasks (load balancing)")
    check(re.search(r"images/s, [\d.]+ MB/s", sink_out) is not None, "the sink printed its throughput")
    for path in images:
        check_output(path, os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0] + "-small.pgm"))
    return sink_out


BAD_RESULTS = [
    [b"RESULT worker=w image=0 images=1 tasks=1 name=x.ppm width=2 height=2 row=0 rows=2 inbytes=16", b"abc"],
    [b"RESULT worker=w image=0 images=1 tasks=1 name=../evil.ppm width=2 height=1 row=0 rows=1 inbytes=8", b"ab"],
    [b"RESULT worker=w image=3 images=1 tasks=1 name=x.ppm width=2 height=1 row=0 rows=1 inbytes=8", b"ab"],
    [b"RESULT worker=w image=0 images=1 tasks=1 name=x.ppm width=2 height=1 row=1 rows=1 inbytes=8", b"ab"],
    [b"RESULT worker=w image=0 images=1 tasks=1 name=x.ppm width=2 height=1 row=0 rows=1 inbytes=8"],
    [b"RESULT nonsense", b""],
]


def inject_bad_results(kids, sink_proc, endpoint):
    """Before the farm starts, send the sink malformed results (wrong sizes, a path in the name, an image out
    of range, a band past the end, a missing frame, garbage): it must ignore each one and still finish."""
    try:
        import zmq
    except ImportError:
        print("(pyzmq missing: the sink is not sent malformed results)")
        return
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.connect(endpoint)
    for frames in BAD_RESULTS:
        push.send_multipart(frames)
    push.close(linger=5000)
    ctx.term()
    while kids.output(sink_proc).count("bad result ignored") < len(BAD_RESULTS):
        if kids.remaining() < 1 or sink_proc.poll() is not None:
            raise Failure("the sink did not report the %d bad results" % len(BAD_RESULTS))
        time.sleep(0.02)
    print("ok: the sink ignored %d malformed results" % len(BAD_RESULTS), flush=True)


def example_taskfarm(kids, bin_dir, tmp):
    run_farm(kids, tmp, vent=lambda i: [bin_dir + "/taskvent"], work=lambda i: [bin_dir + "/taskwork"],
             sink=lambda i: [bin_dir + "/tasksink"])


def example_pyfarm(kids, bin_dir, tmp):
    python = ["/usr/bin/python3", os.path.join(HERE, "python", "taskfarm.py")]
    # Python vent and sink; two Python workers and one C worker, to show the protocols are the same.
    run_farm(kids, tmp, vent=lambda i: python + ["vent"], sink=lambda i: python + ["sink"],
             work=lambda i: [bin_dir + "/taskwork"] if i == 2 else python + ["work"])
    expect = os.environ.get("ZINC_EXPECT", "zinc")
    for proc in kids.procs:
        if proc.args[0] == "/usr/bin/python3":
            m = re.search(r"^pyzmq \S+ on (zinc|libzmq) .*\((.*)\)$", kids.output(proc), re.M)
            check(m is not None and m.group(1) == expect,
                  "%s: pyzmq ran on %s (%s)" % (proc.name, m and m.group(1), m and m.group(2)))


def example_lbbroker(kids, bin_dir, tmp, extra=()):
    out = kids.wait(kids.run("lbbroker", [bin_dir + "/lbbroker", "--clients", "10", "--workers", "3",
                                          "--requests", "20"] + list(extra)))
    print(indent(out), flush=True)
    check("200 of 200 replies came back to the client that asked" in out, "every client got its own replies")
    handled = [int(n) for n in re.findall(r"^worker-\d+ handled (\d+) requests$", out, re.M)]
    check(len(handled) == 3 and sum(handled) == 200 and min(handled) > 0,
          "the 3 workers shared the 200 requests: %s" % handled)


def example_lbbroker_tcp(kids, bin_dir, tmp):
    example_lbbroker(kids, bin_dir, tmp, ["--tcp"])


# ---- the independent reference for the farm's output ---------------------------------------------------

def read_netpbm(path):
    """Header tokens then raster, written independently of the examples' readers."""
    with open(path, "rb") as f:
        data = f.read()
    tokens, pos = [], 0
    while len(tokens) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        tokens.append(data[pos:end])
        pos = end
    magic, width, height = tokens[0], int(tokens[1]), int(tokens[2])
    channels = {b"P5": 1, b"P6": 3}[magic]
    return width, height, channels, data[pos + 1:pos + 1 + width * height * channels], len(data) - pos - 1


def check_output(src, dst):
    width, height, channels, raster, _ = read_netpbm(src)
    check(os.path.exists(dst), "%s exists" % os.path.basename(dst))
    ow, oh, oc, got, raster_len = read_netpbm(dst)
    check((ow, oh, oc, raster_len) == (width // 2, height // 2, 1, ow * oh),
          "%s is %dx%d grey (%dx%d input)" % (os.path.basename(dst), ow, oh, width, height))

    def grey(x, y):
        i = (y * width + x) * channels
        if channels == 1:
            return raster[i]
        return (77 * raster[i] + 150 * raster[i + 1] + 29 * raster[i + 2] + 128) // 256

    want = bytearray(ow * oh)
    for y in range(oh):
        for x in range(ow):
            total = grey(2 * x, 2 * y) + grey(2 * x + 1, 2 * y) + grey(2 * x, 2 * y + 1) + grey(2 * x + 1, 2 * y + 1)
            want[y * ow + x] = (total + 2) // 4
    bad = sum(1 for a, b in zip(got, want) if a != b)
    check(bad == 0, "%s matches the reference grey + 2x2 downscale (%d bytes differ)" % (os.path.basename(dst), bad))


# ---- main --------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="directory of the built example programs")
    parser.add_argument("example", choices=[n[len("example_"):] for n in globals() if n.startswith("example_")])
    args = parser.parse_args()
    if args.example == "pyfarm" and subprocess.run(["/usr/bin/python3", "-c", "import zmq"]).returncode != 0:
        print("pyzmq (python3-zmq) is not installed: skipped")
        return 77
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("run_examples: SIGTERM"))

    # /tmp rather than $TMPDIR: an ipc:// path must fit in 107 bytes
    tmp = tempfile.mkdtemp(prefix="zinc-ex-", dir="/tmp" if os.path.isdir("/tmp") else None)
    kids = Children(tmp, os.path.abspath(args.bin))
    started = time.monotonic()
    try:
        globals()["example_" + args.example](kids, kids.bin_dir, tmp)
        print("example %s: passed in %.2f s" % (args.example, time.monotonic() - started))
        return 0
    except Failure as e:
        print("FAIL:", e)
        for proc in kids.procs:
            print("---- %s (%s)\n%s" % (proc.name, "running" if proc.poll() is None else "exit %d" % proc.returncode,
                                       indent(kids.output(proc))))
        return 1
    finally:
        kids.kill_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
