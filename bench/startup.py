"""Start-up time and memory.

Start-up: wall time from process start to exit of ``isr-desk --help``, ``isr-desk site list``
and ``isr-desk gui --screenshot FILE`` (offscreen: the window is built, shown, grabbed and
saved, then the app quits — an upper bound of the time to a shown window; goal < 1 s).

Memory: in a child process, RSS after importing the GUI, after loading a generated
100,000-route ``.next`` build into the paths and tags models (with table views shown), and
after 100,000 results in the live-log model (goal < 300 MB).

    .venv/bin/python -m bench.startup [--runs 5] [--routes 100000] [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "isr-desk"
TARGET_START_S = 1.0
TARGET_RSS_MB = 300


def _time(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float, int]:
    times = []
    code = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
        code = done.returncode
    return statistics.median(times), min(times), code


def startup(runs: int) -> list[tuple[str, float, float, int]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="isr-bench-") as tmp:
        env = dict(os.environ, ISR_DESK_HOME=tmp, QT_QPA_PLATFORM="offscreen")
        env["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        subprocess.run(
            [str(CLI), "site", "add", "bench", "--url", "http://127.0.0.1:9"],
            env=env,
            capture_output=True,
            check=False,
        )
        shot = str(Path(tmp) / "shot.png")
        for name, cmd in (
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("isr-desk --help", [str(CLI), "--help"]),
            ("isr-desk site list", [str(CLI), "site", "list"]),
            ("isr-desk gui --screenshot", [str(CLI), "gui", "--screenshot", shot]),
        ):
            median, best, code = _time(cmd, env, runs)
            rows.append((name, median, best, code))
    return rows


_MEMORY_CHILD = r"""
import json, os, sys, tempfile, time
from pathlib import Path

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

routes, rows = int(sys.argv[1]), int(sys.argv[2])
out = {}
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication, QTableView
app = QApplication([])
from isr_desk.views.main_window import MainWindow  # the GUI's imports, as at start-up
from isr_desk.views.log_model import LogModel
from isr_desk.views.targets_model import PathsModel, TagsModel
from isr_desk.services.manifest import load_manifest
from isr_desk.domain import (
    Outcome, PreparedRequest, Result, Target, Timing, REDACTED,
)
out["gui imported"] = rss_mb()

from bench.manifest_scale import generate
with tempfile.TemporaryDirectory(prefix="isr-bench-") as tmp:
    build = generate(Path(tmp), routes)
    t0 = time.perf_counter()
    manifest = load_manifest(str(build))
    out["manifest load s"] = time.perf_counter() - t0
out["manifest loaded"] = rss_mb()
paths, tags = PathsModel(), TagsModel()
paths.set_items(manifest.paths)
tags.set_items(manifest.tags)
views = []
for model in (paths, tags):
    view = QTableView()
    view.setModel(model)
    view.resize(1000, 700)
    view.show()
    views.append(view)
app.processEvents()
out["routes in models"] = rss_mb()
out["routes"] = len(manifest.paths)

url = "http://127.0.0.1:3000/api/revalidate?secret=" + REDACTED
headers = (("User-Agent", "isr-desk/0.1.0"), ("Content-Type", "application/json"))
reply_headers = (("content-type", "application/json"), ("content-length", "20"))
t0 = time.perf_counter()
results = []
for i in range(rows):
    target = Target.path(f"/blog/post-{i}")
    body = ('{"path": "%s"}' % target.value).encode()
    results.append(Result(
        target=target, ok=True, outcome=Outcome.REFRESHED, status=200,
        duration_ms=21.5, attempts=1, response={"revalidated": True, "now": 1700000000000 + i},
        timing=Timing(total_ms=21.5, first_byte_ms=21.0), started_at=1.7e9 + i,
        request=PreparedRequest("POST", url, headers, body, (target,)),
        response_headers=reply_headers,
    ))
log = LogModel()
log.add("bench", results)
log.flush()
del results
view = QTableView()
view.setModel(log)
view.resize(1000, 700)
view.show()
app.processEvents()
out["log rows"] = log.rowCount()
out["log fill s"] = time.perf_counter() - t0
out["with log"] = rss_mb()
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        out["peak"] = int(line.split()[1]) / 1024
print(json.dumps(out))
"""


def memory(routes: int, rows: int) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(routes), str(rows)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"memory child failed: {done.stderr.strip()[-800:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--routes", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    print(f"# nproc {os.cpu_count()}; load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = startup(args.runs)
    print(f"{'command':<28} {'median s':>9} {'best s':>8} {'exit':>5}")
    for name, median, best, code in rows:
        print(f"{name:<28} {median:9.3f} {best:8.3f} {code:>5}")
    gui = next(r for r in rows if r[0].startswith("isr-desk gui"))
    verdict = "met" if gui[1] < TARGET_START_S else "MISSED"
    print(f"# start-up to a shown window (upper bound): {gui[1]:.3f} s, goal < 1 s: {verdict}")
    mem = memory(args.routes, args.rows)
    print(f"# RSS (MB) with {mem['routes']} routes and {mem['log rows']} log rows")
    for key in ("gui imported", "manifest loaded", "routes in models", "with log", "peak"):
        print(f"{key:<28} {mem[key]:9.1f}")
    print(f"manifest load {mem['manifest load s']:.2f} s; log fill {mem['log fill s']:.2f} s")
    verdict = "met" if mem["with log"] < TARGET_RSS_MB else "MISSED"
    print(f"# RSS {mem['with log']:.0f} MB, goal < {TARGET_RSS_MB} MB: {verdict}")
    if args.json:
        data = {"startup": rows, "memory": mem, "load": os.getloadavg()}
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
