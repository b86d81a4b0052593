# Sourced helper: apt-get with a private configuration that adds Debian trixie (binaries)
# and bookworm (sources) without touching /etc/apt.
VILO_CACHE="${VILO_CACHE:-$HOME/.cache/vilokanam}"
apt_private() {
  local d="$VILO_CACHE/apt"
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  cat > "$d/sources.list" <<'LIST'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
LIST
  local o=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o APT::Sandbox::User=root)
  if [ ! -f "$d/lists/.updated" ] || [ -n "$(find "$d/lists/.updated" -mmin +1440 2>/dev/null)" ]; then
    apt-get "${o[@]}" update -qq >&2 && touch "$d/lists/.updated"
  fi
  apt-get "${o[@]}" "$@"
}
