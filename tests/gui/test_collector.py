"""Cyclic garbage (QObjects in reference cycles) is collected on the GUI thread only."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from PySide6.QtCore import QObject, QTimer
from pytestqt.qtbot import QtBot

from isr_desk.views.collector import GuiThreadCollector


class _Cyclic(QObject):
    """A QObject with a live timer, kept alive only by a reference cycle."""

    freed_in: ClassVar[list[int]] = []

    def __init__(self) -> None:
        super().__init__()
        self.me = self
        self.timer = QTimer(self)
        self.timer.start(60_000)

    def __del__(self) -> None:
        _Cyclic.freed_in.append(threading.get_ident())


def test_garbage_made_on_the_gui_thread_is_freed_there_not_in_a_worker(qtbot: QtBot) -> None:
    collector = GuiThreadCollector(interval_ms=20)
    gc.collect()
    _Cyclic.freed_in.clear()
    enabled_before = gc.isenabled()  # off already under tests/gui' own collector
    collector.start()
    try:
        assert not gc.isenabled()
        _Cyclic()

        def allocate() -> None:  # crosses gen0's threshold: automatic GC would run here
            junk = [[] for _ in range(20 * gc.get_threshold()[0])]
            del junk

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert _Cyclic.freed_in == []  # the worker's allocations collected nothing
        keep = [[] for _ in range(2 * gc.get_threshold()[0])]  # the GUI thread allocates
        qtbot.waitUntil(lambda: bool(_Cyclic.freed_in), timeout=5000)
        assert _Cyclic.freed_in == [threading.get_ident()]
        del keep
    finally:
        collector.stop()
    assert gc.isenabled() is enabled_before


def test_only_generations_over_their_threshold_are_collected(qtbot: QtBot) -> None:
    collector = GuiThreadCollector()
    gc.collect()
    assert collector.collect_due() == -1
    collector.start()
    try:
        keep = [[] for _ in range(gc.get_threshold()[0] + 10)]
        assert collector.collect_due() >= 0
        assert gc.get_count()[0] < gc.get_threshold()[0]
        del keep
    finally:
        collector.stop()
