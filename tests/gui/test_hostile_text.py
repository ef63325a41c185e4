"""Issue 15, item 1: text from a site, a manifest, a profile or history is never rich text.

A real loopback site serves a manifest whose paths and tags are HTML, and answers the
revalidation route with a redirect whose ``Location`` is HTML (``<img src=file:///dev/zero>``
made Qt read /dev/zero as an image and abort). The run goes through the log, the details,
the tooltips and a reopened history run; then every label, message box and tooltip of the
window is walked: any that shows such text must show it as plain text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from isr_desk.domain import Preset, SiteProfile
from isr_desk.services.history import HistoryStore
from isr_desk.services.sites import SERVICE, ProfileStore, SecretStore
from isr_desk.views.main_window import MainWindow
from isr_desk.views.profile_dialog import ProfileDialog
from tests.gui.conftest import WindowFactory
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Reply

IMG = '<img src="file:///dev/zero">'
H1 = "<h1>SITE HACKED - enter secret at evil.example</h1>"
MARKERS = ("<img", "<h1>")
HOSTILE_PATH = "/x<h1>hacked</h1><img/src=file:///dev/zero>"
HOSTILE_TAG = "<h1>tag</h1>"
_TOOLTIP = Qt.ItemDataRole.ToolTipRole


def _hostile(text: str) -> bool:
    return any(marker in text for marker in MARKERS)


def _labels(roots: Iterable[QWidget]) -> list[QLabel]:
    found: list[QLabel] = []
    for root in roots:
        if isinstance(root, QLabel):
            found.append(root)
        found += root.findChildren(QLabel)
    return found


def _rich_labels(roots: list[QWidget]) -> list[str]:
    """Labels and message boxes that show hostile text without being plain text."""
    bad = [
        f"{type(w).__name__} {w.objectName()!r}: {w.text()[:80]!r}"
        for w in _labels(roots)
        if _hostile(w.text()) and w.textFormat() != Qt.TextFormat.PlainText
    ]
    boxes = [
        w for r in roots for w in [r, *r.findChildren(QMessageBox)] if isinstance(w, QMessageBox)
    ]
    bad += [
        f"QMessageBox: {b.text()[:80]!r}"
        for b in boxes
        if _hostile(b.text() + b.informativeText()) and b.textFormat() != Qt.TextFormat.PlainText
    ]
    return bad


def _raw_tooltips(roots: list[QWidget], models: list[QAbstractItemModel]) -> list[str]:
    """Tooltips that hold hostile text unescaped (Qt guesses rich text for every tooltip)."""
    bad = [
        f"{type(w).__name__}: {w.toolTip()[:80]!r}"
        for root in roots
        for w in [root, *root.findChildren(QWidget)]
        if _hostile(w.toolTip())
    ]
    for model in models:
        for row in range(model.rowCount()):
            for column in range(model.columnCount()):
                tip = model.index(row, column).data(_TOOLTIP)
                if isinstance(tip, str) and _hostile(tip):
                    bad.append(f"{type(model).__name__}[{row}, {column}]: {tip[:80]!r}")
    return bad


def _serve(site: LoopbackSite) -> None:
    manifest = {
        "version": 1,
        "paths": [{"path": HOSTILE_PATH, "tags": [HOSTILE_TAG]}, {"path": "/ok"}],
        "tags": [{"tag": HOSTILE_TAG}],
    }
    site.on("/m.json", Reply(200, manifest), repeat=True)
    site.on(
        REVALIDATE_PATH,
        Reply(302, "", headers={"Location": "/x" + IMG}),
        Reply(500, H1 + IMG),
    )


def _check(window: MainWindow) -> None:
    roots = [window, *QApplication.topLevelWidgets()]
    models: list[QAbstractItemModel] = [
        window.log.shown_model,
        window.targets.paths_tab.model,
        window.history.model,
    ]
    tags_tab = getattr(window.targets, "tags_tab", None)
    if tags_tab is not None:
        models.append(tags_tab.model)
    problems = _rich_labels(roots) + _raw_tooltips(roots, models)
    assert problems == []


def test_hostile_text_is_plain_everywhere(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
) -> None:
    _serve(site)
    history = HistoryStore()
    profile = SiteProfile("<h1>Blog</h1>", site.url, retries=0, manifest_source="/m.json")
    window = make_window((profile, site.secret), history=history)
    qtbot.waitUntil(lambda: window.targets.paths_tab.model.rowCount() == 2, timeout=3000)
    window.targets.type_box.setPlainText("/a\n/b")
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        window.targets.refresh_button.click()
    window.log.model.flush()
    assert any(_hostile(label.text()) for label in _labels([window])), "the hint shows the Location"
    for row in range(window.log.shown_model.rowCount()):
        window.log.table.selectRow(row)
        _check(window)

    qtbot.waitUntil(lambda: history.runs()[0].status == "finished", timeout=3000)
    with qtbot.waitSignal(window.history.runs_loaded, timeout=3000):
        window.history.refresh()
    window.history.table.selectRow(0)
    with qtbot.waitSignal(window.history.run_opened, timeout=3000):
        window.history.open_button.click()
    for row in range(window.log.shown_model.rowCount()):
        window.log.table.selectRow(row)
        _check(window)
    history.close()


def test_the_site_dialog_refuses_a_secret_its_header_cannot_carry(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = ProfileDialog(
        profiles=ProfileStore(tmp_path / "p.json"), secrets=SecretStore(memory_keyring)
    )
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Blog")
    dialog.url_edit.setText("https://blog.example.com")
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(Preset.BEARER))
    dialog.secret_edit.setText("sécret-ünï")
    with qtbot.waitSignal(dialog.profile_saved, timeout=4000):
        dialog.save()
    assert "secret was not stored" in dialog.error_label.text()
    assert "ASCII" in dialog.secret_status.text()
    assert memory_keyring.get_password(SERVICE, "Blog") is None
