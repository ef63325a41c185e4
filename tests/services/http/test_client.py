"""The app's client: no cookie is kept from an answer or sent with a request.

Run with both transports (the cookie store is the client's, not the transport's); a plain
``httpx.AsyncClient`` on the same server is the control that shows the test would see a kept
cookie.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from isr_desk.services.http import CookielessClient, make_client
from tests.services.http.test_wire import Scripted, keep_alive, run, scripted, transport_for

SETS_COOKIE = (
    b"HTTP/1.1 200 OK\r\nSet-Cookie: __prerender_bypass=abc; Path=/\r\n"
    b"Set-Cookie: session=s3cret; Path=/; HttpOnly\r\nContent-Length: 2\r\n\r\nok"
)


async def _twice(client: httpx.AsyncClient, server: Scripted) -> list[bytes]:
    for _ in range(2):
        assert (await client.get(f"{server.url}/page")).status_code == 200
    return [head.lower() for head in server.heads]


def test_a_cookie_an_answer_sets_is_neither_kept_nor_sent(kind: str) -> None:
    async def go() -> None:
        async with (
            scripted(keep_alive(SETS_COOKIE)) as server,
            make_client(transport=transport_for(kind)) as client,
        ):
            assert isinstance(client, CookielessClient)
            heads = await _twice(client, server)
            assert all(b"\r\ncookie:" not in head for head in heads)
            assert len(client.cookies) == 0
            assert not client.cookies
            assert list(client.cookies.jar) == []

    run(go())


def test_the_control_a_plain_httpx_client_keeps_and_sends_it(kind: str) -> None:
    async def go() -> None:
        async with (
            scripted(keep_alive(SETS_COOKIE)) as server,
            httpx.AsyncClient(transport=transport_for(kind)) as client,
        ):
            first, second = await _twice(client, server)
            assert b"\r\ncookie:" not in first
            assert b"\r\ncookie: " in second
            assert b"session=s3cret" in second

    run(go())


def test_nothing_can_put_a_cookie_in_the_client() -> None:
    async def go() -> None:
        async with make_client() as client:
            with pytest.raises(TypeError, match="keeps no cookies"):
                client.cookies.set("a", "b")
            with pytest.raises(TypeError, match="keeps no cookies"):
                client.cookies["a"] = "b"
            with pytest.raises(TypeError, match="keeps no cookies"):
                client.cookies = {"a": "b"}
            client.cookies = {}  # clearing what is already empty is fine
            assert not client.cookies

    asyncio.run(go())
