"""Vercel's edge cache: invalidate by tag (docs/cdn.md cites the API pages).

``POST /v1/edge-cache/invalidate-by-tags?projectIdOrName=P[&teamId=T]`` with
``Authorization: Bearer TOKEN`` and ``{"tags": [...], "target": "production"|"preview"}``;
1 to 16 tags a call, each at most 256 characters. Errors are ``{"error": {"code",
"message"}}``; a 429 says when to try again in ``error.limit.reset`` (epoch seconds)
besides ``Retry-After``.

Vercel's API has no purge by path or URL: its CDN cache keys are not configurable and only
tags are purged. A path target is reported as not supported, with what to do instead.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from isr_desk.domain import SiteProfile, Target, TargetKind
from isr_desk.services.cdn._plan import Batch, CdnError, PurgePlan, api_base, chunks

DEFAULT_API = "https://api.vercel.com"
API_ENV = "ISR_DESK_VERCEL_API"  # tests point this at a loopback fake
BATCH = 16  # at most 16 tags per bulk call (docs/cdn.md); a bigger call is refused with a 400
MAX_TAG = 256  # "maxLength": 256 per tag in the API's request schema
NO_PATHS = (
    "Vercel's API purges by cache tag only (no purge by path or URL). A Next.js page on "
    "Vercel is refreshed at Vercel's cache by the origin revalidation itself; otherwise "
    "give the page a cache tag and purge the tag"
)


class Vercel:
    name = "Vercel"

    def __init__(self, base: str | None = None) -> None:
        self._given = base

    def plan(self, profile: SiteProfile, targets: Sequence[Target]) -> PurgePlan:
        cdn = profile.cdn
        if not cdn.project:
            raise CdnError(
                f"Site {profile.name!r} has no Vercel project set",
                hint=f"isr-desk site edit {profile.name} --cdn vercel --cdn-project NAME",
            )
        unsupported: list[tuple[Target, str]] = []
        tags: list[tuple[str, Target]] = []
        for target in targets:
            if target.kind is TargetKind.PATH:
                unsupported.append((target, NO_PATHS))
            elif len(target.value) > MAX_TAG:
                unsupported.append((target, f"Vercel takes tags of at most {MAX_TAG} characters"))
            else:
                tags.append((target.value, target))
        batches = tuple(chunks(tags, BATCH, "tags"))
        return PurgePlan(cdn.step, batches, tuple(unsupported))

    def endpoint(self, profile: SiteProfile) -> str:
        base = api_base(DEFAULT_API, API_ENV, self._given)
        query = {"projectIdOrName": profile.cdn.project}
        if profile.cdn.team:
            query["teamId"] = profile.cdn.team
        return f"{base}/v1/edge-cache/invalidate-by-tags?{urlencode(query)}"

    def body(self, profile: SiteProfile, batch: Batch) -> dict[str, Any]:
        return {"tags": list(batch.items), "target": profile.cdn.target}

    def errors(self, body: Any) -> list[str]:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return []
        code, message = error.get("code"), error.get("message")
        return [": ".join(str(p) for p in (code, message) if p)]

    def succeeded(self, status: int, body: Any) -> bool:
        return 200 <= status < 300 and not self.errors(body)

    def body_wait(self, body: Any) -> float | None:
        error = body.get("error") if isinstance(body, dict) else None
        limit = error.get("limit") if isinstance(error, dict) else None
        reset = limit.get("reset") if isinstance(limit, dict) else None
        if isinstance(reset, int | float) and not isinstance(reset, bool):
            return max(0.0, float(reset) - time.time())
        return None

    def token_hint(self, profile: SiteProfile) -> str:
        team = f" and team {profile.cdn.team}" if profile.cdn.team else ""
        return (
            f"Vercel refused the API token of site {profile.name!r}: it must be a token of "
            f"the account{team} that owns project {profile.cdn.project!r}. Store a new one "
            f"with `isr-desk site edit {profile.name} --cdn-token-env VAR`, or Set token… in "
            "the site's settings"
        )
