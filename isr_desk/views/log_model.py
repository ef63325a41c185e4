"""The live log's table model: one row per result, added in batches.

:meth:`LogModel.add` only queues results; a ~50 ms timer inserts everything queued with one
``beginInsertRows``/``endInsertRows``, so a 10,000-target run costs a few hundred layouts,
not 10,000. A row keeps its result, not its display strings: a cell is made when the view
asks for it (only for the rows on screen), so 100,000 rows cost little more than their
results. ``max_rows`` bounds
the log (the oldest rows are dropped, a batch at a time); the verdicts of "Verify pages
after refresh" are attached to the rows of the run they checked.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from isr_desk.domain import ORIGIN, Result, Target
from isr_desk.services.verify import Verdict, Verification
from isr_desk.views.colours import brush
from isr_desk.views.plain import tooltip

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_BACKGROUND = Qt.ItemDataRole.BackgroundRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_HORIZONTAL = Qt.Orientation.Horizontal
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

COLUMNS = (
    "Time", "Site", "Target", "Instance", "Status", "Result", "Duration ms", "Attempts", "Verify",
    "Step",
)  # fmt: skip
TIME, SITE, TARGET, INSTANCE, STATUS, RESULT, DURATION, ATTEMPTS, VERIFY, STEP = range(len(COLUMNS))
_NUMERIC = frozenset({STATUS, DURATION, ATTEMPTS})
STEP_TIP = (
    "origin: the site itself rebuilt the page. cdn: …: the CDN in front of the site was "
    "told to drop its copy, after the site (docs/cdn.md)."
)
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(slots=True)
class LogRow:
    """One line of the log: the result, its verdicts (if verified), and its display cells.

    ``added_at`` is when the row was added (one float shared by a batch): the Time column of
    a result that has no ``started_at``.
    """

    site: str
    result: Result
    added_at: float = 0.0
    verifications: tuple[Verification, ...] = ()
    first_of_run: bool = False  # the first row of a run (after another run)
    odd_run: bool = False  # every other run is tinted: runs never blur into each other

    @property
    def verified_ok(self) -> bool:
        return all(v.ok or v.verdict is Verdict.NOT_CHECKED for v in self.verifications)

    @property
    def cells(self) -> tuple[str, ...]:
        return tuple(self.cell(column) for column in range(len(COLUMNS)))

    def cell(self, column: int) -> str:
        result = self.result
        if column == TIME:
            return _clock((result.started_at or self.added_at) + result.duration_ms / 1000)
        if column == SITE:
            return self.site
        if column == TARGET:
            return str(result.target)
        if column == INSTANCE:
            return _host(result.instance) if result.instance else ""
        if column == STATUS:
            return "" if result.status is None else str(result.status)
        if column == RESULT:
            return result.outcome.label
        if column == DURATION:
            return f"{result.duration_ms:.0f}"
        if column == ATTEMPTS:
            return str(result.attempts)
        if column == STEP:  # origin, or the CDN purge of the same target (docs/cdn.md)
            return result.step
        return verdict_text(self.verifications)


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


@functools.lru_cache(maxsize=256)
def _host(instance: str) -> str:
    return urlsplit(instance).netloc


def verdict_text(verifications: Sequence[Verification]) -> str:
    """One cell for a row's verdicts: the label, or counts when a tag's pages differ."""
    if not verifications:
        return ""
    counts = Counter(v.label for v in verifications)
    if len(counts) == 1:
        label = verifications[0].label
        return label if len(verifications) == 1 else f"{label} ({len(verifications)} pages)"
    return ", ".join(f"{n} {label.lower()}" for label, n in counts.most_common())


class LogModel(QAbstractTableModel):
    """Results of every run of this session, oldest first."""

    rows_flushed = Signal(int)  # how many rows the last flush added

    def __init__(
        self, parent: QObject | None = None, *, flush_ms: int = 50, max_rows: int = 0
    ) -> None:
        super().__init__(parent)
        self.max_rows = max_rows  # 0: keep every row
        self.has_verifications = False
        self._rows: list[LogRow] = []
        self._pending: list[tuple[str, Result]] = []
        self._new_run = False
        self._odd_run = False  # flipped at each later run start: the first run is plain
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

    def mark_run_start(self) -> None:
        """The next rows belong to a new run: tinted apart from the run before."""
        if self._rows or self._pending:
            self._new_run = True
            self._odd_run = not self._odd_run

    def flush(self) -> None:
        self._timer.stop()
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if self.max_rows:
            pending = pending[-self.max_rows :]
            self._drop_oldest(len(self._rows) + len(pending) - self.max_rows)
        first = len(self._rows)
        now = time.time()
        self.beginInsertRows(QModelIndex(), first, first + len(pending) - 1)
        odd = self._odd_run
        self._rows.extend(LogRow(site, r, now, odd_run=odd) for site, r in pending)
        if self._new_run and first > 0:
            self._rows[first].first_of_run = True
        self._new_run = False
        self.endInsertRows()
        self.rows_flushed.emit(len(pending))

    def set_rows(self, site: str, results: Iterable[Result]) -> None:
        """Replace every row (a past run reopened from the history)."""
        self._timer.stop()
        self._pending.clear()
        self.beginResetModel()
        now = time.time()
        self._rows = [LogRow(site, r, now) for r in results]
        self.has_verifications = False
        self.endResetModel()

    def set_max_rows(self, max_rows: int) -> None:
        self.max_rows = max(0, max_rows)
        if self.max_rows:
            self._drop_oldest(len(self._rows) - self.max_rows)

    def _drop_oldest(self, count: int) -> None:
        count = min(count, len(self._rows))
        if count <= 0:
            return
        self.beginRemoveRows(QModelIndex(), 0, count - 1)
        del self._rows[:count]
        self.endRemoveRows()

    def clear(self) -> None:
        self._timer.stop()
        self._pending.clear()
        self.beginResetModel()
        self._rows.clear()
        self._odd_run = False
        self.has_verifications = False
        self.endResetModel()

    def apply_verifications(
        self, results: Sequence[Result], verifications: Sequence[Verification]
    ) -> int:
        """Attach verdicts to the rows of ``results`` (a run just shown); return rows changed."""
        self.flush()
        by_key: dict[tuple[Target | None, str | None], list[Verification]] = {}
        for v in verifications:
            by_key.setdefault((v.target, v.instance), []).append(v)
        wanted = {id(r) for r in results}
        changed: list[int] = []
        left = len(wanted)
        for index in range(len(self._rows) - 1, -1, -1):
            row = self._rows[index]
            if id(row.result) not in wanted:
                if row.result.step == ORIGIN:  # an origin row of another run: this run ended
                    break
                continue  # the run's CDN rows come after its origin rows
            left -= 1
            found = by_key.get((row.result.target, row.result.instance)) or by_key.get(
                (row.result.target, None)
            )
            if found:
                row.verifications = tuple(found)
                changed.append(index)
            if not left:
                break
        if changed:
            self.has_verifications = True
            self.dataChanged.emit(
                self.index(min(changed), VERIFY), self.index(max(changed), VERIFY)
            )
        return len(changed)

    # --- reading ------------------------------------------------------------------------
    def row(self, row: int) -> LogRow:
        return self._rows[row]

    def has_instances(self) -> bool:
        return any(r.result.instance for r in self._rows[-100:])

    def has_steps(self) -> bool:
        """Whether recent rows include a CDN step (the Step column is shown then)."""
        return any(r.result.step != ORIGIN for r in self._rows[-200:])

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
            return row.cell(index.column())
        if role == _BACKGROUND:
            if not row.result.ok:
                return brush("failed_bg")
            return brush("run_alt_bg") if row.odd_run else None
        if role == _FOREGROUND:
            if not row.result.ok:
                return brush("failed_fg")
            # A verdict that says the page may not have changed.
            return brush("doubt_fg") if index.column() == VERIFY and not row.verified_ok else None
        if role == _TOOLTIP:
            if index.column() == VERIFY and row.verifications:
                return tooltip("\n".join(v.detail for v in row.verifications[:5]))
            return tooltip(row.result.hint or row.cell(index.column()))
        if role == _ALIGN and index.column() in _NUMERIC:
            return _RIGHT
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if role == _DISPLAY and orientation == _HORIZONTAL and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        if role == _TOOLTIP and orientation == _HORIZONTAL and section == STEP:
            return STEP_TIP
        return None
