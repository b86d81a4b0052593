#!/usr/bin/env bash
# Builds mediasoup-worker from the sources in the mediasoup npm tarball, against Debian's
# libraries plus a static OpenSSL-backed libsrtp2 built from Debian's source package.
# Nothing is downloaded from anywhere but the npm registry and Debian's archive.
# The binary is cached outside the checkout, keyed by mediasoup version and this folder's hash.
# Prints the path of the worker binary on stdout; progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
VILO_CACHE="${VILO_CACHE:-$HOME/.cache/vilokanam}"
MEDIASOUP_VERSION="$(node -p "require('$root/sfu-node/package.json').dependencies.mediasoup")"
key="$(cat "$here"/build.sh "$here"/patch.py "$here"/SrtpSession.cpp "$here"/unordered_dense.h "$root/scripts/apt-private.sh" | sha256sum | cut -c1-16)"
out="$VILO_CACHE/mediasoup-worker/$MEDIASOUP_VERSION-$key"
log() { echo "[worker] $*" >&2; }

if [ -x "$out/mediasoup-worker" ]; then
  echo "$out/mediasoup-worker"; exit 0
fi

log "building mediasoup-worker $MEDIASOUP_VERSION (cache miss, ~10 min on 2 cores)"
need=(g++ make pkg-config ninja-build python3 libuv1-dev libssl-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler dpkg-dev)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/vilo-worker.XXXXXX")"
trap 'rm -rf "$work"' EXIT
source "$root/scripts/apt-private.sh"

# meson >= 1.1 is required; bookworm has 1.0, trixie's is pure Python and runs here.
meson_dir="$VILO_CACHE/meson"
if [ ! -f "$meson_dir/usr/bin/meson" ]; then
  log "fetching meson from Debian trixie"
  (cd "$work" && apt_private download meson >&2)
  rm -rf "$meson_dir" && dpkg -x "$work"/meson_*.deb "$meson_dir"
fi
# ninja re-invokes meson by path for install and regeneration, so the module path is exported.
export PYTHONPATH="$meson_dir/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}"
meson() { python3 "$meson_dir/usr/bin/meson" "$@"; }

log "building OpenSSL-backed libsrtp2 from Debian's source package"
(cd "$work" && apt_private source --download-only libsrtp2 >&2)
tar -xzf "$work"/libsrtp2_*.orig.tar.gz -C "$work"
srtp_src="$(echo "$work"/libsrtp-*)"
meson setup "$work/srtp-build" "$srtp_src" --prefix="$work/srtp" --libdir=lib --buildtype=release \
  -Ddefault_library=static -Dcrypto-library=openssl -Dcrypto-library-kdf=disabled \
  -Dtests=disabled -Dpcap-tests=disabled -Ddoc=disabled -Dfuzzer=disabled >&2
ninja -C "$work/srtp-build" install >&2

log "unpacking mediasoup@$MEDIASOUP_VERSION from the npm registry"
(cd "$work" && npm pack --silent "mediasoup@$MEDIASOUP_VERSION" >/dev/null 2>&1)
tar -xzf "$work"/mediasoup-*.tgz -C "$work"
python3 "$here/patch.py" "$work/package/worker" >&2

log "compiling the worker"
export PKG_CONFIG_PATH="$work/srtp/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
ccache_opt=()
if command -v ccache >/dev/null; then
  printf "[binaries]\ncpp = ['ccache', 'g++']\nc = ['ccache', 'gcc']\n" > "$work/ccache.ini"
  ccache_opt=(--native-file "$work/ccache.ini")
fi
meson setup "$work/build" "$work/package/worker" --wrap-mode=nodownload --buildtype=release \
  -Dms_build_tests=false "${ccache_opt[@]}" >&2
ninja -C "$work/build" -j"$(nproc)" mediasoup-worker >&2

bin="$work/build/mediasoup-worker"
if ldd "$bin" | grep -q "libsrtp2\|libnss3"; then
  log "error: the worker links a shared (NSS) libsrtp2; expected the static OpenSSL one"; exit 1
fi
mkdir -p "$out.partial" && cp "$bin" "$out.partial/" && strip "$out.partial/mediasoup-worker"
rm -rf "$out" && mv "$out.partial" "$out"
log "built $out/mediasoup-worker"
echo "$out/mediasoup-worker"
