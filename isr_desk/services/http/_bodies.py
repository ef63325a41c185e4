"""Reading a response body with a hard cap on the bytes kept *and* on the bytes inflated.

httpx's ``aiter_bytes`` inflates each received chunk in full: one 64 KB chunk of a gzip
bomb becomes ~64 MB in memory before a cap on the decoded size can act. Here the raw bytes
are read and gzip/deflate is inflated with ``max_length``, so memory stays within the cap
whatever the site sends. Other encodings are kept raw (the client only asks for gzip and
deflate, and a revalidation answer is small).
"""

from __future__ import annotations

import zlib

import httpx


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` decoded bytes of ``response``'s body; the rest is never read."""
    try:
        return response.content[:limit]  # already in memory (a mock transport): decoded
    except httpx.ResponseNotRead:
        pass
    inflater = _Inflater.for_encoding(response.headers.get("content-encoding", ""))
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        chunk = inflater.inflate(raw, limit - size) if inflater else raw
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break  # the rest is not needed to judge the result
    return b"".join(chunks)[:limit]


class _Inflater:
    """gzip / zlib / raw-deflate inflation that never returns more than asked for."""

    def __init__(self, *, deflate: bool) -> None:
        # 47: a zlib or gzip header, detected; a bare deflate stream is tried on error.
        self._obj = zlib.decompressobj(47)
        self._raw_allowed = deflate
        self._broken = False

    @classmethod
    def for_encoding(cls, encoding: str) -> _Inflater | None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        if codings in (["gzip"], ["x-gzip"]):
            return cls(deflate=False)
        if codings == ["deflate"]:
            return cls(deflate=True)
        return None

    def inflate(self, data: bytes, room: int) -> bytes:
        if self._broken or room <= 0:
            return b""
        try:
            return self._obj.decompress(data, room)
        except zlib.error:
            if self._raw_allowed:
                self._raw_allowed = False
                self._obj = zlib.decompressobj(-15)
                return self.inflate(data, room)
            self._broken = True
            return b""  # undecodable: judged by the status alone
