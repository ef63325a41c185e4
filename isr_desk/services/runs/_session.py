"""One run session: secret → "before" snapshot → engine → history → verdicts, as events.

:class:`RunSession` is what both faces use: ``isr-desk revalidate`` prints its events, the
window's ``RunController`` turns them into signals. :meth:`RunSession.stream` runs the
pipeline on the caller's loop, or (``threaded=True``) on a loop of its own in a worker
thread with its own HTTP client, handing the events to the caller's loop: in the window the
engine's network callbacks then never queue behind the GUI (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import httpx

from isr_desk.domain import Outcome, Result, RunSummary, SiteProfile, Target
from isr_desk.services import logsafe, paths
from isr_desk.services.cdn import CdnPurger
from isr_desk.services.errors import IsrError, SecretMissingError
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator, Run, RunOptions
from isr_desk.services.runs import _purging, _verifying
from isr_desk.services.runs._events import (
    Event,
    Failed,
    Finished,
    Progress,
    ResultsBatch,
    RunWarning,
    Started,
    Stopped,
)
from isr_desk.services.runs._record import HistoryOpener, Recorder
from isr_desk.services.sites import SecretHeaders, SecretStore, with_secret_headers
from isr_desk.services.verify import TagPaths

Emit = Callable[[Event], None]
log = logging.getLogger(__name__)


class SecretSource(Protocol):
    """Where a site's secret comes from (the keyring's :class:`SecretStore`)."""

    def require(self, name: str) -> str: ...


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What to run. ``secret`` given by the caller (``--secret-stdin``) wins over the
    keyring; ``tag_paths`` None with ``verify`` loads them from the site's manifest;
    ``resumes`` names the recorded run whose rest this run sends. ``purge_cdn``: after the
    origin, purge the site's CDN for the targets it refreshed (``cdn_token`` given by the
    caller wins over the keyring's)."""

    profile: SiteProfile
    targets: tuple[Target, ...]
    options: RunOptions | None = None
    verify: bool = False
    tag_paths: TagPaths | None = None
    secret: str | None = field(default=None, repr=False)
    resumes: int | None = None
    purge_cdn: bool = False
    cdn_token: str | None = field(default=None, repr=False)

    def but_for(self, targets: Sequence[Target], *, resumes: int | None = None) -> RunPlan:
        """The same run for other targets (retry failed, send the rest)."""
        return replace(self, targets=tuple(targets), resumes=resumes)


class RunSession:
    """One run, once. Iterate :meth:`stream`; :meth:`cancel` from any thread."""

    def __init__(
        self,
        plan: RunPlan,
        *,
        revalidator: Revalidator,
        secrets: SecretSource | None = None,
        history: HistoryOpener | None = None,
        client_factory: Callable[[], httpx.AsyncClient] = make_client,
        cdn_tokens: _purging.TokenSource | None = None,
        purger_factory: Callable[[httpx.AsyncClient], CdnPurger] = CdnPurger,
    ) -> None:
        self.plan = replace(plan, targets=tuple(dict.fromkeys(plan.targets)))
        self.results: list[Result] = []
        self.cdn_results: list[Result] = []  # rows of the CDN step, apart from the origin's
        self.summary: RunSummary | None = None
        self.run_id: int | None = None
        self._revalidator = revalidator
        self._secrets = secrets
        self._history = history
        self._client_factory = client_factory
        self._cdn_tokens = cdn_tokens
        self._purger_factory = purger_factory
        self._purging = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._run: Run | None = None
        self._cancelled = False
        self._thread: threading.Thread | None = None

    # --- operations ------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop: nothing new is sent; requests in flight end as "cancelled". Thread-safe."""
        self._cancelled = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # RuntimeError: the loop closed meanwhile, so nothing is left to cancel.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._cancel_now)

    @property
    def failed_targets(self) -> list[Target]:
        """Targets with a failed answer (cancelled-in-flight ones are not failures), at the
        origin or at the CDN (a retry refreshes the origin again, then purges again; a
        target the CDN cannot purge at all is not retried for it)."""
        failed = [r.target for r in self.results if not r.ok and r.outcome is not Outcome.CANCELLED]
        failed += [
            r.target for r in self.cdn_results if not r.ok and r.outcome is not Outcome.UNSUPPORTED
        ]
        return list(dict.fromkeys(failed))

    @property
    def rest(self) -> list[Target]:
        """Targets without an answer on every instance: not sent, or cancelled in flight."""
        instances = len(self.plan.profile.bases)
        answered: dict[Target, int] = {}
        for r in self.results:
            if r.outcome is not Outcome.CANCELLED:
                answered[r.target] = answered.get(r.target, 0) + 1
        return [t for t in self.plan.targets if answered.get(t, 0) < instances]

    def retry_failed(self) -> RunPlan | None:
        """The plan that sends the failed targets again; None when none failed."""
        failed = self.failed_targets
        return self.plan.but_for(failed) if failed else None

    def send_rest(self) -> RunPlan | None:
        """The plan that sends what a cancel kept from the site; None when all answered."""
        rest = self.rest
        return self.plan.but_for(rest, resumes=self.run_id) if rest else None

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker thread of a threaded stream to end (tests, shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)

    # --- streaming -------------------------------------------------------------------------
    async def stream(self, *, threaded: bool = False) -> AsyncIterator[Event]:
        """The session's events on the caller's loop, ending after the last one."""
        caller = asyncio.get_running_loop()
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        if threaded:

            def emit(event: Event | None) -> None:
                # RuntimeError: the caller's loop is closed (the app quit): nobody listens.
                with contextlib.suppress(RuntimeError):
                    caller.call_soon_threadsafe(queue.put_nowait, event)

            self._thread = threading.Thread(
                target=self._thread_main, args=(emit,), name="isr-desk-run", daemon=True
            )
            self._thread.start()
        else:
            self._spawn(queue.put_nowait, self._revalidator)
        ended = False
        try:
            while (event := await queue.get()) is not None:
                yield event
            ended = True
        finally:
            if not ended:  # the consumer stopped early (window closed): stop the run too
                self.cancel()

    def _spawn(self, emit: Callable[[Event | None], None], revalidator: Revalidator) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = task = self._loop.create_task(self._main(emit, revalidator))

        def ended(_: asyncio.Task[None]) -> None:
            if task.cancelled():  # cancelled before its first step: nothing ran
                emit(Stopped("Cancelled before anything was sent"))
            elif (exc := task.exception()) is not None:  # a bug: said, logged, never hung
                where = _log_crash("the run failed", exc)
                emit(
                    Failed(
                        IsrError(
                            f"The run failed unexpectedly ({type(exc).__name__})",
                            hint=f"Details are in {where}; the results so far are in the history",
                        )
                    )
                )
            emit(None)

        task.add_done_callback(ended)

    def _thread_main(self, emit: Callable[[Event | None], None]) -> None:
        async def main() -> None:
            async with self._client_factory() as client:
                self._spawn(emit, self._revalidator.with_client(client))
                assert self._task is not None
                await asyncio.wait([self._task])

        try:
            asyncio.run(main())
        except Exception as exc:  # noqa: BLE001 - a bug must end the stream, never hang the window
            where = _log_crash("the run's worker thread failed", exc)
            if self._task is None:
                emit(Failed(IsrError("The run could not start", hint=f"Details are in {where}")))
                emit(None)

    def _cancel_now(self) -> None:
        run = self._run
        if run is not None and self.summary is None:
            run.cancel()  # the results of the requests in flight still arrive, as cancelled
        elif self._task is not None:
            self._task.cancel()

    # --- the pipeline ----------------------------------------------------------------------
    async def _main(self, emit: Callable[[Event | None], None], revalidator: Revalidator) -> None:
        recorder = Recorder(self._history, emit)
        try:
            await self._pipeline(emit, revalidator, recorder)
        except asyncio.CancelledError:
            if self.summary is None:
                emit(Stopped("Cancelled before anything was sent"))
            elif self._purging:
                recorder.finish(self.summary)
                emit(Stopped("CDN purge cancelled: the refresh at the origin is done"))
            else:
                emit(Stopped("Verification cancelled: the refresh itself is done"))
        except IsrError as exc:
            emit(Failed(exc))
        finally:
            recorder.close()
            if self._run is not None:
                await self._run.aclose()

    async def _pipeline(self, emit: Emit, revalidator: Revalidator, recorder: Recorder) -> None:
        if self._cancelled:  # cancelled before the loop could take it
            raise asyncio.CancelledError
        plan = self.plan
        options = plan.options or RunOptions.from_profile(plan.profile)
        secret = plan.secret
        if secret is None:
            if self._secrets is None:
                raise IsrError("No secret for this run", hint="Set the site's secret")
            secret = await asyncio.to_thread(self._secrets.require, plan.profile.name)
        if plan.profile.secret_headers and not plan.profile.secret_values:
            # The site's secret headers, from the keyring into this run's profile (memory only).
            profile = await asyncio.to_thread(self._secret_headers, plan.profile)
            self.plan = plan = replace(plan, profile=profile)
        check = None
        if plan.verify:
            check = await _verifying.Check.prepare(plan, options, revalidator.client, emit)
            await check.before(emit)
        self._run = run = revalidator.start(plan.profile, secret, plan.targets, options)
        await self._follow(run, recorder, emit)
        summary = self.summary
        assert summary is not None
        if plan.purge_cdn and not summary.cancelled:
            await self._purge_cdn(revalidator, recorder, emit)
        recorder.finish(summary)
        recorder.close()
        follows = check is not None and not summary.cancelled
        emit(Finished(summary, self.run_id, verify_follows=follows))
        if check is not None and follows:
            await check.after(self.results, emit, cdn_purged=plan.purge_cdn)

    def _secret_headers(self, profile: SiteProfile) -> SiteProfile:
        store = self._secrets
        if not isinstance(store, SecretStore):
            raise SecretMissingError(
                f"The secret headers of site {profile.name!r} are not available to this run"
            )
        return with_secret_headers(profile, SecretHeaders(store.header_entries()))

    async def _purge_cdn(self, revalidator: Revalidator, recorder: Recorder, emit: Emit) -> None:
        plan = self.plan
        if not plan.profile.cdn.enabled:
            emit(RunWarning(f"Site {plan.profile.name!r} has no CDN set: nothing was purged"))
            return
        targets = _purging.refreshed(plan.profile, plan.targets, self.results)
        if len(targets) < len(plan.targets):
            emit(_purging.skipped_warning(len(plan.targets) - len(targets), plan.profile.cdn.step))
        if not targets:
            return
        self._purging = True
        self.cdn_results = await _purging.purge_step(
            plan.profile,
            targets,
            purger=self._purger_factory(revalidator.client),
            token=plan.cdn_token,
            tokens=self._cdn_tokens,
            recorder=recorder,
            emit=emit,
        )
        self._purging = False

    async def _follow(self, run: Run, recorder: Recorder, emit: Emit) -> None:
        site = self.plan.profile.name
        t0 = time.perf_counter()
        self.run_id = recorder.start(site, run.total, self.plan.targets, resumes=self.plan.resumes)
        emit(Started(site, run.total, self.run_id))
        failed = in_flight = 0
        async for batch in run.batches():
            # Committed before handed over: whatever a user saw is in the history even if
            # the process is killed the next moment.
            recorder.add(batch)
            self.results.extend(batch)
            for result in batch:
                if result.outcome is Outcome.CANCELLED:
                    in_flight += 1
                elif not result.ok:
                    failed += 1
            emit(ResultsBatch(site, tuple(batch)))
            elapsed = time.perf_counter() - t0
            emit(Progress(len(self.results), failed, run.total, elapsed, in_flight))
        self.summary = run.summary()


def _log_crash(what: str, exc: BaseException) -> str:
    """A bug's traceback goes to the crash log file, never to a user's screen: the log (and
    stderr) get one line with where it went; ``--debug`` logs the traceback as well."""
    try:
        text = "".join(traceback.format_exception(exc))
    except Exception:  # noqa: BLE001 - an exception whose str() fails
        text = f"{type(exc).__name__} (its traceback could not be formatted)\n"
    where = logsafe.append_crash(f"{what}\n{text}", paths.log_dir)
    log.error("%s (%s): details in %s", what, type(exc).__name__, where)
    log.debug("%s", what, exc_info=exc)
    return where
