"""A fake site that behaves like a self-hosted Next.js server where fidelity is at stake.

Measured on real 14.2 / 15.5 / 16.4 builds (docs/conventions.md):

* every route (pages and the revalidation route) lives under ``base_path``;
* ``trailing_slash``: ``/x`` answers 308 → ``/x/`` (and without it, ``/x/`` → ``/x``);
* a page's cache key is its implicit tag: the path percent-encoded (non-ASCII), with the
  trailing slash under ``trailing_slash``, WITHOUT the base path. ``revalidatePath(p)``
  expires exactly the key ``p`` (anything else is a silent no-op that still answers
  ``revalidated: true``); ``revalidatePath(pattern, 'page')`` expires every page of the
  pattern; ``revalidateTag`` every page carrying the tag; a Pages Router page is rebuilt by
  neither (its route would call ``res.revalidate``);
* an expired page answers ``MISS`` with a new version, then ``HIT``; a page whose time
  window ran out answers ``STALE`` with the old version and rebuilds by itself.

The revalidation route takes the secret as ``?secret=`` (401 on mismatch), a Bearer header,
or a custom header (``secret_header``, 403 on mismatch), and ``path``/``tag`` from the query
(GET) or ``path``/``paths``/``tag``/``tags``/``type`` from a JSON body (``plural_only``: only
the plural keys, as some routes read them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from tests.helpers.sites._core import FakeSite, Recorded, Reply

Item = tuple[str, str, str | None]  # (kind, value, type)


@dataclass
class Page:
    pattern: str | None = None
    tags: tuple[str, ...] = ()
    version: int = 1
    state: str = "fresh"  # fresh | expired (next GET is a MISS) | window (next GET is STALE)
    pages_router: bool = False  # revalidatePath / revalidateTag never rebuild it


class NextLikeSite(FakeSite):
    """Pages (path → :class:`Page`) behind Next's conventions; see the module docstring."""

    def __init__(
        self,
        pages: dict[str, Page],
        *,
        secret: str = "s3cret-token",
        base_path: str = "",
        trailing_slash: bool = False,
        secret_header: str | None = None,
        plural_only: bool = False,
    ) -> None:
        super().__init__()
        self.pages = pages
        self.secret = secret
        self.base_path = base_path
        self.trailing_slash = trailing_slash
        self.secret_header = secret_header
        self.plural_only = plural_only
        self.revalidated: list[str] = []  # what the route received, "path:/a (page)"
        self.fetched: list[str] = []  # raw paths of page GETs

    @property
    def origin(self) -> str:
        return super().url

    @property
    def url(self) -> str:
        """The site URL a user should configure: origin plus base path."""
        return self.origin + self.base_path

    def key(self, path: str) -> str:
        """The page's cache key (its implicit tag without ``_N_T_``)."""
        encoded = "".join(c if c.isascii() else quote(c, safe="") for c in path)
        return encoded + "/" if self.trailing_slash and path != "/" else encoded

    def answer(self, rec: Recorded) -> Reply:
        path = rec.path
        if self.base_path:
            if path != self.base_path and not path.startswith(self.base_path + "/"):
                return Reply(404, "not found")
            path = path[len(self.base_path) :] or "/"
        if path != "/" and path.endswith("/") != self.trailing_slash:
            moved = path + "/" if self.trailing_slash else path.rstrip("/")
            query = "&".join(f"{k}={quote(v, safe='')}" for k, vs in rec.query.items() for v in vs)
            location = self.base_path + moved + (f"?{query}" if query else "")
            return Reply(308, b"", {"Location": location})
        route = path.rstrip("/") or "/"
        if route == "/api/revalidate":
            return self._revalidate(rec)
        return self._page(unquote(route), rec.path)

    def _page(self, path: str, raw: str) -> Reply:
        with self.lock:
            self.fetched.append(raw)
            page = self.pages.get(path)
            if page is None:
                return Reply(404, "not found")
            cache = "HIT"
            if page.state == "expired":
                page.version += 1
                page.state, cache = "fresh", "MISS"
            served = page.version
            if page.state == "window":  # the old copy now, rebuilt in the background
                page.version += 1
                page.state, cache = "fresh", "STALE"
        headers = {"x-nextjs-cache": cache, "ETag": f'"v{served}"'}
        return Reply(200, f"{path} version {served}", headers)

    def _revalidate(self, rec: Recorded) -> Reply:
        if self.secret_header is not None:
            if rec.headers.get(self.secret_header) != self.secret:
                return Reply(403, {"message": "Forbidden"})
        else:
            token = (rec.query.get("secret") or [None])[0]
            auth = rec.headers.get("authorization", "")
            token = auth[7:] if auth.lower().startswith("bearer ") else token
            if token != self.secret:
                return Reply(401, {"message": "Invalid token"})
        items = self._items(rec)
        if not items:
            return Reply(400, {"message": "Missing path or tag"})
        for item in items:
            self._expire(*item)
        return Reply(200, {"revalidated": True})

    def _items(self, rec: Recorded) -> list[Item]:
        if rec.method == "GET":
            page_type = (rec.query.get("type") or [None])[0]
            paths = [("path", p, page_type) for p in rec.query.get("path", [])]
            return paths + [("tag", t, None) for t in rec.query.get("tag", [])]
        try:
            data: Any = rec.json()
        except ValueError:
            return []
        if not isinstance(data, dict):
            return []
        found: list[Item] = []
        for kind in ("path", "tag"):
            if not self.plural_only and isinstance(data.get(kind), str):
                found.append((kind, data[kind], data.get("type")))
            found += [(kind, value, data.get("type")) for value in data.get(kind + "s") or []]
        return found

    def _expire(self, kind: str, value: str, page_type: str | None) -> None:
        with self.lock:
            self.revalidated.append(f"{kind}:{value}" + (f" ({page_type})" if page_type else ""))
            for path, page in self.pages.items():
                if page.pages_router:  # the route calls revalidatePath, not res.revalidate
                    continue
                if kind == "tag":
                    hit = value in page.tags
                elif page_type == "page":
                    hit = page.pattern == value
                else:
                    hit = self.key(path) == value  # exactly the cache key, or a no-op
                if hit:
                    page.state = "expired"
