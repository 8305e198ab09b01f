#!/usr/bin/env python3
"""The browser test (ctest example_ws_browser): starts examples/ws/server.c on ephemeral ports, opens
index.html in headless chromium pointed at its two ws:// endpoints, and passes when the server says the
page received the published ticks and correct replies (the server's exit status). Exits 77 (skipped) only
when no chromium is installed; kills chromium's whole process group whatever happens.

    run_browser.py SERVER_BINARY [--count N]
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

DEADLINE = 60          # seconds for the whole test, below ctest's timeout
COUNT = 20


def main():
    server_bin = sys.argv[1]
    count = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--count" else COUNT
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("example_ws_browser: chromium is not installed (apt-get install chromium): skipped")
        return 77
    page = os.path.join(os.path.dirname(os.path.abspath(__file__)), "index.html")
    server = subprocess.Popen([server_bin, "--count", str(count), "--timeout-ms", str((DEADLINE - 10) * 1000)],
                              stdout=subprocess.PIPE, text=True)
    endpoints = {}
    for _ in range(2):
        line = server.stdout.readline().split()
        if len(line) == 2:
            endpoints[line[0]] = line[1]
    if set(endpoints) != {"pub", "rep"}:
        server.kill()
        server.wait()
        print("example_ws_browser: the server did not print its endpoints")
        return 1
    query = urllib.parse.urlencode({"pub": endpoints["pub"], "rep": endpoints["rep"], "n": count})
    url = "file://" + page + "?" + query
    print("endpoints:", endpoints["pub"], endpoints["rep"])
    profile = tempfile.mkdtemp(prefix="zinc-ws-chromium-")
    env = dict(os.environ, HOME=profile)
    log = open(os.path.join(profile, "chromium.log"), "w")
    browser = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--disable-dev-shm-usage", "--user-data-dir=" + os.path.join(profile, "data"),
                                url], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    rc = 1
    try:
        out, _ = server.communicate(timeout=DEADLINE)
        print(out, end="")
        rc = server.returncode
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        print("example_ws_browser: the server did not finish in time")
    finally:
        try:
            os.killpg(browser.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        browser.wait()
        log.close()
        if rc != 0:
            with open(os.path.join(profile, "chromium.log")) as f:
                print("chromium's output:\n" + f.read()[-3000:])
        shutil.rmtree(profile, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
