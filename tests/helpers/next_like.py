"""A loopback site that behaves like a self-hosted Next.js server where it matters for fidelity.

Measured on real 14.2 / 15.5 / 16.4 builds (docs/conventions.md):

* every route (pages and the revalidation route) lives under ``base_path``;
* ``trailing_slash``: ``/x`` answers 308 → ``/x/`` (and without it, ``/x/`` → ``/x``);
* a page's cache key is its implicit tag: the path percent-encoded (non-ASCII), with the
  trailing slash under ``trailing_slash``, WITHOUT the base path. ``revalidatePath(p)``
  expires exactly the key ``p`` (anything else is a silent no-op that still answers
  ``revalidated: true``); ``revalidatePath(pattern, 'page')`` expires every page of the
  pattern; ``revalidateTag`` every page carrying the tag;
* an expired page answers ``MISS`` with a new version, then ``HIT``; a page whose time
  window ran out answers ``STALE`` with the old version and rebuilds by itself.

The revalidation route takes the secret as ``?secret=`` (401 on mismatch), a Bearer header,
or a custom header (``x-revalidate-token``, 403 on mismatch), and ``path``/``tag`` from the
query (GET) or ``path``/``paths``/``tag``/``tags``/``type`` from a JSON body.
"""

from __future__ import annotations

import json
import socketserver
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit


class LoopbackServer(ThreadingHTTPServer):
    # The default backlog of 5 makes concurrent tests see resets that are the server's fault.
    request_queue_size = 1024
    daemon_threads = True
    allow_reuse_address = True


class InThread:
    """Runs a socketserver in a daemon thread: ``start``/``stop``, or ``with``."""

    _server: socketserver.BaseServer

    def _serve_in_thread(self, server: socketserver.BaseServer) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])  # type: ignore[index]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Page:
    pattern: str | None = None
    tags: tuple[str, ...] = ()
    version: int = 1
    state: str = "fresh"  # fresh | expired (next GET is a MISS) | window (next GET is STALE)
    pages_router: bool = False  # revalidatePath / revalidateTag never rebuild it


@dataclass
class NextLikeSite(InThread):
    pages: dict[str, Page]
    secret: str = "s3cret-token"
    base_path: str = ""
    trailing_slash: bool = False
    secret_header: str | None = None  # e.g. "x-revalidate-token": 403 on mismatch
    plural_only: bool = False  # the route reads only {"paths": [...]} / {"tags": [...]}
    revalidated: list[str] = field(default_factory=list)  # what the route received
    fetched: list[str] = field(default_factory=list)  # raw paths of page GETs

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._serve_in_thread(LoopbackServer(("127.0.0.1", 0), _handler(self)))

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The site URL a user should configure: origin plus base path."""
        return self.origin + self.base_path

    def key(self, path: str) -> str:
        """The page's cache key (its implicit tag without ``_N_T_``)."""
        encoded = "".join(c if c.isascii() else quote(c, safe="") for c in path)
        if self.trailing_slash and path != "/":
            encoded += "/"
        return encoded

    # --- behaviour ----------------------------------------------------------------------
    def answer(
        self, method: str, raw: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw)
        path = parts.path
        if self.base_path:
            if path != self.base_path and not path.startswith(self.base_path + "/"):
                return 404, {}, b"not found"
            path = path[len(self.base_path) :] or "/"
        redirect = self._slash_redirect(path)
        if redirect is not None:
            location = self.base_path + redirect + (f"?{parts.query}" if parts.query else "")
            return 308, {"Location": location}, b""
        route = path.rstrip("/") or "/"
        if route == "/api/revalidate":
            return self._revalidate(method, parse_qs(parts.query), headers, body)
        return self._page(unquote(route), raw)

    def _slash_redirect(self, path: str) -> str | None:
        if path == "/":
            return None
        if self.trailing_slash and not path.endswith("/"):
            return path + "/"
        if not self.trailing_slash and path.endswith("/"):
            return path.rstrip("/")
        return None

    def _page(self, path: str, raw: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.fetched.append(raw)
            page = self.pages.get(path)
            if page is None:
                return 404, {}, b"not found"
            cache = "HIT"
            if page.state == "expired":
                page.version += 1
                page.state, cache = "fresh", "MISS"
            served = page.version
            if page.state == "window":  # old copy now, rebuilt in the background
                page.version += 1
                page.state, cache = "fresh", "STALE"
        body = f"{path} version {served}".encode()
        return 200, {"x-nextjs-cache": cache, "ETag": f'"v{served}"'}, body

    def _revalidate(
        self, method: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.secret_header is not None:
            if headers.get(self.secret_header) != self.secret:
                return 403, {}, b'{"message": "Forbidden"}'
        else:
            token = (query.get("secret") or [None])[0]
            auth = headers.get("authorization", "")
            token = auth[7:] if auth.lower().startswith("bearer ") else token
            if token != self.secret:
                return 401, {}, b'{"message": "Invalid token"}'
        items = self._items(method, query, body)
        if not items:
            return 400, {}, b'{"message": "Missing path or tag"}'
        for kind, value, kind_of_page in items:
            self._expire(kind, value, kind_of_page)
        return 200, {"Content-Type": "application/json"}, b'{"revalidated": true}'

    def _items(
        self, method: str, query: dict[str, list[str]], body: bytes
    ) -> list[tuple[str, str, str | None]]:
        if method == "GET":
            page_type = (query.get("type") or [None])[0]
            return [("path", p, page_type) for p in query.get("path", [])] + [
                ("tag", t, None) for t in query.get("tag", [])
            ]
        try:
            data: Any = json.loads(body or b"null")
        except ValueError:
            return []
        if not isinstance(data, dict):
            return []
        page_type = data.get("type")
        found: list[tuple[str, str, str | None]] = []
        for kind in ("path", "tag"):
            if not self.plural_only and isinstance(data.get(kind), str):
                found.append((kind, data[kind], page_type))
            for value in data.get(kind + "s") or []:
                found.append((kind, value, page_type))
        return found

    def _expire(self, kind: str, value: str, page_type: str | None) -> None:
        with self._lock:
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


def _handler(site: NextLikeSite) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, payload = site.answer(self.command, self.path, headers, body)
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return _Handler
