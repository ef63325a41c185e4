""" "Set secret…" / "Update secret…": store one site's secret in the keyring, nothing else.

Opened from the message banner right where a missing or wrong secret is reported. The field
is a password field; the secret goes to the secret store in a worker thread and is never
shown, logged or put in an error text.
"""

from __future__ import annotations

import asyncio

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


class SecretDialog(QDialog):
    """Ask for the secret of ``site`` and store it; ``secret_saved(site)`` when done."""

    secret_saved = Signal(str)

    def __init__(
        self, *, site: str, secrets: SecretStore, update: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.site = site
        self._secrets = secrets
        self._tasks = TaskSet()
        self.setWindowTitle("Update secret" if update else "Set secret")
        intro = QLabel(
            f"The site “{site}” refused the secret ISR Desk sent. Paste the current one."
            if update
            else f"ISR Desk has no secret for “{site}”. Paste the one your developer gave you."
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setAccessibleName("Secret")
        self.secret_edit.setPlaceholderText("Paste the secret")
        self.error = QLabel("")
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        note = QLabel("It is kept in the system keyring, never in a file or on screen.")
        note.setObjectName("manifestInfo")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout()
        form.addRow("Secret", self.secret_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.secret_edit.textChanged.connect(self.error.hide)
        self.setMinimumWidth(420)

    def _on_buttons_accepted(self) -> None:
        secret = self.secret_edit.text().strip()
        if not secret:
            self._show_error("Paste the secret first.")
            return
        self._tasks.spawn(self._save(secret))

    async def _save(self, secret: str) -> None:
        self.buttons.setEnabled(False)
        try:
            await asyncio.to_thread(self._secrets.set, self.site, secret)
        except IsrError as exc:
            self._show_error(exc.describe())  # keyring errors never carry the secret
            return
        finally:
            self.buttons.setEnabled(True)
        self.secret_edit.clear()
        self.secret_saved.emit(self.site)
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def done(self, result: int) -> None:
        self._tasks.cancel_all()
        super().done(result)
