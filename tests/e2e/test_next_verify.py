"""Verify against the real Next.js 16 site: a page left alone is Unchanged, a path
revalidation is Regenerated on the first visit (MISS), a tag purge with the ``max`` profile
serves STALE first and is then Regenerated (or, if the rebuild is slow, Will refresh)."""

from __future__ import annotations

import asyncio

import pytest

from isr_desk.domain import Endpoint, Preset, Result, SiteProfile, Target
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.verify import (
    Verdict,
    Verification,
    Verifier,
    plan,
    snapshot_all,
    verify_results,
)
from tests.e2e.conftest import NextSite

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SLUG = "cache-tags"
PATH = f"/posts/{SLUG}"
TAG = f"post:{SLUG}"


def test_verify_tells_unchanged_regenerated_and_stale_apart(next_site: NextSite) -> None:
    next_site.settle(PATH)
    profile = SiteProfile("next", next_site.url, endpoint=Endpoint(preset=Preset.BEARER))
    title = next_site.unique("Verified")
    tag_paths = {TAG: (PATH,)}

    async def revalidate_and_verify(verifier: Verifier, target: Target) -> Verification:
        before = await snapshot_all(verifier, plan(profile, [target], tag_paths=tag_paths))
        async with make_client() as client:
            run = Revalidator(client).start(profile, next_site.secret, [target])
            results: list[Result] = [r async for r in run]
        assert [r.ok for r in results] == [True], results
        (found,) = await verify_results(verifier, profile, results, before, tag_paths=tag_paths)
        return found

    async def main() -> tuple[Verification, Verification, Verification]:
        async with make_client() as client:
            verifier = Verifier(client)
            url = next_site.url + PATH
            untouched = await verifier.verify(await verifier.snapshot(url), url, tag_purge=False)
            next_site.edit_post(SLUG, title=title)
            by_path = await revalidate_and_verify(verifier, Target.path(PATH))
            next_site.edit_post(SLUG, body=next_site.unique("Body"))
            by_tag = await revalidate_and_verify(verifier, Target.tag(TAG))
            return untouched, by_path, by_tag

    untouched, by_path, by_tag = asyncio.run(main())
    assert untouched.verdict is Verdict.UNCHANGED, untouched
    assert "(HIT)" in untouched.detail
    assert by_path.verdict is Verdict.REGENERATED, by_path
    assert by_path.after.nextjs_cache == "MISS"
    assert by_path.before.etag != by_path.after.etag
    assert by_tag.verdict in (Verdict.REGENERATED, Verdict.WILL_REFRESH), by_tag
    assert "STALE" in by_tag.detail
    assert by_tag.target == Target.tag(TAG)
    assert next_site.settle(PATH).title == title
