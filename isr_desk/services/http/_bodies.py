"""Reading a response body with a hard cap on the bytes kept *and* on the bytes inflated.

httpx's ``aiter_bytes``/``iter_bytes`` inflate each received chunk in full, and every layer
of ``Content-Encoding: gzip, gzip``: 3.5 KB of gzip of gzip of 2 GiB of zeros became
gigabytes in memory before any cap on the decoded size could act (docs/reliability.md).
Here the raw bytes are read and each gzip/deflate layer is inflated with ``max_length``, a
bounded piece at a time, so memory stays within the cap whatever the site sends. Encodings
other than gzip and deflate are kept raw: every client of ISR Desk asks only for those
(:data:`ACCEPT_ENCODING`), or for ``identity`` where compression buys nothing.

``max_ratio`` refuses a body that inflates more than that many times its raw size once it
has grown past :data:`RATIO_FLOOR` (:class:`BodyTooLargeError`): a manifest of 128 MiB is
allowed, but not 128 MiB made of 128 KiB of zeros.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

ACCEPT_ENCODING = "gzip, deflate"  # the only codings :func:`read_capped` inflates
IDENTITY = {"Accept-Encoding": "identity"}
RATIO_FLOOR = 4 * 1024 * 1024  # inflated bytes before the ratio is judged
_PIECE = 64 * 1024  # bytes one inner layer hands the next at a time
_MAX_LAYERS = 4  # "gzip, gzip, gzip, gzip" is already absurd; more is kept raw


class BodyTooLargeError(Exception):
    """The body inflates more than ``max_ratio`` times its size: a decompression bomb."""

    def __init__(self, inflated: int, raw: int) -> None:
        super().__init__(f"{inflated} bytes inflated from {raw}: a decompression bomb")
        self.inflated = inflated
        self.raw = raw


async def read_capped(
    response: httpx.Response, limit: int, *, max_ratio: float | None = None
) -> bytes:
    """At most ``limit`` decoded bytes of ``response``'s body; the rest is never read."""
    body = bytearray()
    async for chunk in aiter_capped(response, limit, max_ratio=max_ratio):
        body += chunk
    return bytes(body)


async def aiter_capped(
    response: httpx.Response, limit: int, *, max_ratio: float | None = None
) -> AsyncIterator[bytes]:
    """The decoded body in pieces, ``limit`` bytes at most in all (streaming, async)."""
    try:
        content = response.content  # already in memory (a mock transport): decoded
    except httpx.ResponseNotRead:
        pass
    else:
        yield content[:limit]
        return
    decoder = Decoder(response.headers.get("content-encoding", ""), limit, max_ratio)
    async for raw in response.aiter_raw():
        piece = decoder.feed(raw)
        if piece:
            yield piece
        if decoder.full:
            break  # the rest is not needed


def iter_capped(
    response: httpx.Response, limit: int, *, max_ratio: float | None = None
) -> Iterator[bytes]:
    """:func:`aiter_capped` for a synchronous ``httpx.Client`` stream."""
    decoder = Decoder(response.headers.get("content-encoding", ""), limit, max_ratio)
    for raw in response.iter_raw():
        piece = decoder.feed(raw)
        if piece:
            yield piece
        if decoder.full:
            break


class Decoder:
    """Undoes the content codings of one body, never producing more than ``limit`` bytes.

    ``full`` turns true once ``limit`` bytes came out: the caller stops reading there.
    """

    def __init__(self, encoding: str, limit: int, max_ratio: float | None = None) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        known = all(c in ("gzip", "x-gzip", "deflate") for c in codings)
        # Decoded in the reverse order of application: the last coding applied comes off first.
        self._layers = (
            [_Layer(deflate=c == "deflate") for c in reversed(codings)]
            if known and len(codings) <= _MAX_LAYERS
            else []
        )
        self._room = limit
        self._ratio = max_ratio
        self._raw = 0
        self._out = 0

    @property
    def full(self) -> bool:
        return self._room <= 0

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes ``raw`` yields (within the room left)."""
        self._raw += len(raw)
        if not self._layers:
            piece = raw[: max(self._room, 0)]
        else:
            self._layers[0].pending += raw
            pieces = []
            room = self._room
            while room > 0:
                got = self._pull(len(self._layers) - 1, min(room, _PIECE))
                if not got:
                    break
                pieces.append(got)
                room -= len(got)
                self._check_ratio(self._out + self._room - room)
            piece = b"".join(pieces)
        self._room -= len(piece)
        self._out += len(piece)
        return piece

    def _check_ratio(self, inflated: int) -> None:
        ratio = self._ratio
        if ratio is not None and inflated > RATIO_FLOOR and inflated > ratio * self._raw:
            raise BodyTooLargeError(inflated, self._raw)

    def _pull(self, index: int, size: int) -> bytes:
        """At most ``size`` bytes out of layer ``index``, pulling its input from the one before."""
        layer = self._layers[index]
        while True:
            if layer.pending:
                out = layer.inflate(size)
                if out or layer.pending:
                    return out
            if index == 0:
                return b""  # wait for more raw bytes
            feed = self._pull(index - 1, _PIECE)
            if not feed:
                return b""
            layer.pending = feed


class _Layer:
    """One gzip / zlib / raw-deflate layer with its not-yet-inflated input."""

    def __init__(self, *, deflate: bool) -> None:
        # 47: a zlib or gzip header, detected; a bare deflate stream is tried on error.
        self._obj = zlib.decompressobj(47)
        self._raw_allowed = deflate
        self._broken = False
        self.pending = b""

    def inflate(self, size: int) -> bytes:
        if self._broken:
            self.pending = b""
            return b""
        data, self.pending = self.pending, b""
        try:
            out = self._obj.decompress(data, size)
        except zlib.error:
            if self._raw_allowed:
                self._raw_allowed = False
                self._obj = zlib.decompressobj(-15)
                self.pending = data
                return self.inflate(size)
            self._broken = True
            return b""  # undecodable: judged by the status alone
        self.pending = self._obj.unconsumed_tail
        return out
