#!/usr/bin/env bash
# Sets up what the ISR Desk *app* needs on a Debian machine: the apt packages Qt and the
# Secret Service use, then the virtualenv in .venv with the app installed (editable).
# The test and benchmark tools (node, wrk, xvfb, curl, pytest, ruff ...) are not installed
# here: scripts/setup-test.sh adds them. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # Qt runtime (offscreen and a real window under X11/xcb)
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core
  libx11-xcb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1
  # a Secret Service for the keyring, where the desktop has none
  dbus gnome-keyring
)

# shellcheck source=scripts/apt-install.sh
source scripts/apt-install.sh
need_python=()
if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  need_python=(python3 python3-venv python3-pip)
fi
apt_install "${APT_PACKAGES[@]}" "${need_python[@]}"

python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup: ISR Desk needs Python 3.11 or newer, this is {sys.version.split()[0]}")
PY

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
echo "setup: done (.venv has the app)"
