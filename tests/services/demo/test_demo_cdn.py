"""The practice site's CDN: the demo server answers a Cloudflare-like purge API, so "Also
purge the CDN" can be tried without an account; only the practice site's purges go there."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import httpx

from isr_desk.domain import Outcome, Target
from isr_desk.services import runs
from isr_desk.services.demo import DEMO_CDN_TOKEN, DEMO_ZONE, DemoSite
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.runs import RunPlan, RunSession


def _run(demo: DemoSite, plan: RunPlan) -> RunSession:
    async def main() -> RunSession:
        async with make_client() as client:
            session = RunSession(plan, revalidator=Revalidator(client), purger_factory=demo.purger)
            _ = [e async for e in session.stream()]
            return session

    return asyncio.run(main())


def test_a_practice_run_purges_the_demo_cdn_with_the_practice_token() -> None:
    with DemoSite(seed=1) as demo:
        profile = demo.profile()
        assert profile.cdn.zone == DEMO_ZONE
        targets = (Target.path("/about"), Target.tag("posts"))
        plan = RunPlan(profile, targets, secret=demo.secret, purge_cdn=True,
                       cdn_token=DEMO_CDN_TOKEN)  # fmt: skip
        session = _run(demo, plan)
        assert demo.cdn.purged == [("tags", ["posts"]), ("files", [f"{demo.url}/about"])]
    rows = [(r.target.value, r.step, r.outcome) for r in session.cdn_results]
    assert rows == [
        ("posts", "cdn: Cloudflare", Outcome.PURGED),
        ("/about", "cdn: Cloudflare", Outcome.PURGED),
    ]


def test_a_wrong_token_gets_cloudflares_403_and_a_hint() -> None:
    with DemoSite(seed=1) as demo:
        plan = RunPlan(demo.profile(), (Target.path("/about"),), secret=demo.secret,
                       purge_cdn=True, cdn_token="not-the-practice-token")  # fmt: skip
        session = _run(demo, plan)
        assert demo.cdn.purged == []
    (row,) = session.cdn_results
    assert (row.status, row.outcome) == (403, Outcome.WRONG_SECRET)
    assert "Cache Purge" in (row.hint or "")


def test_only_the_practice_site_is_sent_to_the_demo_api() -> None:
    with DemoSite(seed=1) as demo:
        profile = demo.profile()
        assert demo.cdn.api_for(profile, demo.url) == f"{demo.url}/cdn-api/client/v4"
        elsewhere = replace(profile, base_url="https://shop.example.com")
        assert demo.cdn.api_for(elsewhere, demo.url) is None
        other_zone = replace(profile, cdn=replace(profile.cdn, zone="023e105f4ecef8ad"))
        assert demo.cdn.api_for(other_zone, demo.url) is None


def test_the_demo_api_answers_in_cloudflares_shapes() -> None:
    with DemoSite(seed=1) as demo:
        api = f"{demo.url}/cdn-api/client/v4/zones"
        auth = {"Authorization": f"Bearer {DEMO_CDN_TOKEN}"}
        ok = httpx.post(f"{api}/{DEMO_ZONE}/purge_cache", json={"hosts": ["a"]}, headers=auth)
        assert ok.status_code == 200
        assert ok.json()["success"] is True
        assert ok.json()["result"]["id"]
        two = httpx.post(f"{api}/{DEMO_ZONE}/purge_cache", headers=auth,
                         json={"files": ["a"], "tags": ["b"]})  # fmt: skip
        assert two.status_code == 400
        assert two.json()["success"] is False
        many = {"prefixes": [f"h/{n}" for n in range(31)]}
        too_many = httpx.post(f"{api}/{DEMO_ZONE}/purge_cache", json=many, headers=auth)
        assert too_many.status_code == 400
        zone = httpx.post(f"{api}/elsewhere/purge_cache", json={"hosts": ["a"]}, headers=auth)
        assert zone.status_code == 404
        assert json.loads(zone.text)["errors"][0]["code"] == 7003
        assert demo.cdn.purged == [("hosts", ["a"])]


def test_the_cdn_progress_event_comes_from_the_demo_run() -> None:
    with DemoSite(seed=1) as demo:
        plan = RunPlan(demo.profile(), (Target.path("/about"),), secret=demo.secret,
                       purge_cdn=True, cdn_token=DEMO_CDN_TOKEN)  # fmt: skip

        async def main() -> list[runs.Event]:
            async with make_client() as client:
                session = RunSession(plan, revalidator=Revalidator(client),
                                     purger_factory=demo.purger)  # fmt: skip
                return [e async for e in session.stream()]

        events = asyncio.run(main())
    texts = [e.text for e in events if isinstance(e, runs.CdnProgress)]
    assert texts == ["Purging Cloudflare: batch 1 of 1…"]
