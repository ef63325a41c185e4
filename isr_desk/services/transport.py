"""An asyncio-native network backend for httpcore, and the shared client built on it.

httpcore's default backend goes through anyio, whose ``extra()`` lookup rebuilds a dict of
attributes on every call. The connection pool asks each idle connection
``get_extra_info("is_readable")`` every time it assigns a request, so at 16-32 requests in
flight that lookup alone costs more than the request itself (measured on this stack:
3.8 ms per request at concurrency 16 against 1.5 ms at concurrency 1). Plain asyncio
streams answer the same questions from attributes they already hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from isr_desk import __version__

_SocketOption = httpcore.SOCKET_OPTION
MAX_CONNECTIONS = 1024
COALESCE_BYTES = 64 * 1024


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One TCP (or TLS) connection on asyncio streams, with httpcore's exception mapping.

    Writes are held until the next read (or until ``COALESCE_BYTES`` are waiting): httpcore
    writes a request's headers and its body separately, and each write is a syscall and a
    segment that wakes the server. Sent together they cost one of each.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._write_timeout: float | None = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._pending:
            # As httpcore does after a failed write: read anyway, the server may have
            # answered (an early 4xx) before closing its side.
            with contextlib.suppress(httpcore.WriteError):
                await self._flush()
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc) or "read timed out") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._pending.append(buffer)
        self._pending_size += len(buffer)
        self._write_timeout = timeout
        if self._pending_size >= COALESCE_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        try:
            async with asyncio.timeout(self._write_timeout):
                self._writer.write(data)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc) or "write timed out") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.CancelledError):
            await self._writer.wait_closed()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            await self.aclose()
            raise httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # asyncio reads eagerly: an idle connection the server closed or wrote to has
            # EOF or bytes in the reader's buffer already.
            return self._reader.at_eof() or bool(getattr(self._reader, "_buffer", b""))
        key = {
            "ssl_object": "ssl_object",
            "client_addr": "sockname",
            "server_addr": "peername",
            "socket": "socket",
        }.get(info)
        return None if key is None else self._writer.get_extra_info(key)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens :class:`AsyncioStream` connections."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, local_addr=local)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"connecting to {path} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class LinearPool(httpcore.AsyncConnectionPool):
    """httpcore's pool with its request assignment made linear in the connections.

    The stock ``_assign_requests_to_connections`` counts every connection for every idle
    one (O(n²) per call, called on every request start and end): at concurrency 32 that
    was over half the CPU of a run. Same rules, one pass. httpcore is pinned to 1.0.x;
    ``tests/unit/test_transport.py`` fails if the attributes used here go away.
    """

    def _assign_requests_to_connections(self) -> list[Any]:
        if self._http2:
            return super()._assign_requests_to_connections()
        queued = [r for r in self._requests if r.is_queued()]
        if not queued:
            # Nothing waits (the usual case when a response closes): closed and expired
            # connections are swept when the next request arrives. Keep-alive is as large as
            # the pool (make_transport), so no idle connection is ever over the limit.
            return []
        # An HTTP/1.1 connection handed to a request that has not started on it yet still
        # looks idle; handing it out again makes the later request fail with
        # ConnectionNotAvailable and go round the pool's loop (5 extra passes per request
        # were measured at concurrency 32).
        taken = {id(r.connection) for r in self._requests if r.connection is not None}
        closing: list[Any] = []
        kept: list[Any] = []
        available: list[Any] = []
        keepalive = self._max_keepalive_connections
        connection: Any
        for connection in self._connections:
            if connection.is_closed():
                continue
            # Only an idle connection can expire: httpcore sets the keep-alive deadline when
            # a connection goes idle and looks for a server close only on idle ones.
            if connection.is_idle():
                if keepalive <= 0 or connection.has_expired():
                    closing.append(connection)
                    continue
                keepalive -= 1
                if id(connection) not in taken and connection.is_available():
                    available.append(connection)
            kept.append(connection)
        for pool_request in queued:
            origin = pool_request.request.url.origin
            connection = next((c for c in available if c.can_handle_request(origin)), None)
            if connection is None:
                if len(kept) >= self._max_connections:
                    if not available:
                        continue  # stays queued until a connection frees up
                    spare = available.pop(0)  # idle, for another origin
                    kept.remove(spare)
                    closing.append(spare)
                connection = self.create_connection(origin)
                kept.append(connection)
            else:
                available.remove(connection)
            taken.add(id(connection))
            pool_request.assign_to_connection(connection)
        self._connections[:] = kept
        return closing

    async def _close_connections(self, closing: list[Any]) -> None:
        # Called after every assignment; most close nothing, and the stock method enters an
        # anyio cancel scope (a few µs and a task lookup) even for an empty list.
        if closing:
            await super()._close_connections(closing)


def make_transport(*, verify: ssl.SSLContext | bool = True) -> httpx.AsyncHTTPTransport:
    """httpx's transport with its connection pool on :class:`AsyncioBackend`."""
    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=False)
    pool = LinearPool(
        # The context httpx just built for the pool it made: loading the CA bundle again
        # would cost another ~0.1 s of start-up.
        ssl_context=transport._pool._ssl_context,
        # The engine caps requests in flight itself. Keep-alive must hold as many connections
        # as a run keeps busy: with httpx's default of 20, a run at concurrency 32 closes
        # and reopens a connection for most requests.
        max_connections=MAX_CONNECTIONS,
        max_keepalive_connections=MAX_CONNECTIONS,
        keepalive_expiry=httpx.Limits().keepalive_expiry,
        network_backend=AsyncioBackend(),
    )
    # httpx has no public switch for the network backend; the pool is the documented
    # httpcore object that its transport wraps (httpx is pinned below 0.29).
    transport._pool = pool
    return transport


class LazyCookies(httpx.Cookies):
    """httpx's cookie store, skipping the work for a response that sets no cookie.

    httpx hands every response to the jar through urllib adapters that copy the request
    and every response header (~60 µs a response); the jar then looks only at
    ``Set-Cookie`` and ``Set-Cookie2``, which a revalidation route hardly ever sends.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def make_client(*, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """The one client of the app. Redirects are never followed by httpx: the engine decides."""
    client = httpx.AsyncClient(
        transport=make_transport(verify=verify),
        follow_redirects=False,
        headers={"User-Agent": f"isr-desk/{__version__}"},
        timeout=httpx.Timeout(10.0),
        trust_env=False,  # a proxy from the environment must not see the secret silently
    )
    # The constructor wraps any store it is given in a plain Cookies; set ours afterwards.
    client._cookies = LazyCookies()
    return client
