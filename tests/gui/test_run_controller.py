"""RunController, the Qt adapter over the run session: signals on the GUI thread while the
engine runs in its worker thread, cancel (in flight apart from failures) and "send the
rest", history recorded by the session, and its warnings shown."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from pytestqt.qtbot import QtBot

from isr_desk.domain import Outcome, Result, RunSummary, SiteProfile, Target
from isr_desk.services.history import HistoryStore
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Reply


def _paths(n: int) -> list[Target]:
    return [Target.path(f"/p/{i}") for i in range(n)]


def test_signals_arrive_on_the_gui_thread_while_the_engine_runs_elsewhere(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    profile = SiteProfile("Blog", site.url, concurrency=8)
    window = make_window((profile, site.secret))
    controller = window.controller
    assert controller.threaded
    gui = threading.get_ident()
    threads: set[int] = set()
    received: list[Result] = []
    busy: list[bool] = []

    def on_results(_site: str, results: list[Result]) -> None:
        threads.add(threading.get_ident())
        received.extend(results)

    controller.results_received.connect(on_results)
    controller.busy_changed.connect(busy.append)
    with qtbot.waitSignal(controller.run_finished, timeout=10_000) as finished:
        controller.start(profile, _paths(300))
    summary: RunSummary = finished.args[0]
    assert (summary.ok, summary.total) == (300, 300)
    assert threads == {gui}
    assert len(received) == 300
    assert busy == [True, False]
    session = controller.session
    assert session is not None
    assert session._thread is not None
    assert session._thread.ident != gui
    assert window.log.summary.text().startswith("Done: 300 refreshed, 0 failed")


def test_cancel_shows_in_flight_apart_and_send_the_rest_finishes_the_run(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory, isr_home: Path
) -> None:
    history = HistoryStore()
    with LoopbackSite(latency=0.3) as slow:
        profile = SiteProfile("Blog", slow.url, concurrency=2, retries=0)
        window = make_window((profile, slow.secret), history=history)
        controller = window.controller
        cut = False

        def cancel_on_first(_site: str, _results: list[Result]) -> None:
            nonlocal cut
            if not cut:
                cut = True
                controller.cancel()

        controller.results_received.connect(cancel_on_first)
        with qtbot.waitSignal(controller.run_finished, timeout=10_000) as finished:
            controller.start(profile, _paths(12))
        summary: RunSummary = finished.args[0]
        assert summary.cancelled
        assert summary.in_flight >= 1
        assert summary.failed == 0
        assert "cancelled in flight" in window.log.summary.text()
        assert not window.log.retry_button.isEnabled()  # nothing failed
        first = controller.session
        assert first is not None
        rest = first.rest
        assert len(rest) == summary.in_flight + summary.not_sent
        controller.results_received.disconnect(cancel_on_first)

        with qtbot.waitSignal(controller.run_finished, timeout=10_000) as finished:
            controller.send_rest()
        again: RunSummary = finished.args[0]
    assert (again.ok, again.total) == (len(rest), len(rest))
    qtbot.waitUntil(lambda: history.runs()[0].status == "finished", timeout=3000)
    first_id = first.run_id
    assert first_id is not None
    assert history.unsent_targets(first_id) == []  # the resume answered for it
    cancelled = [r for r in first.results if r.outcome is Outcome.CANCELLED]
    assert len(cancelled) == summary.in_flight
    history.close()


def test_nothing_to_send_again_is_said_plainly(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Blog", site.url), site.secret))
    window.controller.send_rest()
    assert window.banner.text.text() == "Nothing left to send"
    window.controller.retry_failed()
    assert window.banner.text.text() == "No failed targets to retry"


def test_a_history_that_cannot_be_written_is_a_warning_not_a_silent_loss(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    tmp_path: Path,
) -> None:
    history = HistoryStore(tmp_path / "h.sqlite3")
    window = make_window((SiteProfile("Blog", site.url), site.secret), history=history)
    history.path.unlink()
    history.path.mkdir()  # the session's own connection cannot open a directory
    shown: list[tuple[str, str]] = []
    window.messages.shown.connect(lambda level, text: shown.append((level, text)))
    with qtbot.waitSignal(window.controller.run_finished, timeout=10_000) as finished:
        window.controller.start(SiteProfile("Blog", site.url), _paths(1))
    assert finished.args[0].ok == 1  # the run itself went on
    warnings = [text for level, text in shown if level == "warning"]
    assert len(warnings) == 1
    assert warnings[0].startswith("This run is not recorded in the history")
    history.close()


def test_retry_right_as_a_run_finishes_starts_the_retry(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    """The session's stream still drains after Finished: a retry then is not "in progress"."""
    profile = SiteProfile("Blog", site.url, retries=0)
    window = make_window((profile, site.secret))
    controller = window.controller
    site.on(REVALIDATE_PATH, Reply(500, {"message": "boom"}))
    summaries: list[RunSummary] = []

    def retry_at_once(summary: RunSummary) -> None:
        summaries.append(summary)
        if len(summaries) == 1:
            controller.retry_failed()  # synchronously, inside the run_finished emission

    controller.run_finished.connect(retry_at_once)
    controller.start(profile, [Target.path("/a")])
    qtbot.waitUntil(lambda: len(summaries) == 2, timeout=10_000)
    assert (summaries[0].failed, summaries[1].ok) == (1, 1)
    qtbot.waitUntil(lambda: not controller.running, timeout=3000)


def test_a_run_is_busy_from_the_moment_it_starts(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory
) -> None:
    """Esc right after Refresh reaches the run, and a second start (a double click) cannot
    launch a second run beside the first."""
    with LoopbackSite(latency=0.2) as slow:
        profile = SiteProfile("Blog", slow.url, concurrency=2, retries=0)
        window = make_window((profile, slow.secret))
        controller = window.controller
        controller.start(profile, _paths(10))
        assert controller.running
        first = controller.session
        controller.start(profile, _paths(10))  # ignored: one run at a time
        assert controller.session is first
        controller.cancel()
        qtbot.waitUntil(lambda: not controller.running, timeout=5000)
        assert first is not None
        assert len(first.results) < 10
        assert slow.count() < 10
