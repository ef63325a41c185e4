"""The window at 1024x640 and 1600x1000: it fits, the page list and the log get the room,
Details is a side panel that opens and closes, a sitemap's empty columns are hidden, and
the Details request box, hint and timing lines are never cut."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from isr_desk.views.main_window import MainWindow
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Recorded, Reply

SITEMAP = (
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    + "".join(f"<url><loc>{{url}}/p/{n}</loc></url>" for n in (10, 2, 1, 30, 3, 20, 100, 4))
    + "</urlset>"
)
RICH = {
    "version": 1,
    "paths": [{"path": f"/blog/{n}", "tags": ["posts"]} for n in range(40)],
    "tags": [{"tag": "posts"}],
}


def _window(make_window: WindowFactory, site: LoopbackSite, manifest: str) -> MainWindow:
    return make_window(
        (SiteProfile("Blog", site.url, manifest_source=f"{site.url}{manifest}", retries=0),
         site.secret),
        practice_site="Blog",
    )  # fmt: skip


def _fully_shown(label: QLabel) -> bool:
    return label.isHidden() or label.height() >= label.heightForWidth(label.width())


@pytest.mark.parametrize("size", [(1024, 640), (1600, 1000)])
def test_the_window_fits_and_gives_the_lists_the_room(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    size: tuple[int, int],
) -> None:
    site.on("/m.json", Reply(200, RICH), repeat=True)
    window = _window(make_window, site, "/m.json")
    tab = window.targets.paths_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 40, timeout=4000)
    window.messages.warning("Something to read " * 30, site="Blog")  # a long banner message
    window.log.details_button.setChecked(True)
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=2000)
    assert window.minimumSizeHint().width() <= size[0]
    assert window.minimumSizeHint().height() <= size[1]
    row = tab.table.rowHeight(0)
    rows_seen = tab.table.viewport().height() // row
    assert rows_seen >= (4 if size[0] == 1024 else 12)
    assert window.log.stack.height() >= (3 if size[0] == 1024 else 12) * row
    assert window.practice.isVisible()
    assert _fully_shown(window.banner.text)


def test_details_is_a_side_panel_that_opens_and_closes_and_is_never_cut(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Blog", site.url, retries=1), site.secret))
    window.resize(1024, 640)
    assert not window.details.isVisible()  # closed at first: the log gets the width
    site.on(REVALIDATE_PATH, Reply(500, {"message": "boom"}), Reply(500, {"message": "boom"}))
    window.targets.type_box.setPlainText("/a")
    with qtbot.waitSignal(window.controller.run_finished, timeout=4000):
        window.targets.refresh_button.click()
    window.log.model.flush()
    window.log.details_button.click()
    assert window.details.isVisible()
    assert window.settings.value("details_shown") in (True, "true")
    window.log.table.selectionModel().select(
        window.log.model.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    qtbot.waitUntil(lambda: window.details.row is not None)
    details = window.details
    assert "in all · 2 attempts" in details.title.text()
    assert details.timing.text().startswith("Last of 2 attempts: ")
    content = details.scroller.widget()
    assert content is not None
    assert details.request.height() >= 90 or content.height() > details.scroller.height()
    for label in (details.title, details.hint, details.timing):
        assert _fully_shown(label), label.objectName()
    window.log.details_button.click()
    assert not window.details.isVisible()


def test_a_sitemap_site_hides_the_empty_columns_and_sorts_pages_naturally(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    def sitemap(_: Recorded) -> Reply:
        xml = SITEMAP.replace("{url}", site.url)
        return Reply(200, xml, headers={"Content-Type": "application/xml"})

    site.on("/sitemap.xml", sitemap, repeat=True)
    window = _window(make_window, site, "/sitemap.xml")
    tab = window.targets.paths_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 8, timeout=4000)
    assert [tab.table.isColumnHidden(c) for c in range(4)] == [False, True, True, True]
    shown = [tab.model.index(r, 0).data() for r in range(8)]
    assert shown == ["/p/1", "/p/2", "/p/3", "/p/4", "/p/10", "/p/20", "/p/30", "/p/100"]
