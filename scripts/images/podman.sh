# Sourced helper: podman as it works on a machine without a Docker daemon or registry
# (docs/images.md): Debian's podman with runc, a containers.conf without ulimits, host network.
# Installs podman, runc and debootstrap from Debian's archive when they are absent.
VILO_CACHE="${VILO_CACHE:-$HOME/.cache/vilokanam}"
vilo_podman_ready() {
  if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
    echo "[images] installing podman, runc and debootstrap from Debian" >&2
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
    $sudo apt-get update -qq >&2 || return 1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq podman runc debootstrap >&2 || return 1
  fi
  mkdir -p "$VILO_CACHE/images"
  # crun and runc both fail to raise RLIMIT_NOFILE inside this sandbox; no default ulimits avoids it.
  printf '[containers]\ndefault_ulimits = []\n' > "$VILO_CACHE/images/containers.conf"
  export CONTAINERS_CONF="$VILO_CACHE/images/containers.conf"
}
vilo_podman() { podman --runtime runc "$@"; }
