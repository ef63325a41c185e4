"""The one message bridge: every panel says things to the user through it.

The main window's status bar listens to :attr:`MessageBridge.shown`; tests listen too.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from isr_desk.services.errors import IsrError

INFO, WARNING, ERROR = "info", "warning", "error"


class MessageBridge(QObject):
    """Plain-language messages for the status bar: ``shown(level, text)``."""

    shown = Signal(str, str)

    def info(self, text: str) -> None:
        self.shown.emit(INFO, text)

    def warning(self, text: str) -> None:
        self.shown.emit(WARNING, text)

    def error(self, error: IsrError | str) -> None:
        text = error.describe() if isinstance(error, IsrError) else error
        self.shown.emit(ERROR, text)
