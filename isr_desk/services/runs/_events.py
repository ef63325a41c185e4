"""The events a run session yields, in this order:

``Started`` → (``ResultsBatch`` → ``Progress``)… → [``CdnStarted`` → (``CdnProgress`` →
``ResultsBatch``)… → ``CdnFinished``] → ``Finished`` → [``VerifyStarted`` → ``Verified``];
``VerifyStarted`` may also come before ``Started`` (the "before" snapshot). The CDN's
``ResultsBatch`` rows have the step ``cdn: <provider>`` (docs/cdn.md).
``RunWarning`` can come at any point (the history could not be written, tags are not
verified); ``Failed`` ends a session that could not start (no secret, a bad endpoint);
``Stopped`` ends one cancelled before anything was sent, or during verification.

Plain frozen values: the CLI prints them, the GUI's adapter turns them into signals.
"""

from __future__ import annotations

from dataclasses import dataclass

from isr_desk.domain import Result, RunSummary
from isr_desk.services.errors import IsrError
from isr_desk.services.verify import Verification


@dataclass(frozen=True, slots=True)
class Started:
    """The engine started; every target is in the history under ``run_id`` (None: not
    recorded)."""

    site: str
    total: int
    run_id: int | None


@dataclass(frozen=True, slots=True)
class ResultsBatch:
    """Results that arrived together (already committed to the history)."""

    site: str
    results: tuple[Result, ...]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run is. ``in_flight`` counts requests a cancel abandoned (not failures)."""

    done: int
    failed: int
    total: int
    elapsed: float
    in_flight: int = 0

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.done)

    @property
    def rate(self) -> float:
        """Targets per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def time_left(self) -> float | None:
        """Seconds until the end at the rate so far; None before the first result."""
        rate = self.rate
        return self.remaining / rate if rate > 0 else None


@dataclass(frozen=True, slots=True)
class Finished:
    """The run ended (also after a cancel: see ``summary.cancelled``). ``verify_follows``
    says whether ``VerifyStarted``/``Verified`` come next."""

    summary: RunSummary
    run_id: int | None
    verify_follows: bool = False


@dataclass(frozen=True, slots=True)
class VerifyStarted:
    """Pages are being fetched as a visitor sees them (before the run, or after it)."""

    pages: int
    after: bool


@dataclass(frozen=True, slots=True)
class Verified:
    """One verdict per page checked after the run, and the run's results they judge."""

    results: tuple[Result, ...]
    verifications: tuple[Verification, ...]


@dataclass(frozen=True, slots=True)
class RunWarning:
    """Something went wrong beside the run, which itself goes on (e.g. the history)."""

    text: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The session could not start the run (nothing was sent)."""

    error: IsrError


@dataclass(frozen=True, slots=True)
class Stopped:
    """Cancelled before anything was sent, or while verifying (the run itself is done)."""

    text: str


@dataclass(frozen=True, slots=True)
class CdnStarted:
    """The CDN purge of a run begins: ``targets`` rows will come, in ``batches`` calls."""

    step: str
    targets: int
    batches: int


@dataclass(frozen=True, slots=True)
class CdnProgress:
    """Where the CDN step is: calling ``batch`` of ``batches`` to ``provider``, or (``wait``
    set) waiting that many seconds before trying the call again, ``why`` says for what.
    :attr:`text` is the line both faces show."""

    provider: str
    batch: int
    batches: int
    wait: float | None = None
    why: str = ""

    @property
    def text(self) -> str:
        head = f"Purging {self.provider}: batch {self.batch:,} of {self.batches:,}"
        if self.wait is None:
            return f"{head}…"
        return f"{head} · waiting {max(1, round(self.wait)):,} s ({self.why})"


@dataclass(frozen=True, slots=True)
class CdnFinished:
    """The CDN purge of a run ended: its rows' totals. ``not_supported`` rows (a path on
    Vercel, which purges tags only) are neither purged nor failed; ``why`` says why, short."""

    step: str
    ok: int
    failed: int
    duration_ms: float
    not_supported: int = 0
    why: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "step": self.step,
            "ok": self.ok,
            "failed": self.failed,
            "not_supported": self.not_supported,
            "duration_ms": round(self.duration_ms, 1),
        }

    @property
    def not_purged(self) -> str:
        """ "2 not purged: Vercel purges tags only", or "" when every row was sent."""
        if not self.not_supported:
            return ""
        return f"{self.not_supported:,} not purged" + (f": {self.why}" if self.why else "")


Event = (
    Started
    | ResultsBatch
    | Progress
    | Finished
    | VerifyStarted
    | Verified
    | RunWarning
    | Failed
    | Stopped
    | CdnStarted
    | CdnProgress
    | CdnFinished
)
