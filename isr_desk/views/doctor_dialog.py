"""The endpoint doctor's window ("Check endpoint"): findings in plain words, each with its fix.

A non-modal dialog: the check runs as a task on the app's shared client; the stored secret is
read from the keyring in a worker thread, and only used when the user names a page to
revalidate with it (:func:`isr_desk.services.doctor.check_endpoint`).
"""

from __future__ import annotations

import asyncio
import html

import httpx
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import SiteProfile
from isr_desk.services.doctor import Finding, Level, check_endpoint
from isr_desk.services.errors import IsrError
from isr_desk.services.sites import SecretHeaders, SecretStore, with_secret_headers
from isr_desk.views.plain import plain
from isr_desk.views.tasks import TaskSet

_MARKS = {
    Level.OK: ("✓", "#15803d"),
    Level.INFO: ("i", "#2563eb"),
    Level.WARNING: ("!", "#b45309"),
    Level.PROBLEM: ("✗", "#b91c1c"),
}


# The doctor's service speaks CLI; in this window the fix is the page box below.
_GUI_HINTS = {
    "The stored secret was not tried": "Type a page below and press “Check again”: that "
    "page is revalidated with the stored secret.",
}


def findings_html(findings: list[Finding]) -> str:
    rows = []
    for f in sorted(findings, key=lambda f: -list(Level).index(f.level)):
        mark, colour = _MARKS[f.level]
        hint = _GUI_HINTS.get(f.title, f.hint)
        where = f" <i>({html.escape(f.instance)})</i>" if f.instance else ""
        parts = [f"<b style='color:{colour}'>{mark}</b>&nbsp; <b>{html.escape(f.title)}</b>{where}"]
        if f.detail:
            parts.append(html.escape(f.detail))
        if hint:
            parts.append(f"<span style='color:{colour}'>Fix: {html.escape(hint)}</span>")
        rows.append("<p>" + "<br/>".join(parts) + "</p>")
    return "".join(rows)


def verdict_line(findings: list[Finding]) -> str:
    problems = sum(1 for f in findings if f.level is Level.PROBLEM)
    warnings = sum(1 for f in findings if f.level is Level.WARNING)
    if problems:
        return f"{problems} problem{'s' if problems > 1 else ''} to fix" + (
            f", {warnings} warning{'s' if warnings > 1 else ''}" if warnings else ""
        )
    if warnings:
        return f"Works, with {warnings} warning{'s' if warnings > 1 else ''}"
    return "The endpoint looks right"


class DoctorDialog(QDialog):
    """Checks one site's revalidation endpoint and lists what it found."""

    checked = Signal(list)  # [Finding]

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        secrets: SecretStore,
        profile: SiteProfile,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._secrets = secrets
        self._profile = profile
        self._tasks = TaskSet()
        self.findings: list[Finding] = []
        self.setWindowTitle(f"Check endpoint — {profile.name}")
        self.resize(640, 520)
        self.status = QLabel("")
        plain(self.status)  # an error may quote the site
        self.status.setObjectName("summaryLine")
        self.report = QTextBrowser()
        self.report.setOpenLinks(False)
        self.report.setAccessibleName("Findings of the check")
        self.page_edit = QLineEdit()
        self.page_edit.setAccessibleName("Also try the stored secret on this page")
        self.page_edit.setPlaceholderText("optional: a page, e.g. /  (it is revalidated)")
        self.page_edit.setToolTip(
            "Name a page to test the stored secret too: that page is revalidated once. "
            "Without a page, no request carries the real secret."
        )
        self.check_button = QPushButton("Check again")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        page = QHBoxLayout()
        page.addWidget(QLabel("Also try the stored secret on"))
        page.addWidget(self.page_edit, 1)
        page.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Checks {profile.base_url}: is it reachable, does its revalidation "
            "route refuse a wrong or missing secret, is the secret sent safely."
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(intro)
        layout.addWidget(self.status)
        layout.addWidget(self.report, 1)
        layout.addLayout(page)
        layout.addWidget(buttons)
        self.check_button.clicked.connect(self.start)
        self.finished.connect(self._tasks.cancel_all)

    def start(self) -> None:
        if not self.check_button.isEnabled():
            return
        self._tasks.spawn(self._check(self.page_edit.text().strip() or None))

    async def _check(self, path: str | None) -> None:
        self.check_button.setEnabled(False)
        self.status.setText("Checking…")
        self.report.clear()
        try:
            secret = None
            if path:  # the stored secret is only sent to revalidate the page named
                secret = await asyncio.to_thread(self._secrets.get, self._profile.name)
            store = SecretHeaders(self._secrets.header_entries())  # a protected site's bypass
            profile = await asyncio.to_thread(with_secret_headers, self._profile, store)
            self.findings = await check_endpoint(self._client, profile, secret, path=path)
        except IsrError as exc:
            self.status.setText(exc.describe())
            return
        finally:
            self.check_button.setEnabled(True)
        self.status.setText(verdict_line(self.findings))
        self.report.setHtml(findings_html(self.findings))
        self.checked.emit(self.findings)
