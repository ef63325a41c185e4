"""The site dialog's first tab, "Site": what an editor fills in to add a site.

Name, address, revalidation route, list of pages, the secret and the request it will send
(secret shown as •••). The custom request fields show only for the "Custom request…" route.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import Endpoint, Preset, SecretPlacement, SiteProfile
from isr_desk.services.sites import preview_request, secret_in_query, supports_tags
from isr_desk.views.a11y import name_form_fields
from isr_desk.views.plain import plain

PRESETS = (
    (Preset.APP_ROUTER, "App Router route — POST, secret in ?secret="),
    (Preset.PAGES_ROUTER, "Pages Router API route — GET, paths only"),
    (Preset.BEARER, "Bearer token — POST, Authorization header"),
    (Preset.GET_QUERY, "GET ?secret=&path= or &tag= (Next.js docs)"),
    (Preset.CUSTOM, "Custom request…"),
)
PLACEMENTS = (
    (SecretPlacement.QUERY, "In the address (?name=secret)"),
    (SecretPlacement.HEADER, "In a header (name: secret)"),
    (SecretPlacement.TEMPLATE, "Where the templates say {secret}"),
)
EXAMPLE_URL = "https://www.example.com"
_QUERY = re.compile(r"\?[^\s'\"”]*")


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


class ScrollPage(QScrollArea):
    """A tab's page: as tall as its fields; it scrolls only when the screen is shorter."""

    def __init__(self, content: QWidget) -> None:
        super().__init__()
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def sizeHint(self) -> QSize:  # noqa: N802
        content = self.widget()
        hint = content.sizeHint() if content is not None else QSize()
        return hint + QSize(self.verticalScrollBar().sizeHint().width(), 0)


class SiteTab(QWidget):
    """The fields of the "Site" tab; the dialog reads and fills them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("For example: Company blog")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText(EXAMPLE_URL)
        self.preset_combo = QComboBox()
        for preset, label in PRESETS:
            self.preset_combo.addItem(label, preset)
        self.path_edit = QLineEdit()
        self.custom = self._build_custom()
        self.manifest_edit = QLineEdit()
        self.manifest_edit.setPlaceholderText(
            "/isr-manifest.json, a sitemap.xml URL or a .next folder"
        )
        self.browse_button = QPushButton("Browse…")
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setPlaceholderText("Paste it to store it (empty: keep the stored one)")
        self.secret_status = QLabel("")
        plain(self.secret_status)
        self.secret_status.setObjectName("secretStatus")
        self.secret_status.setWordWrap(True)
        self.forget_button = QPushButton("Remove stored secret")
        self.forget_button.setEnabled(False)
        self.split_note = QLabel("")
        self.split_note.setObjectName("manifestInfo")
        self.split_note.setWordWrap(True)
        self.split_note.hide()
        self.preview = QPlainTextEdit()
        self.preview.setAccessibleName("The request ISR Desk will send (secret hidden)")
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setMinimumHeight(72)  # and the tab's spare room below that
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
        for placement, label in PLACEMENTS:
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
        form.addRow("List of pages", manifest_row)
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
        layout.addWidget(self.preview, 1)

    def fill(self, profile: SiteProfile) -> None:
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
        self.manifest_edit.setText(profile.manifest_source or "")

    def endpoint(self, batch_size: int) -> Endpoint:
        return Endpoint(
            preset=Preset(self.preset_combo.currentData()),
            path=self.path_edit.text().strip() or "/api/revalidate",
            method=self.method_combo.currentText(),
            url_template=self.url_template_edit.text().strip(),
            tag_url_template=self.tag_url_template_edit.text().strip(),
            path_body_template=self.path_body_edit.text(),
            tag_body_template=self.tag_body_edit.text(),
            secret_placement=SecretPlacement(self.placement_combo.currentData()),
            secret_name=self.secret_name_edit.text().strip(),
            batch_size=batch_size,
        )

    def show_route_rows(self) -> None:
        custom = self.preset_combo.currentData() == Preset.CUSTOM
        # Rows, not widgets, are hidden: no hole where the custom fields were.
        self.form.setRowVisible(self.custom, custom)
        overridden = custom and bool(self.url_template_edit.text().strip())
        self.form.setRowVisible(self.path_edit, not overridden)

    def preview_edits(self) -> tuple[QLineEdit, ...]:
        """The fields the request preview follows."""
        return (self.url_edit, self.path_edit, self.url_template_edit,
                self.tag_url_template_edit, self.path_body_edit, self.tag_body_edit,
                self.secret_name_edit)  # fmt: skip
