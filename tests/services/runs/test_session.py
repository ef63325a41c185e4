"""The run session against real loopback servers: events in order, every target in the
history from the start, cancel (in-flight apart) and send the rest, resume by id, history
failures as warnings with the store closed, verify events, and the threaded stream."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from isr_desk.domain import Outcome, RunSummary, SiteProfile, Target
from isr_desk.services import paths, runs
from isr_desk.services.errors import HistoryError, SecretMissingError
from isr_desk.services.history import HistoryStore
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.runs import RunPlan, RunSession
from isr_desk.services.sites import SecretStore
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import Behaviour, CaseSite, LoopbackSite

SECRET = "s3cret-token"


def _paths(n: int) -> tuple[Target, ...]:
    return tuple(Target.path(f"/p/{i}") for i in range(n))


async def _collect(session: RunSession, *, threaded: bool = False) -> list[runs.Event]:
    return [event async for event in session.stream(threaded=threaded)]


def _session(plan: RunPlan, client: Any, history: Path | None = None, **kw: Any) -> RunSession:
    return RunSession(
        plan,
        revalidator=Revalidator(client),
        history=None if history is None else (lambda: HistoryStore(history)),
        **kw,
    )


def _kinds(events: Sequence[runs.Event]) -> list[str]:
    """Event names, repeated batches/progress folded into one."""
    names: list[str] = []
    for event in events:
        name = type(event).__name__
        if not (names and names[-1] == name and name in ("ResultsBatch", "Progress")):
            names.append(name)
    return names


def _finished(events: Sequence[runs.Event]) -> runs.Finished:
    return next(e for e in events if isinstance(e, runs.Finished))


def _with_client(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test on a fresh loop with a fresh shared client (its ``client``)."""

    @functools.wraps(test)
    def run(**kwargs: Any) -> None:
        async def main() -> None:
            async with make_client() as client:
                await test(client=client, **kwargs)

        asyncio.run(main())

    params = [p for p in inspect.signature(test).parameters.values() if p.name != "client"]
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return run


@_with_client
async def test_events_come_in_order_and_history_has_every_target_at_start(
    site: LoopbackSite, client: Any, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    secrets = SecretStore(MemoryKeyring())
    secrets.set("Blog", site.secret)
    plan = RunPlan(SiteProfile("Blog", site.url, concurrency=4), _paths(30))
    seen_at_start: list[list[Target]] = []
    session = _session(plan, client, db, secrets=secrets)
    events: list[runs.Event] = []
    async for event in session.stream():
        if isinstance(event, runs.Started):
            assert event.run_id is not None
            with HistoryStore(db) as store:  # another connection: committed already
                seen_at_start.append(store.unsent_targets(event.run_id))
        events.append(event)
    assert _kinds(events)[:2] == ["Started", "ResultsBatch"]
    assert _kinds(events)[-1] == "Finished"
    assert seen_at_start == [list(plan.targets)]
    batches = [e for e in events if isinstance(e, runs.ResultsBatch)]
    assert sum(len(b.results) for b in batches) == 30
    progress = [e for e in events if isinstance(e, runs.Progress)]
    assert progress[-1].done == progress[-1].total == 30
    assert progress[-1].time_left == 0.0
    finished = _finished(events)
    assert (finished.summary.ok, finished.summary.failed) == (30, 0)
    with HistoryStore(db) as store:
        assert store.unsent_targets(finished.run_id or 0) == []
        assert store.run(finished.run_id or 0).status == "finished"


@_with_client
async def test_cancel_counts_in_flight_apart_and_the_rest_is_sent_and_resumable(
    client: Any, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    with LoopbackSite(latency=0.3) as slow:
        profile = SiteProfile("Blog", slow.url, concurrency=2, retries=0)
        plan = RunPlan(profile, _paths(12), secret=slow.secret)
        session = _session(plan, client, db)
        events: list[runs.Event] = []
        async for event in session.stream():
            events.append(event)
            if isinstance(event, runs.ResultsBatch):
                session.cancel()  # the next two requests are in flight by now
        summary: RunSummary = _finished(events).summary
        assert summary.cancelled
        assert summary.in_flight >= 1
        assert summary.failed == 0  # in-flight is not a failure
        assert summary.ok + summary.in_flight + summary.not_sent == 12
        in_flight = [r for r in session.results if r.outcome is Outcome.CANCELLED]
        assert all("may still have processed" in (r.hint or "") for r in in_flight)
        rest = session.rest
        assert len(rest) == summary.in_flight + summary.not_sent
        run_id = _finished(events).run_id
        assert run_id is not None
        with HistoryStore(db) as store:
            assert store.unsent_targets(run_id) == rest
            record = store.run(run_id)
        assert (record.status, record.in_flight, record.failed) == (
            "cancelled",
            summary.in_flight,
            0,
        )
        resumed = runs.recorded_rest(run_id, history=lambda: HistoryStore(db))
        assert (resumed.site, list(resumed.targets)) == ("Blog", rest)
        whole = runs.recorded_targets(run_id, history=lambda: HistoryStore(db))
        assert whole.targets == plan.targets

        again = session.send_rest()
        assert again is not None
        assert list(again.targets) == rest
        events = await _collect(_session(again, client, db))
    assert _finished(events).summary.ok == len(rest)
    sent = {t.value for t in plan.targets} - {t.value for t in rest}
    assert sorted(slow.revalidated) == sorted(
        [f"path:{v}" for v in sent] + [f"path:{t.value}" for t in rest]
        + [f"path:{r.target.value}" for r in in_flight]  # sent twice: once cut off
    )  # fmt: skip


@_with_client
async def test_a_missing_secret_fails_before_anything_is_sent(
    site: LoopbackSite, client: Any, tmp_path: Path
) -> None:
    plan = RunPlan(SiteProfile("Blog", site.url), _paths(2))
    session = _session(plan, client, tmp_path / "h.sqlite3", secrets=SecretStore(MemoryKeyring()))
    events = await _collect(session)
    assert [type(e) for e in events] == [runs.Failed]
    failed = events[0]
    assert isinstance(failed, runs.Failed)
    assert isinstance(failed.error, SecretMissingError)
    assert site.requests == []


class _BrokenStore(HistoryStore):
    """A real store whose writes after the start fail, and which says whether it was closed."""

    closed: ClassVar[list[bool]] = []

    def add_results(self, run_id: int, results: Sequence[Any]) -> None:
        raise HistoryError("The disk is full")

    def finish_run(self, run_id: int, summary: RunSummary, **_: Any) -> None:
        raise HistoryError("The disk is still full")

    def close(self) -> None:
        _BrokenStore.closed.append(True)
        super().close()


@_with_client
async def test_history_failures_become_warnings_and_the_store_is_closed(
    site: LoopbackSite, client: Any, tmp_path: Path
) -> None:
    _BrokenStore.closed.clear()
    plan = RunPlan(SiteProfile("Blog", site.url, concurrency=2), _paths(20), secret=site.secret)
    session = RunSession(
        plan, revalidator=Revalidator(client), history=lambda: _BrokenStore(tmp_path / "h.db")
    )
    events = await _collect(session)
    warnings = [e.text for e in events if isinstance(e, runs.RunWarning)]
    assert warnings == [
        "Results are not recorded in the history: The disk is full",
        "The end of the run is not recorded in the history: The disk is still full",
    ]
    assert _finished(events).summary.ok == 20  # the run itself went on
    assert _BrokenStore.closed


@_with_client
async def test_a_history_that_cannot_open_is_one_warning(
    site: LoopbackSite, client: Any, tmp_path: Path
) -> None:
    (tmp_path / "dir.sqlite3").mkdir()
    plan = RunPlan(SiteProfile("Blog", site.url), _paths(1), secret=site.secret)
    events = await _collect(_session(plan, client, tmp_path / "dir.sqlite3"))
    warnings = [e for e in events if isinstance(e, runs.RunWarning)]
    assert len(warnings) == 1
    assert warnings[0].text.startswith("This run is not recorded in the history")
    assert _finished(events).run_id is None


@_with_client
async def test_verify_events_snapshot_before_and_verdicts_after(client: Any) -> None:
    with CaseSite(Behaviour.REGENERATES, secret=SECRET) as case:
        plan = RunPlan(
            SiteProfile("Blog", case.url), (Target.path("/blog/a"),), verify=True, secret=SECRET
        )
        events = await _collect(_session(plan, client))
    assert _kinds(events) == [
        "VerifyStarted",
        "Started",
        "ResultsBatch",
        "Progress",
        "Finished",
        "VerifyStarted",
        "Verified",
    ]
    assert _finished(events).verify_follows
    verified = events[-1]
    assert isinstance(verified, runs.Verified)
    assert [v.label for v in verified.verifications] == ["Regenerated"]


@_with_client
async def test_the_threaded_stream_runs_on_its_own_loop_and_thread(
    site: LoopbackSite, client: Any
) -> None:
    plan = RunPlan(SiteProfile("Blog", site.url, concurrency=8), _paths(200), secret=site.secret)
    session = _session(plan, client)
    here = asyncio.get_running_loop()
    events = await _collect(session, threaded=True)
    session.join()
    assert session._loop is not None
    assert session._loop is not here
    middle = {type(e).__name__ for e in events[1:-1]}
    assert (_kinds(events)[0], middle, _kinds(events)[-1]) == (
        "Started",
        {"ResultsBatch", "Progress"},
        "Finished",
    )
    assert _finished(events).summary.ok == 200
    assert len(site.revalidated) == 200


@_with_client
async def test_cancel_before_the_start_sends_nothing(site: LoopbackSite, client: Any) -> None:
    plan = RunPlan(SiteProfile("Blog", site.url), _paths(3), secret=site.secret)
    session = _session(plan, client)
    session.cancel()
    events = await _collect(session, threaded=True)
    assert [type(e) for e in events] == [runs.Stopped]
    assert site.requests == []


def _broken_history() -> HistoryStore:
    raise RuntimeError("a bug, not a HistoryError")


@_with_client
async def test_a_bug_ends_the_stream_with_a_failure_never_a_hang(
    site: LoopbackSite, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    plan = RunPlan(SiteProfile("Blog", site.url), _paths(2), secret=site.secret)
    for threaded in (False, True):
        session = RunSession(plan, revalidator=Revalidator(client), history=_broken_history)
        events = await _collect(session, threaded=threaded)
        session.join()
        failed = events[-1]
        assert isinstance(failed, runs.Failed)
        assert "failed unexpectedly (RuntimeError)" in failed.error.message
        assert str(paths.log_dir() / "crash.log") in (failed.error.hint or "")
    assert "the run failed" in caplog.text
    # No traceback reaches the screen (stderr shows WARNING and up): it is in the crash log.
    shown = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert shown
    assert all(r.exc_info is None for r in shown)
    assert "Traceback" not in "".join(r.getMessage() for r in shown)
    crash = (paths.log_dir() / "crash.log").read_text()
    assert "Traceback" in crash
    assert "a bug, not a HistoryError" in crash
