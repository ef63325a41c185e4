"""Verify: real loopback sites that regenerate, never change, go STALE first, sit behind a
caching proxy or fail — and the demo site — each get the verdict a user needs to read."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from isr_desk.domain import Endpoint, Preset, Result, SiteProfile, Target
from isr_desk.services.demo import MANIFEST_PATH, DemoSite
from isr_desk.services.http import make_client
from isr_desk.services.manifest import load_manifest
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.verify import (
    PageState,
    Verdict,
    Verifier,
    count_verdicts,
    plan,
    snapshot_all,
    stale_instances,
    tag_paths_of,
    verify_results,
    verify_stream,
)
from tests.helpers.sites import (
    REVALIDATE_PATH,
    Behaviour,
    CachingProxy,
    CaseSite,
    LoopbackSite,
    Reply,
    free_port,
)

T = TypeVar("T")
ISR = str(Path(sys.executable).with_name("isr-desk"))


class Pauses:
    """A sleep that records the pauses asked for and returns at once."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def run(scenario: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run ``scenario`` on a fresh event loop with the app's shared client."""

    async def main() -> T:
        async with make_client() as client:
            return await scenario(client)

    return asyncio.run(main())


@pytest.fixture
def case(request: pytest.FixtureRequest) -> Iterator[CaseSite]:
    behaviour, options = request.param if isinstance(request.param, tuple) else (request.param, {})
    with CaseSite(behaviour, **options) as site:
        yield site


async def revalidate(
    client: httpx.AsyncClient, profile: SiteProfile, secret: str, *targets: Target
) -> list[Result]:
    run = Revalidator(client).start(profile, secret, list(targets))
    results = [result async for result in run]
    assert all(r.ok for r in results), results
    return results


async def check(
    client: httpx.AsyncClient,
    profile: SiteProfile,
    secret: str,
    target: Target,
    *,
    tag_paths: dict[str, tuple[str, ...]] | None = None,
    attempts: int = 3,
    pauses: Pauses | None = None,
) -> list[Any]:
    verifier = Verifier(client, sleep=pauses or Pauses())
    before = await snapshot_all(verifier, plan(profile, [target], tag_paths=tag_paths))
    results = await revalidate(client, profile, secret, target)
    return await verify_results(
        verifier, profile, results, before, tag_paths=tag_paths, attempts=attempts
    )


# --- one case each ----------------------------------------------------------------------


@pytest.mark.parametrize("case", [Behaviour.REGENERATES], indirect=True)
def test_a_page_that_changes_is_regenerated_with_the_etags_as_evidence(case: CaseSite) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        profile = SiteProfile("s", case.url)
        (verdict,) = await check(client, profile, case.secret, Target.path("/blog/a"))
        assert verdict.verdict is Verdict.REGENERATED
        assert verdict.label == "Regenerated"
        assert verdict.before.etag != verdict.after.etag
        assert verdict.before.etag in verdict.detail
        assert verdict.after.etag in verdict.detail
        assert verdict.after.nextjs_cache == "MISS"  # the rebuilt copy, served on the first visit
        assert case.version("/blog/a") == 2
        rows = {row[0]: row[1:] for row in verdict.evidence()}
        assert rows["etag"] == (verdict.before.etag, verdict.after.etag)
        assert rows["x-nextjs-cache"] == ("HIT", "MISS")

    run(scenario)


@pytest.mark.parametrize("case", [Behaviour.REGENERATES], indirect=True)
def test_miss_then_hit_counts_as_regenerated_without_an_earlier_copy(case: CaseSite) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        profile = SiteProfile("s", case.url)
        await revalidate(client, profile, case.secret, Target.path("/a"))
        verification = await Verifier(client).verify(None, case.url + "/a", tag_purge=False)
        assert verification.verdict is Verdict.REGENERATED
        assert "MISS, then HIT" in verification.detail
        assert verification.fetches == 2
        assert verification.after.nextjs_cache == "HIT"

    run(scenario)


@pytest.mark.parametrize("case", [Behaviour.NEVER_CHANGES], indirect=True)
def test_a_page_that_never_changes_is_unchanged_though_the_route_said_true(case: CaseSite) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        profile = SiteProfile("s", case.url)
        (verdict,) = await check(client, profile, case.secret, Target.path("/a"))
        assert case.revalidated == ["path:/a"]
        assert verdict.verdict is Verdict.UNCHANGED
        assert "(HIT)" in verdict.detail
        assert "not rebuilt" in verdict.detail
        assert verdict.before.etag == verdict.after.etag
        assert not verdict.ok

    run(scenario)


@pytest.mark.parametrize("case", [(Behaviour.STALE_THEN_FRESH, {"stale_for": 2})], indirect=True)
def test_stale_then_fresh_is_polled_with_short_pauses_until_it_changes(case: CaseSite) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        profile = SiteProfile("s", case.url)
        pauses = Pauses()
        (verdict,) = await check(
            client, profile, case.secret, Target.tag("blog"),
            tag_paths={"blog": ("/blog/a",)}, pauses=pauses,
        )  # fmt: skip
        assert verdict.verdict is Verdict.REGENERATED
        assert "STALE" in verdict.detail
        assert verdict.target == Target.tag("blog")
        assert pauses.asked == [0.25, 0.5]  # STALE, STALE, then the new copy
        assert verdict.fetches == 3
        assert verdict.after.nextjs_cache == "HIT"

    run(scenario)


@pytest.mark.parametrize("case", [(Behaviour.STALE_THEN_FRESH, {"stale_for": 9})], indirect=True)
def test_still_stale_after_the_bounded_polls_will_refresh_on_next_visit(case: CaseSite) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        profile = SiteProfile("s", case.url)
        pauses = Pauses()
        (verdict,) = await check(
            client, profile, case.secret, Target.tag("blog"),
            tag_paths={"blog": ("/blog/a",)}, pauses=pauses,
        )  # fmt: skip
        assert verdict.verdict is Verdict.WILL_REFRESH
        assert verdict.label == "Will refresh on next visit"
        assert "'max' profile" in verdict.detail
        assert pauses.asked == [0.25, 0.5, 1.0]
        assert case.page_gets("/blog/a") == 1 + 4  # the snapshot, then 1 + 3 polls
        assert verdict.ok

    run(scenario)


@pytest.mark.parametrize("style", ["x-cache", "cloudflare", "vercel", "age"])
def test_a_caching_proxy_serving_the_old_copy_is_cdn_stale(style: str) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        with (
            CaseSite(Behaviour.REGENERATES) as origin,
            CachingProxy(origin.url, style=style) as cdn,
        ):
            profile = SiteProfile("s", cdn.url)  # the route passes through to the origin
            (verdict,) = await check(client, profile, origin.secret, Target.path("/a"))
            assert origin.revalidated == ["path:/a"]
            fresh = await Verifier(client).snapshot(origin.url + "/a")
        assert verdict.verdict is Verdict.CDN_STALE
        assert verdict.label == "CDN still serving old copy"
        shown = {"x-cache": "x-cache: HIT", "cloudflare": "cf-cache-status: HIT",
                 "vercel": "x-vercel-cache: HIT", "age": "age: 6"}[style]  # fmt: skip
        assert shown in verdict.detail
        assert verdict.after.etag == verdict.before.etag != fresh.etag  # the origin did change

    run(scenario)


def test_page_errors_say_what_went_wrong(site: LoopbackSite) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        site.on("/gone", lambda rec: Reply(404, "not here"), repeat=True)
        verifier = Verifier(client)
        missing = await verifier.verify(None, site.url + "/gone", tag_purge=False)
        assert missing.verdict is Verdict.FAILED
        assert missing.label == "Page error"
        assert "404" in missing.detail
        down = await verifier.verify(None, f"http://127.0.0.1:{free_port()}/a", tag_purge=False)
        assert down.verdict is Verdict.FAILED
        assert "could not connect" in down.detail
        assert down.path == "/a"

    run(scenario)


def test_without_etags_the_body_hash_decides(site: LoopbackSite) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        bodies = iter(["<p>one</p>", "<p>one</p>", "<p>two</p>"])
        site.on("/plain", lambda rec: Reply(200, next(bodies)), repeat=True)
        verifier = Verifier(client)
        before = await verifier.snapshot(site.url + "/plain")
        same = await verifier.verify(before, site.url + "/plain", tag_purge=False)
        assert same.verdict is Verdict.UNCHANGED
        assert "data the page is built from may not have changed" in same.detail
        changed = await verifier.verify(before, site.url + "/plain", tag_purge=False)
        assert changed.verdict is Verdict.REGENERATED
        assert "body changed" in changed.detail

    run(scenario)


def test_pages_are_fetched_without_the_secret_and_the_body_read_is_bounded(
    site: LoopbackSite,
) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        big = iter(["x" * 5000 + "a", "x" * 5000 + "b"])
        site.on("/big", lambda rec: Reply(200, next(big)), repeat=True)
        verifier = Verifier(client, max_body_bytes=4096, headers=[("X-Staging", "let-me-in")])
        first = await verifier.snapshot(site.url + "/big")
        second = await verifier.snapshot(site.url + "/big")
        assert first.body_sha256 == second.body_sha256  # the difference is past the cap
        for rec in site.requests:
            assert rec.method == "GET"
            assert rec.query == {}
            assert "authorization" not in rec.headers
            assert site.secret not in str(rec.headers)
            assert rec.headers["x-staging"] == "let-me-in"

    run(scenario)


# --- the demo site, tags through the manifest -------------------------------------------


def test_the_demo_site_path_and_tag_verdicts() -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        with DemoSite() as demo:
            profile = demo.profile()
            tag_paths = tag_paths_of(
                await asyncio.to_thread(load_manifest, demo.url + MANIFEST_PATH)
            )
            (path,) = await check(client, profile, demo.secret, Target.path(demo.pages[0].path))
            assert path.verdict is Verdict.REGENERATED
            tag = demo.pages[1].tags[0]
            pages = tag_paths[tag]
            no_poll = await check(
                client, profile, demo.secret, Target.tag(tag), tag_paths=tag_paths, attempts=0
            )
            polled = await check(client, profile, demo.secret, Target.tag(tag), tag_paths=tag_paths)
        assert [v.path for v in no_poll] == list(pages[:20])
        assert {v.verdict for v in no_poll} == {Verdict.WILL_REFRESH}  # STALE, no poll allowed
        assert {v.verdict for v in polled} == {Verdict.REGENERATED}  # STALE, then the new copy
        assert all(v.target == Target.tag(tag) for v in polled)

    run(scenario)


def test_a_tag_no_manifest_maps_is_not_checked(site: LoopbackSite) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        profile = SiteProfile("s", site.url)
        found = await check(client, profile, site.secret, Target.tag("posts"))
        assert [(v.verdict, v.target) for v in found] == [
            (Verdict.NOT_CHECKED, Target.tag("posts"))
        ]
        assert found[0].to_json()["kind"] == "tag"

    run(scenario)


# --- instances and the run-level helpers ------------------------------------------------


def test_two_instances_one_regenerates_one_stays_stale() -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        with CaseSite(Behaviour.REGENERATES) as good, CaseSite(Behaviour.NEVER_CHANGES) as bad:
            profile = SiteProfile("s", good.url, instances=(good.url, bad.url))
            targets = [Target.path("/a"), Target.path("/b")]
            verifier = Verifier(client)
            checks = plan(profile, targets)
            assert [c.key for c in checks] == [
                (good.url, "/a"), (bad.url, "/a"), (good.url, "/b"), (bad.url, "/b"),
            ]  # fmt: skip
            before = await snapshot_all(verifier, checks, concurrency=2)
            results = await revalidate(client, profile, good.secret, *targets)
            found = await verify_results(verifier, profile, results, before, concurrency=2)
            streamed = [v async for v in verify_stream(verifier, profile, results, before)]
        # Pages come in the order their results arrived; each page's instances in profile order.
        by_page = sorted(found, key=lambda v: v.path)
        assert [(v.instance, v.path, v.verdict) for v in by_page] == [
            (good.url, "/a", Verdict.REGENERATED),
            (bad.url, "/a", Verdict.UNCHANGED),
            (good.url, "/b", Verdict.REGENERATED),
            (bad.url, "/b", Verdict.UNCHANGED),
        ]
        assert stale_instances(found) == {"/a": [bad.url], "/b": [bad.url]}
        assert count_verdicts(found) == {Verdict.REGENERATED: 2, Verdict.UNCHANGED: 2}
        assert len(streamed) == 4
        assert found[1].to_json()["instance"] == bad.url

    run(scenario)


def test_only_successful_revalidations_are_verified(site: LoopbackSite) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        site.on("/a", lambda rec: Reply(200, "a"), repeat=True)
        profile = SiteProfile("s", site.url, retries=0)
        site.on(
            REVALIDATE_PATH,
            Reply(200, {"revalidated": True}),
            Reply(401, {"message": "Invalid token"}),
        )
        run = Revalidator(client).start(
            profile, site.secret, [Target.path("/a"), Target.path("/b")]
        )
        results = [r async for r in run]
        found = await verify_results(Verifier(client), profile, results, {})
        assert [v.path for v in found] == [r.target.value for r in results if r.ok]

    run(scenario)


def test_plan_dedupes_pages_and_bounds_tags() -> None:
    profile = SiteProfile("s", "http://127.0.0.1:9/base/")
    tag_paths = {"posts": [f"/p/{i}" for i in range(50)] + ["/a"]}
    checks = plan(profile, [Target.path("/p/1"), Target.tag("posts")], tag_paths=tag_paths)
    assert checks[0].target == Target.path("/p/1")
    assert not checks[0].tag_purge
    assert checks[0].url == "http://127.0.0.1:9/base/p/1"
    assert len(checks) == 20  # /p/1 once, then the tag's first pages up to 20 in all
    assert all(c.tag_purge for c in checks[1:])
    assert plan(profile, [Target.tag("posts")], tag_paths=lambda tag: None) == []


def test_page_state_rules() -> None:
    a = PageState("u", 200, etag='"1"', body_sha256="x")
    assert a.same_content(PageState("u", 200, etag='"1"', body_sha256="y"))  # ETags win
    assert not a.same_content(PageState("u", 200, etag='"2"', body_sha256="x"))
    assert PageState("u", 200, age=0).cdn_hit() is None
    assert PageState("u", 200, cf_cache="DYNAMIC").cdn_hit() is None
    assert PageState("u", 503).failed
    assert PageState("u", error="boom").failed


# --- the CLI ----------------------------------------------------------------------------


def isr(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ISR, *args], input=stdin, capture_output=True, text=True, env=os.environ, timeout=120
    )


@pytest.fixture
def two_instances(unique_name: str, real_keyring: object) -> Iterator[tuple[str, str, str]]:
    with CaseSite(Behaviour.REGENERATES) as good, CaseSite(Behaviour.NEVER_CHANGES) as bad:
        added = isr(
            "site", "add", unique_name, "--url", good.url, "--instance", good.url,
            "--instance", bad.url, "--preset", "bearer", "--secret-stdin", stdin=good.secret,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        yield unique_name, good.url, bad.url
        isr("site", "remove", unique_name)


def test_cli_verify_json_names_the_instance_still_serving_old_content(
    two_instances: tuple[str, str, str],
) -> None:
    name, good, bad = two_instances
    done = isr("revalidate", name, "--path", "/a", "--verify", "--json")
    assert done.returncode == 0, done.stderr  # Unchanged does not fail the run...
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    results, verifies, summary = lines[:2], lines[2:4], lines[4]
    assert {r["instance"] for r in results} == {good, bad}
    assert all(r["ok"] for r in results)
    assert [(v["verify"]["instance"], v["verify"]["verdict"]) for v in verifies] == [
        (good, "regenerated"),
        (bad, "unchanged"),
    ]
    assert verifies[0]["verify"]["label"] == "Regenerated"
    assert summary == {"summary": {**summary["summary"], "total": 2, "ok": 2, "failed": 0}}
    strict = isr("revalidate", name, "--path", "/b", "--verify-strict")
    assert strict.returncode == 1, strict.stdout  # ...unless asked to
    out = strict.stdout.splitlines()
    assert any(line.startswith(f"verify ✓ /b @ {good}  Regenerated") for line in out), out
    assert any(line.startswith(f"verify ! /b @ {bad}  Unchanged") for line in out), out
    assert f"Still serving the old copy of /b: {bad}" in out
    assert out[-1].startswith("2 of 2 refreshed")


def test_cli_verify_tags_through_the_manifest(unique_name: str, real_keyring: object) -> None:
    with DemoSite() as demo:
        added = isr(
            "site", "add", unique_name, "--url", demo.url,
            "--manifest", demo.url + MANIFEST_PATH, "--secret-stdin", stdin=demo.secret,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        tag = demo.pages[1].tags[0]
        done = isr("revalidate", unique_name, "--tag", tag, "--verify", "--json")
        isr("site", "remove", unique_name)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    verifies = [line["verify"] for line in lines if "verify" in line]
    assert verifies
    assert all(v["kind"] == "tag" and v["target"] == tag for v in verifies)
    assert {v["verdict"] for v in verifies} == {"regenerated"}
    assert "summary" in lines[-1]


def test_cli_verify_is_off_by_default_and_sends_no_page_gets(
    unique_name: str, real_keyring: object
) -> None:
    with CaseSite(Behaviour.REGENERATES) as case:
        profile = SiteProfile("x", case.url, endpoint=Endpoint(preset=Preset.BEARER))
        assert profile.bases == (case.url,)
        added = isr("site", "add", unique_name, "--url", case.url, "--secret-stdin",
                    stdin=case.secret)  # fmt: skip
        assert added.returncode == 0, added.stderr
        done = isr("revalidate", unique_name, "--path", "/a")
        isr("site", "remove", unique_name)
        assert done.returncode == 0, done.stderr
        assert case.page_gets("/a") == 0
        assert "verify" not in done.stdout


def test_cli_verify_strict_counts_not_checked_as_no_proof(
    unique_name: str, real_keyring: object
) -> None:
    """A tag without the site's manifest cannot be checked: plain --verify still exits 0,
    --verify-strict (a CI gate) exits 1."""
    with DemoSite() as demo:
        added = isr(
            "site", "add", unique_name, "--url", demo.url, "--secret-stdin", stdin=demo.secret
        )
        assert added.returncode == 0, added.stderr
        tag = demo.pages[1].tags[0]
        loose = isr("revalidate", unique_name, "--tag", tag, "--verify")
        strict = isr("revalidate", unique_name, "--tag", tag, "--verify-strict")
    assert loose.returncode == 0, loose.stdout + loose.stderr
    assert "Not checked" in loose.stdout
    assert strict.returncode == 1, strict.stdout + strict.stderr
