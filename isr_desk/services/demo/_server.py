"""The built-in demo site: a local HTTP server that behaves like a Next.js on-demand ISR site.

``isr-desk gui --demo`` (and the first start with nothing configured) runs one on
127.0.0.1 at a random free port, so a new user can try every feature without a site:

* ``POST /api/revalidate?secret=S`` (or ``Authorization: Bearer S``) with ``{"path": P}``,
  ``{"tag": T}``, ``{"paths": [...]}`` or ``{"tags": [...]}``; ``GET ...?secret=S&path=P``
  as the Pages Router does. Wrong secret: ``401 {"message": "Invalid token"}``; bad body: 400.
* ~190 pages across ~20 tags (see :mod:`demo_data`). Each page shows its title, a version
  counter, when it was generated and how long it took, with an ``ETag``,
  ``Cache-Control: s-maxage=...`` and ``x-nextjs-cache``: ``HIT``; ``MISS`` once right after
  a path revalidation (new content); ``STALE`` once after a tag purge (old content, new
  content is generated in the background), then ``HIT`` with the new content.
* so that a run shows every kind of result: ``/products/*`` take 300 to 800 ms to revalidate,
  ``/broken/*`` always fail with 500, ``/archive/2019`` answers ``{"revalidated": false}``
  and every other purge of the ``products`` tag gets ``429`` with ``Retry-After: 1``.
* ``GET /isr-manifest.json``: the ISR Desk JSON manifest of all pages and tags.
* a Cloudflare-like purge API for the practice site's CDN (:mod:`._cdn`): the demo profile
  has it set, with a fixed practice token, so "Also purge the CDN" can be tried here.

State lives in memory behind one lock; the server threads are daemons.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from isr_desk.domain import CdnProvider, CdnSettings, SiteProfile
from isr_desk.services.demo import _data as data
from isr_desk.services.demo._cdn import DEMO_ZONE, DemoCdn

if TYPE_CHECKING:
    import httpx

    from isr_desk.services.cdn import CdnPurger

REVALIDATE_PATH = "/api/revalidate"
MANIFEST_PATH = "/isr-manifest.json"
_ONE_YEAR = 31_536_000
_MAX_BODY = 1 << 20

Reply = tuple[int, dict[str, str], bytes]


@dataclass(slots=True)
class _PageState:
    version: int
    generated_at: float
    render_ms: int
    pending: str | None = None  # "MISS" after revalidatePath, "STALE" after a tag purge


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 resets connections under a bulk run.
    request_queue_size = 1024
    daemon_threads = True


class DemoSite:
    """A Next.js-like ISR site on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(self, *, secret: str | None = None, seed: int = 0) -> None:
        self.secret = secret or secrets.token_urlsafe(24)
        self.seed = seed
        self.pages = data.build_pages(seed)
        self.tags = data.all_tags()
        self.revalidated: list[str] = []  # "path:/a" / "tag:posts", in arrival order
        self._by_path = {p.path: p for p in self.pages}
        self._by_tag: dict[str, list[str]] = {t: [] for t in self.tags}
        for page in self.pages:
            for tag in page.tags:
                self._by_tag[tag].append(page.path)
        now = time.time()
        self._state = {p.path: _PageState(1, now, self._render_ms(p.path, 1)) for p in self.pages}
        self._tag_hits: dict[str, int] = {}
        self.cdn = DemoCdn()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> DemoSite:
        if self._server is None:
            self._server = _Server(("127.0.0.1", 0), _handler_class(self))
            # A short poll interval makes stop() (and so the app's quit) prompt.
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="isr-desk-demo", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the demo site is not running: call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def profile(self) -> SiteProfile:
        """The "Demo" profile (App Router preset) pointing at this site."""
        # "direct": a company proxy from the environment cannot reach this machine's loopback.
        return SiteProfile(
            name="Demo",
            base_url=self.url,
            manifest_source=self.url + MANIFEST_PATH,
            proxy="direct",
            cdn=CdnSettings(CdnProvider.CLOUDFLARE, zone=DEMO_ZONE),
        )

    def purger(self, client: httpx.AsyncClient) -> CdnPurger:
        """A CDN purger that sends the practice site's purges to this server (any other
        site's to its real API)."""
        from isr_desk.services.cdn import CdnPurger  # only when a run purges: a fast start

        return CdnPurger(client, base_for=lambda profile: self.cdn.api_for(profile, self.url))

    def version(self, path: str) -> int:
        """The version of ``path`` as the next request would see it (for tests and the GUI)."""
        with self._lock:
            return self._state[path].version

    def manifest(self) -> dict[str, Any]:
        return {
            "version": 1,
            "paths": [
                {"path": p.path, "tags": list(p.tags), "revalidate": p.revalidate}
                for p in self.pages
            ],
            "tags": [{"tag": t} for t in self.tags],
        }

    # --- revalidation ----------------------------------------------------------------------
    def revalidate(self, query: dict[str, list[str]], headers: dict[str, str], body: bytes,
                   method: str) -> Reply:  # fmt: skip
        token = (query.get("secret") or [""])[0]
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
        if not token or not hmac.compare_digest(token.encode(), self.secret.encode()):
            return _json(401, {"message": "Invalid token"})
        paths: list[str] = []
        tags: list[str] = []
        if method == "GET":
            paths = query.get("path", [])
        else:
            try:
                paths, tags = _items(json.loads(body or b"null"))
            except ValueError as exc:
                return _json(400, {"message": f"Invalid body: {exc}"})
        if not paths and not tags:
            return _json(400, {"message": "Missing path or tag"})
        return self._apply(paths, tags)

    def _apply(self, paths: list[str], tags: list[str]) -> Reply:
        if any(p.startswith(data.BROKEN_PREFIX) for p in paths) or "broken" in tags:
            return _json(500, {"message": "Error revalidating"})
        if data.RATE_LIMITED_TAG in tags:
            with self._lock:
                hits = self._tag_hits.get(data.RATE_LIMITED_TAG, 0)
                self._tag_hits[data.RATE_LIMITED_TAG] = hits + 1
            if hits % 2 == 0:
                return _json(429, {"message": "Too many requests"}, {"Retry-After": "1"})
        if data.NOT_REVALIDATED_PATH in paths:
            return _json(200, {"revalidated": False, "message": "Archived pages are frozen"})
        delay_ms = max((self._by_path[p].slow_ms for p in paths if p in self._by_path), default=0)
        if delay_ms:
            time.sleep(delay_ms / 1000)  # a slow regeneration, as a real site has
        with self._lock:
            for path in paths:
                if path in self._state:
                    self._state[path].pending = "MISS"
                self.revalidated.append(f"path:{path}")
            for tag in tags:
                for path in self._by_tag.get(tag, ()):
                    state = self._state[path]
                    state.pending = state.pending or "STALE"
                self.revalidated.append(f"tag:{tag}")
        return _json(200, {"revalidated": True, "now": int(time.time() * 1000)})

    # --- pages -----------------------------------------------------------------------------
    def page(self, path: str, if_none_match: str | None) -> Reply:
        page = self._by_path.get(path)
        if page is None:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, _not_found(path)
        with self._lock:
            state = self._state[path]
            served = _PageState(state.version, state.generated_at, state.render_ms)
            cache = state.pending or "HIT"
            if state.pending is not None:
                # MISS: regenerate now and serve the new page; STALE: serve the old one and
                # regenerate "in the background" (here: right away) for the next request.
                state.version += 1
                state.generated_at = time.time()
                state.render_ms = self._render_ms(path, state.version)
                state.pending = None
                if cache == "MISS":
                    served = _PageState(state.version, state.generated_at, state.render_ms)
        body = _render(page, served)
        etag = '"' + hashlib.sha1(body).hexdigest()[:27] + '"'
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "ETag": etag,
            "x-nextjs-cache": cache,
            "Cache-Control": f"s-maxage={page.revalidate}, "
            f"stale-while-revalidate={_ONE_YEAR - page.revalidate}",
        }
        if if_none_match and etag in {t.strip() for t in if_none_match.split(",")}:
            return 304, headers, b""
        return 200, headers, body

    def _render_ms(self, path: str, version: int) -> int:
        return random.Random(f"{self.seed}:{path}:{version}").randint(20, 400)


def _items(payload: Any) -> tuple[list[str], list[str]]:
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    found: dict[str, list[str]] = {"path": [], "tag": []}
    for kind, values in found.items():
        one, many = payload.get(kind), payload.get(f"{kind}s")
        if many is not None and not isinstance(many, list):
            raise ValueError(f"{kind}s must be a list")
        items = ([] if one is None else [one]) + (many or [])
        if not all(isinstance(v, str) and v for v in items):
            raise ValueError(f"each {kind} must be a non-empty string")
        values.extend(items)
    if any(not p.startswith("/") for p in found["path"]):
        raise ValueError("a path must start with '/'")
    if any(len(t) > 256 for t in found["tag"]):
        raise ValueError("a tag is at most 256 characters")
    return found["path"], found["tag"]


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(payload).encode(),
    )


def _render(page: data.DemoPage, state: _PageState) -> bytes:
    when = datetime.fromtimestamp(state.generated_at, UTC).isoformat(timespec="milliseconds")
    tags = ", ".join(escape(t) for t in page.tags)
    return (
        f"<!doctype html><html><head><title>{escape(page.title)}</title></head><body>"
        f"<h1>{escape(page.title)}</h1>"
        f'<p>Version <span id="version">{state.version}</span></p>'
        f'<p>Generated at <time id="generated-at">{when}</time> '
        f'in <span id="render-ms">{state.render_ms}</span> ms</p>'
        f"<p>Tags: {tags}</p></body></html>"
    ).encode()


def _not_found(path: str) -> bytes:
    return f"<!doctype html><h1>404</h1><p>{escape(path)} could not be found.</p>".encode()


def _handler_class(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else Nagle + delayed ACK add ~40 ms per response

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                self._send(*_json(413, {"message": "Body too large"}), close=True)
                return
            body = self.rfile.read(length) if length else b""
            self._send(*self._route(parts.path, parse_qs(parts.query), body))

        def _route(self, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
            if site.cdn.handles(path):
                headers = {k.lower(): v for k, v in self.headers.items()}
                return site.cdn.answer(path, self.command, headers, body)
            if path == REVALIDATE_PATH:
                if self.command not in ("GET", "POST"):
                    return _json(405, {"message": "Method not allowed"}, {"Allow": "GET, POST"})
                headers = {k.lower(): v for k, v in self.headers.items()}
                return site.revalidate(query, headers, body, self.command)
            if self.command not in ("GET", "HEAD"):
                return _json(405, {"message": "Method not allowed"}, {"Allow": "GET, HEAD"})
            if path == MANIFEST_PATH:
                return _json(200, site.manifest())
            return site.page(path, self.headers.get("If-None-Match"))

        def _send(self, status: int, headers: dict[str, str], payload: bytes,
                  *, close: bool = False) -> None:  # fmt: skip
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(payload)))
                if close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command != "HEAD" and status != 304:
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (timeout, cancel)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a GUI app has no console to log requests to

    return _Handler
