"""The one fake site: a threaded HTTP/1.1 server on 127.0.0.1 that records and answers.

Lifecycle: ``FakeSite()`` binds a free port; ``start()``/``stop()`` or ``with`` run it in a
daemon thread (``stop`` also ends answers that hang or drip). ``tls=`` makes it HTTPS (a
failed handshake drops the client and is kept in ``handshake_errors``).

Answers: every request is recorded (:class:`Recorded`, in ``requests``) and answered by
``on(match, *answers)`` scripts, else by the site's own behaviour (:meth:`FakeSite.answer`,
which subclasses give: the tutorials' revalidation route, a caching CDN, ...). ``match`` is
the request's path (``/api/revalidate``) or the target it revalidates (``/a``, ``posts``:
the ``path``/``tag`` of a JSON body or the ``path`` query parameter). An answer is a
:class:`Reply` or a function of the request returning a ``Reply`` (or ``None`` when it
wrote to ``request.conn`` itself: the faults in ``_faults.py``).
"""

from __future__ import annotations

import contextlib
import http
import json
import socket
import socketserver
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Self, TypeAlias
from urllib.parse import parse_qs, urlsplit

REVALIDATE_PATH = "/api/revalidate"


@dataclass
class Conn:
    """The connection a request came on; ``stop`` is set when the site shuts down."""

    sock: socket.socket
    stop: threading.Event
    keep_alive: bool = True


@dataclass(frozen=True)
class Recorded:
    """One request the site read completely."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float
    key: str = ""  # the target it revalidates, else its path
    conn: Conn | None = field(default=None, compare=False, repr=False)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    """A complete answer. ``delay`` seconds pass before it is sent (a slow route)."""

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

    def head(self, length: int, headers: dict[str, str]) -> bytes:
        try:
            reason = http.HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Answer"
        lines = [f"HTTP/1.1 {self.status} {reason}", f"Content-Length: {length}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "content-length"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, rec: Recorded, *, latency: float = 0.0) -> None:
        assert rec.conn is not None
        body, headers = self.encoded()
        delay = self.delay + latency
        if delay and rec.conn.stop.wait(delay):
            return
        payload = b"" if rec.method == "HEAD" else body
        rec.conn.sock.sendall(self.head(len(body), headers) + payload)


Answer: TypeAlias = Reply | Callable[[Recorded], "Reply | None"]


class _TCPServer(socketserver.ThreadingTCPServer):
    # The default backlog of 5 makes concurrent tests see resets that are the server's fault.
    request_queue_size = 1024
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class FakeSite:
    """A site on 127.0.0.1 (a free port): see the module docstring."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, latency: float = 0.0) -> None:
        self.latency = latency  # seconds before every answer
        self.requests: list[Recorded] = []
        self.connections = 0
        self.handshake_errors: list[str] = []
        self.lock = threading.Lock()
        self._tls = tls
        self._stop = threading.Event()
        self._scripts: dict[str, tuple[deque[Answer], bool]] = {}
        self._server = _TCPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # answers stuck in a slow fault give up
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting ------------------------------------------------------------------------
    def on(self, match: str, *answers: Answer, repeat: bool = False) -> None:
        """Requests for ``match`` get ``answers`` in order, then the site's own behaviour
        (with ``repeat``: the last answer, for good)."""
        with self.lock:
            self._scripts[match] = (deque(answers), repeat)

    def count(self, match: str = REVALIDATE_PATH) -> int:
        """Requests whose path or target is ``match``."""
        with self.lock:
            return sum(1 for r in self.requests if match in (r.path, r.key))

    def answer(self, rec: Recorded) -> Reply | None:
        """The site's own behaviour; a bare site knows no page."""
        return Reply(404, {"message": "Not found"})

    def _scripted(self, rec: Recorded) -> Answer | None:
        with self.lock:
            for match in (rec.key, rec.path):
                script = self._scripts.get(match)
                if script is None or not script[0]:
                    continue
                queue, repeat = script
                return queue[0] if repeat and len(queue) == 1 else queue.popleft()
        return None

    # --- serving --------------------------------------------------------------------------
    def _respond(self, rec: Recorded) -> None:
        answer = self._scripted(rec)
        if answer is None:
            answer = self.answer
        reply = answer if isinstance(answer, Reply) else answer(rec)
        if reply is not None:
            reply.send(rec, latency=self.latency)

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.lock:
            self.connections += 1
        if self._tls is not None:
            try:
                sock = self._tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError) as exc:
                self.handshake_errors.append(str(exc))
                return
        reader = sock.makefile("rb")
        conn = Conn(sock, self._stop)
        try:
            while conn.keep_alive and not self._stop.is_set():
                rec = _read_request(reader, conn)
                if rec is None:
                    return
                with self.lock:
                    self.requests.append(rec)
                if rec.headers.get("connection", "").lower() == "close":
                    conn.keep_alive = False
                self._respond(rec)
        except (OSError, ValueError):
            return
        finally:
            # Closed here, not by socketserver: with SO_LINGER 0 this sends the reset.
            reader.close()
            with contextlib.suppress(OSError):
                sock.close()

    def _handler_class(self) -> type[socketserver.BaseRequestHandler]:
        site = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                site._serve(self.request)

        return _Handler


def _read_request(reader: BinaryIO, conn: Conn) -> Recorded | None:
    line = reader.readline(65536)
    if not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = reader.readline(65536)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    body = reader.read(length) if length else b""
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    key = _key(parts.path, query, body)
    return Recorded(method, parts.path, query, headers, body, time.monotonic(), key, conn)


def _key(path: str, query: dict[str, list[str]], body: bytes) -> str:
    """The target a request revalidates (``path``/``tag`` of a JSON body, ``?path=``), else
    its path."""
    with contextlib.suppress(ValueError):
        data = json.loads(body or b"null")
        if isinstance(data, dict):
            for name in ("path", "tag"):
                if isinstance(data.get(name), str):
                    return str(data[name])
    if query.get("path"):
        return query["path"][0]
    return path


def free_port() -> int:
    """A port nothing listens on right now (for connection-refused tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
