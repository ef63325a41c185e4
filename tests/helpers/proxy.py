"""A forward proxy on 127.0.0.1 that records what passes through it.

It speaks what a company proxy speaks: ``CONNECT host:port`` opens a tunnel (the bytes of an
https request pass through it encrypted), and an http request in absolute form
(``POST http://host:port/path HTTP/1.1``) is forwarded to its origin. :attr:`requests` lists
every request line's method and target; :attr:`seen` holds every byte a client sent, so a
test can assert that a secret never crossed the proxy in clear. An origin it cannot reach gets
``502 Bad Gateway``, as from a real proxy; ``login=True`` answers every request ``407 Proxy
Authentication Required``.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from typing import Self
from urllib.parse import urlsplit

_MAX_HEAD = 64 * 1024


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


class ForwardProxy:
    """A forward proxy on 127.0.0.1 that records every byte and request line through it."""

    def __init__(self, *, login: bool = False) -> None:
        self.login = login  # answer every request 407 Proxy Authentication Required
        self.requests: list[tuple[str, str]] = []
        self.seen = bytearray()
        self._lock = threading.Lock()
        proxy = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _record(self, data: bytes, request: tuple[str, str] | None = None) -> None:
        with self._lock:
            self.seen += data
            if request is not None:
                self.requests.append(request)

    def _serve(self, client: socket.socket) -> None:
        buffer = b""
        while True:
            head, buffer = _read_head(client, buffer)
            if head is None:
                return
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            self._record(head, (method, target))
            if self.login:
                client.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n'
                )
                return
            if method == "CONNECT":
                self._tunnel(client, target, buffer)
                return
            buffer = self._forward(client, head, buffer, target)
            if buffer is None:
                return

    def _tunnel(self, client: socket.socket, target: str, early: bytes) -> None:
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with upstream:
            if early:
                upstream.sendall(early)
            _pipe(client, upstream, self._record)

    def _forward(
        self, client: socket.socket, head: bytes, buffer: bytes, target: str
    ) -> bytes | None:
        parts = urlsplit(target)
        lines = head.split(b"\r\n")
        length = 0
        kept = []
        for line in lines[1:]:
            name = line.split(b":", 1)[0].strip().lower()
            if name == b"content-length":
                length = int(line.split(b":", 1)[1])
            if name not in (b"connection", b"proxy-connection", b"keep-alive", b""):
                kept.append(line)
        while len(buffer) < length:
            chunk = client.recv(65536)
            if not chunk:
                return None
            self._record(chunk)
            buffer += chunk
        body, rest = buffer[:length], buffer[length:]
        origin_form = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        method = lines[0].split(b" ", 1)[0]
        request = b"\r\n".join(
            [method + b" " + origin_form.encode() + b" HTTP/1.1", *kept, b"Connection: close"]
        )
        try:
            up = socket.create_connection((parts.hostname, parts.port or 80), timeout=10)
        except OSError:  # as a real proxy does: the gateway could not reach the origin
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return None
        with up:
            up.sendall(request + b"\r\n\r\n" + body)
            answer = b""
            while chunk := up.recv(65536):
                answer += chunk
        client.sendall(answer)
        return rest


def _read_head(sock: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        if len(buffer) > _MAX_HEAD:
            return None, b""
        try:
            chunk = sock.recv(65536)
        except OSError:
            return None, b""
        if not chunk:
            return None, b""
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _pipe(client: socket.socket, upstream: socket.socket, record: object) -> None:
    """Copy bytes both ways until one side closes; what the client sends is recorded."""
    peers = {client: upstream, upstream: client}
    while True:
        readable, _, _ = select.select(list(peers), [], [], 30)
        if not readable:
            return
        for sock in readable:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            if sock is client:
                record(data)  # type: ignore[operator]
            peers[sock].sendall(data)
