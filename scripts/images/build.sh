#!/usr/bin/env bash
# Builds every image in docker/ with podman, from the repository root, exactly as a user would
# with docker build, except for two build arguments that suit a machine which cannot pull:
#   NODE_IMAGE    the local stand-in for node:24-bookworm-slim (scripts/images/base.sh)
#   WORKER_STAGE  an image holding the mediasoup worker this machine already built from the same
#                 sources (scripts/mediasoup-worker/build.sh), instead of a 10-minute rebuild
# Usage: scripts/images/build.sh [name...]   (default: all). Prints "<name> <image>" per image.
# VILO_IMAGE_TAG sets the tag (default dev). podman's layer cache makes unchanged rebuilds quick.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source scripts/env.sh
source scripts/images/podman.sh
vilo_podman_ready
log() { echo "[images] $*" >&2; }
tag="${VILO_IMAGE_TAG:-dev}"
node_image="$(bash scripts/images/base.sh)"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(sfu-node operator settlement social signaling)

# An image holding only the worker binary, named by its hash, for WORKER_STAGE.
worker_image() {
  local image ctx
  image="localhost/vilokanam-base/mediasoup-worker:$(sha256sum "$MEDIASOUP_WORKER_BIN" | cut -c1-16)"
  if ! vilo_podman image exists "$image"; then
    ctx="$(mktemp -d)"
    cp "$MEDIASOUP_WORKER_BIN" "$ctx/mediasoup-worker"
    printf 'FROM scratch\nCOPY mediasoup-worker /mediasoup-worker\n' > "$ctx/Containerfile"
    vilo_podman build -q -t "$image" "$ctx" >/dev/null || return 1
    rm -rf "$ctx"
  fi
  echo "$image"
}

for name in "${names[@]}"; do
  file="docker/$name.Dockerfile"
  [ -f "$file" ] || { log "no $file"; exit 2; }
  image="localhost/vilokanam/$name:$tag"
  args=(--network host --layers -f "$file" -t "$image" --build-arg "NODE_IMAGE=$node_image")
  if [ "$name" = sfu-node ]; then
    worker="$(worker_image)" || { log "could not make the worker image"; exit 1; }
    args+=(--build-arg "WORKER_STAGE=$worker")
  fi
  log "building $image"
  start=$SECONDS
  if ! vilo_podman build "${args[@]}" . > "$VILO_CACHE/images/build-$name.log" 2>&1; then
    tail -40 "$VILO_CACHE/images/build-$name.log" >&2
    log "building $image failed"
    exit 1
  fi
  log "built $image in $((SECONDS - start)) s"
  echo "$name $image"
done
