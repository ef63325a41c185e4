"""A small scatter plot drawn with QPainter: the latency view's chart, without Qt Charts.

Qt Charts is deprecated since Qt 6.10 and ships only in PySide6-Addons (about half of the
installed Qt); the latency view needs points, two dashed lines, two axes and a legend, which
is a paint event's work. :class:`Series` keeps the points of one series (the shape the view
and its tests use: ``replace``, ``points``, ``count``, ``name``); :class:`ScatterPlot` paints
the series it is given, in colours that follow the palette (light or dark theme).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

_MARGIN_LEFT, _MARGIN_BOTTOM, _MARGIN_TOP, _MARGIN_RIGHT = 56, 52, 22, 14
_MARKER = 6.0


@dataclass
class Series:
    """The points of one series and how they are drawn: markers or one dashed line."""

    colour_light: QColor
    colour_dark: QColor
    line: bool = False
    _name: str = ""
    _points: list[QPointF] = field(default_factory=list)

    def name(self) -> str:
        return self._name

    def setName(self, name: str) -> None:  # noqa: N802 - the Qt Charts name the view used
        self._name = name

    def replace(self, points: Sequence[QPointF]) -> None:
        self._points = list(points)

    def points(self) -> list[QPointF]:
        return list(self._points)

    def count(self) -> int:
        return len(self._points)

    def colour(self, dark: bool) -> QColor:
        return self.colour_dark if dark else self.colour_light


def nice_ticks(upper: float, count: int = 5) -> tuple[float, float]:
    """``(step, end)``: a 1-2-5 step and the first multiple of it at or above ``upper``."""
    upper = upper if upper > 0 and math.isfinite(upper) else 1.0
    raw = upper / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step, math.ceil(upper / step - 1e-9) * step


def is_dark(palette: QPalette) -> bool:
    """A dark theme: the window colour is darker than its text."""
    window = palette.color(QPalette.ColorRole.Window).lightnessF()
    text = palette.color(QPalette.ColorRole.WindowText).lightnessF()
    return window < text


class ScatterPlot(QWidget):
    """Paints ``series`` over axes from 0 to ``x_max`` / ``y_max`` (rounded to nice ticks)."""

    def __init__(
        self, series: Sequence[Series], *, x_title: str, y_title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.series = list(series)
        self.x_title, self.y_title = x_title, y_title
        self.x_step, self.x_end = nice_ticks(1.0)
        self.y_step, self.y_end = nice_ticks(100.0)
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_ranges(self, x_max: float, y_max: float) -> None:
        self.x_step, self.x_end = nice_ticks(x_max)
        self.y_step, self.y_end = nice_ticks(y_max)
        self.update()

    def plot_rect(self) -> QRectF:
        return QRectF(self.rect()).adjusted(
            _MARGIN_LEFT, _MARGIN_TOP, -_MARGIN_RIGHT, -_MARGIN_BOTTOM
        )

    def to_pixel(self, point: QPointF) -> QPointF:
        area = self.plot_rect()
        x = area.left() + area.width() * point.x() / self.x_end
        y = area.bottom() - area.height() * min(point.y(), self.y_end) / self.y_end
        return QPointF(x, y)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        dark = is_dark(palette)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        self._paint_axes(painter, palette)
        for series in self.series:
            self._paint_series(painter, series, series.colour(dark))
        self._paint_legend(painter, palette, dark)
        painter.end()

    def _paint_axes(self, painter: QPainter, palette: QPalette) -> None:
        area = self.plot_rect()
        text = palette.color(QPalette.ColorRole.Text)
        grid = QColor(text)
        grid.setAlphaF(0.15)
        align_right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for i in range(round(self.y_end / self.y_step) + 1):
            value = i * self.y_step
            y = self.to_pixel(QPointF(0, value)).y()
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(text)
            label = QRectF(0, y - 8, _MARGIN_LEFT - 6, 16)
            painter.drawText(label, align_right, f"{value:,.0f}")
        for i in range(round(self.x_end / self.x_step) + 1):
            value = i * self.x_step
            x = self.to_pixel(QPointF(value, 0)).x()
            painter.setPen(text)
            label = QRectF(x - 30, area.bottom() + 4, 60, 16)
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, f"{value:.1f}")
        painter.setPen(QPen(text, 1))
        painter.drawRect(area)
        centre = Qt.AlignmentFlag.AlignCenter
        painter.drawText(QRectF(area.left(), area.bottom() + 18, area.width(), 16), centre,
                         self.x_title)  # fmt: skip
        painter.drawText(QRectF(area.left() - 40, 2, 40, 16), Qt.AlignmentFlag.AlignLeft,
                         self.y_title)  # fmt: skip

    def _paint_series(self, painter: QPainter, series: Series, colour: QColor) -> None:
        points = [self.to_pixel(p) for p in series.points()]
        if series.line:
            painter.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine))
            for a, b in itertools.pairwise(points):
                painter.drawLine(a, b)
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        radius = _MARKER / 2
        for p in points:
            painter.drawEllipse(p, radius, radius)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_legend(self, painter: QPainter, palette: QPalette, dark: bool) -> None:
        x = float(_MARGIN_LEFT)
        y = self.height() - 14.0
        metrics = painter.fontMetrics()
        for series in self.series:
            colour = series.colour(dark)
            if series.line:
                painter.setPen(QPen(colour, 2, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(x, y), QPointF(x + 16, y))
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawEllipse(QPointF(x + 8, y), 4, 4)
                painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(QPointF(x + 20, y + metrics.ascent() / 2 - 1), series.name())
            x += 36 + metrics.horizontalAdvance(series.name())
