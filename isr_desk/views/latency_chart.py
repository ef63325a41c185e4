"""The latency view: response time of every result over the run, p50/p95, status codes.

Results are turned into points when they arrive (durations kept sorted, so p50/p95 cost
nothing). The chart (a QPainter widget, :mod:`isr_desk.views.latency_plot`) is redrawn only
while it is shown, at most every 250 ms (every second above :data:`MAX_POINTS`), with one
``replace()`` per series. Above :data:`MAX_POINTS`
results the points are thinned: an even sample of the run plus every point slower than p95,
so the outliers a reader looks for stay visible and a 10,000-result run stays cheap to draw.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import Result, percentile
from isr_desk.views.latency_plot import ScatterPlot, Series

MAX_POINTS = 1500
REDRAW_MS = 250
REDRAW_BIG_MS = 1000
# (light theme, dark theme): the dark colours are lighter, to stand out on a dark base.
_OK = (QColor("#2563eb"), QColor("#60a5fa"))
_FAILED_COLOURS = (QColor("#dc2626"), QColor("#f87171"))
_P50 = (QColor("#059669"), QColor("#34d399"))
_P95 = (QColor("#d97706"), QColor("#fbbf24"))
_FAILED = _FAILED_COLOURS[0]
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def thin(points: list[QPointF], slow: float, limit: int = MAX_POINTS) -> list[QPointF]:
    """At most ``limit`` points: an even sample (3/4) and the slowest points above ``slow``."""
    if len(points) <= limit:
        return points
    sample = points[:: math.ceil(len(points) / (limit * 3 // 4))]
    outliers = [p for p in points if p.y() > slow]
    outliers.sort(key=QPointF.y)
    return sample + outliers[-(limit - len(sample)) :]


def status_label(result: Result) -> str:
    return str(result.status) if result.status is not None else f"— ({result.outcome.label})"


class LatencyChart(QWidget):
    """Scatter of duration vs completion time, p50/p95 lines, and a status breakdown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._t0: float | None = None  # epoch seconds of the first request
        self._ok_points: list[QPointF] = []
        self._failed_points: list[QPointF] = []
        self._sorted: list[float] = []  # every duration, sorted
        self._x_max = 0.0
        self._statuses: Counter[str] = Counter()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self.ok_series = Series(*_OK, _name="Refreshed")
        self.failed_series = Series(*_FAILED_COLOURS, _name="Failed")
        self.p50 = Series(*_P50, line=True, _name="p50")
        self.p95 = Series(*_P95, line=True, _name="p95")
        self.view = ScatterPlot(
            [self.ok_series, self.failed_series, self.p50, self.p95],
            x_title="seconds since the first request",
            y_title="ms",
        )
        self.statuses = self._status_table()
        self.summary = QLabel("Response times appear here during a run.")
        self.summary.setObjectName("summaryLine")
        self._layout()
        self.redraw()

    @staticmethod
    def _status_table() -> QTableWidget:
        # A handful of rows at most (one per status code): a QTableWidget is fine here.
        table = QTableWidget(0, 3)
        table.setHorizontalHeaderLabels(["Status", "Count", "Share"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.setMinimumWidth(220)
        table.setMaximumWidth(320)
        return table

    def _layout(self) -> None:
        side = QVBoxLayout()
        title = QLabel("Status codes")
        title.setObjectName("panelTitle")
        side.addWidget(title)
        side.addWidget(self.statuses, 1)
        body = QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addLayout(body, 1)

    # --- feeding --------------------------------------------------------------------------
    def reset(self) -> None:
        self._t0 = None
        self._ok_points, self._failed_points, self._sorted = [], [], []
        self._x_max = 0.0
        self._statuses.clear()
        self.redraw()

    def set_results(self, results: Sequence[Result]) -> None:
        """Show exactly ``results`` (a run reopened from the history)."""
        self.reset()
        self.add_results(results)
        self.redraw()

    def add_results(self, results: Sequence[Result]) -> None:
        sent = [r for r in results if r.status is not None or r.duration_ms > 0]
        if not sent:
            return  # never sent (cancelled): nothing to draw
        if self._t0 is None:
            self._t0 = min(r.started_at for r in sent)
        t0 = self._t0
        for r in sent:
            point = QPointF(max(0.0, r.started_at + r.duration_ms / 1000 - t0), r.duration_ms)
            (self._ok_points if r.ok else self._failed_points).append(point)
            self._x_max = max(self._x_max, point.x())
            bisect.insort(self._sorted, r.duration_ms)
            self._statuses[status_label(r)] += 1
        # A hidden chart (another tab is shown) costs nothing: it redraws when shown.
        if self.isVisible() and not self._timer.isActive():
            # A big run redraws less often: each redraw costs ~25 ms at 10,000 points.
            self._timer.start(REDRAW_MS if self.count < MAX_POINTS else REDRAW_BIG_MS)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        self.redraw()
        super().showEvent(event)

    @property
    def count(self) -> int:
        return len(self._sorted)

    # --- drawing --------------------------------------------------------------------------
    def redraw(self) -> None:
        self._timer.stop()
        durations = self._sorted
        p50 = percentile(durations, 0.5, presorted=True)
        p95 = percentile(durations, 0.95, presorted=True)
        ok, failed = self._ok_points, self._failed_points
        self.ok_series.replace(thin(ok, p95))
        self.failed_series.replace(thin(failed, p95, MAX_POINTS // 4))
        x_max = self._x_max or 1.0
        y_max = durations[-1] if durations else 100.0
        self.p50.setName(f"p50 {p50:,.0f} ms")
        self.p95.setName(f"p95 {p95:,.0f} ms")
        self.view.set_ranges(x_max * 1.03, y_max * 1.1 or 100)
        end = self.view.x_end
        self.p50.replace([QPointF(0, p50), QPointF(end, p50)] if durations else [])
        self.p95.replace([QPointF(0, p95), QPointF(end, p95)] if durations else [])
        self._fill_statuses()
        if durations:
            shown = len(ok) + len(failed)
            thinned = " (thinned for drawing)" if shown > MAX_POINTS else ""
            self.summary.setText(
                f"{shown:,} responses{thinned} · p50 {p50:,.0f} ms · p95 {p95:,.0f} ms · "
                f"slowest {y_max:,.0f} ms"
            )
        else:
            self.summary.setText("Response times appear here during a run.")

    def _fill_statuses(self) -> None:
        total = sum(self._statuses.values())
        rows = sorted(self._statuses.items(), key=lambda kv: (-kv[1], kv[0]))
        self.statuses.setRowCount(len(rows))
        for row, (label, count) in enumerate(rows):
            cells = (label, f"{count:,}", f"{count / total:.0%}" if total else "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(_RIGHT)
                if not label.startswith("2"):
                    item.setForeground(_FAILED)
                self.statuses.setItem(row, column, item)
