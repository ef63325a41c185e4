"""Did it really revalidate? Fetch each page before and after a run and give a verdict.

:class:`Verifier` fetches pages the way a visitor does (GET, no secret, no cache-busting
headers, a bounded body read) and compares what it saw before the run with what it sees
after (docs/nextjs.md, "What a visitor can see after a revalidation"):

* **Regenerated**: the ETag (or, without ETags, the body hash) changed, or the site rebuilt
  the page on this visit (``MISS`` then ``HIT``) or in the background (``STALE`` then ``HIT``);
* **Will refresh on next visit**: still ``STALE`` after a few short polls (a tag purge with
  Next 16's ``max`` profile rebuilds in the background);
* **Unchanged**: the same copy, straight from the site's cache;
* **CDN still serving old copy**: the same copy with ``age`` > 0 or a CDN ``HIT`` header;
* **Page error**: the page could not be fetched or answered 4xx/5xx.

Run level: :func:`plan` lists the pages of a run (every instance; tags through the manifest,
at most 20 pages a tag), :func:`snapshot_all` fetches them before the run,
:func:`verify_stream` / :func:`verify_results` judge the pages whose revalidation succeeded
(a tag no manifest maps gets one *Not checked*). The CLI's ``revalidate --verify`` does::

    verifier = Verifier(client, timeout=profile.timeout, headers=profile.headers)
    before = await snapshot_all(verifier, plan(profile, targets, tag_paths=tag_paths))
    run = Revalidator(client).start(profile, secret, targets)
    ...  # iterate the run
    found = await verify_results(verifier, profile, run.results, before, tag_paths=tag_paths)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import replace
from typing import TypeVar

import httpx

from isr_desk.domain import Result, SiteProfile, Target, TargetKind
from isr_desk.services.http import ACCEPT_ENCODING, aiter_capped
from isr_desk.services.verify._judge import (
    REBUILT,
    PageState,
    Verdict,
    Verification,
    judge_now,
    judge_rebuilt,
    stale_then_fresh,
    will_refresh,
)
from isr_desk.services.verify._plan import (
    MAX_PAGES_PER_TAG,
    PageCheck,
    PageKey,
    TagPaths,
    checks_after,
    explain,
)

__all__ = ["Verifier", "snapshot_all", "verify_results", "verify_stream"]

Sleep = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")
_R = TypeVar("_R")
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_REDIRECTS = 5


class Verifier:
    """Fetches pages on the app's shared client. ``sleep`` is injectable for tests."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
        timeout: float = 10.0,
        max_body_bytes: int = MAX_BODY_BYTES,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._timeout = timeout
        self._max_body = max_body_bytes
        self._headers = list(headers)
        self._plain: list[tuple[str, str]] = []
        if not any(k.lower() == "accept-encoding" for k, _ in self._headers):
            # Only what the capped reader inflates (a visitor's browser asks for these too).
            self._plain.append(("Accept-Encoding", ACCEPT_ENCODING))
            self._headers.append(("Accept-Encoding", ACCEPT_ENCODING))

    async def snapshot(self, url: str) -> PageState:
        """GET ``url`` as a visitor would: no secret, a capped body, a total deadline.

        Redirects are followed (at most :data:`MAX_REDIRECTS`), but the profile's headers go
        only to the page's own origin: a visitor sent elsewhere carries no API key.
        """
        try:
            async with asyncio.timeout(self._timeout):
                response, digest = await self._fetch(url)
        except TimeoutError:
            error = f"timed out (no complete answer within {self._timeout:g} s)"
            return PageState(url, error=error, fetched_at=time.time())
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return PageState(url, error=describe_error(exc), fetched_at=time.time())
        h = response.headers
        return PageState(
            url=url,
            status=response.status_code,
            etag=h.get("etag"),
            body_sha256=digest,
            nextjs_cache=h.get("x-nextjs-cache"),
            vercel_cache=h.get("x-vercel-cache"),
            cf_cache=h.get("cf-cache-status"),
            x_cache=h.get("x-cache"),
            age=_int(h.get("age")),
            fetched_at=time.time(),
        )

    async def _fetch(self, url: str) -> tuple[httpx.Response, str]:
        """The final response (closed) after same-origin-headed redirects, and its body hash."""
        target = httpx.URL(url)
        origin = _origin_of(target)
        for _ in range(MAX_REDIRECTS + 1):
            headers = self._headers if _origin_of(target) == origin else self._plain
            request = self._client.build_request(
                "GET", target, headers=headers, timeout=self._timeout
            )
            response = await self._client.send(request, stream=True, follow_redirects=False)
            try:
                if response.is_redirect:
                    target = response.url.join(response.headers["location"])
                    continue
                digest = hashlib.sha256()
                async for chunk in aiter_capped(response, self._max_body):
                    digest.update(chunk)  # enough to tell versions apart
                return response, digest.hexdigest()
            finally:
                await response.aclose()
        raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=request)

    async def verify(
        self,
        before: PageState | None,
        url: str,
        *,
        tag_purge: bool,
        attempts: int = 3,
        path: str | None = None,
        instance: str | None = None,
        target: Target | None = None,
    ) -> Verification:
        """Fetch ``url`` (again where needed) and judge it against ``before``.

        ``attempts`` bounds the polls of a page served ``STALE`` (short, growing pauses).
        """
        after = await self.snapshot(url)
        fetches = 1
        verdict, detail = judge_now(before, after, tag_purge=tag_purge)
        if verdict is None and after.cache in REBUILT:
            confirm = await self.snapshot(url)
            fetches += 1
            verdict, detail = judge_rebuilt(before, after, confirm)
            after = confirm
        elif verdict is None:  # STALE: the site rebuilds in the background
            stale = after
            for attempt in range(max(0, attempts)):
                await self._sleep(min(1.0, 0.25 * 2**attempt))
                polled = await self.snapshot(url)
                fetches += 1
                if polled.failed:
                    continue
                after = polled
                if not polled.same_content(stale) or polled.cache == "HIT":
                    verdict, detail = Verdict.REGENERATED, stale_then_fresh(before, polled)
                    break
            if verdict is None:
                verdict, detail = Verdict.WILL_REFRESH, will_refresh(tag_purge)
        return Verification(
            verdict, detail, path or _path_of(url), url, instance, target, before, after, fetches
        )


# --- a whole run ---------------------------------------------------------------------------


async def snapshot_all(
    verifier: Verifier, checks: Sequence[PageCheck], *, concurrency: int = 8
) -> dict[PageKey, PageState]:
    """Fetch every page of ``checks``, at most ``concurrency`` at a time."""
    states: dict[PageKey, PageState] = {}
    async with contextlib.aclosing(_bounded(_snapshot_of(verifier), checks, concurrency)) as done:
        async for check, state in done:
            states[check.key] = state
    return states


async def verify_stream(
    verifier: Verifier,
    profile: SiteProfile,
    results: Iterable[Result],
    before: Mapping[PageKey, PageState],
    *,
    tag_paths: TagPaths | None = None,
    concurrency: int = 8,
    attempts: int = 3,
    max_per_tag: int = MAX_PAGES_PER_TAG,
) -> AsyncIterator[Verification]:
    """Verify every page whose revalidation succeeded, yielding verdicts as they come.

    A tag that no manifest maps to pages gets one ``NOT_CHECKED`` verdict (first).
    """
    checks, unmapped = checks_after(profile, list(results), tag_paths, max_per_tag)
    for target in unmapped:
        what = "tag" if target.kind is TargetKind.TAG else "route pattern"
        yield Verification(
            Verdict.NOT_CHECKED,
            f"No manifest maps this {what} to pages: load the site's manifest to verify "
            f"{what}s (the {what} itself is not a page to fetch).",
            path="",
            target=target,
        )

    async def one(check: PageCheck) -> Verification:
        found = await verifier.verify(
            before.get(check.key),
            check.url,
            tag_purge=check.tag_purge,
            attempts=attempts,
            path=check.path,
            instance=check.instance,
            target=check.target,
        )
        cause = explain(profile, check, found.verdict, tag_paths)
        return replace(found, detail=f"{found.detail} {cause}") if cause else found

    async with contextlib.aclosing(_bounded(one, checks, concurrency)) as done:
        async for _check, verification in done:
            yield verification


async def verify_results(
    verifier: Verifier,
    profile: SiteProfile,
    results: Iterable[Result],
    before: Mapping[PageKey, PageState],
    *,
    tag_paths: TagPaths | None = None,
    concurrency: int = 8,
    attempts: int = 3,
    max_per_tag: int = MAX_PAGES_PER_TAG,
) -> list[Verification]:
    """:func:`verify_stream` collected in plan order (page by page, instance by instance)."""
    results = list(results)
    checks, _ = checks_after(profile, results, tag_paths, max_per_tag)
    rank = {check.key: i for i, check in enumerate(checks)}
    found = [
        v
        async for v in verify_stream(
            verifier, profile, results, before, tag_paths=tag_paths,
            concurrency=concurrency, attempts=attempts, max_per_tag=max_per_tag,
        )
    ]  # fmt: skip
    return sorted(found, key=lambda v: rank.get((v.instance, v.path), -1))


def _snapshot_of(verifier: Verifier) -> Callable[[PageCheck], Awaitable[PageState]]:
    return lambda check: verifier.snapshot(check.url)


async def _bounded(
    fn: Callable[[_T], Awaitable[_R]], items: Sequence[_T], concurrency: int
) -> AsyncGenerator[tuple[_T, _R], None]:
    """``fn`` over ``items``, at most ``concurrency`` at once, yielded as each completes."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(item: _T) -> tuple[_T, _R]:
        async with gate:
            return item, await fn(item)

    tasks = [asyncio.create_task(one(item)) for item in items]
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def describe_error(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({exc or 'connection refused'})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _path_of(url: str) -> str:
    return httpx.URL(url).raw_path.decode("ascii", errors="replace")
