"""Resuming a recorded run: what a cancel or a crash kept from being sent, by run id."""

from __future__ import annotations

from dataclasses import dataclass

from isr_desk.domain import Target
from isr_desk.services.runs._record import HistoryOpener


@dataclass(frozen=True, slots=True)
class RecordedRest:
    """The site of a recorded run and its targets without an answer (in the run's order)."""

    run_id: int
    site: str
    targets: tuple[Target, ...]


def recorded_rest(run_id: int, *, history: HistoryOpener) -> RecordedRest:
    """The rest of run ``run_id``; HistoryError when there is no such run or no history."""
    with history() as store:
        record = store.run(run_id)
        targets = store.unsent_targets(run_id)
    return RecordedRest(run_id, record.profile, tuple(targets))
