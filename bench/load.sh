#!/usr/bin/env bash
# Load benchmark of policy-server over TLS keep-alive, against a static nginx baseline.
#
#   ./bench/load.sh [seconds per case, default 15]
#
# Starts policy-server (HTTPS, 2 workers) with the bundled default policies, a group of them and
# a trivial policy, then drives it with wrk (64 connections, 2 threads) posting a ~5 KB Pod
# AdmissionReview, for three cases:
#   (a) one trivial policy;  (b) the default set as one group;  (c) the default set as separate
#   endpoints (wrk rotates over the six ids).
# In the same run it measures nginx answering a fixed AdmissionReview over the same TLS
# settings, and prints req/s, p50, p99, the server's RSS and the ratio to nginx.
# Then the latency of (a) and (b) at fixed offered rates (5k, 10k and 20k req/s; KW_LOAD_RATES
# overrides) with build/bench/rate_load, an open-loop generator: latencies count from when each
# request was due, so a server that falls behind shows it (wrk's figures above are closed-loop).
# Installs wrk and nginx-light from Debian when missing. Everything stays on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
seconds="${1:-15}"
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
done

stop_extra_servers() {
  if [[ -f "$work/nginx.pid" ]]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null; fi
}
source "$root/bench/work_dir.sh"
source "$root/bench/default_group.sh"

# policies.yml: the default set, the same set as one group, and a trivial policy.
policies="$work/policies.yml"
cp "$build/defaults/policies.yml" "$policies"
{
  echo "trivial:"
  echo "  module: file://$build/tests/data/wapc_accept.wasm"
  default_group_yaml
} >> "$policies"

port=18443
"$build/cmd/policy-server/policy-server" --addr 127.0.0.1 --port $port --readiness-probe-port 18081 \
  --workers 2 --cert-file "$work/cert.pem" --key-file "$work/key.pem" --policies "$policies" \
  --log-level warn > "$work/server.log" 2>&1 &
# (the policies.yml is printed when the server refuses it, to see why)
server_pid=$!
ready=0
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18081/readiness >/dev/null && { ready=1; break; }; sleep 0.1; done
if ((!ready)); then cat "$work/server.log" "$policies" >&2; exit 1; fi

cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-body;
  server {
    listen 127.0.0.1:18444 ssl;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    client_max_body_size 2m;
    location / {
      default_type application/json;
      return 200 '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"b2c8f3a1-9d4e-4f6a-8b7c-2e1d0f9a8b7c","allowed":true,"auditAnnotations":null,"warnings":null}}';
    }
  }
}
NGINX
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log"

body="$root/tests/data/requests/pod_5k.json"
source "$root/bench/wrk_script.sh"

run() {  # $1 label, $2 url base, $3 paths
  wrk_script "$body" "$3" > "$work/script.lua"
  wrk -t2 -c64 -d"${seconds}s" --latency -s "$work/script.lua" "$2" > "$work/wrk.txt"
  rps=$(awk '/^Requests\/sec/{print $2}' "$work/wrk.txt")
  p50=$(awk '$1=="50%"{print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.txt")
  errors=$(awk '/Non-2xx|Socket errors/' "$work/wrk.txt")
  printf '%-34s %10s req/s   p50 %-9s p99 %-9s %s\n' "$1" "$rps" "$p50" "$p99" "$errors"
  echo "$rps"> "$work/last_rps"
}

ids=""
for id in $(awk '/^clusterwide-/{sub(/:$/, ""); print}' "$build/defaults/policies.yml"); do
  ids="$ids /validate/$id"
done
echo "policy-server: 2 workers, TLS, 64 connections, ${seconds}s per case, 5 KB Pod AdmissionReview"
run "nginx (static AdmissionReview)" https://127.0.0.1:18444 "/validate/x"; nginx_rps=$(cat "$work/last_rps")
run "(a) one trivial policy" https://127.0.0.1:$port "/validate/trivial"; a=$(cat "$work/last_rps")
run "(b) default set as a group" https://127.0.0.1:$port "/validate/defaults-group"; b=$(cat "$work/last_rps")
run "(c) default set, separate ids" https://127.0.0.1:$port "$ids"; c=$(cat "$work/last_rps")

# Fixed offered rates: 64 connections, as many threads as wrk uses.
echo "fixed offered rate (open loop, ${seconds}s each after 2s of warm-up):"
for rate in ${KW_LOAD_RATES:-5000 10000 20000}; do
  for target in trivial defaults-group; do
    printf '%-22s ' "$target"
    "$build/bench/rate_load" --url "https://127.0.0.1:$port/validate/$target" --body "$body" \
      --rate "$rate" --duration "$seconds" --warmup 2 --connections 64 --threads 2 --ca "$work/cert.pem"
  done
done
rss=$(awk '/VmRSS/{print $2/1024 " MiB"}' /proc/$server_pid/status)
echo "policy-server RSS after the runs: $rss"
awk -v n="$nginx_rps" -v a="$a" -v b="$b" -v c="$c" \
  'BEGIN { printf "ratio to nginx: (a) %.2f  (b) %.2f  (c) %.2f\n", a / n, b / n, c / n }'
