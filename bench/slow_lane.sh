#!/usr/bin/env bash
# The slow lane (src/server/slow_lane.h) at work: the bundled default policies as one group at a
# fixed rate over plain HTTP, while the three looping policies of bench/soak.sh (waPC loop,
# endless host calls, WASI loop; 1 s timeouts) are asked <hostile rate> times a second; once with
# the slow lane (the default) and once without (--slow-lane-threads 0: every request on the
# workers, as upstream). Reports the good and hostile traffic of each run.
#
#   ./bench/slow_lane.sh [good req/s, default 1000] [hostile req/s, default 1] [seconds, default 25]
#
# A fixed rate rather than a fraction of a measured saturation: on a shared machine the
# saturation measured a moment before says little about the next minutes. Everything stays on
# 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
rate="${1:-1000}"
hostile_rate="${2:-1}"
seconds="${3:-25}"
source "$root/bench/work_dir.sh"
source "$root/bench/default_group.sh"
data="$build/tests/data"
body="$root/tests/data/requests/pod_5k.json"
load="$build/bench/rate_load"

printf 'rules: []\nmutating: false\nexecutionMode: wasi\n' > "$work/wasi-metadata.yml"
"$build/cmd/kwctl/kwctl" annotate "$data/wasi_policy.wasm" -m "$work/wasi-metadata.yml" -o "$work/wasi_policy.wasm"
{
  default_group_yaml
  printf 'loop:\n  module: file://%s/validate_loop.wasm\n  timeoutEvalSeconds: 1\n' "$data"
  printf 'host_call_flood:\n  module: file://%s/validate_host_call_flood.wasm\n  timeoutEvalSeconds: 1\n' "$data"
  printf 'wasi_loop:\n  module: file://%s/wasi_policy.wasm\n  settings: {mode: loop}\n  timeoutEvalSeconds: 1\n' "$work"
} > "$work/policies.yml"

port=18743
run() {  # $1: label; the rest: policy-server flags
  local label=$1
  shift
  "$build/cmd/policy-server/policy-server" --addr 127.0.0.1 --port $port --readiness-probe-port 18781 \
    --workers 2 --policies "$work/policies.yml" --log-level error "$@" > "$work/server.log" 2>&1 &
  local server_pid=$!
  local ready=0
  for _ in $(seq 1 300); do curl -sf http://127.0.0.1:18781/readiness >/dev/null && { ready=1; break; }; sleep 0.1; done
  if ((!ready)); then cat "$work/server.log" >&2; exit 1; fi
  "$load" --url "http://127.0.0.1:$port/validate/loop" --path /validate/host_call_flood \
    --path /validate/wasi_loop --body "$body" --rate "$hostile_rate" --duration "$seconds" --warmup 5 \
    --connections 8 > "$work/hostile.txt" &
  local hostile_pid=$!
  "$load" --url "http://127.0.0.1:$port/validate/defaults-group" --body "$body" --rate "$rate" \
    --duration "$seconds" --warmup 5 --connections 32 --threads 1 --expect '"allowed":false' > "$work/good.txt" || true  # nothing answered: its line says so
  wait "$hostile_pid" || true
  echo "$label good:    $(cat "$work/good.txt")"
  echo "$label hostile: $(cat "$work/hostile.txt")"
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
}
echo "good ${rate} req/s, hostile ${hostile_rate} req/s, ${seconds} s each"
run "slow lane   " --slow-lane-threads 1
run "no slow lane" --slow-lane-threads 0
