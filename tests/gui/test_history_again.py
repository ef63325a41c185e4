"""History: the run id in its own column, "Only runs with failures", "Run again" and "Send the
rest" from the History on the run's own site, and every other run tinted in the log."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from isr_desk.services.history import HistoryStore
from isr_desk.views.history_model import STATUS
from isr_desk.views.main_window import HISTORY, MainWindow
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Reply


def _refresh(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.targets.type_box.setPlainText(text)
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        window.targets.refresh_button.click()
    window.log.model.flush()


def _history(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.history.runs_loaded, timeout=3000):
        if window.tabs.currentIndex() == HISTORY:
            window.history.refresh()
        else:
            window.tabs.setCurrentIndex(HISTORY)


def test_run_id_failures_only_run_again_and_separators(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    isr_home: Path,
) -> None:
    window = make_window(
        (SiteProfile("Blog", site.url, retries=0), site.secret),
        (SiteProfile("Shop", site.url, retries=0), site.secret),
        history=HistoryStore(),
    )
    window.sites_bar.select("Blog")
    site.on(REVALIDATE_PATH, Reply(200, {"revalidated": True}), Reply(500, {"message": "boom"}))
    _refresh(qtbot, window, "/a\n/b")
    _refresh(qtbot, window, "/c")
    rows = [window.log.model.row(r) for r in range(3)]
    assert [r.first_of_run for r in rows] == [False, False, True]
    assert [r.odd_run for r in rows] == [False, False, True]  # the second run is tinted
    tint = window.log.model.index(2, 0).data(Qt.ItemDataRole.BackgroundRole)
    assert tint is not None
    plain_row = next(r for r in range(2) if rows[r].result.ok)  # the first run's success
    assert window.log.model.index(plain_row, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    _history(qtbot, window)
    model = window.history.model
    assert model.rowCount() == 2
    ids = [model.index(r, 0).data() for r in range(2)]
    assert all(i.startswith("#") for i in ids)
    window.history.failures_box.setChecked(True)
    assert model.rowCount() == 1  # only the run with a failure
    failed_run = model.record(0)
    assert failed_run.failed == 1
    window.sites_bar.select("Shop")  # Run again goes back to the run's own site
    window.history.table.selectRow(0)
    assert window.history.again_button.isEnabled()
    assert not window.history.rest_button.isEnabled()  # every target was sent
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000) as again:
        window.history.again_button.click()
    assert again.args[0].total == 2
    assert window.sites_bar.current().name == "Blog"
    assert site.revalidated[-2:] in (["path:/a", "path:/b"], ["path:/b", "path:/a"])


def test_send_the_rest_of_a_cancelled_run_from_the_history(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory, isr_home: Path
) -> None:
    with LoopbackSite(latency=0.3) as slow:
        window = make_window(
            (SiteProfile("Blog", slow.url, concurrency=2), slow.secret), history=HistoryStore()
        )
        window.targets.type_box.setPlainText("\n".join(f"/p/{i}" for i in range(10)))
        with qtbot.waitSignal(window.controller.run_finished, timeout=4000) as finished:
            window.targets.refresh_button.click()
            qtbot.waitUntil(lambda: slow.count() >= 2, timeout=3000)
            window.controller.cancel()
        summary = finished.args[0]
        _history(qtbot, window)
        window.history.table.selectRow(0)
        assert window.history.rest_button.isEnabled()
        with qtbot.waitSignal(window.controller.run_finished, timeout=8000) as rest:
            window.history.rest_button.click()
        assert rest.args[0].total == summary.not_sent + summary.in_flight


def test_send_the_rest_from_the_history_continues_that_run_and_says_so(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory, isr_home: Path
) -> None:
    with LoopbackSite(latency=0.3) as slow:
        store = HistoryStore()
        window = make_window(
            (SiteProfile("Blog", slow.url, concurrency=2), slow.secret), history=store
        )
        window.targets.type_box.setPlainText("\n".join(f"/p/{i}" for i in range(10)))
        with qtbot.waitSignal(window.controller.run_finished, timeout=4000):
            window.targets.refresh_button.click()
            qtbot.waitUntil(lambda: slow.count() >= 2, timeout=3000)
            window.controller.cancel()
        _history(qtbot, window)
        original = window.history.model.record(0)
        window.history.table.selectRow(0)
        with qtbot.waitSignal(window.controller.run_finished, timeout=8000):
            window.history.rest_button.click()
    _history(qtbot, window)
    model = window.history.model
    rest, first = model.record(0), model.record(1)
    assert first.id == original.id
    assert rest.resumed_from == original.id  # linked, as `revalidate --resume` links it
    assert f"continues run #{original.id}" in model.index(0, STATUS).data()
    assert f"continued in run #{rest.id}" in model.index(1, STATUS).data()
    assert store.unsent_targets(original.id) == []  # nothing of the first run is left
