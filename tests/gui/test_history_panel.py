"""The History panel: runs persist across an app restart (two windows on one ISR_DESK_HOME),
interrupted runs say so, a past run reopens read-only in the log, and exports round-trip."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from isr_desk.domain import Outcome, Result, SiteProfile, Target
from isr_desk.services.history import HistoryStore
from isr_desk.views.history_model import STATUS, HistoryModel
from isr_desk.views.main_window import HISTORY, MainWindow
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Reply


def _show_history(qtbot: QtBot, window: MainWindow) -> HistoryModel:
    with qtbot.waitSignal(window.history.runs_loaded, timeout=3000):
        window.tabs.setCurrentIndex(HISTORY)
    return window.history.model


def _row(model: HistoryModel, row: int) -> list[Any]:
    return [model.index(row, c).data() for c in range(model.columnCount())]


def test_runs_persist_across_a_restart_and_reopen_read_only(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    isr_home: Path,
) -> None:
    history = HistoryStore()
    window = make_window((SiteProfile("Blog", site.url, retries=0), site.secret), history=history)
    site.on(REVALIDATE_PATH, Reply(200, {"revalidated": True}), Reply(404, {"message": "nope"}))
    window.targets.type_box.setPlainText("/blog/a\n/blog/b")
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        window.targets.refresh_button.click()
    qtbot.waitUntil(lambda: history.runs()[0].status == "finished", timeout=3000)
    window.close()
    history.close()

    # A new start of the app: a new store on the same home, a new window.
    reopened = HistoryStore()
    assert reopened.path.is_relative_to(isr_home)
    assert reopened.mark_interrupted() == 0
    window = make_window(history=reopened)
    model = _show_history(qtbot, window)
    assert model.rowCount() == 1
    run, when, site_name, targets, ok, failed, _, status = _row(model, 0)
    assert run.startswith("#")
    assert (site_name, targets, ok, failed) == ("Blog", "2", "1", "1")
    assert status == "Finished with failures"
    assert when.startswith("Today")

    window.history.table.selectRow(0)
    with qtbot.waitSignal(window.history.run_opened, timeout=3000):
        window.history.open_button.click()
    log = window.log
    assert window.tabs.currentIndex() == 0
    assert log.archive_bar.isVisibleTo(window)
    assert "read-only" in log.archive_label.text()
    shown = log.shown_model
    assert sorted(shown.index(r, 2).data() for r in range(shown.rowCount())) == [
        "/blog/a",
        "/blog/b",
    ]
    assert not log.clear_button.isEnabled()
    assert not log.retry_button.isEnabled()
    assert window.chart.count == 2
    log.live_button.click()
    assert log.shown_model is log.model
    assert log.model.rowCount() == 0
    assert not log.archive_bar.isVisibleTo(window)
    window.close()
    reopened.close()


def test_an_interrupted_run_is_listed_as_interrupted(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory
) -> None:
    with HistoryStore() as store:
        run_id = store.start_run(
            "Shop", total=5, targets=[Target.path(f"/p/{i}") for i in range(5)]
        )
        store.add_results(run_id, [_result("/p/0"), _result("/p/1")])
        # What app start-up does for a run whose process died (this one is ours: forced).
        assert store.mark_interrupted(include_live=True) == 1
    history = HistoryStore()
    window = make_window(history=history)
    model = _show_history(qtbot, window)
    assert _row(model, 0)[STATUS] == "Interrupted (3 not sent)"
    assert "stopped before the run ended" in model.index(0, STATUS).data(3)
    window.close()
    history.close()


def _export(qtbot: QtBot, window: MainWindow, button: Any, path: Path) -> None:
    with qtbot.waitSignal(window.history.file_dialog_shown) as shown:
        button.click()
    dialog: QFileDialog = shown.args[0]
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    dialog.selectFile(str(path))
    with qtbot.waitSignal(window.history.exported, timeout=3000) as exported:
        dialog.accept()
    assert exported.args == [str(path)]


def test_export_csv_and_json_round_trip(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory, tmp_path: Path
) -> None:
    results = [_result("/a"), _result("/b", ok=False), _result("/c")]
    history = HistoryStore()
    run_id = history.start_run("Blog", total=3, targets=[r.target for r in results])
    history.add_results(run_id, results)
    window = make_window(history=history)
    _show_history(qtbot, window)
    window.history.table.selectRow(0)

    _export(qtbot, window, window.history.csv_button, tmp_path / "run.csv")
    with (tmp_path / "run.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["target"], r["status"]) for r in rows] == [
        ("/a", "200"),
        ("/b", "500"),
        ("/c", "200"),
    ]

    _export(qtbot, window, window.history.json_button, tmp_path / "run.json")
    data = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert data["run"]["id"] == run_id
    assert data["run"]["profile"] == "Blog"
    assert [r["target"] for r in data["results"]] == ["/a", "/b", "/c"]
    assert [r["ok"] for r in data["results"]] == [True, False, True]
    assert "exported to" in window.banner.text.text()
    window.close()
    history.close()


def _result(path: str, *, ok: bool = True) -> Result:
    return Result(
        target=Target.path(path),
        ok=ok,
        outcome=Outcome.REFRESHED if ok else Outcome.SERVER_ERROR,
        status=200 if ok else 500,
        duration_ms=12.5,
        attempts=1,
        started_at=1_700_000_000.0,
    )


def test_a_run_whose_cdn_rows_failed_says_so_and_is_a_problem(qtbot: QtBot) -> None:
    from isr_desk.services.history import RunRecord

    record = RunRecord(7, "Shop", 1.0, 2.0, 3, 3, 0, 1000.0, "finished", cdn_failed=3,
                       cdn_not_supported=1)  # fmt: skip
    model = HistoryModel()
    model.set_records([record])
    assert _row(model, 0)[STATUS] == "Finished · CDN: 0 purged, 3 failed, 1 not purged"
    model.set_failures_only(True)
    assert model.rowCount() == 1
