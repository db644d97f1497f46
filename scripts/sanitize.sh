#!/usr/bin/env bash
# The whole test suite built with clang's AddressSanitizer and UndefinedBehaviorSanitizer, into
# build-asan/. Not part of CI (it takes about as long as the CI job); run it after changes to
# code that handles memory by hand. Run scripts/setup.sh first on a fresh machine.
#
# Left out of the run:
# - the tests that measure a process's resident memory: ASan's shadow memory and quarantine make
#   those figures meaningless;
# - the image tests: their binaries run from an image's root, where the sanitizer runtime cannot
#   read /proc;
# - the short soak: it drives bench/ programs, which are not built here.
# Leak detection is off: V8 keeps caches for the life of the process, which LeakSanitizer reports
# as leaks (the fuzzers, built the same way, cover leaks in the parsers). The vptr check is off:
# shared_ptr control blocks made inside the system's gcc-built libraries (spdlog) fail it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-asan"
flags="-fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined"
if [[ ! -f "$build/build.ninja" ]]; then
  CC=clang-19 CXX=clang++-19 cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKW_BUILD_BENCHMARKS=OFF -DCMAKE_C_FLAGS="$flags" \
    -DCMAKE_CXX_FLAGS="$flags -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
KW_BUILD_DIR="$build" "$root/scripts/build-web.sh"

export ASAN_OPTIONS=detect_leaks=0
if symbolizer=$(command -v llvm-symbolizer); then export ASAN_SYMBOLIZER_PATH="$symbolizer"; fi
resident_memory='SilentConnections.CostLittleMemoryWhichGoesBackOnClose'
resident_memory+='|RequestMemoryBudget.BoundsTheMemoryOfStalledBodies'
resident_memory+='|HostileMemory.DroppedInstancesDoNotStayResident'
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 900 \
  -E "^(${resident_memory}|ImagesTest\..*|soak_short)\$"
