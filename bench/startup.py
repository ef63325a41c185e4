"""Start-up time and memory.

Start-up: wall time from process start to exit of ``isr-desk --help``, ``isr-desk site list``
and ``isr-desk gui --screenshot FILE`` (offscreen: the window is built, shown, grabbed and
saved, then the app quits — an upper bound), and the time from starting a process that runs
``isr_desk.app.run_app`` (what ``isr-desk gui`` runs) to the main window's first paint: the
time to a shown window (goal < 1 s).

Memory: in a child process, RSS after importing the GUI, after loading a generated
100,000-route ``.next`` build into the paths and tags models (with table views shown), and
after 100,000 results in the live-log model (goal < 300 MB). The results are what the
engine makes for a run on every listed page (targets from ``PathsModel.targets``; made-up
paths beyond the routes) against ``next start`` (Next 16, the seed route), without the
sockets (a 100k-request run would take the CPU others need): requests from
``endpoints.build_requests`` (app-router preset, secret in the query); each answer a real
``httpx.Response`` with the headers that server sends (its own ``Date``; uncompressed, as
the engine asks) and its JSON body ``{"revalidated":true,"now":…}``, redacted and parsed by
``Reply.from_response``, given its own ``Timing`` and made into results by ``results_for``
— the steps of ``Revalidator._send_job``. Measured against the real engine and
``next start`` (tracemalloc, 2,000 results) this costs within 4 % of a real result. The
log's own cost is clearest with few routes (``--routes 1000``): with 100,000 the results
partly reuse memory the manifest load freed.

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


# run_app with a main window that reports its first paint (wall clock), then closes.
_SHOWN_CHILD = r"""
import json, sys, time
from PySide6.QtCore import QTimer
import isr_desk.app as app_module

class FirstPaint(app_module.MainWindow):
    _painted = 0.0
    def paintEvent(self, event):
        super().paintEvent(event)
        if not self._painted:
            self._painted = time.time()
            print(json.dumps({"painted": self._painted}), flush=True)
            QTimer.singleShot(0, self.close)

app_module.MainWindow = FirstPaint
sys.exit(app_module.run_app())
"""


def _time_to_window(env: dict[str, str], runs: int) -> tuple[float, float, int]:
    """Median and best seconds from starting the process to the window's first paint."""
    times, code = [], 0
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.Popen(
            [sys.executable, "-c", _SHOWN_CHILD], env=env, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        line = proc.stdout.readline()
        code = proc.wait(timeout=60)
        if not line:
            return float("nan"), float("nan"), code or 1
        times.append(json.loads(line)["painted"] - t0)
    return statistics.median(times), min(times), code


def compile_bytecode() -> None:
    """Compile the package's bytecode first, as ``pip install`` does.

    With ``PYTHONDONTWRITEBYTECODE`` set (as in CI and this project's shells) a source tree
    never gets its ``__pycache__``, and every start would compile ISR Desk's ~100 modules
    again (~0.1-0.4 s, more than the app's own start-up work): not what a user's install does.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "isr_desk")], check=True)


def startup(runs: int) -> list[tuple[str, float, float, int]]:
    compile_bytecode()
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
        rows.append(("to a shown window", *_time_to_window(env, runs)))
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
from isr_desk.domain import Target, Timing
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

# The results the engine makes: each request built by build_requests (its own URL, headers
# and body, with the secret), each answer a real httpx.Response with the headers and body
# `next start` (Next 16) sends for the seed route, judged and redacted by
# Reply.from_response, given its own Timing, and turned into Results by results_for. As in
# Run, every request is built up front and let go once its result is made.
import email.utils
from collections import deque
from dataclasses import replace
import httpx
from isr_desk.domain import SiteProfile
from isr_desk.services.sites import build_requests
from isr_desk.services.revalidation import Reply, results_for
profile = SiteProfile("bench", "http://127.0.0.1:3000")
secret = "bench-secret-0123456789"
# What a user revalidates: every listed page ("select all", as PathsModel.targets makes
# them, sharing the manifest's strings), then made-up paths if there are fewer routes.
targets = paths.targets(range(min(rows, paths.rowCount())))
targets += [Target.path(f"/blog/post-{i}") for i in range(len(targets), rows)]
requests = deque(build_requests(profile, targets, secret))
del targets
t0 = time.perf_counter()
log = LogModel()
results = []  # as LogPanel keeps the run's results (for "Retry failed" and the hint line)
for i in range(len(requests)):
    request = requests.popleft()
    started = 1.7e9 + i * 0.01
    raw = [
        (b"Vary", b"rsc, next-router-state-tree, next-router-prefetch, "
                  b"next-router-segment-prefetch, Accept-Encoding"),
        (b"content-type", b"application/json"),
        (b"Date", email.utils.formatdate(started, usegmt=True).encode()),
        (b"Connection", b"keep-alive"),
        (b"Keep-Alive", b"timeout=5"),
        (b"Transfer-Encoding", b"chunked"),
    ]
    body = b'{"revalidated":true,"now":%d}' % (1700000000000 + i * 10)
    reply = Reply.from_response(httpx.Response(200, headers=raw), body, request)
    total = 20.0 + (i % 97) / 10
    reply = replace(reply, timing=Timing(
        total_ms=total, connect_ms=None if i % 32 else 0.4, tls_ms=None,
        first_byte_ms=total - 0.3,
    ))
    batch = results_for(
        request, reply, attempts=1, duration_ms=total + 0.2, instance=None,
        started_at=started, timeout=10.0,
    )
    results.extend(batch)
    log.add("bench", batch)  # as the run streams in: a flush every ~50 ms of results
    if i % 1000 == 999:
        log.flush()
del requests, request, reply, batch
log.flush()
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
    shown = next(r for r in rows if r[0] == "to a shown window")
    verdict = "met" if shown[1] < TARGET_START_S else "MISSED"
    print(f"# start-up to a shown window: {shown[1]:.3f} s (median), goal < 1 s: {verdict}")
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
