"""The window's bulk run beside the CLI's and the engine's, and the GUI's event-loop lag.

One command, one latency server (``bench.throughput.Server``), the same N path
revalidations four ways, one after the other:

* ``engine``  — :class:`Revalidator` alone (``bench.throughput.run_engine``);
* ``cli``     — ``isr-desk revalidate --from-file … --json`` (process start to exit, and
  the run itself as the CLI's summary reports it);
* ``window``  — the real main window (offscreen) on a qasync loop: ``RunController`` →
  ``RunSession`` with the engine on its own loop in a worker thread (as the app runs it);
* ``window-inline`` (``--inline``) — the same session on the GUI's qasync loop, the design
  before (every network callback paid through Qt's event loop), to show the difference.

Meanwhile a 10 ms QTimer measures how late it fires: the lag a user feels. Goals (issue 13):
the window's run within 1.15 x the CLI's, lag p99 < 50 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.gui_lag --targets 10000 [--inline]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from bench import throughput
from bench.latency_server import SECRET
from isr_desk.app import SessionProfiles, SessionSecrets, own_the_threads, wait_for
from isr_desk.domain import SiteProfile, Target, percentile
from isr_desk.services.history import HistoryStore
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.sites import ProfileStore
from isr_desk.views.collector import GuiThreadCollector
from isr_desk.views.main_window import MainWindow


class LagProbe:
    """A repeating timer that records how late each tick is, in milliseconds."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.interval = interval_ms / 1000
        self.lags: list[float] = []
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lags.append(max(0.0, (now - self._last - self.interval) * 1000))
        self._last = now


@dataclass
class WindowRun:
    """One run in the window: wall time click → finished, the engine's own time, the lag."""

    name: str
    wall_s: float
    run_s: float
    ok: int
    rows: int
    lags: list[float]


async def window_run(
    url: str, targets: int, concurrency: int, home: Path, *, threaded: bool
) -> WindowRun:
    secrets = SessionSecrets()
    profile = SiteProfile("Bench", url, concurrency=concurrency, retries=0)
    secrets.keep_in_memory(profile.name, SECRET)
    client = make_client()
    history = HistoryStore(home / "history.sqlite3")
    window = MainWindow(
        history=history,
        profiles=SessionProfiles(ProfileStore(home / "profiles.json"), secrets, (profile,)),
        secrets=secrets,
        revalidator=Revalidator(client),
        settings=QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat),
    )
    window.controller.threaded = threaded
    window.show()
    probe = LagProbe()
    try:
        await asyncio.sleep(0.2)
        probe.start()
        t0 = time.perf_counter()
        window.controller.start(profile, [Target.path(f"/p/{i}") for i in range(targets)])
        finished = await wait_for(window.controller.run_finished, seconds=600)
        elapsed = time.perf_counter() - t0
        probe.stop()
        window.log.model.flush()
        rows = window.log.model.rowCount()
    finally:
        window.close()
        await client.aclose()
        history.close()
    if finished is None:
        sys.exit("the run did not finish within 600 s")
    summary = finished[0]
    name = "window" if threaded else "window-inline"
    return WindowRun(name, elapsed, summary.duration_ms / 1000, summary.ok, rows, probe.lags)


def run_windows(url: str, args: argparse.Namespace) -> list[WindowRun]:
    runs: list[WindowRun] = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ISR_DESK_HOME"] = tmp
        app = QApplication.instance() or QApplication([sys.argv[0]])
        assert isinstance(app, QApplication)
        app.setQuitOnLastWindowClosed(False)
        collector = GuiThreadCollector(app)  # as run_app does
        collector.start()
        own_the_threads()  # as run_app does
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            for threaded in (True, False) if args.inline else (True,):
                home = Path(tmp) / ("threaded" if threaded else "inline")
                home.mkdir()
                run = window_run(url, args.targets, args.concurrency, home, threaded=threaded)
                runs.append(loop.run_until_complete(run))
        collector.stop()
    return runs


def report(engine: throughput.Figure, cli: throughput.Figure, windows: list[WindowRun]) -> None:
    cli_run = cli.extra.get("engine_run_s", cli.wall_s)
    print(f"{'':14} {'wall s':>8} {'run s':>8} {'ok':>7}  vs CLI (wall / run)  lag p50/p99/max ms")
    print(f"{'engine':14} {engine.wall_s:8.2f} {engine.wall_s:8.2f} {engine.ok:7}")
    print(f"{'cli':14} {cli.wall_s:8.2f} {cli_run:8.2f} {cli.ok:7}  1.00 / 1.00")
    for w in windows:
        lags = w.lags
        print(
            f"{w.name:14} {w.wall_s:8.2f} {w.run_s:8.2f} {w.ok:7}  "
            f"{w.wall_s / cli.wall_s:4.2f} / {w.run_s / cli_run:4.2f}        "
            f"{percentile(lags, 0.5):5.1f} / {percentile(lags, 0.99):5.1f} / "
            f"{max(lags, default=0.0):5.1f}  (rows {w.rows:,}, ticks {len(lags):,})"
        )
    print("# goals: window wall within 1.15 x the CLI's; lag p99 < 50 ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--inline", action="store_true", help="also the session on the GUI loop")
    args = parser.parse_args(argv)
    throughput.LATENCY = args.latency
    load = os.getloadavg()
    print(
        f"# {args.targets} paths, concurrency {args.concurrency}, latency "
        f"{args.latency * 1000:g} ms; nproc {os.cpu_count()}; load {load[0]:.2f} {load[1]:.2f}",
        flush=True,
    )
    server = throughput.Server(args.latency, 1)
    try:
        engine = throughput.run_engine(server, args.targets, args.concurrency)
        print(f"  engine: {engine.wall_s:.2f} s", flush=True)
        cli = throughput.run_cli(server, args.targets, args.concurrency)
        print(f"  cli: {cli.wall_s:.2f} s", flush=True)
        windows = run_windows(server.url, args)
    finally:
        server.close()
    report(engine, cli, windows)
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
