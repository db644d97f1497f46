#!/usr/bin/env bash
# Builds the compliance UI's web app (web/) into ${KW_BUILD_DIR:-build}/web, the directory
# compliance-ui serves by default (<dir of the binary>/../web). npm installs the exact versions of
# web/package-lock.json, only when web/node_modules is missing or older than the lock file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
web="$root/web"

if [[ ! -d "$web/node_modules" || "$web/package-lock.json" -nt "$web/node_modules" ]]; then
  echo "build-web: npm ci"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$web/node_modules"
fi
(cd "$web" && KW_WEB_OUT_DIR="$build/web" npx --no-install vite build --logLevel warn)
echo "build-web: $build/web"
