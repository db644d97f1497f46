#!/usr/bin/env bash
# Time to ready of policy-server with 15 policies and 2 workers: from exec until its readiness
# port accepts connections (it opens once every policy is loaded and its settings validated),
#   cold     with an empty compiled-code cache (fresh directory every run),
#   warm     with the cache a previous run filled,
#   no cache --disable-compiled-cache,
# for two policy sets: 15 of our policies (28-86 KB each), and 15 policies grown to 1 MB each
# (test_policy.wasm plus unused functions, `code_cache_bench pad`), the size of upstream's TinyGo
# and Rust policies. Prints the median and the range of `RUNS` runs (default 7).
#
#   ./bench/startup.sh          Run after scripts/build.sh, on an otherwise idle machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
# policy-server refuses to run as root unless told to (--allow-root); the benchmarks run as
# whoever runs them, root on this project's machines.
if ((EUID == 0)); then export KUBEWARDEN_ALLOW_ROOT=true; fi
server="$build/cmd/policy-server/policy-server"
bench="$build/bench/code_cache_bench"
runs="${RUNS:-7}"

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
# A pipe nobody writes to: `read -t` on it sleeps without forking, so polling stays cheap.
mkfifo "$work/nap"
exec {nap}<>"$work/nap"

ours=(allow-privilege-escalation-psp allowed-proc-mount-types-psp apparmor-psp capabilities-psp
      disallow-service-loadbalancer disallow-service-nodeport flexvolume-drivers-psp
      host-namespaces-psp hostpaths-psp ingress pod-privileged pod-runtime
      readonly-root-filesystem-psp seccomp-psp sysctl-psp)
for name in "${ours[@]}"; do
  printf '%s:\n  module: %s/policies/%s.wasm\n' "$name" "$build" "$name"
done >"$work/ours.yml"
for i in $(seq 1 15); do
  "$bench" pad "$build/tests/data/test_policy.wasm" "$work/big-$i.wasm" 1048576 "$i"
  printf 'big-%d:\n  module: %s/big-%d.wasm\n' "$i" "$work" "$i"
done >"$work/big.yml"

microseconds() { local t=$EPOCHREALTIME; echo $((10#${t/./})); }

# A port nothing listens on: a busy one would answer for a server that is not ready.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! { exec {probe}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
      echo "$port"
      return
    fi
    exec {probe}>&-
  done
}

# Starts policy-server with policies file $1 and the remaining arguments, prints the milliseconds
# until it was ready, and stops it.
ready_ms() {
  local policies=$1
  shift
  local port readiness start end pid
  port=$(free_port)
  readiness=$(free_port)
  start=$(microseconds)
  "$server" --addr 127.0.0.1 --port "$port" --readiness-probe-port "$readiness" \
    --policies "$policies" --workers 2 "$@" >"$work/log" 2>&1 &
  pid=$!
  until { exec {probe}<>"/dev/tcp/127.0.0.1/$readiness"; } 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$work/log" >&2
      return 1
    fi
    read -r -t 0.001 -u "$nap" || true
  done
  end=$(microseconds)
  exec {probe}>&-
  kill -TERM "$pid"
  wait "$pid" || true
  echo $(((end - start) / 1000))
}

# Median (min-max) of the numbers in file $1.
summary() {
  sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%5d ms  (%d-%d)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

entries() { find "$1" -name '*.code' 2>/dev/null | wc -l; }

# Fills cache $2 for policies $1: code is stored once V8 has optimized it, in the background.
fill() {
  local port
  port=$(free_port)
  "$server" --addr 127.0.0.1 --port "$port" --readiness-probe-port "$(free_port)" \
    --policies "$1" --workers 2 --compiled-cache-dir "$2" >"$work/log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do
    (($(entries "$2") >= 15)) && break
    read -r -t 0.1 -u "$nap" || true
  done
  kill -TERM "$pid"
  wait "$pid" || true
}

echo "policy-server time to ready, 15 policies, 2 workers, median (range) of $runs runs"
for set in ours big; do
  policies="$work/$set.yml"
  fill "$policies" "$work/warm-$set"
  # The three cases take turns, so that a change in the machine's load hits them alike.
  for run in $(seq "$runs"); do
    ready_ms "$policies" --disable-compiled-cache >>"$work/$set.none"
    ready_ms "$policies" --compiled-cache-dir "$work/cold-$set-$run" >>"$work/$set.cold"
    ready_ms "$policies" --compiled-cache-dir "$work/warm-$set" >>"$work/$set.warm"
  done
  label=$([[ $set == ours ]] && echo "our policies (28-86 KB)" || echo "1 MB policies")
  printf '%-24s no cache  %s\n' "$label" "$(summary "$work/$set.none")"
  printf '%-24s cold      %s\n' "" "$(summary "$work/$set.cold")"
  printf '%-24s warm      %s\n' "" "$(summary "$work/$set.warm")"
done
