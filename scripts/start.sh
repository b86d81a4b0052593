#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the whole platform in embedded mode
# (PGlite, in-process pub/sub, local mediasoup workers) on one port.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
source "$root/scripts/env.sh"
cd "$root"
exec node services/signaling/src/main.ts
