"""Issue 14: "Refreshed" must mean refreshed — against a loopback site that behaves like Next.

Each test is one observed failure: the engine sends the form the site's conventions need,
and verify fetches the public URL and cannot be fooled by the site's own rebuilds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx

from isr_desk.domain import Result, SiteProfile, Target
from isr_desk.services.http import make_client
from isr_desk.services.manifest import load_manifest
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.sites import parse_target
from isr_desk.services.verify import (
    Verdict,
    Verification,
    Verifier,
    plan,
    snapshot_all,
    tag_paths_of,
    verify_results,
)
from tests.helpers.sites import NextLikeSite, Page

T = TypeVar("T")
SHAPES = Path(__file__).parents[2] / "fixtures" / "next-shapes"


def run(scenario: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with make_client() as client:
            return await scenario(client)

    return asyncio.run(main())


async def _no_sleep(_: float) -> None:
    return None


def revalidate_and_verify(
    site: NextLikeSite,
    profile: SiteProfile,
    targets: list[Target],
    tag_paths: dict[str, tuple[str, ...]] | None = None,
) -> tuple[list[Result], list[Verification]]:
    async def scenario(client: httpx.AsyncClient) -> tuple[list[Result], list[Verification]]:
        verifier = Verifier(client, sleep=_no_sleep)
        before = await snapshot_all(verifier, plan(profile, targets, tag_paths=tag_paths))
        results = [r async for r in Revalidator(client).start(profile, site.secret, targets)]
        found = await verify_results(verifier, profile, results, before, tag_paths=tag_paths)
        return results, found

    return run(scenario)


def test_base_path_app_router_sends_the_path_without_it_and_verifies_the_public_url() -> None:
    pages = {"/blog/x": Page("/blog/[slug]")}
    with NextLikeSite(pages, base_path="/shop") as site:
        profile = SiteProfile("shop", site.url, base_path="/shop", retries=0)
        # What a user types after reading the old warning, and a pasted public URL.
        typed = parse_target("/shop/blog/x", site=profile)
        pasted = parse_target(f"{site.origin}/shop/blog/x?utm_source=mail", site=profile)
        assert typed == pasted
        results, found = revalidate_and_verify(site, profile, [typed])
    assert [r.ok for r in results] == [True]
    assert site.revalidated == ["path:/blog/x"]  # not /shop/blog/x: that is a no-op
    assert [v.verdict for v in found] == [Verdict.REGENERATED]
    assert found[0].url == f"{site.origin}/shop/blog/x"  # never /shop/shop/...
    assert all(not raw.startswith("/shop/shop") for raw in site.fetched)


def test_trailing_slash_sends_and_fetches_the_slash_form() -> None:
    pages = {"/en/blog/x": Page("/[lang]/blog/[slug]")}
    with NextLikeSite(pages, trailing_slash=True) as site:
        profile = SiteProfile("blog", site.url, trailing_slash=True, retries=0)
        results, found = revalidate_and_verify(site, profile, [Target.path("/en/blog/x")])
    assert results[0].ok
    assert site.revalidated == ["path:/en/blog/x/"]
    assert [v.verdict for v in found] == [Verdict.REGENERATED]
    assert found[0].url.endswith("/en/blog/x/")


def test_non_ascii_path_is_sent_percent_encoded_like_the_cache_key() -> None:
    pages = {"/blog/über-café": Page("/blog/[slug]")}
    with NextLikeSite(pages) as site:
        profile = SiteProfile("shop", site.url, retries=0)
        _, found = revalidate_and_verify(site, profile, [Target.path("/blog/über-café")])
    assert site.revalidated == ["path:/blog/%C3%BCber-caf%C3%A9"]
    assert [v.verdict for v in found] == [Verdict.REGENERATED]


def test_pattern_is_sent_with_type_page_and_verified_on_the_manifests_pages() -> None:
    manifest = load_manifest(str(SHAPES / "next15-blog"))
    tag_paths = tag_paths_of(manifest)
    pages = {p.path: Page(p.pattern) for p in manifest.paths}
    with NextLikeSite(pages, trailing_slash=True) as site:
        profile = SiteProfile("blog", site.url, trailing_slash=True, retries=0)
        pattern = Target.path("/[lang]/blog/[slug]")
        results, found = revalidate_and_verify(site, profile, [pattern], tag_paths)
    assert results[0].ok
    assert site.revalidated == ["path:/[lang]/blog/[slug] (page)"]
    checked = sorted(v.path for v in found)
    assert checked == sorted(p.path for p in manifest.paths if p.pattern == pattern.value)
    assert {v.verdict for v in found} == {Verdict.REGENERATED}  # never a 404 on the pattern
    assert not any("[" in raw for raw in site.fetched)


def test_pattern_without_a_manifest_is_not_checked_rather_than_a_404() -> None:
    with NextLikeSite({"/en/blog/x": Page("/[lang]/blog/[slug]")}) as site:
        profile = SiteProfile("blog", site.url, retries=0)
        _, found = revalidate_and_verify(site, profile, [Target.path("/[lang]/blog/[slug]")])
    assert [v.verdict for v in found] == [Verdict.NOT_CHECKED]
    assert "route pattern" in found[0].detail
    assert site.fetched == []


def test_a_stale_before_snapshot_makes_a_no_op_inconclusive_not_regenerated() -> None:
    # The page's time window ran out: the "before" GET gets STALE and rebuilds the page by
    # itself. The revalidation is a no-op (another page's key): the new content the "after"
    # GET sees is the site's own rebuild, not proof of anything.
    with NextLikeSite({"/blog/x": Page("/blog/[slug]", state="window")}) as site:
        # Set up with a trailing slash the site does not use: the key sent is a no-op.
        noop = SiteProfile("s", site.url, retries=0, trailing_slash=True)
        results, found = revalidate_and_verify(site, noop, [Target.path("/blog/x")])
    assert site.revalidated == ["path:/blog/x/"]  # not the key /blog/x
    assert results[0].ok  # the route said revalidated: true
    assert [v.verdict for v in found] == [Verdict.INCONCLUSIVE]
    assert found[0].detail.startswith("Inconclusive — the page was already being rebuilt")


def test_a_stale_before_still_proves_a_change_when_the_page_is_rebuilt_on_the_visit() -> None:
    with NextLikeSite({"/blog/x": Page("/blog/[slug]", state="window")}) as site:
        profile = SiteProfile("s", site.url, retries=0)
        _, found = revalidate_and_verify(site, profile, [Target.path("/blog/x")])
    # STALE before, then the revalidation expired the key: MISS then HIT proves it.
    assert [v.verdict for v in found] == [Verdict.REGENERATED]


def test_unchanged_page_names_the_form_that_was_sent() -> None:
    with NextLikeSite({"/blog/x": Page("/blog/[slug]")}, trailing_slash=True) as site:
        profile = SiteProfile("s", site.url, retries=0)  # trailingSlash not set: a no-op
        _, found = revalidate_and_verify(site, profile, [Target.path("/blog/x")])
    assert [v.verdict for v in found] == [Verdict.UNCHANGED]
    assert "sent '/blog/x'" in found[0].detail
    assert "no trailing slash" in found[0].detail


def test_a_pages_router_page_sent_to_an_app_router_route_is_named_as_the_cause() -> None:
    manifest = load_manifest(str(SHAPES / "next14-shop"))
    tag_paths = tag_paths_of(manifest)
    with NextLikeSite({"/de/news/hello-world": Page(pages_router=True)}) as site:
        profile = SiteProfile("shop", site.url, retries=0)
        _, found = revalidate_and_verify(
            site, profile, [Target.path("/de/news/hello-world")], tag_paths
        )
    assert [v.verdict for v in found] == [Verdict.UNCHANGED]
    assert "This is a Pages Router page" in found[0].detail
    assert "pages-router preset" in found[0].detail
