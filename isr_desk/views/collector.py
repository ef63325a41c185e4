"""Python's cyclic garbage collection, on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed: a
manifest parse in ``asyncio.to_thread``, the keyring, the demo site's server threads. When
such a collection frees a QObject caught in a reference cycle (a closed dialog, a panel's
timer), Qt destroys it off the GUI thread ("QObject::~QObject: Timers cannot be stopped
from another thread") and may crash. So automatic collection is switched off and a timer on
the GUI thread collects the generations whose thresholds were crossed, as qutebrowser does.
Reference counting, which frees almost everything, is not affected.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Runs ``gc.collect`` from a GUI-thread timer while started; automatic GC is off."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()  # what is left, still on this thread
        if self._was_enabled:
            gc.enable()

    def collect_due(self) -> int:
        """Collect the oldest generation over its threshold; return it, or -1 for none."""
        due = -1
        for generation, (count, threshold) in enumerate(
            zip(gc.get_count(), self._thresholds, strict=False)
        ):
            if threshold and count > threshold:
                due = generation
        if due >= 0:
            gc.collect(due)
        return due
