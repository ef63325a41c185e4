#!/usr/bin/env bash
# Installs the npm packages of the end-to-end Next.js site (tests/e2e/next_site), if present.
set -euo pipefail
cd "$(dirname "$0")/.."
site=tests/e2e/next_site
[ -f "$site/package.json" ] || exit 0
if ! command -v node >/dev/null; then
  echo "setup-e2e: node is missing; install it with scripts/setup.sh" >&2; exit 1
fi
if [ ! -d "$site/node_modules/next" ] || [ "$site/package-lock.json" -nt "$site/node_modules/.package-lock.json" ]; then
  echo "setup-e2e: npm install in $site"
  (cd "$site" && NEXT_TELEMETRY_DISABLED=1 npm install --no-audit --no-fund --loglevel=error)
fi
