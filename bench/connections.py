#!/usr/bin/env python3
"""Memory of policy-server under connection floods, for the README's "Slow clients" figures.

    ./bench/connections.sh [connections, default 10000]   (a fresh server for each flood)
    bench/connections.py PID PORT CONNECTIONS [FLOOD...]  (against a running TLS policy-server)

Measures the server's RSS (/proc/PID/status) before, during and after each flood, all on
127.0.0.1, one flood at a time:
  idle        TCP connections to the TLS port that send nothing (what a port scan or a
              slowloris opening many sockets does)
  handshake   connections that complete the TLS handshake and then send nothing
  keep-alive  TLS connections that send one request, read the answer and stay open
  bodies      400 connections each sending a 2 MiB - 1 byte body but its last byte, then stalling
(all four by default, else the FLOODs named).
The server must run with a --client-read-timeout longer than a flood takes to open.
"""
import resource
import socket
import ssl
import sys
import threading
import time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def settle(pid, seconds=2.0):
    """The RSS once it has stopped moving (the server finishes accepting, closing, trimming)."""
    last = rss_mib(pid)
    deadline = time.time() + seconds
    while time.time() < deadline:
        time.sleep(0.25)
        now = rss_mib(pid)
        if abs(now - last) < 0.05:
            return now
        last = now
    return last


def request(body=b"{}"):
    return (b"POST /validate_raw/unknown HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def read_response(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head


def open_idle(port, n):
    conns = []
    for _ in range(n):
        conns.append(socket.create_connection(("127.0.0.1", port)))
    return conns


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def open_handshake(port, n):
    ctx = tls_context()
    return [ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) for _ in range(n)]


def open_keepalive(port, n):
    conns = open_handshake(port, n)
    for c in conns:
        c.sendall(request())
        read_response(c)
    return conns


def open_bodies(port, n, size=(2 << 20) - 1):
    ctx = tls_context()
    conns = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) for _ in range(n)]
    head = (b"POST /validate_raw/unknown HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(size).encode() + b"\r\n\r\n")
    body = b" " * (size - 1)
    answers = {}

    def send(i, c):
        try:
            c.sendall(head + body)
        except OSError:
            answers[i] = "reset"

    threads = [threading.Thread(target=send, args=(i, c)) for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Connections refused by the request-memory budget were answered (503) while sending.
    for i, c in enumerate(conns):
        c.settimeout(0.01)
        try:
            data = c.recv(200)
            answers[i] = data.split(b"\r\n")[0].decode() if data else "closed"
        except (socket.timeout, ssl.SSLWantReadError):
            pass
        except OSError:
            answers[i] = "reset"
        c.settimeout(None)
    statuses = {}
    for a in answers.values():
        statuses[a] = statuses.get(a, 0) + 1
    return conns, f"{n - len(answers)} stalled, answered: {statuses or 'none'}"


def close_all(conns):
    for c in conns:
        try:
            c.close()
        except OSError:
            pass


def main():
    pid, port, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    floods = [("idle", n, open_idle), ("handshake", min(n, 2000), open_handshake),
              ("keep-alive", min(n, 2000), open_keepalive), ("bodies", 400, open_bodies)]
    wanted = sys.argv[4:]
    if "--no-header" in wanted:
        wanted.remove("--no-header")
    else:
        print(f"{'flood':<12}{'conns':>7}{'before':>10}{'during':>10}{'per conn':>11}{'after':>10}")
    for name, count, opener in floods:
        if wanted and name not in wanted:
            continue
        before = settle(pid)
        started = time.time()
        opened = opener(port, count)
        note = ""
        if isinstance(opened, tuple):
            opened, note = opened
        during = settle(pid, 1.0)
        elapsed = time.time() - started
        close_all(opened)
        after = settle(pid, 3.0)
        per = (during - before) * 1024 / count
        print(f"{name:<12}{count:>7}{before:>9.1f}M{during:>9.1f}M{per:>9.1f}KB{after:>9.1f}M"
              f"   ({elapsed:.1f} s to open) {note}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
