"""Loopback sites that behave like each case "did it really revalidate?" must tell apart.

:class:`CaseSite` serves pages (any path but the route) and the seed tutorials' revalidation
route (``POST /api/revalidate?secret=S`` or ``Authorization: Bearer S`` with ``{"path": P}`` /
``{"tag": T}`` / ``{"paths": [...]}`` / ``{"tags": [...]}``; ``GET ...?secret=S&path=P``).
Every page has the tags ``all`` and its first path segment (``/blog/a`` → ``blog``). Each
:class:`Behaviour` is one case:

* ``REGENERATES``: like Next.js — after a path revalidation the next GET is ``MISS`` with new
  content (new ETag), then ``HIT``; after a tag purge ``STALE`` (old copy) once, then ``HIT``
  with the new content;
* ``NEVER_CHANGES``: the route answers ``{"revalidated": true}`` but the page stays ``HIT``
  with the same ETag (the route revalidated something else, or another instance);
* ``STALE_THEN_FRESH``: any revalidation gives ``STALE`` (old copy) for the next
  ``stale_for`` GETs, then ``HIT`` with the new content (a slow background regeneration,
  counted in requests rather than seconds so tests never race a clock);
* ``ACCEPTS_ANY_SECRET``: like ``REGENERATES``, but the route takes any secret, or none;
* ``REDIRECTS``: the route answers ``308`` to the same route on ``https://``.

:class:`CachingProxy` sits in front of any of them and keeps serving the first copy of each
page with ``Age`` and a ``HIT`` header (``X-Cache``, ``cf-cache-status`` or ``x-vercel-cache``)
while passing the revalidation route through.
"""

from __future__ import annotations

import enum
import hashlib
import http.client
import json
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.helpers.sites._core import REVALIDATE_PATH, FakeSite, Recorded, Reply

_HIT_HEADERS = {"x-cache": "X-Cache", "cloudflare": "cf-cache-status", "vercel": "x-vercel-cache"}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class Behaviour(enum.StrEnum):
    REGENERATES = "regenerates"
    NEVER_CHANGES = "never-changes"
    STALE_THEN_FRESH = "stale-then-fresh"
    ACCEPTS_ANY_SECRET = "accepts-any-secret"
    REDIRECTS = "redirects"


@dataclass
class _Page:
    version: int = 1
    pending: str | None = None  # "MISS" / "STALE"
    stale_left: int = 0


class CaseSite(FakeSite):
    """A site whose pages react to revalidation as ``behaviour`` says (see the module doc)."""

    def __init__(
        self,
        behaviour: Behaviour,
        *,
        secret: str = "s3cret-token",
        stale_for: int = 1,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(tls=tls)
        self.behaviour = behaviour
        self.secret = secret
        self.stale_for = stale_for
        self.revalidated: list[str] = []
        self._pages: dict[str, _Page] = {}

    def version(self, path: str) -> int:
        with self.lock:
            return self._pages.setdefault(path, _Page()).version

    def page_gets(self, path: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r.path == path and r.method == "GET")

    def answer(self, rec: Recorded) -> Reply:
        if rec.path == REVALIDATE_PATH:
            return self._revalidate(rec)
        if rec.method not in ("GET", "HEAD"):
            return _json(405, {"message": "Method not allowed"})
        return self._page(rec.path)

    # --- the route ------------------------------------------------------------------------
    def _revalidate(self, rec: Recorded) -> Reply:
        if self.behaviour is Behaviour.REDIRECTS:
            location = self.url.replace("http:", "https:") + REVALIDATE_PATH
            return Reply(308, b"", {"Location": location})
        token = (rec.query.get("secret") or [None])[0]
        auth = rec.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:]
        if token != self.secret and self.behaviour is not Behaviour.ACCEPTS_ANY_SECRET:
            return _json(401, {"message": "Invalid token"})
        if rec.method == "GET":
            paths, tags = rec.query.get("path", []), []
        else:
            try:
                data = json.loads(rec.body or b"null")
            except ValueError:
                return _json(400, {"message": "Body must be JSON"})
            paths, tags = _items(data, "path"), _items(data, "tag")
        if not paths and not tags:
            return _json(400, {"message": "Missing path or tag"})
        with self.lock:
            for path in paths:
                self._mark(self._pages.setdefault(path, _Page()), "MISS")
            for tag in tags:
                for path, page in self._pages.items():
                    if tag in _tags(path):
                        self._mark(page, "STALE")
            self.revalidated += [f"path:{p}" for p in paths] + [f"tag:{t}" for t in tags]
        return _json(200, {"revalidated": True, "now": int(time.time() * 1000)})

    def _mark(self, page: _Page, how: str) -> None:
        if self.behaviour is Behaviour.NEVER_CHANGES:
            return
        if self.behaviour is Behaviour.STALE_THEN_FRESH or how == "STALE":
            page.pending, page.stale_left = "STALE", self.stale_for
        else:
            page.pending = page.pending or "MISS"

    # --- pages ----------------------------------------------------------------------------
    def _page(self, path: str) -> Reply:
        with self.lock:
            page = self._pages.setdefault(path, _Page())
            cache = page.pending or "HIT"
            if page.pending == "MISS":
                page.version += 1
                page.pending = None
            elif page.pending == "STALE":
                page.stale_left -= 1
                if page.stale_left <= 0:
                    page.pending = None
                    # the next GET sees the regenerated page
                    served, page.version = page.version, page.version + 1
                    return _html(path, served, cache)
            return _html(path, page.version, cache)


class CachingProxy(FakeSite):
    """Keeps serving the first copy of each page it fetched from ``origin``; passes the
    revalidation route (and every non-GET) through. ``style`` picks the HIT header:
    ``x-cache``, ``cloudflare``, ``vercel`` or ``age`` (only ``Age``). ``age_offset`` seconds
    are added to ``Age`` (the copy came from a parent cache that already held it)."""

    def __init__(self, origin: str, *, style: str = "x-cache", age_offset: int = 60) -> None:
        super().__init__()
        self.origin = origin
        self.style = style
        self.age_offset = age_offset
        self._cache: dict[str, tuple[float, Reply]] = {}

    def forget(self, path: str | None = None) -> None:
        """Drop the copy of ``path`` (every copy when None): what a CDN purge does."""
        with self.lock:
            if path is None:
                self._cache.clear()
            else:
                self._cache.pop(path, None)

    def cached(self) -> list[str]:
        with self.lock:
            return sorted(self._cache)

    def answer(self, rec: Recorded) -> Reply:
        if rec.method != "GET" or rec.path.startswith("/api/"):
            return self._forward(rec)
        with self.lock:
            cached = self._cache.get(rec.path)
        if cached is None:
            answer = self._forward(rec)
            with self.lock:
                self._cache.setdefault(rec.path, (time.monotonic(), answer))
            return self._mark(answer, "MISS", 0)
        stored_at, answer = cached
        return self._mark(answer, "HIT", int(time.monotonic() - stored_at) + self.age_offset)

    def _mark(self, answer: Reply, state: str, age: int) -> Reply:
        marked = {**answer.headers, "Age": str(age)}
        if self.style in _HIT_HEADERS:
            marked[_HIT_HEADERS[self.style]] = state
        return Reply(answer.status, answer.body, marked)

    def _forward(self, rec: Recorded) -> Reply:
        parts = urlsplit(self.origin)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            query = urlencode([(k, v) for k, vs in rec.query.items() for v in vs])
            target = rec.path + (f"?{query}" if query else "")
            headers = {k: v for k, v in rec.headers.items() if k not in _HOP_BY_HOP}
            conn.request(rec.method, target, body=rec.body or None, headers=headers)
            response = conn.getresponse()
            body = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            return Reply(response.status, body, kept)
        finally:
            conn.close()


def _tags(path: str) -> set[str]:
    first = path.strip("/").split("/")[0]
    return {"all", first} if first else {"all"}


def _items(data: Any, kind: str) -> list[str]:
    if not isinstance(data, dict):
        return []
    one, many = data.get(kind), data.get(f"{kind}s")
    items = ([one] if isinstance(one, str) else []) + (many if isinstance(many, list) else [])
    return [i for i in items if isinstance(i, str) and i]


def _json(status: int, payload: Any) -> Reply:
    return Reply(status, payload)


def _html(path: str, version: int, cache: str) -> Reply:
    body = f"<!doctype html><h1>{path}</h1><p>version {version}</p>".encode()
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    headers = {"Content-Type": "text/html; charset=utf-8", "ETag": etag, "x-nextjs-cache": cache,
               "Cache-Control": "s-maxage=3600, stale-while-revalidate=86400"}  # fmt: skip
    return Reply(200, body, headers)
