"""The log panel's progress line during a run: at most one redraw per PROGRESS_MS, always the
latest figures, and never a late line over the run's end (docs/performance.md, GUI lag)."""

from __future__ import annotations

from typing import Any

from isr_desk.domain import RunSummary
from isr_desk.services.runs import Progress
from isr_desk.views.log_panel import PROGRESS_MS, LogPanel


def _panel(qtbot: Any) -> LogPanel:
    panel = LogPanel()
    qtbot.addWidget(panel)
    panel.on_run_started("shop", 1000)
    return panel


def test_a_burst_of_progress_shows_the_first_now_and_the_latest_when_the_timer_fires(
    qtbot: Any,
) -> None:
    panel = _panel(qtbot)
    panel.on_progress(Progress(10, 0, 1000, 0.1))
    assert panel.progress.value() == 10
    assert panel.progress_label.text().startswith("10 done")
    assert panel._progress_timer.interval() == PROGRESS_MS
    for done in (20, 30, 40):
        panel.on_progress(Progress(done, 1, 1000, done / 100))
    assert panel.progress.value() == 10  # held back: one redraw per interval
    panel._progress_timer.timeout.emit()
    assert panel.progress.value() == 40
    assert panel.progress_label.text().startswith("40 done · 1 failed")


def test_the_run_s_end_drops_a_progress_line_held_back(qtbot: Any) -> None:
    panel = _panel(qtbot)
    panel.on_progress(Progress(10, 0, 1000, 0.1))
    panel.on_progress(Progress(999, 0, 1000, 9.9))
    summary = RunSummary(total=1000, ok=1000, failed=0, duration_ms=10_000, p50_ms=20, p95_ms=22)
    panel.on_run_finished(summary)
    assert panel.progress_label.text() == "Finished"
    panel._progress_timer.timeout.emit()
    assert panel.progress_label.text() == "Finished"
    assert panel.progress.value() == 1000
