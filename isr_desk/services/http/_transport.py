"""The transport under the app's one ``httpx.AsyncClient``: HTTP/1.1 with h11 on asyncio.

httpx's default transport goes through httpcore's connection pool and anyio: every request
takes a dozen lock, event and cancel-scope round trips, which were measured at over 40 % of
the engine's CPU in a 10,000-path run (docs/performance.md, docs/architecture.md). A
revalidation run sends thousands of small requests to one origin over keep-alive
connections; this transport does just that: a per-origin stack of idle connections, h11 for
the protocol (the parser httpcore uses too), asyncio protocols for the bytes, and httpx's
exceptions for every failure.

Not supported, because nothing in ISR Desk needs them: HTTP/2, Unix sockets. Proxied
origins go through httpx\'s own transport instead (``_network.RoutingTransport``).

The contract with httpcore that the rest of ISR Desk relies on
--------------------------------------------------------------
Timing (``services/revalidation``) and ``services/doctor`` were written against httpx's own
transport; this one keeps the parts they use, so either transport can sit under the client
(``tests/services/http/test_wire.py`` runs every case against both):

* ``request.extensions["trace"]``: an async callable ``trace(name, info)`` awaited with these
  event names, in this order, on the request's task:
  ``connection.connect_tcp.started`` → ``connection.connect_tcp.complete`` →
  (https only) ``connection.start_tls.started`` → ``connection.start_tls.complete`` →
  ``http11.receive_response_headers.complete``. A request on a kept-alive connection gets
  only the last one. httpcore sends more names besides (``http11.send_request_headers.*``,
  ``*.failed``, ...) and puts other things in ``info``: a listener must ignore names it does
  not know and must not read ``info``.
* ``response.extensions["network_stream"]``: an object whose ``get_extra_info(name)``,
  asked while the response is open, answers ``"ssl_object"`` (the ``ssl.SSLObject`` of an
  https connection, ``None`` for http), ``"client_addr"`` and ``"server_addr"`` (``(host,
  port)`` of each end); ``"is_readable"`` is true once the server closed the connection or
  sent bytes it was not asked for (what makes an idle connection unfit for reuse). Other
  names differ: httpcore answers ``"socket"`` with a ``socket.socket`` and nothing else, this
  transport asyncio's ``TransportSocket`` and whatever asyncio knows; nothing here uses them.
* ``response.extensions["http_version"]`` (``b"HTTP/1.1"``) and ``["reason_phrase"]``.
* Redirects are answers like any other: the transport never follows one.
* Timeouts per phase from ``request.extensions["timeout"]``: ``connect`` (TCP and TLS),
  ``write``, ``read`` (each wait for bytes), ``pool`` (waiting for a free connection), raised
  as ``httpx.ConnectTimeout`` / ``WriteTimeout`` / ``ReadTimeout`` / ``PoolTimeout``.

Where the two differ on purpose: a kept-alive connection that the server closes just as the
next request goes out is retried once on a new connection here (httpcore raises
``RemoteProtocolError``), because a revalidation to a server with a short keep-alive would
otherwise fail at random.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import h11
import httpx

MAX_CONNECTIONS = 1024  # requests in flight at once (the engine caps its own below this)
KEEPALIVE_EXPIRY = 5.0  # seconds an idle connection is kept (httpx's default)
CLOSE_TIMEOUT = 2.0  # seconds a closing client waits for TLS shutdowns before aborting
_READ_HIGH = 256 * 1024  # buffered bytes at which reading pauses (a big body read slowly)
_WRITE_LIMIT = 64 * 1024
Origin = tuple[str, str, int]
Trace = Callable[[str, dict[str, Any]], Awaitable[None]]
_EXTRA = {"client_addr": "sockname", "server_addr": "peername"}


class _StaleConnectionError(Exception):
    """A kept-alive connection the server had closed: nothing of an answer arrived."""


class _Buffer(asyncio.Protocol):
    """What one connection receives, for its one reader (HTTP/1.1 has no multiplexing)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.size = 0
        self.eof = False
        self.error: BaseException | None = None
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self.lost: asyncio.Future[None] = loop.create_future()  # done once the socket is closed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(_WRITE_LIMIT)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)
        if self.size > _READ_HIGH and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> None:
        self.eof = True
        self._wake()  # returning None: the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        self.resume_writing()
        if not self.lost.done():
            self.lost.set_result(None)

    def pause_writing(self) -> None:
        self._drain = self.loop.create_future()

    def resume_writing(self) -> None:
        drain, self._drain = self._drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def read(self, timeout: float | None) -> bytes:
        """The bytes received so far, waiting up to ``timeout`` for some; ``b""`` at EOF."""
        if not self.chunks and not self.eof:
            waiter = self._waiter = self.loop.create_future()
            timer = None if timeout is None else self.loop.call_later(timeout, _expire, waiter)
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        chunks = self.chunks
        if not chunks:
            if self.error is not None:
                raise self.error
            return b""
        data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self.size = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    async def drained(self, timeout: float | None) -> None:
        drain = self._drain
        if drain is not None:
            async with asyncio.timeout(timeout):
                await drain


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class _Connection:
    """One HTTP/1.1 connection: an asyncio transport, what it received, its h11 state."""

    def __init__(self, origin: Origin, transport: asyncio.Transport, buffer: _Buffer) -> None:
        self.origin = origin
        self.transport = transport
        self.buffer = buffer
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0
        self.answered = False  # any byte of the current response arrived

    def next_cycle(self, now: float) -> None:
        self.h11.start_next_cycle()
        self.idle_since = now
        self.answered = False

    def reusable(self, now: float) -> bool:
        """Idle, not expired, and the server has neither closed it nor sent stray bytes."""
        buffer = self.buffer
        return (
            now - self.idle_since < KEEPALIVE_EXPIRY
            and not buffer.eof
            and not buffer.chunks
            and not self.transport.is_closing()
        )

    def close(self) -> None:
        self.transport.close()

    def get_extra_info(self, name: str) -> Any:
        """As httpcore's network stream answers it (``response.extensions["network_stream"]``)."""
        if name == "is_readable":
            return self.buffer.eof or bool(self.buffer.chunks)
        return self.transport.get_extra_info(_EXTRA.get(name, name))

    async def send(
        self, request: httpx.Request, body: bytes | None, timeouts: dict[str, Any]
    ) -> None:
        """Send ``request``: ``body`` is its content when in memory, else ``None`` (streamed)."""
        try:
            conn = self.h11
            head = h11.Request(
                method=request.method, target=request.url.raw_path, headers=request.headers.raw
            )
            data = conn.send(head) or b""
            if body is not None:  # in memory (the usual case): one write for the whole request
                if body:
                    data += conn.send(h11.Data(data=body)) or b""
                await self._write(data + (conn.send(h11.EndOfMessage()) or b""), request, timeouts)
                return
            await self._write(data, request, timeouts)
            async for chunk in request.stream:  # type: ignore[union-attr]
                await self._write(conn.send(h11.Data(data=chunk)), request, timeouts)
            await self._write(conn.send(h11.EndOfMessage()), request, timeouts)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from exc

    async def _write(
        self, data: bytes | None, request: httpx.Request, timeouts: dict[str, Any]
    ) -> None:
        if self.transport.is_closing():
            raise _StaleConnectionError
        if data:
            self.transport.write(data)
        try:
            await self.buffer.drained(timeouts.get("write"))
        except TimeoutError:
            raise httpx.WriteTimeout("write timed out", request=request) from None

    async def next_event(self, request: httpx.Request, timeout: float | None) -> Any:
        conn = self.h11
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await self.buffer.read(timeout)
            except TimeoutError:
                raise httpx.ReadTimeout("read timed out", request=request) from None
            except OSError as exc:
                raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
            if not data and not self.answered:
                raise _StaleConnectionError
            self.answered = True
            conn.receive_data(data)


class _ResponseStream(httpx.AsyncByteStream):
    """A response body, read from its connection; closing it hands the connection back."""

    def __init__(
        self, pool: H11Transport, conn: _Connection, request: httpx.Request, timeout: float | None
    ) -> None:
        self._pool = pool
        self._conn: _Connection | None = conn
        self._request = request
        self._timeout = timeout
        self._complete = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            raise httpx.StreamClosed()
        while not self._complete:
            event = await conn.next_event(self._request, self._timeout)
            kind = type(event)
            if kind is h11.Data:
                yield bytes(event.data)
            elif kind is h11.EndOfMessage or kind is h11.ConnectionClosed:
                self._complete = True

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.release(conn, reuse=self._complete)


class H11Transport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 to any number of origins; at most ``max_connections`` in use."""

    def __init__(
        self, *, ssl_context: ssl.SSLContext, max_connections: int = MAX_CONNECTIONS
    ) -> None:
        self._ssl_context = ssl_context
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[Origin, list[_Connection]] = {}
        self._max_idle = max_connections
        self._idle_count = 0
        self._open: set[_Connection] = set()
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}", request=request)
        origin = (
            scheme,
            url.raw_host.decode("ascii"),
            url.port or (443 if scheme == "https" else 80),
        )
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        trace: Trace | None = request.extensions.get("trace")
        await self._acquire(request, timeouts.get("pool"))
        try:
            conn, event = await self._exchange(request, origin, timeouts, trace)
        except BaseException:
            self._slots.release()
            raise
        if trace is not None:
            await trace("http11.receive_response_headers.complete", {"request": request})
        stream = _ResponseStream(self, conn, request, timeouts.get("read"))
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers.raw_items(),
            stream=stream,
            extensions={
                "http_version": b"HTTP/" + event.http_version,
                "reason_phrase": event.reason,
                "network_stream": conn,
            },
        )

    async def _acquire(self, request: httpx.Request, timeout: float | None) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # returns at once: no cancel scope, no yield
            return
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no free connection in time", request=request) from None

    async def _exchange(
        self, request: httpx.Request, origin: Origin, timeouts: dict[str, Any], trace: Trace | None
    ) -> tuple[_Connection, Any]:
        """Send ``request`` and read its response head, on a kept-alive connection if any.

        A kept-alive connection can be closed by the server just as a request goes out;
        then the request is sent once more, on a new connection (when its body is in memory).
        """
        try:
            body: bytes | None = request.content
        except httpx.RequestNotRead:
            body = None
        fresh = False
        while True:
            conn = None if fresh else self._checkout(origin)
            reused = conn is not None
            if conn is None:
                conn = await self._connect(request, origin, timeouts.get("connect"), trace)
            try:
                await conn.send(request, body, timeouts)
                event = await conn.next_event(request, timeouts.get("read"))
                while type(event) is h11.InformationalResponse:  # 100 Continue, 103 ...
                    event = await conn.next_event(request, timeouts.get("read"))
                return conn, event
            except _StaleConnectionError:
                conn.close()
                if not reused or body is None:  # a fresh connection: the server's doing
                    raise httpx.RemoteProtocolError(
                        "the server closed the connection without answering", request=request
                    ) from None
                fresh = True
            except BaseException:
                conn.close()
                raise

    def _checkout(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        now = asyncio.get_running_loop().time()
        while idle:
            conn = idle.pop()  # the most recently used: the least likely to have expired
            self._idle_count -= 1
            if conn.reusable(now):
                return conn
            conn.close()
        return None

    async def _connect(
        self, request: httpx.Request, origin: Origin, timeout: float | None, trace: Trace | None
    ) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        info = {"request": request}
        if trace is not None:
            await trace("connection.connect_tcp.started", info)
        try:
            async with asyncio.timeout(timeout):
                transport, buffer = await loop.create_connection(lambda: _Buffer(loop), host, port)
        except TimeoutError:
            raise httpx.ConnectTimeout(
                f"connecting to {host}:{port} timed out", request=request
            ) from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        if trace is not None:
            await trace("connection.connect_tcp.complete", info)
        if scheme == "https":
            transport = await self._start_tls(request, transport, buffer, host, timeout, trace)
        conn = _Connection(origin, transport, buffer)
        self._open.add(conn)
        buffer.lost.add_done_callback(lambda _: self._open.discard(conn))
        return conn

    async def _start_tls(
        self,
        request: httpx.Request,
        transport: asyncio.Transport,
        buffer: _Buffer,
        host: str,
        timeout: float | None,
        trace: Trace | None,
    ) -> asyncio.Transport:
        info = {"request": request}
        if trace is not None:
            await trace("connection.start_tls.started", info)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                tls = await loop.start_tls(
                    transport, buffer, self._ssl_context, server_hostname=host
                )
        except TimeoutError:
            transport.close()
            raise httpx.ConnectTimeout("TLS handshake timed out", request=request) from None
        except (OSError, ssl.SSLError) as exc:
            transport.close()
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        except BaseException:
            transport.close()
            raise
        if tls is None:  # the server closed during the handshake
            transport.close()
            raise httpx.ConnectError("the server closed the connection during TLS", request=request)
        buffer.transport = tls
        if trace is not None:
            await trace("connection.start_tls.complete", info)
        return tls

    def release(self, conn: _Connection, *, reuse: bool) -> None:
        """A response is closed: keep its connection for the next request, or close it."""
        self._slots.release()
        h = conn.h11
        if (
            reuse
            and not self._closed
            and h.our_state is h11.DONE
            and h.their_state is h11.DONE
            and self._idle_count < self._max_idle
        ):
            conn.next_cycle(asyncio.get_running_loop().time())
            self._idle.setdefault(conn.origin, []).append(conn)
            self._idle_count += 1
        else:
            conn.close()

    async def aclose(self) -> None:
        """Close every connection and wait (briefly) until their sockets are closed.

        A TLS connection closes with a close_notify exchange: without the wait, a loop that
        ends right after the client would leave its socket open.
        """
        self._closed = True
        self._idle.clear()
        self._idle_count = 0
        conns = list(self._open)
        for conn in conns:
            conn.close()
        waiting = [conn.buffer.lost for conn in conns if not conn.buffer.lost.done()]
        if waiting:
            await asyncio.wait(waiting, timeout=CLOSE_TIMEOUT)
        for conn in conns:
            if not conn.buffer.lost.done():
                conn.transport.abort()


def make_transport(*, verify: ssl.SSLContext | bool = True) -> httpx.AsyncBaseTransport:
    """The transport under the app's client; ``verify`` as httpx takes it.

    Going back to httpx's own transport is the one line below:
    ``return httpx.AsyncHTTPTransport(verify=context)`` (tests/services/http/ runs the same
    wire-level cases against both).
    """
    from isr_desk.services.http._network import trust_context

    if isinstance(verify, ssl.SSLContext):
        context = verify
    elif verify:
        context = trust_context()
    else:
        context = httpx.create_ssl_context(verify=False, trust_env=False)
    return H11Transport(ssl_context=context)
