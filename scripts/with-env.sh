#!/usr/bin/env bash
# Runs a command inside the project environment (see scripts/env.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec "$@"
