"""Shared pieces of the CDN contract tests: profiles, a purger on the app's client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from isr_desk.domain import CdnProvider, CdnSettings, PathPurge, Result, SiteProfile, Target
from isr_desk.services.cdn import CdnPurger, Policy
from isr_desk.services.http import make_client
from tests.helpers.cdn import ZONE, FakeTimer

T = TypeVar("T")
SITE = "https://www.example.com"


def cloudflare_site(path_purge: PathPurge = PathPurge.URLS, **kw: Any) -> SiteProfile:
    cdn = CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE, path_purge=path_purge, **kw)
    return SiteProfile("blog", SITE, cdn=cdn)


def vercel_site(**kw: Any) -> SiteProfile:
    return SiteProfile("blog", SITE, cdn=CdnSettings(CdnProvider.VERCEL, project="blog", **kw))


def run(scenario: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with make_client() as client:
            return await scenario(client)

    return asyncio.run(main())


def purger(
    client: httpx.AsyncClient, api: str, timer: FakeTimer | None = None, **policy: Any
) -> CdnPurger:
    bases = {CdnProvider.CLOUDFLARE: api, CdnProvider.VERCEL: api}
    return CdnPurger(client, bases=bases, timer=timer or FakeTimer(), policy=Policy(**policy))


async def purge_all(
    p: CdnPurger, profile: SiteProfile, token: str, targets: list[Target]
) -> list[Result]:
    rows: list[Result] = []
    async for batch in p.purge(profile, token, targets):
        rows.extend(batch)
    return rows
