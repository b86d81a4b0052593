#!/usr/bin/env bash
# Creates the local kind cluster (config from config.sh) and the vilokanam namespace.
# Then: `tilt up` (builds, installs and live-updates), or scripts/kind/install.sh (plain Helm).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name="${VILO_KIND_NAME:-vilokanam}"
for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || { echo "create.sh: $tool is not installed (https://kind.sigs.k8s.io/docs/user/quick-start/)" >&2; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "create.sh: the Docker daemon is not reachable" >&2; exit 1; }
if kind get clusters 2>/dev/null | grep -qx "$name"; then
  echo "kind cluster $name exists"
else
  bash "$here/config.sh" | sed "s/^name: vilokanam$/name: $name/" | kind create cluster --name "$name" --config=-
fi
kubectl --context "kind-$name" create namespace vilokanam --dry-run=client -o yaml | kubectl --context "kind-$name" apply -f -
echo "cluster kind-$name ready: run 'tilt up' (or scripts/kind/install.sh), then open http://127.0.0.1:${VILO_KIND_HTTP_PORT:-8080}/"
