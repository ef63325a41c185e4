"""The bulk confirmation: Cancel is the default above the threshold (Enter sends nothing),
it shows a sample of the pages, the requests and an estimate of the time, and what Verify
will and will not check; its Verify box says why it is off for a big run."""

from __future__ import annotations

import asyncio

import httpx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import LoopbackSite


def test_a_bulk_run_defaults_to_cancel_and_says_what_it_will_do(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    client: httpx.AsyncClient,
) -> None:
    window = make_window((SiteProfile("Blog", site.url, concurrency=4), site.secret), client=client)
    assert window.log.verify_box.isChecked()
    window.targets.type_box.setPlainText("\n".join(f"/p/{n}" for n in range(1, 31)))
    with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
        window.targets.refresh_button.click()
    box: QMessageBox = shown.args[0]
    details = box.informativeText()
    assert box.text() == "Refresh 30 pages on “Blog”?"
    assert "Pages: /p/1, /p/2, /p/3, /p/4, /p/5 and 25 more." in details
    assert "30 requests, 4 at a time: about 2 s" in details
    assert "two more requests per page" in details  # what Verify does
    assert "cannot see caches" in details  # and what it does not
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    verify = box.checkBox()
    assert verify is not None
    assert not verify.isChecked()
    assert "off for runs over 20" in verify.text()  # never silently off
    with qtbot.waitSignal(box.finished):
        qtbot.keyClick(box, Qt.Key.Key_Return)  # Enter: the default, Cancel
    assert site.requests == []
    assert window.banner.text.text() == "Nothing was sent"


def test_a_tag_refresh_says_verify_checks_only_some_of_its_pages(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    client: httpx.AsyncClient,
) -> None:
    window = make_window((SiteProfile("Blog", site.url), site.secret), client=client)
    window.targets.type_box.setPlainText("tag:posts")
    with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
        window.targets.refresh_button.click()
    box: QMessageBox = shown.args[0]
    assert box.text() == "Refresh 1 tag on “Blog”?"
    assert "up to 20 of its pages, not all" in box.informativeText()
    go = next(b for b in box.buttons() if b.text() == "Refresh 1 tag")
    assert box.defaultButton() is go  # a small run: Enter confirms
    box.reject()
