#!/usr/bin/env bash
# Context-aware policies on a big cluster: 3,000 namespaces, 10,000 pods and 10,000 role bindings
# served by the API-server double (tests/kube_apiserver) over HTTPS on loopback.
#
#   ./bench/context_aware.sh [seconds of load, default 10]
#
#   1. kube_cache_bench: the reflectors of the three kinds filling at once (the warm-up), what
#      they hold in memory, and 100,000 list_resources_by_namespace calls through the dispatcher;
#   2. kwctl bench of test_policy.wasm listing one namespace's pods through the waPC host call
#      (the whole evaluation: guest, host call, answer parsed by the guest), and of the same
#      policy without the call, on the small Pod (tests/data/requests/pod_plain.json);
#   3. policy-server (2 workers, TLS) with three policies reading pods, role bindings and
#      namespaces: its RSS once every cache is warm, and wrk latency of the pod-listing policy
#      at a light load (4 connections) and at saturation (64).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
seconds="${1:-10}"
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
source "$root/bench/work_dir.sh"

python3 "$root/bench/kube_seed.py" "$work/seed.json" 3000 10000 10000
source "$root/bench/kube_double.sh"
start_kube_double 18643 --seed "$work/seed.json"
echo "API-server double: 3,000 namespaces, 10,000 pods, 10,000 role bindings ($(du -m "$work/seed.json" | cut -f1) MB of JSON)"

"$build/bench/kube_cache_bench" "$work/kubeconfig" 100000

module="$build/tests/data/test_policy.wasm"
host_call() {  # $1 operation, $2 payload: test_policy settings making that kubernetes call
  printf '{"host_call":{"binding":"kubewarden","namespace":"kubernetes","operation":"%s","payload":%s}}' "$1" "$2"
}
pods_settings=$(host_call list_resources_by_namespace '{"api_version":"v1","kind":"Pod","namespace":"ns-7"}')
cat > "$work/pods.yaml" <<POLICY
apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: pods}
spec:
  module: $module
  rules: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}]
  contextAwareResources: [{apiVersion: v1, kind: Pod}]
  settings: $pods_settings
POLICY
echo "kwctl bench, test_policy listing the pods of one namespace (whole evaluation), then without the call:"
"$build/cmd/kwctl/kwctl" bench "$work/pods.yaml" -r "$root/tests/data/requests/pod_plain.json" \
  --kubeconfig "$work/kubeconfig" 2>&1 | grep '/validate '
"$build/cmd/kwctl/kwctl" bench "$module" -r "$root/tests/data/requests/pod_plain.json" 2>&1 | grep '/validate ' 

cat > "$work/policies.yml" <<POLICIES
pods:
  module: $module
  hostCapabilities: ["*"]
  contextAwareResources: [{apiVersion: v1, kind: Pod}]
  settings: $pods_settings
bindings:
  module: $module
  hostCapabilities: ["*"]
  contextAwareResources: [{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding}]
  settings: $(host_call list_resources_by_namespace '{"api_version":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","namespace":"ns-9"}')
namespaces:
  module: $module
  hostCapabilities: ["*"]
  contextAwareResources: [{apiVersion: v1, kind: Namespace}]
  settings: $(host_call list_resources_all '{"api_version":"v1","kind":"Namespace","label_selector":"team=team-3"}')
POLICIES
port=18644
"$build/cmd/policy-server/policy-server" --addr 127.0.0.1 --port $port --readiness-probe-port 18645 \
  --workers 2 --cert-file "$work/cert.pem" --key-file "$work/key.pem" --policies "$work/policies.yml" \
  --kubeconfig "$work/kubeconfig" --log-level warn > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18645/readiness >/dev/null && break; sleep 0.1; done
# The small Pod: test_policy parses the whole request itself (nlohmann, ~120 µs for the 5 KB
# one), which would hide what the cluster read costs.
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":%s}' \
  "$(cat "$root/tests/data/requests/pod_plain.json")" > "$work/review.json"
body=$(cat "$work/review.json")
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$server_pid/status"; }
echo "policy-server RSS: $(rss) idle"
start=$(date +%s%N)
for id in pods bindings namespaces; do
  curl -sfk -X POST -H 'Content-Type: application/json' -d "$body" "https://127.0.0.1:$port/validate/$id" \
    | grep -q '"allowed":true' || { echo "policy $id did not answer with the cluster" >&2; exit 1; }
done
echo "policy-server: first answers of the three policies (caches filled) in $(( ($(date +%s%N) - start) / 1000000 )) ms; RSS $(rss)"

source "$root/bench/wrk_script.sh"
wrk_script "$work/review.json" "/validate/pods" > "$work/script.lua"
load() {  # $1 connections
  wrk -t2 -c"$1" -d"${seconds}s" --latency -s "$work/script.lua" https://127.0.0.1:$port > "$work/wrk.txt"
  awk -v c="$1" '
    /^Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx/ {non2xx=$NF}
    END {printf "policy-server, pods policy, %2d connections: %9s req/s  p50 %-8s p99 %-8s non-2xx %s\n",
         c, rps, p50, p99, (non2xx ? non2xx : 0)}' "$work/wrk.txt"
}
load 4
load 64
echo "policy-server RSS after the load: $(rss)"
