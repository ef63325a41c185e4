"""Every interactive control of the main window and of every dialog has a name a screen
reader can say (what QAccessible reports: its own accessible name, its text, or the label
it is a buddy of), and the main journeys work from the keyboard alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QMenuBar,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from isr_desk.views.main_window import MainWindow
from isr_desk.views.preferences import PreferencesDialog
from isr_desk.views.secret_dialog import SecretDialog
from isr_desk.views.welcome import TourDialog
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import LoopbackSite

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QTabBar,
)
# Parts of a composite control: the composite carries the name.
CTRL = Qt.KeyboardModifier.ControlModifier
COMPOSITES = (QComboBox, QAbstractSpinBox, QTabBar, QScrollBar)


def _controls(root: QWidget) -> Iterator[QWidget]:
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or isinstance(widget, QScrollBar):
            continue
        parent = widget.parentWidget()
        inside = False
        while parent is not None and parent is not root:
            if isinstance(parent, (*COMPOSITES, QAbstractItemView, QLineEdit, QMenuBar)):
                inside = True
                break
            parent = parent.parentWidget()
        if not inside and widget.objectName() not in ("qt_tabwidget_tabbar",):
            yield widget


def spoken_name(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def _describe(widget: QWidget) -> str:
    hint = widget.toolTip() or getattr(widget, "placeholderText", lambda: "")()
    return f"{type(widget).__name__} {widget.objectName()!r} ({hint[:40]!r})"


def unnamed(root: QWidget) -> list[str]:
    return [_describe(w) for w in _controls(root) if not spoken_name(w)]


def _window(make_window: WindowFactory, site: LoopbackSite, **kwargs: object) -> MainWindow:
    return make_window((SiteProfile("Blog", site.url), site.secret), practice_site="Blog", **kwargs)


def test_every_control_of_the_main_window_has_a_name(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = _window(make_window, site)
    window.messages.warning("Not refreshed", action="retry-failed")
    assert list(_controls(window))  # the walk finds the controls
    missing = unnamed(window)
    assert not missing, "\n".join(missing)


def test_every_control_of_every_dialog_has_a_name(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    client: httpx.AsyncClient,
) -> None:
    window = _window(make_window, site, client=client)
    dialogs: list[QWidget] = []
    window.sites_bar.open_add_dialog()
    dialogs.append(window.sites_bar.dialog)  # type: ignore[arg-type]
    dialogs.append(PreferencesDialog(window.settings, window))
    dialogs.append(SecretDialog(site="Blog", secrets=window.secret_store, update=True))
    dialogs.append(TourDialog(window))
    window.open_doctor()
    doctor = window.doctor
    assert doctor is not None
    qtbot.waitUntil(lambda: bool(doctor.findings), timeout=10000)  # its check is done
    dialogs.append(doctor)
    window.targets.type_box.setPlainText("tag:posts")
    with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
        window.targets.refresh_button.click()
    dialogs.append(shown.args[0])
    problems = {type(d).__name__: unnamed(d) for d in dialogs if d is not None}
    assert len(problems) == 6
    assert all(not names for names in problems.values()), "\n".join(map(str, problems.items()))
    shown.args[0].reject()
    for dialog in dialogs:
        dialog.close()


def test_refresh_a_page_from_the_keyboard_alone(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = _window(make_window, site)
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.targets.filter_edit.hasFocus()
    window.targets.type_box.setFocus()
    qtbot.keyClicks(window.targets.type_box, "/blog/a")
    with qtbot.waitSignal(window.controller.run_finished, timeout=4000):
        qtbot.keyClick(
            window.targets.type_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
        )
    assert site.requests
    # A plain key: Qt keeps the last event's modifiers as the app's state (Ctrl held).
    qtbot.keyClick(window.targets.type_box, Qt.Key.Key_End)
    # Tab moves on from the typed box (it does not insert a tab character).
    assert window.targets.type_box.tabChangesFocus()
