"""The Targets panel with the real build: a filter with ``*`` is a pattern whose count shows
before anything is sent; after a rebuild, the "What changed" window lists the diff in words
and sends exactly its targets through the usual confirmation."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from isr_desk.domain import CdnProvider, CdnSettings, Endpoint, Preset, SiteProfile
from isr_desk.services.sites import SecretStore
from isr_desk.views.changes_dialog import FIRST_HINT, NOTHING_HINT
from isr_desk.views.main_window import MainWindow
from tests.gui.conftest import WindowFactory
from tests.gui.test_accessibility import unnamed
from tests.helpers.cdn import CF_TOKEN, ZONE, FakeCloudflare
from tests.helpers.sites import LoopbackSite
from tests.services.manifest.test_diff import BUILD, renamed_build


def _site(
    site: LoopbackSite,
    build: Path,
    preset: Preset = Preset.APP_ROUTER,
    cdn: CdnSettings | None = None,
) -> SiteProfile:
    endpoint = Endpoint(preset=preset)
    return SiteProfile(
        cdn=cdn or CdnSettings(),
        name="Blog",
        base_url=site.url,
        manifest_source=str(build),
        endpoint=endpoint,
    )


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
    assert panel.pattern_count.text() == "5 pages match /legacy/**"
    panel.filter_edit.setText("post:*")
    assert panel.tags_tab.model.rowCount() == 5
    assert panel.pattern_count.text() == "5 tags match post:*; they touch 5 pages"
    panel.filter_edit.setText("/posts/*")  # pages and tags both: the tags' pages counted apart
    assert panel.pattern_count.text() == "5 pages match /posts/*"
    panel.filter_edit.setText("nothing:*")
    assert panel.pattern_count.text() == "Nothing matches nothing:*"
    panel.filter_edit.setText("legacy")  # no * : a plain filter, no count
    assert panel.paths_tab.model.rowCount() == 5
    assert not panel.pattern_count.isVisibleTo(panel)
    assert site.count() == 0


def _load_twice(
    qtbot: QtBot,
    site: LoopbackSite,
    make_window: WindowFactory,
    tmp_path: Path,
    preset: Preset = Preset.APP_ROUTER,
    cdn: CdnSettings | None = None,
) -> MainWindow:
    """A window on the real build, then the deploy of a copy whose tags are renamed."""
    build = tmp_path / "site" / ".next"
    shutil.copytree(BUILD, build)
    window = make_window((_site(site, build, preset, cdn), site.secret))
    panel = window.targets
    qtbot.waitUntil(lambda: panel.since_last is not None, timeout=5000)
    shutil.rmtree(build)
    shutil.copytree(renamed_build(tmp_path), build)  # the deploy: tags renamed
    with qtbot.waitSignals([panel.manifest_loaded, panel.changes_shown], timeout=5000):
        panel.reload()
    return window


def test_the_first_list_says_there_is_nothing_to_compare_yet(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    tmp_path: Path,
) -> None:
    window = make_window((_site(site, BUILD), site.secret))
    panel = window.targets
    qtbot.waitUntil(lambda: panel.since_last is not None, timeout=5000)
    assert panel.changed_button.isVisibleTo(panel)
    assert panel.changed_button.text() == "What changed"
    panel.changed_button.click()
    dialog = panel.changes_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.summary.text() == (
        "No earlier list saved yet — the next load will be compared with this one."
    )
    assert dialog.hint.text() == FIRST_HINT
    assert not dialog.tree.isVisibleTo(dialog)
    assert not dialog.refresh_button.isVisibleTo(dialog)
    assert not unnamed(dialog)
    with qtbot.waitSignals([panel.manifest_loaded, panel.changes_shown], timeout=5000):
        panel.reload()  # the same build again: nothing changed since the first list
    assert panel.since_last is not None
    assert panel.since_last.summary().startswith(
        "Nothing changed since the list of pages saved on "
    )
    panel.show_changes()
    assert panel.changes_dialog is not None
    assert panel.changes_dialog.hint.text() == NOTHING_HINT
    panel.changes_dialog.close()
    assert site.count() == 0


def test_the_changes_window_lists_the_rename_and_refreshes_exactly_it(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    tmp_path: Path,
) -> None:
    window = _load_twice(qtbot, site, make_window, tmp_path)
    panel = window.targets
    assert panel.changed_button.text() == "What changed (5 tags)"
    panel.changed_button.click()
    dialog = panel.changes_dialog
    assert dialog is not None
    assert dialog.summary.text().endswith(": 5 tags renamed, 5 pages changed.")
    assert dialog.section_titles() == ["Tags renamed (5)", "Pages changed (5)"]
    renamed = dialog.tree.topLevelItem(0)
    assert renamed is not None
    first = renamed.child(0)
    assert (first.text(0), first.text(1)) == ("post:cache-tags → article:cache-tags", "1 page")
    assert dialog.refresh_button.text() == "Refresh these 5 tags"
    assert not dialog.refresh_button.isDefault()  # Enter closes the window, never sends
    assert not dialog.refresh_button.autoDefault()
    assert not unnamed(dialog), unnamed(dialog)
    assert site.count() == 0  # nothing is sent by looking
    with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
        dialog.refresh_button.click()
    assert not dialog.isVisible()
    box: QMessageBox = shown.args[0]
    assert box.text() == "Refresh 5 tags on “Blog”?"
    go = next(b for b in box.buttons() if b.text().startswith("Refresh"))
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        go.click()
    slugs = ("cache-tags", "hello-world", "on-demand", "pages-router", "stale-while-revalidate")
    assert sorted(site.revalidated) == sorted(f"tag:article:{s}" for s in slugs)


def test_a_site_without_tags_refreshes_the_renamed_pages_by_path(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    tmp_path: Path,
) -> None:
    window = _load_twice(qtbot, site, make_window, tmp_path, Preset.PAGES_ROUTER)
    panel = window.targets
    # The Pages Router preset cannot revalidate a tag: the renamed tags' pages go by path.
    assert panel.changed_button.text() == "What changed (5 pages)"
    panel.changed_button.click()
    dialog = panel.changes_dialog
    assert dialog is not None
    assert dialog.refresh_button.text() == "Refresh these 5 pages"
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        dialog.refresh_button.click()  # a few pages by path: sent without a question
    slugs = ("cache-tags", "hello-world", "on-demand", "pages-router", "stale-while-revalidate")
    assert sorted(site.revalidated) == sorted(f"path:/posts/{s}" for s in slugs)


def test_refresh_what_changed_honours_also_purge_the_cdn(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    secrets: SecretStore,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    with FakeCloudflare() as api:
        monkeypatch.setenv("ISR_DESK_CLOUDFLARE_API", api.api)
        secrets.cdn_tokens().set("Blog", CF_TOKEN)
        cdn = CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE)
        window = _load_twice(qtbot, site, make_window, tmp_path, cdn=cdn)
        window.log.cdn_box.setChecked(True)
        window.targets.changed_button.click()
        dialog = window.targets.changes_dialog
        assert dialog is not None
        with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
            dialog.refresh_button.click()
        box: QMessageBox = shown.args[0]
        go = next(b for b in box.buttons() if b.text().startswith("Refresh"))
        with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
            go.click()
    slugs = ("cache-tags", "hello-world", "on-demand", "pages-router", "stale-while-revalidate")
    tags = sorted(f"article:{s}" for s in slugs)
    assert sorted(site.revalidated) == [f"tag:{t}" for t in tags]
    # The same run purged the CDN for the same targets ("Also purge the CDN" was ticked).
    assert [(kind, sorted(items)) for kind, items in api.purged] == [("tags", tags)]
