#!/usr/bin/env bash
# The audit scanner's throughput on a large cluster, against the API-server double
# (tests/kube_apiserver) with a real policy-server answering /audit over HTTPS with mTLS:
#
#   ./bench/audit.sh [resources=20000] [namespaces=200]
#
# The cluster (bench/audit_seed.py): 20,000 resources in 200 namespaces (pods, deployments,
# replica sets, services, config maps, ingresses, service accounts; one in ten breaking a
# policy) and 20 active ClusterAdmissionPolicies (the 6 recommended ones and 14 others).
# Three scans with upstream's default flags and the openreports kind:
#   1. first scan: every report is created;
#   2. the same cluster scanned again: every report is found unchanged (nothing written);
#   3. after 10 % of the pods changed: only their reports are rewritten.
# Each prints the scanner's own summary line (resources/s, reports written/unchanged/deleted).
# AUDIT_SCANNER_ARGS adds flags to every scan (e.g. "--kube-api-qps 1000").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
resources=${1:-20000}
namespaces=${2:-200}
source "$root/bench/work_dir.sh"

python3 "$root/bench/audit_seed.py" "$work" "$build/policies" "$root/deploy/defaults" \
  "$resources" "$namespaces"
seeds=()
for crd in "$root"/deploy/crds/*_*.yaml; do seeds+=(--seed "$crd"); done
source "$root/bench/kube_double.sh"
api_port=18744
started=$(date +%s.%N)
start_kube_double $api_port "${seeds[@]}" --seed "$work/cluster.json"
echo "double seeded in $(echo "$(date +%s.%N) - $started" | bc) s"

port=18445
"$build/cmd/policy-server/policy-server" --addr 127.0.0.1 --port $port --readiness-probe-port 18082 \
  --workers 2 --cert-file "$work/cert.pem" --key-file "$work/key.pem" \
  --client-ca-file "$work/cert.pem" --policies "$work/policies.yml" --log-level warn \
  > "$work/server.log" 2>&1 &
ready=0
for _ in $(seq 1 300); do curl -sf http://127.0.0.1:18082/readiness >/dev/null && { ready=1; break; }; sleep 0.1; done
if ((!ready)); then cat "$work/server.log" >&2; exit 1; fi

scan() {
  /usr/bin/time -f "  scanner: %e s elapsed, %U s user, %S s system, max RSS %M KiB" \
    "$build/cmd/audit-scanner/audit-scanner" --kubeconfig "$work/kubeconfig" \
    --policy-server-url "https://127.0.0.1:$port" --extra-ca "$work/cert.pem" \
    --client-cert "$work/cert.pem" --client-key "$work/key.pem" --report-kind openreports \
    ${AUDIT_SCANNER_ARGS:-} 2> "$work/scan.log"
  grep -o "done in .*" "$work/scan.log" | sed 's/^/  /'
  tail -1 "$work/scan.log"
  (grep -c "\[error\]" "$work/scan.log" || true) | sed 's/^/  errors logged: /'
  (grep "\[error\]" "$work/scan.log" || true) | sort | uniq -c | sort -rn | head -5 | sed "s/^/    /"
}
echo "1. first scan (every report created):"
scan
echo "2. second scan (nothing changed):"
scan
python3 - "$api_port" "$namespaces" "$((resources * 400 / 1000))" <<'PY'
import json, ssl, sys, urllib.request, concurrent.futures
port, namespaces, pods = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
def touch(i):
    request = urllib.request.Request(
        f"https://localhost:{port}/api/v1/namespaces/team-{i % namespaces}/pods/pod-{i}",
        data=json.dumps({"metadata": {"labels": {"touched": "yes"}}}).encode(), method="PATCH",
        headers={"Content-Type": "application/merge-patch+json", "Authorization": "Bearer bench-token"})
    urllib.request.urlopen(request, context=context).read()
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    list(pool.map(touch, range(0, pods, 10)))
PY
echo "3. after 10 % of the pods changed:"
scan
echo "policy-server RSS: $(ps -o rss= -p "$(pgrep -f "policy-server --addr 127.0.0.1 --port $port")") KiB"
