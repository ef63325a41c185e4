#!/usr/bin/env bash
# Sets up (idempotent) and starts the ISR Desk app. With no site configured it opens on the
# built-in demo site. Extra arguments go to `isr-desk`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/isr-desk "$@"
