#!/usr/bin/env bash
# Installs the npm packages of the end-to-end Next.js site (tests/e2e/next_site), if present.
# Fast when nothing changed: a stamp in node_modules holds a hash of package.json,
# package-lock.json and the Node version, and npm runs only when that hash differs.
# The site is built (and the build cached) by the pytest fixture in tests/e2e/conftest.py.
set -euo pipefail
cd "$(dirname "$0")/.."
site=tests/e2e/next_site
[ -f "$site/package.json" ] || exit 0
for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "setup-e2e: $tool is missing; install it with scripts/setup-test.sh" >&2; exit 1
  fi
done
stamp="$site/node_modules/.isr-desk-install-stamp"
install_hash() {
  { node --version; cat "$site/package.json" "$site/package-lock.json" 2>/dev/null; } | sha256sum | cut -d' ' -f1
}
if [ -d "$site/node_modules/next" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(install_hash)" ]; then
  exit 0
fi
echo "setup-e2e: npm install in $site"
(cd "$site" && NEXT_TELEMETRY_DISABLED=1 npm install --no-audit --no-fund --loglevel=error)
# npm may rewrite the lockfile: hash after the install.
install_hash >"$stamp"
