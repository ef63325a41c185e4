"""A progress line on stderr for long runs: done/total, rate, time left, failures so far.

Drawn only on a terminal (``auto``), redrawn at most :data:`REDRAW_S` apart in place with
``\\r``, and cleared before anything else is printed so result lines and the summary stay
clean. Nothing goes to stdout: JSON lines and JUnit output are never mixed with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

REDRAW_S = 0.1


def format_eta(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


class Progress:
    """``update(done, failed)`` as results arrive; ``clear()`` before printing a line."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        enabled: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.enabled = enabled and total > 0
        self._stream = stream
        self._clock = clock
        self._t0 = clock()
        self._drawn_at: float | None = None
        self._width = 0
        self._counts = (0, 0)
        self.status = ""  # what the run is doing now, e.g. the CDN step's batch or wait
        self.last = ""

    def line(self, done: int, failed: int) -> str:
        elapsed = self._clock() - self._t0
        rate = done / elapsed if elapsed > 0 else 0.0
        text = f"{done:,}/{self.total:,}  {rate:,.1f}/s"
        if rate > 0 and done < self.total:
            text += f"  {format_eta((self.total - done) / rate)} left"
        if failed:
            text += f"  {failed:,} failed"
        if self.status:
            text += f"  {self.status}"
        return text

    def note(self, status: str) -> None:
        """Say what the run is doing now on the line (the CDN step's ``CdnProgress``)."""
        self.status = status
        self.update(*self._counts, force=True)

    def update(self, done: int, failed: int, *, force: bool = False) -> None:
        self._counts = (done, failed)
        if not self.enabled:
            return
        now = self._clock()
        if not force and self._drawn_at is not None and now - self._drawn_at < REDRAW_S:
            return
        self._drawn_at = now
        self.last = self.line(done, failed)
        padding = " " * max(0, self._width - len(self.last))
        self._stream.write(f"\r{self.last}{padding}")
        self._stream.flush()
        self._width = len(self.last)

    def clear(self) -> None:
        """Blank the line (before a result line, and at the end)."""
        if self.enabled and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0
            self._drawn_at = None
