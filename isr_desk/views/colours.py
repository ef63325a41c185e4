"""The few colours ISR Desk adds to the platform's, one set per theme, all readable.

Every text colour here reaches WCAG AA (4.5:1) on the background it is drawn on, in both
themes; tests/gui/test_contrast.py computes it. The models ask :func:`brush` at paint time,
so a theme switch recolours the tables at their next repaint.
"""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor

LIGHT, DARK = "light", "dark"

COLOURS: dict[str, dict[str, str]] = {
    LIGHT: {
        "window": "#efefef",  # Fusion's light window and base, for the contrast test
        "base": "#ffffff",
        "failed_bg": "#fde2e1",
        "failed_fg": "#8f1919",
        "doubt_fg": "#8a4204",
        "problem_fg": "#8f1919",
        "muted_fg": "#4b5563",
        "error_fg": "#a61b1b",
        "accent_fg": "#1d4ed8",
        "practice_fg": "#92400e",
        "ok_fg": "#166534",
        "text": "#000000",
        "run_alt_bg": "#eef2f7",  # every other run in the log
    },
    DARK: {
        "window": "#1f2329",
        "base": "#16191d",
        "failed_bg": "#3b1517",
        "failed_fg": "#fca5a5",
        "doubt_fg": "#fcd34d",
        "problem_fg": "#fca5a5",
        "muted_fg": "#a3aab5",
        "error_fg": "#f87171",
        "accent_fg": "#93c5fd",
        "practice_fg": "#fbbf24",
        "ok_fg": "#86efac",
        "text": "#e5e7eb",
        "run_alt_bg": "#222a35",
    },
}

# Which text colour is drawn on which background (the pairs the contrast test checks).
PAIRS = (
    ("failed_fg", "failed_bg"),
    ("doubt_fg", "base"),
    ("problem_fg", "base"),
    ("muted_fg", "window"),
    ("error_fg", "window"),
    ("accent_fg", "window"),
    ("practice_fg", "window"),
    ("ok_fg", "base"),
    ("text", "run_alt_bg"),
)

_scheme = LIGHT
_brushes: dict[tuple[str, str], QBrush] = {}


def set_scheme(scheme: str) -> None:
    """Called by the theme when it switches between light and dark."""
    global _scheme
    _scheme = DARK if scheme == DARK else LIGHT


def scheme() -> str:
    return _scheme


def colour(name: str) -> str:
    return COLOURS[_scheme][name]


def brush(name: str) -> QBrush:
    key = (_scheme, name)
    found = _brushes.get(key)
    if found is None:
        found = _brushes[key] = QBrush(QColor(COLOURS[_scheme][name]))
    return found


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    a, b = relative_luminance(foreground), relative_luminance(background)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)
