"""Targets checked before sending, in the window: another site's URL is refused with its
host named, a page the loaded list does not know is flagged (sent only on "Send anyway"),
words are not made a path, and a Pages Router site cannot press "Refresh this tag"."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from isr_desk.domain import Endpoint, Preset, SiteProfile
from isr_desk.views.main_window import MainWindow
from isr_desk.views.target_checks import NO_TAGS
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import LoopbackSite, Reply

MANIFEST = {
    "version": 1,
    "paths": [{"path": "/blog/a", "tags": ["posts"]}, {"path": "/blog/b", "tags": ["posts"]}],
    "tags": [{"tag": "posts"}],
}


def test_another_sites_url_and_words_are_refused_before_sending(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Blog", site.url), site.secret))
    targets = window.targets
    targets.type_box.setPlainText("https://shop.example.org/cart")
    assert not targets.refresh_button.isEnabled()
    assert f"https://shop.example.org/cart is not on this site ({site.url})" in (
        targets.problems.text()
    )
    targets.type_box.setPlainText("hello world")
    assert not targets.refresh_button.isEnabled()
    assert "'hello world' is not a page address" in targets.problems.text()
    assert "/hello world" not in targets.problems.text()  # no silent "/"
    targets.type_box.setPlainText(f"{site.url}/blog/a")
    assert targets.refresh_button.isEnabled()
    assert targets.problems.isHidden()
    assert site.requests == []


def test_an_unknown_page_is_flagged_and_sent_only_on_send_anyway(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    site.on("/m.json", Reply(200, MANIFEST), repeat=True)
    profile = SiteProfile("Blog", site.url, manifest_source=f"{site.url}/m.json")
    window = make_window((profile, site.secret))
    targets = window.targets
    qtbot.waitUntil(lambda: targets.manifest is not None, timeout=4000)
    targets.type_box.setPlainText("/blog/does-not-exist")
    targets.refresh_button.click()
    assert "Not in the site's list of pages: /blog/does-not-exist" in targets.problems.text()
    assert targets.anyway_button.isVisible()
    assert not any(r.path.startswith("/api") for r in site.requests)
    with qtbot.waitSignal(window.controller.run_finished, timeout=4000):
        targets.anyway_button.click()
    assert [r for r in site.revalidated] == ["path:/blog/does-not-exist"]
    targets.type_box.setPlainText("/blog/a")  # a known page goes at once
    with qtbot.waitSignal(window.controller.run_finished, timeout=4000):
        targets.refresh_button.click()


def test_a_pages_router_site_cannot_press_refresh_this_tag(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    site.on("/m.json", Reply(200, MANIFEST), repeat=True)
    profile = SiteProfile(
        "Old blog",
        site.url,
        endpoint=Endpoint(preset=Preset.PAGES_ROUTER),
        manifest_source=f"{site.url}/m.json",
    )
    window = make_window((profile, site.secret))
    targets = window.targets
    qtbot.waitUntil(lambda: targets.tags_tab.model.rowCount() == 1, timeout=4000)
    targets.type_box.setPlainText("tag:posts")
    assert targets.refresh_button.text() == "Refresh this tag"
    assert not targets.refresh_button.isEnabled()
    assert NO_TAGS in targets.problems.text()
    targets.tabs.setCurrentWidget(targets.tags_tab)
    targets.tags_tab.table.selectRow(0)
    assert not targets.revalidate_button.isEnabled()
    assert targets.revalidate_button.toolTip() == NO_TAGS
    targets.tabs.setCurrentWidget(targets.paths_tab)
    targets.paths_tab.table.selectRow(0)
    assert targets.revalidate_button.isEnabled()


def test_the_window_refuses_what_the_cli_refuses_with_the_same_words(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    # The site's list lives on another host, and the same host answers on another port:
    # neither is the site (one parse_targets(site=...) for both faces; tests/cli/test_ci.py).
    other_port = f"http://127.0.0.1:{site.port + 1 if site.port < 65535 else site.port - 1}"
    profile = SiteProfile("Blog", site.url, manifest_source="http://localhost:9/isr.json")
    window = make_window((profile, site.secret))
    targets = window.targets
    for url in (f"http://localhost:{site.port}/blog/a", f"{other_port}/blog/a"):
        targets.type_box.setPlainText(url)
        targets.refresh_button.click()
        assert not targets.refresh_button.isEnabled()
        assert f"line 1: {url} is not on this site ({site.url})" in targets.problems.text()
    assert site.requests == []


def test_two_forms_of_one_page_are_sent_once_and_the_window_says_so(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Blog", site.url), site.secret))
    targets = window.targets
    targets.type_box.setPlainText("/about\n/about/")
    with qtbot.waitSignal(window.controller.run_finished, timeout=4000):
        targets.refresh_button.click()
    assert site.revalidated == ["path:/about"]
    assert "2 targets were the same page; sent once" in window.banner.note.text()
    assert window.banner.isVisible()


def test_a_tag_the_list_does_not_name_is_flagged_and_sent_only_on_send_anyway(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    site.on("/m.json", Reply(200, MANIFEST), repeat=True)
    profile = SiteProfile("Blog", site.url, manifest_source=f"{site.url}/m.json")
    window = make_window((profile, site.secret))
    targets = window.targets
    qtbot.waitUntil(lambda: targets.manifest is not None, timeout=4000)
    targets.type_box.setPlainText("tag:category-guides")
    targets.refresh_button.click()
    assert "Not in the site's list of tags: category-guides. Renamed?" in targets.problems.text()
    assert targets.anyway_button.isVisible()
    assert site.revalidated == []
    _confirm_and_run(qtbot, window, targets.anyway_button)
    assert site.revalidated == ["tag:category-guides"]
    targets.type_box.setPlainText("tag:posts")  # a listed tag is not flagged
    _confirm_and_run(qtbot, window, targets.refresh_button)
    assert targets.anyway_button.isHidden()
    assert site.revalidated == ["tag:category-guides", "tag:posts"]


def _confirm_and_run(qtbot: QtBot, window: MainWindow, button: QPushButton) -> None:
    """Click ``button``; a tag run asks first (its pages): confirm, and wait for the run."""
    with qtbot.waitSignal(window.controller.confirmation_shown, timeout=4000) as shown:
        button.click()
    go = next(b for b in shown.args[0].buttons() if b.text() == "Refresh 1 tag")
    with qtbot.waitSignal(window.controller.run_finished, timeout=4000):
        go.click()


def test_without_a_list_of_tags_a_typed_tag_goes_at_once(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Blog", site.url), site.secret))  # no manifest
    targets = window.targets
    targets.type_box.setPlainText("tag:category-guides")
    _confirm_and_run(qtbot, window, targets.refresh_button)
    assert site.revalidated == ["tag:category-guides"]
