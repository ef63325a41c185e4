"""The site dialog in tabs: it fits a 1024x640 screen with Save in view, no label is cut in
either theme, and a refused field on another tab comes to the front with the cursor in it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from isr_desk.domain import CdnProvider, CdnSettings, SiteProfile
from isr_desk.services.sites import ProfileStore, SecretStore
from isr_desk.views.preferences import Theme
from isr_desk.views.profile_dialog import CDN_TAB as CDN
from isr_desk.views.profile_dialog import SENDING_TAB as SENDING
from isr_desk.views.profile_dialog import SITE_TAB as SITE
from isr_desk.views.profile_dialog import ProfileDialog
from tests.helpers.keyrings import MemoryKeyring


@pytest.fixture(params=["light", "dark"])
def theme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    style = (resources.files("isr_desk") / "resources" / "style.qss").read_text("utf-8")
    applied = Theme(qapp, base_style=style)
    applied.apply(request.param)
    yield request.param
    applied.apply("light")
    qapp.setStyleSheet("")


def _dialog(
    qtbot: QtBot, keyring: MemoryKeyring, tmp_path: Path, **kwargs: object
) -> ProfileDialog:
    store = ProfileStore(tmp_path / "p.json")
    dialog = ProfileDialog(profiles=store, secrets=SecretStore(keyring), **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _cut_labels(root: QWidget) -> list[str]:
    return [
        label.text()
        for label in root.findChildren(QLabel)
        if label.isVisibleTo(root) and label.text() and not label.wordWrap()
        and label.width() < label.minimumSizeHint().width()
    ]  # fmt: skip


@pytest.mark.parametrize("cdn", [CdnSettings(), CdnSettings(CdnProvider.CLOUDFLARE, zone="z1")])
def test_every_tab_fits_a_1024x640_screen_with_save_in_view_and_no_label_cut(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    theme: str,
    cdn: CdnSettings,
) -> None:
    site = SiteProfile("Blog", "https://blog.example.com", cdn=cdn)
    dialog = _dialog(qtbot, memory_keyring, tmp_path, profile=site)
    dialog.resize(dialog.sizeHint())
    assert dialog.width() <= 1024
    assert dialog.height() <= 640 - 40  # a title bar and a panel still fit
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    for tab in (SITE, SENDING, CDN):
        dialog.tabs.setCurrentIndex(tab)
        qtbot.wait(1)  # one pass of the event loop: the layouts settle
        page = dialog.tabs.currentWidget()
        assert save.isVisible()
        assert not page.verticalScrollBar().isVisible(), f"tab {tab} scrolls in {theme}"
        assert not _cut_labels(dialog), (theme, _cut_labels(dialog))


def test_a_refused_field_on_another_tab_comes_to_the_front_with_the_cursor_in_it(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, memory_keyring, tmp_path)
    dialog.name_edit.setText("Intranet")
    dialog.url_edit.setText("https://wiki.corp.example")
    dialog.proxy_edit.setText("http://user:pw@proxy.corp:3128")
    assert dialog.tabs.currentIndex() == SITE
    dialog.save()
    qtbot.waitUntil(lambda: "password" in dialog.error_label.text(), timeout=3000)
    assert dialog.tabs.currentIndex() == SENDING
    assert dialog.focusWidget() is dialog.proxy_edit
    dialog.proxy_edit.setText("direct")
    dialog.cdn.provider_combo.setCurrentIndex(
        dialog.cdn.provider_combo.findData(CdnProvider.CLOUDFLARE)
    )
    dialog.save()
    qtbot.waitUntil(lambda: "zone" in dialog.error_label.text(), timeout=3000)
    assert dialog.tabs.currentIndex() == CDN
    assert dialog.focusWidget() is dialog.cdn.zone_edit
    dialog.cdn.zone_edit.setText("z1")
    dialog.name_edit.setText("")
    dialog.save()
    qtbot.waitUntil(lambda: "needs a name" in dialog.error_label.text(), timeout=3000)
    assert dialog.tabs.currentIndex() == SITE
    assert dialog.focusWidget() is dialog.name_edit
    assert ProfileStore(tmp_path / "p.json").list() == []


def test_a_credential_in_extra_headers_points_at_the_headers(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, memory_keyring, tmp_path)
    dialog.name_edit.setText("Blog")
    dialog.url_edit.setText("https://blog.example.com")
    dialog.headers_edit.setPlainText("X-Team: web\nAuthorization: Bearer abc")
    dialog.save()
    qtbot.waitUntil(lambda: bool(dialog.error_label.text()), timeout=3000)
    assert dialog.tabs.currentIndex() == SENDING
    assert dialog.focusWidget() is dialog.headers_edit
    assert "abc" not in dialog.error_label.text()
