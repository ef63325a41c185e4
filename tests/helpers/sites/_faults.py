"""Answers that misbehave on purpose, for ``FakeSite.on(target, *answers, repeat=True)``.

Each is an answer as ``_core`` defines it: a :class:`Reply`, or a function of the request
that writes to its raw connection (``rec.conn``) and returns ``None``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import struct
import zlib
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any, TypeAlias

from tests.helpers.sites._core import Conn, Recorded, Reply

ONE_MB = 1024 * 1024
Fault: TypeAlias = Callable[[Recorded], Reply | None]


def _conn(rec: Recorded) -> Conn:
    assert rec.conn is not None
    return rec.conn


def respond(
    status: int = 200,
    body: bytes | str | dict[str, Any] = b"",
    *,
    headers: dict[str, str] | None = None,
    content_type: str | None = None,
) -> Reply:
    """A complete, well-formed answer (``application/octet-stream`` for bytes)."""
    extra = dict(headers or {})
    if content_type or isinstance(body, bytes):
        extra.setdefault("Content-Type", content_type or "application/octet-stream")
    return Reply(status, body, extra)


def ok() -> Reply:
    return respond(200, {"revalidated": True, "now": 1})


def reset_mid_response() -> Fault:
    """Headers and part of the body, then a TCP reset (SO_LINGER 0)."""

    def fault(rec: Recorded) -> None:
        conn = _conn(rec)
        head = Reply(200, headers={"Content-Type": "application/json"}).head(100, {})
        conn.sock.sendall(head + b'{"revali')
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.keep_alive = False

    return fault


def never_answer() -> Fault:
    """Read the request, then say nothing until the site stops."""

    def fault(rec: Recorded) -> None:
        conn = _conn(rec)
        conn.stop.wait()
        conn.keep_alive = False

    return fault


def drip(*, interval: float = 1.0) -> Fault:
    """An answer that arrives one byte per ``interval`` seconds, forever."""

    def fault(rec: Recorded) -> None:
        conn = _conn(rec)
        data = Reply().head(10 * ONE_MB, {"Content-Type": "application/json"}) + b" " * ONE_MB
        conn.keep_alive = False
        for i in range(len(data)):
            try:
                conn.sock.sendall(data[i : i + 1])
            except OSError:
                return
            if conn.stop.wait(interval):
                return

    return fault


def huge_body(size: int = 50 * ONE_MB) -> Fault:
    """A ``size``-byte JSON-ish body, sent as fast as the client reads it."""

    def fault(rec: Recorded) -> None:
        conn = _conn(rec)
        conn.keep_alive = False
        chunk = b"x" * (64 * 1024)
        conn.sock.sendall(Reply().head(size, {"Content-Type": "text/plain"}) + b'{"a": "')
        sent = 7
        with contextlib.suppress(OSError):
            while sent < size and not conn.stop.is_set():
                part = chunk[: size - sent]
                conn.sock.sendall(part)
                sent += len(part)

    return fault


def gzip_bomb(size: int = 50 * ONE_MB) -> Reply:
    """A tiny gzip body that inflates to ``size`` bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = packer.compress(b"\0" * size) + packer.flush()
    return respond(200, payload, headers={"Content-Encoding": "gzip"}, content_type="text/plain")


def html_page(status: int = 200) -> Reply:
    page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>" + "<p>x</p>" * 900
    return respond(status, page + "</body></html>", content_type="text/html; charset=utf-8")


def invalid_utf8(status: int = 200) -> Reply:
    return respond(
        status, b'\xff\xfe{"revalidated": \xc3(true}\x80', content_type="application/json"
    )


def retry_after_seconds(seconds: int, status: int = 429) -> Reply:
    return respond(status, {"message": "slow down"}, headers={"Retry-After": str(seconds)})


def retry_after_date(seconds_from_now: float, status: int = 429) -> Fault:
    """429 with ``Retry-After`` as an HTTP-date, computed when the answer is sent."""

    def fault(rec: Recorded) -> Reply:
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now)
        header = {"Retry-After": format_datetime(when, usegmt=True)}
        return respond(status, {"message": "slow down"}, headers=header)

    return fault


def redirect(location: str, status: int = 307) -> Reply:
    return respond(status, b"", headers={"Location": location})
