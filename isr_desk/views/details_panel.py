"""The details of one log row: the request as sent, the response, timing, hint and verdicts.

Everything shown comes from the redacted request the engine kept (the secret reads ``•••``).
"Copy as cURL" copies that redacted command; "Copy with secret…" first warns (a window-modal
box opened with ``open()``), then reads the secret from the keyring in a worker thread and
puts the full command on the clipboard — the secret is never shown in a widget.
"""

from __future__ import annotations

import asyncio
import json

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import Result, Timing
from isr_desk.services.errors import IsrError
from isr_desk.services.sites import SecretHeaders, SecretStore, to_curl
from isr_desk.views.log_model import LogRow, verdict_text
from isr_desk.views.messages import MessageBridge
from isr_desk.views.plain import plain
from isr_desk.views.tasks import TaskSet

EMPTY_TEXT = "Select a row in the log to see the request as sent, the response and its timing."
SECRET_WARNING = (
    "The command will contain the secret of “{site}”. Anyone who reads it can make the site "
    "rebuild pages.\n\nPaste it only into a private terminal, never into a chat, a ticket or "
    "a shared document."
)
# Phase name, colour: connect, TLS, waiting for the first byte, reading the response.
PHASES = (
    ("Connect", QColor("#f59e0b")),
    ("TLS", QColor("#8b5cf6")),
    ("Waiting", QColor("#3b82f6")),
    ("Download", QColor("#10b981")),
)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} ms"


def phases(timing: Timing) -> list[float]:
    """Durations of connect, TLS, waiting and download; they add up to the total."""
    connect = timing.connect_ms or 0.0
    tls = timing.tls_ms or 0.0
    first = timing.first_byte_ms if timing.first_byte_ms is not None else timing.total_ms
    waiting = max(0.0, first - connect - tls)
    download = max(0.0, timing.total_ms - connect - tls - waiting)
    return [connect, tls, waiting, download]


def timing_text(timing: Timing | None) -> str:
    if timing is None:
        return "No timing: nothing was sent."
    return (
        f"connect {_ms(timing.connect_ms)} · TLS {_ms(timing.tls_ms)} · "
        f"first byte {_ms(timing.first_byte_ms)} · total {_ms(timing.total_ms)}"
    )


def timing_html(timing: Timing | None) -> str:
    """The phases with their colour keys; a reused connection shows no connect or TLS."""
    if timing is None or timing.total_ms <= 0:
        return "No timing: nothing was sent."
    parts = []
    for (name, colour), ms in zip(PHASES, phases(timing), strict=True):
        if ms > 0 or name in ("Waiting", "Download"):
            parts.append(f"<span style='color:{colour.name()}'>■</span> {name} {ms:,.1f} ms")
    reused = "" if timing.connect_ms else " · connection reused"
    return f"{' &nbsp;'.join(parts)} · <b>total {timing.total_ms:,.1f} ms</b>{reused}"


def request_text(result: Result) -> str:
    request = result.request
    if request is None:
        return "No request was sent for this target."
    lines = [f"{request.method} {request.url}", *(f"{k}: {v}" for k, v in request.headers)]
    if request.body is not None:
        lines += ["", pretty(request.body.decode("utf-8", errors="replace"))]
    return "\n".join(lines)


def response_text(result: Result) -> str:
    if result.status is None:
        return f"No response: {result.error or 'nothing was received.'}"
    lines = [f"HTTP {result.status}", *(f"{k}: {v}" for k, v in result.response_headers)]
    if result.response is not None:
        lines += ["", pretty(result.response)]
    return "\n".join(lines)


def pretty(body: object) -> str:
    """JSON indented (a parsed value, or text that parses); anything else as it is."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return str(body)
    return json.dumps(body, indent=2, ensure_ascii=False)


class TimingBar(QWidget):
    """A small horizontal bar: connect, TLS, waiting, download, to scale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parts: list[float] = []
        self.setFixedHeight(14)
        self.setMinimumWidth(120)

    def set_timing(self, timing: Timing | None) -> None:
        self._parts = phases(timing) if timing is not None and timing.total_ms > 0 else []
        tip = timing_text(timing) if timing is not None else ""
        self.setToolTip(tip)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        box = QRectF(self.rect()).adjusted(0, 2, -1, -2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().mid())
        painter.drawRect(box)
        total = sum(self._parts)
        x = box.left()
        # No phases (a CDN row, a request never answered): the empty bar only.
        parts = self._parts if len(self._parts) == len(PHASES) else []
        for part, (_, colour) in zip(parts, PHASES[: len(parts)], strict=True):
            width = box.width() * part / total if total else 0
            painter.setBrush(colour)
            painter.drawRect(QRectF(x, box.top(), width, box.height()))
            x += width
        painter.end()


def _text_box(name: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(name)
    box.setReadOnly(True)
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    box.setMinimumHeight(90)  # never collapses to nothing in a small window
    return box


class DetailsPanel(QWidget):
    """Request, response, timing, hint and verdicts of the selected log row."""

    copied = Signal(bool)  # True: the command copied includes the secret
    secret_warning_shown = Signal(object)  # the QMessageBox (tests click it)

    def __init__(
        self, *, secrets: SecretStore, messages: MessageBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._secrets = secrets
        self._messages = messages
        self._tasks = TaskSet()
        self._row: LogRow | None = None
        self.verify_on = False  # "Verify pages after refresh" is ticked
        self.warning: QMessageBox | None = None
        self.title = QLabel("")
        plain(self.title)  # a target and an instance come from sites and manifests
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setObjectName("detailsTitle")
        self.title.setWordWrap(True)
        self.hint = QLabel("")
        plain(self.hint)  # quotes a server's Location, body or error
        self.hint.setObjectName("hintLine")
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = TimingBar()
        self.timing = QLabel("")
        self.timing.setObjectName("timingLine")
        self.timing.setWordWrap(True)  # never widen the window for a long line
        self.request = _text_box("Request as sent (secret hidden)")
        self.response = _text_box("Response of the site")
        self.verify = _text_box("Verification: did the page change")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.request, "Request")
        self.tabs.addTab(self.response, "Response")
        self.tabs.addTab(self.verify, "Verify")
        self.copy_button = QPushButton("Copy as cURL")
        self.copy_button.setToolTip("Copies the command with the secret shown as •••")
        self.copy_secret_button = QPushButton("Copy with secret…")
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self._layout()
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.copy_secret_button.clicked.connect(self._on_copy_secret_clicked)
        self.show_row(None)

    def _layout(self) -> None:
        content = QWidget()
        box = QVBoxLayout(content)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.hint)
        box.addWidget(self.bar)  # the bar above its words: neither is squeezed
        box.addWidget(self.timing)
        box.addWidget(self.tabs, 1)
        self.tabs.setMinimumHeight(150)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.copy_secret_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        # In a small window the details scroll instead of cutting lines or the request box.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(scroll)
        self.scroller = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Details")
        title.setObjectName("panelTitle")
        layout.addWidget(title)
        layout.addWidget(self.stack, 1)

    # --- showing a row --------------------------------------------------------------------
    @property
    def row(self) -> LogRow | None:
        return self._row

    def show_row(self, row: LogRow | None) -> None:
        self._row = row
        if row is None:
            self.stack.setCurrentWidget(self.empty)
            for box in (self.request, self.response, self.verify):
                box.clear()
            return
        result = row.result
        status = "no answer" if result.status is None else str(result.status)
        where = f" · {result.instance}" if result.instance else ""
        self.title.setText(
            f"{result.target} — {result.outcome.label} · {status} · "
            f"{result.duration_ms:,.0f} ms{' in all' if result.attempts > 1 else ''} · "
            f"{result.attempts} attempt{'s' if result.attempts != 1 else ''}{where}"
        )
        self.hint.setText("" if result.ok else (result.hint or result.error or ""))
        self.hint.setVisible(not result.ok)
        self.bar.set_timing(result.timing)
        last = f"Last of {result.attempts} attempts: " if result.attempts > 1 else ""
        timing = timing_html(result.timing)
        if result.timing is None and result.attempts:  # a CDN API call: sent, not in phases
            timing = f"{result.duration_ms:,.0f} ms in all (phases are measured for the site's "
            timing += "own requests only)"
            last = ""
        self.timing.setText(last + timing)
        self.timing.setToolTip(timing_text(result.timing))
        self.request.setPlainText(request_text(result))
        self.response.setPlainText(response_text(result))
        self.verify.setPlainText(verify_text(row, verify_on=self.verify_on))
        self.tabs.setTabText(2, "Verify" if not row.verifications else "Verify (checked)")
        self.tabs.setTabToolTip(
            2, "Whether visitors now see the new page" if row.verifications else ""
        )
        for button in (self.copy_button, self.copy_secret_button):
            button.setEnabled(result.request is not None)
        self.stack.setCurrentIndex(1)

    # --- copying --------------------------------------------------------------------------
    def _on_copy_clicked(self) -> None:
        if self._row is None or self._row.result.request is None:
            return
        QGuiApplication.clipboard().setText(to_curl(self._row.result.request))
        self._messages.info("Copied as cURL (the secret shows as •••)")
        self.copied.emit(False)

    def _on_copy_secret_clicked(self) -> None:
        row = self._row
        if row is None or row.result.request is None:
            return
        box = QMessageBox(self.window())
        plain(box)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Copy with the secret")
        box.setText("Copy the command with the real secret?")
        box.setInformativeText(SECRET_WARNING.format(site=row.site))
        go = box.addButton("Copy with secret", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def on_finished(_: int) -> None:
            self.warning = None
            box.deleteLater()
            if box.clickedButton() is go:
                self._tasks.spawn(self._copy_with_secret(row))

        box.finished.connect(on_finished)
        self.warning = box
        box.open()
        self.secret_warning_shown.emit(box)

    async def _copy_with_secret(self, row: LogRow) -> None:
        request = row.result.request
        if request is None:
            return
        self.copy_secret_button.setEnabled(False)
        try:
            secret = await asyncio.to_thread(self._secrets.get, row.site)
            # Its secret headers stay ••• (their values are not the site's secret).
            others = await asyncio.to_thread(_secret_header_names, self._secrets, row.site)
        except IsrError as exc:
            self._messages.error(exc)
            return
        finally:
            self.copy_secret_button.setEnabled(True)
        if not secret:
            self._messages.warning(f"No secret is stored for “{row.site}”: nothing was copied")
            return
        QGuiApplication.clipboard().setText(to_curl(request, secret=secret, others=others))
        self._messages.info("Copied with the secret: clear the clipboard once you are done")
        self.copied.emit(True)

    def shutdown(self) -> None:
        self._tasks.cancel_all()


def verify_text(row: LogRow, *, verify_on: bool = False) -> str:
    """The verdicts of a row with their evidence (headers before and after)."""
    if not row.verifications and verify_on:
        return (
            "Not verified. Verification is on, but this row was not checked: a failed "
            "refresh is not checked, a bulk run is checked only when its confirmation says "
            "so, and a tag's pages only when the site's list of pages is loaded."
        )
    if not row.verifications:
        return (
            "Not verified. Tick “Verify pages after refresh” to fetch the page before and "
            "after a refresh and see whether it really changed."
        )
    lines = [verdict_text(row.verifications), ""]
    for v in row.verifications:
        where = f" on {v.instance}" if v.instance else ""
        lines += [f"{v.path or v.target}{where}: {v.label}", f"  {v.detail}"]
        evidence = v.evidence()
        if evidence:
            width = max(len(what) for what, _, _ in evidence)
            lines.append(f"  {'':{width}}  before → after")
            lines += [f"  {what:{width}}  {old} → {new}" for what, old, new in evidence]
        lines.append("")
    return "\n".join(lines).rstrip()


def _secret_header_names(secrets: SecretStore, site: str) -> list[str]:
    return SecretHeaders(secrets.header_entries()).names(site)
