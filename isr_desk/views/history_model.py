"""The History panel's table model: one row per past run, newest first."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from isr_desk.domain import format_duration
from isr_desk.services.history import RunRecord
from isr_desk.views.colours import brush
from isr_desk.views.plain import tooltip

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_HORIZONTAL = Qt.Orientation.Horizontal
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

COLUMNS = ("Run", "When", "Site", "Pages and tags", "Refreshed", "Failed", "Took", "Status")
RUN, WHEN, SITE, TARGETS, OK, FAILED, DURATION, STATUS = range(len(COLUMNS))
_NUMERIC = frozenset({RUN, TARGETS, OK, FAILED, DURATION})
AnyIndex = QModelIndex | QPersistentModelIndex
STATUS_TIPS = {
    "running": "Still running (in this window, or a command-line run beside it)",
    "interrupted": "The app or the command stopped before the run ended: the results "
    "received until then are kept",
    "cancelled": "Cancelled: the targets not sent yet were skipped",
}


def status_text(record: RunRecord, continued_by: int | None = None) -> str:
    """The run's status, and its link to the run it continues or that continued it."""
    text = _status(record)
    if record.cdn_text:
        text += f" · {record.cdn_text}"
    if record.resumed_from is not None:
        text += f" · continues run #{record.resumed_from}"
    if continued_by is not None:
        text += f" · continued in run #{continued_by}"
    return text


def _status(record: RunRecord) -> str:
    if record.status == "finished":
        return "Finished" if record.failed == 0 else "Finished with failures"
    if record.status == "interrupted":
        return f"Interrupted ({record.not_sent:,} not sent)" if record.not_sent else "Interrupted"
    if record.status == "cancelled":
        return f"Cancelled ({record.not_sent:,} not sent)" if record.not_sent else "Cancelled"
    return "Running"


def when_text(epoch: float, now: float | None = None) -> str:
    """``14:03:12`` today, ``Mar 04 14:03`` this year, else the full date."""
    moment, today = time.localtime(epoch), time.localtime(now)
    if moment[:3] == today[:3]:
        return time.strftime("Today %H:%M:%S", moment)
    if moment.tm_year == today.tm_year:
        return time.strftime("%b %d %H:%M", moment)
    return time.strftime("%Y-%m-%d %H:%M", moment)


def has_problems(record: RunRecord) -> bool:
    problems = record.failed or record.not_sent or record.in_flight or record.cdn_failed
    return bool(problems) or record.status in (
        "cancelled",
        "interrupted",
    )


def _cells(record: RunRecord, continued_by: int | None) -> tuple[str, ...]:
    return (
        f"#{record.id}",
        when_text(record.started_at),
        record.profile,
        f"{record.total:,}",
        f"{record.ok:,}",
        f"{record.failed:,}",
        format_duration(record.duration_ms),
        status_text(record, continued_by),
    )


class HistoryModel(QAbstractTableModel):
    """Past runs (a few hundred at most: the panel asks the store for the latest)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[RunRecord] = []
        self._records: list[RunRecord] = []
        self._cells: list[tuple[str, ...]] = []
        self.failures_only = False

    def set_records(self, records: Sequence[RunRecord]) -> None:
        self._all = list(records)
        self._show()

    def set_failures_only(self, on: bool) -> None:
        """Only the runs where something was not refreshed (failed, cut off or not sent)."""
        self.failures_only = on
        self._show()

    def _show(self) -> None:
        self.beginResetModel()
        self._records = [r for r in self._all if not self.failures_only or has_problems(r)]
        # The newest run that sends a run's rest (runs come newest first: the first wins).
        continued: dict[int, int] = {}
        for r in self._all:
            if r.resumed_from is not None:
                continued.setdefault(r.resumed_from, r.id)
        self._cells = [_cells(r, continued.get(r.id)) for r in self._records]
        self.endResetModel()

    def record(self, row: int) -> RunRecord:
        return self._records[row]

    def records(self) -> list[RunRecord]:
        return list(self._records)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        record, column = self._records[index.row()], index.column()
        if role == _DISPLAY:
            return self._cells[index.row()][column]
        if role == _ALIGN and column in _NUMERIC:
            return _RIGHT
        if role == _FOREGROUND and column in (FAILED, STATUS):
            if record.status == "interrupted":
                return brush("doubt_fg")
            cdn_failed = column == STATUS and record.cdn_failed
            return brush("problem_fg") if record.failed or cdn_failed else None
        if role == _TOOLTIP:
            if column == STATUS:
                return tooltip(STATUS_TIPS.get(record.status, self._cells[index.row()][column]))
            if column == RUN:
                return f"Run id {record.id}: isr-desk history export {record.id}"
            if column == WHEN:
                return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.started_at))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if role == _DISPLAY and orientation == _HORIZONTAL and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None
