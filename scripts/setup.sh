#!/usr/bin/env bash
# Installs every build and test dependency on a fresh Debian 12 machine, then exits.
# Idempotent: a second run only checks. Needs root (apt-get).
#
# V8 comes from Debian's libnode108/libnode-dev. `apt-get install libnode-dev` conflicts with the
# nodesource nodejs preinstalled here, so the two packages are downloaded and unpacked into a
# private prefix (.deps/v8) instead; the binaries find libnode through an rpath.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost1.81-dev libboost-json1.81-dev libsimdjson-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libcurl4-openssl-dev libssl-dev
  # gzip for the layers of our container images (src/image)
  zlib1g-dev
  # SQLite: the compliance UI keeps the history of the audit scans in it (src/ui)
  libsqlite3-dev
  # libseccomp: the system-call filter of policy-server and kwctl once started (src/sandbox)
  libseccomp-dev
  # the openssl CLI: the policy-server tests make a test CA and certificates with it
  openssl
  # time zones for the OPA builtins time.date and friends (read from /usr/share/zoneinfo)
  tzdata
  # libnode108's own runtime dependencies (it is unpacked by hand below, so apt does not pull them)
  libuv1 libc-ares2 libnghttp2-14 libbrotli1 libicu72 zlib1g
  # guest toolchain: C/C++ policies and hand-written test modules
  clang-19 lld-19 libclang-rt-19-dev libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32 wasi-libc wabt
  # wasm-opt (binaryen): shrinks every linked policy module by 10-15 % (cmake/kw_wasm_policy.cmake)
  binaryen
  nlohmann-json3-dev
  # a real OCI registry on loopback for the src/oci tests, and htpasswd -B for its basic auth
  docker-registry apache2-utils
  # script(1): gives kwctl a terminal in the test of its pull progress line
  bsdutils
  # a real HTTP proxy on loopback for the proxy tests (sources.yaml proxies, *_PROXY variables)
  tinyproxy
  # the shells whose completion scripts `kwctl completions` writes, to check them for real
  zsh fish
  # bench/audit_seed.py reads the recommended policies of deploy/defaults (YAML)
  python3-yaml
  # a headless browser for the compliance UI's browser tests (tests/ui, driven by playwright-core)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -f "$deps/v8/usr/include/node/v8.h" ]]; then
  echo "setup: unpacking V8 (libnode108, libnode-dev) into $deps/v8"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq libnode108 libnode-dev >/dev/null 2>&1)
  mkdir -p "$deps/v8"
  for d in "$tmp"/*.deb; do dpkg -x "$d" "$deps/v8"; done
  rm -rf "$tmp"
fi
echo "setup: ok"
