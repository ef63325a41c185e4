"""Recorded runs as new plans: the rest of a run (resume) or all of it (run again), by id."""

from __future__ import annotations

from dataclasses import dataclass

from isr_desk.domain import Target
from isr_desk.services.runs._record import HistoryOpener


@dataclass(frozen=True, slots=True)
class RecordedRest:
    """The site of a recorded run and the targets to send (in the run's order)."""

    run_id: int
    site: str
    targets: tuple[Target, ...]


def recorded_rest(run_id: int, *, history: HistoryOpener) -> RecordedRest:
    """What run ``run_id`` left without an answer: not sent (a cancel, a crash) or cut off
    in flight, minus what runs resuming it answered. HistoryError when there is no run."""
    with history() as store:
        record = store.run(run_id)
        targets = store.unsent_targets(run_id)
    return RecordedRest(run_id, record.profile, tuple(targets))


def recorded_targets(run_id: int, *, history: HistoryOpener) -> RecordedRest:
    """Every target run ``run_id`` was started with ("Run again" from the history)."""
    with history() as store:
        record = store.run(run_id)
        targets = store.run_targets(run_id)
    return RecordedRest(run_id, record.profile, tuple(targets))
