#!/bin/sh
# Runs every benchmark and prints its figures and comparison (see docs/performance.md).
#   bench/run.sh                 # full load (10,000 paths at concurrency 32, 20 ms)
#   bench/run.sh --n 2000        # extra arguments go to bench.throughput
# The machine has 2 cores: run it when nothing else is busy (see `uptime`).
set -e
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
echo "== machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== bulk throughput (bench.throughput)"
$PY -m bench.throughput "$@"
echo "== start-up and memory (bench.startup)"
$PY -m bench.startup
for name in manifest_scale gui_lag nextjs_throughput hostile; do
    if [ -f "bench/$name.py" ]; then
        echo "== bench.$name"
        $PY -m "bench.$name" || echo "bench.$name failed (exit $?)"
    fi
done
