#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-19 (ASan + UBSan) into build-fuzz/ and runs each one
# for N seconds (default 10) over its committed corpus. Exits non-zero on the first crash.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds="${1:-10}"
build="$root/build-fuzz"
if [[ ! -f "$build/build.ninja" ]]; then
  CC=clang-19 CXX=clang++-19 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKW_BUILD_FUZZERS=ON -DKW_BUILD_TESTS=OFF -DKW_BUILD_BENCHMARKS=OFF >/dev/null
fi
targets=(wasm_binary metadata policy_response request yaml sdk_json sdk_host_answers policy_answers raw_payload regex opa_builtins rego_value verify oci kubeconfig host_capabilities host_session hostile_module kube_answers kube_double certs crd_webhooks quantity controller_objects ui_report cel_parse cel_eval kyverno_jmespath kyverno_settings traceparent)
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/%/_fuzzer}"
for t in "${targets[@]}"; do
  corpus="$root/fuzz/corpus/$t"
  work="$build/corpus/$t"
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds}s"
  (cd "$build" && "./fuzz/${t}_fuzzer" -max_total_time="$seconds" -seed=1 -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
      -print_final_stats=0 "$work" "$corpus" 2>&1 | tail -n 3)
done
echo "fuzz: no crash"
