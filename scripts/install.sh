#!/usr/bin/env bash
# Installs what Curator needs on a fresh Debian machine: Qt's system libraries, a venv in
# .venv, and the package (editable). `--test` also installs the test tools.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS=""
[ "${1:-}" = "--test" ] && EXTRAS="[test]"

# Qt offscreen needs these; a desktop session (xcb) needs the libxcb ones too (PLATFORM.md).
APT_PKGS=(python3-venv libglib2.0-0 libegl1 libgl1 libx11-6 libxkbcommon0 libfontconfig1
    libfreetype6 libdbus-1-3 fonts-dejavu-core libx11-xcb1 libxkbcommon-x11-0 libxcb-cursor0
    libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0
    libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0
    libxcb-xkb1)
# The tests use a real Secret Service: a private D-Bus session (dbus-run-session is in
# dbus-daemon) with its own gnome-keyring-daemon (scripts/test.sh, PLATFORM.md).
[ "${1:-}" = "--test" ] && APT_PKGS+=(dbus-daemon gnome-keyring)
missing=()
for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
    echo "[install] apt: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".$EXTRAS"
echo "[install] done: .venv/bin/curator and .venv/bin/curator-gui"
