#!/usr/bin/env bash
# Makes sure Debian's etcd-server is installed and prints the etcd binary path. Installing it
# on a systemd host also enables a stock etcd on :2379; ControlPlane uses its own ports, so the
# two never meet.
set -euo pipefail
die() { echo "[kube-etcd] error: $*" >&2; exit 1; }
bin=/usr/bin/etcd
if ! dpkg -s etcd-server >/dev/null 2>&1; then
  echo "[kube-etcd] installing etcd-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq etcd-server >&2 || { apt-get update -qq >&2 && apt-get install -y -qq etcd-server >&2; }
fi
[ -x "$bin" ] || die "$bin missing after installing etcd-server"
# Captured first: `etcd --version | grep -q` trips pipefail when grep exits before etcd is done.
version="$("$bin" --version)"
[[ "$version" == *"etcd Version: 3."* ]] || die "$bin is not etcd 3.x"
echo "$bin"
