"""The site dialog: add or edit a site, with a live preview of the request it will send.

Three tabs, so the dialog fits a 1024x640 screen with Save and Cancel always in view: "Site"
(what an editor fills in, :mod:`.profile_site`), "Sending & network" (:mod:`.profile_sending`)
and "CDN" (:mod:`.cdn_settings`). A refused field's tab comes to the front with the field
focused (:mod:`.profile_blame`).

The secret field never shows a stored secret: it only says whether one is stored. Saving
writes the profile through the profile store and the secret through the secret store (the
system keyring), both in worker threads; keyring problems show inline with what to do.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Protocol

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import SiteProfile
from isr_desk.services.errors import IsrError, SecretError
from isr_desk.services.sites import (
    SecretStore,
    check_secret,
    split_pasted,
    validate_profile,
)
from isr_desk.views.cdn_settings import CdnSettingsGroup
from isr_desk.views.plain import plain
from isr_desk.views.profile_blame import bring_forward, refused_field
from isr_desk.views.profile_sending import SendingTab, parse_headers
from isr_desk.views.profile_site import (
    EXAMPLE_URL,
    ScrollPage,
    SiteTab,
    hide_query,
    preview_text,
)
from isr_desk.views.tasks import TaskSet

SECRET_STORED = "Secret stored in the system keyring"
NO_SECRET = "No secret"
SITE_TAB, SENDING_TAB, CDN_TAB = range(3)  # the tabs, in order


class ProfileDirectory(Protocol):
    """What the dialog needs from the profile store (ProfileStore or a session overlay)."""

    def add(self, profile: SiteProfile) -> SiteProfile: ...
    def update(self, old_name: str, profile: SiteProfile) -> SiteProfile: ...


class ProfileDialog(QDialog):
    """Add (``profile=None``) or edit a site. Emits ``profile_saved`` after a save."""

    profile_saved = Signal(object)  # SiteProfile

    def __init__(
        self,
        *,
        profiles: ProfileDirectory,
        secrets: SecretStore,
        profile: SiteProfile | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._profiles = profiles
        self._secrets = secrets
        self._original = profile
        self._tasks = TaskSet()
        self._saving: asyncio.Task[None] | None = None
        self.setWindowTitle("Edit site" if profile else "Add a site")
        self.setMinimumWidth(620)
        self._build()
        self._fill(profile or SiteProfile(name="", base_url=""))
        self._connect_signals()
        self._update_preview()
        if profile is not None:
            self._tasks.spawn(self._load_secret_status(profile.name))
            self._tasks.spawn(self._load_token_status(profile.name))
            self._tasks.spawn(self.secret_headers.load(secrets, profile.name))
        else:
            self.secret_status.setText(NO_SECRET)

    # --- building -----------------------------------------------------------------------
    def _build(self) -> None:
        self.site = SiteTab()
        self.sending = SendingTab()
        self.cdn = CdnSettingsGroup(tokens=self._secrets.cdn_tokens(), site_name=self._token_site)
        cdn_page = QWidget()
        cdn_layout = QVBoxLayout(cdn_page)
        cdn_layout.addWidget(self.cdn)
        cdn_layout.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Site settings")
        self.tabs.addTab(ScrollPage(self.site), "Site")
        self.tabs.addTab(ScrollPage(self.sending), "Sending && network")
        self.tabs.addTab(ScrollPage(cdn_page), "CDN")
        self._alias_fields()
        self.error_label = QLabel("")
        plain(self.error_label)  # an error quotes what was typed or imported
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        # Below the tabs: an error shows whichever tab is in front.
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def _alias_fields(self) -> None:
        """The tabs' fields under the dialog's names (the journeys and tests use them)."""
        site, sending = self.site, self.sending
        self.name_edit, self.url_edit = site.name_edit, site.url_edit
        self.path_edit = site.path_edit
        self.preset_combo, self.custom, self.preview = site.preset_combo, site.custom, site.preview
        self.method_combo, self.placement_combo = site.method_combo, site.placement_combo
        self.url_template_edit = site.url_template_edit
        self.tag_url_template_edit = site.tag_url_template_edit
        self.path_body_edit, self.tag_body_edit = site.path_body_edit, site.tag_body_edit
        self.secret_name_edit = site.secret_name_edit
        self.manifest_edit, self.browse_button = site.manifest_edit, site.browse_button
        self.secret_edit, self.secret_status = site.secret_edit, site.secret_status
        self.forget_button, self.split_note = site.forget_button, site.split_note
        self.concurrency_spin, self.timeout_spin = sending.concurrency_spin, sending.timeout_spin
        self.retries_spin, self.batch_spin = sending.retries_spin, sending.batch_spin
        self.rate_spin, self.proxy_edit, self.ca_edit = (
            sending.rate_spin, sending.proxy_edit, sending.ca_edit)  # fmt: skip
        self.headers_edit, self.secret_headers = sending.headers_edit, sending.secret_headers

    def _fill(self, profile: SiteProfile) -> None:
        self.site.fill(profile)
        self.sending.fill(profile)
        self.cdn.set_settings(profile.cdn)
        self._instances = profile.instances
        self._conventions = replace(profile, name="", base_url="")

    def _connect_signals(self) -> None:
        for edit in self.site.preview_edits():
            edit.textChanged.connect(self._update_preview)
        for combo in (self.preset_combo, self.method_combo, self.placement_combo):
            combo.currentIndexChanged.connect(self._update_preview)
        self.batch_spin.valueChanged.connect(self._update_preview)
        self.headers_edit.textChanged.connect(self._update_preview)
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.forget_button.clicked.connect(self._on_forget_clicked)
        self.url_edit.textChanged.connect(self._on_url_edit_text_changed)
        for edit in (self.name_edit, self.url_edit, self.path_edit, self.secret_edit):
            edit.textChanged.connect(self.error_label.clear)  # an error never outlives its fix
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        screen = self.screen()
        if screen is not None:  # never taller than the screen: the tab scrolls instead
            self.setMaximumHeight(screen.availableGeometry().height())
        super().showEvent(event)

    # --- reading the form ---------------------------------------------------------------
    def profile_from_fields(self) -> SiteProfile:
        sending = self.sending
        return SiteProfile(
            name=self.name_edit.text().strip(),
            base_url=self.url_edit.text().strip(),
            endpoint=self.site.endpoint(batch_size=sending.batch_spin.value()),
            manifest_source=self.manifest_edit.text().strip() or None,
            concurrency=sending.concurrency_spin.value(),
            timeout=sending.timeout_spin.value(),
            retries=sending.retries_spin.value(),
            headers=parse_headers(self.headers_edit.toPlainText()),
            instances=self._instances,
            rate_limit=sending.rate_spin.value(),
            proxy=sending.proxy_edit.text().strip() or None,
            ca_bundle=sending.ca_edit.text().strip() or None,
            base_path=self._conventions.base_path,
            trailing_slash=self._conventions.trailing_slash,
            encode_paths=self._conventions.encode_paths,
            cdn=self.cdn.settings(),
            secret_headers=self.secret_headers.names(),
        )

    def _on_url_edit_text_changed(self, text: str) -> None:
        """A pasted refresh address or cURL command: split into address, route, secret."""
        pasted = split_pasted(text)
        if pasted is None:
            return
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(pasted.preset))
        self.path_edit.setText(pasted.route)
        if pasted.secret:
            self.secret_edit.setText(pasted.secret)  # a password field: never shown
        self.url_edit.setText(pasted.base_url)  # last: the secret leaves the screen at once
        kept = " and its secret (stored in the keyring when you save)" if pasted.secret else ""
        self.split_note.setText(f"Split the pasted address into the site, its route{kept}.")
        self.split_note.show()

    def _update_preview(self, *_: object) -> None:
        self.site.show_route_rows()
        try:
            profile = self.profile_from_fields()
            if not profile.base_url:
                profile = replace(profile, base_url=EXAMPLE_URL)
            self.preview.setPlainText(preview_text(profile))
        except IsrError as exc:
            self.preview.setPlainText(f"Cannot build the request yet: {hide_query(exc.describe())}")

    # --- secret -------------------------------------------------------------------------
    async def _load_secret_status(self, name: str) -> None:
        try:
            stored = await asyncio.to_thread(self._secrets.has, name)
        except SecretError as exc:
            self._show_secret_error(exc)
            return
        self.secret_status.setText(SECRET_STORED if stored else NO_SECRET)
        self.forget_button.setEnabled(stored)

    def _show_secret_error(self, exc: SecretError) -> None:
        self.secret_status.setText(f"{exc.message}. {exc.hint or ''}".strip())
        self.adjustSize()  # the dialog grows with the message: nothing overlaps

    def _on_forget_clicked(self) -> None:
        if self._original is not None:
            self._tasks.spawn(self._forget(self._original.name))

    async def _forget(self, name: str) -> None:
        self.forget_button.setEnabled(False)
        try:
            await asyncio.to_thread(self._secrets.delete, name)
        except SecretError as exc:
            self._show_secret_error(exc)
            self.forget_button.setEnabled(True)
            return
        self.secret_status.setText(NO_SECRET)

    def _on_browse_clicked(self) -> None:
        chooser = QFileDialog(self, "Choose a manifest")
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.setNameFilter("Manifests (*.json *.xml *.txt);;All files (*)")
        chooser.fileSelected.connect(self.manifest_edit.setText)
        chooser.open()

    # --- saving -------------------------------------------------------------------------
    def save(self) -> None:
        if self._saving is None or self._saving.done():
            self._saving = self._tasks.spawn(self._save())

    async def _save(self) -> None:
        self.buttons.setEnabled(False)
        self.error_label.clear()
        saved: SiteProfile | None = None
        try:
            profile = validate_profile(self.profile_from_fields())
            secret = self.secret_edit.text()
            if self._original is None:
                saved = await asyncio.to_thread(self._profiles.add, profile)
            else:
                saved = await asyncio.to_thread(self._profiles.update, self._original.name, profile)
            self._original = saved
            if secret.strip():
                check_secret(saved, secret)  # one the request could not carry is refused
                await asyncio.to_thread(self._secrets.set, saved.name, secret)
                self.secret_edit.clear()
                self.secret_status.setText(SECRET_STORED)
            await self._save_token(saved)
            await self.secret_headers.store(self._secrets, saved.name)
        except SecretError as exc:
            self._show_secret_error(exc)
            self.error_label.setText("The site was saved, but its secret was not stored.")
            if saved is not None:
                self.profile_saved.emit(saved)
            return
        except IsrError as exc:
            self.error_label.setText(hide_query(exc.describe()))
            field = refused_field(exc, self.profile_from_fields, self.site, self.sending, self.cdn)
            if field is not None:
                bring_forward(self.tabs, field)
            return
        finally:
            self.buttons.setEnabled(True)
        self.profile_saved.emit(saved)
        self.accept()

    async def _load_token_status(self, name: str) -> None:
        try:
            stored = await asyncio.to_thread(self._secrets.cdn_tokens().has, name)
        except SecretError:
            return  # the site's secret status already says what is wrong with the keyring
        self.cdn.show_token_state(stored)

    async def _save_token(self, saved: SiteProfile) -> None:
        """The CDN token was stored on the token dialog's OK; a new site's follows its name;
        another provider's token is deleted (never sent to the new provider's API)."""
        await self.cdn.drop_stale(saved.name)
        await self.cdn.keep_for(saved.name)

    def _token_site(self) -> str:
        """Whose CDN token the CDN group sets: the saved site's, or the name typed so far."""
        return self._original.name if self._original is not None else self.name_edit.text()

    def done(self, result: int) -> None:
        self._tasks.cancel_all()
        if self._original is None:
            self.cdn.forget_unsaved()  # cancelled before the new site was saved
        self.cdn.shutdown()
        super().done(result)
