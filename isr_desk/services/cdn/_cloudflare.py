"""Cloudflare's cache: purge by URL, tag, prefix or host (docs/cdn.md cites the API pages).

``POST /client/v4/zones/{zone_id}/purge_cache`` with ``Authorization: Bearer TOKEN`` and one
kind per call: ``{"files": [...]}``, ``{"tags": [...]}``, ``{"prefixes": [...]}`` or
``{"hosts": [...]}``. The answer is ``{"success", "errors": [{"code", "message"}],
"messages", "result": {"id"}}``; a 429 carries ``Retry-After``. At most 100 items per call
(every plan; Enterprise takes 500 URLs); a prefix purge at most 30 per call.

A run's tags are purged as tags; its paths as page URLs on the site's public address
(``files``), as URL prefixes (``prefixes``: the page and everything under it), or as the
whole host (``hosts``), as the site's settings say. URLs are as a browser requests them
(non-ASCII percent-encoded). With prefixes, a route pattern is purged by its static part
(``/blog/[slug]`` → ``host/blog``); one with no static part would purge the whole host and is
not purged (a row says why: choose host purging to do that); the home page ``/`` is purged as
its URL, never as the prefix of the whole host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from isr_desk.domain import PathPurge, SiteProfile, Target, TargetKind
from isr_desk.services.cdn._plan import Batch, CdnError, PurgePlan, api_base, chunks
from isr_desk.services.sites import is_pattern, site_path, static_prefix, visitor_url

DEFAULT_API = "https://api.cloudflare.com/client/v4"
API_ENV = "ISR_DESK_CLOUDFLARE_API"  # tests point this at a loopback fake
BATCH = 100
PREFIX_BATCH = 30
_KINDS = {PathPurge.URLS: "files", PathPurge.PREFIXES: "prefixes", PathPurge.HOSTS: "hosts"}


class Cloudflare:
    name = "Cloudflare"

    def __init__(self, base: str | None = None) -> None:
        self._given = base

    def plan(self, profile: SiteProfile, targets: Sequence[Target]) -> PurgePlan:
        cdn = profile.cdn
        if not cdn.zone:
            raise CdnError(
                f"Site {profile.name!r} has no Cloudflare zone set",
                hint=f"isr-desk site edit {profile.name} --cdn cloudflare --cdn-zone ZONE_ID",
            )
        public = cdn.public_url or profile.base_url
        kind = _KINDS[cdn.path_purge]
        tags: list[tuple[str, Target]] = []
        urls: list[tuple[str, Target]] = []
        paths: list[tuple[str, Target]] = []
        unsupported: list[tuple[Target, str]] = []
        for target in targets:
            if target.kind is TargetKind.TAG:
                tags.append((target.value, target))
                continue
            value, why = _path_value(kind, target.value, profile.base_path)
            url = visitor_url(profile, public, value)
            if why:
                unsupported.append((target, why))
            elif kind == "prefixes" and site_path(value, base_path=profile.base_path) == "/":
                urls.append((url, target))  # the home page, not every page of the host
            else:
                paths.append((_item(kind, url), target))
        size = PREFIX_BATCH if kind == "prefixes" else BATCH
        batches = (
            *chunks(tags, BATCH, "tags"),
            *chunks(urls, BATCH, "files"),
            *chunks(paths, size, kind),
        )
        return PurgePlan(cdn.step, batches, tuple(unsupported))

    def endpoint(self, profile: SiteProfile) -> str:
        base = api_base(DEFAULT_API, API_ENV, self._given)
        return f"{base}/zones/{quote(profile.cdn.zone, safe='')}/purge_cache"

    def body(self, profile: SiteProfile, batch: Batch) -> dict[str, Any]:
        return {batch.kind: list(batch.items)}

    def errors(self, body: Any) -> list[str]:
        errors = body.get("errors") if isinstance(body, dict) else None
        found = []
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, dict):
                code, message = error.get("code"), error.get("message")
                found.append(" ".join(str(p) for p in (code, message) if p is not None))
        return found

    def succeeded(self, status: int, body: Any) -> bool:
        return 200 <= status < 300 and isinstance(body, dict) and body.get("success") is True

    def body_wait(self, body: Any) -> float | None:
        return None

    def token_hint(self, profile: SiteProfile) -> str:
        return (
            f"Cloudflare refused the API token of site {profile.name!r}: it needs the "
            f"Zone · Cache Purge permission on zone {profile.cdn.zone}. Store a new one with "
            f"`isr-desk site edit {profile.name} --cdn-token-env VAR`, or Set token… in the "
            "site's settings"
        )


def _path_value(kind: str, value: str, base_path: str) -> tuple[str, str]:
    """(the path to purge for ``value``, or why it is not purged)."""
    if not is_pattern(value) or kind == "hosts":
        return value, ""
    if kind == "files":
        return value, (
            "A route pattern names no single URL: purge by prefix or host in the site's CDN "
            "settings"
        )
    prefix = static_prefix(site_path(value, base_path=base_path))
    if prefix == "/":
        return value, (
            "A route pattern with no static part would purge the whole host by prefix: "
            "choose host purging in the site's CDN settings to do that"
        )
    return prefix, ""


def _item(kind: str, url: str) -> str:
    """A page URL as the purge kind names it: the URL, host/path (a prefix), or the host."""
    if kind == "files":
        return url
    parts = urlsplit(url)
    host = parts.netloc
    if kind == "hosts":
        return parts.hostname or host
    return host + parts.path.rstrip("/") if parts.path not in ("", "/") else host
