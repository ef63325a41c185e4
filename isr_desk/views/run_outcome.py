"""The banner's words for a finished run: what happened, in plain words, and what helps.

Plain Python (no widgets). Requests cut off by a cancel are their own outcome ("stopped while
in flight": the site may or may not have rebuilt those pages), not failures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from isr_desk.domain import Outcome, Result, RunSummary
from isr_desk.views.log_panel import failure_hint
from isr_desk.views.messages import (
    CHECK_ENDPOINT,
    INFO,
    RETRY_FAILED,
    SEND_REST,
    UPDATE_SECRET,
    WARNING,
    Message,
)
from isr_desk.views.run_texts import plural

# Failures that the endpoint check explains better than a retry would fix.
_ENDPOINT_PROBLEMS = frozenset(
    {
        Outcome.UNREACHABLE,
        Outcome.TLS_ERROR,
        Outcome.NOT_FOUND,
        Outcome.WRONG_METHOD,
        Outcome.BAD_REQUEST,
        Outcome.REDIRECTED,
        Outcome.UNSUPPORTED,
        Outcome.NOT_REVALIDATED,
    }
)


def failure_action(results: Sequence[Result]) -> str:
    """The one button that helps most with a run's failures ("" when none does)."""
    failed = [r.outcome for r in results if not r.ok and r.outcome is not Outcome.CANCELLED]
    if not failed:
        return ""
    outcomes = Counter(failed)
    common = outcomes.most_common(1)[0][0]
    if common is Outcome.WRONG_SECRET:
        return UPDATE_SECRET
    if len(outcomes) == 1 and common in _ENDPOINT_PROBLEMS:
        return CHECK_ENDPOINT
    return RETRY_FAILED if len(failed) > 1 or common is Outcome.TIMED_OUT else CHECK_ENDPOINT


def run_message(
    summary: RunSummary, results: Sequence[Result], *, site: str, can_send_rest: bool = False
) -> Message:
    """The banner message for a finished (or cancelled) run of ``site``."""
    in_flight, failed = summary.in_flight, summary.failed
    if summary.cancelled:
        parts = [f"{summary.ok:,} refreshed"]
        if failed:
            parts.append(f"{failed:,} failed")
        if in_flight:
            parts.append(
                f"{plural(in_flight, 'request')} stopped in flight (the site may or may not "
                "have refreshed those pages)"
            )
        if summary.not_sent:
            parts.append(f"{summary.not_sent:,} not sent")
        rest = summary.not_sent or in_flight
        action = SEND_REST if can_send_rest and rest else failure_action(results)
        return Message(WARNING, "Cancelled: " + ", ".join(parts) + ".", action, site)
    if failed:
        action = failure_action(results)
        if summary.total == 1:
            return Message(WARNING, f"Not refreshed: {failure_hint(results)}", action, site)
        text = (
            f"{failed:,} of {summary.total:,} not refreshed — the red rows in the log say why. "
            f"Most common: {failure_hint(results)}"
        )
        return Message(WARNING, text, action, site)
    if summary.total == 1:
        return Message(INFO, "Refreshed: the page is rebuilt on its next visit.", site=site)
    return Message(INFO, f"All {summary.total:,} refreshed.", site=site)
