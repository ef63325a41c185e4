"""Endpoint doctor: is the site reachable, and is its revalidation route safe and right?

:func:`check_endpoint` returns plain-words :class:`Finding` s, each with the fix:

* the settings alone: a secret in the query string (it lands in server and CDN logs), a
  secret over plain http to a host other than this machine, a preset that cannot purge tags;
* per instance: ``GET /`` (reachable? redirected? certificate valid, and for how long?);
* the route with a **wrong** secret (a random string) and with **no** secret: 401/403 is
  right; 2xx is a security problem (anyone can make the server rebuild pages); a redirect,
  404 or 405 means the settings do not match the route. These probes name the page
  ``/__isr-desk-doctor-probe``, which no site has, so even a route that accepts them
  rebuilds nothing;
* the **stored** secret only when the caller names a page (``path``): that one page is
  revalidated, as a normal run would. Without a page no request carries the real secret:
  nothing is revalidated, and one ``info`` finding says how to test the secret.

The secret never appears in a finding: request texts are redacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import ipaddress
import secrets as random_tokens
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from shlex import quote
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from isr_desk.domain import Outcome, PreparedRequest, SiteProfile, Target
from isr_desk.services.errors import EndpointError
from isr_desk.services.http import (
    IDENTITY,
    NETWORK_FAILURE_TITLES,
    NetworkFailure,
    read_capped,
    route_profile,
)
from isr_desk.services.manifest import site_conventions
from isr_desk.services.revalidation import Reply, hint_for, judge, same_origin_redirect
from isr_desk.services.sites import (
    build_request,
    secret_in_query,
    supports_paths,
    supports_tags,
    with_base_path,
)

PROBE_PATH = "/__isr-desk-doctor-probe"
PROBE_TAG = "__isr-desk-doctor-probe"
CERT_WARN_DAYS = 14
_BODY_LIMIT = 16 * 1024


_UNREACHABLE_TITLES = {
    Outcome.TLS_ERROR: "Certificate problem",
    Outcome.UNREACHABLE: "Site unreachable",
    Outcome.TIMED_OUT: "Site unreachable",
}


class Level(enum.StrEnum):
    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the doctor found. ``hint`` says what to do; ``instance`` where (if several)."""

    level: Level
    title: str
    detail: str = ""
    hint: str | None = None
    instance: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "level": self.level.value,
            "title": self.title,
            "detail": self.detail,
            "hint": self.hint,
        }
        if self.instance is not None:
            data["instance"] = self.instance
        return data


async def check_endpoint(
    client: httpx.AsyncClient,
    profile: SiteProfile,
    secret: str | None,
    *,
    path: str | None = None,
) -> list[Finding]:
    """Every finding for ``profile``; revalidates ``path`` with ``secret`` only if given."""
    findings = settings_findings(profile)
    route_profile(client, profile)  # its proxy and CA bundle, if it has them
    bases = profile.bases
    for base in bases:
        instance = base if len(bases) > 1 else None
        doctor = _Doctor(client, profile, base, instance)
        findings += await doctor.run(secret, path)
    if path is None:
        findings.append(
            Finding(
                Level.INFO,
                "The stored secret was not tried",
                "Trying it means revalidating a page, so the doctor does it only when you "
                "name one.",
                "Name a page (isr-desk doctor NAME --path /) to revalidate it with the "
                "stored secret.",
            )
        )
    return findings


def settings_findings(profile: SiteProfile) -> list[Finding]:
    """What the profile's settings alone tell (no request is sent)."""
    found: list[Finding] = []
    if secret_in_query(profile):
        found.append(
            Finding(
                Level.WARNING,
                "The secret is sent in the query string",
                "URLs end up in the site's access logs and in CDN and proxy logs, secret included.",
                "Make the route read an Authorization: Bearer header and switch this site "
                "to the bearer preset.",
            )
        )
    for base in profile.bases:
        parts = urlsplit(base)
        if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
            found.append(
                Finding(
                    Level.PROBLEM,
                    f"The secret travels unencrypted to {parts.hostname}",
                    "Over plain http anyone on the network path can read the secret.",
                    f"Use https://{parts.netloc} as the address.",
                    instance=base if len(profile.bases) > 1 else None,
                )
            )
    found += base_path_findings(profile)
    if not supports_tags(profile):
        found.append(
            Finding(
                Level.INFO,
                "This preset cannot purge cache tags",
                "The pages-router preset calls res.revalidate(), which takes paths only.",
                "For tags, use a route handler that calls revalidateTag (app-router or "
                "bearer preset).",
            )
        )
    return found


def base_path_findings(profile: SiteProfile) -> list[Finding]:
    """The build's base path against the profile's: without it every route is a 404."""
    source = profile.manifest_source
    site = site_conventions(source) if source and "://" not in source else None
    if site is None or not site.base_path or site.base_path == profile.base_path:
        return []
    fixed = profile.base_url.rstrip("/")
    if not urlsplit(fixed).path.endswith(site.base_path):
        fixed += site.base_path
    return [
        Finding(
            Level.PROBLEM,
            f"The site has the base path {site.base_path}, which its settings lack",
            f"The build has basePath {site.base_path}: every route, the revalidation route "
            f"too, is under {fixed}, and revalidatePath takes paths without it.",
            f"Set it: isr-desk site edit {quote(profile.name)} --base-path {site.base_path} "
            f"(requests then go to {fixed}).",
        )
    ]


class _Doctor:
    """The checks of one base URL (one instance)."""

    def __init__(
        self, client: httpx.AsyncClient, profile: SiteProfile, base: str, instance: str | None
    ) -> None:
        self.client, self.profile, self.base, self.instance = client, profile, base, instance
        self.found: list[Finding] = []

    def add(self, level: Level, title: str, detail: str = "", hint: str | None = None) -> None:
        self.found.append(Finding(level, title, detail, hint, self.instance))

    async def run(self, secret: str | None, path: str | None) -> list[Finding]:
        if await self.reachable():
            try:
                if await self.probes() and path is not None:
                    await self.real_secret(secret, path)
            except EndpointError as exc:
                self.add(Level.PROBLEM, "The endpoint settings are not valid", exc.message,
                         exc.hint)  # fmt: skip
        return self.found

    # --- GET / ---------------------------------------------------------------------------
    async def reachable(self) -> bool:
        url = with_base_path(self.base, self.profile.base_path).rstrip("/") + "/"
        t0 = time.perf_counter()
        try:
            async with _deadline(self.profile.timeout):
                request = self.client.build_request(
                    "GET", url, headers=IDENTITY, timeout=self.profile.timeout
                )
                response = await self.client.send(request, stream=True, follow_redirects=False)
                try:
                    cert = _peer_cert(response)
                finally:
                    await response.aclose()
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            kind, text = _error(exc)
            title = _UNREACHABLE_TITLES.get(kind, "The site's answer is not valid HTTP")
            if isinstance(exc, NetworkFailure):  # a proxy or the CA bundle, not the site
                title = NETWORK_FAILURE_TITLES[exc.failing]
            reply = Reply(None, error_kind=kind, setting_hint=getattr(exc, "hint", None))
            hint = hint_for(kind, _get(url), reply, timeout=self.profile.timeout)
            self.add(Level.PROBLEM, title, f"GET {url}: {text}", hint)
            return False
        ms = (time.perf_counter() - t0) * 1000
        status = response.status_code
        location = response.headers.get("location")
        if 300 <= status < 400 and location and not _same_origin(url, urljoin(url, location)):
            target = urljoin(url, location)
            self.add(Level.WARNING, "The site's address redirects",
                     f"GET {url} answered {status} → {target}.",
                     f"Set the base URL to {_origin(target)}: revalidation requests are not "
                     "sent on to another address.")  # fmt: skip
        elif status >= 500:
            self.add(Level.WARNING, f"The home page answers {status}",
                     f"GET {url} answered {status} in {ms:.0f} ms.",
                     "The site is up but failing: see its logs.")  # fmt: skip
        else:
            self.add(Level.OK, "Site reachable", f"GET {url} answered {status} in {ms:.0f} ms.")
        if cert is not None:
            self.certificate(cert)
        return True

    def certificate(self, cert: dict[str, Any]) -> None:
        expires = ssl.cert_time_to_seconds(str(cert["notAfter"]))
        days = (expires - time.time()) / 86400
        when = time.strftime("%Y-%m-%d", time.gmtime(expires))
        if days < CERT_WARN_DAYS:
            self.add(Level.WARNING, f"The certificate expires in {max(days, 0):.0f} days",
                     f"It is valid until {when}.",
                     "Renew it (or check that automatic renewal runs).")  # fmt: skip
        else:
            self.add(Level.OK, "Certificate valid", f"Trusted, valid until {when}.")

    # --- the route with a wrong and with no secret ---------------------------------------
    async def probes(self) -> bool:
        """Probe the route; True when it answered like a revalidation route should."""
        token = random_tokens.token_urlsafe(18)
        probe = Target.path(PROBE_PATH) if supports_paths(self.profile) else Target.tag(PROBE_TAG)
        wrong = build_request(self.profile, probe, token, base_url=self.base)
        for label, request in (("a wrong", wrong), ("no", _without(wrong, token))):
            reply = await self.send(request)
            followed = same_origin_redirect(request, reply)
            if followed is not None:
                # The engine follows a same-origin 307/308 with the secret: so do we, and
                # name the endpoint setting that avoids the extra round trip.
                if label == "a wrong":
                    self.moved(request, reply, followed)
                request, reply = followed, await self.send(followed)
            if not self.judge_probe(label, request, reply):
                return False
        return True

    def moved(self, request: PreparedRequest, reply: Reply, followed: PreparedRequest) -> None:
        old, new = urlsplit(request.url).path, urlsplit(followed.url).path
        base = urlsplit(self.base).path.rstrip("/")
        route = new[len(base) :] if base and new.startswith(base) else new
        endpoint = self.profile.endpoint
        if endpoint.preset.value == "custom":
            setting = f"--url-template '{{url}}{route}'"
        else:
            setting = f"--endpoint {route}"
        why = " (the site has trailingSlash: true)" if new == old + "/" else ""
        self.add(Level.WARNING, f"The revalidation route redirects ({reply.status}){why}",
                 f"{old} answered {reply.status} → {new}. ISR Desk follows a same-origin "
                 "307/308 with the secret, so revalidations work, at the cost of a second "
                 "request each.",
                 f"Set the endpoint path to {route} ({setting}).")  # fmt: skip

    def judge_probe(self, label: str, request: PreparedRequest, reply: Reply) -> bool:
        shown = request.redacted()
        sent = f"{shown.method} {shown.url}"
        status = reply.status
        if status in (401, 403):
            self.add(Level.OK, f"Rejects a request with {label} secret", f"{sent}: {status}.")
            return True
        if status is not None and 200 <= status < 300:
            self.add(Level.PROBLEM, f"The route accepts a request with {label} secret",
                     f"{sent} answered {status}: anyone who finds the route can make the "
                     "server rebuild pages, a cheap way to overload it.",
                     "Compare the secret with the one the site expects and answer 401 when it "
                     "differs or is missing.")  # fmt: skip
            return True
        _, outcome = judge(reply)
        hint = hint_for(outcome, request, reply, timeout=self.profile.timeout)
        if outcome is Outcome.REDIRECTED:
            self.add(Level.WARNING, "The revalidation route redirects",
                     f"{sent} answered {status} → {reply.location}.", hint)  # fmt: skip
            return False
        if outcome in (Outcome.NOT_FOUND, Outcome.WRONG_METHOD):
            self.add(Level.PROBLEM, f"{outcome.label}: {sent} answered {status}", "", hint)
            return False
        if status is None:
            self.add(Level.PROBLEM, "The revalidation route did not answer",
                     f"{sent}: {reply.error}", hint)  # fmt: skip
            return False
        self.add(Level.WARNING, f"The route answered {status} to a request with {label} secret",
                 f"{sent} answered {status}; 401 was expected. The route may read the body "
                 "before the secret, or fail before checking it.",
                 "Check the secret first and answer 401 when it is wrong.")  # fmt: skip
        return True

    # --- the stored secret, on a page the user named -------------------------------------
    async def real_secret(self, secret: str | None, path: str) -> None:
        if not secret:
            self.add(Level.PROBLEM, "No secret stored for this site", "",
                     f"Store it: isr-desk secret set {self.profile.name}")  # fmt: skip
            return
        request = build_request(self.profile, Target.path(path), secret, base_url=self.base)
        reply = await self.send(request)
        followed = same_origin_redirect(request, reply)
        if followed is not None:  # as the engine does
            request, reply = followed, await self.send(followed)
        ok, outcome = judge(reply)
        status = reply.status
        if ok:
            shown = request.redacted()
            self.add(Level.OK, f"The stored secret works: {path} revalidated",
                     f"{shown.method} {shown.url} answered {status}.")  # fmt: skip
            return
        hint = hint_for(outcome, request, reply, timeout=self.profile.timeout)
        detail = f"The route answered {status}." if status is not None else f"{reply.error}."
        self.add(Level.PROBLEM, f"Revalidating {path} failed: {outcome.label}", detail, hint)

    async def send(self, request: PreparedRequest) -> Reply:
        """One attempt, redirects not followed, body capped; errors become a Reply."""
        headers = list(request.headers)
        if not any(k.lower() == "accept-encoding" for k, _ in headers):
            headers += IDENTITY.items()  # a probe's answer is a few bytes: nothing to compress
        try:
            async with _deadline(self.profile.timeout):
                http_request = self.client.build_request(
                    request.method, request.url, headers=headers,
                    content=request.body, timeout=self.profile.timeout,
                )  # fmt: skip
                response = await self.client.send(http_request, stream=True, follow_redirects=False)
                try:
                    body = await read_capped(response, _BODY_LIMIT)
                finally:
                    await response.aclose()
        except httpx.HTTPError as exc:
            return Reply.from_error(exc, request)
        except httpx.InvalidURL as exc:
            return Reply(None, error=f"Not a valid address ({exc})", error_kind=Outcome.OTHER)
        return Reply.from_response(response, body, request)


@contextlib.asynccontextmanager
async def _deadline(seconds: float) -> AsyncIterator[None]:
    """A total deadline for one request and its body: httpx's timeouts are per read, so a
    server sending a byte a second never trips them."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise httpx.ReadTimeout(f"no complete answer within {seconds:g} s") from None


def _without(request: PreparedRequest, token: str) -> PreparedRequest:
    """``request`` with the secret left out (query parameter, header or template text)."""
    parts = urlsplit(request.url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if token not in v]
    url = urlunsplit(parts._replace(query=urlencode(query))).replace(token, "")
    headers = tuple((k, v) for k, v in request.headers if token not in v)
    body = None if request.body is None else request.body.replace(token.encode(), b"")
    return PreparedRequest(
        request.method, url, headers, body, request.targets, hidden=request.hidden
    )


def _peer_cert(response: httpx.Response) -> dict[str, Any] | None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    cert = ssl_object.getpeercert() if ssl_object is not None else None
    return cert if cert and "notAfter" in cert else None


def _error(exc: Exception) -> tuple[Outcome, str]:
    if isinstance(exc, httpx.HTTPError):
        reply = Reply.from_error(exc, _get(""))
        return reply.error_kind or Outcome.OTHER, reply.error or type(exc).__name__
    return Outcome.OTHER, f"{type(exc).__name__}: {exc}"


def _get(url: str) -> PreparedRequest:
    return PreparedRequest("GET", url, (), None, ())


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _same_origin(a: str, b: str) -> bool:
    return _origin(a) == _origin(b)
