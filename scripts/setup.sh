#!/usr/bin/env bash
# Idempotent project setup: Node 24, the mediasoup worker, npm dependencies and the web build.
# Each step is skipped when its inputs have not changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/env.sh
log() { echo "[setup] $*" >&2; }

lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
if [ "$(cat node_modules/.vilo-lock 2>/dev/null)" != "$lock_hash" ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.vilo-lock
fi

# web/tsconfig.json extends files svelte-kit generates under web/node_modules; an npm
# install prunes them, and vitest needs them even when the build is current.
if [ ! -f "web/node_modules/\$app/tsconfig.json" ]; then
  (cd web && npx svelte-kit sync >/dev/null)
fi

web_hash="$(find web/src web/static web/vite.config.ts web/package.json services/contracts/src \
  -type f -not -name '*.test.ts' 2>/dev/null | sort | xargs cat | sha256sum | cut -c1-16)"
if [ "$(cat web/build/.vilo-src 2>/dev/null)" != "$web_hash" ]; then
  log "building the web app"
  (cd web && npx svelte-kit sync >/dev/null && npx vite build --logLevel warn)
  echo "$web_hash" > web/build/.vilo-src
fi
log "ready: node $(node --version), worker $MEDIASOUP_WORKER_BIN"
