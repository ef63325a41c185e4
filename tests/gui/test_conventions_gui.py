"""The Targets panel shows a build's conventions in one line, counts tags as the CLI does and
shows ``cacheLife('max')`` as "30 days" (issue 14)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from tests.gui.conftest import WindowFactory

SHAPES = Path(__file__).parents[1] / "fixtures" / "next-shapes"


def test_conventions_label_tag_count_and_human_revalidate(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    profile = SiteProfile(
        "cache", "http://127.0.0.1:9", manifest_source=str(SHAPES / "next16-cache")
    )
    window = make_window((profile, None))
    panel = window.targets
    qtbot.waitUntil(lambda: panel.paths_tab.model.rowCount() > 0, timeout=5000)
    assert panel.conventions.text() == "Next 16.4 · App Router"
    manifest = panel.manifest
    assert manifest is not None
    assert manifest.tag_counts() in panel.info.text()  # "5 tags + 11 implicit", as the CLI
    model = panel.paths_tab.model
    rows = {model.index(r, 0).data(): model.index(r, 3).data() for r in range(model.rowCount())}
    assert rows["/"] == "30 days"
    assert "/_not-found" not in rows
    assert "/_global-error" not in rows


def test_a_profile_that_differs_from_the_build_is_shown_the_exact_fix(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    profile = SiteProfile(
        "my blog", "http://127.0.0.1:9", manifest_source=str(SHAPES / "next15-blog")
    )
    window = make_window((profile, None))
    panel = window.targets
    qtbot.waitUntil(lambda: panel.paths_tab.model.rowCount() > 0, timeout=5000)
    assert panel.conventions.text() == (
        "Next 15.5 · App Router · trailingSlash — this site is set up otherwise: "
        "isr-desk site edit 'my blog' --trailing-slash"
    )
