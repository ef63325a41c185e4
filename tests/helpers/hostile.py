"""What a compromised site sends (issue 15): bombs, drips, header floods, odd Locations.

Answers for ``site.on(match, answer, repeat=True)`` of :mod:`tests.helpers.sites` (127.0.0.1
only), and
:func:`run_child`, which runs one fetch in a fresh interpreter under an address-space
limit and reports its peak RSS: a reader that inflates a bomb dies of ``MemoryError``
there instead of eating the machine's memory.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

from tests.helpers.sites import Conn, Fault, Recorded, Reply, respond

GIB = 1024 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def _conn(rec: Recorded) -> Conn:
    assert rec.conn is not None
    return rec.conn


@functools.cache
def gzip_gzip_zeros(size: int = 2 * GIB) -> bytes:
    """gzip of gzip of ``size`` zero bytes (2 GiB: about 3.5 KB)."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    parts = [inner.compress(block) for _ in range(size // len(block))]
    parts.append(inner.flush())
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return outer.compress(b"".join(parts)) + outer.flush()


def double_gzip_bomb(content_type: str = "application/json") -> Reply:
    """``Content-Encoding: gzip, gzip`` over 2 GiB of zeros."""
    return respond(
        200, gzip_gzip_zeros(), headers={"Content-Encoding": "gzip, gzip"},
        content_type=content_type,
    )  # fmt: skip


def header_drip(*, interval: float = 0.1, lines: int = 100, body: bytes = b"ok") -> Fault:
    """A status line, then one header line every ``interval`` seconds, then a short body.

    Each pause is shorter than any read timeout, so only a total deadline ends it early.
    """

    def fault(rec: Recorded) -> None:
        conn = _conn(rec)
        conn.keep_alive = False
        conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
        for i in range(lines):
            if conn.stop.wait(interval):
                return
            conn.sock.sendall(f"X-Drip-{i}: {i}\r\n".encode())
        conn.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    return fault


def body_drip(*, interval: float = 0.1, size: int = 100) -> Fault:
    """Headers at once, then a ``size``-byte body one byte every ``interval`` seconds."""

    def fault(rec: Recorded) -> None:
        conn = _conn(rec)
        conn.keep_alive = False
        conn.sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % size
        )
        for _ in range(size):
            if conn.stop.wait(interval):
                return
            conn.sock.sendall(b"/")

    return fault


def many_headers(count: int = 10_000, status: int = 200) -> Fault:
    """An answer with ``count`` header lines (h11 refuses heads over 16 KiB)."""

    def fault(rec: Recorded) -> None:
        conn = _conn(rec)
        head = [f"HTTP/1.1 {status} OK", "Content-Length: 2"]
        head += [f"X-Flood-{i}: {i}" for i in range(count)]
        conn.sock.sendall(("\r\n".join(head) + "\r\n\r\n{}").encode())

    return fault


def raw_location(location: bytes, status: int = 307) -> Fault:
    """A redirect whose ``Location`` holds exactly these bytes."""

    def fault(rec: Recorded) -> None:
        conn = _conn(rec)
        conn.sock.sendall(
            b"HTTP/1.1 %d Moved\r\nContent-Length: 0\r\nLocation: %s\r\n\r\n" % (status, location)
        )

    return fault


def run_child(mode: str, url: str, *, limit_mb: int = 1536, timeout: float = 120) -> dict[str, Any]:
    """Run ``bench.hostile child MODE URL`` under an address-space limit; its JSON report."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.hostile", "child", mode, url, "--limit-mb", str(limit_mb)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"ok": False, "crashed": True, "stderr": proc.stderr[-2000:]}
    report: dict[str, Any] = json.loads(lines[-1])
    return report
