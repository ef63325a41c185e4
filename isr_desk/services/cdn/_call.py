"""One call to a CDN's API, with the retries its rate limits ask for (docs/cdn.md).

A 429 waits what ``Retry-After`` says (delta-seconds or an HTTP date; else what the API's
own body says, else a short backoff), a 5xx or a dropped connection is tried again after a
backoff, and nothing waits past the step's deadline: a wait that would end after it is not
started, and the call reports the 429 it got. Time and sleep come from a :class:`Timer`,
so tests check the waits without waiting.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from isr_desk.services.http import BodyTooLargeError, read_capped

BODY_LIMIT = 64 * 1024  # an API's answer is small; a bigger one is cut here
EXCERPT = 300


class Timer(Protocol):
    """Where a purge reads the time and waits (a fake one in tests)."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealTimer:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Policy:
    """Bounds of a CDN step: ``timeout`` per request, ``retries`` after a 429/5xx/dropped
    connection, ``deadline`` seconds for the whole step, ``max_wait`` the longest single
    ``Retry-After`` honoured."""

    timeout: float = 15.0
    retries: int = 3
    deadline: float = 300.0
    max_wait: float = 65.0


@dataclass(frozen=True, slots=True)
class Reply:
    """What one call came to after its retries. ``status`` None: no answer (``error`` says
    why); ``waits`` the rate-limit and backoff waits taken, in seconds."""

    status: int | None
    body: Any
    attempts: int
    duration_ms: float
    error: str | None = None
    waits: tuple[float, ...] = ()
    timed_out: bool = False


# What an API body says about when to try again (Vercel's error.limit.reset), or None.
BodyWait = Callable[[Any], float | None]
# Told of each wait before it starts: (seconds, why: "rate limit" or "the API failed").
OnWait = Callable[[float, str], None]


class Budget:
    """The deadline of one CDN step, shared by its calls."""

    def __init__(self, timer: Timer, policy: Policy) -> None:
        self.timer, self.policy = timer, policy
        self.ends = timer.now() + policy.deadline

    def left(self) -> float:
        return self.ends - self.timer.now()


async def call(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes,
    budget: Budget,
    body_wait: BodyWait | None = None,
    on_wait: OnWait | None = None,
) -> Reply:
    """POST ``body`` to ``url``, retried as the module docstring says."""
    policy, timer = budget.policy, budget.timer
    started = timer.now()
    waits: list[float] = []
    attempt = 0
    while True:
        attempt += 1
        status, parsed, retry_after, error = await _once(client, url, headers, body, policy)
        wait = _wait_for(status, parsed, retry_after, attempt, body_wait)
        last = attempt > policy.retries or wait is None
        if not last and wait is not None and (wait > policy.max_wait or wait >= budget.left()):
            error = error or _too_long(wait, policy, budget)
            last = True
        if last:
            return Reply(
                status,
                parsed,
                attempt,
                (timer.now() - started) * 1000,
                error,
                tuple(waits),
                timed_out=error == "timed out",
            )
        assert wait is not None
        waits.append(wait)
        if on_wait is not None:
            on_wait(wait, "rate limit" if status == 429 else "the API failed, trying again")
        await timer.sleep(wait)


def _too_long(wait: float, policy: Policy, budget: Budget) -> str:
    """Why a wait the API asked for is not taken: over the longest single wait, or past the
    step's deadline."""
    if wait > policy.max_wait:
        return (
            f"the API asks to wait {wait:.0f} s, longer than the {policy.max_wait:.0f} s "
            "ISR Desk waits at once"
        )
    return f"the API asks to wait {wait:.0f} s, past this purge's deadline"


def _wait_for(
    status: int | None,
    parsed: Any,
    retry_after: float | None,
    attempt: int,
    body_wait: BodyWait | None,
) -> float | None:
    """Seconds to wait before trying again; None: do not try again."""
    backoff: float = 0.5 * 2.0 ** (attempt - 1)
    if status == 429:
        if retry_after is not None:
            return retry_after
        said: float | None = body_wait(parsed) if body_wait is not None else None
        return said if said is not None else backoff
    if status is None or status >= 500:
        return backoff
    return None


async def _once(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes, policy: Policy
) -> tuple[int | None, Any, float | None, str | None]:
    try:
        async with asyncio.timeout(policy.timeout):
            request = client.build_request("POST", url, headers=headers, content=body)
            response = await client.send(request, stream=True)
            try:
                raw = await read_capped(response, BODY_LIMIT)
            except BodyTooLargeError:
                raw = b""
            finally:
                await response.aclose()
    except TimeoutError:
        return None, None, None, "timed out"
    except httpx.TimeoutException:
        return None, None, None, "timed out"
    except httpx.HTTPError as exc:
        return None, None, None, f"no answer ({type(exc).__name__})"
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    return response.status_code, parse_body(raw), retry_after, None


def parse_body(raw: bytes) -> Any:
    """The JSON an API answered, or a text excerpt, or None for an empty body."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text[:EXCERPT]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
