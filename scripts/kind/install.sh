#!/usr/bin/env bash
# Without Tilt: builds the four images, loads them into kind, and installs the chart.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
name="${VILO_KIND_NAME:-vilokanam}"
tag="${VILO_IMAGE_TAG:-dev}"
cd "$root"
for image in sfu-node operator signaling social; do
  DOCKER_BUILDKIT=1 docker build -f "docker/$image.Dockerfile" -t "vilokanam/$image:$tag" .
  kind load docker-image --name "$name" "vilokanam/$image:$tag"
done
helm upgrade --install vilo charts/vilokanam --kube-context "kind-$name" --namespace vilokanam \
  -f "$here/values.yaml" --set image.tag="$tag" --wait --timeout 10m
kubectl --context "kind-$name" -n vilokanam get livestreams,pods
