"""The CDN side of a run session: after the origin, purge the CDN for the same targets.

Only targets the origin refreshed (on every instance) are purged: a CDN that fetched again
from an origin that still has the old page would only cache the old page afresh. Every
purged target gets a row of its own, with the step ``cdn: <provider>``, recorded in the same
run; a step that cannot start (no token, settings missing) gives each target a failed row
saying why, so the run's history and exit status show it (docs/cdn.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from isr_desk.domain import CdnProvider, Outcome, Result, SiteProfile, Target, TargetKind
from isr_desk.services.cdn import CdnPurger
from isr_desk.services.errors import IsrError, SecretMissingError
from isr_desk.services.runs._events import (
    CdnFinished,
    CdnProgress,
    CdnStarted,
    Event,
    ResultsBatch,
    RunWarning,
)
from isr_desk.services.verify import Verdict, Verification

if TYPE_CHECKING:
    from isr_desk.services.runs._record import Recorder


class TokenSource(Protocol):
    """Where a site's CDN API token comes from (the keyring's CDN entries)."""

    def require(self, name: str) -> str: ...


def refreshed(
    profile: SiteProfile, targets: Sequence[Target], results: Sequence[Result]
) -> list[Target]:
    """The targets the origin refreshed on every instance, in the run's order."""
    instances = len(profile.bases)
    counts: dict[Target, int] = {}
    for r in results:
        if r.ok:
            counts[r.target] = counts.get(r.target, 0) + 1
    return [t for t in targets if counts.get(t, 0) >= instances]


async def purge_step(
    profile: SiteProfile,
    targets: Sequence[Target],
    *,
    purger: CdnPurger,
    token: str | None,
    tokens: TokenSource | None,
    recorder: Recorder,
    emit: Callable[[Event], None],
) -> list[Result]:
    """Purge ``targets`` from ``profile``'s CDN; every row is recorded and emitted."""
    step = profile.cdn.step
    rows: list[Result] = []
    t0 = time.perf_counter()

    def hand_over(batch: Sequence[Result]) -> None:
        recorder.add(batch)
        rows.extend(batch)
        emit(ResultsBatch(profile.name, tuple(batch)))

    try:
        plan = purger.plan(profile, targets)
        emit(CdnStarted(step, plan.targets, len(plan.batches)))
        if token is None:
            if tokens is None:
                raise SecretMissingError(f"No CDN API token for site {profile.name!r}")
            token = await asyncio.to_thread(tokens.require, profile.name)
        label = profile.cdn.provider.label

        def notify(batch: int, batches: int, wait: float | None, why: str) -> None:
            emit(CdnProgress(label, batch, batches, wait, why))

        async for batch in purger.purge(profile, token, targets, notify=notify):
            hand_over(batch)
    except IsrError as exc:
        done = {r.target for r in rows}
        hand_over([_not_purged(step, t, exc) for t in targets if t not in done])
    ok = sum(1 for r in rows if r.ok)
    apart = [r for r in rows if r.outcome is Outcome.UNSUPPORTED]
    took = (time.perf_counter() - t0) * 1000
    why = _why_not_purged(profile, apart)
    emit(CdnFinished(step, ok, len(rows) - ok - len(apart), took, len(apart), why))
    return rows


def _why_not_purged(profile: SiteProfile, rows: Sequence[Result]) -> str:
    """Why a purge's not-supported rows were not sent, in a few words."""
    if not rows:
        return ""
    label = profile.cdn.provider.label
    if profile.cdn.provider is CdnProvider.VERCEL and all(
        r.target.kind is TargetKind.PATH for r in rows
    ):
        return f"{label} purges tags only"
    return f"{label} cannot purge them (see the rows)"


def _not_purged(step: str, target: Target, error: IsrError) -> Result:
    outcome = Outcome.WRONG_SECRET if isinstance(error, SecretMissingError) else Outcome.OTHER
    return Result(
        target=target,
        ok=False,
        outcome=outcome,
        status=None,
        duration_ms=0.0,
        attempts=0,
        error=error.message,
        hint=error.hint,
        started_at=time.time(),
        step=step,
    )


def skipped_warning(skipped: int, step: str) -> RunWarning:
    return RunWarning(
        f"{skipped} target(s) were not refreshed at the origin, so the CDN ({step}) was not "
        "purged for them: retry them first"
    )


def with_cdn_action(
    verifications: Sequence[Verification], profile: SiteProfile, *, purged: bool
) -> tuple[Verification, ...]:
    """Each "CDN still serving old copy" verdict with what to do about it, in words."""
    cdn = profile.cdn
    if not cdn.enabled:
        action = "Set the site's CDN (docs/cdn.md) and ISR Desk purges it in the same run."
    elif purged:
        action = f"{cdn.provider.label} was purged in this run: its copy may take a moment to go."
    else:
        action = (
            f"Purge {cdn.provider.label} too: run with --purge-cdn, or tick "
            '"Also purge the CDN" in the window.'
        )
    return tuple(
        replace(v, detail=f"{v.detail} {action}") if v.verdict is Verdict.CDN_STALE else v
        for v in verifications
    )
