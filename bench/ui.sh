#!/usr/bin/env bash
# The compliance UI over a big scan: 5,000 PolicyReports of 10 results (50,000 results, 50
# namespaces, 40 policies) served by the API-server double (tests/kube_apiserver) over HTTPS on
# loopback. Prints the time from start to ready (every report listed and indexed), the RSS, and
# for each endpoint the median and slowest of 20 requests through HTTP (curl, a fresh connection
# each).
#
#   ./bench/ui.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
source "$root/bench/work_dir.sh"

python3 "$root/bench/ui_seed.py" "$work/seed.json" 50 5000 10
source "$root/bench/kube_double.sh"
start_kube_double 18644 --seed "$root/deploy/crds/wgpolicyk8s.io_policyreports.yaml" \
  --seed "$root/deploy/crds/wgpolicyk8s.io_clusterpolicyreports.yaml" --seed "$work/seed.json"
echo "API-server double: 5,000 PolicyReports, 50,000 results ($(du -m "$work/seed.json" | cut -f1) MB of JSON)"

port=18645
started=$(date +%s%N)
"$build/cmd/compliance-ui/compliance-ui" --kubeconfig "$work/kubeconfig" --addr 127.0.0.1 \
  --port "$port" --db "$work/history.db" --web-root "$work" --settle-seconds 2 >"$work/ui.log" 2>&1 &
ui=$!
until [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" == 200 ]]; do
  kill -0 "$ui" 2>/dev/null || { cat "$work/ui.log" >&2; exit 1; }
  sleep 0.05
done
echo "ready after $((($(date +%s%N) - started) / 1000000)) ms; RSS $(($(awk '/VmRSS/ {print $2}' /proc/$ui/status) / 1024)) MiB"
sleep 3  # the settle time passes: the scan is in the history
for target in /api/v1/summary "/api/v1/summary?search=privileged&namespace=ns-3" /api/v1/history \
              "/api/v1/history?namespace=ns-3" "/api/v1/namespaces?sort=fail" "/api/v1/policies?sort=fail" \
              "/api/v1/resources?sort=fail&page=3" "/api/v1/resources?search=app-12&result=fail" \
              "/api/v1/resources/00000000-0000-4000-8000-000000004321" \
              "/api/v1/results?sort=name&page=100&per_page=500" \
              "/api/v1/results?policy=clusterwide-policy-7&result=fail" /api/v1/filters; do
  for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port$target"
  done | sort -n | awk -v t="$target" '{v[NR]=$1} END {printf "%-70s median %6.2f ms, max %6.2f ms\n", t, v[int((NR+1)/2)]*1000, v[NR]*1000}'
done
echo "history rows: $(curl -s "http://127.0.0.1:$port/api/v1/history" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"
