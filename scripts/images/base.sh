#!/usr/bin/env bash
# Local stand-ins for the public base images the Dockerfiles name, for machines that cannot pull:
#   localhost/vilokanam-base/bookworm-min:1      debootstrap --variant=minbase bookworm
#   localhost/vilokanam-base/node:24-bookworm-slim  that, plus Node 24 and npm from the npm registry
# Real users build with the public node:24-bookworm-slim and never need this.
# The debootstrap tarball is cached outside the checkout; podman's store keeps the images.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/node.sh"
source "$root/scripts/images/podman.sh"
vilo_podman_ready
log() { echo "[images] $*" >&2; }
cache="$VILO_CACHE/images"
base=localhost/vilokanam-base/bookworm-min:1
node_base=localhost/vilokanam-base/node:24-bookworm-slim

if ! vilo_podman image exists "$base"; then
  if [ ! -s "$cache/bookworm-min.tar" ]; then
    log "debootstrap bookworm (minbase), about 2 minutes"
    # The mirror apt already uses (a machine may reach no other).
    mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | grep -oE 'https?://[^ ]+/debian/?$|https?://[^ ]+/debian/? ' | grep -v snapshot | head -1 | tr -d ' ' || true)"
    dir="$(mktemp -d)"
    debootstrap --variant=minbase bookworm "$dir" "${mirror:-http://deb.debian.org/debian}" > "$cache/debootstrap.log" 2>&1 \
      || { log "debootstrap failed: see $cache/debootstrap.log"; exit 1; }
    tar -C "$dir" -cf "$cache/bookworm-min.tar.tmp" . && mv "$cache/bookworm-min.tar.tmp" "$cache/bookworm-min.tar"
    rm -rf "$dir"
  fi
  vilo_podman import "$cache/bookworm-min.tar" "$base" >/dev/null
fi

# The host's trust store goes into the stand-in: a machine whose registry traffic passes a TLS
# proxy needs its CA inside every build step that runs npm.
ca=/etc/ssl/certs/ca-certificates.crt
stamp="$(node --version)-$(sha256sum "$ca" 2>/dev/null | cut -c1-12)"
if [ "$(vilo_podman image inspect --format '{{index .Labels "vilo.stamp"}}' "$node_base" 2>/dev/null)" != "$stamp" ]; then
  log "stand-in $node_base: Node $(node --version) and npm from the npm registry"
  ctx="$(mktemp -d)"
  ( cd "$ctx" && npm pack --silent npm@11 >/dev/null && tar -xzf npm-*.tgz && mv package npm && rm npm-*.tgz )
  cp -r "$(dirname "$(dirname "$(command -v node)")")" "$ctx/node"
  mkdir -p "$ctx/certs" && { [ -f "$ca" ] && cp "$ca" "$ctx/certs/" || touch "$ctx/certs/ca-certificates.crt"; }
  cat > "$ctx/Containerfile" <<CF
FROM $base
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
LABEL vilo.stamp=$stamp
CMD ["node"]
CF
  vilo_podman build --network host -q -t "$node_base" "$ctx" >/dev/null
  rm -rf "$ctx"
fi
echo "$node_base"
