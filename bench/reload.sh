#!/usr/bin/env bash
# Live policy changes: how fast a changed policies.yml is served, what reloads cost requests under
# full load, and whether memory stays flat across many reloads.
#
#   ./bench/reload.sh [seconds of load, default 15] [reloads for the memory check, default 1000]
#
# Starts policy-server (HTTPS, 2 workers) with the bundled default policies and a "knob" policy
# (tests/data/test_policy.wasm, which rejects with its `reject` setting), then:
#   1. changes the knob's setting 20 times and measures, from each write, when the new setting is
#      served (bench/reload.py latency; the module is compiled already, as in any reload);
#   2. drives the six default policies with wrk (64 connections, 5 KB Pod) twice: once without
#      reloads, once while the file is rewritten 100 times (every <seconds>/100 s; every other
#      rewrite flips clusterwide-drop-capabilities, a policy under load, between protect and
#      monitor, so the workers build fresh instances of it under load), and prints both
#      latency profiles and the errors;
#   3. rewrites the file <reloads> times, 150 ms apart (each rewrite is its own reload), and
#      prints the RSS before and after.
# Installs wrk from Debian when missing. Everything stays on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
seconds="${1:-15}"
reloads="${2:-1000}"
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
source "$root/bench/work_dir.sh"

base="$work/base.yml"
cp "$build/defaults/policies.yml" "$base"
export KNOB_MODULE="$build/tests/data/test_policy.wasm"
policies="$work/policies.yml"
{ cat "$base"; printf 'knob:\n  module: %s\n  settings: {reject: "setting 0"}\n' "$KNOB_MODULE"; } > "$policies"

port=18543
"$build/cmd/policy-server/policy-server" --addr 127.0.0.1 --port $port --readiness-probe-port 18581 \
  --workers 2 --cert-file "$work/cert.pem" --key-file "$work/key.pem" --policies "$policies" \
  --log-level warn > "$work/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18581/readiness >/dev/null && { ready=1; break; }; sleep 0.1; done
if ((!ready)); then cat "$work/server.log" >&2; exit 1; fi

echo "policy-server: 2 workers, TLS, the default policies and a knob policy"
python3 "$root/bench/reload.py" latency "$policies" "$base" $port 20

body="$root/tests/data/requests/pod_5k.json"
ids=""
for id in $(awk '/^clusterwide-/{sub(/:$/, ""); print}' "$base"); do ids="$ids /validate/$id"; done
source "$root/bench/wrk_script.sh"
wrk_script "$body" "$ids" > "$work/script.lua"
load() {  # $1 label
  wrk -t2 -c64 -d"${seconds}s" --latency -s "$work/script.lua" https://127.0.0.1:$port > "$work/wrk.txt"
  awk -v label="$1" '
    /^Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2}
    /Latency/ && !max {max=$4} /Non-2xx/ {non2xx=$NF} /Socket errors/ {socket=$0}
    END {printf "%-30s %9s req/s  p50 %-8s p99 %-8s max %-8s non-2xx %s %s\n",
         label, rps, p50, p99, max, (non2xx ? non2xx : 0), socket}' "$work/wrk.txt"
}
load "load, no reloads"
interval_ms=$((seconds * 1000 / 100))
python3 "$root/bench/reload.py" storm "$policies" "$base" 100 $interval_ms $server_pid > "$work/storm.txt" &
load "load, 100 reloads"
wait $!
generation() { curl -sf http://127.0.0.1:18581/policies | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])'; }
echo "environments built so far: $(generation); errors logged: $(grep -ci error "$work/server.log" || true)"

python3 "$root/bench/reload.py" storm "$policies" "$base" "$reloads" 150 $server_pid
sleep 1.5  # the last rewrite settles and is served
python3 "$root/bench/reload.py" storm "$policies" "$base" 0 0 $server_pid | sed 's/after 0 reloads/once settled/'
echo "environments built: $(generation) (rewrites closer than the settle time are read once)"
