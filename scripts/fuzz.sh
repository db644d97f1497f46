#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-19 (ASan + UBSan) into build-fuzz/ and runs them over
# their committed corpora.
#
#   ./scripts/fuzz.sh [seconds, default 10]      each target for that long; stops at the first crash
#   ./scripts/fuzz.sh --runs N [target...]       long fuzzing: each target until it has executed N
#                                                 inputs in all (default every target)
#
# --runs is resumable: the inputs executed so far and the grown corpus are kept under
# build-fuzz/long/ and build-fuzz/corpus/, so an interrupted campaign continues where it stopped
# (chunks of at most 2M runs, a new random seed each). A crash does not stop the campaign: the
# input is kept as build-fuzz/long/<target>-crash-*, counted, and the next target runs (the crashed
# one resumes on the next invocation).
# fuzz/campaign.tsv (committed, so the record outlives the machine) has one line per finished
# target: runs, seconds, execs/s, coverage (edges), features, corpus size, crashes, the commit
# fuzzed and the day. A target listed there with at least N runs is not fuzzed again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
targets=(wasm_binary metadata policy_response json_diff request yaml sdk_json sdk_host_answers policy_answers raw_payload regex opa_builtins rego_value verify oci kubeconfig host_capabilities host_session hostile_module kube_answers kube_double certs crd_webhooks quantity controller_objects ui_report cel_parse cel_eval kyverno_jmespath kyverno_settings traceparent)
seconds=10
runs=0
if [[ "${1:-}" == --runs ]]; then
  runs="${2:?--runs needs a number}"
  shift 2
  if (($#)); then targets=("$@"); fi
elif (($#)); then
  seconds="$1"
fi

if [[ ! -f "$build/build.ninja" ]]; then
  CC=clang-19 CXX=clang++-19 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKW_BUILD_FUZZERS=ON -DKW_BUILD_TESTS=OFF -DKW_BUILD_BENCHMARKS=OFF >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/%/_fuzzer}"

# The options every run shares: inputs up to 64 KiB, 10 s per input, 4 GiB of memory.
common=(-max_len=65536 -timeout=10 -rss_limit_mb=4096)

if ((runs == 0)); then
  for t in "${targets[@]}"; do
    corpus="$root/fuzz/corpus/$t"
    work="$build/corpus/$t"
    mkdir -p "$work"
    echo "fuzz: $t for ${seconds}s"
    (cd "$build" && "./fuzz/${t}_fuzzer" -max_total_time="$seconds" -seed=1 "${common[@]}" \
        -print_final_stats=0 "$work" "$corpus" 2>&1 | tail -n 3)
  done
  echo "fuzz: no crash"
  exit 0
fi

long="$build/long"
mkdir -p "$long"
summary="$root/fuzz/campaign.tsv"
[[ -f "$summary" ]] ||
  printf 'target\truns\tseconds\texecs_per_s\tcov\tft\tcorpus\tcrashes\tcommit\tday\n' > "$summary"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
# A chunk ends after 2M runs or 30 minutes, whichever comes first, so that a campaign stopped
# from outside (the machine shut down, the session over) loses at most half an hour of a slow
# target.
chunk=2000000
chunk_seconds=1800
found=0
for t in "${targets[@]}"; do
  recorded=$(awk -F'\t' -v t="$t" '$1 == t {print $2}' "$summary" | sort -n | tail -n 1)
  if ((${recorded:-0} >= runs)); then
    echo "fuzz: $t: ${recorded} runs on record in fuzz/campaign.tsv"
    continue
  fi
  ledger="$long/$t.runs"    # "<runs> <seconds> <crashes>" so far
  read -r done_runs done_seconds crashes < <(cat "$ledger" 2>/dev/null || echo "0 0 0")
  work="$build/corpus/$t"
  mkdir -p "$work"
  while ((done_runs < runs)); do
    n=$((runs - done_runs < chunk ? runs - done_runs : chunk))
    log="$long/$t.log"
    started=$SECONDS
    status=0
    (cd "$build" && "./fuzz/${t}_fuzzer" -runs="$n" -max_total_time="$chunk_seconds" -seed=0 \
        "${common[@]}" -print_final_stats=1 -artifact_prefix="$long/$t-" \
        "$work" "$root/fuzz/corpus/$t" > "$log" 2>&1) || status=$?
    elapsed=$((SECONDS - started))
    # "Done N runs in S second(s)" on a clean finish; on a crash, the stats line says how far it got.
    executed=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    done_runs=$((done_runs + ${executed:-n}))
    done_seconds=$((done_seconds + elapsed))
    if ((status != 0)) && grep -q '^==[0-9]*== ERROR: libFuzzer: timeout' "$log"; then
      # libFuzzer's timeout is wall-clock time: a campaign that was paused (SIGSTOP while the
      # machine benchmarks) or starved reports one. Only an input that is slow again is a finding.
      unit=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)
      if [[ -n "$unit" ]] && (cd "$build" && "./fuzz/${t}_fuzzer" "${common[@]}" "$unit" \
          > "$log.rerun" 2>&1); then
        echo "fuzz: $t: a timeout that does not reproduce (the campaign was paused?); input kept" \
          "as $unit.unreproduced" >&2
        mv "$unit" "$unit.unreproduced"
        status=0
      fi
    fi
    if ((status != 0)); then
      crashes=$((crashes + 1))
      found=1
      echo "fuzz: $t: a finding (exit $status), see $log and $long/$t-*" >&2
    fi
    echo "$done_runs $done_seconds $crashes" > "$ledger"
    echo "fuzz: $t: $done_runs of $runs runs, ${done_seconds}s"
    ((status == 0)) || continue 2  # the next target; this one resumes on the next invocation
  done
  if ((${recorded:-0} < done_runs)); then
    cov=$(grep -oE 'cov: [0-9]+' "$long/$t.log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$long/$t.log" | tail -n 1 | cut -d' ' -f2)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$done_runs" "$done_seconds" \
      "$((done_runs / (done_seconds > 0 ? done_seconds : 1)))" "${cov:-?}" "${ft:-?}" \
      "$(ls "$work" | wc -l)" "$crashes" "$commit" "$(date -u +%F)" >> "$summary"
  fi
done
exit $found
