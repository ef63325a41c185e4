"""The site dialog: add or edit a site, with a live preview of the request it will send.

The secret field never shows a stored secret: it only says whether one is stored. Saving
writes the profile through the profile store and the secret through the secret store (the
system keyring), both in worker threads; keyring problems show inline with what to do.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import Protocol

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import Endpoint, Preset, SecretPlacement, SiteProfile
from isr_desk.services.errors import InvalidProfileError, IsrError, SecretError
from isr_desk.services.sites import (
    SecretStore,
    check_headers,
    check_secret,
    preview_request,
    secret_in_query,
    shown_headers,
    split_pasted,
    supports_tags,
    validate_profile,
)
from isr_desk.views.a11y import name_form_fields
from isr_desk.views.cdn_settings import CdnSettingsGroup
from isr_desk.views.plain import plain
from isr_desk.views.secret_headers_box import SecretHeadersGroup
from isr_desk.views.tasks import TaskSet

SECRET_STORED = "Secret stored in the system keyring"
NO_SECRET = "No secret"
_PRESETS = (
    (Preset.APP_ROUTER, "App Router route — POST, secret in ?secret="),
    (Preset.PAGES_ROUTER, "Pages Router API route — GET, paths only"),
    (Preset.BEARER, "Bearer token — POST, Authorization header"),
    (Preset.GET_QUERY, "GET ?secret=&path= or &tag= (Next.js docs)"),
    (Preset.CUSTOM, "Custom request…"),
)
_PLACEMENTS = (
    (SecretPlacement.QUERY, "In the address (?name=secret)"),
    (SecretPlacement.HEADER, "In a header (name: secret)"),
    (SecretPlacement.TEMPLATE, "Where the templates say {secret}"),
)
_EXAMPLE_URL = "https://www.example.com"
_QUERY = re.compile(r"\?[^\s'\"”]*")


class ProfileDirectory(Protocol):
    """What the dialog needs from the profile store (ProfileStore or a session overlay)."""

    def add(self, profile: SiteProfile) -> SiteProfile: ...
    def update(self, old_name: str, profile: SiteProfile) -> SiteProfile: ...


def parse_headers(text: str) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise InvalidProfileError(
                f"Extra header line {number} is not “Name: value”", hint="For example X-Team: web"
            )
        headers.append((name.strip(), value.strip()))
    check_headers(headers)  # a credential belongs in the keyring, as the site's secret
    return tuple(headers)


def hide_query(text: str) -> str:
    """``text`` with every URL query shown as ``?…``: a pasted secret never shows in it."""
    return _QUERY.sub("?…", text)


def preview_text(profile: SiteProfile) -> str:
    """The request a path revalidation sends, secret shown as •••."""
    request = preview_request(profile)
    lines = [f"{request.method} {request.url}"]
    lines += [f"{k}: {v}" for k, v in request.headers]
    if request.body:
        lines += ["", request.body.decode("utf-8", errors="replace")]
    notes = []
    if not supports_tags(profile):
        notes.append("This kind of route cannot refresh tags.")
    if secret_in_query(profile):
        notes.append("The secret travels in the address, so it can appear in server logs.")
    return "\n".join(lines + (["", *notes] if notes else []))


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
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("For example: Company blog")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText(_EXAMPLE_URL)
        self.preset_combo = QComboBox()
        for preset, label in _PRESETS:
            self.preset_combo.addItem(label, preset)
        self.path_edit = QLineEdit()
        self.custom = self._build_custom()
        self.manifest_edit = QLineEdit()
        self.manifest_edit.setPlaceholderText(
            "/isr-manifest.json, a sitemap.xml URL or a .next folder"
        )
        self.browse_button = QPushButton("Browse…")
        self.concurrency_spin = QSpinBox(minimum=1, maximum=1024)
        self.timeout_spin = QDoubleSpinBox(minimum=0.5, maximum=600.0, decimals=1, suffix=" s")
        self.retries_spin = QSpinBox(minimum=0, maximum=20)
        self.batch_spin = QSpinBox(minimum=0, maximum=1000)
        self.batch_spin.setSpecialValueText("off")
        self.batch_spin.setToolTip("Pages per request (off: one request per page)")
        self.rate_spin = QSpinBox(minimum=0, maximum=100_000, suffix=" /min")
        self.rate_spin.setSpecialValueText("no limit")
        self.rate_spin.setToolTip("At most this many requests a minute (hosts cap purges)")
        # docs/networks.md: empty = the environment's proxy and the system trust store.
        self.proxy_edit = QLineEdit()
        self.proxy_edit.setPlaceholderText("As the system says (HTTPS_PROXY); or URL, or direct")
        self.ca_edit = QLineEdit()
        self.ca_edit.setPlaceholderText("System trust store; or a private CA's .pem file")
        self.cdn = CdnSettingsGroup(tokens=self._secrets.cdn_tokens(), site_name=self._token_site)
        self.secret_headers = SecretHeadersGroup()
        self.headers_edit = QPlainTextEdit()
        self.headers_edit.setTabChangesFocus(True)
        self.headers_edit.setPlaceholderText("Name: value — one per line (optional)")
        self.headers_edit.setFixedHeight(48)
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setPlaceholderText(
            "Paste the secret to store it (empty keeps the stored one)"
        )
        self.secret_status = QLabel("")
        plain(self.secret_status)
        self.secret_status.setObjectName("secretStatus")
        self.secret_status.setWordWrap(True)
        self.forget_button = QPushButton("Remove stored secret")
        self.forget_button.setEnabled(False)
        self.preview = QPlainTextEdit()
        self.preview.setAccessibleName("The request ISR Desk will send (secret hidden)")
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setFixedHeight(120)
        self.error_label = QLabel("")
        plain(self.error_label)  # an error quotes what was typed or imported
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.split_note = QLabel("")
        self.split_note.setObjectName("manifestInfo")
        self.split_note.setWordWrap(True)
        self.split_note.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self._layout()

    def _build_custom(self) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        self.method_combo = QComboBox()
        self.method_combo.addItems(["POST", "GET", "PUT", "PATCH", "DELETE"])
        self.url_template_edit = QLineEdit()
        self.tag_url_template_edit = QLineEdit()
        self.tag_url_template_edit.setPlaceholderText("empty: the route takes no tags")
        self.path_body_edit = QLineEdit()
        self.tag_body_edit = QLineEdit()
        self.placement_combo = QComboBox()
        for placement, label in _PLACEMENTS:
            self.placement_combo.addItem(label, placement)
        self.secret_name_edit = QLineEdit()
        form.addRow("Method", self.method_combo)
        form.addRow("Address template", self.url_template_edit)
        form.addRow("Address for a tag", self.tag_url_template_edit)
        form.addRow("Body for a page", self.path_body_edit)
        form.addRow("Body for a tag", self.tag_body_edit)
        form.addRow("Secret goes", self.placement_combo)
        form.addRow("Secret parameter or header", self.secret_name_edit)
        name_form_fields(form)
        return box

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Site address", self.url_edit)
        form.addRow("Revalidation route", self.preset_combo)
        form.addRow("Route path", self.path_edit)
        form.addRow(self.custom)
        manifest_row = QHBoxLayout()
        manifest_row.addWidget(self.manifest_edit, 1)
        manifest_row.addWidget(self.browse_button)
        form.addRow("List of pages (manifest)", manifest_row)
        # Two rows: five labelled numbers on one are cut at the dialog's width.
        for row, pairs in (
            ("Sending", (("Requests at once", self.concurrency_spin),
                         ("Timeout", self.timeout_spin), ("Retries", self.retries_spin))),
            ("", (("Pages per request", self.batch_spin), ("Rate", self.rate_spin))),
        ):  # fmt: skip
            numbers = QHBoxLayout()
            for label, spin in pairs:
                numbers.addWidget(QLabel(label))
                numbers.addWidget(spin)
                spin.setAccessibleName(label)
            numbers.addStretch(1)
            form.addRow(row, numbers)
        network = QHBoxLayout()
        network.addWidget(self.proxy_edit, 1)
        network.addWidget(QLabel("CA"))
        network.addWidget(self.ca_edit, 1)
        form.addRow("Proxy", network)
        form.addRow("Extra headers", self.headers_edit)
        form.addRow(self.secret_headers)
        form.addRow(self.cdn)
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret_edit, 1)
        secret_row.addWidget(self.forget_button)
        form.addRow("Secret", secret_row)
        name_form_fields(form)
        self.form = form
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        # Below the form, not in it: a long keyring message wraps instead of overlapping.
        layout.addWidget(self.secret_status)
        layout.addWidget(self.split_note)
        layout.addWidget(QLabel("The request ISR Desk will send (secret hidden):"))
        layout.addWidget(self.preview)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def _fill(self, profile: SiteProfile) -> None:
        endpoint = profile.endpoint
        self.name_edit.setText(profile.name)
        self.url_edit.setText(profile.base_url)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(endpoint.preset))
        self.path_edit.setText(endpoint.path)
        self.method_combo.setCurrentText(endpoint.method)
        self.url_template_edit.setText(endpoint.url_template)
        self.tag_url_template_edit.setText(endpoint.tag_url_template)
        self.path_body_edit.setText(endpoint.path_body_template)
        self.tag_body_edit.setText(endpoint.tag_body_template)
        self.placement_combo.setCurrentIndex(
            self.placement_combo.findData(endpoint.secret_placement)
        )
        self.secret_name_edit.setText(endpoint.secret_name)
        self.batch_spin.setValue(endpoint.batch_size)
        self.manifest_edit.setText(profile.manifest_source or "")
        self.concurrency_spin.setValue(profile.concurrency)
        self.timeout_spin.setValue(profile.timeout)
        self.retries_spin.setValue(profile.retries)
        self.rate_spin.setValue(profile.rate_limit)
        self.proxy_edit.setText(profile.proxy or "")
        self.ca_edit.setText(profile.ca_bundle or "")
        # A credential stored before they were refused shows as •••: delete its line to save.
        shown = shown_headers(profile)
        self.headers_edit.setPlainText("\n".join(f"{k}: {v}" for k, v in shown))
        self.cdn.set_settings(profile.cdn)
        self.secret_headers.set_names(profile.secret_headers)
        self._instances = profile.instances
        self._conventions = replace(profile, name="", base_url="")

    def _connect_signals(self) -> None:
        for edit in (
            self.url_edit,
            self.path_edit,
            self.url_template_edit,
            self.tag_url_template_edit,
            self.path_body_edit,
            self.tag_body_edit,
            self.secret_name_edit,
        ):
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

    # --- reading the form ---------------------------------------------------------------
    def profile_from_fields(self) -> SiteProfile:
        preset = Preset(self.preset_combo.currentData())
        endpoint = Endpoint(
            preset=preset,
            path=self.path_edit.text().strip() or "/api/revalidate",
            method=self.method_combo.currentText(),
            url_template=self.url_template_edit.text().strip(),
            tag_url_template=self.tag_url_template_edit.text().strip(),
            path_body_template=self.path_body_edit.text(),
            tag_body_template=self.tag_body_edit.text(),
            secret_placement=SecretPlacement(self.placement_combo.currentData()),
            secret_name=self.secret_name_edit.text().strip(),
            batch_size=self.batch_spin.value(),
        )
        return SiteProfile(
            name=self.name_edit.text().strip(),
            base_url=self.url_edit.text().strip(),
            endpoint=endpoint,
            manifest_source=self.manifest_edit.text().strip() or None,
            concurrency=self.concurrency_spin.value(),
            timeout=self.timeout_spin.value(),
            retries=self.retries_spin.value(),
            headers=parse_headers(self.headers_edit.toPlainText()),
            instances=self._instances,
            rate_limit=self.rate_spin.value(),
            proxy=self.proxy_edit.text().strip() or None,
            ca_bundle=self.ca_edit.text().strip() or None,
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
        custom = self.preset_combo.currentData() == Preset.CUSTOM
        # Rows, not widgets, are hidden: no hole where the custom fields were.
        self.form.setRowVisible(self.custom, custom)
        overridden = custom and bool(self.url_template_edit.text().strip())
        self.form.setRowVisible(self.path_edit, not overridden)
        try:
            profile = self.profile_from_fields()
            if not profile.base_url:
                profile = replace(profile, base_url=_EXAMPLE_URL)
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
