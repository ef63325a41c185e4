"""The details pane: the request as sent (secret as •••), the response, timing, the hint,
and "Copy as cURL" — the secret never reaches a widget or the clipboard unless the user
explicitly asks for it (and is warned first)."""

from __future__ import annotations

import asyncio

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from isr_desk.domain import REDACTED, Endpoint, Preset, SiteProfile
from isr_desk.views.details_panel import phases
from isr_desk.views.main_window import MainWindow
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import LoopbackSite, Recorded, Reply

SECRET = "s3cret-token"


def all_texts(root: QWidget) -> list[str]:
    """Every text a user can see or copy from ``root`` and its children (and tooltips)."""
    texts = [root.windowTitle(), root.toolTip()]
    for widget in root.findChildren(QWidget):
        texts += [widget.toolTip(), widget.windowTitle()]
        if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
            texts.append(widget.text())
        if isinstance(widget, QPlainTextEdit | QTextEdit):
            texts.append(widget.toPlainText())
        if isinstance(widget, QMessageBox):
            texts += [widget.text(), widget.informativeText(), widget.detailedText()]
    return texts


def _log_texts(window: MainWindow) -> list[str]:
    model = window.log.shown_model
    return [
        str(model.index(r, c).data(role))
        for r in range(model.rowCount())
        for c in range(model.columnCount())
        for role in (0, 3)  # display, tooltip
    ]


def _run_two(qtbot: QtBot, window: MainWindow, site: LoopbackSite) -> None:
    # The failing reply echoes the secret, as careless routes do: it must be redacted too.
    # By path, not by arrival order: the two requests are sent concurrently.
    def reply(rec: Recorded) -> Reply:
        if rec.json().get("path") == "/blog/b":
            return Reply(500, {"error": f"bad {SECRET}"})
        return Reply(200, {"revalidated": True})

    site.on("/api/revalidate", reply, repeat=True)
    window.targets.type_box.setPlainText("/blog/a\n/blog/b")
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        window.targets.refresh_button.click()
    window.log.model.flush()


def _select(qtbot: QtBot, window: MainWindow, target: str) -> None:
    model = window.log.shown_model
    row = next(r for r in range(model.rowCount()) if model.row(r).cells[2] == target)
    with qtbot.waitSignal(window.log.row_selected):
        window.log.table.selectRow(row)


def test_details_show_the_request_response_timing_and_hint_without_the_secret(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Blog", site.url, retries=0), SECRET))
    assert window.details.stack.currentWidget() is window.details.empty
    _run_two(qtbot, window, site)

    _select(qtbot, window, "/blog/a")
    details = window.details
    request = details.request.toPlainText()
    assert request.startswith(f"POST {site.url}/api/revalidate?secret={REDACTED}")
    assert "Content-Type: application/json" in request
    assert '{\n  "path": "/blog/a"\n}' in request  # the body, pretty-printed
    response = details.response.toPlainText()
    assert response.startswith("HTTP 200")
    assert '"revalidated": true' in response
    assert "total" in details.timing.text()
    assert details.hint.isHidden()
    assert "Not verified" in details.verify.toPlainText()

    _select(qtbot, window, "/blog/b")
    assert details.response.toPlainText().startswith("HTTP 500")
    assert f'"error": "bad {REDACTED}"' in details.response.toPlainText()
    assert "threw" in details.hint.text() or "server" in details.hint.text().lower()
    assert not details.hint.isHidden()

    texts = all_texts(window) + _log_texts(window)
    assert not [t for t in texts if SECRET in t]
    assert any(REDACTED in t for t in texts)


def test_copy_as_curl_is_redacted_and_the_secret_needs_an_explicit_warned_choice(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    bearer = SiteProfile("Blog", site.url, endpoint=Endpoint(preset=Preset.BEARER))
    window = make_window((bearer, SECRET))
    window.targets.type_box.setPlainText("/blog/a")
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        window.targets.refresh_button.click()
    window.log.model.flush()
    _select(qtbot, window, "/blog/a")
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()

    with qtbot.waitSignal(window.details.copied) as copied:
        window.details.copy_button.click()
    assert copied.args == [False]
    command = clipboard.text()
    assert command.startswith("curl -X POST")
    assert f"'Authorization: Bearer {REDACTED}'" in command
    assert SECRET not in command

    # "Copy with secret…" warns first; Cancel copies nothing.
    with qtbot.waitSignal(window.details.secret_warning_shown) as shown:
        window.details.copy_secret_button.click()
    box: QMessageBox = shown.args[0]
    assert box.isVisible()
    assert "secret" in box.informativeText()
    assert not [t for t in all_texts(window) if SECRET in t]
    box.reject()
    qtbot.waitUntil(lambda: window.details.warning is None)
    assert clipboard.text() == command

    # Opting in: the secret comes from the keyring and goes to the clipboard only.
    with qtbot.waitSignal(window.details.secret_warning_shown) as shown:
        window.details.copy_secret_button.click()
    box = shown.args[0]
    go = next(b for b in box.buttons() if b.text() == "Copy with secret")
    with qtbot.waitSignal(window.details.copied, timeout=3000) as copied:
        go.click()
    assert copied.args == [True]
    assert f"'Authorization: Bearer {SECRET}'" in clipboard.text()
    assert not [t for t in all_texts(window) if SECRET in t]
    clipboard.clear()


def test_timing_phases_add_up_to_the_total() -> None:
    from isr_desk.domain import Timing

    parts = phases(Timing(total_ms=100, connect_ms=10, tls_ms=20, first_byte_ms=80))
    assert parts == [10, 20, 50, 20]
    assert sum(phases(Timing(total_ms=7))) == 7  # a reused connection: all waiting
