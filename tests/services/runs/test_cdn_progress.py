"""Progress during the CDN step: a ``CdnProgress`` event before each call ("Purging
Cloudflare: batch 2 of 3…") and before each wait a 429 asks for ("waiting 7 s (rate
limit)"), the line the window's progress label and the CLI's progress line both show."""

from __future__ import annotations

import asyncio
from pathlib import Path

from isr_desk.domain import CdnProvider, CdnSettings, SiteProfile, Target
from isr_desk.services import runs
from isr_desk.services.cdn import CdnPurger
from isr_desk.services.history import HistoryStore
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.runs import RunPlan, RunSession
from tests.helpers.cdn import CF_TOKEN, ZONE, FakeCloudflare, FakeTimer, cf_rate_limited
from tests.helpers.sites import Behaviour, CaseSite, Reply

SECRET = "s3cret-token"


def _run(plan: RunPlan, api: str, history: Path) -> list[runs.Event]:
    async def main() -> list[runs.Event]:
        async with make_client() as client:
            session = RunSession(
                plan,
                revalidator=Revalidator(client),
                history=lambda: HistoryStore(history),
                purger_factory=lambda c: CdnPurger(
                    c, bases={CdnProvider.CLOUDFLARE: api}, timer=FakeTimer()
                ),
            )
            return [e async for e in session.stream()]

    return asyncio.run(main())


def test_the_cdn_step_reports_each_batch_and_each_rate_limit_wait(tmp_path: Path) -> None:
    with CaseSite(Behaviour.REGENERATES, secret=SECRET) as origin, FakeCloudflare() as api:
        ok = Reply(200, {"success": True, "errors": [], "messages": [], "result": {"id": "x"}})
        api.on(api.purge_path, ok, cf_rate_limited("7"), ok, ok)
        cdn = CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE)
        profile = SiteProfile("Blog", origin.url, cdn=cdn, concurrency=16)
        targets = tuple(Target.path(f"/p/{n}") for n in range(250))
        plan = RunPlan(profile, targets, secret=SECRET, purge_cdn=True, cdn_token=CF_TOKEN)
        events = _run(plan, api.api, tmp_path / "h.db")
    texts = [e.text for e in events if isinstance(e, runs.CdnProgress)]
    assert texts == [
        "Purging Cloudflare: batch 1 of 3…",
        "Purging Cloudflare: batch 2 of 3…",
        "Purging Cloudflare: batch 2 of 3 · waiting 7 s (rate limit)",
        "Purging Cloudflare: batch 3 of 3…",
    ]
    started = next(i for i, e in enumerate(events) if isinstance(e, runs.CdnStarted))
    first = next(i for i, e in enumerate(events) if isinstance(e, runs.CdnProgress))
    ended = next(i for i, e in enumerate(events) if isinstance(e, runs.CdnFinished))
    assert started < first < ended
    finished = events[ended]
    assert isinstance(finished, runs.CdnFinished)
    assert (finished.ok, finished.failed) == (250, 0)
