"""The site dialog's "Secret headers" group: headers whose values live in the keyring only.

A site behind Vercel Deployment Protection needs ``x-vercel-protection-bypass`` on every
request; some sites a ``Cookie`` or an API gateway's key (docs/reliability.md, "Credential
headers"). The list shows each name with ``•••`` and whether a value is stored; "Set value…"
opens a password field for the selected name, "Remove" drops it. Nothing is stored until the
dialog saves: then the names go to the profile, the values to the keyring
(services/sites/_secret_headers.py). A value is never shown, not even the one being typed.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import REDACTED
from isr_desk.services.errors import IsrError, SecretError
from isr_desk.services.sites import SecretHeaders, SecretStore, check_secret_header_name
from isr_desk.views.plain import plain

STORED = "stored in the keyring"
NEW_VALUE = "new value, stored when you save"
NO_VALUE = "no value yet: Set value…"


class SecretHeadersGroup(QGroupBox):
    """The names of a site's secret headers and the values typed since it was opened."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Secret headers (values in the keyring, sent only to this site)", parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._names: list[str] = []
        self._stored: set[str] = set()
        self._pending: dict[str, str] = {}  # name -> value typed, stored on save
        self._removed: list[str] = []
        self._editing: str | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("Secret headers")
        self.list.setFixedHeight(64)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Header name, e.g. x-vercel-protection-bypass")
        self.name_edit.setAccessibleName("New secret header name")
        self.add_button = QPushButton("Add")
        self.set_button = QPushButton("Set value…")
        self.remove_button = QPushButton("Remove")
        self.value_edit = QLineEdit()
        self.value_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.value_edit.setAccessibleName("Secret header value")
        self.value_edit.hide()
        self.status = QLabel("")
        plain(self.status)  # a message quotes a typed name
        self.status.setWordWrap(True)
        self.status.hide()
        self._layout()
        self.add_button.clicked.connect(self._on_add_clicked)
        self.name_edit.returnPressed.connect(self._on_add_clicked)
        self.set_button.clicked.connect(self._on_set_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.value_edit.textChanged.connect(self._on_value_changed)
        self.list.currentRowChanged.connect(self._update_buttons)
        self._update_buttons()

    def _layout(self) -> None:
        adding = QHBoxLayout()
        adding.addWidget(self.name_edit, 1)
        adding.addWidget(self.add_button)
        adding.addWidget(self.set_button)
        adding.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(adding)
        layout.addWidget(self.value_edit)
        layout.addWidget(self.status)

    # --- the dialog's side ----------------------------------------------------------------
    async def load(self, secrets: SecretStore, site: str) -> None:
        """Show which names have a value in the keyring (read off the UI thread)."""
        store = SecretHeaders(secrets.header_entries())
        try:
            stored = await asyncio.to_thread(store.names, site)
        except SecretError:
            return  # the site's secret status already says what is wrong with the keyring
        self.show_stored(stored)

    async def store(self, secrets: SecretStore, site: str) -> None:
        """After the profile is saved: the values typed go to the keyring, a removed
        header's value is deleted. A :class:`SecretError` reaches the dialog."""
        values, removed = self.changes()
        store = SecretHeaders(secrets.header_entries())
        for name in removed:
            await asyncio.to_thread(store.remove, site, name)
        for name, value in values.items():
            await asyncio.to_thread(store.set, site, name, value)
        self.saved()

    def set_names(self, names: tuple[str, ...]) -> None:
        self._names = list(names)
        self._refresh()

    def show_stored(self, names: list[str]) -> None:
        """Which names have a value in the keyring (read by the dialog, off the UI thread)."""
        self._stored = {n.lower() for n in names}
        self._refresh()

    def names(self) -> tuple[str, ...]:
        return tuple(self._names)

    def changes(self) -> tuple[dict[str, str], list[str]]:
        """The values to store and the names whose values to delete, when the dialog saves."""
        kept = {n.lower() for n in self._names}
        values = {n: v for n, v in self._pending.items() if n.lower() in kept}
        return values, [n for n in self._removed if n.lower() not in kept]

    def saved(self) -> None:
        self._stored |= {n.lower() for n in self._pending}
        self._stored -= {n.lower() for n in self._removed}
        self._pending.clear()
        self._removed.clear()
        self.value_edit.clear()
        self.value_edit.hide()
        self._refresh()

    # --- the user's side --------------------------------------------------------------------
    def _on_add_clicked(self) -> None:
        try:
            name = check_secret_header_name(self.name_edit.text())
        except IsrError as exc:
            self._say(exc.describe())
            return
        if name.lower() not in {n.lower() for n in self._names}:
            self._names.append(name)
        self.name_edit.clear()
        self._say("")
        self._refresh()
        self.list.setCurrentRow(
            next(i for i, n in enumerate(self._names) if n.lower() == name.lower())
        )
        self._on_set_clicked()  # a new header needs its value: ask at once

    def _on_set_clicked(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        self._editing = self._names[row]
        self.value_edit.blockSignals(True)
        self.value_edit.clear()
        self.value_edit.blockSignals(False)
        self.value_edit.setPlaceholderText(
            f"Paste the value of {self._editing} (stored in the keyring when you save)"
        )
        self.value_edit.show()
        self.value_edit.setFocus()

    def _on_value_changed(self, text: str) -> None:
        if self._editing is None:
            return
        if text.strip():
            self._pending[self._editing] = text
        else:
            self._pending.pop(self._editing, None)
        self._refresh()

    def _on_remove_clicked(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        name = self._names.pop(row)
        self._pending.pop(name, None)
        self._removed.append(name)
        if self._editing == name:
            self._editing = None
            self.value_edit.hide()
        self._refresh()

    def _refresh(self) -> None:
        row = self.list.currentRow()
        self.list.clear()
        for name in self._names:
            if name in self._pending:
                state = NEW_VALUE
            else:
                state = STORED if name.lower() in self._stored else NO_VALUE
            item = QListWidgetItem(f"{name}: {REDACTED} ({state})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        if self._names:
            self.list.setCurrentRow(min(max(row, 0), len(self._names) - 1))
        self._update_buttons()

    def _update_buttons(self, *_: object) -> None:
        chosen = self.list.currentRow() >= 0
        self.set_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
