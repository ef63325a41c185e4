#!/usr/bin/env bash
# Sets up everything the checks need, on top of the app's set-up (scripts/setup.sh): the apt
# packages of the tests and benchmarks (Xvfb, the curl and wrk peers, Node for the real
# Next.js site, the D-Bus tools of scripts/with-keyring.sh), the test tools in .venv at the
# exact versions of constraints/test.txt, and the end-to-end site's npm packages.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# shellcheck source=scripts/apt-install.sh
source scripts/apt-install.sh
TEST_APT_PACKAGES=(
  xvfb xauth dbus-x11   # a real window under Xvfb; dbus-launch
  curl wrk procps       # the benchmarks' peers, process tools
)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  TEST_APT_PACKAGES+=(nodejs npm)
fi
apt_install "${TEST_APT_PACKAGES[@]}"

.venv/bin/python -m pip install -q -c constraints/test.txt -e '.[test]'
bash scripts/setup-e2e.sh
echo "setup-test: done (.venv has the app and the pinned test tools)"
