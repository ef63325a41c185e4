"""The history side of a run session: one store per session, opened and always closed.

Every error of the store becomes a :class:`RunWarning` (the run goes on without it); after a
failed start nothing more is written (there is no run to write to).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from isr_desk.domain import Result, RunSummary, Target
from isr_desk.services.errors import HistoryError
from isr_desk.services.history import HistoryStore
from isr_desk.services.runs._events import Event, RunWarning

HistoryOpener = Callable[[], HistoryStore]


class Recorder:
    """Writes one run to the history; ``opener`` None records nothing."""

    def __init__(self, opener: HistoryOpener | None, emit: Callable[[Event], None]) -> None:
        self._opener = opener
        self._emit = emit
        self._store: HistoryStore | None = None
        self.run_id: int | None = None
        self._last_warning = ""

    def start(
        self, site: str, total: int, targets: Sequence[Target], *, resumes: int | None
    ) -> int | None:
        """Open the store and record the run with every target; the run's id or None."""
        if self._opener is None:
            return None
        try:
            self._store = self._opener()
            self.run_id = self._store.start_run(
                site, total=total, targets=targets, resumed_from=resumes
            )
        except HistoryError as exc:
            self._warn(f"This run is not recorded in the history: {exc.describe()}")
            self.close()
        return self.run_id

    def add(self, results: Sequence[Result]) -> None:
        if self._store is None or self.run_id is None:
            return
        try:
            self._store.add_results(self.run_id, results)
        except HistoryError as exc:
            self._warn(f"Results are not recorded in the history: {exc.describe()}")

    def finish(self, summary: RunSummary) -> None:
        if self._store is None or self.run_id is None:
            return
        try:
            self._store.finish_run(self.run_id, summary)
        except HistoryError as exc:
            self._warn(f"The end of the run is not recorded in the history: {exc.describe()}")

    def close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()

    def _warn(self, text: str) -> None:
        # A store that fails on every batch says so once, not ten thousand times.
        if text != self._last_warning:
            self._last_warning = text
            self._emit(RunWarning(text))
