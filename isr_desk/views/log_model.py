"""The live log's table model: one row per result, added in batches.

:meth:`LogModel.add` only queues results; a ~50 ms timer inserts everything queued with one
``beginInsertRows``/``endInsertRows``, so a 10,000-target run costs a few hundred layouts,
not 10,000. Display strings are computed once per row, at insertion.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from isr_desk.domain import Result

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_BACKGROUND = Qt.ItemDataRole.BackgroundRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_HORIZONTAL = Qt.Orientation.Horizontal
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_FAILED_BG = QBrush(QColor("#fde2e1"))
_FAILED_FG = QBrush(QColor("#9b1c1c"))

COLUMNS = ("Time", "Site", "Target", "Instance", "Status", "Result", "Duration ms", "Attempts")
TIME, SITE, TARGET, INSTANCE, STATUS, RESULT, DURATION, ATTEMPTS = range(len(COLUMNS))
_NUMERIC = frozenset({STATUS, DURATION, ATTEMPTS})
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class LogRow:
    """One line of the log: the result and its display cells."""

    site: str
    result: Result
    cells: tuple[str, ...]


def _row(site: str, result: Result) -> LogRow:
    finished = (result.started_at or time.time()) + result.duration_ms / 1000
    instance = urlsplit(result.instance).netloc if result.instance else ""
    cells = (
        time.strftime("%H:%M:%S", time.localtime(finished)),
        site,
        str(result.target),
        instance,
        "" if result.status is None else str(result.status),
        result.outcome.label,
        f"{result.duration_ms:.0f}",
        str(result.attempts),
    )
    return LogRow(site, result, cells)


class LogModel(QAbstractTableModel):
    """Results of every run of this session, oldest first."""

    rows_flushed = Signal(int)  # how many rows the last flush added

    def __init__(self, parent: Any = None, *, flush_ms: int = 50) -> None:
        super().__init__(parent)
        self._rows: list[LogRow] = []
        self._pending: list[tuple[str, Result]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)

    # --- feeding ------------------------------------------------------------------------
    def add(self, site: str, results: Iterable[Result]) -> None:
        """Queue results; they appear at the next flush (at most ``flush_ms`` later)."""
        self._pending.extend((site, r) for r in results)
        if self._pending and not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        self._timer.stop()
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(pending) - 1)
        self._rows.extend(_row(site, r) for site, r in pending)
        self.endInsertRows()
        self.rows_flushed.emit(len(pending))

    def clear(self) -> None:
        self._timer.stop()
        self._pending.clear()
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()

    # --- reading ------------------------------------------------------------------------
    def row(self, row: int) -> LogRow:
        return self._rows[row]

    def results(self) -> list[Result]:
        return [r.result for r in self._rows]

    def has_instances(self) -> bool:
        return any(r.result.instance for r in self._rows[-100:])

    # --- QAbstractTableModel ------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == _DISPLAY:
            return row.cells[index.column()]
        if role == _BACKGROUND:
            return None if row.result.ok else _FAILED_BG
        if role == _FOREGROUND:
            return None if row.result.ok else _FAILED_FG
        if role == _TOOLTIP:
            return row.result.hint or row.cells[index.column()]
        if role == _ALIGN and index.column() in _NUMERIC:
            return _RIGHT
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if role == _DISPLAY and orientation == _HORIZONTAL and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None
