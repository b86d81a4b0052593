#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the whole platform in embedded mode
# (PGlite, in-process pub/sub, local mediasoup workers) on one port, settling viewers'
# seconds against a local dev chain (chopsticks with the Asset Hub runtime) unless
# VILO_CHAIN_WS_URL names a real one or VILO_DEVCHAIN=0.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
# Recording and VODs run Debian's ffmpeg; the rest of the platform runs without it.
if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  echo "[start] installing ffmpeg for recording" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg; } >&2
fi
source "$root/scripts/env.sh"
cd "$root"
if [[ -z "${VILO_CHAIN_WS_URL:-}" ]]; then
  export VILO_DEVCHAIN="${VILO_DEVCHAIN:-1}"
  # On the dev chain, payouts come every minute so they can be watched happening.
  export VILO_PAYOUT_INTERVAL_MINUTES="${VILO_PAYOUT_INTERVAL_MINUTES:-1}"
fi
exec node services/signaling/src/main.ts
