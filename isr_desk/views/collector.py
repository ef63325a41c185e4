"""Python's cyclic garbage collection, on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed: a
manifest parse in ``asyncio.to_thread``, the keyring, the demo site's server threads. When
such a collection frees a QObject caught in a reference cycle (a closed dialog, a panel's
timer), Qt destroys it off the GUI thread ("QObject::~QObject: Timers cannot be stopped
from another thread") and may crash. So automatic collection is switched off and a timer on
the GUI thread collects the generations whose thresholds were crossed, as qutebrowser does.
Reference counting, which frees almost everything, is not affected.

The app (``isr_desk/app.py``) owns the one collector and makes every decision about the
cyclic GC; services never touch it (docs/architecture.md, "GC on the GUI thread").
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from isr_desk.domain import Manifest

INTERVAL_MS = 500
FREEZE_ITEMS = 20_000  # paths + tags from which a manifest's objects are kept out of the GC


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

    def keep_out(self, manifest: Manifest) -> bool:
        """Slot for a manifest the GUI now shows: see :func:`keep_out_of_collections`."""
        return keep_out_of_collections(manifest)


def keep_out_of_collections(manifest: Manifest) -> bool:
    """Keep a big manifest's objects out of every later collection (``gc.freeze``).

    A 100k-route manifest and its table rows are ~320k objects that live as long as it is
    shown: every full collection would scan them again (~90 ms, a GUI stall in the middle
    of a run; 0.05 ms frozen). Frozen objects are still freed by reference counting (a
    manifest holds no cycles) when the next one replaces it. Called on the GUI thread once
    the manifest is in the models; returns whether it froze.
    """
    if len(manifest.paths) + len(manifest.tags) < FREEZE_ITEMS:
        return False
    gc.freeze()
    return True
