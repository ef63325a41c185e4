"""Table models of a manifest's paths and tags, fast at 100,000 rows.

Each model holds the manifest's items and a Python list of the indexes shown, in order.
Filtering and sorting rebuild that list (search keys and sort keys are precomputed once),
which is what keeps a keystroke on 100k rows under 50 ms; a stock QSortFilterProxyModel
over a Python model takes about a second per keystroke (DESIGN.md, "Known pitfalls").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from isr_desk.domain import ManifestPath, ManifestTag, Target

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_HORIZONTAL = Qt.Orientation.Horizontal
_ASCENDING = Qt.SortOrder.AscendingOrder
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

Item = TypeVar("Item")
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Prepared(Generic[Item]):
    """Items with their display cells and search keys, computed off the GUI thread."""

    items: tuple[Item, ...]
    cells: tuple[tuple[str, ...], ...]
    search: tuple[str, ...]
    targets: tuple[Target, ...]


class IndexedTableModel(QAbstractTableModel, Generic[Item]):
    """A read-only table over ``items`` showing ``self._index`` (filtered, sorted) rows."""

    columns: ClassVar[tuple[str, ...]] = ()
    numeric_columns: ClassVar[frozenset[int]] = frozenset()
    column_widths: ClassVar[dict[int, int]] = {}

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: tuple[Item, ...] = ()
        self._cells: tuple[tuple[str, ...], ...] = ()
        self._search: tuple[str, ...] = ()
        self._targets: tuple[Target, ...] = ()
        self._order: list[int] = []  # every item, in the current sort order
        self._index: list[int] = []  # the rows shown: _order filtered
        self._sort_keys: dict[int, list[Any]] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._filter = ""

    # --- preparing (pure Python: safe in a worker thread) -------------------------------
    @classmethod
    def prepare(cls, items: Iterable[Item]) -> Prepared[Item]:
        items = tuple(items)
        cells = tuple(cls.cells_of(item) for item in items)
        search = tuple(" ".join(c).lower() for c in cells)
        return Prepared(items, cells, search, tuple(cls.target_of(i) for i in items))

    @classmethod
    def cells_of(cls, item: Item) -> tuple[str, ...]:
        raise NotImplementedError

    @classmethod
    def numeric_key(cls, item: Item, column: int) -> float:
        """The sort key of a numeric column (text columns sort by their cells)."""
        raise NotImplementedError

    @classmethod
    def target_of(cls, item: Item) -> Target:
        raise NotImplementedError

    # --- content ------------------------------------------------------------------------
    def set_prepared(self, prepared: Prepared[Item]) -> None:
        self.beginResetModel()
        self._items, self._cells, self._search = prepared.items, prepared.cells, prepared.search
        self._targets = prepared.targets
        self._sort_keys = {}
        self._order = self._sorted(list(range(len(self._items))))
        self._index = self._filtered(self._order)
        self.endResetModel()

    def set_items(self, items: Iterable[Item]) -> None:
        self.set_prepared(self.prepare(items))

    def clear(self) -> None:
        self.set_prepared(Prepared((), (), (), ()))

    @property
    def total(self) -> int:
        return len(self._items)

    def item(self, row: int) -> Item:
        return self._items[self._index[row]]

    def targets(self, rows: Iterable[int]) -> list[Target]:
        targets, index = self._targets, self._index
        return [targets[index[r]] for r in rows]

    # --- filter and sort ----------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        needle = text.strip().lower()
        if needle == self._filter:
            return
        self.beginResetModel()
        self._filter = needle
        self._index = self._filtered(self._order)
        self.endResetModel()

    def _filtered(self, order: list[int]) -> list[int]:
        if not self._filter:
            return list(order)
        needle, search = self._filter, self._search
        return [i for i in order if needle in search[i]]

    def _sorted(self, order: list[int]) -> list[int]:
        if self._sort is None:
            return order
        column, direction = self._sort
        keys = self._sort_keys.get(column)
        if keys is None:
            if column in self.numeric_columns:
                keys = [self.numeric_key(item, column) for item in self._items]
            else:
                keys = [cells[column].lower() for cells in self._cells]
            self._sort_keys[column] = keys
        return sorted(order, key=keys.__getitem__, reverse=direction != _ASCENDING)

    def sort(self, column: int, order: Qt.SortOrder = _ASCENDING) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        remembered = [(self._index[p.row()], p.column()) for p in persistent]
        self._sort = (column, order)
        self._order = self._sorted(list(range(len(self._items))))
        self._index = self._filtered(self._order)
        if persistent:
            rows = {item: row for row, item in enumerate(self._index)}
            self.changePersistentIndexList(
                persistent, [self.index(rows[i], c) for i, c in remembered]
            )
        self.layoutChanged.emit()

    # --- QAbstractTableModel ------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._index)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        if role in (_DISPLAY, _TOOLTIP):
            return self._cells[self._index[index.row()]][index.column()]
        if role == _ALIGN and index.column() in self.numeric_columns:
            return _RIGHT
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if role == _DISPLAY and orientation == _HORIZONTAL and 0 <= section < len(self.columns):
            return self.columns[section]
        return None


def _revalidate_text(value: int | float | bool | None) -> str:
    if value is None:
        return ""
    if value is False:
        return "never"
    if value is True:
        return "yes"
    return f"{value:g}"


def _revalidate_key(value: int | float | bool | None) -> float:
    if value is None or value is False:
        return math.inf
    return float(value)


class PathsModel(IndexedTableModel[ManifestPath]):
    """The pages of a manifest: path, pattern, tags, revalidate seconds."""

    columns = ("Path", "Pattern", "Tags", "Revalidate (s)")
    numeric_columns = frozenset({3})
    column_widths: ClassVar[dict[int, int]] = {1: 150, 2: 320, 3: 110}

    @classmethod
    def cells_of(cls, item: ManifestPath) -> tuple[str, ...]:
        return (
            item.path,
            item.pattern or "",
            ", ".join(item.tags),
            _revalidate_text(item.revalidate),
        )

    @classmethod
    def numeric_key(cls, item: ManifestPath, column: int) -> float:
        return _revalidate_key(item.revalidate)

    @classmethod
    def target_of(cls, item: ManifestPath) -> Target:
        return Target.path(item.path)


class TagsModel(IndexedTableModel[ManifestTag]):
    """The cache tags of a manifest and how many pages a purge of each touches."""

    columns = ("Tag", "Pages touched", "Kind")
    numeric_columns = frozenset({1})
    column_widths: ClassVar[dict[int, int]] = {1: 120, 2: 180}

    @classmethod
    def cells_of(cls, item: ManifestTag) -> tuple[str, ...]:
        kind = "automatic (Next.js)" if item.implicit else "site tag"
        return (item.tag, str(len(item.paths)), kind)

    @classmethod
    def numeric_key(cls, item: ManifestTag, column: int) -> float:
        return len(item.paths)

    @classmethod
    def target_of(cls, item: ManifestTag) -> Target:
        return Target.tag(item.tag)
