"""Where a request goes and whom it trusts, the same for every request ISR Desk sends.

A company network puts two things between the app and a site: a forward proxy and a private
certificate authority. Both are decided here, once, for the engine, verify, doctor and
manifest URLs alike (docs/networks.md):

- **Proxy**: a profile's own ``proxy`` (``"direct"`` for none) or else the environment's
  ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` (either case), skipped for hosts listed in
  ``NO_PROXY``. Proxied origins go through httpx's own transport (``CONNECT`` for https,
  absolute-form requests for http); direct ones through :class:`H11Transport`.
- **Trust**: the operating system's trust store (``truststore``; on Linux OpenSSL's default
  paths, so ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` count) plus a profile's ``ca_bundle`` file.

:class:`RoutingTransport` picks the transport per origin and keeps one transport per
(proxy, CA bundle), so one client serves every profile.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from isr_desk.domain import REDACTED
from isr_desk.services.errors import NetworkError
from isr_desk.services.http._failures import (
    GATEWAY_HINT,
    Failing,
    NetworkFailure,
    ca_bundle_error,
    gateway_hint,
    is_tls,
    proxy_answered,
    proxy_refused,
)
from isr_desk.services.http._transport import make_transport

if TYPE_CHECKING:
    from isr_desk.domain import SiteProfile

DIRECT = "direct"  # a profile's proxy setting for "no proxy, whatever the environment says"
Origin = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class OriginHeaders:
    """Headers added to a request only when it goes to one of ``origins``: a site's secret
    headers (services/sites/_secret_headers.py), for its base URL and instances only — never
    a CDN API, a manifest on another host, or a redirect to another origin."""

    origins: frozenset[Origin]
    headers: tuple[tuple[str, str], ...] = field(repr=False)

    def apply(self, request: httpx.Request) -> httpx.Request:
        """``request`` with the headers when its origin is one of the site's; else itself.

        A new request: httpx builds a redirect from the original one, which stays without
        them, so a redirect gets them again only if it goes to one of the origins."""
        if not self.headers or origin_of(request.url) not in self.origins:
            return request
        headers = request.headers.copy()
        for name, value in self.headers:
            headers[name] = value
        return httpx.Request(
            request.method,
            request.url,
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,
        )


@dataclass(frozen=True, slots=True)
class Network:
    """A profile's network settings: ``proxy`` None means "as the environment says";
    ``secret`` its secret headers for its own origins (None: it has none, or they are not
    loaded)."""

    proxy: str | None = None
    ca_bundle: str | None = None
    secret: OriginHeaders | None = field(default=None, repr=False)

    @classmethod
    def of(cls, profile: SiteProfile | None) -> Network:
        if profile is None:
            return cls()
        return cls(proxy=profile.proxy, ca_bundle=profile.ca_bundle, secret=_secret(profile))


def _secret(profile: SiteProfile) -> OriginHeaders | None:
    values = tuple((k, v) for k, v in profile.secret_values if v != REDACTED)
    if not values:
        return None
    origins = set()
    for base in profile.bases:
        with contextlib.suppress(httpx.InvalidURL, TypeError):
            origins.add(origin_of(httpx.URL(base)))
    return OriginHeaders(frozenset(origins), values)


def origin_of(url: httpx.URL) -> Origin:
    scheme = url.scheme
    return scheme, url.host, url.port or (443 if scheme == "https" else 80)


def environment_proxies(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{"https": ..., "http": ..., "all": ..., "no": ...}`` from ``*_proxy`` variables.

    As curl and urllib read them: the lower-case name wins over the upper-case one.
    """
    environ = os.environ if environ is None else environ
    proxies: dict[str, str] = {}
    for name in sorted(environ, key=str.islower):  # upper case first, lower case overrides
        lower = name.lower()
        value = environ[name].strip()
        if lower.endswith("_proxy") and value:
            proxies[lower[: -len("_proxy")]] = value
    return proxies


def proxy_for(origin: Origin, network: Network, proxies: Mapping[str, str]) -> str | None:
    """The proxy URL for ``origin``, or None to connect directly."""
    if network.proxy:
        return None if network.proxy == DIRECT else network.proxy
    scheme, host, port = origin
    if _bypassed(host, port, proxies):
        return None
    proxy = proxies.get(scheme) or proxies.get("all")
    if proxy and "://" not in proxy:
        proxy = f"http://{proxy}"
    return proxy or None


def _bypassed(host: str, port: int, proxies: Mapping[str, str]) -> bool:
    """``NO_PROXY`` as curl reads it: ``*``, host names and domain suffixes (a leading dot or
    not), ``host:port``, IP addresses and CIDR ranges (``10.0.0.0/8``)."""
    host = host.strip("[]").lower().rstrip(".")
    for raw in proxies.get("no", "").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.strip("[]").lstrip(".").rstrip(".")
        if host == name or host.endswith("." + name) or _in_network(host, name):
            return True
    return False


def _has_port(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and (entry.count(":") == 1 or head.endswith("]"))


def _in_network(host: str, entry: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


@functools.lru_cache(maxsize=16)
def _trust_context(
    ca_bundle: str | None, cert_file: str | None, cert_dir: str | None
) -> ssl.SSLContext:
    import truststore

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:  # missing, unreadable, not PEM
            raise ca_bundle_error(ca_bundle, exc) from exc
    return context


def trust_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The system trust store, plus ``ca_bundle`` (a PEM file) when given. Cached."""
    # The environment is part of the key: OpenSSL reads SSL_CERT_FILE/DIR when it loads.
    env = os.environ
    return _trust_context(ca_bundle, env.get("SSL_CERT_FILE"), env.get("SSL_CERT_DIR"))


class RoutingTransport(httpx.AsyncBaseTransport):
    """Sends each request through the transport its origin's network settings call for.

    Profiles register their origins with :meth:`use`; any other origin follows the
    environment. The choice is made once per origin (a dict lookup per request after that).
    """

    def __init__(
        self, *, verify: ssl.SSLContext | bool = True, environ: Mapping[str, str] | None = None
    ) -> None:
        self._verify = verify
        self._proxies = environment_proxies(environ)  # read once, when the client is made
        self._networks: dict[Origin, Network] = {}
        self._routes: dict[Origin, httpx.AsyncBaseTransport] = {}
        self._via: dict[Origin, tuple[str, bool]] = {}  # proxied origins: (proxy, profile's?)
        self._transports: dict[tuple[str | None, str | None], httpx.AsyncBaseTransport] = {}

    def use(self, urls: Iterable[str], network: Network) -> None:
        """Requests to the origins of ``urls`` follow ``network`` from now on."""
        for text in urls:
            try:
                url = httpx.URL(text)
            except (httpx.InvalidURL, TypeError):
                continue
            if url.scheme in ("http", "https") and url.host:
                origin = origin_of(url)
                if self._networks.get(origin) != network:
                    self._networks[origin] = network
                    self._routes.pop(origin, None)
                    self._via.pop(origin, None)

    def transport_for(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        """The transport requests to ``url``'s origin go through."""
        origin = origin_of(url)
        transport = self._routes.get(origin)
        if transport is None:
            transport = self._routes[origin] = self._route(origin)
        return transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            transport = self.transport_for(request.url)
        except NetworkError as exc:  # a CA bundle that cannot be used: this request fails
            failing, hint = Failing.CA_BUNDLE, exc.hint or ""
            raise NetworkFailure(exc.message, failing=failing, hint=hint, request=request) from exc
        network = self._networks.get(origin_of(request.url))
        if network is not None and network.secret is not None:
            request = network.secret.apply(request)
        via = self._via.get(origin_of(request.url)) if self._via else None
        if via is None:
            return await transport.handle_async_request(request)
        return await _through_proxy(transport, request, *via)

    def _route(self, origin: Origin) -> httpx.AsyncBaseTransport:
        network = self._networks.get(origin, Network())
        proxy = proxy_for(origin, network, self._proxies)
        if proxy is not None:
            self._via[origin] = (proxy, network.proxy is not None)
        key = (proxy, network.ca_bundle)
        transport = self._transports.get(key)
        if transport is None:
            context = self._context(network.ca_bundle)
            if proxy is None:
                transport = make_transport(verify=context)
            else:
                transport = httpx.AsyncHTTPTransport(
                    verify=context, proxy=httpx.Proxy(proxy), trust_env=False
                )
            self._transports[key] = transport
        return transport

    def _context(self, ca_bundle: str | None) -> ssl.SSLContext:
        verify = self._verify
        if isinstance(verify, ssl.SSLContext):
            return verify  # given by the caller (tests): used for every origin
        if verify is False:
            return httpx.create_ssl_context(verify=False, trust_env=False)
        return trust_context(ca_bundle)

    async def aclose(self) -> None:
        transports, self._transports = list(self._transports.values()), {}
        self._routes.clear()
        self._via.clear()
        for transport in transports:
            await transport.aclose()


async def _through_proxy(
    transport: httpx.AsyncBaseTransport, request: httpx.Request, proxy: str, from_profile: bool
) -> httpx.Response:
    """Send through ``proxy``; a failure at the proxy is told apart from one at the site."""
    try:
        response = await transport.handle_async_request(request)
    except httpx.ProxyError as exc:  # CONNECT answered 407, 502, ...: the proxy's answer
        raise proxy_answered(proxy, from_profile, str(exc), request) from exc
    except httpx.ConnectError as exc:
        if is_tls(exc):  # the tunnel opened; the site's certificate failed
            raise
        raise proxy_refused(proxy, from_profile, exc, request) from exc
    status = response.status_code
    if status == 407:  # only a proxy answers 407 (an http request in absolute form)
        await response.aclose()
        raise proxy_answered(proxy, from_profile, "407 Proxy Authentication Required", request)
    if status in (502, 503, 504):  # the proxy's or the site's: the hint says both
        hint = gateway_hint(proxy, from_profile, request.url.host, status)
        response.extensions[GATEWAY_HINT] = hint
    return response


class SyncRoutingTransport(httpx.BaseTransport):
    """The same choice for the blocking client that reads manifest URLs."""

    def __init__(
        self,
        network: Network,
        environ: Mapping[str, str] | None = None,
        *,
        keepalive: bool = True,
    ) -> None:
        self._network = network
        self._limits = httpx.Limits() if keepalive else httpx.Limits(max_keepalive_connections=0)
        self._proxies = environment_proxies(environ)
        self._transports: dict[str | None, httpx.HTTPTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._network.secret is not None:
            request = self._network.secret.apply(request)
        proxy = proxy_for(origin_of(request.url), self._network, self._proxies)
        transport = self._transport(proxy)
        if proxy is None:
            return transport.handle_request(request)
        from_profile = self._network.proxy is not None
        try:
            response = transport.handle_request(request)
        except httpx.ProxyError as exc:  # as the async one: the proxy's failure, named
            raise proxy_answered(proxy, from_profile, str(exc), request) from exc
        except httpx.ConnectError as exc:
            if is_tls(exc):
                raise
            raise proxy_refused(proxy, from_profile, exc, request) from exc
        if response.status_code == 407:
            response.close()
            raise proxy_answered(proxy, from_profile, "407 Proxy Authentication Required", request)
        return response

    def _transport(self, proxy: str | None) -> httpx.HTTPTransport:
        transport = self._transports.get(proxy)
        if transport is None:
            context = trust_context(self._network.ca_bundle)
            transport = self._transports[proxy] = httpx.HTTPTransport(
                verify=context,
                proxy=None if proxy is None else httpx.Proxy(proxy),
                trust_env=False,
                limits=self._limits,
            )
        return transport

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()


def route_profile(client: httpx.AsyncClient, profile: SiteProfile) -> None:
    """Requests to ``profile``'s sites (and manifest URL) use its proxy and CA bundle.

    A client not made by :func:`make_client` (a test's own) is left as it is.
    """
    routes = getattr(client, "routes", None)
    if not isinstance(routes, RoutingTransport):
        return
    urls = list(profile.bases)
    source = profile.manifest_source or ""
    if source.startswith(("http://", "https://")):
        urls.append(source)
    routes.use(urls, Network.of(profile))
