#!/usr/bin/env bash
# The pictures of docs/user-guide.md: every journey on the practice site at 1024x640 and
# 1600x1000, light and dark, into DIR (default: a temporary folder); the 1024x640 set and the
# 1600x1000 pictures of pattern-select and what-changed are copied to docs/images. Nothing
# real is touched: a throw-away home and settings folder.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
ISR_DESK_HOME="$scratch/home" XDG_CONFIG_HOME="$scratch/config" QT_QPA_PLATFORM=offscreen \
  .venv/bin/isr-desk gui --demo --screenshot-all "$out"
mkdir -p docs/images
cp "$out"/*-1024x640-*.png docs/images/
# Choosing by pattern and the diff window are dense: their large pictures are in the docs too.
cp "$out"/{pattern-select,what-changed}-1600x1000-*.png docs/images/
echo "All screenshots in $out; the 1024x640 set and two 1600x1000 journeys in docs/images/"
