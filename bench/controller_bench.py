#!/usr/bin/env python3
"""The measurements of bench/controller.sh (see there): drives the API-server double over HTTPS
with a bearer token, starts kubewarden-controller and policy-server replicas, and times what the
controller makes happen."""
import argparse, json, os, socket, ssl, statistics, subprocess, time, urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--work", required=True)
parser.add_argument("--build", required=True)
parser.add_argument("--api", required=True)
parser.add_argument("--policies", type=int, default=200, help="how many policies case c starts with")
args = parser.parse_args()

context = ssl.create_default_context(cafile=os.path.join(args.work, "cert.pem"))
MODULE = "file://" + os.path.join(args.build, "policies", "pod-privileged.wasm")
NS = "kubewarden"
processes = []


def call(method, path, body=None, content_type="application/json"):
    request = urllib.request.Request(args.api + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Authorization", "Bearer bench-token")
    request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, context=context) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise RuntimeError(f"{method} {path}: {error.code} {error.read()[:300]}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, log):
    process = subprocess.Popen(argv, stdout=open(os.path.join(args.work, log), "w"),
                               stderr=subprocess.STDOUT)
    processes.append(process)
    return process


def start_controller():
    return start([os.path.join(args.build, "cmd/kubewarden-controller/kubewarden-controller"),
                  "--kubeconfig", os.path.join(args.work, "kubeconfig"),
                  "--deployments-namespace", NS, "--metrics-bind-address", "0",
                  "--health-probe-bind-address", "0", "--zap-log-level", "error"], "controller.log")


def policy_server(name, replicas):
    call("POST", "/apis/policies.kubewarden.io/v1/policyservers", {
        "apiVersion": "policies.kubewarden.io/v1", "kind": "PolicyServer",
        "metadata": {"name": name}, "spec": {"image": "policy-server", "replicas": replicas}})
    ports = []
    empty = os.path.join(args.work, "empty.yml")
    with open(empty, "w") as f:
        f.write("{}\n")
    for i in range(replicas):
        pod = f"policy-server-{name}-{i}"
        call("POST", f"/api/v1/namespaces/{NS}/pods", {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": NS, "labels": {"kubewarden/policy-server": name}},
            "spec": {"containers": [{"name": "policy-server", "image": "policy-server"}]}})
        port = free_port()
        start([os.path.join(args.build, "cmd/policy-server/policy-server"), "--addr", "127.0.0.1",
               "--port", str(port), "--readiness-probe-port", str(free_port()), "--workers", "1",
               "--policies", empty, "--kubeconfig", os.path.join(args.work, "kubeconfig"),
               "--policies-configmap", f"policy-server-{name}", "--pod-name", pod,
               "--pod-namespace", NS, "--continue-on-errors", "--log-level", "error"],
              f"{pod}.log")
        ports.append(port)
    return ports


def policy(name, server, message=None):
    spec = {"policyServer": server, "module": MODULE, "mutating": False,
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"],
                       "operations": ["CREATE"]}],
            "settings": {"skip_init_containers": False}}
    if message:
        spec["message"] = message
    return {"apiVersion": "policies.kubewarden.io/v1", "kind": "ClusterAdmissionPolicy",
            "metadata": {"name": name}, "spec": spec}


def wait(condition, timeout=60.0, interval=0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    raise RuntimeError("timed out")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(label, seconds):
    ms = [s * 1000 for s in seconds]
    print(f"{label}: p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
          f"max {max(ms):.0f} ms over {len(ms)}")


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
review = open(os.path.join(ROOT, "tests/data/requests/pod_privileged.json"), "rb").read()


def answer(port, policy_id):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/validate/{policy_id}", data=review,
                                     method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read().decode()
    except Exception:
        return ""


try:
    controller = start_controller()
    ports = policy_server("default", 2)
    webhooks = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
    cap = "/apis/policies.kubewarden.io/v1/clusteradmissionpolicies"
    call("POST", cap, policy("warmup", "default"))
    wait(lambda: call("GET", webhooks + "clusterwide-warmup") is not None)

    latencies = []
    for i in range(20):
        started = time.monotonic()
        call("POST", cap, policy(f"p-{i}", "default"))
        wait(lambda: call("GET", webhooks + f"clusterwide-p-{i}") is not None)
        latencies.append(time.monotonic() - started)
    summary("a. policy applied -> webhook configuration created (2 replicas)", latencies)

    latencies = []
    for i in range(10):
        message = f"change {i}"
        started = time.monotonic()
        call("PATCH", cap + "/p-0", {"spec": {"message": message}},
             "application/merge-patch+json")
        wait(lambda: all(message in answer(port, "clusterwide-p-0") for port in ports))
        latencies.append(time.monotonic() - started)
    summary("b. policy changed -> answered by both replicas", latencies)

    # c. The controller stops; N policies for a new PolicyServer appear; it starts again.
    controller.terminate()
    controller.wait()
    policy_server("big", 1)
    for i in range(args.policies):
        call("POST", cap, policy(f"big-{i}", "big"))
    started = time.monotonic()
    controller = start_controller()

    def all_active():
        items = call("GET", cap)["items"]
        active = [p for p in items if p["spec"].get("policyServer") == "big"
                  and p.get("status", {}).get("policyStatus") == "active"]
        return len(active) == args.policies
    # Each look lists every policy: with many, looking every 50 ms would load the API server
    # (the double) more than the controller does.
    wait(all_active, timeout=600, interval=0.05 if args.policies <= 200 else 0.5)
    elapsed = time.monotonic() - started
    with open(f"/proc/{controller.pid}/stat") as f:
        ticks = sum(int(field) for field in f.read().rsplit(")", 1)[1].split()[11:13])
    print(f"c. {args.policies} policies on a new PolicyServer, controller started from scratch -> all active: "
          f"{elapsed * 1000:.0f} ms (the controller's CPU: {ticks * 1000 // os.sysconf('SC_CLK_TCK')} ms)")

    # d. One more policy on that server, while the others are active: what the replica's report
    # of a new configuration costs the controller when the server already has N policies.
    def cpu_ms():
        with open(f"/proc/{controller.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()[11:13]
        return sum(int(field) for field in fields) * 1000 // os.sysconf('SC_CLK_TCK')

    def active(name):
        item = call("GET", f"{cap}/{name}")
        return item is not None and item.get("status", {}).get("policyStatus") == "active"

    latencies, before = [], cpu_ms()
    for i in range(10):
        started = time.monotonic()
        call("POST", cap, policy(f"more-{i}", "big"))
        wait(lambda: active(f"more-{i}"), timeout=120)
        latencies.append(time.monotonic() - started)
    summary(f"d. one more policy beside {args.policies} -> active", latencies)
    with open(f"/proc/{controller.pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    print(f"   the controller's CPU per added policy: {(cpu_ms() - before) / 10:.0f} ms; "
          f"its RSS: {rss // 1024} MiB")
finally:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait()
