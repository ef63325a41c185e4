"""``isr-desk gui --screenshot FILE [--screenshot-panel P]``: render the app and save a PNG.

With ``--demo`` a demo run (with "Verify pages after refresh") fills the log first. The
panel picks what is captured: the whole window on its Activity tab (``main``), the window
with a failed row's details shown (``details``), on its Response times or History tab
(``chart``, ``history``), or a dialog on its own (``preferences``, ``doctor``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QWidget

from isr_desk.domain import Manifest, Target
from isr_desk.services.errors import IsrError
from isr_desk.views.main_window import ACTIVITY, HISTORY, LATENCY, MainWindow

DEMO_RUN_SIZE = 30
PANELS = ("main", "details", "chart", "history", "preferences", "doctor")


async def wait_for(*signals: SignalInstance, seconds: float) -> tuple[Any, ...] | None:
    """The arguments of the first of ``signals`` to fire, or None after ``seconds``."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def fire(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    for signal in signals:
        signal.connect(fire)
    try:
        return await asyncio.wait_for(future, seconds)
    except TimeoutError:
        return None
    finally:
        for signal in signals:
            signal.disconnect(fire)


def demo_targets(manifest: Manifest, count: int = DEMO_RUN_SIZE) -> list[Target]:
    """A demo run that shows every kind of result: fast and slow pages and two failures."""
    paths = [p.path for p in manifest.paths]
    picked = [p for p in paths if p.startswith(("/blog/", "/docs/", "/about", "/pricing"))]
    picked = picked[: count - 4]
    picked += [p for p in paths if p.startswith("/products/")][:2]
    picked += [*[p for p in paths if p.startswith("/broken/")][:1], "/archive/2019"]
    return [Target.path(p) for p in dict.fromkeys(picked) if p in set(paths)][:count]


async def _demo_run(window: MainWindow) -> None:
    site = window.sites_bar.current()
    if site is not None and site.manifest_source and window.targets.manifest is None:
        await wait_for(window.targets.manifest_loaded, window.targets.manifest_failed, seconds=15)
    manifest = window.targets.manifest
    if site is None or manifest is None:
        return
    controller = window.controller
    controller.start(site, demo_targets(manifest), verify=True, tag_pages=window.targets.tag_pages)
    await wait_for(controller.busy_changed, seconds=90)  # busy: True is already sent
    if controller.running:
        await wait_for(controller.busy_changed, seconds=90)
    window.targets.paths_tab.table.selectRow(0)
    window.log.model.flush()


def _select_log_row(window: MainWindow, *, failed: bool) -> None:
    model = window.log.shown_model
    rows = [r for r in range(model.rowCount()) if model.row(r).result.ok != failed]
    if rows:
        window.log.table.selectRow(rows[0])
        window.log.table.scrollTo(model.index(rows[0], 0))


async def _capture(window: MainWindow, panel: str) -> QWidget:
    if panel in ("main", "details"):
        window.tabs.setCurrentIndex(ACTIVITY)
        _select_log_row(window, failed=panel == "details")
    elif panel == "chart":
        window.tabs.setCurrentIndex(LATENCY)
    elif panel == "history":
        window.tabs.setCurrentIndex(HISTORY)  # refreshes the list
        if await wait_for(window.history.runs_loaded, seconds=10):
            window.history.table.selectRow(0)
    elif panel == "preferences":
        window.open_preferences()
        assert window.preferences_dialog is not None
        return window.preferences_dialog
    elif panel == "doctor":
        window.open_doctor()
        if window.doctor is not None:
            await wait_for(window.doctor.checked, seconds=30)
            return window.doctor
    return window


async def take_screenshot(
    window: MainWindow, path: Path, *, demo_run: bool, panel: str = "main"
) -> int:
    """Wait for the manifest (and the demo run), show ``panel``, then save it as a PNG."""
    if panel not in PANELS:
        raise IsrError(f"Unknown panel {panel!r}", hint=f"Use one of: {', '.join(PANELS)}")
    if demo_run:
        await _demo_run(window)
    else:
        site = window.sites_bar.current()
        if site is not None and site.manifest_source and window.targets.manifest is None:
            await wait_for(
                window.targets.manifest_loaded, window.targets.manifest_failed, seconds=15
            )
    target = await _capture(window, panel)
    await asyncio.sleep(0.3)  # a few paint cycles for rows, the chart and dialogs
    if not target.grab().save(str(path), "PNG"):
        raise IsrError(f"Could not write the screenshot {path}", hint="Check the folder exists")
    return 0
