"""Preferences (in ``QSettings``): theme, log size, defaults for new sites, bulk threshold.

The theme follows the system's light/dark setting (``QStyleHints.colorScheme``) unless the
user picks Light or Dark. The app also sets the matching Fusion palette itself, because
many platforms (and the offscreen one the screenshots use) ignore a requested scheme.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from isr_desk.views import colours

THEMES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))
_KEY = "preferences/"
DARK_QSS = """
QLabel#emptyState, QLabel#manifestInfo, QLabel#siteAddress, QLabel#secretStatus { color: #a3aab5; }
QLabel#hintLine, QLabel#problems, QLabel#errorText { color: #f87171; }
QPushButton#addSite { color: #93c5fd; border-color: #93c5fd; }
QLabel#practiceTitle { color: #fbbf24; }
QFrame#practiceStrip { border-color: #fbbf24; }
QFrame#banner { border-color: #4b5563; border-left-color: #60a5fa; }
QFrame#banner[level="warning"] { border-left-color: #fbbf24; }
QFrame#banner[level="error"] { border-left-color: #f87171; }
QTableView { gridline-color: #374151; selection-background-color: #1e3a8a; selection-color: white; }
QLineEdit, QPlainTextEdit { border: 1px solid #6b7280; border-radius: 3px; padding: 2px; }
QLineEdit:focus, QPlainTextEdit:focus { border-color: #60a5fa; }
"""


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the user can set in the Preferences dialog."""

    theme: str = "system"
    log_limit: int = 100_000  # rows kept in the live log; the oldest are dropped
    default_concurrency: int = 8  # for new sites
    bulk_threshold: int = 20  # runs with more targets ask for a confirmation

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        base = cls()

        def number(name: str, default: int, low: int, high: int) -> int:
            try:
                value = int(str(settings.value(_KEY + name, default)))
            except ValueError:
                return default
            return min(high, max(low, value))

        theme = str(settings.value(_KEY + "theme", base.theme))
        return cls(
            theme=theme if theme in dict(THEMES) else base.theme,
            log_limit=number("log_limit", base.log_limit, 1000, 10_000_000),
            default_concurrency=number("default_concurrency", base.default_concurrency, 1, 1024),
            bulk_threshold=number("bulk_threshold", base.bulk_threshold, 1, 1_000_000),
        )

    def save(self, settings: QSettings) -> None:
        settings.setValue(_KEY + "theme", self.theme)
        settings.setValue(_KEY + "log_limit", self.log_limit)
        settings.setValue(_KEY + "default_concurrency", self.default_concurrency)
        settings.setValue(_KEY + "bulk_threshold", self.bulk_threshold)
        settings.sync()


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, "#1f2329"), (roles.WindowText, "#e5e7eb"), (roles.Base, "#16191d"),
        (roles.AlternateBase, "#22262c"), (roles.Text, "#e5e7eb"), (roles.Button, "#2a2f36"),
        (roles.ButtonText, "#e5e7eb"), (roles.ToolTipBase, "#2a2f36"),
        (roles.ToolTipText, "#e5e7eb"), (roles.Highlight, "#2563eb"),
        (roles.HighlightedText, "#ffffff"), (roles.Link, "#60a5fa"), (roles.Mid, "#3b4048"),
        (roles.PlaceholderText, "#8b929c"), (roles.BrightText, "#ffffff"),
    ):  # fmt: skip
        palette.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.Text, roles.ButtonText, roles.WindowText):
        palette.setColor(disabled, role, QColor("#6b7280"))
    return palette


def light_palette(standard: QPalette) -> QPalette:
    """The platform's light palette with a darker highlight: white text on it reads at AA."""
    palette = QPalette(standard)
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#1d4ed8"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    return palette


class Theme(QObject):
    """Applies the chosen theme, and follows the system while it is "system"."""

    applied = Signal(str)  # "light" | "dark"

    def __init__(self, app: QApplication, *, base_style: str = "") -> None:
        super().__init__(app)
        self._app = app
        self._base = base_style
        self.choice = "system"
        self.scheme = "light"
        app.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)

    def apply(self, choice: str) -> str:
        self.choice = choice
        hints = self._app.styleHints()
        if choice == "system":
            hints.unsetColorScheme()
            dark = hints.colorScheme() == Qt.ColorScheme.Dark
        else:
            dark = choice == "dark"
            hints.setColorScheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
        self.scheme = "dark" if dark else "light"
        standard = self._app.style().standardPalette()
        self._app.setPalette(dark_palette() if dark else light_palette(standard))
        colours.set_scheme(self.scheme)
        sheet = self._base + (DARK_QSS if dark else "")
        if sheet != self._app.styleSheet():  # setting it again re-polishes every widget: ~45 ms
            self._app.setStyleSheet(sheet)
        self.applied.emit(self.scheme)
        return self.scheme

    def _on_color_scheme_changed(self, _: Qt.ColorScheme) -> None:
        if self.choice == "system":
            self.apply("system")


class PreferencesDialog(QDialog):
    """Edit the preferences; on OK they are saved and ``preferences_changed`` is emitted."""

    preferences_changed = Signal(object)  # Preferences

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._settings = settings
        current = Preferences.load(settings)
        self.theme_combo = QComboBox()
        for key, label in THEMES:
            self.theme_combo.addItem(label, key)
        self.theme_combo.setCurrentIndex(self.theme_combo.findData(current.theme))
        self.log_spin = self._spin(1000, 10_000_000, current.log_limit, step=10_000)
        self.log_spin.setSuffix(" rows")
        self.concurrency_spin = self._spin(1, 1024, current.default_concurrency)
        self.threshold_spin = self._spin(1, 1_000_000, current.bulk_threshold)
        self.threshold_spin.setSuffix(" targets")
        form = QFormLayout()
        form.addRow("Theme", self.theme_combo)
        form.addRow("Keep in the live log", self.log_spin)
        form.addRow("", _note("Older rows are dropped; every run stays in the History."))
        form.addRow("Requests at once for new sites", self.concurrency_spin)
        form.addRow("Ask before runs of more than", self.threshold_spin)
        form.addRow("", _note("Refreshing a tag always asks: one tag can touch many pages."))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.buttons = buttons

    @staticmethod
    def _spin(low: int, high: int, value: int, *, step: int = 1) -> QSpinBox:
        spin = QSpinBox(minimum=low, maximum=high)
        spin.setSingleStep(step)
        spin.setGroupSeparatorShown(True)
        spin.setValue(value)
        return spin

    def preferences(self) -> Preferences:
        return Preferences(
            theme=str(self.theme_combo.currentData()),
            log_limit=self.log_spin.value(),
            default_concurrency=self.concurrency_spin.value(),
            bulk_threshold=self.threshold_spin.value(),
        )

    def accept(self) -> None:
        chosen = self.preferences()
        chosen.save(self._settings)
        super().accept()
        self.preferences_changed.emit(chosen)


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("manifestInfo")
    label.setWordWrap(True)
    return label


def current_theme(app: QGuiApplication | None = None) -> str:
    """``dark`` or ``light``: what the window shows now (from the palette)."""
    current = app if app is not None else QGuiApplication.instance()
    if not isinstance(current, QGuiApplication):
        return "light"
    window = current.palette().color(QPalette.ColorRole.Window)
    return "dark" if window.lightness() < 128 else "light"
