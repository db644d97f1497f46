#!/usr/bin/env bash
# Reproduces the README's performance figures: the micro-benchmarks, `kwctl bench` of the
# bundled test policies on a 5 KB Pod AdmissionReview, and the wall time of `kwctl run`.
# Run after scripts/build.sh, on an otherwise idle machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
kwctl="$build/cmd/kwctl/kwctl"
review="$root/tests/data/requests/pod_5k.json"

echo "== micro-benchmarks (bench/micro/evaluation_bench.cc)"
"$build/bench/evaluation_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=1

echo
echo "== OPA and Gatekeeper evaluations (bench/micro/opa_bench.cc)"
"$build/bench/opa_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=1

echo
echo "== metrics recording (bench/micro/metrics_bench.cc)"
"$build/bench/metrics_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=1

echo
echo "== CEL, 5 VAP-style validations on the 5 KB Pod (bench/micro/cel_bench.cc)"
"$build/bench/cel_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=1

echo
echo "== kwctl bench, 5 KB Pod AdmissionReview"
for policy in wapc_accept test_policy; do
  echo "-- $policy.wasm"
  "$kwctl" bench "$build/tests/data/$policy.wasm" -r "$review" --measurement-time 3
done

echo
echo "== kwctl run wall time (process start to exit), 20 runs"
runs=20
best=999999999
total=0
for ((i = 0; i < runs; i++)); do
  start=$(date +%s%N)
  "$kwctl" run "$build/tests/data/test_policy.wasm" -r "$review" >/dev/null
  elapsed=$(( ($(date +%s%N) - start) / 1000 ))
  total=$((total + elapsed))
  ((elapsed < best)) && best=$elapsed
done
awk -v t="$total" -v n="$runs" -v b="$best" \
  'BEGIN { printf "kwctl run test_policy.wasm: mean %.1f ms, best %.1f ms\n", t / n / 1000, b / 1000 }'
