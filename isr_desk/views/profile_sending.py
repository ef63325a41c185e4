"""The site dialog's "Sending & network" tab: how requests go out (docs/networks.md).

Requests at once, timeout, retries, pages per request, rate; proxy and private CA; extra
headers (plain settings) and secret headers (values in the keyring). Each number is a form
row of its own: its label is never cut, whatever the theme's font.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import SiteProfile
from isr_desk.services.errors import InvalidProfileError
from isr_desk.services.sites import check_headers, shown_headers
from isr_desk.views.a11y import name_form_fields
from isr_desk.views.secret_headers_box import SecretHeadersGroup


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


class SendingTab(QWidget):
    """The fields of the "Sending & network" tab; the dialog reads and fills them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.concurrency_spin = QSpinBox(minimum=1, maximum=1024)
        self.concurrency_spin.setToolTip("How many requests go to the site at the same time")
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
        self.headers_edit = QPlainTextEdit()
        self.headers_edit.setTabChangesFocus(True)
        self.headers_edit.setPlaceholderText("Name: value — one per line (optional)")
        self.headers_edit.setMinimumHeight(48)
        self.headers_edit.setMaximumHeight(72)
        self.secret_headers = SecretHeadersGroup()
        for spin in self._spins():  # a number needs no full-width box
            spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        form = QFormLayout()
        form.addRow("Requests at once", self.concurrency_spin)
        form.addRow("Timeout", self.timeout_spin)
        form.addRow("Retries", self.retries_spin)
        form.addRow("Pages per request", self.batch_spin)
        form.addRow("Rate", self.rate_spin)
        form.addRow("Proxy", self.proxy_edit)
        form.addRow("Private CA", self.ca_edit)
        form.addRow("Extra headers", self.headers_edit)
        name_form_fields(form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.secret_headers)
        layout.addStretch(1)

    def _spins(self) -> tuple[QAbstractSpinBox, ...]:
        return (self.concurrency_spin, self.timeout_spin, self.retries_spin, self.batch_spin,
                self.rate_spin)  # fmt: skip

    def fill(self, profile: SiteProfile) -> None:
        self.batch_spin.setValue(profile.endpoint.batch_size)
        self.concurrency_spin.setValue(profile.concurrency)
        self.timeout_spin.setValue(profile.timeout)
        self.retries_spin.setValue(profile.retries)
        self.rate_spin.setValue(profile.rate_limit)
        self.proxy_edit.setText(profile.proxy or "")
        self.ca_edit.setText(profile.ca_bundle or "")
        # A credential stored before they were refused shows as •••: delete its line to save.
        shown = shown_headers(profile)
        self.headers_edit.setPlainText("\n".join(f"{k}: {v}" for k, v in shown))
        self.secret_headers.set_names(profile.secret_headers)
