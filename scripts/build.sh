#!/usr/bin/env bash
# Configures and builds everything (binaries, policies, test fixtures, tests, benchmarks) into
# build/. Run scripts/setup.sh first on a fresh machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${KW_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
# The compliance UI's web app, into $build/web where build/cmd/compliance-ui finds it.
KW_BUILD_DIR="$build" "$root/scripts/build-web.sh"
