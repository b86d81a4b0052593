#!/usr/bin/env bash
# Deletes the local kind cluster.
set -euo pipefail
kind delete cluster --name "${VILO_KIND_NAME:-vilokanam}"
