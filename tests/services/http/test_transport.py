"""The h11 transport (services/transport.py) against scripted asyncio servers on 127.0.0.1.

Each server answers with exactly the bytes a test gives, so keep-alive, stale connections,
chunked and close-delimited bodies, 1xx answers, timeouts and the pool cap are each seen on
the wire rather than assumed.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from isr_desk.services.http import H11Transport, make_client, make_transport

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n"
OK += b'{"revalidated":true}'
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Scripted:
    """An asyncio server: ``handler`` per connection; counts connections and requests."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.heads: list[bytes] = []
        self.url = ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await reader.readexactly(int(line.split(b":")[1]))
        return head


@asynccontextmanager
async def scripted(handler: Callable[[Scripted], Handler]) -> AsyncIterator[Scripted]:
    server = Scripted(lambda r, w: asyncio.sleep(0))
    server.handler = handler(server)
    listener = await asyncio.start_server(server._serve, "127.0.0.1", 0, backlog=128)
    server.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    async with listener:
        yield server


def keep_alive(answer: bytes = OK, delay: float = 0.0) -> Callable[[Scripted], Handler]:
    def make(server: Scripted) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                await server.read_request(reader)
                await asyncio.sleep(delay)
                writer.write(answer)
                await writer.drain()

        return handle

    return make


def answer_once(answer: bytes = b"", *, then: str = "close") -> Callable[[Scripted], Handler]:
    """Read one request and write ``answer``; then close, or ``"read"`` one more request
    and close without answering it, or ``"hang"`` silent for 5 s."""

    def make(server: Scripted) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await server.read_request(reader)
            writer.write(answer)
            await writer.drain()
            if then == "read":
                await server.read_request(reader)
            elif then == "hang":
                await asyncio.sleep(5)

        return handle

    return make


def run(coro: Awaitable[None]) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_sequential_requests_share_one_kept_alive_connection() -> None:
    async def go() -> None:
        async with scripted(keep_alive()) as server, make_client() as client:
            for i in range(20):
                response = await client.post(f"{server.url}/api/revalidate", json={"path": i})
                assert response.status_code == 200
                assert response.json() == {"revalidated": True}
            assert server.connections == 1
            assert len(server.heads) == 20
            assert server.heads[0].startswith(b"POST /api/revalidate HTTP/1.1\r\n")
            assert b"host: 127.0.0.1" in server.heads[0].lower()

    run(go())


def test_concurrent_requests_open_one_connection_each_and_then_reuse_them() -> None:
    async def go() -> None:
        async with scripted(keep_alive(delay=0.02)) as server, make_client() as client:
            for _ in range(3):
                answers = await asyncio.gather(*(client.get(server.url) for _ in range(8)))
                assert [a.status_code for a in answers] == [200] * 8
            assert server.connections == 8
            assert len(server.heads) == 24

    run(go())


def test_a_kept_alive_connection_the_server_closed_is_replaced_transparently() -> None:
    async def go() -> None:
        async with scripted(answer_once(OK)) as server, make_client() as client:
            for _ in range(3):
                assert (await client.get(server.url)).status_code == 200
                await asyncio.sleep(0.01)  # the close reaches the idle connection
            assert server.connections == 3

    run(go())


def test_a_close_racing_the_next_request_is_retried_once_on_a_new_connection() -> None:
    """The server reads the second request on a reused connection and closes unanswered."""

    async def go() -> None:
        async with scripted(answer_once(OK, then="read")) as server, make_client() as client:
            assert (await client.get(server.url)).status_code == 200
            assert (await client.get(server.url)).status_code == 200
            assert server.connections == 2
            assert len(server.heads) == 3  # the dropped one was sent again, once
            # Two kept-alive connections that will both drop: the retry takes a new one.
            await asyncio.gather(client.get(server.url), client.get(server.url))
            before = len(server.heads)
            assert (await client.get(server.url)).status_code == 200
            assert len(server.heads) - before == 2  # sent twice in all, never three times

    run(go())


def test_a_fresh_connection_closed_without_an_answer_is_a_protocol_error() -> None:
    async def go() -> None:
        async with scripted(answer_once()) as server, make_client() as client:
            with pytest.raises(httpx.RemoteProtocolError, match="without answering"):
                await client.get(server.url)
            assert len(server.heads) == 1  # not retried: nothing was reused

    run(go())


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
    ],
    ids=["chunked", "informational-first"],
)
def test_bodies_in_each_framing_and_after_1xx(answer: bytes, body: bytes) -> None:
    async def go() -> None:
        async with scripted(keep_alive(answer)) as server, make_client() as client:
            for _ in range(2):
                response = await client.get(server.url)
                assert response.content == body
            assert server.connections == 1

    run(go())


def test_a_close_delimited_body_is_read_to_the_end_and_not_reused() -> None:
    async def go() -> None:
        async with (
            scripted(
                answer_once(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 300_000)
            ) as server,
            make_client() as client,
        ):
            for _ in range(2):
                response = await client.get(server.url)
                assert response.content == b"x" * 300_000
            assert server.connections == 2

    run(go())


def test_a_truncated_body_is_a_protocol_error() -> None:
    async def go() -> None:
        async with (
            scripted(
                answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part")
            ) as server,
            make_client() as client,
        ):
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(server.url)

    run(go())


def test_timeouts_connect_errors_and_bad_schemes_are_httpx_exceptions() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]

    async def go() -> None:
        async with scripted(answer_once(then="hang")) as server, make_client() as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(server.url, timeout=0.2)
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{closed_port}/")
            with pytest.raises(httpx.UnsupportedProtocol):
                await client.get("ftp://127.0.0.1/")

    run(go())


def test_the_pool_cap_holds_requests_until_a_connection_is_free() -> None:
    async def go() -> None:
        async with scripted(keep_alive()) as server:
            transport = H11Transport(ssl_context=make_transport()._ssl_context, max_connections=1)
            async with httpx.AsyncClient(transport=transport) as client:
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


def test_closing_the_client_closes_every_socket() -> None:
    async def go() -> None:
        async with scripted(keep_alive()) as server:
            client = make_client()
            await asyncio.gather(*(client.get(server.url) for _ in range(4)))
            transport = client.routes.transport_for(httpx.URL(server.url))  # type: ignore[attr-defined]
            assert isinstance(transport, H11Transport)  # a direct origin: no proxy in the way
            open_before = len(transport._open)
            await client.aclose()
            assert open_before == 4
            assert transport._open == set()

    run(go())


def test_revalidations_ask_for_an_uncompressed_answer_unless_the_profile_says_otherwise() -> None:
    """Next.js gzips even a 30-byte answer when asked: that doubled its CPU per request."""
    from isr_desk.domain import SiteProfile, Target
    from isr_desk.services.revalidation import Revalidator

    async def go() -> None:
        async with scripted(keep_alive()) as server, make_client() as client:
            plain = SiteProfile("t", server.url)
            custom = SiteProfile("u", server.url, headers=(("Accept-Encoding", "gzip"),))
            for profile in (plain, custom):
                run = Revalidator(client).start(profile, "s3cret", [Target.path("/a")])
                assert [r.ok async for r in run] == [True]
            first, second = (head.lower() for head in server.heads)
            assert b"\r\naccept-encoding: identity\r\n" in first
            assert b"\r\naccept-encoding: gzip\r\n" in second

    run(go())
