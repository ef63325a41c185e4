"""Event-loop lag of the GUI while a bulk run streams into the live log.

Starts ``bench.latency_server`` in a subprocess, opens the real main window (offscreen by
default) on a qasync loop, runs N path revalidations through the run controller, and
measures how late a 10 ms QTimer fires meanwhile (its lateness is the lag a user feels).

    QT_QPA_PLATFORM=offscreen python -m bench.gui_lag --targets 10000 --latency 0.02
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from bench.latency_server import SECRET
from isr_desk.app import SessionProfiles, SessionSecrets, wait_for
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


async def bench(url: str, targets: int, concurrency: int, home: Path) -> None:
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
    finally:
        window.close()
        await client.aclose()
        history.close()
    if finished is None:
        sys.exit("the run did not finish within 600 s")
    summary = finished[0]
    lags = probe.lags
    print(
        f"targets={targets} concurrency={concurrency} ok={summary.ok} failed={summary.failed} "
        f"run={elapsed:.2f}s rows={window.log.model.rowCount()} ticks={len(lags)}"
    )
    print(
        f"event-loop lag ms: p50={percentile(lags, 0.5):.1f} p99={percentile(lags, 0.99):.1f} "
        f"max={max(lags, default=0.0):.1f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.latency_server", "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["ISR_DESK_HOME"] = tmp
            app = QApplication.instance() or QApplication([sys.argv[0]])
            assert isinstance(app, QApplication)
            app.setQuitOnLastWindowClosed(False)
            collector = GuiThreadCollector(app)  # as run_app does
            collector.start()
            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            with loop:
                loop.run_until_complete(bench(url, args.targets, args.concurrency, Path(tmp)))
    finally:
        server.terminate()
        server.wait(timeout=5)


if __name__ == "__main__":
    main()
