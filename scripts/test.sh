#!/usr/bin/env bash
# Sets up (idempotent; scripts/setup-test.sh) and runs every check ISR Desk has: ruff, mypy, the Qt-free import
# contract, then the whole pytest suite inside a private D-Bus session with a real, unlocked
# Secret Service (gnome-keyring). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test.sh
export PATH="$PWD/.venv/bin:$PATH"
export QT_QPA_PLATFORM=offscreen NEXT_TELEMETRY_DISABLED=1

echo "== ruff";         ruff check isr_desk tests bench
echo "== mypy";         mypy
echo "== import-linter"; lint-imports
echo "== pytest"
exec scripts/with-keyring.sh python -m pytest "$@"
