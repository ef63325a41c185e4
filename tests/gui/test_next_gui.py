"""The desktop app (offscreen) against the real Next.js site: the Targets panel lists the
real build's pages and tags, and a page refreshed from the window really regenerates.

It lives with the view tests (not in tests/e2e) so that it runs among them, at the end of
the session: Qt objects of a window test must not outlive into non-Qt tests that follow."""

from __future__ import annotations

import asyncio

import pytest
from pytestqt.qtbot import QtBot

from isr_desk.domain import Endpoint, Preset, RunSummary, SiteProfile
from tests.e2e.conftest import NextSite, next_site  # noqa: F401 - fixture used by name
from tests.gui.conftest import WindowFactory

pytestmark = pytest.mark.e2e


def _profile(site: NextSite, preset: Preset) -> SiteProfile:
    return SiteProfile(
        name=f"Next {preset.value}",
        base_url=site.url,
        endpoint=Endpoint(preset=preset),
        manifest_source=str(site.build_dir),
        retries=0,
    )


def _refresh(qtbot: QtBot, window: object, text: str) -> RunSummary:
    window.targets.type_box.setPlainText(text)  # type: ignore[attr-defined]
    with qtbot.waitSignal(window.controller.run_finished, timeout=30_000) as done:  # type: ignore[attr-defined]
        window.targets.refresh_button.click()  # type: ignore[attr-defined]
    window.log.model.flush()  # type: ignore[attr-defined]
    summary: RunSummary = done.args[0]
    return summary


@pytest.mark.parametrize("preset", [Preset.APP_ROUTER, Preset.BEARER])
def test_gui_lists_the_real_build_and_refreshes_a_page(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    next_site: NextSite,  # noqa: F811
    preset: Preset,
) -> None:
    window = make_window((_profile(next_site, preset), next_site.secret))
    paths = window.targets.paths_tab
    qtbot.waitUntil(lambda: paths.model.rowCount() >= 5, timeout=10_000)
    listed = {paths.model.index(r, 0).data() for r in range(paths.model.rowCount())}
    assert "/posts/on-demand" in listed
    tags = window.targets.tags_tab
    shown_tags = {tags.model.index(r, 0).data() for r in range(tags.model.rowCount())}
    assert {"posts", "post:on-demand"} <= shown_tags

    before = next_site.settle("/posts/on-demand")
    title = next_site.edit_post("on-demand", title=next_site.unique(f"GUI {preset.value}"))
    summary = _refresh(qtbot, window, "/posts/on-demand")

    assert (summary.ok, summary.failed) == (1, 0)
    model = window.log.model
    assert (model.index(0, 4).data(), model.index(0, 5).data()) == ("200", "Refreshed")
    after = next_site.wait_for("/posts/on-demand", lambda page: page.title == title["title"])[-1]
    assert after.generated_at != before.generated_at


def test_gui_wrong_secret_against_the_real_route(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    next_site: NextSite,  # noqa: F811
) -> None:
    window = make_window((_profile(next_site, Preset.APP_ROUTER), "not-the-secret"))
    summary = _refresh(qtbot, window, "/posts/on-demand")
    assert summary.failed == 1
    model = window.log.model
    assert (model.index(0, 4).data(), model.index(0, 5).data()) == ("401", "Wrong secret")
    assert "ask your developer" in window.log.hint.text()
