"""One run that revalidates at the origin, purges the CDN in front of it and verifies, against
loopback servers: a site (CaseSite), a caching proxy in front of it (the CDN's copies) and
Cloudflare's / Vercel's purge API (tests/helpers/cdn.py), which drops the proxy's copies.

The CDN rows are rows of the same run, with their step, in the events, the history and both
exports; without the purge, the verdict names the action that would have fixed it.
"""

from __future__ import annotations

import asyncio
import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from isr_desk.domain import CdnProvider, CdnSettings, Outcome, SiteProfile, Target
from isr_desk.services import runs
from isr_desk.services.cdn import CdnPurger
from isr_desk.services.history import HistoryStore
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.runs import RunPlan, RunSession
from isr_desk.services.sites import SecretStore
from isr_desk.services.verify import Verdict
from tests.helpers.cdn import CF_TOKEN, VERCEL_TOKEN, ZONE, FakeCloudflare, FakeTimer, FakeVercel
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import Behaviour, CachingProxy, CaseSite

SECRET = "s3cret-token"


def _cloudflare(proxy: CachingProxy) -> SiteProfile:
    cdn = CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE)
    return SiteProfile("Blog", proxy.url, cdn=cdn)


def _run(plan: RunPlan, api: str, history: Path, **kw: Any) -> tuple[RunSession, list[runs.Event]]:
    async def main() -> tuple[RunSession, list[runs.Event]]:
        async with make_client() as client:
            bases = {CdnProvider.CLOUDFLARE: api, CdnProvider.VERCEL: api}
            session = RunSession(
                plan,
                revalidator=Revalidator(client),
                history=lambda: HistoryStore(history),
                purger_factory=lambda c: CdnPurger(c, bases=bases, timer=FakeTimer()),
                **kw,
            )
            return session, [e async for e in session.stream()]

    return asyncio.run(main())


def _names(events: list[runs.Event]) -> list[str]:
    names: list[str] = []
    for event in events:
        name = type(event).__name__
        if not (names and names[-1] == name and name in ("ResultsBatch", "Progress")):
            names.append(name)
    return names


def test_one_run_revalidates_purges_and_verifies_with_cdn_rows_in_history_and_exports(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.db"
    with (
        CaseSite(Behaviour.REGENERATES, secret=SECRET) as origin,
        CachingProxy(origin.url, style="cloudflare") as proxy,
        FakeCloudflare(cache=proxy) as api,
    ):
        targets = (Target.path("/a"), Target.path("/b"))
        plan = RunPlan(_cloudflare(proxy), targets, verify=True, secret=SECRET, purge_cdn=True,
                       cdn_token=CF_TOKEN)  # fmt: skip
        session, events = _run(plan, api.api, db)
        assert sorted(origin.revalidated) == ["path:/a", "path:/b"]
        assert api.purged == [("files", [f"{proxy.url}/a", f"{proxy.url}/b"])]
    assert _names(events) == [
        "VerifyStarted", "Started", "ResultsBatch", "Progress", "CdnStarted", "CdnProgress",
        "ResultsBatch", "CdnFinished", "Finished", "VerifyStarted", "Verified",
    ]  # fmt: skip
    cdn_started = next(e for e in events if isinstance(e, runs.CdnStarted))
    assert (cdn_started.step, cdn_started.targets, cdn_started.batches) == ("cdn: Cloudflare", 2, 1)
    finished = next(e for e in events if isinstance(e, runs.CdnFinished))
    assert (finished.ok, finished.failed) == (2, 0)
    verified = events[-1]
    assert isinstance(verified, runs.Verified)
    assert [v.verdict for v in verified.verifications] == [Verdict.REGENERATED] * 2, [
        v.detail for v in verified.verifications
    ]
    assert [r.step for r in session.results] == ["origin", "origin"]
    assert [(r.step, r.outcome) for r in session.cdn_results] == [
        ("cdn: Cloudflare", Outcome.PURGED)] * 2  # fmt: skip

    with HistoryStore(db) as store:
        assert session.run_id is not None
        record = store.run(session.run_id)
        assert (record.total, record.ok, record.failed, record.status) == (2, 2, 0, "finished")
        rows = store.results(session.run_id)
        assert sorted((r.step, str(r.target)) for r in rows[:2]) == [
            ("origin", "/a"),
            ("origin", "/b"),
        ]
        assert [(r.step, str(r.target)) for r in rows[2:]] == [
            ("cdn: Cloudflare", "/a"), ("cdn: Cloudflare", "/b")]  # fmt: skip
        assert store.unsent_targets(session.run_id) == []
        store.export_csv(session.run_id, tmp_path / "run.csv")
        store.export_json(session.run_id, tmp_path / "run.json")
    with (tmp_path / "run.csv").open(newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [(row["step"], row["target"], row["result"]) for row in table][2:] == [
        ("cdn: Cloudflare", "/a", "Purged from the CDN"),
        ("cdn: Cloudflare", "/b", "Purged from the CDN"),
    ]
    exported = json.loads((tmp_path / "run.json").read_text())
    assert [r["step"] for r in exported["results"]] == ["origin"] * 2 + ["cdn: Cloudflare"] * 2
    cdn_request = exported["results"][2]["request"]
    assert cdn_request["url"] == f"{api.api}/zones/{ZONE}/purge_cache"
    assert ["Authorization", "Bearer •••"] in cdn_request["headers"]
    text = (tmp_path / "run.csv").read_text() + (tmp_path / "run.json").read_text()
    assert CF_TOKEN not in text


def test_without_the_purge_the_cdn_verdict_names_the_action(tmp_path: Path) -> None:
    with (
        CaseSite(Behaviour.REGENERATES, secret=SECRET) as origin,
        CachingProxy(origin.url, style="cloudflare") as proxy,
        FakeCloudflare(cache=proxy) as api,
    ):
        plan = RunPlan(_cloudflare(proxy), (Target.path("/a"),), verify=True, secret=SECRET)
        _, events = _run(plan, api.api, tmp_path / "h.db")
        assert api.requests == []
    verified = events[-1]
    assert isinstance(verified, runs.Verified)
    (verdict,) = verified.verifications
    assert verdict.verdict is Verdict.CDN_STALE
    assert "Purge Cloudflare too: run with --purge-cdn" in verdict.detail
    assert "Also purge the CDN" in verdict.detail


def test_the_token_comes_from_the_keyring_beside_the_sites_secret(tmp_path: Path) -> None:
    keyring = MemoryKeyring()
    tokens = SecretStore(keyring).cdn_tokens()
    tokens.set("Blog", VERCEL_TOKEN)
    assert keyring.passwords == {("isr-desk-cdn", "Blog"): VERCEL_TOKEN}
    with CaseSite(Behaviour.REGENERATES, secret=SECRET) as origin, FakeVercel() as api:
        profile = SiteProfile("Blog", origin.url,
                              cdn=CdnSettings(CdnProvider.VERCEL, project="blog"))  # fmt: skip
        plan = RunPlan(profile, (Target.tag("posts"), Target.tag("authors")), secret=SECRET,
                       purge_cdn=True)  # fmt: skip
        session, events = _run(plan, api.url, tmp_path / "h.db", cdn_tokens=tokens)
        assert api.purged == [("production", ["posts", "authors"])]
    assert [r.step for r in session.cdn_results] == ["cdn: Vercel"] * 2
    assert not any(isinstance(e, runs.RunWarning) for e in events)


def test_no_token_gives_failed_cdn_rows_and_the_origin_run_stands(tmp_path: Path) -> None:
    tokens = SecretStore(MemoryKeyring()).cdn_tokens()
    with (
        CaseSite(Behaviour.REGENERATES, secret=SECRET) as origin,
        CachingProxy(origin.url) as proxy,
        FakeCloudflare(cache=proxy) as api,
    ):
        plan = RunPlan(_cloudflare(proxy), (Target.path("/a"),), secret=SECRET, purge_cdn=True)
        session, events = _run(plan, api.api, tmp_path / "h.db", cdn_tokens=tokens)
        assert api.requests == []
    (row,) = session.cdn_results
    assert (row.ok, row.outcome, row.step) == (False, Outcome.WRONG_SECRET, "cdn: Cloudflare")
    assert "No CDN API token" in (row.error or "")
    assert "--cdn-token-env" in (row.hint or "")
    finished = next(e for e in events if isinstance(e, runs.Finished))
    assert finished.summary.ok == 1
    retry = session.retry_failed()  # the CDN's failure is retried: origin again, then the CDN
    assert retry is not None
    assert (retry.targets, retry.purge_cdn) == ((Target.path("/a"),), True)


def test_a_cdn_run_with_a_failed_origin_target_purges_only_the_refreshed(tmp_path: Path) -> None:
    from tests.helpers.sites import Reply

    with (
        CaseSite(Behaviour.REGENERATES, secret=SECRET) as origin,
        CachingProxy(origin.url) as proxy,
        FakeCloudflare(cache=proxy) as api,
    ):
        origin.on("/bad", Reply(500, {"message": "boom"}), repeat=True)
        profile = replace(_cloudflare(proxy), retries=0)
        plan = RunPlan(profile, (Target.path("/a"), Target.path("/bad")), secret=SECRET,
                       purge_cdn=True, cdn_token=CF_TOKEN)  # fmt: skip
        session, events = _run(plan, api.api, tmp_path / "h.db")
        assert api.purged == [("files", [f"{proxy.url}/a"])]
    warnings = [e.text for e in events if isinstance(e, runs.RunWarning)]
    assert warnings == [
        "1 target(s) were not refreshed at the origin, so the CDN (cdn: Cloudflare) was not "
        "purged for them: retry them first"
    ]
    assert session.failed_targets == [Target.path("/bad")]


def test_a_site_without_a_cdn_says_so_and_purges_nothing(tmp_path: Path) -> None:
    with CaseSite(Behaviour.REGENERATES, secret=SECRET) as origin:
        plan = RunPlan(SiteProfile("Blog", origin.url), (Target.path("/a"),), secret=SECRET,
                       purge_cdn=True)  # fmt: skip
        session, events = _run(plan, "http://127.0.0.1:9", tmp_path / "h.db")
    assert session.cdn_results == []
    assert [e.text for e in events if isinstance(e, runs.RunWarning)] == [
        "Site 'Blog' has no CDN set: nothing was purged"
    ]
