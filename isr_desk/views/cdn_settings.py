"""The site dialog's "CDN" group: which CDN a run purges after the origin (docs/cdn.md).

Provider (none, Vercel, Cloudflare) and its fields; "Set token…" opens a password field
whose text the dialog stores in the keyring when it saves (never in the profile). Vercel's
API purges by tag only: the group says so when Vercel is chosen.
"""

from __future__ import annotations

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

PURGES = (
    (PathPurge.URLS, "Each page's address"),
    (PathPurge.PREFIXES, "Each page and everything under it (prefix)"),
    (PathPurge.HOSTS, "The whole host"),
)
TOKEN_STORED = "API token stored in the system keyring"
NO_TOKEN = "No API token stored yet"


class CdnSettingsGroup(QGroupBox):
    """The CDN fields of one site; :meth:`settings` reads them, :meth:`token` the new token."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("CDN (purged after the origin when asked)", parent)
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
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("Paste the API token (stored in the keyring on save)")
        self.token_edit.setAccessibleName("CDN API token")
        self.token_edit.hide()
        self._token_asked = False
        self.token_status = QLabel(NO_TOKEN)
        self.note = QLabel(VERCEL_PATHS_NOTE + ".")
        self.note.setWordWrap(True)
        self._layout()
        self.provider_combo.currentIndexChanged.connect(self._on_provider_combo_changed)
        self.token_button.clicked.connect(self._on_token_button_clicked)
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
        token.addWidget(self.token_edit, 1)
        token.addWidget(self.token_button)
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

    def token(self) -> str:
        return self.token_edit.text().strip()

    def token_saved(self) -> None:
        self.token_edit.clear()
        self.token_edit.hide()
        self._token_asked = False
        self.token_status.setText(TOKEN_STORED)

    def show_token_state(self, stored: bool) -> None:
        self.token_status.setText(TOKEN_STORED if stored else NO_TOKEN)

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
        self.token_edit.setVisible(enabled and self._token_asked)  # after "Set token…" only
        self.form.setRowVisible(self.default_box, enabled)
        self.form.setRowVisible(self.note, vercel)

    def _on_token_button_clicked(self) -> None:
        self._token_asked = True
        self.token_edit.show()
        self.token_edit.setFocus()
