"""Judging a revalidation response: success rule, plain-words outcome and hint.

A result is a success when the status is 2xx and, if the body is JSON with
``revalidated``, that field is true (docs/architecture.md, "What the faces promise"). Every
failure gets a hint that says what to do. The secret is redacted from everything kept: the
request, the response excerpt and error texts (a route that echoes its input must not leak
it into the log).

A bulk run keeps every result (the live log holds 100,000 of them), and most of what a
result carries repeats from one to the next: the redacted URL and request headers, the
response's header names and values, the JSON keys, the hint. Those are shared when the
results are made (bounded :class:`_Shared` caches), so each result costs only what is its
own (target, body, timing, the parsed body's values).
"""

from __future__ import annotations

import dataclasses
import email.utils
import json
import sys
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urljoin, urlsplit

import h11
import httpx

from isr_desk.domain import (
    Outcome,
    PreparedRequest,
    Result,
    Timing,
    redact_text,
    secret_place,
)
from isr_desk.services.http import GATEWAY_HINT, Failing, NetworkFailure, is_tls

EXCERPT_CHARS = 2000
_SHORT = 64  # JSON string values up to this length are shared (longer ones rarely repeat)

H = TypeVar("H", bound=Hashable)
Headers = tuple[tuple[str, str], ...]


class _Shared(Generic[H]):
    """Hands out one copy of equal immutable values, so that results do not repeat them.

    Bounded: past ``limit`` distinct values it starts afresh (a header that differs on
    every response, such as a request id, must not grow it without end).
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._values: dict[H, H] = {}

    def __call__(self, value: H) -> H:
        shared = self._values.get(value)
        if shared is not None:
            return shared
        if len(self._values) >= self._limit:
            self._values.clear()
        self._values[value] = value
        return value

    def clear(self) -> None:
        self._values.clear()


_texts: _Shared[str] = _Shared(4096)  # URLs, hints, errors, short JSON values
_bodies: dict[tuple[tuple[str, type, Any], ...], dict[str, Any]] = {}  # flat JSON objects
_BODIES_LIMIT = 1024
_SCALARS = (str, int, bool, type(None))  # no floats: -0.0 == 0.0 would lose the sign
_pairs: _Shared[tuple[str, str]] = _Shared(4096)  # (header name, value)
_header_sets: _Shared[Headers] = _Shared(1024)


def shared_headers(pairs: Headers) -> Headers:
    """``pairs`` with each (name, value) and the whole tuple shared with equal ones."""
    return _header_sets(tuple(_pairs(pair) for pair in pairs))


def forget_shared() -> None:
    """Empty the sharing caches (tests; nothing depends on what they hold)."""
    for cache in (_texts, _pairs, _header_sets):
        cache.clear()
    _bodies.clear()


def _shared_body(body: Any) -> Any:
    """One dict for equal small flat JSON objects (``{"revalidated": true}`` on every 200).

    Results are values: nothing changes a response once parsed, so equal ones can be one
    object. The key holds each value's type: ``true`` and ``1`` are equal in Python.
    """
    if not isinstance(body, dict) or len(body) > 8:
        return body
    if not all(isinstance(v, _SCALARS) for v in body.values()):
        return body
    key = tuple((k, type(v), v) for k, v in body.items())
    shared = _bodies.get(key)
    if shared is not None:
        return shared
    if len(_bodies) >= _BODIES_LIMIT:
        _bodies.clear()
    _bodies[key] = body
    return body


@dataclass(frozen=True, slots=True)
class Reply:
    """The outcome of one attempt: a response or a transport error, already redacted."""

    status: int | None
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    error: str | None = None
    error_kind: Outcome | None = None
    retry_after: float | None = None
    location: str | None = None
    timing: Timing | None = None
    setting_hint: str | None = None  # a proxy or CA bundle failed: the setting to fix

    @property
    def retryable(self) -> bool:
        if self.status is None:
            return self.error_kind in (Outcome.TIMED_OUT, Outcome.UNREACHABLE)
        return self.status == 429 or self.status >= 500

    @classmethod
    def from_response(
        cls, response: httpx.Response, body: bytes, request: PreparedRequest
    ) -> Reply:
        secret = (request.secret, *request.hidden)  # the secret headers' values too
        headers = shared_headers(
            tuple((k, redact_text(v, *secret)) for k, v in response.headers.multi_items())
        )
        return cls(
            status=response.status_code,
            body=_parse_body(body, response.headers.get("content-type", ""), secret),
            headers=headers,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            location=response.headers.get("location"),
            setting_hint=response.extensions.get(GATEWAY_HINT),
        )

    @classmethod
    def timed_out(cls, timeout: float) -> Reply:
        """No complete answer within the attempt's deadline (a slow drip, a hang)."""
        text = f"Timed out (no complete answer within {timeout:g} s)"
        return cls(status=None, error=text, error_kind=Outcome.TIMED_OUT)

    @classmethod
    def from_error(cls, exc: httpx.HTTPError, request: PreparedRequest) -> Reply:
        kind, text = _classify_error(exc)
        error = _texts(redact_text(text, request.secret))
        hint = exc.hint if isinstance(exc, NetworkFailure) else None
        return cls(status=None, error=error, error_kind=kind, setting_hint=hint)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit alone accepts "²", float() not
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def same_origin_redirect(request: PreparedRequest, reply: Reply) -> PreparedRequest | None:
    """The request to repeat for a 307/308 to the same origin, else None (not followed).

    Other redirects are reported, never followed: the secret must not travel to another
    host, and a 301/302/303 would turn the POST into a GET without its body.
    """
    if reply.status not in (307, 308) or not reply.location:
        return None
    try:  # a Location httpx accepts but urllib refuses (port 99999, "http://a]b/")
        target = urljoin(request.url, reply.location)
        old, new = urlsplit(request.url), urlsplit(target)
        if (old.scheme, old.hostname, old.port) != (new.scheme, new.hostname, new.port):
            return None
    except ValueError:
        return None  # reported as a redirect, never followed
    return dataclasses.replace(request, url=target)


def _parse_body(body: bytes, content_type: str, secret: tuple[str | None, ...]) -> Any:
    text = body.decode("utf-8", errors="replace")
    text = redact_text(text, *secret)
    stripped = text.strip()
    if "json" in content_type or stripped[:1] in ("{", "["):
        try:
            # Redacted again once parsed: a JSON string can hold the secret in a form the
            # text pass cannot see (\u escapes, or an echoed request body escaped twice).
            return _shared_body(_redact_json(json.loads(stripped), secret))
        except (ValueError, RecursionError):  # not JSON, or nested too deep to be sane
            pass
    if not stripped:
        return None
    return stripped if len(stripped) <= EXCERPT_CHARS else stripped[:EXCERPT_CHARS] + "…"


def _redact_json(value: Any, secret: tuple[str | None, ...]) -> Any:
    """``value`` with the secrets redacted from every string; keys and short strings shared."""
    if isinstance(value, str):
        value = redact_text(value, *secret)
        return _texts(value) if len(value) <= _SHORT else value
    if isinstance(value, list):
        return [_redact_json(v, secret) for v in value]
    if isinstance(value, dict):
        # sys.intern: the same few keys in every body; interned strings die with their last
        # reference, so a site sending odd keys cannot make this grow.
        return {
            sys.intern(redact_text(k, *secret)): _redact_json(v, secret) for k, v in value.items()
        }
    return value


def _classify_error(exc: httpx.HTTPError) -> tuple[Outcome, str]:
    if isinstance(exc, NetworkFailure):  # a proxy or the CA bundle, not the site
        return _SETTING_OUTCOMES[exc.failing], str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return Outcome.TIMED_OUT, f"Timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError) and is_tls(exc):
        return Outcome.TLS_ERROR, f"TLS handshake failed: {exc}"
    if isinstance(exc, httpx.ConnectError):
        return Outcome.UNREACHABLE, f"Could not connect: {exc or 'connection refused'}"
    if _malformed(exc):  # the site answered, but not in HTTP: retrying will not help
        return Outcome.OTHER, f"{_MALFORMED} ({exc})"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return Outcome.UNREACHABLE, f"The connection broke: {exc or type(exc).__name__}"
    return Outcome.OTHER, f"{type(exc).__name__}: {exc}"


_MALFORMED = "The site's answer is not valid HTTP"
# A proxy that refused or could not reach the site may work on a retry; a login will not.
_SETTING_OUTCOMES = {
    Failing.CA_BUNDLE: Outcome.TLS_ERROR,
    Failing.PROXY_REFUSED: Outcome.UNREACHABLE,
    Failing.PROXY_UPSTREAM: Outcome.UNREACHABLE,
    Failing.PROXY_LOGIN: Outcome.OTHER,
}


def _malformed(exc: BaseException) -> bool:
    """An answer h11 refused to parse (10,000 headers), or whose ``Location`` httpx refused."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, h11.RemoteProtocolError | httpx.InvalidURL):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# --- results ------------------------------------------------------------------------------


def judge(reply: Reply) -> tuple[bool, Outcome]:
    status = reply.status
    if status is None:
        return False, reply.error_kind or Outcome.OTHER
    if 200 <= status < 300:
        body = reply.body
        if isinstance(body, dict) and "revalidated" in body and body["revalidated"] is not True:
            return False, Outcome.NOT_REVALIDATED
        if _is_web_page(reply):
            # A wrong route path on a site with a catch-all page answers 200 with HTML:
            # nothing was revalidated, whatever the status says.
            return False, Outcome.OTHER
        return True, Outcome.REFRESHED
    if status in (401, 403):
        return False, Outcome.WRONG_SECRET
    if status == 404:
        return False, Outcome.NOT_FOUND
    if status in (400, 422):
        return False, Outcome.BAD_REQUEST
    if status == 405:
        return False, Outcome.WRONG_METHOD
    if status == 429:
        return False, Outcome.RATE_LIMITED
    if 300 <= status < 400:
        return False, Outcome.REDIRECTED
    if status >= 500:
        return False, Outcome.SERVER_ERROR
    return False, Outcome.OTHER


def _is_web_page(reply: Reply) -> bool:
    return any(
        name.lower() == "content-type" and value.lower().lstrip().startswith("text/html")
        for name, value in reply.headers
    )


def hint_for(
    outcome: Outcome, request: PreparedRequest, reply: Reply, *, timeout: float
) -> str | None:
    """What a user should do about ``outcome``; None for a success."""
    if outcome is Outcome.REFRESHED:
        return None  # before the parsing below: a bulk run is mostly successes
    if reply.setting_hint:
        return reply.setting_hint
    parts = urlsplit(request.url)
    host = parts.netloc
    sent = request.redacted().body
    if outcome is Outcome.NOT_REVALIDATED:
        return "The route answered but reported revalidated: false — check the site's logs."
    if outcome is Outcome.WRONG_SECRET:
        where = secret_place(request)
        place = f" (sent in {where})" if where else ""
        return (
            f"The site answered {reply.status}: it rejected the secret{place}. Either the "
            "secret stored for this site is not the one the site expects — ask your developer "
            "for the current one — or the route reads it from another place."
        )
    if outcome is Outcome.NOT_FOUND:
        return f"Nothing answers at {parts.path}: check the endpoint path in the site's settings."
    if outcome is Outcome.BAD_REQUEST:
        body = sent.decode("utf-8", errors="replace") if sent else "(no body)"
        return f"The route did not accept the request body {body}: check the preset."
    if outcome is Outcome.WRONG_METHOD:
        return (
            f"The route does not accept {request.method}: pick the preset that matches it "
            "(pages-router sends GET, app-router and bearer send POST)."
        )
    if outcome is Outcome.RATE_LIMITED:
        return "The site is rate limiting: lower the concurrency or try again later."
    if outcome is Outcome.SERVER_ERROR:
        return "The revalidation route threw an error: see the response body and the site's logs."
    if outcome is Outcome.REDIRECTED:
        where = reply.location or "another address"
        return (
            f"The endpoint redirects to {redact_text(where, request.secret)}; redirects are not "
            "followed with the secret attached — use the final address as the site URL."
        )
    if outcome is Outcome.TIMED_OUT:
        return (
            f"No answer from {host} within {timeout:g} s: the site is down or slow; "
            "check the URL or raise the timeout."
        )
    if outcome is Outcome.UNREACHABLE:
        return f"Could not reach {host}: check the site URL and that the site is running."
    if outcome is Outcome.TLS_ERROR:
        return f"The certificate of {host} is not trusted (expired, self-signed or wrong host)."
    if outcome is Outcome.CANCELLED:
        return "Cancelled while in flight: the site may still have processed it."
    if outcome is Outcome.OTHER and reply.status is not None and 200 <= reply.status < 300:
        return (
            f"{parts.path} answered with a web page, not a revalidation route's answer: "
            "nothing was refreshed. Check the endpoint path in the site's settings."
        )
    if outcome is Outcome.OTHER and (reply.error or "").startswith(_MALFORMED):
        return (
            f"{host} (or a proxy in front of it) sent a broken HTTP answer (too many or invalid "
            "headers): check the route's response headers."
        )
    return None


def results_for(
    request: PreparedRequest,
    reply: Reply,
    *,
    attempts: int,
    duration_ms: float,
    instance: str | None,
    started_at: float,
    timeout: float,
) -> list[Result]:
    ok, outcome = judge(reply)
    hint = hint_for(outcome, request, reply, timeout=timeout)
    hint = None if hint is None else _texts(hint)
    error = reply.error
    if error is None and not ok:
        error = f"HTTP {reply.status}" if outcome is not Outcome.NOT_REVALIDATED else None
    error = None if error is None else _texts(error)
    redacted = _shared_request(request.redacted())
    return [
        Result(
            target=target,
            ok=ok,
            outcome=outcome,
            status=reply.status,
            duration_ms=duration_ms,
            attempts=attempts,
            response=reply.body,
            error=error,
            hint=hint,
            timing=reply.timing,
            instance=instance,
            started_at=started_at,
            request=redacted,
            response_headers=reply.headers,
        )
        for target in request.targets
    ]


def _shared_request(redacted: PreparedRequest) -> PreparedRequest:
    """``redacted`` with its URL and headers shared: the same for every request of a run."""
    return PreparedRequest(
        redacted.method,
        _texts(redacted.url),
        shared_headers(redacted.headers),
        redacted.body,
        redacted.targets,
    )


def cancelled_results(request: PreparedRequest, *, instance: str | None) -> list[Result]:
    reply = Reply(status=None, error="Cancelled", error_kind=Outcome.CANCELLED)
    return _results_without_response(request, reply, instance)


def failed_results(
    request: PreparedRequest, exc: BaseException, *, instance: str | None
) -> list[Result]:
    """Results for a job that hit a bug (logged by the caller): failed, never a traceback."""
    text = redact_text(f"Unexpected error ({type(exc).__name__})", request.secret)
    reply = Reply(status=None, error=text, error_kind=Outcome.OTHER)
    return _results_without_response(request, reply, instance)


def _results_without_response(
    request: PreparedRequest, reply: Reply, instance: str | None
) -> list[Result]:
    return results_for(
        request,
        reply,
        attempts=1,
        duration_ms=0.0,
        instance=instance,
        started_at=time.time(),
        timeout=0.0,
    )
