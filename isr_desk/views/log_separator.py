"""A line between the runs of the live log, so one run's rows never blur into the next."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from isr_desk.views.colours import colour


class RunSeparator(QStyledItemDelegate):
    """Draws each cell as usual, and a 2-pixel line above the first row of a run."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        model: Any = index.model()
        row = model.row(index.row()) if hasattr(model, "row") else None
        if row is not None and row.first_of_run:
            rect = option.rect
            painter.save()
            painter.setPen(QPen(QColor(colour("accent_fg")), 2))
            painter.drawLine(rect.topLeft(), rect.topRight())
            painter.restore()
