"""The CDN step as an editor meets it: the bulk confirmation names it (from the CDN service's
own plan), and the log's progress bar and label follow it batch by batch, rate-limit waits
included, against a loopback Cloudflare (tests/helpers/cdn.py)."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from isr_desk.domain import CdnProvider, CdnSettings, SiteProfile
from isr_desk.services.cdn import CdnPurger
from isr_desk.services.demo import DEMO_CDN_TOKEN, DemoSite
from isr_desk.services.runs import CdnProgress
from isr_desk.services.sites import SecretStore
from isr_desk.views.log_model import STEP
from isr_desk.views.main_window import MainWindow
from tests.gui.conftest import WindowFactory
from tests.helpers.cdn import (
    CF_TOKEN,
    ZONE,
    FakeCloudflare,
    FakeTimer,
    FakeVercel,
    cf_rate_limited,
)
from tests.helpers.sites import LoopbackSite, Reply

PAGES = "\n".join(f"/p/{n}" for n in range(120))
TAGS = "\n".join(f"tag:t{n}" for n in range(5))


def _confirmation(qtbot: QtBot, window: MainWindow, text: str) -> QMessageBox:
    window.targets.type_box.setPlainText(text)
    with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
        window.targets.refresh_button.click()
    box: QMessageBox = shown.args[0]
    return box


def test_the_bulk_confirmation_names_the_cloudflare_step_and_its_calls(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    cdn = CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE)
    window = make_window((SiteProfile("Shop", site.url, cdn=cdn), site.secret))
    box = _confirmation(qtbot, window, PAGES + "\n" + TAGS)
    assert "purge" not in box.informativeText().lower()  # the box is not ticked: no CDN step
    box.reject()
    window.log.cdn_box.setChecked(True)
    box = _confirmation(qtbot, window, PAGES + "\n" + TAGS)
    assert (
        f"Then purge Cloudflare (zone {ZONE}) for the same 120 pages and 5 tags — 3 calls "
        "(only what the site refreshed)." in box.informativeText()
    )
    box.reject()
    assert site.requests == []


def test_the_bulk_confirmation_says_vercel_purges_no_paths(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    cdn = CdnSettings(CdnProvider.VERCEL, project="shop-web")
    window = make_window((SiteProfile("Shop", site.url, cdn=cdn), site.secret))
    window.log.cdn_box.setChecked(True)
    box = _confirmation(qtbot, window, PAGES + "\n" + TAGS)
    details = box.informativeText()
    assert "Then purge Vercel (project shop-web) for 5 tags — 1 call" in details
    assert "Not purged: 120 pages (Vercel's API purges by cache tag only" in details
    box.reject()


def test_the_log_follows_the_cdn_step_batch_by_batch_and_its_rate_limit_wait(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    secrets: SecretStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeCloudflare() as api:
        monkeypatch.setenv("ISR_DESK_CLOUDFLARE_API", api.api)
        ok = Reply(200, {"success": True, "errors": [], "messages": [], "result": {"id": "1"}})
        api.on(api.purge_path, ok, cf_rate_limited("7"), ok, ok)
        secrets.cdn_tokens().set("Shop", CF_TOKEN)
        cdn = CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE)
        window = make_window((SiteProfile("Shop", site.url, cdn=cdn, concurrency=16), None))
        secrets.set("Shop", site.secret)
        timer = FakeTimer()
        window.controller.purger_factory = lambda c: CdnPurger(c, timer=timer)
        window.log.cdn_box.setChecked(True)
        seen: list[tuple[str, int, int]] = []

        def on_progress(_: CdnProgress) -> None:
            bar = window.log.progress
            seen.append((window.log.progress_label.text(), bar.value(), bar.maximum()))

        window.controller.cdn_progressed.connect(on_progress)
        box = _confirmation(qtbot, window, "\n".join(f"/p/{n}" for n in range(250)))
        with qtbot.waitSignal(window.controller.run_finished, timeout=10000):
            next(b for b in box.buttons() if b.text().startswith("Refresh")).click()
    assert seen == [
        ("Purging Cloudflare: batch 1 of 3…", 0, 3),
        ("Purging Cloudflare: batch 2 of 3…", 1, 3),
        ("Purging Cloudflare: batch 2 of 3 · waiting 7 s (rate limit)", 1, 3),
        ("Purging Cloudflare: batch 3 of 3…", 2, 3),
    ]
    assert timer.slept == [7.0]


def test_the_practice_site_purges_its_own_fake_cdn_from_the_window(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    secrets: SecretStore,
) -> None:
    with DemoSite(seed=1) as demo:
        secrets.cdn_tokens().set("Demo", DEMO_CDN_TOKEN)
        window = make_window((demo.profile(), demo.secret))
        window.controller.purger_factory = demo.purger  # as the app does for --demo
        box = window.log.cdn_box
        assert box.isVisibleTo(window)
        assert box.text() == "Also purge the CDN (Cloudflare)"
        box.setChecked(True)
        window.targets.type_box.setPlainText("/about")
        with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
            window.targets.refresh_button.click()
        qtbot.waitUntil(lambda: not window.controller.running, timeout=5000)
        assert demo.cdn.purged == [("files", [f"{demo.url}/about"])]
    window.log.model.flush()
    model = window.log.model
    rows = [(model.index(r, STEP).data(), model.index(r, 5).data())
            for r in range(model.rowCount())]  # fmt: skip
    assert rows == [("origin", "Refreshed"), ("cdn: Cloudflare", "Purged from the CDN")]
    header_tip = model.headerData(STEP, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "origin: the site itself rebuilt the page" in header_tip
    assert window.banner.text.text().startswith("Refreshed")  # the run's outcome stays
    assert window.banner.note.text() == "CDN (Cloudflare): 1 target purged"  # under it
    window.log.details_button.setChecked(True)
    window.log.table.selectRow(1)  # a CDN row has no timing phases: its bar is drawn empty
    assert window.details.bar.isVisibleTo(window)
    assert "ms in all (phases are measured for the site's own" in window.details.timing.text()
    assert window.log.progress.format() == "%v of %m"
    assert (window.log.progress.value(), window.log.progress.maximum()) == (1, 1)
    assert not window.grab().isNull()


def test_vercel_paths_are_said_apart_in_the_outcome_note_not_as_failures(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    secrets: SecretStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeVercel(project="shop-web") as api:
        monkeypatch.setenv("ISR_DESK_VERCEL_API", api.url)
        secrets.cdn_tokens().set("Shop", api.token)
        cdn = CdnSettings(CdnProvider.VERCEL, project="shop-web")
        window = make_window((SiteProfile("Shop", site.url, cdn=cdn), site.secret))
        window.log.cdn_box.setChecked(True)
        box = _confirmation(qtbot, window, "/a\n/b\ntag:posts")  # a tag, no manifest: asked
        with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
            next(b for b in box.buttons() if b.text().startswith("Refresh")).click()
        qtbot.waitUntil(lambda: not window.controller.running, timeout=5000)
        assert api.purged == [("production", ["posts"])]
    assert window.banner.note.text() == (
        "CDN (Vercel): 1 target purged, 2 not purged: Vercel purges tags only"
    )
    assert "failed" not in window.banner.note.text()
