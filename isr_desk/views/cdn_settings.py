"""The site dialog's "CDN" group: which CDN a run purges after the origin (docs/cdn.md).

Provider (none, Vercel, Cloudflare) and its fields; the API token's state ("Token stored in
your system keyring" with Replace… and Remove, or Set token…): the token dialog
(:mod:`.cdn_token_dialog`) stores it in the keyring on its OK, never in the profile. Vercel's
API purges by tag only: the group says so when Vercel is chosen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from isr_desk.domain import VERCEL_TARGETS, CdnProvider, CdnSettings, PathPurge
from isr_desk.services.cdn import VERCEL_PATHS_NOTE
from isr_desk.services.errors import IsrError
from isr_desk.services.sites import SecretStore
from isr_desk.views.cdn_token_dialog import CdnTokenDialog
from isr_desk.views.tasks import TaskSet

PURGES = (
    (PathPurge.URLS, "Each page's address"),
    (PathPurge.PREFIXES, "Each page and everything under it (prefix)"),
    (PathPurge.HOSTS, "The whole host"),
)
TOKEN_STORED = "Token stored in your system keyring"
NO_TOKEN = "No token stored yet"
NAME_FIRST = "Type the site's name first: the token is kept under it"


_CLEANUPS: set[asyncio.Task[None]] = set()


async def _delete_quietly(tokens: SecretStore, name: str) -> None:
    with contextlib.suppress(IsrError):
        await asyncio.to_thread(tokens.delete, name)


class CdnSettingsGroup(QGroupBox):
    """The CDN fields of one site (:meth:`settings` reads them) and its token's state.

    ``tokens`` is the keyring's CDN token store; ``site_name`` says whose token it is (the
    saved site's name, or the name typed in a new site's dialog)."""

    def __init__(
        self,
        *,
        tokens: SecretStore,
        site_name: Callable[[], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("CDN (purged after the origin when asked)", parent)
        self._tokens = tokens
        self._site_name = site_name
        self._tasks = TaskSet()
        self.token_dialog: CdnTokenDialog | None = None
        self.stored_under: str | None = None  # a token this dialog stored, under this name
        self._has_token = False
        # Whose token the keyring holds: the saved provider's, or the one a token was set for
        # here. Another provider's token is deleted on save, never sent to the new API.
        self.token_provider: CdnProvider | None = None
        # Never more than its rows: a tall dialog's spare room is not the CDN group's.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.provider_combo = QComboBox()
        for provider in CdnProvider:
            self.provider_combo.addItem(provider.label, provider)
        self.project_edit = QLineEdit()
        self.project_edit.setPlaceholderText("project id or name")
        self.team_edit = QLineEdit()
        self.team_edit.setPlaceholderText("team id (optional)")
        self.target_combo = QComboBox()
        self.target_combo.addItems(list(VERCEL_TARGETS))
        self.zone_edit = QLineEdit()
        self.zone_edit.setPlaceholderText("zone id")
        self.purge_combo = QComboBox()
        for kind, text in PURGES:
            self.purge_combo.addItem(text, kind)
        self.public_edit = QLineEdit()
        self.public_edit.setPlaceholderText("where visitors see the site (empty: its address)")
        self.default_box = QCheckBox("Purge the CDN in every run of this site")
        self.token_button = QPushButton("Set token…")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Delete this site's CDN token from the system keyring")
        self.remove_button.hide()
        self.token_status = QLabel(NO_TOKEN)
        self.token_status.setWordWrap(True)
        self.token_status.setTextFormat(Qt.TextFormat.PlainText)
        self.note = QLabel(VERCEL_PATHS_NOTE + ".")
        self.note.setWordWrap(True)
        self._layout()
        self.provider_combo.currentIndexChanged.connect(self._on_provider_combo_changed)
        self.token_button.clicked.connect(self._on_token_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self._on_provider_combo_changed()

    def _layout(self) -> None:
        form = QFormLayout(self)
        form.addRow("Provider", self.provider_combo)
        self.rows: dict[str, QWidget] = {}
        for key, label, widget in (
            ("project", "Vercel project", self.project_edit),
            ("team", "Vercel team", self.team_edit),
            ("target", "Vercel target", self.target_combo),
            ("zone", "Cloudflare zone", self.zone_edit),
            ("purge", "Purge a page as", self.purge_combo),
            ("public", "Public address", self.public_edit),
        ):
            form.addRow(label, widget)
            self.rows[key] = widget
        token = QHBoxLayout()
        token.addWidget(self.token_status, 1)
        token.addWidget(self.token_button)
        token.addWidget(self.remove_button)
        form.addRow("API token", token)
        self._token_row = token
        form.addRow(self.default_box)
        form.addRow(self.note)
        self.form = form

    # --- values -------------------------------------------------------------------------
    def set_settings(self, cdn: CdnSettings) -> None:
        self.provider_combo.setCurrentIndex(self.provider_combo.findData(cdn.provider))
        self.project_edit.setText(cdn.project)
        self.team_edit.setText(cdn.team)
        self.target_combo.setCurrentText(cdn.target)
        self.zone_edit.setText(cdn.zone)
        self.purge_combo.setCurrentIndex(self.purge_combo.findData(cdn.path_purge))
        self.public_edit.setText(cdn.public_url)
        self.default_box.setChecked(cdn.by_default)
        self.token_provider = cdn.provider if cdn.enabled else None
        self._on_provider_combo_changed()

    def settings(self) -> CdnSettings:
        provider = CdnProvider(self.provider_combo.currentData())
        if provider is CdnProvider.NONE:
            return CdnSettings()
        return CdnSettings(
            provider=provider,
            project=self.project_edit.text().strip(),
            team=self.team_edit.text().strip(),
            target=self.target_combo.currentText(),
            zone=self.zone_edit.text().strip(),
            path_purge=PathPurge(self.purge_combo.currentData()),
            public_url=self.public_edit.text().strip(),
            by_default=self.default_box.isChecked(),
        )

    def show_token_state(self, stored: bool) -> None:
        if self.stored_under is not None and not stored:
            return  # a read of the keyring begun before this dialog stored a token: stale
        self.token_status.setText(TOKEN_STORED if stored else NO_TOKEN)
        self.token_button.setText("Replace…" if stored else "Set token…")
        self.token_button.setToolTip(
            "Store a new token in place of the one in the keyring" if stored else ""
        )
        self._has_token = stored
        self.remove_button.setVisible(stored)
        self._say_if_stale()

    def _stale(self) -> CdnProvider | None:
        """The provider of a stored token the current provider would not use, or None."""
        now = CdnProvider(self.provider_combo.currentData())
        was = self.token_provider
        return was if was is not None and was is not now else None

    def _say_if_stale(self) -> None:
        was = self._stale()
        if was is None or not self._has_token:
            return
        now = CdnProvider(self.provider_combo.currentData())
        then = f"; set the {now.label} token after" if now is not CdnProvider.NONE else ""
        self.token_status.setText(f"The {was.label} token will be removed on save{then}")

    async def drop_stale(self, name: str) -> None:
        """On save: a stored token of a provider the site no longer uses is deleted."""
        was = self._stale()
        if was is None:
            return
        await asyncio.to_thread(self._tokens.delete, name)
        self.token_provider, self.stored_under = None, None
        self.show_token_state(False)
        now = CdnProvider(self.provider_combo.currentData())
        then = f"; set the {now.label} token with Set token…" if now is not CdnProvider.NONE else ""
        self.token_status.setText(f"The {was.label} token was removed{then}")

    # --- the token in the keyring ---------------------------------------------------------
    async def keep_for(self, name: str) -> None:
        """After a new site is saved as ``name``: a token stored under the name typed when
        it was set follows the site (a saved site's rename moves it in the profile store)."""
        old, self.stored_under = self.stored_under, None
        if old is not None and old != name:
            await asyncio.to_thread(self._tokens.move, old, name)

    def forget_unsaved(self) -> None:
        """A new site's dialog was cancelled: the token stored for it goes too (in a task
        that outlives the dialog; a keyring error there changes nothing for anyone)."""
        old, self.stored_under = self.stored_under, None
        if old is not None:
            task = asyncio.get_event_loop().create_task(_delete_quietly(self._tokens, old))
            _CLEANUPS.add(task)
            task.add_done_callback(_CLEANUPS.discard)

    def open_token_dialog(self) -> None:
        site = self._site_name().strip()
        if not site:
            self.token_status.setText(NAME_FIRST)
            return
        replacing = self._has_token
        dialog = CdnTokenDialog(site=site, cdn=self.settings(), tokens=self._tokens,
                                replacing=replacing, parent=self)  # fmt: skip
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.token_stored.connect(self._on_token_dialog_token_stored)
        dialog.finished.connect(self._on_token_dialog_finished)
        self.token_dialog = dialog
        dialog.open()

    def _on_token_dialog_token_stored(self, site: str) -> None:
        self.stored_under = site
        self.token_provider = CdnProvider(self.provider_combo.currentData())
        self.show_token_state(True)

    def _on_token_dialog_finished(self, _: int) -> None:
        self.token_dialog = None

    def _on_remove_button_clicked(self) -> None:
        site = self._site_name().strip()
        if site:
            self._tasks.spawn(self._remove(site))

    async def _remove(self, site: str) -> None:
        self.remove_button.setEnabled(False)
        try:
            await asyncio.to_thread(self._tokens.delete, site)
        except IsrError as exc:
            self.token_status.setText(f"The token was not removed. {exc.describe()}")
            return
        finally:
            self.remove_button.setEnabled(True)
        self.stored_under, self.token_provider = None, None
        self.show_token_state(False)
        self.token_status.setText("Token removed from your system keyring")

    def shutdown(self) -> None:
        self._tasks.cancel_all()

    # --- slots --------------------------------------------------------------------------
    def _on_provider_combo_changed(self, *_: object) -> None:
        provider = CdnProvider(self.provider_combo.currentData())
        vercel = provider is CdnProvider.VERCEL
        cloudflare = provider is CdnProvider.CLOUDFLARE
        shown = {"project": vercel, "team": vercel, "target": vercel, "zone": cloudflare,
                 "purge": cloudflare, "public": cloudflare}  # fmt: skip
        for key, widget in self.rows.items():
            self.form.setRowVisible(widget, shown[key])
        enabled = vercel or cloudflare
        self.form.setRowVisible(self._token_row, enabled)
        self.remove_button.setVisible(enabled and self._has_token)  # the row showed it
        self.form.setRowVisible(self.default_box, enabled)
        self.form.setRowVisible(self.note, vercel)
        if self._has_token:
            self.show_token_state(True)  # and, if the provider changed, that its token goes

    def _on_token_button_clicked(self) -> None:
        self.open_token_dialog()
