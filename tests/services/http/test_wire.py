"""The transport on the wire: every case runs against ``H11Transport`` and httpx's own.

``make_transport`` returns ``H11Transport``; going back to httpx's ``AsyncHTTPTransport`` is
one line there. These cases are what must hold either way, seen on the wire with scripted
asyncio servers on 127.0.0.1 that answer with exactly the bytes a test gives. Where
httpx's transport behaves differently the test says so (``if kind == HTTPCORE``); the
contract itself (trace names, ``network_stream``) is written in
``isr_desk/services/http/_transport.py``.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from isr_desk.services.http import H11Transport, make_client, make_transport
from tests.helpers import sites

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n"
OK += b'{"revalidated":true}'
H11, HTTPCORE = "h11", "httpcore"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
# The trace events a timing listener relies on (the module docstring of _transport.py).
CONTRACT_EVENTS = {
    "connection.connect_tcp.started",
    "connection.connect_tcp.complete",
    "connection.start_tls.started",
    "connection.start_tls.complete",
    "http11.receive_response_headers.complete",
}


def transport_for(
    kind: str, *, verify: ssl.SSLContext | bool = True, max_connections: int | None = None
) -> httpx.AsyncBaseTransport:
    """The transport of ``kind``: ISR Desk's (as ``make_transport`` builds it) or httpx's."""
    context = (
        verify
        if isinstance(verify, ssl.SSLContext)
        else httpx.create_ssl_context(verify=verify, trust_env=False)
    )
    if kind == H11:
        if max_connections is None:
            transport = make_transport(verify=context)
            assert isinstance(transport, H11Transport)  # the app's transport today
            return transport
        return H11Transport(ssl_context=context, max_connections=max_connections)
    limits = httpx.Limits(max_connections=max_connections or 100)
    return httpx.AsyncHTTPTransport(verify=context, limits=limits)


class Scripted:
    """An asyncio server: ``handler`` per connection; counts connections, requests, closes."""

    def __init__(self) -> None:
        self.handler: Handler = lambda r, w: asyncio.sleep(0)
        self.connections = 0
        self.closed_by_client = 0  # connections on which the client closed first (EOF)
        self.server_closed = asyncio.Event()  # set each time the server closes a connection
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []
        self.peers: list[tuple[str, int]] = []
        self.url = ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.peers.append(writer.get_extra_info("peername"))
        try:
            await self.handler(reader, writer)
        except asyncio.IncompleteReadError:
            self.closed_by_client += 1
        except ConnectionError:
            pass
        finally:
            writer.close()
            self.server_closed.set()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        lines = head.lower().split(b"\r\n")
        body = b""
        for line in lines:
            if line.startswith(b"content-length:"):
                body = await reader.readexactly(int(line.split(b":")[1]))
        if b"transfer-encoding: chunked" in lines:
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                body += (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
        self.bodies.append(body)
        return head


@asynccontextmanager
async def scripted(
    handler: Callable[[Scripted], Handler], *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[Scripted]:
    server = Scripted()
    server.handler = handler(server)
    listener = await asyncio.start_server(server._serve, "127.0.0.1", 0, backlog=128, ssl=tls)
    scheme = "https" if tls else "http"
    server.url = f"{scheme}://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    async with listener:
        yield server


def keep_alive(answer: bytes = OK) -> Callable[[Scripted], Handler]:
    """Answer every request on a connection with ``answer`` until the client closes."""

    def make(server: Scripted) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                await server.read_request(reader)
                writer.write(answer)
                await writer.drain()

        return handle

    return make


def answer_once(answer: bytes = b"", *, then: str = "close") -> Callable[[Scripted], Handler]:
    """Read one request and write ``answer``; then close, or ``"read"`` one more request
    and close without answering it, or ``"hang"`` until the client gives up."""

    def make(server: Scripted) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await server.read_request(reader)
            writer.write(answer)
            await writer.drain()
            if then == "read":
                await server.read_request(reader)
            elif then == "hang":
                await reader.read()  # until the client closes

        return handle

    return make


def never_read() -> Callable[[Scripted], Handler]:
    """Accept, then read nothing until the client closes: its writes back up."""

    def make(server: Scripted) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            transport = writer.transport
            assert isinstance(transport, asyncio.ReadTransport)
            transport.pause_reading()
            await writer.wait_closed()

        return handle

    return make


def run(coro: Awaitable[None]) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


async def until_readable(response: httpx.Response) -> None:
    """Wait until the response's connection shows that the server closed it."""
    stream = response.extensions["network_stream"]
    # No event says so (httpx's transport asks the socket itself): one turn of the loop at
    # a time, never a timed wait.
    while not stream.get_extra_info("is_readable"):  # noqa: ASYNC110
        await asyncio.sleep(0)


# --- keep-alive --------------------------------------------------------------------------


def test_sequential_requests_share_one_kept_alive_connection(kind: str) -> None:
    async def go() -> None:
        async with (
            scripted(keep_alive()) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            for i in range(20):
                response = await client.post(f"{server.url}/api/revalidate", json={"path": i})
                assert response.status_code == 200
                assert response.json() == {"revalidated": True}
            assert server.connections == 1
            assert len(server.heads) == 20
            assert server.heads[0].startswith(b"POST /api/revalidate HTTP/1.1\r\n")
            assert b"host: 127.0.0.1" in server.heads[0].lower()

    run(go())


def test_concurrent_requests_open_one_connection_each_and_then_reuse_them(kind: str) -> None:
    async def go() -> None:
        release = asyncio.Event()

        def make(server: Scripted) -> Handler:
            async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                while True:
                    await server.read_request(reader)
                    if server.connections == 8:
                        release.set()
                    await release.wait()  # all 8 in flight at once before any answer
                    writer.write(OK)
                    await writer.drain()

            return handle

        async with scripted(make) as server, make_client(transport=transport_for(kind)) as client:
            for _ in range(3):
                answers = await asyncio.gather(*(client.get(server.url) for _ in range(8)))
                assert [a.status_code for a in answers] == [200] * 8
            assert server.connections == 8
            assert len(server.heads) == 24

    run(go())


def test_a_kept_alive_connection_the_server_closed_is_replaced_transparently(kind: str) -> None:
    async def go() -> None:
        async with (
            scripted(answer_once(OK)) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            for _ in range(3):
                response = await client.get(server.url)
                assert response.status_code == 200
                await until_readable(response)  # the close reached the idle connection
            assert server.connections == 3

    run(go())


def test_a_close_racing_the_next_request(kind: str) -> None:
    """The server reads the second request on a reused connection and closes unanswered.

    ISR Desk's transport sends it once more on a new connection; httpx's raises
    ``RemoteProtocolError`` (httpcore retries only before anything was sent).
    """

    async def go() -> None:
        async with (
            scripted(answer_once(OK, then="read")) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            assert (await client.get(server.url)).status_code == 200
            if kind == HTTPCORE:
                with pytest.raises(httpx.RemoteProtocolError):
                    await client.get(server.url)
                assert len(server.heads) == 2
                return
            assert (await client.get(server.url)).status_code == 200
            assert server.connections == 2
            assert len(server.heads) == 3  # the dropped one was sent again, once
            # Two kept-alive connections that will both drop: the retry takes a new one.
            await asyncio.gather(client.get(server.url), client.get(server.url))
            before = len(server.heads)
            assert (await client.get(server.url)).status_code == 200
            assert len(server.heads) - before == 2  # sent twice in all, never three times

    run(go())


def test_a_fresh_connection_closed_without_an_answer_is_a_protocol_error(kind: str) -> None:
    async def go() -> None:
        async with (
            scripted(answer_once()) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(server.url)
            assert len(server.heads) == 1  # not retried: nothing was reused

    run(go())


def test_closing_the_client_closes_every_connection(kind: str) -> None:
    async def go() -> None:
        async with scripted(keep_alive()) as server:
            client = make_client(transport=transport_for(kind))
            await asyncio.gather(*(client.get(server.url) for _ in range(4)))
            await client.aclose()
            while server.closed_by_client < server.connections:
                await server.server_closed.wait()
                server.server_closed.clear()
            assert server.connections >= 1
            assert server.closed_by_client == server.connections

    run(go())


# --- bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            b"hello world",
        ),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
            b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            b"ok",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n" + b"y" * 3_000_000,
            b"y" * 3_000_000,
        ),
    ],
    ids=["chunked", "informational-first", "large"],
)
def test_bodies_in_each_framing_and_after_1xx(kind: str, answer: bytes, body: bytes) -> None:
    async def go() -> None:
        async with (
            scripted(keep_alive(answer)) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            for _ in range(2):
                response = await client.get(server.url)
                assert response.content == body
            assert server.connections == 1

    run(go())


def test_a_close_delimited_body_is_read_to_the_end_and_not_reused(kind: str) -> None:
    answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 300_000

    async def go() -> None:
        async with (
            scripted(answer_once(answer)) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            for _ in range(2):
                response = await client.get(server.url)
                assert response.content == b"x" * 300_000
            assert server.connections == 2

    run(go())


def test_a_truncated_body_is_a_protocol_error(kind: str) -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part"

    async def go() -> None:
        async with (
            scripted(answer_once(answer)) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(server.url)

    run(go())


def test_a_streamed_request_body_goes_out_chunked_and_a_big_one_whole(kind: str) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for i in range(50):
            yield bytes([65 + i % 26]) * 10_000

    async def go() -> None:
        async with (
            scripted(keep_alive()) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            assert (await client.post(server.url, content=parts())).status_code == 200
            big = b"z" * 2_000_000
            assert (await client.post(server.url, content=big)).status_code == 200
            assert b"transfer-encoding: chunked" in server.heads[0].lower()
            assert server.bodies == [b"".join(bytes([65 + i % 26]) * 10_000 for i in range(50)),
                                     big]  # fmt: skip
            assert server.connections == 1

    run(go())


def test_a_redirect_is_an_answer_the_transport_does_not_follow(kind: str) -> None:
    answer = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"

    async def go() -> None:
        async with scripted(keep_alive(answer)) as server:
            transport = transport_for(kind)
            async with httpx.AsyncClient(transport=transport) as client:  # httpx: no follow
                request = client.build_request("POST", f"{server.url}/api/revalidate", json={})
                response = await transport.handle_async_request(request)
                await response.aread()
                assert response.status_code == 307
                assert response.headers["location"] == "/elsewhere"
            async with make_client(transport=transport_for(kind)) as client:
                response = await client.post(f"{server.url}/api/revalidate", json={})
                assert response.status_code == 307
                assert not response.history
            assert len(server.heads) == 2  # /elsewhere was never asked for

    run(go())


# --- timeouts, per phase -----------------------------------------------------------------


@contextmanager
def full_backlog() -> Iterator[int]:
    """A port whose listen queue is full: a new connection hangs in the handshake."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):  # takes the one queue slot
            yield port


def test_connect_timeout_and_connect_error(kind: str) -> None:
    async def go() -> None:
        async with make_client(transport=transport_for(kind)) as client:
            with full_backlog() as port, pytest.raises(httpx.ConnectTimeout):
                await client.get(f"http://127.0.0.1:{port}/", timeout=httpx.Timeout(5, connect=0.2))
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{sites.free_port()}/")
            with pytest.raises(httpx.UnsupportedProtocol):
                await client.get("ftp://127.0.0.1/")

    run(go())


def test_read_timeout(kind: str) -> None:
    async def go() -> None:
        async with (
            scripted(answer_once(then="hang")) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            with pytest.raises(httpx.ReadTimeout):
                await client.get(server.url, timeout=httpx.Timeout(5, read=0.2))

    run(go())


def test_write_timeout(kind: str) -> None:
    """A server that reads nothing: a 64 MB body cannot leave the socket buffers."""

    async def go() -> None:
        async with (
            scripted(never_read()) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            with pytest.raises(httpx.WriteTimeout):
                await client.post(
                    server.url, content=b"w" * 64 * 2**20, timeout=httpx.Timeout(5, write=0.2)
                )

    run(go())


def test_pool_timeout_holds_requests_until_a_connection_is_free(kind: str) -> None:
    async def go() -> None:
        async with scripted(keep_alive()) as server:
            transport = transport_for(kind, max_connections=1)
            async with make_client(transport=transport) as client:
                first = await client.send(client.build_request("GET", server.url), stream=True)
                with pytest.raises(httpx.PoolTimeout):
                    await client.get(server.url, timeout=httpx.Timeout(5.0, pool=0.1))
                assert await first.aread() == b'{"revalidated":true}'  # read: kept alive
                assert (await client.get(server.url)).status_code == 200
                unread = await client.send(client.build_request("GET", server.url), stream=True)
                await unread.aclose()  # closed unread: the connection cannot be reused
                assert (await client.get(server.url)).status_code == 200
            assert server.connections == 2

    run(go())


# --- the contract: trace names and network_stream -------------------------------------------


def _tracer(events: list[str]) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    async def trace(name: str, info: dict[str, Any]) -> None:
        events.append(name)

    return trace


async def _traced(client: httpx.AsyncClient, url: str) -> tuple[httpx.Response, list[str]]:
    events: list[str] = []
    response = await client.get(url, extensions={"trace": _tracer(events)})
    return response, [e for e in events if e in CONTRACT_EVENTS]


def test_trace_names_on_a_new_and_a_kept_alive_connection(kind: str) -> None:
    async def go() -> None:
        async with (
            scripted(keep_alive()) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            response, first = await _traced(client, server.url)
            assert first == [
                "connection.connect_tcp.started",
                "connection.connect_tcp.complete",
                "http11.receive_response_headers.complete",
            ]
            _, second = await _traced(client, server.url)
            assert second == ["http11.receive_response_headers.complete"]
            assert response.extensions["http_version"] == b"HTTP/1.1"
            assert response.extensions["reason_phrase"] == b"OK"

    run(go())


def test_network_stream_answers_the_addresses_and_readability(kind: str) -> None:
    async def go() -> None:
        async with (
            scripted(answer_once(OK)) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            async with client.stream("GET", server.url) as response:  # read while open
                stream = response.extensions["network_stream"]
                assert stream.get_extra_info("ssl_object") is None
                client_addr = stream.get_extra_info("client_addr")
                server_addr = stream.get_extra_info("server_addr")
                assert tuple(client_addr) == server.peers[0]
                assert tuple(server_addr) == ("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
                await response.aread()
            await until_readable(response)  # the server closed after its one answer
            assert stream.get_extra_info("is_readable") is True

    run(go())


@pytest.fixture
def certs(tmp_path: Path) -> sites.Certs:
    return sites.make_certs(tmp_path)


def test_https_trace_names_and_the_peer_certificate(kind: str, certs: sites.Certs) -> None:
    """What the timing's TLS phase and ``doctor``'s certificate check read."""
    trusted = ssl.create_default_context(cafile=str(certs.files["self-signed"][0]))

    async def go() -> None:
        tls = sites.server_context(certs, "self-signed")
        async with (
            scripted(keep_alive(), tls=tls) as server,
            make_client(transport=transport_for(kind, verify=trusted)) as client,
        ):
            response, names = await _traced(client, server.url)
            assert names == [
                "connection.connect_tcp.started",
                "connection.connect_tcp.complete",
                "connection.start_tls.started",
                "connection.start_tls.complete",
                "http11.receive_response_headers.complete",
            ]
            ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")
            assert isinstance(ssl_object, ssl.SSLObject)
            assert "notAfter" in ssl_object.getpeercert()

    run(go())


def test_revalidations_ask_for_an_uncompressed_answer_unless_the_profile_says_otherwise(
    kind: str,
) -> None:
    """Next.js gzips even a 30-byte answer when asked: that doubled its CPU per request."""
    from isr_desk.domain import SiteProfile, Target
    from isr_desk.services.revalidation import Revalidator

    async def go() -> None:
        async with (
            scripted(keep_alive()) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            plain = SiteProfile("t", server.url)
            custom = SiteProfile("u", server.url, headers=(("Accept-Encoding", "gzip"),))
            for profile in (plain, custom):
                run = Revalidator(client).start(profile, "s3cret", [Target.path("/a")])
                assert [r.ok async for r in run] == [True]
            first, second = (head.lower() for head in server.heads)
            assert b"\r\naccept-encoding: identity\r\n" in first
            assert b"\r\naccept-encoding: gzip\r\n" in second

    run(go())
