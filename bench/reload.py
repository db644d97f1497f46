#!/usr/bin/env python3
"""Live policy changes in a running policy-server (bench/reload.sh runs it).

    reload.py latency <policies.yml> <base policies text> <port> <rounds>
        Rewrites <policies.yml> with the "knob" policy's settings changed, and polls
        POST /validate/knob (HTTPS keep-alive, every 2 ms) until the answer carries the new
        setting: the time from the write to the change being served. Prints median and max.

    reload.py storm <policies.yml> <base policies text> <count> <interval ms> <server pid>
        Rewrites the file <count> times, <interval ms> apart, alternating a setting of the knob
        and the mode of clusterwide-drop-capabilities (a policy under load), and prints the
        server's RSS before and after.

Everything talks to 127.0.0.1 only; the certificate is not verified (self-signed).
"""
import http.client
import json
import os
import ssl
import statistics
import sys
import time

REVIEW = open(os.path.join(os.path.dirname(__file__), "..", "tests", "data", "requests",
                           "pod_plain.json"), "rb").read()
BODY = b'{"request":' + REVIEW + b"}"


def knob(base, i, monitor=False):
    text = base + "knob:\n  module: %s\n  settings: {reject: \"setting %d\"}\n" % (KNOB_MODULE, i)
    if monitor:
        at = text.index("clusterwide-drop-capabilities:")
        text = text[:at] + text[at:].replace("policyMode: protect", "policyMode: monitor", 1)
    return text


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def latency(path, base, port, rounds):
    context = ssl._create_unverified_context()
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context)
    samples = []
    for i in range(1, rounds + 1):
        want = "setting %d" % i
        write(path, knob(base, i))
        start = time.monotonic()
        while True:
            conn.request("POST", "/validate/knob", BODY, {"Content-Type": "application/json"})
            answer = conn.getresponse().read()
            if want.encode() in answer:
                break
            if time.monotonic() - start > 10:
                sys.exit("setting %d not served after 10 s: %s" % (i, answer[:200]))
            time.sleep(0.002)
        samples.append((time.monotonic() - start) * 1000)
        time.sleep(0.3)
    print("setting change live after: median %.0f ms, max %.0f ms (%d changes)"
          % (statistics.median(samples), max(samples), rounds))


def storm(path, base, count, interval_ms, pid):
    before = rss_mib(pid)
    for i in range(count):
        write(path, knob(base, 1000 + i, monitor=(i % 2 == 1)))
        time.sleep(interval_ms / 1000)
    print("RSS before %.1f MiB, after %d reloads %.1f MiB" % (before, count, rss_mib(pid)))


if __name__ == "__main__":
    KNOB_MODULE = os.environ["KNOB_MODULE"]
    mode, path, base_file = sys.argv[1], sys.argv[2], sys.argv[3]
    base = open(base_file).read()
    if mode == "latency":
        latency(path, base, int(sys.argv[4]), int(sys.argv[5]))
    else:
        storm(path, base, int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
