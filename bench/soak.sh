#!/usr/bin/env bash
# Soak: policy-server under sustained load over TLS, with hostile policies called alongside good
# ones, certificates replaced and the configuration changed while it runs.
#
#   ./bench/soak.sh [seconds, default 3600] [fraction of saturation, default 0.8]
#
# 1. Starts policy-server (HTTPS with a CA-signed certificate, 2 workers) serving the bundled
#    default policies as one group (the good traffic), a "knob" policy whose settings change, and
#    hostile policies from tests/data (their settings are valid; evaluation misbehaves), each
#    with a 1 s timeoutEvalSeconds: endless loops in waPC and WASI, an endless flood of host
#    calls, a WASI memory bomb, a trap, a 32 MiB answer and an answer that is not JSON.
# 2. Measures the group's saturation rate with build/bench/rate_load, then offers <fraction> of
#    it for <seconds> (open loop: latencies count from when a request was due), every answer
#    checked for the expected verdict. Saturation is the highest rate the open-loop generator
#    sustains for 5 s (answers >= 98 % of the offered rate, no backlog), found by bisection below
#    the closed-loop figure (--rate max), which is only an upper bound here (in open loop the
#    generator wakes up more often, on the 2 cores it shares with the server). It is measured
#    under the soak's conditions (the hostile requests and the changes of step 3 already
#    running). Alongside, 1 request/s rotates over the hostile policies.
#    Knobs: KW_SOAK_HOSTILE_RATE (hostile requests/s), KW_SOAK_HOSTILE (which of them),
#    KW_SOAK_RATE (offer this rate, no search: runs compared at the same rate), KW_SOAK_CHANGES=0
#    (no certificate or configuration changes), KW_SOAK_KEEP=DIR (keep the per-second timeline,
#    the changes' times and the server log).
# 3. Meanwhile: a new certificate every 15 s (a new key pair signed by the same CA, renamed into
#    place as a Secret update would), and policies.yml rewritten every 10 s (the knob's setting
#    changes, an extra policy comes and goes).
# 4. Reports the good traffic's rate, latencies, errors and wrong answers, the seconds with a
#    good request over 100 ms (the worst beside the changes and hostile request of their time),
#    what the slow lane did, and the server's RSS, open file descriptors and threads after
#    warm-up and at the end.
# Exit status 1 when a good request failed or was answered wrongly, the server died, the last
# certificate or configuration is not the one served, or its descriptors or threads grew; RSS is reported, not judged (the reader compares start and end).
# CI runs a short version (ctest -R soak_short: 25 s at 30 % of saturation). Everything stays on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
seconds="${1:-3600}"
fraction="${2:-0.8}"
hostile_rate="${KW_SOAK_HOSTILE_RATE:-1}"
fixed_rate="${KW_SOAK_RATE:-}"  # req/s: offered instead of <fraction> of a measured saturation
changes_enabled="${KW_SOAK_CHANGES:-1}"  # 0: no certificate or configuration changes
keep="${KW_SOAK_KEEP:-}"  # a directory: the run's timeline, events and server log are copied there
source "$root/bench/work_dir.sh"
source "$root/bench/default_group.sh"
data="$build/tests/data"
body="$root/tests/data/requests/pod_5k.json"
load="$build/bench/rate_load"

# A CA, and a server certificate from it; issue_certificate replaces the pair by renames.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=soak-ca -keyout "$work/ca-key.pem" -out "$work/ca.pem" 2>/dev/null
issue_certificate() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
    -keyout "$work/next-key.pem" -out "$work/next.csr" 2>/dev/null
  openssl x509 -req -in "$work/next.csr" -CA "$work/ca.pem" -CAkey "$work/ca-key.pem" \
    -CAcreateserial -days 1 -extfile <(echo "subjectAltName=DNS:localhost,IP:127.0.0.1") \
    -out "$work/next-cert.pem" 2>/dev/null
  mv "$work/next-key.pem" "$work/server-key.pem"
  mv "$work/next-cert.pem" "$work/server-cert.pem"
}
issue_certificate

# The WASI program annotated with executionMode wasi, as such policies ship.
printf 'rules: []\nmutating: false\nexecutionMode: wasi\n' > "$work/wasi-metadata.yml"
"$build/cmd/kwctl/kwctl" annotate "$data/wasi_policy.wasm" -m "$work/wasi-metadata.yml" -o "$work/wasi_policy.wasm"

# id: module, then the settings that make wasi_policy.wasm misbehave (tests/data/README.md).
hostile_ids="${KW_SOAK_HOSTILE:-loop host_call_flood wasi_loop wasi_memory_bomb wasi_trap wasi_huge wasi_garbage}"
hostile_policy() {
  case "$1" in
    loop) printf 'module: file://%s/validate_loop.wasm' "$data" ;;
    host_call_flood) printf 'module: file://%s/validate_host_call_flood.wasm' "$data" ;;
    wasi_*) printf 'module: file://%s/wasi_policy.wasm\n  settings: {mode: %s}' "$work" "${1#wasi_}" ;;
  esac
}
write_policies() {  # $1: the knob's generation; odd generations also serve an extra policy
  {
    default_group_yaml
    printf 'knob:\n  module: file://%s/test_policy.wasm\n  settings: {reject: "generation %s"}\n' "$data" "$1"
    if (($1 % 2)); then printf 'extra:\n  module: file://%s/wapc_accept.wasm\n' "$data"; fi
    for id in $hostile_ids; do
      printf '%s:\n  %s\n  timeoutEvalSeconds: 1\n' "$id" "$(hostile_policy "$id")"
    done
  } > "$work/policies.next.yml"
  mv "$work/policies.next.yml" "$work/policies.yml"
}
write_policies 0

port=18643
"$build/cmd/policy-server/policy-server" --addr 127.0.0.1 --port $port --readiness-probe-port 18681 \
  --workers 2 --cert-file "$work/server-cert.pem" --key-file "$work/server-key.pem" \
  --policies "$work/policies.yml" --enable-metrics --metrics-port 18682 --log-level error \
  > "$work/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 1 300); do curl -sf http://127.0.0.1:18681/readiness >/dev/null && { ready=1; break; }; sleep 0.1; done
if ((!ready)); then cat "$work/server.log" >&2; exit 1; fi

# The group rejects the 5 KB Pod (it runs as root); every good answer must say so.
expect='"allowed":false'
url="https://127.0.0.1:$port/validate/defaults-group"
answer=$(curl -s --cacert "$work/ca.pem" -X POST -H 'Content-Type: application/json' --data-binary @"$body" "$url")
if [[ "$answer" != *"$expect"* ]]; then echo "unexpected verdict: $answer" >&2; exit 1; fi

sample() {  # RSS in MiB, open descriptors, threads
  printf '%s %s %s' "$(awk '/VmRSS/{printf "%.1f", $2/1024}' /proc/$server_pid/status)" \
    "$(ls /proc/$server_pid/fd | wc -l)" "$(awk '/^Threads/{print $2}' /proc/$server_pid/status)"
}

# Step 3's changes, in the background until $work/changing is removed: every 10 s a
# configuration change, every 15 s a certificate; the counts are kept in $work.
changes() {
  local tick=0 generation=0
  while [[ -f "$work/changing" ]]; do
    sleep 1
    tick=$((tick + 1))
    if ((tick % 10 == 0)); then
      generation=$((generation + 1))
      write_policies "$generation"
      echo "$generation" > "$work/generation"
      echo "$(date +%s.%N) configuration $generation" >> "$work/events"
    fi
    if ((tick % 15 == 0)); then
      issue_certificate
      echo $((tick / 15)) > "$work/certificates"
      echo "$(date +%s.%N) certificate $((tick / 15))" >> "$work/events"
    fi
  done
}
echo 0 > "$work/generation"
echo 0 > "$work/certificates"
if ((changes_enabled)); then touch "$work/changing"; fi
changes &
changes_pid=$!

hostile_paths=()
for id in $hostile_ids; do hostile_paths+=(--path "/validate/$id"); done
hostile() {  # seconds warm-up: the hostile requests, their summary on stdout
  "$load" --url "https://127.0.0.1:$port${hostile_paths[1]}" "${hostile_paths[@]:2}" \
    --body "$body" --rate "$hostile_rate" --duration "$1" --warmup "$2" --connections 4 \
    --ca "$work/ca.pem"
}
hostile 120 1 > /dev/null &  # while saturation is searched (killed once it is found)
search_hostile_pid=$!

offer() {  # rate seconds: one run of the good traffic's generator, its JSON summary
  "$load" --url "$url" --body "$body" --rate "$1" --duration "$2" --warmup 1 \
    --connections 64 --threads 2 --ca "$work/ca.pem" --json
}
field() { sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }
if [[ -n "$fixed_rate" ]]; then  # offered as given: runs compared at the same rate
  rate=$fixed_rate
  kill "$search_hostile_pid" 2>/dev/null || true
  echo "offering ${rate} req/s (KW_SOAK_RATE) for ${seconds}s, hostile ${hostile_rate} req/s"
else
  closed_loop=$(offer max 5 | field achieved_rps)
  sustains() {  # rate: does the server keep up with it in open loop?
    local out achieved backlog
    out=$(offer "$1" 5)
    achieved=$(field achieved_rps <<< "$out")
    backlog=$(field backlog_at_end <<< "$out")
    ((achieved * 100 >= $1 * 98 && backlog * 50 <= $1))
  }
  low=$((closed_loop * 3 / 10))
  high=$closed_loop
  if sustains "$high"; then low=$high; fi
  for _ in 1 2 3 4 5; do
    ((high - low > closed_loop / 50)) || break
    middle=$(((low + high) / 2))
    if sustains "$middle"; then low=$middle; else high=$middle; fi
  done
  kill "$search_hostile_pid" 2>/dev/null || true
  saturation=$low
  rate=$(awk -v s="$saturation" -v f="$fraction" 'BEGIN { printf "%d", s * f }')
  echo "saturation ${saturation} req/s (open loop, hostile requests and changes running; closed" \
    "loop ${closed_loop} req/s); offering ${rate} req/s (${fraction}) for ${seconds}s, hostile" \
    "${hostile_rate} req/s"
fi

warmup=10
measured_from=$(awk -v w="$warmup" -v now="$(date +%s.%N)" 'BEGIN { printf "%.3f", now + w }')
"$load" --url "$url" --body "$body" --rate "$rate" --duration "$seconds" --warmup "$warmup" \
  --connections 64 --threads 2 --ca "$work/ca.pem" --expect "$expect" \
  --timeline "$work/timeline.tsv" > "$work/good.txt" &
good_pid=$!
hostile "$seconds" "$warmup" > "$work/hostile.txt" &
hostile_pid=$!

sleep "$warmup"
read -r rss_start fds_start threads_start <<< "$(sample)"
started=$SECONDS
generations_before=$(cat "$work/generation")
certificates_before=$(cat "$work/certificates")
# Once a second: alive? The end sample is taken while the load still runs (3 s before its end),
# as the start one was.
# RSS every minute, so that a trend shows, not only two points.
rss_trend=()
for ((tick = 1; tick <= seconds - 3; tick++)); do
  sleep 1
  kill -0 "$server_pid" 2>/dev/null || break
  if ((tick % 60 == 0)); then rss_trend+=("$(sample | cut -d' ' -f1)"); fi
done
read -r rss_end fds_end threads_end <<< "$(sample 2>/dev/null || echo "- - -")"
rm -f "$work/changing"
wait "$changes_pid" || true
generation=$(cat "$work/generation")
wait "$good_pid" || true
wait "$hostile_pid" || true

echo "good:    $(cat "$work/good.txt")"
echo "hostile: $(cat "$work/hostile.txt")"
# What the slow lane did with the hostile requests (and that no good policy went there).
curl -s http://127.0.0.1:18682/metrics | awk '/^kubewarden_policy_slow_lane_/ {
    sub(/^kubewarden_policy_slow_lane_/, ""); sub(/_total/, ""); lane = lane " " $0 } END {
    print "slow lane (entries, exits, rejections by policy):" (lane == "" ? " none" : lane) }' || true
echo "policy-server after warm-up: RSS ${rss_start} MiB, ${fds_start} fds, ${threads_start} threads"
if ((${#rss_trend[@]})); then echo "policy-server RSS every minute (MiB): ${rss_trend[*]}"; fi
echo "policy-server at the end:    RSS ${rss_end} MiB, ${fds_end} fds, ${threads_end} threads" \
  "($((SECONDS - started)) s later; $((generation - generations_before)) configuration changes" \
  "and $(($(cat "$work/certificates") - certificates_before)) certificates meanwhile)"

# Where the tail comes from: the seconds (of due time) with a request over 100 ms, and the worst
# ones beside what happened around them: the changes of step 3 within 2 s, and the hostile
# policy due in that second (the hostile generator rotates over them, one request a second).
awk -v from="$measured_from" -v warmup="$warmup" -v hostile="$hostile_ids" -v rate="$hostile_rate" '
  FNR == 1 { file++ }
  file == 1 { if (NF == 3) { events[++n] = $1 - from; what[n] = $2 " " $3 }; next }
  file == 2 && FNR > 1 {
    total++
    if ($4 > 100) { slow++; line[slow] = $0 }
  }
  END {
    printf "seconds with a good request over 100 ms: %d of %d\n", slow, total
    split(hostile, ids, " ")
    for (i = 1; i <= slow && i <= 1000; i++) {
      split(line[i], f, "\t")
      near = ""
      for (e = 1; e <= n; e++) if (events[e] > f[1] - 2 && events[e] < f[1] + 3) near = near " " what[e]
      rows[i] = sprintf("  second %d: max %.0f ms, %d over 10 ms; hostile due: %s;%s", f[1], f[4], f[3],
                        rate == 1 ? ids[(f[1] + warmup) % length(ids) + 1] : "-", near == "" ? " no change near" : near)
      worst[i] = f[4]
    }
    # The 15 worst, worst first.
    for (k = 1; k <= 15; k++) {
      best = 0
      for (i = 1; i <= slow && i <= 1000; i++) if (!(i in shown) && (best == 0 || worst[i] > worst[best])) best = i
      if (best == 0) break
      shown[best] = 1
      print rows[best]
    }
  }' <(cat "$work/events" 2>/dev/null; echo) "$work/timeline.tsv" || true

if [[ -n "$keep" ]]; then
  mkdir -p "$keep"
  cp "$work/timeline.tsv" "$work/server.log" "$keep/" 2>/dev/null || true
  awk -v from="$measured_from" 'NF == 3 { printf "%.3f\t%s %s\n", $1 - from, $2, $3 }' \
    "$work/events" > "$keep/events.tsv" 2>/dev/null || true
fi

failed=0
if ! kill -0 "$server_pid" 2>/dev/null; then echo "FAIL: policy-server died" >&2; failed=1; fi
# The last certificate and the last configuration are the ones served.
fingerprint() { openssl x509 -noout -fingerprint -sha256; }
served=$(openssl s_client -connect "127.0.0.1:$port" -servername localhost </dev/null 2>/dev/null | fingerprint)
if [[ "$served" != "$(fingerprint < "$work/server-cert.pem")" ]]; then
  echo "FAIL: the last certificate is not served" >&2
  failed=1
fi
knob=$(curl -s --cacert "$work/ca.pem" -X POST -H 'Content-Type: application/json' \
  --data-binary @"$body" "https://127.0.0.1:$port/validate/knob")
if [[ "$knob" != *"generation $generation"* ]]; then
  echo "FAIL: the last configuration is not served: $knob" >&2
  failed=1
fi
if ! grep -qE ' errors 0 +wrong 0 ' "$work/good.txt"; then
  echo "FAIL: good requests failed or were answered wrongly" >&2
  failed=1
fi
# A few descriptors come and go with connections being accepted; growth beyond that is a leak.
if [[ "$fds_end" == - ]] || ((fds_end > fds_start + 16 || threads_end > threads_start)); then
  echo "FAIL: descriptors or threads grew" >&2
  failed=1
fi
if ((failed)); then tail -20 "$work/server.log" >&2; fi
exit $failed
