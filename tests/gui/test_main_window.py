"""The main window against a real loopback revalidation endpoint: pick, revalidate, read
the log, cancel, confirm bulk runs, retry failures, remember the last site."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from isr_desk.domain import RunSummary, SiteProfile
from isr_desk.views.main_window import MainWindow
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Recorded, Reply

MANIFEST = {
    "version": 1,
    "paths": [
        {"path": "/", "tags": ["home"]},
        {"path": "/blog/a", "tags": ["posts"]},
        {"path": "/blog/b", "tags": ["posts"]},
        {"path": "/blog/c", "tags": ["posts"]},
    ],
    "tags": [{"tag": "posts"}, {"tag": "home"}],
}


def _serve_manifest(site: LoopbackSite) -> None:
    def manifest(_: Recorded) -> Reply:
        return Reply(200, MANIFEST)

    site.on("/isr-manifest.json", manifest, repeat=True)


def _profile(site: LoopbackSite, **kwargs: Any) -> SiteProfile:
    return SiteProfile(name="Blog", base_url=site.url, **kwargs)


def _statuses(window: MainWindow) -> dict[str, tuple[str, str]]:
    model = window.log.model
    return {
        model.index(r, 2).data(): (model.index(r, 4).data(), model.index(r, 5).data())
        for r in range(model.rowCount())
    }


def _run(qtbot: QtBot, window: MainWindow, trigger: Any, timeout: int = 4000) -> RunSummary:
    with qtbot.waitSignal(window.controller.run_finished, timeout=timeout) as finished:
        trigger()
    window.log.model.flush()
    summary: RunSummary = finished.args[0]
    return summary


def test_picked_targets_are_revalidated_and_logged(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    _serve_manifest(site)
    profile = _profile(site, manifest_source="/isr-manifest.json")
    window = make_window((profile, site.secret))
    tab = window.targets.paths_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 4, timeout=3000)
    assert "4 pages · 2 tags" in window.targets.info.text()
    selection = tab.table.selectionModel()
    for row in (1, 3):
        selection.select(
            tab.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert window.targets.revalidate_button.text() == "Revalidate 2 selected pages"
    summary = _run(qtbot, window, window.targets.revalidate_button.click)
    assert (summary.ok, summary.failed) == (2, 0)
    assert sorted(site.revalidated) == ["path:/blog/a", "path:/blog/c"]
    assert _statuses(window) == {"/blog/a": ("200", "Refreshed"), "/blog/c": ("200", "Refreshed")}
    assert window.log.summary.text().startswith("Done: 2 refreshed, 0 failed")
    assert window.statusBar().currentMessage() == "All 2 refreshed"


def test_typed_page_and_a_server_error_show_in_the_log(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((_profile(site, retries=0), site.secret))
    assert "no list of pages" in window.targets.paths_tab.message.text()
    site.on(REVALIDATE_PATH, Reply(500, {"message": "Error revalidating"}))
    window.targets.type_box.setPlainText("/pricing")
    assert window.targets.refresh_button.text() == "Refresh this page"
    summary = _run(qtbot, window, window.targets.refresh_button.click)
    assert summary.failed == 1
    assert _statuses(window) == {"/pricing": ("500", "Server error")}
    assert window.log.retry_button.isEnabled()
    summary = _run(qtbot, window, window.log.retry_button.click)
    assert summary.ok == 1
    assert window.statusBar().currentMessage() == "Page refreshed"


def test_a_wrong_secret_shows_the_secret_hint(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((_profile(site), "not-the-secret"))
    window.targets.type_box.setPlainText("/blog/a")
    _run(qtbot, window, window.targets.revalidate_current)
    assert _statuses(window) == {"/blog/a": ("401", "Wrong secret")}
    assert "Wrong secret" in window.log.hint.text()
    assert "ask your developer" in window.log.hint.text()
    assert "ask your developer" in window.statusBar().currentMessage()
    assert "not-the-secret" not in window.log.hint.text()


def test_no_secret_is_explained_and_nothing_is_sent(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((_profile(site), None))
    window.targets.type_box.setPlainText("/blog/a")
    with qtbot.waitSignal(window.controller.busy_changed, check_params_cb=lambda b: not b):
        window.targets.refresh_button.click()
    assert "No secret is stored" in window.statusBar().currentMessage()
    assert site.requests == []


def test_escape_cancels_a_run_mid_way(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory
) -> None:
    with LoopbackSite(latency=0.3) as slow:
        window = make_window((_profile(slow, concurrency=2), slow.secret))
        window.targets.type_box.setPlainText("\n".join(f"/p/{i}" for i in range(12)))
        with qtbot.waitSignal(window.controller.run_finished, timeout=4000) as finished:
            window.targets.refresh_button.click()
            qtbot.waitUntil(lambda: slow.count() >= 2, timeout=3000)
            qtbot.keyClick(window, Qt.Key.Key_Escape)
        summary: RunSummary = finished.args[0]
    assert summary.cancelled
    assert summary.not_sent >= 8
    assert slow.count() < 12
    assert window.log.summary.text().startswith("Cancelled")
    assert not window.log.cancel_button.isEnabled()


def test_bulk_runs_and_tag_purges_ask_first(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    _serve_manifest(site)
    window = make_window((_profile(site, manifest_source="/isr-manifest.json"), site.secret))
    qtbot.waitUntil(lambda: window.targets.manifest is not None, timeout=3000)
    window.targets.type_box.setPlainText("\n".join(f"/p/{i}" for i in range(25)))
    with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
        window.targets.refresh_button.click()
    box: QMessageBox = shown.args[0]
    assert box.text() == "Revalidate 25 pages on “Blog”?"
    box.reject()  # Cancel: nothing is sent
    qtbot.waitUntil(lambda: window.controller.confirmation is None)
    assert site.count() == 0

    window.targets.type_mode.setCurrentIndex(1)  # lines are tags
    window.targets.type_box.setPlainText("posts")
    assert window.targets.refresh_button.text() == "Purge this tag"
    with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
        window.targets.refresh_button.click()
    box = shown.args[0]
    assert box.text() == "Purge 1 tag on “Blog”?"
    assert "touches 3 pages: /blog/a, /blog/b, /blog/c" in box.informativeText()
    go = next(b for b in box.buttons() if b.text() == "Purge 1 tag")
    summary = _run(qtbot, window, go.click)
    assert summary.ok == 1
    assert site.revalidated == ["tag:posts"]


def test_no_sites_shows_how_to_start_and_the_last_site_is_remembered(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window()
    assert window.body.currentIndex() == 0
    assert window.add_site_button.isVisible()
    window.close()
    second = SiteProfile(name="Shop", base_url="https://shop.example.com")
    window = make_window((_profile(site), None), (second, None))
    window.sites_bar.select("Shop")
    window.close()
    window = make_window()
    assert window.sites_bar.current() == second
    assert window.windowTitle() == "Shop — ISR Desk"
