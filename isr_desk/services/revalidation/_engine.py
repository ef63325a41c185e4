"""The revalidation engine: many requests on one shared ``httpx.AsyncClient``.

A :class:`Run` sends every target (on every instance of the site) with at most
``concurrency`` requests in flight, retries connection errors, timeouts, 5xx and 429 with
exponential backoff and jitter (honouring ``Retry-After``), and yields one
:class:`~isr_desk.domain.Result` per target as each completes. :meth:`Run.cancel` stops new
sends at once; requests in flight are abandoned and reported as cancelled, targets never
sent are counted in the summary's ``not_sent``.

Concurrency is a fixed pool of worker tasks pulling from a queue rather than one task per
target: httpcore's pool is O(n²) in requests waiting for a connection (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from isr_desk.domain import (
    PreparedRequest,
    Result,
    RunSummary,
    SiteProfile,
    Target,
    Timing,
)
from isr_desk.services import logsafe
from isr_desk.services.errors import RevalidationError
from isr_desk.services.http import make_client, read_capped, route_profile
from isr_desk.services.revalidation import _replies as responses
from isr_desk.services.sites import bounds_problem, build_requests

__all__ = ["Revalidator", "Run", "RunOptions", "make_client"]

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
_CLOSED = httpx.ByteStream(b"")  # what a read and closed response keeps as its stream


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How a run behaves. ``batch_size`` None means: the profile's setting."""

    concurrency: int = 8
    timeout: float = 10.0
    retries: int = 2
    batch_size: int | None = None
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 60.0
    max_body_bytes: int = 64 * 1024
    max_redirects: int = 3
    rate_limit: int = 0  # requests a minute at most, evenly spaced (0: no limit)

    @classmethod
    def from_profile(cls, profile: SiteProfile, **overrides: Any) -> RunOptions:
        options = cls(
            concurrency=profile.concurrency,
            timeout=profile.timeout,
            retries=profile.retries,
            rate_limit=profile.rate_limit,
        )
        options = replace(options, **{k: v for k, v in overrides.items() if v is not None})
        problem = bounds_problem(
            concurrency=options.concurrency, timeout=options.timeout, retries=options.retries
        )
        if problem is not None:
            raise RevalidationError(problem)
        if not 0 <= options.rate_limit <= 100_000:
            raise RevalidationError("The rate limit must be between 0 and 100,000 per minute")
        return options


@dataclass(frozen=True, slots=True)
class _Job:
    request: PreparedRequest
    instance: str | None


class Revalidator:
    """Starts runs on a shared client. ``sleep`` and ``jitter`` are injectable for tests."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._jitter = jitter
        self._parsed = _ParsedCache()

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client

    def with_client(self, client: httpx.AsyncClient) -> Revalidator:
        """The same engine (sleep, jitter) on another client: a client belongs to one loop,
        so a run on a worker thread's loop needs its own."""
        return Revalidator(client, sleep=self._sleep, jitter=self._jitter)

    def start(
        self,
        profile: SiteProfile,
        secret: str,
        targets: Sequence[Target],
        options: RunOptions | None = None,
    ) -> Run:
        """Build every request (raising EndpointError before any send) and start sending.

        Must be called with a running event loop. Duplicate targets are sent once.
        """
        options = options or RunOptions.from_profile(profile)
        route_profile(self._client, profile)  # its proxy and CA bundle, if it has them
        logsafe.remember(secret)  # httpx logs every request URL (with a query secret)
        unique = list(dict.fromkeys(targets))
        if not unique:
            raise RevalidationError("Nothing to revalidate", hint="Pick or type a path or tag")
        jobs: list[_Job] = []
        instances = profile.bases
        for base in instances:
            instance = base if len(instances) > 1 else None
            requests = build_requests(
                profile, unique, secret, base_url=base, size=options.batch_size
            )
            jobs.extend(_Job(r, instance) for r in requests)
        return Run(self, jobs, total=len(unique) * len(instances), options=options)

    # --- one job, with retries -------------------------------------------------------------
    async def _send_job(
        self, job: _Job, options: RunOptions, pacer: _Pacer | None = None
    ) -> list[Result]:
        started_at = time.time()
        t0 = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            if pacer is not None:
                await pacer.wait()  # every attempt counts against the host's limit
            reply = await self._attempt(job.request, options)
            delay = self._retry_delay(reply, attempt, options)
            if delay is None:
                break
            await self._sleep(delay)
        duration = (time.perf_counter() - t0) * 1000
        return responses.results_for(
            job.request,
            reply,
            attempts=attempt,
            duration_ms=duration,
            instance=job.instance,
            started_at=started_at,
            timeout=options.timeout,
        )

    def _retry_delay(
        self, reply: responses.Reply, attempt: int, options: RunOptions
    ) -> float | None:
        if attempt > options.retries or not reply.retryable:
            return None
        backoff = min(options.backoff_max, options.backoff_base * 2.0 ** (attempt - 1))
        delay = backoff * (0.5 + self._jitter())
        if reply.retry_after is not None:
            if reply.retry_after > options.retry_after_max:
                return None  # the site asks for a longer pause than a run should hold
            delay = max(delay, reply.retry_after)
        return delay

    async def _attempt(self, request: PreparedRequest, options: RunOptions) -> responses.Reply:
        timing = _TraceTimer()
        t0 = time.perf_counter()
        current = request
        try:
            # httpx's timeouts are per read: a site that sends a byte a second would never
            # time out. The whole attempt (every hop) gets ``timeout`` seconds.
            async with asyncio.timeout(options.timeout):
                for _ in range(options.max_redirects + 1):
                    reply = await self._send_once(current, options, timing)
                    follow = responses.same_origin_redirect(current, reply)
                    if follow is None:
                        break
                    current = follow
        except httpx.HTTPError as exc:
            reply = responses.Reply.from_error(exc, request)
        except TimeoutError:
            reply = responses.Reply.timed_out(options.timeout)
        total = (time.perf_counter() - t0) * 1000
        return replace(reply, timing=timing.timing(total))

    async def _send_once(
        self, request: PreparedRequest, options: RunOptions, timing: _TraceTimer
    ) -> responses.Reply:
        http_request = self._client.build_request(
            request.method,
            self._parsed.url(request.url),
            headers=self._parsed.headers(request.headers),
            content=request.body,
            timeout=options.timeout,
            extensions={"trace": timing.trace},
        )
        response = await self._client.send(http_request, stream=True)
        try:
            body = await read_capped(response, options.max_body_bytes)
        finally:
            await response.aclose()
            # httpx's response and its BoundAsyncStream refer to each other. Dropping the
            # closed stream lets reference counting free a request's ~25 objects at once;
            # left to the cyclic GC they cost the window 3-38 ms pauses on the GUI thread
            # every 500 ms of a bulk run (docs/performance.md, "The window's run").
            response.stream = _CLOSED
        return responses.Reply.from_response(response, body, request)


class _Pacer:
    """At most ``per_minute`` requests a minute, evenly spaced: hosts cap purges per minute
    (Cloudflare, many CDNs) and answer 429 beyond; pacing keeps a long run under the cap."""

    def __init__(self, per_minute: int, sleep: Sleep) -> None:
        self._interval = 60.0 / per_minute
        self._next = 0.0
        self._sleep = sleep

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)


class _ParsedCache:
    """httpx URLs and headers already parsed, by their text.

    A bulk run sends one URL and one header set thousands of times (the path travels in
    the body); parsing them once saves about half of ``build_request``. Bounded: a
    ``pages-router`` run has a URL per target.
    """

    LIMIT = 256

    def __init__(self) -> None:
        self._urls: dict[str, httpx.URL] = {}
        self._headers: dict[tuple[tuple[str, str], ...], httpx.Headers] = {}

    def url(self, text: str) -> httpx.URL:
        parsed = self._urls.get(text)
        if parsed is None:
            if len(self._urls) >= self.LIMIT:
                self._urls.clear()
            parsed = self._urls[text] = httpx.URL(text)
        return parsed

    def headers(self, pairs: tuple[tuple[str, str], ...]) -> httpx.Headers:
        # build_request copies these into a new Headers: the cached one is never changed.
        parsed = self._headers.get(pairs)
        if parsed is None:
            if len(self._headers) >= self.LIMIT:
                self._headers.clear()
            parsed = httpx.Headers(list(pairs))
            # A revalidation answer is a few bytes: asking for gzip (httpx's default) makes
            # the site compress every one (Next.js does), which costs both sides CPU and
            # saves nothing. A profile's own Accept-Encoding header still wins.
            parsed.setdefault("Accept-Encoding", "identity")
            self._headers[pairs] = parsed
        return parsed


# The trace events a Timing needs (httpcore's names, which services/http/_transport.py sends
# too, a contract written in its docstring and tested against both transports),
# by the short name used below; any other event is ignored at once.
_TRACE_MARKS = {
    "connection.connect_tcp.started": "connect",
    "connection.connect_tcp.complete": "connected",
    "connection.start_tls.started": "tls",
    "connection.start_tls.complete": "tls_done",
    "http11.receive_response_headers.complete": "first_byte",
    "http2.receive_response_headers.complete": "first_byte",
}


class _TraceTimer:
    """Collects connect / TLS / first-byte times from the ``trace`` request extension."""

    def __init__(self) -> None:
        self._t0 = time.perf_counter()
        self._marks: dict[str, float] = {}

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        mark = _TRACE_MARKS.get(event)
        if mark is not None and mark not in self._marks:
            self._marks[mark] = time.perf_counter()

    def _span(self, start: str, end: str) -> float | None:
        a = self._marks.get(start)
        b = self._marks.get(end)
        return None if a is None or b is None else (b - a) * 1000

    def timing(self, total_ms: float) -> Timing:
        first = self._marks.get("first_byte")
        return Timing(
            total_ms=total_ms,
            connect_ms=self._span("connect", "connected"),
            tls_ms=self._span("tls", "tls_done"),
            first_byte_ms=None if first is None else (first - self._t0) * 1000,
        )


class Run:
    """One run in progress: iterate it for results; cancel it; ask for the summary."""

    def __init__(
        self, revalidator: Revalidator, jobs: list[_Job], *, total: int, options: RunOptions
    ) -> None:
        self.total = total
        self.options = options
        self.results: list[Result] = []
        self.cancelled = False
        self._revalidator = revalidator
        self._pending: deque[_Job] = deque(jobs)
        self._queue: asyncio.Queue[list[Result] | None] = asyncio.Queue()
        self._t0 = time.perf_counter()
        self._duration_ms: float | None = None
        self._pacer = _Pacer(options.rate_limit, revalidator._sleep) if options.rate_limit else None
        workers = max(1, min(options.concurrency, len(jobs)))
        self._workers = [asyncio.create_task(self._worker()) for _ in range(workers)]
        self._running = len(self._workers)

    @property
    def done(self) -> int:
        return len(self.results)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.ok)

    def cancel(self) -> None:
        """Stop at once: nothing new is sent; requests in flight are abandoned."""
        if self.cancelled or all(task.done() for task in self._workers):
            return
        self.cancelled = True
        self._pending.clear()
        for task in self._workers:
            task.cancel()

    async def aclose(self) -> None:
        """Cancel (if still running) and wait for every worker to end."""
        self.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    def summary(self) -> RunSummary:
        duration = self._duration_ms
        if duration is None:
            duration = (time.perf_counter() - self._t0) * 1000
        return RunSummary.from_results(
            self.results, total=self.total, duration_ms=duration, cancelled=self.cancelled
        )

    def __aiter__(self) -> AsyncIterator[Result]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Result]:
        # One result at a time is batches() that hands over every list as it arrives.
        async for batch in self.batches(max_items=1):
            for result in batch:
                yield result

    async def batches(
        self, *, max_items: int = 256, max_delay: float = 0.05
    ) -> AsyncIterator[list[Result]]:
        """Results in lists of at most ``max_items``, none held back over ``max_delay`` s.

        For consumers with a per-item cost worth sharing (a history commit, a table layout):
        a bulk run arrives in a few lists a second, a slow run one result at a time.
        """
        loop = asyncio.get_running_loop()
        pending: list[Result] = []
        deadline = 0.0
        while self._running or not self._queue.empty():
            if self._queue.empty() and pending:
                try:
                    async with asyncio.timeout(max(0.0, deadline - loop.time())):
                        item = await self._queue.get()
                except TimeoutError:
                    yield pending
                    pending = []
                    continue
            else:
                item = await self._queue.get()
            if item is None:
                self._running -= 1
                continue
            self.results.extend(item)
            if not pending:
                deadline = loop.time() + max_delay
            pending.extend(item)
            if len(pending) >= max_items:
                yield pending
                pending = []
        if pending:
            yield pending
        self._duration_ms = (time.perf_counter() - self._t0) * 1000

    async def _worker(self) -> None:
        try:
            while self._pending:
                job = self._pending.popleft()
                try:
                    batch = await self._revalidator._send_job(job, self.options, self._pacer)
                except asyncio.CancelledError:
                    if not self.cancelled:
                        raise
                    batch = responses.cancelled_results(job.request, instance=job.instance)
                    self._queue.put_nowait(batch)
                    return
                except Exception as exc:  # a bug must not end the whole run
                    log.exception("unexpected error sending %s", job.request.targets)
                    batch = responses.failed_results(job.request, exc, instance=job.instance)
                self._queue.put_nowait(batch)
        except asyncio.CancelledError:
            if not self.cancelled:
                raise
        finally:
            self._queue.put_nowait(None)
