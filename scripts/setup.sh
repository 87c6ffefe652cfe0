#!/usr/bin/env bash
# Installs what building, testing and running the desktop app needs on a Debian machine, and
# only what is missing: the WebKitGTK and GTK headers Tauri builds against, Debian's WebDriver
# for WebKitGTK with Xvfb (the end-to-end tests; a private D-Bus session bus and its monitor
# for the notification test; the desktop's tools that check the Debian package's menu entry
# and link handler; `mount` for the full-disk test's tmpfs), the UI's npm packages, and
# tauri-driver.
# Called by scripts/test.sh and scripts/demo.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev librsvg2-dev libayatana-appindicator3-dev
  libjavascriptcoregtk-4.1-dev libxdo-dev libssl-dev build-essential pkg-config file
  webkit2gtk-driver xvfb xauth scrot iproute2 dbus-daemon dbus-bin dbus-session-bus-common
  desktop-file-utils xdg-utils mount
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing system packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
      sudo=(sudo)
    else
      echo "these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
      exit 1
    fi
  else
    sudo=()
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm writes node_modules/.package-lock.json on every install: newer than the lock file and
# package.json means the packages are already what the lock file says.
installed=ui/node_modules/.package-lock.json
if [[ -f ui/package-lock.json ]] &&
  [[ ! -f $installed || ui/package-lock.json -nt $installed || ui/package.json -nt $installed ]]; then
  echo "== installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

if ! command -v tauri-driver >/dev/null; then
  echo "== installing tauri-driver (WebDriver for the desktop app)"
  cargo install tauri-driver --locked --quiet
fi
