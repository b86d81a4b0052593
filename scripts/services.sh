#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1, and Chromium and ffmpeg are present,
# installing them from Debian if absent.
set -euo pipefail
log() { echo "[services] $*" >&2; }
apt_install() {
  [ -f /var/lib/apt/lists/.vilo-updated ] || { apt-get update -qq >&2 && touch /var/lib/apt/lists/.vilo-updated; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL"
    apt_install postgresql postgresql-client
  fi
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { log "PostgreSQL did not come up"; exit 1; }
fi
# Tests connect over TCP as postgres/postgres; with trust auth the password is simply ignored.
if command -v runuser >/dev/null && id postgres >/dev/null 2>&1; then
  runuser -u postgres -- psql -qtAc "ALTER USER postgres PASSWORD 'postgres'" >/dev/null 2>&1 || true
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null || { log "installing Redis"; apt_install redis-server; }
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -h 127.0.0.1 ping >/dev/null || { log "Redis did not come up"; exit 1; }
fi

if [ ! -x /usr/bin/chromium ]; then
  log "installing Chromium"
  apt_install chromium
fi
# The recorder remuxes RTP to HLS with ffmpeg; nothing is transcoded.
if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  log "installing ffmpeg"
  apt_install ffmpeg
fi
log "postgres, redis, chromium and ffmpeg ready"
