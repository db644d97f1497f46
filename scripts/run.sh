#!/usr/bin/env bash
# The main job on built-in defaults: set up, build, then start policy-server on localhost with
# the bundled default policy set (deploy/defaults/policies.yml.in, upstream's recommended
# policies, in protect mode), plain HTTP on port 3000, readiness on 8081.
#
#   KW_PORT / KW_READINESS_PORT   change the ports
#   KW_POLICY_MODE=monitor        use the upstream chart's default mode instead
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build="${KW_BUILD_DIR:-$root/build}"
policies="$build/defaults/policies.yml"
[[ "${KW_POLICY_MODE:-protect}" == monitor ]] && policies="$build/defaults/policies-monitor.yml"
# policy-server refuses to run as root unless told to: this job runs as whoever starts it.
if ((EUID == 0)); then export KUBEWARDEN_ALLOW_ROOT=true; fi
echo "policy-server: serving $policies on http://127.0.0.1:${KW_PORT:-3000}" >&2
exec "$build/cmd/policy-server/policy-server" --addr 127.0.0.1 --port "${KW_PORT:-3000}" \
  --readiness-probe-port "${KW_READINESS_PORT:-8081}" --policies "$policies"
