"""The site switcher at the top of the window, with add / edit / duplicate / delete."""

from __future__ import annotations

import asyncio
from typing import Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from isr_desk.domain import SiteProfile
from isr_desk.services.errors import IsrError
from isr_desk.services.sites import SecretStore
from isr_desk.views.messages import MessageBridge
from isr_desk.views.plain import plain
from isr_desk.views.profile_dialog import ProfileDialog
from isr_desk.views.tasks import TaskSet


class SiteDirectory(Protocol):
    """The profile store as the GUI uses it (a ProfileStore, or one with the demo site)."""

    def list(self) -> list[SiteProfile]: ...
    def add(self, profile: SiteProfile) -> SiteProfile: ...
    def update(self, old_name: str, profile: SiteProfile) -> SiteProfile: ...
    def remove(self, name: str) -> None: ...
    def duplicate(self, name: str) -> SiteProfile: ...


class SitesBar(QWidget):
    """Pick the site to work on; manage sites."""

    site_changed = Signal(object)  # SiteProfile | None

    def __init__(
        self,
        *,
        profiles: SiteDirectory,
        secrets: SecretStore,
        messages: MessageBridge,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._profiles = profiles
        self._secrets = secrets
        self._messages = messages
        self._tasks = TaskSet()
        self._sites: list[SiteProfile] = []
        self.dialog: ProfileDialog | None = None
        self.confirmation: QMessageBox | None = None
        self.combo = QComboBox()
        self.combo.setMinimumWidth(220)
        self.combo.setPlaceholderText("No sites yet")
        self.address = QLabel("")
        plain(self.address)  # a profile's base URL
        self.address.setObjectName("siteAddress")
        self.add_button = QPushButton("Add site…")
        self.edit_button = QPushButton("Edit…")
        self.duplicate_button = QPushButton("Duplicate")
        self.delete_button = QPushButton("Delete")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel("Site")
        label.setObjectName("panelTitle")
        layout.addWidget(label)
        layout.addWidget(self.combo)
        layout.addWidget(self.address, 1)
        for button in (
            self.add_button,
            self.edit_button,
            self.duplicate_button,
            self.delete_button,
        ):
            layout.addWidget(button)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.combo.currentIndexChanged.connect(self._on_combo_current_index_changed)
        self.add_button.clicked.connect(self.open_add_dialog)
        self.edit_button.clicked.connect(self.open_edit_dialog)
        self.duplicate_button.clicked.connect(self._on_duplicate_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)

    # --- the list -----------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        """Read the sites again and select ``select`` (default: the current one)."""
        current = self.current()
        wanted = select or (current.name if current else None)
        try:
            self._sites = self._profiles.list()
        except IsrError as exc:
            self._sites = []
            self._messages.error(exc)
        self.combo.blockSignals(True)
        self.combo.clear()
        for site in self._sites:
            self.combo.addItem(site.name)
        names = [s.name for s in self._sites]
        self.combo.setCurrentIndex(names.index(wanted) if wanted in names else (0 if names else -1))
        self.combo.blockSignals(False)
        self._on_combo_current_index_changed(self.combo.currentIndex())

    def current(self) -> SiteProfile | None:
        index = self.combo.currentIndex()
        return self._sites[index] if 0 <= index < len(self._sites) else None

    def names(self) -> list[str]:
        return [s.name for s in self._sites]

    def select(self, name: str) -> None:
        if name in self.names():
            self.combo.setCurrentIndex(self.names().index(name))

    def _on_combo_current_index_changed(self, _: int) -> None:
        site = self.current()
        self.address.setText(site.base_url if site else "")
        for button in (self.edit_button, self.duplicate_button, self.delete_button):
            button.setEnabled(site is not None)
        self.site_changed.emit(site)

    # --- dialogs ------------------------------------------------------------------------
    def open_add_dialog(self) -> None:
        self._open_dialog(None)

    def open_edit_dialog(self) -> None:
        if self.current() is not None:
            self._open_dialog(self.current())

    def _open_dialog(self, profile: SiteProfile | None) -> None:
        dialog = ProfileDialog(
            profiles=self._profiles, secrets=self._secrets, profile=profile, parent=self.window()
        )
        dialog.profile_saved.connect(self._on_dialog_profile_saved)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _on_dialog_profile_saved(self, profile: SiteProfile) -> None:
        self.reload(select=profile.name)
        self._messages.info(f"Site “{profile.name}” saved")

    # --- duplicate and delete -----------------------------------------------------------
    def _on_duplicate_clicked(self) -> None:
        site = self.current()
        if site is not None:
            self._tasks.spawn(self._duplicate(site.name))

    async def _duplicate(self, name: str) -> None:
        self.duplicate_button.setEnabled(False)
        try:
            copy = await asyncio.to_thread(self._profiles.duplicate, name)
        except IsrError as exc:
            self._messages.error(exc)
            return
        finally:
            self.duplicate_button.setEnabled(True)
        self.reload(select=copy.name)
        self._messages.info(f"Created “{copy.name}”: edit it to change what differs")

    def _on_delete_clicked(self) -> None:
        site = self.current()
        if site is None:
            return
        box = QMessageBox(self.window())
        plain(box)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete site")
        box.setText(f"Delete the site “{site.name}”?")
        box.setInformativeText("Its settings and its stored secret are removed from this computer.")
        delete = box.addButton("Delete site", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)

        def on_finished(_: int) -> None:
            self.confirmation = None
            box.deleteLater()
            if box.clickedButton() is delete:
                self._tasks.spawn(self._delete(site.name))

        box.finished.connect(on_finished)
        self.confirmation = box
        box.open()

    async def _delete(self, name: str) -> None:
        try:
            await asyncio.to_thread(self._profiles.remove, name)
        except IsrError as exc:
            self._messages.error(exc)
            return
        self.reload()
        self._messages.info(f"Site “{name}” deleted")

    def shutdown(self) -> None:
        self._tasks.cancel_all()
