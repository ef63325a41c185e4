"""The message banner: the outcome of the last action, in plain words, with its button.

One banner for the window, under the sites bar (not the status bar: long messages wrap here
instead of being cut). It keeps to three rules:

- a side note (a verification's verdict) never replaces a failure: it is added under it;
- a message about another site is not shown, and switching site clears the banner;
- a new run clears it, so an older run's outcome never lingers.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from isr_desk.views.messages import ACTION_LABELS, ERROR, INFO, WARNING, Message

_TITLES = {INFO: "Done", WARNING: "Needs a look", ERROR: "Not done"}


class MessageBanner(QFrame):
    """Shows one :class:`Message` (plus notes) for the current site; hidden when empty."""

    action_requested = Signal(str)  # an ACTION_LABELS key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.message: Message | None = None
        self.notes: list[Message] = []
        self.site = ""  # the site on screen; messages about another one are dropped
        self.text = QLabel("")
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel("")
        self.note.setObjectName("bannerNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.action_button = QPushButton("")
        self.action_button.setObjectName("bannerAction")
        self.close_button = QPushButton("Dismiss")
        self.close_button.setObjectName("bannerClose")
        self.close_button.setAccessibleName("Dismiss the message")
        self.close_button.setFlat(True)
        words = QVBoxLayout()
        words.setContentsMargins(0, 0, 0, 0)
        words.setSpacing(2)
        words.addWidget(self.text)
        words.addWidget(self.note)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addLayout(words, 1)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.action_button.clicked.connect(self._on_action_button_clicked)
        self.close_button.clicked.connect(self.clear)
        self.hide()

    # --- what is shown ------------------------------------------------------------------
    def show_message(self, message: Message) -> None:
        if message.site and self.site and message.site != self.site:
            return  # about a site that is no longer on screen
        if message.note and self.message is not None:
            self.notes.append(message)  # the outcome stays; the note goes under it
        else:
            self.message, self.notes = message, []
        self._render()

    def set_site(self, name: str) -> None:
        """The site on screen changed: what was said about the old one goes."""
        if name != self.site:
            self.site = name
            self.clear()

    def clear(self) -> None:
        self.message, self.notes = None, []
        self._render()

    def set_action_enabled(self, action: str, enabled: bool) -> None:
        """Hide the button when its action no longer applies (say, nothing left to retry)."""
        if self.message is not None and self.message.action == action and not enabled:
            self.action_button.hide()

    @property
    def level(self) -> str:
        """The most severe of the message and its notes (what the banner's colour says)."""
        shown = [self.message, *self.notes] if self.message is not None else []
        return max(shown, key=lambda m: m.severity).level if shown else ""

    # --- drawing ------------------------------------------------------------------------
    def _render(self) -> None:
        message = self.message
        if message is None:
            self.hide()
            return
        self.setProperty("level", self.level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.text.setText(message.text)
        self.text.setAccessibleName(f"{_TITLES.get(message.level, '')}: {message.text}")
        self.note.setText("\n".join(n.text for n in self.notes))
        self.note.setVisible(bool(self.notes))
        label = ACTION_LABELS.get(message.action, "")
        self.action_button.setText(label)
        self.action_button.setAccessibleName(label)
        self.action_button.setVisible(bool(label))
        self.show()

    def _on_action_button_clicked(self) -> None:
        if self.message is not None and self.message.action:
            self.action_requested.emit(self.message.action)


__all__ = ["ERROR", "INFO", "WARNING", "MessageBanner"]
