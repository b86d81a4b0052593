# Sourced by every entry point: Node 24 first on PATH, and the self-built mediasoup worker.
_vilo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$_vilo_root/scripts/node.sh"
if [ -z "${MEDIASOUP_WORKER_BIN:-}" ]; then
  MEDIASOUP_WORKER_BIN="$(bash "$_vilo_root/scripts/mediasoup-worker/build.sh")"
  export MEDIASOUP_WORKER_BIN
fi
