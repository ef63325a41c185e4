"""Loopback fakes of the two CDN APIs ISR Desk purges, as their documentation describes them
(docs/cdn.md cites the pages), plus a timer that records waits instead of waiting.

- :class:`FakeCloudflare`: ``POST /client/v4/zones/{zone}/purge_cache``, Bearer token, one of
  ``files`` / ``tags`` / ``prefixes`` / ``hosts`` per call, at most 100 items (30 prefixes);
  answers in Cloudflare's envelope ``{"success", "errors": [{"code", "message"}], "messages",
  "result": {"id"}}``; 403 for a wrong token.
- :class:`FakeVercel`: ``POST /v1/edge-cache/invalidate-by-tags?projectIdOrName=P[&teamId=T]``,
  Bearer token, ``{"tags": [...], "target": "production"|"preview"}``, 1 to 16 tags a
  call (:data:`VERCEL_MAX_TAGS`), tags of at most 256 characters; errors in Vercel's
  ``{"error": {"code", "message"}}`` shape (``forbidden``,
  ``bad_request``, ``not_found``, ``rate_limited`` with ``limit.reset``).

Both record what they purged (``purged``), script answers like every fake site
(``fake.on(fake.purge_path, Reply(429, ...))``), and, given a :class:`CachingProxy`, drop
its copies as the real CDN would.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from tests.helpers.sites import CachingProxy, FakeSite, Recorded, Reply

CF_TOKEN = "cf-Token_0123456789abcdef"
VERCEL_TOKEN = "vc-Token_0123456789abcdef"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
CF_KINDS = ("files", "tags", "prefixes", "hosts")
VERCEL_MAX_TAGS = 16  # tags per invalidate-by-tags call (docs/cdn.md)


def cf_envelope(success: bool, *errors: tuple[int, str], result: Any = None) -> dict[str, Any]:
    return {
        "success": success,
        "errors": [{"code": code, "message": message} for code, message in errors],
        "messages": [],
        "result": result,
    }


def cf_rate_limited(retry_after: str = "2") -> Reply:
    """Cloudflare's 429: the envelope, and ``Retry-After``."""
    body = cf_envelope(False, (971, "Please wait and consider throttling your request speed"))
    return Reply(429, body, {"Retry-After": retry_after})


def vercel_error(status: int, code: str, message: str, **extra: Any) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message, **extra}})


def vercel_rate_limited(reset_in: float = 3.0, *, retry_after: str | None = None) -> Reply:
    reset = time.time() + reset_in
    limit = {"remaining": 0, "reset": int(reset), "resetMs": int(reset * 1000), "total": 100}
    reply = vercel_error(429, "rate_limited", "The rate limit of 100 exceeded", limit=limit)
    if retry_after is not None:
        reply.headers["Retry-After"] = retry_after
    return reply


class FakeCloudflare(FakeSite):
    """Cloudflare's purge API on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self, *, token: str = CF_TOKEN, zone: str = ZONE, cache: CachingProxy | None = None
    ) -> None:
        super().__init__()
        self.token, self.zone, self.cache = token, zone, cache
        self.purged: list[tuple[str, list[str]]] = []

    @property
    def api(self) -> str:
        return self.url + "/client/v4"

    @property
    def purge_path(self) -> str:
        return f"/client/v4/zones/{self.zone}/purge_cache"

    def answer(self, rec: Recorded) -> Reply:
        if not rec.path.startswith("/client/v4/zones/"):
            return Reply(404, cf_envelope(False, (7003, "Could not route to " + rec.path)))
        if rec.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(403, cf_envelope(False, (10000, "Authentication error")))
        if rec.path != self.purge_path:
            return Reply(404, cf_envelope(False, (7003, "Could not route: no such zone")))
        if rec.method != "POST":
            return Reply(405, cf_envelope(False, (10405, "Method not allowed")))
        problem, kind, items = self._check(rec)
        if problem:
            return Reply(400, cf_envelope(False, (1012, problem)))
        self._purge(kind, items)
        return Reply(200, cf_envelope(True, result={"id": uuid.uuid4().hex}))

    def _check(self, rec: Recorded) -> tuple[str, str, list[str]]:
        try:
            data = json.loads(rec.body or b"null")
        except ValueError:
            return "Request body is not valid JSON", "", []
        kinds = [k for k in CF_KINDS if isinstance(data, dict) and k in data]
        if len(kinds) != 1 or len(data) != 1:
            return "Request must contain exactly one of files, tags, prefixes or hosts", "", []
        kind = kinds[0]
        items = data[kind]
        limit = 30 if kind == "prefixes" else 100
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            return f"{kind} must be a list of strings", "", []
        if not items or len(items) > limit:
            return f"Between 1 and {limit} {kind} per request", "", []
        if kind == "prefixes" and any("://" in i for i in items):
            return "A prefix is host/path, without a scheme", "", []
        return "", kind, items

    def _purge(self, kind: str, items: list[str]) -> None:
        with self.lock:
            self.purged.append((kind, items))
        if self.cache is None:
            return
        if kind == "files":
            for url in items:
                self.cache.forget(urlsplit(url).path)
        elif kind == "prefixes":
            for prefix in items:
                path = "/" + prefix.partition("/")[2]
                for cached in self.cache.cached():
                    if cached == path or cached.startswith(path.rstrip("/") + "/"):
                        self.cache.forget(cached)
        else:  # tags and hosts: the fake does not know which page has which tag
            self.cache.forget()


class FakeVercel(FakeSite):
    """Vercel's invalidate-by-tags API on 127.0.0.1 (see the module docstring)."""

    purge_path = "/v1/edge-cache/invalidate-by-tags"

    def __init__(
        self,
        *,
        token: str = VERCEL_TOKEN,
        project: str = "blog",
        team: str | None = None,
        cache: CachingProxy | None = None,
    ) -> None:
        super().__init__()
        self.token, self.project, self.team, self.cache = token, project, team, cache
        self.purged: list[tuple[str, list[str]]] = []  # (target, tags)

    @property
    def api(self) -> str:
        return self.url

    def answer(self, rec: Recorded) -> Reply:
        if rec.path != self.purge_path:
            return vercel_error(404, "not_found", "The requested endpoint was not found")
        if rec.method != "POST":
            return vercel_error(405, "method_unknown", "This endpoint only responds to POST")
        if rec.headers.get("authorization") != f"Bearer {self.token}":
            return vercel_error(403, "forbidden", "Not authorized")
        project = rec.query.get("projectIdOrName", [""])[0]
        if not project:
            return vercel_error(400, "bad_request", "Missing projectIdOrName")
        if project != self.project or rec.query.get("teamId", [None])[0] != self.team:
            return vercel_error(404, "not_found", f"Could not find the project: {project}")
        problem, target, tags = self._check(rec)
        if problem:
            return vercel_error(400, "bad_request", problem)
        with self.lock:
            self.purged.append((target, tags))
        if self.cache is not None:
            self.cache.forget()
        return Reply(200, {})

    def _check(self, rec: Recorded) -> tuple[str, str, list[str]]:
        try:
            data = json.loads(rec.body or b"null")
        except ValueError:
            return "Invalid request body", "", []
        if not isinstance(data, dict) or "tags" not in data:
            return "Invalid request: missing required property `tags`", "", []
        tags, target = data["tags"], data.get("target", "production")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return "Invalid request: `tags` should be an array of strings", "", []
        if not 1 <= len(tags) <= VERCEL_MAX_TAGS:
            return (
                f"Invalid request: `tags` should NOT have more than {VERCEL_MAX_TAGS} items"
                if tags
                else "Invalid request: `tags` should NOT have fewer than 1 items",
                "",
                [],
            )
        if any(len(t) > 256 for t in tags):
            return "Invalid request: a tag is longer than 256 characters", "", []
        if target not in ("production", "preview"):
            return "Invalid request: `target` should be production or preview", "", []
        return "", str(target), tags


class FakeTimer:
    """A purge's clock and sleep: ``sleep`` records the wait and moves the clock on."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
