"""Real HTTP servers on 127.0.0.1 for tests and benchmarks.

:class:`LoopbackSite` implements the revalidation routes of the seed tutorials:

* ``POST /api/revalidate?secret=S`` with JSON ``{"path": P}`` / ``{"tag": T}`` (App Router),
  or ``{"paths": [...]}`` / ``{"tags": [...]}`` (batch);
* ``GET /api/revalidate?secret=S&path=P`` (Pages Router);
* ``POST /api/revalidate`` with ``Authorization: Bearer S`` (bearer preset).

A wrong or missing secret gets ``401 {"message": "Invalid token"}``; a missing path/tag gets
400; anything else 404. Tests change behaviour with :meth:`LoopbackSite.route` (a handler for
a path) or :meth:`LoopbackSite.script` (the next N replies of the revalidation route).
Every request is recorded in :attr:`LoopbackSite.requests`.
"""

from __future__ import annotations

import json
import socketserver
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

REVALIDATE_PATH = "/api/revalidate"


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    """What to answer. ``delay`` seconds are slept before the reply (a slow route)."""

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return body, headers


Handler = Callable[[Recorded], Reply]


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


class LoopbackSite(InThread):
    """A revalidation endpoint on 127.0.0.1 (random free port), run in a background thread."""

    def __init__(
        self,
        secret: str = "s3cret-token",
        *,
        latency: float = 0.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.secret = secret
        self.scheme = "https" if tls is not None else "http"
        self.latency = latency
        self.requests: list[Recorded] = []
        self.revalidated: list[str] = []  # "path:/a" / "tag:posts", in arrival order
        self._routes: dict[str, Handler] = {}
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        server = LoopbackServer(("127.0.0.1", 0), self._handler_class())
        if tls is not None:  # the handshake happens in accept(); a failed one drops the client
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        self._serve_in_thread(server)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    # --- behaviour --------------------------------------------------------------------------
    def route(self, path: str, handler: Handler) -> None:
        """Answer requests to ``path`` (exact, without query) with ``handler``."""
        self._routes[path] = handler

    def script(self, *replies: Reply) -> None:
        """The next ``len(replies)`` requests to the revalidation route get these replies."""
        with self._lock:
            self._script.extend(replies)

    def count(self, path: str = REVALIDATE_PATH) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    # --- request handling -------------------------------------------------------------------
    def _record(self, rec: Recorded) -> Reply:
        with self._lock:
            self.requests.append(rec)
            handler = self._routes.get(rec.path)
            scripted = (
                self._script.popleft() if rec.path == REVALIDATE_PATH and self._script else None
            )
        if scripted is not None:
            return scripted
        if handler is not None:
            return handler(rec)
        if rec.path == REVALIDATE_PATH:
            return self._revalidate(rec)
        return Reply(404, {"message": "Not found"})

    def _revalidate(self, rec: Recorded) -> Reply:
        token = (rec.query.get("secret") or [None])[0]
        auth = rec.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:]
        if token != self.secret:
            return Reply(401, {"message": "Invalid token"})
        if rec.method == "GET":
            items = [("path", p) for p in rec.query.get("path", [])]
        else:
            try:
                data = rec.json()
            except ValueError:
                return Reply(400, {"message": "Body is not JSON"})
            items = _items(data)
        if not items:
            return Reply(400, {"message": "Missing path or tag"})
        with self._lock:
            self.revalidated.extend(f"{kind}:{value}" for kind, value in items)
        return Reply(200, {"revalidated": True, "now": int(time.time() * 1000)})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY, Nagle plus the
            # client's delayed ACK add ~40 ms to every keep-alive response.
            disable_nagle_algorithm = True

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    at=time.monotonic(),
                )
                reply = site._record(rec)
                delay = reply.delay + site.latency
                if delay:
                    time.sleep(delay)
                payload, headers = reply.encoded()
                try:
                    self.send_response(reply.status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout, cancel): nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return _Handler


def _items(data: Any) -> list[tuple[str, str]]:
    if not isinstance(data, dict):
        return []
    items: list[tuple[str, str]] = []
    for kind in ("path", "tag"):
        value = data.get(kind)
        if isinstance(value, str) and value:
            items.append((kind, value))
        values = data.get(f"{kind}s")
        if isinstance(values, list):
            items.extend((kind, v) for v in values if isinstance(v, str) and v)
    return items


def free_port() -> int:
    """A port nothing listens on right now (for connection-refused tests)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
