"""Cyclic garbage (QObjects in reference cycles) is collected on the GUI thread only."""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import ClassVar

from PySide6.QtCore import QObject, QTimer
from pytestqt.qtbot import QtBot

from isr_desk.app import own_the_gc
from isr_desk.domain import Manifest, ManifestPath, SiteProfile
from isr_desk.views.collector import FREEZE_ITEMS, GuiThreadCollector
from tests.gui.conftest import WindowFactory


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


def _manifest(paths: int) -> Manifest:
    return Manifest(
        source="test", kind="list", paths=tuple(ManifestPath(f"/p/{i}") for i in range(paths))
    )


def test_a_big_manifest_is_frozen_out_of_collections_and_a_small_one_is_not() -> None:
    collector = GuiThreadCollector()
    gc.unfreeze()
    try:
        assert collector.keep_out(_manifest(3)) is False
        assert gc.get_freeze_count() == 0
        big = _manifest(FREEZE_ITEMS)
        assert collector.keep_out(big) is True
        assert gc.get_freeze_count() >= FREEZE_ITEMS  # its ManifestPath objects at least
    finally:
        gc.unfreeze()


def test_the_app_freezes_a_big_manifest_once_the_targets_panel_has_it(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory
) -> None:
    big = _manifest(FREEZE_ITEMS)
    profile = SiteProfile("Big", "http://127.0.0.1:9", manifest_source="big.txt")
    window = make_window((profile, None), loader=lambda source, **_: big)
    collector = GuiThreadCollector()
    own_the_gc(window, collector)
    gc.unfreeze()
    try:
        with qtbot.waitSignal(window.targets.manifest_loaded, timeout=5000):
            window.targets.reload()
        assert window.targets.manifest is big
        assert gc.get_freeze_count() >= FREEZE_ITEMS
    finally:
        gc.unfreeze()
