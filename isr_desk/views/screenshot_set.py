"""``isr-desk gui --demo --screenshot-all DIR``: every journey at two sizes, light and dark.

The pictures of docs/user-guide.md come from here, so they stay current. Each journey puts
the window (on the built-in practice site) into one state and returns what to capture: the
window, with a dialog drawn over its middle when the journey shows one. Files are named
``<journey>-<width>x<height>-<theme>.png``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from isr_desk.domain import Target
from isr_desk.services.errors import IsrError
from isr_desk.views.cdn_settings import TOKEN_STORED
from isr_desk.views.cdn_token_dialog import CdnTokenDialog
from isr_desk.views.main_window import ACTIVITY, HISTORY, MainWindow
from isr_desk.views.profile_dialog import CDN_TAB
from isr_desk.views.screenshots import demo_targets, wait_for

SIZES = ((1024, 640), (1600, 1000))
THEMES = ("light", "dark")
Shot = tuple[QWidget, QWidget | None]  # the window, and a dialog over it (or None)
Journey = Callable[[MainWindow], Awaitable[Shot]]


async def _settle() -> None:
    for _ in range(3):  # a few paint cycles for layouts, rows and dialogs
        QApplication.processEvents()
        await asyncio.sleep(0.05)


async def _run(window: MainWindow, targets: list[Target], *, verify: bool) -> None:
    site = window.sites_bar.current()
    if site is None:
        return
    controller = window.controller
    controller.start(site, targets, verify=verify, tag_pages=window.targets.tag_pages)
    while controller.running:
        await wait_for(controller.busy_changed, seconds=60)
    window.log.model.flush()


def _select_log_row(window: MainWindow, *, failed: bool) -> None:
    model = window.log.shown_model
    rows = [r for r in range(model.rowCount()) if model.row(r).result.ok != failed]
    if rows:
        window.log.table.selectRow(rows[-1])


async def first_start(window: MainWindow) -> Shot:
    window.log.details_button.setChecked(False)
    window.guide.show_tour()
    return window, window.guide.tour


async def refresh_page(window: MainWindow) -> Shot:
    if window.guide.tour is not None:
        window.guide.tour.reject()
    window.tabs.setCurrentIndex(ACTIVITY)
    window.targets.type_box.setPlainText("/about")
    await _run(window, [Target.path("/about")], verify=True)
    window.log.details_button.setChecked(True)
    _select_log_row(window, failed=False)
    return window, None


async def wrong_secret(window: MainWindow) -> Shot:
    site = window.sites_bar.current()
    secrets = window.secret_store
    if site is None:
        return window, None
    kept = secrets.get(site.name)
    secrets.set(site.name, "not-the-practice-secret")
    try:
        await _run(window, [Target.path("/pricing")], verify=False)
    finally:
        if kept:
            secrets.set(site.name, kept)
    _select_log_row(window, failed=True)
    return window, None


async def refresh_tag(window: MainWindow) -> Shot:
    targets = window.targets
    targets.type_box.clear()
    targets.tabs.setCurrentWidget(targets.tags_tab)
    targets.tags_tab.table.selectRow(2)
    await _settle()
    targets.revalidate_button.click()
    return window, window.controller.confirmation


async def bulk_confirm(window: MainWindow) -> Shot:
    _close_confirmation(window)
    targets = window.targets
    targets.tabs.setCurrentWidget(targets.paths_tab)
    targets.paths_tab.table.selectAll()
    await _settle()
    targets.revalidate_button.click()
    return window, window.controller.confirmation


async def bulk_done(window: MainWindow) -> Shot:
    _close_confirmation(window)
    manifest = window.targets.manifest
    if manifest is not None:
        await _run(window, demo_targets(manifest), verify=True)
    _select_log_row(window, failed=True)
    return window, None


async def cdn_run(window: MainWindow) -> Shot:
    """A run that refreshes at the origin, then purges the practice site's (fake) CDN: its
    rows in the Step column, one of them in Details."""
    _close_confirmation(window)
    window.tabs.setCurrentIndex(ACTIVITY)
    window.targets.paths_tab.table.clearSelection()  # the bulk journey selected every page
    window.log.clear_button.click()  # this run's rows only: origin first, then the CDN's
    window.log.cdn_box.setChecked(True)
    targets = [Target.path("/about"), Target.path("/pricing"), Target.tag("marketing")]
    window.targets.type_box.setPlainText("\n".join(str(t) for t in targets))
    await _run(window, targets, verify=False)
    window.log.cdn_box.setChecked(False)
    window.log.details_button.setChecked(True)
    _select_log_row(window, failed=False)
    return window, None


async def pattern_select(window: MainWindow) -> Shot:
    """Tags chosen by a pattern: what matches and the pages its tags touch, before sending."""
    window.banner.clear()  # the last run's outcome is not what this picture is about
    targets = window.targets
    targets.tabs.setCurrentWidget(targets.tags_tab)
    targets.filter_edit.setText("catalog:*")
    await _settle()
    targets.tags_tab.table.selectAll()
    return window, None


async def what_changed(window: MainWindow) -> Shot:
    """The demo's previous build against this one: renamed tags, pages added, removed, changed."""
    targets = window.targets
    targets.tags_tab.table.clearSelection()
    targets.filter_edit.clear()
    targets.tabs.setCurrentWidget(targets.paths_tab)
    targets.show_changes()
    return window, targets.changes_dialog


async def history(window: MainWindow) -> Shot:
    window.tabs.setCurrentIndex(HISTORY)
    if await wait_for(window.history.runs_loaded, seconds=10):
        window.history.table.selectRow(0)
    return window, None


async def add_site(window: MainWindow) -> Shot:
    window.tabs.setCurrentIndex(ACTIVITY)
    window.sites_bar.open_add_dialog()
    return window, window.sites_bar.dialog


async def site_cdn(window: MainWindow) -> Shot:
    """The site dialog's CDN tab on the practice site: Cloudflare, its zone, the token
    stored, Replace… and Remove."""
    add = window.sites_bar.dialog
    if add is not None:
        add.close()
    window.sites_bar.open_edit_dialog()
    dialog = window.sites_bar.dialog
    if dialog is None:
        return window, None
    dialog.tabs.setCurrentIndex(CDN_TAB)
    for _ in range(50):  # the token's state is read from the keyring in a worker thread
        if dialog.cdn.token_status.text() == TOKEN_STORED:
            break
        await asyncio.sleep(0.05)
    return window, dialog


async def cdn_token(window: MainWindow) -> Shot:
    """The token dialog of "Set token…": where to create the token, which permission."""
    site = window.sites_bar.current()
    if site is None:
        return window, None
    dialog = CdnTokenDialog(site=site.name, cdn=site.cdn, replacing=False, parent=window,
                            tokens=window.secret_store.cdn_tokens())  # fmt: skip
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return window, dialog


def _close_confirmation(window: MainWindow) -> None:
    if window.controller.confirmation is not None:
        window.controller.confirmation.reject()


JOURNEYS: tuple[tuple[str, Journey], ...] = (
    ("first-start", first_start),
    ("refresh-page", refresh_page),
    ("wrong-secret", wrong_secret),
    ("refresh-tag", refresh_tag),
    ("bulk-confirm", bulk_confirm),
    ("bulk-done", bulk_done),
    ("cdn-run", cdn_run),
    ("pattern-select", pattern_select),
    ("what-changed", what_changed),
    ("history", history),
    ("add-site", add_site),
    ("site-cdn", site_cdn),
    ("cdn-token", cdn_token),
)


def small(image: QImage) -> QImage:
    """The picture in 256 colours (its own most frequent ones): a third of the bytes.

    A window is a few flat colours plus anti-aliased text, so the frequent colours keep
    every surface exact and text barely changes (docs/images stay under 150 KB each).
    """
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    counts = Counter(memoryview(rgb.constBits()).cast("I"))
    table = [colour | 0xFF000000 for colour, _ in counts.most_common(256)]
    flags = Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither
    return rgb.convertToFormat(QImage.Format.Format_Indexed8, table, flags)


def compose(window: QWidget, dialog: QWidget | None) -> QPixmap:
    """The window's picture with ``dialog`` drawn over its middle, as a user sees them."""
    picture = window.grab()
    if dialog is None or not dialog.isVisible():
        return picture
    over = dialog.grab()
    corner = QPoint(
        max(0, (picture.width() - over.width()) // 2),
        max(0, (picture.height() - over.height()) // 3),
    )
    painter = QPainter(picture)
    painter.drawPixmap(corner, over)
    painter.setPen(QPen(QColor("#6b7280"), 2))  # the frame a window manager would draw
    painter.drawRect(corner.x(), corner.y(), over.width() - 1, over.height() - 1)
    painter.end()
    return picture


async def take_all(window: MainWindow, folder: Path) -> int:
    """Every journey at every size in both themes, saved in ``folder``."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    site = window.sites_bar.current()
    if site is not None and site.manifest_source and window.targets.since_last is None:
        # "What changed" is worked out after the list shows (it needs the list's snapshot).
        await wait_for(window.targets.changes_shown, window.targets.manifest_failed, seconds=15)
    for theme in THEMES:
        window.apply_theme(theme)
        for width, height in SIZES:
            window.resize(width, height)
            for name, journey in JOURNEYS:
                widget, dialog = await journey(window)
                await _settle()
                path = folder / f"{name}-{width}x{height}-{theme}.png"
                if not small(compose(widget, dialog).toImage()).save(str(path)):
                    raise IsrError(f"Could not write {path}", hint="Check the folder exists")
                if dialog is not None:
                    dialog.close()
            _close_confirmation(window)
    return 0
