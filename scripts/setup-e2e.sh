#!/usr/bin/env bash
# Installs the npm packages of the end-to-end Next.js sites: tests/e2e/next_site and every
# tests/e2e/sites/<name> (or only the site directories given as arguments).
# Fast when nothing changed: a stamp in each node_modules holds a hash of package.json,
# package-lock.json and the Node version, and npm runs only when that hash differs.
# `npm install` (not `npm ci`): it keeps a warm node_modules and reuses the npm cache.
# Several sites install in parallel; the script fails when any install fails.
# The sites are built (and the builds cached) by the pytest fixtures in tests/e2e/nextjs.py.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "setup-e2e: $tool is missing; install it with scripts/setup-test.sh" >&2; exit 1
  fi
done
if [ "$#" -gt 0 ]; then
  sites=("$@")
else
  sites=(tests/e2e/next_site tests/e2e/sites/*/)
fi
install_hash() {
  { node --version; cat "$1/package.json" "$1/package-lock.json" 2>/dev/null; } | sha256sum | cut -d' ' -f1
}
install() {  # $1: a site directory
  local site=$1 started=$SECONDS
  (cd "$site" && NEXT_TELEMETRY_DISABLED=1 npm install --no-audit --no-fund --loglevel=error)
  echo "setup-e2e: $site installed in $((SECONDS - started)) s"
  # npm may rewrite the lockfile: hash after the install.
  install_hash "$site" >"$site/node_modules/.isr-desk-install-stamp"
}
# The installs run in parallel: they mostly wait on the network and the disk.
pids=()
for site in "${sites[@]}"; do
  site=${site%/}
  [ -f "$site/package.json" ] || continue
  stamp="$site/node_modules/.isr-desk-install-stamp"
  if [ -d "$site/node_modules/next" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(install_hash "$site")" ]; then
    continue
  fi
  echo "setup-e2e: npm install in $site"
  install "$site" &
  pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
exit "$failed"
