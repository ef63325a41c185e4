"""Text from sites, manifests, profiles and history is shown as plain text, never as HTML.

A ``QLabel``/``QMessageBox`` left at ``Qt.AutoText`` guesses rich text from the first tag it
sees: ``<img src="file:///dev/zero">`` in a redirect's ``Location`` made Qt read
``/dev/zero`` as an image and abort (docs/reliability.md). Tooltips are always guessed, so
:func:`tooltip` escapes the text and marks it rich on purpose: what shows is the text itself.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

__all__ = ["plain", "tooltip"]


def plain(widget: QLabel | QMessageBox) -> None:
    """Show ``widget``'s text literally (no rich-text guess)."""
    widget.setTextFormat(Qt.TextFormat.PlainText)


def tooltip(text: str | None) -> str:
    """A tooltip that shows ``text`` as it is: escaped, line breaks kept, never HTML."""
    if not text:
        return ""
    return "<p style='white-space:pre-wrap'>" + html.escape(text).replace("\n", "<br>") + "</p>"
