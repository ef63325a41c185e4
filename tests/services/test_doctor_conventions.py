"""Doctor and engine agree (issue 14): a same-origin 308 the engine follows is named with
the exact endpoint setting; a site URL without the base path points at the base path."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from isr_desk.domain import Endpoint, Preset, SecretPlacement, SiteProfile
from isr_desk.services.doctor import Finding, Level, check_endpoint
from isr_desk.services.http import make_client
from isr_desk.services.sites import ProfileStore
from tests.helpers.sites import NextLikeSite, Page

ISR = str(Path(sys.executable).with_name("isr-desk"))
SHAPES = Path(__file__).parents[1] / "fixtures" / "next-shapes"


def doctor(
    profile: SiteProfile, secret: str | None = None, path: str | None = None
) -> list[Finding]:
    async def main() -> list[Finding]:
        async with make_client() as client:
            return await check_endpoint(client, profile, secret, path=path)

    return asyncio.run(main())


def test_trailing_slash_redirect_of_the_route_names_the_endpoint_fix() -> None:
    with NextLikeSite({"/blog/x": Page()}, trailing_slash=True) as site:
        profile = SiteProfile("blog", site.url, retries=0)
        found = doctor(profile, site.secret, path="/blog/x")
    text = "\n".join(f"{f.title} {f.detail} {f.hint}" for f in found)
    assert "redirects are not followed" not in text
    moved = next(f for f in found if "redirects (308)" in f.title)
    assert moved.level is Level.WARNING
    assert moved.hint == "Set the endpoint path to /api/revalidate/ (--endpoint /api/revalidate/)."
    assert [f.title for f in found if f.level is Level.PROBLEM] == []
    assert any(f.title.startswith("The stored secret works") for f in found)


def test_missing_base_path_points_at_the_base_path_the_build_knows() -> None:
    with NextLikeSite({"/blog/x": Page()}, base_path="/shop") as site:
        profile = SiteProfile(
            "shop", site.origin, manifest_source=str(SHAPES / "next14-shop"), retries=0
        )
        found = doctor(profile)
        expected = f"{site.origin}/shop"
        fixed = doctor(replace(profile, base_path="/shop"))
    problem = next(f for f in found if f.level is Level.PROBLEM)
    assert problem.title == "The site has the base path /shop, which its settings lack"
    assert problem.hint == (
        f"Set it: isr-desk site edit shop --base-path /shop (requests then go to {expected})."
    )
    assert [f.title for f in fixed if f.level is Level.PROBLEM] == []


def test_header_secret_route_answering_403_is_judged_a_rejection() -> None:
    with NextLikeSite({"/a": Page()}, secret_header="x-revalidate-token") as site:
        endpoint = Endpoint(
            Preset.CUSTOM,
            secret_placement=SecretPlacement.HEADER,
            secret_name="x-revalidate-token",
        )
        found = doctor(SiteProfile("h", site.url, endpoint, retries=0), "wrong", path="/a")
    failed = next(f for f in found if f.title.startswith("Revalidating /a failed"))
    assert "header `x-revalidate-token`" in (failed.hint or "")


def test_tag_only_profile_works_in_site_add_show_and_doctor() -> None:
    with NextLikeSite({"/a": Page(tags=("posts",))}) as site:
        add = subprocess.run(
            [ISR, "site", "add", "tags", "--url", site.url, "--preset", "custom",
             "--url-template", "", "--tag-url-template", "{url}/api/revalidate?tag={tag}",
             "--method", "GET"],
            capture_output=True, text=True, env=os.environ, timeout=60, check=False,
        )  # fmt: skip
        assert add.returncode == 0, add.stderr
        show = subprocess.run(
            [ISR, "site", "show", "tags"], capture_output=True, text=True, timeout=60, check=False
        )
        assert show.returncode == 0, show.stderr
        assert "tag=posts" in show.stdout
        done = subprocess.run(
            [ISR, "doctor", "tags"], capture_output=True, text=True, timeout=60, check=False
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Rejects a request with a wrong secret" in done.stdout
    assert ProfileStore().get("tags").endpoint.url_template == ""
