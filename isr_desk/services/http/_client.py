"""The app's one ``httpx.AsyncClient``: no redirects followed, no cookies, proxies per origin.

ISR Desk never wants a cookie: a revalidation route answers a secret, not a session, and a
cookie kept from one answer would change the next request (a ``__prerender_bypass`` cookie,
for one, makes Next.js skip its cache, so verify would see a fresh page that nobody else
gets). httpx keeps cookies in ``client.cookies`` and hands every response to it through
urllib adapters that copy the request and its headers (10-50 µs a response here, measured
with ``timeit``, against ~240 µs of client CPU for a whole request). So the client's
``cookies`` is a store that keeps nothing: ``extract_cookies`` does nothing (no adapters are
built), nothing can be set in it, and an empty store adds no ``Cookie`` header.
Only public httpx API is used: the ``cookies`` property of ``AsyncClient`` and the methods
of ``httpx.Cookies``, which the client calls for every response and every request it builds.
"""

from __future__ import annotations

import http.cookiejar
import ssl
from typing import TYPE_CHECKING

import httpx

from isr_desk import __version__
from isr_desk.services.http._network import RoutingTransport, route_profile

if TYPE_CHECKING:
    from isr_desk.domain import SiteProfile


class _RefusingJar(http.cookiejar.CookieJar):
    """A cookie jar nothing can be put in."""

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        raise TypeError("the ISR Desk client keeps no cookies")


class NoCookies(httpx.Cookies):
    """A cookie store that keeps nothing and sends nothing."""

    def __init__(self) -> None:
        super().__init__(_RefusingJar())

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class CookielessClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose ``cookies`` keep nothing (the module docstring says why)."""

    _no_cookies = NoCookies()  # keeps nothing, so one store serves every client
    routes: RoutingTransport | None = None  # proxy and trust per origin (None: a test's transport)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        if cookies:
            raise TypeError("the ISR Desk client keeps no cookies")


def make_client(
    *,
    verify: ssl.SSLContext | bool = True,
    profile: SiteProfile | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The one client of the app. Redirects are never followed by httpx: the engine decides.

    Proxies and trust are chosen per origin by :class:`~._network.RoutingTransport`: the
    environment's ``*_PROXY``/``NO_PROXY`` and the system trust store, or a profile's own
    proxy and CA bundle (``profile`` here, or :func:`~._network.route_profile` later); a
    direct origin goes through :func:`~._transport.make_transport`. ``transport`` replaces
    all of that (tests pass httpx's own transport to compare).
    """
    routes = None
    if transport is None:
        transport = routes = RoutingTransport(verify=verify)
    client = CookielessClient(
        transport=transport,
        follow_redirects=False,
        headers={"User-Agent": f"isr-desk/{__version__}"},
        timeout=httpx.Timeout(10.0),
        trust_env=False,  # the environment's proxies are the routes' business, not httpx's
    )
    client.routes = routes
    if profile is not None:
        route_profile(client, profile)
    return client
