#!/usr/bin/env bash
# The main job on built-in defaults: set up, build, then evaluate the bundled sample policy
# against a sample privileged Pod with kwctl, printing the AdmissionResponse (a rejection).
# (policy-server, which will serve the bundled default policy set, is not built yet.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build="${KW_BUILD_DIR:-$root/build}"
exec "$build/cmd/kwctl/kwctl" run "$build/tests/data/test_policy.wasm" \
  --request-path "$root/tests/data/requests/pod_privileged.json"
