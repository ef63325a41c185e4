"""Table models of a manifest's paths and tags, fast and lean at 100,000 rows.

Each model holds the manifest's items and an array of the indexes shown, in order. Filtering
and sorting rebuild that array, which is what keeps a keystroke on 100k rows under 50 ms; a
stock QSortFilterProxyModel over a Python model takes about a second per keystroke
(docs/architecture.md, "Index-list table models"). Display cells and targets are made only
for the rows asked for (a view asks for the few dozen it shows); only the search keys are
kept per row, and a row whose text ends in one of a few shared strings (a tag's count and
kind) keeps just its own head.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from isr_desk.domain import ManifestPath, ManifestTag, Target, human_duration
from isr_desk.services.manifest import compile_glob, is_glob
from isr_desk.views.plain import tooltip

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_HORIZONTAL = Qt.Orientation.Horizontal
_ASCENDING = Qt.SortOrder.AscendingOrder
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

Item = TypeVar("Item")
AnyIndex = QModelIndex | QPersistentModelIndex
Rows = Sequence[int]  # a range (every item, unsorted) or an array of item indexes


@dataclass(frozen=True, slots=True)
class Prepared(Generic[Item]):
    """Items with their search keys, computed off the GUI thread.

    A row's search text (its cells joined by spaces, lowercased) is ``heads[i]`` followed by
    ``tails[groups[i]]``; without ``groups`` every tail is empty.
    """

    items: tuple[Item, ...]
    heads: tuple[str, ...]
    tails: tuple[str, ...] = ("",)
    groups: Sequence[int] | None = None
    empty: frozenset[int] = frozenset()  # columns no item has a value in (hidden)


_DIGITS = re.compile(r"\d+")


def natural_key(text: str) -> str:
    """A text key that sorts /p/2 before /p/10: each run of digits gets its length first."""
    return _DIGITS.sub(lambda m: f"{len(m.group()):03d}{m.group()}", text.lower())


def _lower(text: str) -> str:
    """``text.lower()``, the same object when it is lowercase already (no second copy kept)."""
    low = text.lower()
    return text if low == text else low


class IndexedTableModel(QAbstractTableModel, Generic[Item]):
    """A read-only table over ``items`` showing ``self._index`` (filtered, sorted) rows."""

    columns: ClassVar[tuple[str, ...]] = ()
    tooltips: ClassVar[dict[int, str]] = {}  # words for a column's developer term
    numeric_columns: ClassVar[frozenset[int]] = frozenset()
    column_widths: ClassVar[dict[int, int]] = {}

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: tuple[Item, ...] = ()
        self._heads: tuple[str, ...] = ()
        self._tails: tuple[str, ...] = ("",)
        self._groups: Sequence[int] | None = None
        self.empty_columns: frozenset[int] = frozenset()
        self._order: Rows = range(0)  # every item, in the current sort order
        self._index: Rows = range(0)  # the rows shown: _order filtered
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._filter = ""
        self._glob = False

    # --- preparing (pure Python: safe in a worker thread) -------------------------------
    @classmethod
    def prepare(cls, items: Iterable[Item]) -> Prepared[Item]:
        items = tuple(items)
        return Prepared(items, tuple([_lower(" ".join(cls.cells_of(i))) for i in items]))

    @classmethod
    def cells_of(cls, item: Item) -> tuple[str, ...]:
        raise NotImplementedError

    @classmethod
    def numeric_key(cls, item: Item, column: int) -> float:
        """The sort key of a numeric column (text columns sort by their cells)."""
        raise NotImplementedError

    @classmethod
    def text_keys(cls, items: tuple[Item, ...], column: int) -> list[str]:
        """The sort keys of a text column: its cells, lowercased."""
        cells = cls.cells_of
        return [cells(item)[column].lower() for item in items]

    @classmethod
    def target_of(cls, item: Item) -> Target:
        raise NotImplementedError

    # --- content ------------------------------------------------------------------------
    def set_prepared(self, prepared: Prepared[Item]) -> None:
        self.beginResetModel()
        self._items, self._heads = prepared.items, prepared.heads
        self._tails, self._groups = prepared.tails, prepared.groups
        self.empty_columns = prepared.empty
        self._order = self._sorted()
        self._index = self._filtered(self._order)
        self.endResetModel()

    def set_items(self, items: Iterable[Item]) -> None:
        self.set_prepared(self.prepare(items))

    def clear(self) -> None:
        self.set_prepared(Prepared((), ()))

    @property
    def total(self) -> int:
        return len(self._items)

    def item(self, row: int) -> Item:
        return self._items[self._index[row]]

    def targets(self, rows: Iterable[int]) -> list[Target]:
        items, index, target = self._items, self._index, self.target_of
        return [target(items[index[r]]) for r in rows]

    # --- filter and sort ----------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        """Show the rows whose text holds ``text``; a text with ``*`` or ``?`` is a glob
        matched against each row's page or tag, case and all (docs/patterns-and-diffs.md)."""
        text = text.strip()
        glob = is_glob(text)
        needle = text if glob else text.lower()
        if (needle, glob) == (self._filter, self._glob):
            return
        self.beginResetModel()
        self._filter, self._glob = needle, glob
        self._index = self._filtered(self._order)
        self.endResetModel()

    def _filtered(self, order: Rows) -> Rows:
        needle, heads, groups = self._filter, self._heads, self._groups
        if not needle:
            return order
        if self._glob:
            items, target, pattern = self._items, self.target_of, compile_glob(needle)
            return array("I", [i for i in order if pattern.fullmatch(target(items[i]).value)])
        if groups is None:
            return array("I", [i for i in order if needle in heads[i]])
        tails = self._tails
        whole = [needle in tail for tail in tails]  # the needle lies in the shared tail
        # ... or starts in the head and ends in the tail: the head ends with the needle's start
        ends = [
            tuple(needle[:k] for k in range(1, len(needle)) if tail.startswith(needle[k:]))
            for tail in tails
        ]
        if not any(ends):
            if not any(whole):
                return array("I", [i for i in order if needle in heads[i]])
            return array("I", [i for i in order if whole[groups[i]] or needle in heads[i]])
        return array(
            "I",
            [
                i
                for i in order
                if whole[groups[i]]
                or needle in heads[i]
                or (ends[groups[i]] and heads[i].endswith(ends[groups[i]]))
            ],
        )

    def _sorted(self) -> Rows:
        every = range(len(self._items))
        if self._sort is None:
            return every
        column, direction = self._sort
        items = self._items
        if column in self.numeric_columns:
            keys: list[float] | list[str] = [self.numeric_key(item, column) for item in items]
        else:
            keys = self.text_keys(items, column)
        return array("I", sorted(every, key=keys.__getitem__, reverse=direction != _ASCENDING))

    def sort(self, column: int, order: Qt.SortOrder = _ASCENDING) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        remembered = [(self._index[p.row()], p.column()) for p in persistent]
        self._sort = (column, order)
        self._order = self._sorted()
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
        if role == _DISPLAY:
            return self.cells_of(self._items[self._index[index.row()]])[index.column()]
        if role == _TOOLTIP:  # manifest paths and tags: escaped, never HTML
            return tooltip(
                str(self.cells_of(self._items[self._index[index.row()]])[index.column()])
            )
        if role == _ALIGN and index.column() in self.numeric_columns:
            return _RIGHT
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation != _HORIZONTAL or not 0 <= section < len(self.columns):
            return None
        if role == _DISPLAY:
            return self.columns[section]
        if role == _TOOLTIP:
            return self.tooltips.get(section)
        return None


def _revalidate_text(value: int | float | bool | None) -> str:
    return human_duration(value)  # "30 days", not "2.592e+06"


def _revalidate_key(value: int | float | bool | None) -> float:
    if value is None or value is False:
        return math.inf
    return float(value)


class PathsModel(IndexedTableModel[ManifestPath]):
    """The pages of a manifest: path, pattern, tags, revalidate seconds."""

    columns = ("Page", "Route", "Tags", "Rebuilt every")
    tooltips: ClassVar[dict[int, str]] = {
        1: "The route file the page comes from (its pattern, such as /blog/[slug])",
        2: "The tags of the page: refreshing a tag refreshes every page that has it",
        3: "How often the site rebuilds the page on its own (its revalidate setting, such "
        "as 1 hour or 30 days); “never” means only a refresh rebuilds it",
    }
    numeric_columns = frozenset({3})
    column_widths: ClassVar[dict[int, int]] = {1: 150, 2: 320, 3: 120}

    @classmethod
    def prepare(cls, items: Iterable[ManifestPath]) -> Prepared[ManifestPath]:
        # Pages in natural order (/p/2 before /p/10), and the columns no page fills.
        ordered = sorted(items, key=lambda p: natural_key(p.path))
        heads = tuple([_lower(" ".join(cls.cells_of(i))) for i in ordered])
        empty = {1, 2, 3}
        for item in ordered:
            if item.pattern:
                empty.discard(1)
            if item.tags:
                empty.discard(2)
            if item.revalidate is not None:
                empty.discard(3)
            if not empty:
                break
        return Prepared(tuple(ordered), heads, empty=frozenset(empty))

    @classmethod
    def text_keys(cls, items: tuple[ManifestPath, ...], column: int) -> list[str]:
        if column == 0:
            return [natural_key(p.path) for p in items]
        return super().text_keys(items, column)

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
    """The cache tags of a manifest and how many pages refreshing each touches."""

    columns = ("Tag", "Pages touched", "Set by")
    tooltips: ClassVar[dict[int, str]] = {
        2: "Your site's own tags, or the ones Next.js gives every page automatically"
    }
    numeric_columns = frozenset({1})
    column_widths: ClassVar[dict[int, int]] = {1: 120, 2: 180}

    @classmethod
    def prepare(cls, items: Iterable[ManifestTag]) -> Prepared[ManifestTag]:
        # A row's text is "<tag> <pages> <kind>": the tag, then one of a few shared tails.
        items = tuple(items)
        tails: dict[tuple[int, bool], int] = {}
        number = tails.setdefault
        groups = array("I", [number((len(t.paths), t.implicit), len(tails)) for t in items])
        texts = tuple(" " + " ".join(_tag_cells("", n, kind)[1:]).lower() for n, kind in tails)
        heads = tuple([_lower(t.tag) for t in items])
        return Prepared(items, heads, texts or ("",), groups)

    @classmethod
    def cells_of(cls, item: ManifestTag) -> tuple[str, ...]:
        return _tag_cells(item.tag, len(item.paths), item.implicit)

    @classmethod
    def text_keys(cls, items: tuple[ManifestTag, ...], column: int) -> list[str]:
        if column == 0:
            return [_lower(t.tag) for t in items]
        return super().text_keys(items, column)

    @classmethod
    def numeric_key(cls, item: ManifestTag, column: int) -> float:
        return len(item.paths)

    @classmethod
    def target_of(cls, item: ManifestTag) -> Target:
        return Target.tag(item.tag)


def _tag_cells(tag: str, pages: int, implicit: bool) -> tuple[str, str, str]:
    return (tag, str(pages), "Next.js (automatic)" if implicit else "your site")
