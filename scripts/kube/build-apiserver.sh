#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager from Debian's `kubernetes` source package
# (the only Kubernetes source reachable here) and caches the stripped binaries side by side
# outside the checkout. Prints kube-apiserver's path on stdout (kube-controller-manager is in
# the same directory); progress goes to stderr.
#
# The cache key is the Debian source version plus this script's hash, so a fresh machine
# rebuilds, a warm one skips, and editing a patch step below forces a rebuild.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../apt-private.sh"
VILO_CACHE="${VILO_CACHE:-$HOME/.cache/vilokanam}"
base="$VILO_CACHE/kube-apiserver"
log() { echo "[build-apiserver] $*" >&2; }
die() { echo "[build-apiserver] error: $*" >&2; exit 1; }

go_pkg=golang-1.19-go
go_bin=/usr/lib/go-1.19/bin/go
reflect2_pkg=golang-github-modern-go-reflect2-dev
reflect2_src=/usr/share/gocode/src/github.com/modern-go/reflect2
script_hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
mkdir -p "$base"

# The Debian version decides the key; looking it up needs only apt's cached lists.
if dsc="$(apt_private source --print-uris kubernetes 2>/dev/null | awk '$2 ~ /\.dsc$/ && !n++ { print $2 }')" && [ -n "$dsc" ]; then
  deb_version="${dsc#kubernetes_}"; deb_version="${deb_version%.dsc}"
else
  # Offline warm machine: reuse the single build this script made, if there is one.
  shopt -s nullglob
  cached=("$base"/*-"$script_hash"/kube-apiserver)
  shopt -u nullglob
  [ "${#cached[@]}" -eq 1 ] || die "cannot look up the kubernetes source version and no unique cached build"
  log "source version lookup failed; using ${cached[0]}"
  echo "${cached[0]}"; exit 0
fi
out_dir="$base/$deb_version-$script_hash"
out="$out_dir/kube-apiserver"
kcm="$out_dir/kube-controller-manager"
if [ -x "$out" ] && [ -x "$kcm" ]; then echo "$out"; exit 0; fi

# One build at a time: test files may ask for the binary concurrently.
exec 9>"$base/.lock"
flock 9
if [ -x "$out" ] && [ -x "$kcm" ]; then echo "$out"; exit 0; fi

# "1.20.5+really1.20.2-1.1+deb12u1" -> 1.20.2: Debian kept the 1.20.5 number for a 1.20.2 tree.
upstream="${deb_version%-*}"; upstream="${upstream##*really}"
[[ "$upstream" =~ ^1\.20\.[0-9]+$ ]] || die "source is $upstream; the patch steps were checked for 1.20.x only"
log "building kube-apiserver v$upstream from Debian source $deb_version (cold: ~5 min here, up to ~15 min on a slower 2-core machine)"

missing=()
for p in "$go_pkg" "$reflect2_pkg"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
    || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2; }
fi
[ -x "$go_bin" ] || die "$go_bin missing after installing $go_pkg"
[ -f "$reflect2_src/go_above_118.go" ] || die "$reflect2_src lacks go_above_118.go (need reflect2 >= 1.0.2)"

work="$base/work"
rm -rf "$work"
mkdir -p "$work/dl" "$work/gopath/src/k8s.io"
(cd "$work/dl" && apt_private source --download-only "kubernetes=$deb_version" >&2)
orig=("$work"/dl/kubernetes_*.orig.tar.gz)
[ -f "${orig[0]}" ] || die "no orig tarball downloaded"
log "unpacking ${orig[0]##*/}"
tar -xzf "${orig[0]}" -C "$work/gopath/src/k8s.io"
tree_dirs=("$work"/gopath/src/k8s.io/kubernetes-*)
[ -d "${tree_dirs[0]}/vendor" ] || die "unpacked tree has no vendor/"
mv "${tree_dirs[0]}" "$work/gopath/src/k8s.io/kubernetes"
src="$work/gopath/src/k8s.io/kubernetes"

export GOPATH="$work/gopath" GO111MODULE=off GOFLAGS= GOPROXY=off CGO_ENABLED=0
export GOCACHE="$VILO_CACHE/go-build" GOTOOLCHAIN=local
cd "$src"

# reflect2 1.0.1 reads runtime internals that changed in Go 1.18 and segfaults on the first
# custom-object create; 1.0.2 is API-compatible.
[ -f vendor/github.com/modern-go/reflect2/reflect2.go ] || die "vendored reflect2 not found"
grep -q 'github.com/modern-go/reflect2 v1.0.1' vendor/modules.txt || die "vendored reflect2 is not v1.0.1; recheck the patch"
rm -rf vendor/github.com/modern-go/reflect2
cp -rL "$reflect2_src" vendor/github.com/modern-go/reflect2
log "replaced vendored reflect2 1.0.1 with Debian's $(dpkg-query -W -f='${Version}' "$reflect2_pkg")"

# The tarball lacks the generated OpenAPI definitions kube-apiserver imports. Same inputs as
# upstream's KUBE target in Makefile.generated_files, which we avoid because it writes
# stray files across the tree.
openapi_out=pkg/generated/openapi
[ -f "$openapi_out/doc.go" ] || die "$openapi_out/doc.go not found"
[ ! -e "$openapi_out/zz_generated.openapi.go" ] || die "$openapi_out/zz_generated.openapi.go already exists; recheck the recipe"
mapfile -t openapi_dirs < <(grep -rlE --include='*.go' '^// *\+k8s:openapi-gen=' pkg cmd staging/src \
  | xargs -n1 dirname | sed 's#^staging/src/#vendor/#' \
  | grep -v -e '^vendor/k8s.io/code-generator/' -e '^vendor/k8s.io/sample-apiserver/' | LC_ALL=C sort -u)
[ "${#openapi_dirs[@]}" -ge 60 ] || die "only ${#openapi_dirs[@]} openapi-gen packages found (expected ~75)"
log "generating OpenAPI definitions for ${#openapi_dirs[@]} packages"
nice -n 10 "$go_bin" build -o "$work/openapi-gen" k8s.io/kubernetes/vendor/k8s.io/kube-openapi/cmd/openapi-gen
inputs="$(printf 'k8s.io/kubernetes/%s,' "${openapi_dirs[@]}")"
# Known API-rule violations are upstream's business; the report only needs to go somewhere.
nice -n 10 "$work/openapi-gen" --logtostderr -i "${inputs%,}" -p "k8s.io/kubernetes/$openapi_out" \
  -O zz_generated.openapi -h hack/boilerplate/boilerplate.generatego.txt -r "$work/openapi-violations.report" >&2
[ -s "$openapi_out/zz_generated.openapi.go" ] || die "openapi-gen produced no $openapi_out/zz_generated.openapi.go"

ver_pkgs=(k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version)
for p in "${ver_pkgs[@]}"; do [ -f "$GOPATH/src/$p/base.go" ] || die "$p/base.go not found"; done
ldflags="-s -w"
for p in "${ver_pkgs[@]}"; do
  ldflags+=" -X $p.gitVersion=v$upstream -X $p.gitMajor=1 -X $p.gitMinor=20 -X $p.gitTreeState=archive"
  ldflags+=" -X $p.gitCommit=debian-$deb_version -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done
log "compiling kube-apiserver (go $("$go_bin" env GOVERSION))"
start=$SECONDS
nice -n 10 "$go_bin" build -trimpath -ldflags "$ldflags" -o "$work/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
log "compiled in $((SECONDS - start)) s"
[ "$("$work/kube-apiserver" --version)" = "Kubernetes v$upstream" ] || die "built binary reports the wrong version"
# The Deployment, ReplicaSet and Endpoints controllers: the e2e rolls real Deployments.
log "compiling kube-controller-manager"
start=$SECONDS
nice -n 10 "$go_bin" build -trimpath -ldflags "$ldflags" -o "$work/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
log "compiled in $((SECONDS - start)) s"
[ "$("$work/kube-controller-manager" --version)" = "Kubernetes v$upstream" ] || die "kube-controller-manager reports the wrong version"

mkdir -p "$out_dir"
mv "$work/kube-controller-manager" "$kcm.tmp" && mv "$kcm.tmp" "$kcm"
mv "$work/kube-apiserver" "$out.tmp" && mv "$out.tmp" "$out"
cd "$base" && rm -rf "$work"
# Builds under older keys are dead weight (110 MB each); an executing one survives its unlink.
find "$base" -mindepth 1 -maxdepth 1 -type d ! -name "${out_dir##*/}" -exec rm -rf {} +
log "cached $out"
echo "$out"
