#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs dependencies, builds, runs a short fuzzing
# pass over every parser that faces the outside, then every unit and integration test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
"$root/scripts/fuzz.sh" "${KW_FUZZ_SECONDS:-10}"
build="${KW_BUILD_DIR:-$root/build}"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 600
