"""The Targets panel with the real build: a filter with ``*`` is a pattern whose count shows
before anything is sent; after a rebuild, "Refresh what changed" sends exactly the diff."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import LoopbackSite
from tests.services.manifest.test_diff import BUILD, renamed_build


def _site(site: LoopbackSite, build: Path) -> SiteProfile:
    return SiteProfile(name="Blog", base_url=site.url, manifest_source=str(build))


def test_a_pattern_filters_and_counts_before_sending(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    tmp_path: Path,
) -> None:
    build = tmp_path / ".next"
    shutil.copytree(BUILD, build)
    window = make_window((_site(site, build), site.secret))
    panel = window.targets
    qtbot.waitUntil(lambda: panel.manifest is not None, timeout=5000)
    panel.filter_edit.setText("/legacy/**")
    assert panel.paths_tab.model.rowCount() == 5
    assert all(panel.paths_tab.model.item(r).path.startswith("/legacy/") for r in range(5))
    assert panel.pattern_count.isVisibleTo(panel)
    assert panel.pattern_count.text() == (
        "5 pages and 0 tags match /legacy/**; the tags touch 0 pages"
    )
    panel.filter_edit.setText("post:*")
    assert panel.tags_tab.model.rowCount() == 5
    assert panel.pattern_count.text() == "0 pages and 5 tags match post:*; the tags touch 5 pages"
    panel.filter_edit.setText("legacy")  # no * : a plain filter, no count
    assert panel.paths_tab.model.rowCount() == 5
    assert not panel.pattern_count.isVisibleTo(panel)
    assert site.count() == 0


def test_refresh_what_changed_after_a_rename(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    tmp_path: Path,
) -> None:
    build = tmp_path / "site" / ".next"
    shutil.copytree(BUILD, build)
    window = make_window((_site(site, build), site.secret))
    panel = window.targets
    qtbot.waitUntil(lambda: panel.manifest is not None, timeout=5000)
    assert not panel.changed_button.isVisibleTo(panel)  # the first list: nothing to compare
    shutil.rmtree(build)
    shutil.copytree(renamed_build(tmp_path), build)  # the deploy: tags renamed
    panel.reload()
    qtbot.waitUntil(lambda: panel.changed_button.isVisibleTo(panel), timeout=5000)
    assert panel.changed_button.text() == "Refresh what changed (5 pages and 5 tags)"
    with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
        panel.changed_button.click()
    box: QMessageBox = shown.args[0]
    go = next(b for b in box.buttons() if b.text().startswith("Refresh"))
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        go.click()
    expected = {f"/posts/{s}" for s in ("cache-tags", "hello-world", "on-demand",
                "pages-router", "stale-while-revalidate")}  # fmt: skip
    want = {f"path:{p}" for p in expected} | {f"tag:article:{p[7:]}" for p in expected}
    assert sorted(site.revalidated) == sorted(want)
