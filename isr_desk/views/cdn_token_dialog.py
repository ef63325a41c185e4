"""The CDN API token dialog ("Set token…" / "Replace…" in the site dialog's CDN group).

A password field, what the token is for and where to create it with which permission
(docs/cdn.md), and OK: the token goes to the system keyring right then, in a worker thread,
and the dialog closes only once it is stored. A keyring that is missing or locked is said
in the dialog, which stays open; the token is never shown, logged or put in an error text.
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

from isr_desk.domain import CdnProvider, CdnSettings
from isr_desk.services.errors import IsrError
from isr_desk.services.sites import SecretStore, check_token
from isr_desk.views.tasks import TaskSet


def token_help(cdn: CdnSettings) -> str:
    """Where to create the provider's token and which permission it needs (docs/cdn.md)."""
    if cdn.provider is CdnProvider.CLOUDFLARE:
        zone = f" ({cdn.zone})" if cdn.zone else ""
        return (
            "Create it in the Cloudflare dashboard: My Profile → API Tokens → Create Token → "
            "Create Custom Token. Give it one permission, Zone → Cache Purge → Purge, and "
            f"under Zone Resources include this site's zone{zone}. Cloudflare shows the token "
            "once: paste it here."
        )
    project = f" “{cdn.project}”" if cdn.project else ""
    return (
        "Create it on Vercel's Account Tokens page (your account's Settings → Tokens → "
        f"Create). As its scope choose the team that owns the project{project}, or that "
        "project alone, and an expiry you are happy with. Vercel shows the token once: "
        "paste it here."
    )


class CdnTokenDialog(QDialog):
    """Ask for ``site``'s CDN API token and store it in the keyring on OK;
    ``token_stored(site)`` when it is there."""

    token_stored = Signal(str)

    def __init__(
        self,
        *,
        site: str,
        cdn: CdnSettings,
        tokens: SecretStore,
        replacing: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.site = site
        self._tokens = tokens
        self._tasks = TaskSet()
        name = cdn.provider.label
        self.setWindowTitle(f"Replace the {name} token" if replacing else f"{name} API token")
        intro = QLabel(
            f"ISR Desk purges {name} for “{site}” with an API token of yours. "
            + ("The new one replaces the token stored now." if replacing else "")
        )
        self.help = QLabel(token_help(cdn))
        self.help.setObjectName("manifestInfo")
        for label in (intro, self.help):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setAccessibleName(f"{name} API token")
        self.token_edit.setPlaceholderText("Paste the token")
        self.error = QLabel("")
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        note = QLabel("It is kept in your system keyring, never in a file or on screen.")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout()
        form.addRow("API token", self.token_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.help)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.token_edit.textChanged.connect(self.error.hide)
        self.setMinimumWidth(460)

    def _on_buttons_accepted(self) -> None:
        try:
            token = check_token(self.token_edit.text())
        except IsrError as exc:
            self._show_error(exc.describe())
            return
        self._tasks.spawn(self._store(token))

    async def _store(self, token: str) -> None:
        self.buttons.setEnabled(False)
        try:
            await asyncio.to_thread(self._tokens.set, self.site, token)
        except IsrError as exc:  # no keyring, locked, refused: said here, never the token
            self._show_error(f"The token was not stored. {exc.describe()}")
            return
        finally:
            self.buttons.setEnabled(True)
        self.token_edit.clear()
        self.token_stored.emit(self.site)
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.adjustSize()  # the dialog grows with the message: nothing overlaps

    def done(self, result: int) -> None:
        self._tasks.cancel_all()
        super().done(result)
