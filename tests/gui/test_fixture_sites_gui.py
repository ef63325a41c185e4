"""The desktop app (offscreen) against each fixture site of docs/compatibility.md: the
Targets panel lists the real build's pages, a page typed in the box is refreshed from the
window and really changes (on every instance), and the log says "Refreshed".

Set ``ISR_DESK_SCREENSHOTS=<dir>`` to keep a screenshot of each window after its run.
Lives with the view tests (see tests/gui/test_next_gui.py for why).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from isr_desk.domain import Endpoint, Preset, RunSummary, SecretPlacement, SiteProfile
from isr_desk.services.manifest import site_conventions
from tests.e2e.conftest import blog15, docs16, shop14  # noqa: F401 - fixtures used by name
from tests.e2e.isr_cli import assert_refreshed
from tests.e2e.nextjs import NextSite
from tests.gui.conftest import WindowFactory

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class GuiCase:
    fixture: str
    base_path: str
    endpoint: Endpoint
    slug: str
    typed: str  # what the user types in the Targets box
    page: str  # the public URL path fetched afterwards
    listed: str  # a page the Targets panel must list
    first: str  # x-nextjs-cache of the first GET after the run


CASES = {
    "next14-basepath-get-route": GuiCase(
        "shop14", "/shop", Endpoint(preset=Preset.GET_QUERY, path="/api/revalidate"),
        "hello-world", "/blog/hello-world", "/shop/blog/hello-world", "/blog/hello-world", "MISS",
    ),
    "next15-trailing-slash-plural-bearer": GuiCase(
        "blog15", "", Endpoint(preset=Preset.BEARER, path="/api/revalidate/", batch_size=50),
        "roadmap", "/en/blog/roadmap", "/en/blog/roadmap/", "/en/blog/roadmap", "MISS",
    ),
    "next16-header-secret-two-instances": GuiCase(
        "docs16", "",
        Endpoint(
            preset=Preset.CUSTOM, url_template="{url}/api/revalidate",
            secret_placement=SecretPlacement.HEADER, secret_name="x-revalidate-token",
        ),
        "caching", "/blog/caching", "/blog/caching", "/blog/caching", "MISS",
    ),
}  # fmt: skip


def _sites(request: pytest.FixtureRequest, fixture: str) -> list[NextSite]:
    value = request.getfixturevalue(fixture)
    return list(value) if isinstance(value, list) else [value]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_gui_refreshes_a_page_of_each_fixture_site(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    request: pytest.FixtureRequest,
    case: GuiCase,
) -> None:
    sites = _sites(request, case.fixture)
    # The site's conventions from its build, as `site add --manifest` and the profile dialog
    # detect them.
    conventions = site_conventions(str(sites[0].build_dir))
    assert conventions is not None
    profile = SiteProfile(
        name=f"GUI {case.fixture}",
        base_url=sites[0].url + case.base_path,
        endpoint=case.endpoint,
        manifest_source=str(sites[0].build_dir),
        retries=0,
        instances=tuple(s.url + case.base_path for s in sites) if len(sites) > 1 else (),
        base_path=conventions.base_path,
        trailing_slash=conventions.trailing_slash,
    )
    window = make_window((profile, sites[0].secret))
    paths = window.targets.paths_tab
    qtbot.waitUntil(lambda: paths.model.rowCount() >= 4, timeout=10_000)
    listed = {paths.model.index(r, 0).data() for r in range(paths.model.rowCount())}
    assert case.listed in listed, sorted(listed)
    for site in sites:
        site.settle(case.page)
    title = sites[0].edit_post(case.slug, title=sites[0].unique(f"GUI {case.fixture}"))["title"]

    window.targets.type_box.setPlainText(case.typed)
    with qtbot.waitSignal(window.controller.run_finished, timeout=30_000) as done:
        window.targets.refresh_button.click()
    window.log.model.flush()
    summary: RunSummary = done.args[0]
    keep = os.environ.get("ISR_DESK_SCREENSHOTS")
    if keep:  # before the assertions: a failing run is the one worth looking at
        window.grab().save(str(Path(keep) / f"gui-{case.fixture}.png"))

    assert (summary.ok, summary.failed) == (len(sites), 0)
    assert window.log.model.index(0, 5).data() == "Refreshed"
    for site in sites:
        assert_refreshed(site, case.page, title, first=case.first)
