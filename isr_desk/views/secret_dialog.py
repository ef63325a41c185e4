""" "Set secret…" / "Update secret…", and the base of every "paste a credential" dialog.

:class:`KeyringDialog` is a password field whose value goes to a secret store (the system
keyring) in a worker thread when the dialog is accepted; the dialog closes only once the
value is stored, and says in itself why it was not (no keyring, locked, refused). The value
is never shown, logged or put in an error text. :class:`SecretDialog` (a site's secret,
opened from the message banner where a missing or wrong secret is reported) and
``views/cdn_token_dialog.py`` (a CDN API token) are its two uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from isr_desk.services.errors import IsrError
from isr_desk.services.sites import SecretStore
from isr_desk.views.tasks import TaskSet

Button = QDialogButtonBox.StandardButton


def plain_label(text: str, *, name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if name:
        label.setObjectName(name)
    return label


class KeyringDialog(QDialog):
    """A password field for ``site``'s ``what``, stored in ``store`` on accept;
    ``stored(site)`` once it is there."""

    stored = Signal(str)

    def __init__(
        self,
        *,
        site: str,
        store: SecretStore,
        what: str,
        texts: tuple[QLabel, ...],
        check: Callable[[str], str],
        button: Button = Button.Save,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.site = site
        self._store = store
        self._check = check
        self._failed = ""  # what an error text starts with
        self._tasks = TaskSet()
        self.field = QLineEdit()
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAccessibleName(what)
        self.field.setPlaceholderText(f"Paste the {what.lower()}")
        self.error = plain_label("", name="errorText")
        self.error.hide()
        note = plain_label(
            "It is kept in your system keyring, never in a file or on screen.",
            name="manifestInfo",
        )
        self.buttons = QDialogButtonBox(button | Button.Cancel)
        form = QFormLayout()
        form.addRow(what, self.field)
        layout = QVBoxLayout(self)
        for text in texts:
            layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.field.textChanged.connect(self.error.hide)

    def _on_buttons_accepted(self) -> None:
        try:
            value = self._check(self.field.text())
        except IsrError as exc:
            self._show_error(exc.describe())
            return
        self._tasks.spawn(self._save(value))

    async def _save(self, value: str) -> None:
        self.buttons.setEnabled(False)
        try:
            await asyncio.to_thread(self._store.set, self.site, value)
        except IsrError as exc:  # keyring errors never carry the value
            self._show_error(f"{self._failed}{exc.describe()}")
            return
        finally:
            self.buttons.setEnabled(True)
        self.field.clear()
        self.stored.emit(self.site)
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.adjustSize()  # the dialog grows with the message: nothing overlaps

    def done(self, result: int) -> None:
        self._tasks.cancel_all()
        super().done(result)


def _a_secret(text: str) -> str:
    secret = text.strip()
    if not secret:
        raise IsrError("Paste the secret first.")
    return secret


class SecretDialog(KeyringDialog):
    """Ask for the secret of ``site`` and store it; ``secret_saved(site)`` when done."""

    secret_saved = Signal(str)

    def __init__(
        self, *, site: str, secrets: SecretStore, update: bool, parent: QWidget | None = None
    ) -> None:
        intro = plain_label(
            f"The site “{site}” refused the secret ISR Desk sent. Paste the current one."
            if update
            else f"ISR Desk has no secret for “{site}”. Paste the one your developer gave you."
        )
        super().__init__(
            site=site, store=secrets, what="Secret", texts=(intro,), check=_a_secret,
            parent=parent,
        )  # fmt: skip
        self.secret_edit = self.field
        self.stored.connect(self.secret_saved)
        self.setWindowTitle("Update secret" if update else "Set secret")
        self.setMinimumWidth(420)
