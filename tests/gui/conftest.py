"""Fixtures of the view tests: a qasync loop on pytest-qt's QApplication, the shared client,
and a main window wired to real services (profile file under the test's ISR_DESK_HOME).

The qasync loop is created "already running": pytest-qt's waits spin the Qt event loop,
which runs the asyncio callbacks, so coroutines started by views progress while a test
waits for a signal.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import qasync
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.sites import ProfileStore, SecretStore
from isr_desk.views.collector import GuiThreadCollector
from isr_desk.views.main_window import MainWindow
from tests.helpers.keyrings import MemoryKeyring


@pytest.fixture(autouse=True)
def _gc_on_the_gui_thread(qapp: Any) -> Iterator[None]:
    """As in the app: no automatic GC in the tests' server and worker threads."""
    collector = GuiThreadCollector(interval_ms=100)
    collector.start()
    yield
    collector.stop()


@pytest.fixture
def qloop(qapp: Any, qtbot: QtBot) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    qtbot.waitUntil(lambda: all(t.done() for t in tasks), timeout=5000)
    # Not loop.stop(): that calls QApplication.exit(), which makes every later Qt event
    # loop of the session return at once. Mark the loop stopped, then close it.
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    with contextlib.suppress(RuntimeError, TypeError):
        qapp.aboutToQuit.disconnect(loop._after_run_forever)
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def client(qloop: asyncio.AbstractEventLoop, qtbot: QtBot) -> Iterator[httpx.AsyncClient]:
    http = make_client()
    yield http
    closing = qloop.create_task(http.aclose())
    qtbot.waitUntil(closing.done, timeout=5000)


@pytest.fixture
def secrets(memory_keyring: MemoryKeyring) -> SecretStore:
    return SecretStore(memory_keyring)


@pytest.fixture
def store(secrets: SecretStore, isr_home: Path) -> ProfileStore:
    return ProfileStore(isr_home / "profiles.json", secrets=secrets)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(
    qtbot: QtBot,
    client: httpx.AsyncClient,
    store: ProfileStore,
    secrets: SecretStore,
    settings: QSettings,
) -> Iterator[WindowFactory]:
    windows: list[MainWindow] = []

    def make(*profiles: tuple[SiteProfile, str | None], **kwargs: Any) -> MainWindow:
        for profile, secret in profiles:
            store.add(profile)
            if secret:
                secrets.set(profile.name, secret)
        window = MainWindow(
            profiles=store,
            secrets=secrets,
            revalidator=Revalidator(client, sleep=_no_sleep),
            settings=settings,
            **kwargs,
        )
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


async def _no_sleep(_: float) -> None:
    """Retry back-off without waiting (the engine's sleep is injectable)."""
    await asyncio.sleep(0)
