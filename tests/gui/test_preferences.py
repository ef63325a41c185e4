"""Preferences persist in QSettings and take effect: log size, bulk threshold, default
concurrency for new sites, and the theme (System / Light / Dark)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from isr_desk.domain import Outcome, Result, Target
from isr_desk.views.log_model import LogModel
from isr_desk.views.preferences import Preferences, PreferencesDialog, Theme, current_theme
from tests.gui.conftest import WindowFactory


def test_the_dialog_saves_preferences_that_a_new_settings_object_reads(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = str(tmp_path / "prefs.ini")
    settings = QSettings(path, QSettings.Format.IniFormat)
    assert Preferences.load(settings) == Preferences()
    dialog = PreferencesDialog(settings)
    qtbot.addWidget(dialog)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.log_spin.setValue(5000)
    dialog.concurrency_spin.setValue(3)
    dialog.threshold_spin.setValue(50)
    with qtbot.waitSignal(dialog.preferences_changed) as changed:
        dialog.accept()
    wanted = Preferences(theme="dark", log_limit=5000, default_concurrency=3, bulk_threshold=50)
    assert changed.args == [wanted]
    assert Preferences.load(QSettings(path, QSettings.Format.IniFormat)) == wanted
    # Nonsense in the file falls back to the defaults rather than breaking start-up.
    broken = QSettings(path, QSettings.Format.IniFormat)
    broken.setValue("preferences/log_limit", "lots")
    broken.setValue("preferences/theme", "purple")
    assert Preferences.load(broken) == Preferences(default_concurrency=3, bulk_threshold=50)


def test_the_window_applies_saved_and_changed_preferences(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    settings: QSettings,
) -> None:
    Preferences(log_limit=2000, default_concurrency=5, bulk_threshold=7).save(settings)
    window = make_window()
    assert window.controller.threshold == 7
    assert window.log.model.max_rows == 2000
    window.sites_bar.add_button.click()
    dialog = window.sites_bar.dialog
    assert dialog is not None
    assert dialog.concurrency_spin.value() == 5
    dialog.reject()

    window.open_preferences()
    prefs = window.preferences_dialog
    assert prefs is not None
    assert prefs.isVisible()
    prefs.threshold_spin.setValue(3)
    prefs.log_spin.setValue(1000)
    prefs.buttons.button(prefs.buttons.StandardButton.Ok).click()
    assert window.controller.threshold == 3
    assert window.log.model.max_rows == 1000
    assert Preferences.load(settings).bulk_threshold == 3


def test_the_live_log_drops_its_oldest_rows_beyond_the_limit(qtmodeltester: Any) -> None:
    model = LogModel(max_rows=5)
    model.add("S", [_result(i) for i in range(3)])
    model.flush()
    model.add("S", [_result(i) for i in range(3, 8)])
    model.flush()
    assert [model.index(r, 2).data() for r in range(model.rowCount())] == [
        f"/p/{i}" for i in range(3, 8)
    ]
    model.set_max_rows(2)
    assert [model.index(r, 2).data() for r in range(model.rowCount())] == ["/p/6", "/p/7"]
    qtmodeltester.check(model)


def test_theme_override_and_following_the_system(qapp: QApplication) -> None:
    palette, style = qapp.palette(), qapp.styleSheet()
    theme = Theme(qapp, base_style="QLabel#x { color: red; }")
    try:
        assert theme.apply("dark") == "dark"
        assert current_theme(qapp) == "dark"
        assert "QLabel#x" in qapp.styleSheet()
        assert "#f87171" in qapp.styleSheet()
        assert theme.apply("light") == "light"
        assert current_theme(qapp) == "light"
        # "system": whatever the platform says (the offscreen platform says nothing: light).
        assert theme.apply("system") == "light"
        window = qapp.palette().color(QPalette.ColorRole.Window)
        assert window.lightness() > 128
    finally:
        theme.setParent(None)
        theme.deleteLater()
        qapp.setPalette(palette)
        qapp.setStyleSheet(style)


def _result(i: int) -> Result:
    return Result(Target.path(f"/p/{i}"), True, Outcome.REFRESHED, 200, 1.0, 1)
