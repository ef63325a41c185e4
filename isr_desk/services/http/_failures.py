"""Failures of a network *setting*, told apart from failures of the site (docs/networks.md).

A request can fail before it reaches the site: the profile's CA bundle cannot be used, the
proxy refuses the connection, asks for a login (407), or cannot reach the site itself
(``CONNECT`` answered 502/503/504). Each would otherwise read as "the site is down" or "the
certificate is not trusted" and send the user to the wrong setting. :class:`NetworkFailure`
carries a hint naming the setting to fix; it is an ``httpx.ConnectError``, so every caller
that handles a refused connection handles it too. A proxy's address is shown without any
``user:password@`` the environment gave it.
"""

from __future__ import annotations

import enum
import ssl
from urllib.parse import urlsplit

import httpx

from isr_desk.services.errors import NetworkError


class Failing(enum.StrEnum):
    """Which setting a :class:`NetworkFailure` is about."""

    CA_BUNDLE = "ca-bundle"
    PROXY_REFUSED = "proxy-refused"
    PROXY_LOGIN = "proxy-login"
    PROXY_UPSTREAM = "proxy-upstream"


TITLES = {
    Failing.CA_BUNDLE: "The site's CA bundle cannot be used",
    Failing.PROXY_REFUSED: "The proxy refused the connection",
    Failing.PROXY_LOGIN: "The proxy asks for a login",
    Failing.PROXY_UPSTREAM: "The proxy could not reach the site",
}


class NetworkFailure(httpx.ConnectError):
    """A request that failed at a network setting, not at the site; ``hint`` says which."""

    def __init__(
        self, message: str, *, failing: Failing, hint: str, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)
        self.failing = failing
        self.hint = hint


def ca_bundle_error(path: str, exc: OSError | ssl.SSLError) -> NetworkError:
    """Why the CA bundle file ``path`` cannot be used: missing, unreadable or not PEM."""
    if isinstance(exc, FileNotFoundError):
        what = "does not exist"
    elif isinstance(exc, IsADirectoryError):
        what = "is a directory, not a file"
    elif isinstance(exc, ssl.SSLError):
        what = "holds no PEM certificate"
    else:
        what = f"cannot be read ({exc.strerror or exc})"
    return NetworkError(
        f"The CA bundle {path} set for this site {what}",
        hint="Fix the site's CA bundle setting (`isr-desk site edit NAME --ca-bundle FILE`, "
        "or CA bundle in the site's settings): a PEM file with the certificate of the CA "
        "that signed the site",
    )


def shown_proxy(proxy: str) -> str:
    """``scheme://host:port`` of a proxy URL: never the password the environment gave it."""
    try:
        parts = urlsplit(proxy)
        host, port = parts.hostname or "?", parts.port
    except ValueError:
        return "the proxy"
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port else "")


def _setting(from_profile: bool) -> str:
    if from_profile:
        return "the site's proxy setting (`isr-desk site edit NAME --proxy URL`, or direct)"
    return "the HTTPS_PROXY / HTTP_PROXY / ALL_PROXY environment variable (NO_PROXY skips it)"


def proxy_refused(
    proxy: str, from_profile: bool, exc: Exception, request: httpx.Request
) -> NetworkFailure:
    return NetworkFailure(
        f"Could not connect to the proxy {shown_proxy(proxy)} ({exc or 'connection refused'})",
        failing=Failing.PROXY_REFUSED,
        hint=f"The proxy is down or its address is wrong: check {_setting(from_profile)}.",
        request=request,
    )


def proxy_answered(
    proxy: str, from_profile: bool, status: str, request: httpx.Request
) -> NetworkFailure:
    """The proxy answered instead of the site: 407 (a login) or a gateway error."""
    shown = shown_proxy(proxy)
    if status.startswith("407"):
        return NetworkFailure(
            f"The proxy {shown} asks for a login ({status})",
            failing=Failing.PROXY_LOGIN,
            hint="Give the proxy's user and password in the HTTPS_PROXY environment variable "
            "(http://user:password@proxy:3128): a site's settings never hold a password.",
            request=request,
        )
    return NetworkFailure(
        f"The proxy {shown} could not reach {request.url.host} ({status})",
        failing=Failing.PROXY_UPSTREAM,
        hint=f"Check the site's address (its host name) and that the proxy may reach it; a "
        f"site inside the network may need to skip the proxy: {_setting(from_profile)}.",
        request=request,
    )


GATEWAY_HINT = "isr_desk.gateway_hint"  # a response extension: a 502/503/504 via a proxy


def gateway_hint(proxy: str, from_profile: bool, host: str, status: int) -> str:
    """For a 502/503/504 that came through a proxy: it may be the proxy's, not the site's."""
    return (
        f"The answer {status} came through the proxy {shown_proxy(proxy)}: either the proxy "
        f"could not reach {host} — check the site's address, and {_setting(from_profile)} — "
        "or the site's route failed (see the response body and the site's logs)."
    )


def is_tls(exc: BaseException) -> bool:
    """A TLS failure somewhere in ``exc``'s chain (a certificate, a handshake)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "CERTIFICATE" in str(seen).upper():
            return True
        seen = seen.__cause__ or seen.__context__
    return False
