#!/usr/bin/env bash
# Builds the compliance UI's web app (ui/) into ${KW_BUILD_DIR:-build}/web, the directory
# compliance-ui serves by default (<dir of the binary>/../web). npm installs the exact versions of
# ui/package-lock.json, only when ui/node_modules is missing or older than the lock file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KW_BUILD_DIR:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
web="$root/ui"

if [[ ! -d "$web/node_modules" || "$web/package-lock.json" -nt "$web/node_modules" ]]; then
  echo "build-web: npm ci"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$web/node_modules"
fi
(cd "$web" && KW_WEB_OUT_DIR="$build/web" npx --no-install vite build --logLevel warn)
echo "build-web: $build/web"
