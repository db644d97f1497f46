#!/usr/bin/env bash
# Memory of policy-server under connection floods (idle sockets, idle TLS sessions, keep-alive
# sessions, stalled 2 MiB bodies): the README's "Slow clients" figures.
#
#   ./bench/connections.sh [connections, default 10000] [extra policy-server flags...]
#
# For each flood, starts a fresh policy-server (HTTPS, 2 workers, a trivial policy,
# --client-read-timeout 60 so that the floods stay open while they are measured) and runs
# bench/connections.py against it. Everything stays on 127.0.0.1. Needs an open-file limit above
# the number of connections (the server admits the limit less a reserve, and closes the rest).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
connections="${1:-10000}"
shift || true

source "$root/bench/work_dir.sh"
echo "trivial: {module: file://$build/tests/data/wapc_accept.wasm}" > "$work/policies.yml"

port=18543
start_server() {
  "$build/cmd/policy-server/policy-server" --addr 127.0.0.1 --port $port --readiness-probe-port 18581 \
    --workers 2 --cert-file "$work/cert.pem" --key-file "$work/key.pem" \
    --policies "$work/policies.yml" --client-read-timeout 60 --log-level warn "$@" \
    >> "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf http://127.0.0.1:18581/readiness >/dev/null && return 0
    sleep 0.1
  done
  cat "$work/server.log" >&2
  exit 1
}

header=""
for flood in idle handshake keep-alive bodies; do
  start_server "$@"
  python3 "$root/bench/connections.py" "$server_pid" "$port" "$connections" "$flood" $header
  header=--no-header
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
done
echo "server log (most frequent lines):"
sort "$work/server.log" | uniq -c | sort -rn | head -5
