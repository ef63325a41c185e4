"""Composition root of the desktop app: builds the services, the Qt application, the qasync
loop and the main window, and tears them down in order on quit.

``--demo`` (and a first start with no site configured) runs the built-in demo site in the
app; its secret lives only in memory (:class:`SessionSecrets`), never in the real keyring.
Unexpected exceptions go to one handler that logs them to ``crash.log`` and shows a dialog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import traceback
from dataclasses import replace
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from isr_desk.domain import SiteProfile
from isr_desk.services import logsafe, paths
from isr_desk.services.demo import DemoSite, seed_previous_build
from isr_desk.services.errors import HistoryError, IsrError, ProfileError, ProfileExistsError
from isr_desk.services.history import HistoryStore
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.sites import ProfileStore, SecretStore, validate_profile
from isr_desk.views.collector import GuiThreadCollector
from isr_desk.views.main_window import MainWindow
from isr_desk.views.preferences import Theme
from isr_desk.views.screenshot_set import take_all
from isr_desk.views.screenshots import take_screenshot
from isr_desk.views.screenshots import wait_for as wait_for  # re-exported for bench/

if TYPE_CHECKING:  # keyring itself is imported when a secret is touched (services/sites)
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)


# --- the demo site's overlay on the stores -------------------------------------------------


class SessionSecrets(SecretStore):
    """A secret store whose ``memory_names`` live in memory only (the demo site's secret)."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        super().__init__(backend)
        self._memory: dict[str, str | None] = {}

    def keep_in_memory(self, name: str, secret: str | None) -> None:
        self._memory[name] = secret

    def forget_memory(self, name: str) -> str | None:
        return self._memory.pop(name, None)

    def get(self, name: str) -> str | None:
        return self._memory[name] if name in self._memory else super().get(name)

    def set(self, name: str, secret: str) -> None:
        if name not in self._memory:
            super().set(name, secret)
        elif secret.strip():
            self._memory[name] = secret.strip()

    def delete(self, name: str) -> bool:
        if name in self._memory:
            had, self._memory[name] = self._memory[name] is not None, None
            return had
        return super().delete(name)


class SessionProfiles:
    """The profile store plus profiles that live only in this session (the demo site)."""

    def __init__(
        self, store: ProfileStore, secrets: SessionSecrets, transient: tuple[SiteProfile, ...] = ()
    ) -> None:
        self.store = store
        self._secrets = secrets
        self._transient = {p.name: p for p in transient}

    def list(self) -> list[SiteProfile]:
        return [*self._transient.values(), *self.store.list()]

    def add(self, profile: SiteProfile) -> SiteProfile:
        if profile.name.strip() in self._transient:
            raise ProfileExistsError(f"A site named {profile.name!r} already exists")
        return self.store.add(profile)

    def update(self, old_name: str, profile: SiteProfile) -> SiteProfile:
        if old_name not in self._transient:
            return self.store.update(old_name, profile)
        profile = validate_profile(profile)
        if profile.name != old_name and profile.name in {p.name for p in self.list()}:
            raise ProfileExistsError(f"A site named {profile.name!r} already exists")
        del self._transient[old_name]
        self._transient[profile.name] = profile
        self._secrets.keep_in_memory(profile.name, self._secrets.forget_memory(old_name))
        return profile

    def remove(self, name: str) -> None:
        if name in self._transient:
            del self._transient[name]
            self._secrets.forget_memory(name)
            return
        self.store.remove(name)

    def duplicate(self, name: str) -> SiteProfile:
        source = self._transient.get(name)
        if source is None:
            return self.store.duplicate(name)
        taken = {p.name for p in self.list()}
        candidate, number = f"{name} copy", 2
        while candidate in taken:
            candidate, number = f"{name} copy {number}", number + 1
        return self.store.add(replace(source, name=candidate))  # the secret stays in memory


def start_demo(secrets: SessionSecrets, taken: set[str]) -> tuple[DemoSite, SiteProfile]:
    site = DemoSite().start()
    profile = site.profile()
    if profile.name in taken:
        profile = replace(profile, name="Demo (built-in)")
    secrets.keep_in_memory(profile.name, site.secret)
    logsafe.remember(site.secret)
    with contextlib.suppress(OSError):  # "What changed" then has the build before to show
        seed_previous_build(profile.name)
    return site, profile


# --- crashes -------------------------------------------------------------------------------


class CrashReporter:
    """``sys.excepthook`` and the loop's exception handler: log to crash.log, show a dialog."""

    def __init__(self) -> None:
        self.window: MainWindow | None = None
        self.dialog: QMessageBox | None = None

    def __call__(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        if isinstance(exc, IsrError):
            self._show(exc.message, exc.hint or "")
            return
        where = self._log(kind, exc, tb)
        self._show(
            "Something went wrong inside ISR Desk.",
            f"You can keep working. The details were saved to {where} — "
            "send that file to your developer if it happens again.",
        )

    def loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self(type(exc), exc, exc.__traceback__)
        else:
            log.warning("asyncio: %s", context.get("message"))

    def _log(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
        try:
            text = "".join(traceback.format_exception(kind, exc, tb))
        except Exception:  # noqa: BLE001 - an exception whose str() fails
            text = f"{kind.__name__} (its traceback could not be formatted)\n"
        return logsafe.append_crash(text, paths.log_dir)

    def _show(self, text: str, details: str) -> None:
        try:
            box = QMessageBox(self.window)
            box.setIcon(QMessageBox.Icon.Critical)
            box.setWindowTitle("ISR Desk")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setText(text)
            box.setInformativeText(details)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.dialog = box
            box.open()
        except Exception:  # noqa: BLE001 - the reporter of last resort must not raise
            with contextlib.suppress(Exception):
                print(f"isr-desk: {text} {details}", file=sys.stderr)  # noqa: T201


# --- start-up ------------------------------------------------------------------------------


def _resource(name: str) -> Path:
    return Path(str(resources.files("isr_desk") / "resources" / name))


def _make_application() -> tuple[QApplication, Theme]:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "isr-desk"])
    app.setOrganizationName("isr-desk")
    app.setApplicationName("isr-desk")
    app.setApplicationDisplayName("ISR Desk")
    app.setDesktopFileName("isr-desk")
    app.setQuitOnLastWindowClosed(False)  # the session coroutine ends the loop, in order
    app.setWindowIcon(QIcon(str(_resource("isr-desk.svg"))))
    try:
        style = _resource("style.qss").read_text(encoding="utf-8")
    except OSError:
        log.warning("style sheet not found; using the platform style")
        style = ""
    app.setStyleSheet(style)
    return app, Theme(app, base_style=style)


def _open_history() -> tuple[HistoryStore | None, str | None]:
    try:
        history = HistoryStore()
        history.mark_interrupted()
    except HistoryError as exc:
        return None, f"Run history is off: {exc.describe()}"
    return history, None


def own_the_gc(window: MainWindow, collector: GuiThreadCollector) -> None:
    """The app's one decision point about the cyclic GC (docs/architecture.md).

    ``collector`` already runs collections on the GUI thread only; here a big manifest is
    frozen out of them once the targets panel has it (on the GUI thread, after the load).
    """
    window.targets.manifest_loaded.connect(collector.keep_out)


# Python hands the GIL over every 5 ms by default. A run's engine lives on a worker thread
# (services/runs) doing many short I/O steps; the GUI thread waits up to a whole interval for
# the GIL each time it wakes. 10,000-target run in the window, quiet machine, back to back:
# lag p99 35-53 ms at 5 ms, 32-44 ms at 1 ms, the run as fast either way (docs/performance.md,
# "The window's run").
GIL_SWITCH_INTERVAL = 0.001


def own_the_threads() -> None:
    """The app's decision about thread switching (see GIL_SWITCH_INTERVAL)."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)


def run_app(
    *,
    demo: bool = False,
    screenshot: Path | None = None,
    panel: str = "main",
    screenshot_all: Path | None = None,
) -> int:
    """Run the desktop app until its window closes (or the screenshot is saved)."""
    app, theme = _make_application()
    collector = GuiThreadCollector(app)
    collector.start()
    own_the_threads()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    reporter = CrashReporter()
    sys.excepthook = reporter
    logsafe.enable_faulthandler(paths.log_dir)
    loop.set_exception_handler(reporter.loop_handler)
    secrets = SessionSecrets()
    store = ProfileStore(secrets=secrets)
    notices: list[str] = []
    try:
        existing = store.list()
    except ProfileError as exc:
        existing, notices = [], [exc.describe()]
    demo_site: DemoSite | None = None
    transient: tuple[SiteProfile, ...] = ()
    if demo or not existing:
        demo_site, profile = start_demo(secrets, {p.name for p in existing})
        transient = (profile,)
    history, problem = _open_history()
    notices += [problem] if problem else []
    client = make_client()
    try:
        window = MainWindow(
            profiles=SessionProfiles(store, secrets, transient),
            secrets=secrets,
            revalidator=Revalidator(client),
            history=history,
            client=client,
            theme=theme,
            initial_site=transient[0].name if demo else None,
            practice_site=transient[0].name if transient else None,
        )
        reporter.window = window
        own_the_gc(window, collector)
        window.show()
        capturing = screenshot is not None or screenshot_all is not None
        if transient and not capturing and not window.guide.tour_seen:
            window.guide.show_tour()  # first start: the three journeys, dismissible
        for notice in notices:
            window.messages.error(notice)
        with loop:
            session = _session(window, client, screenshot, demo, panel, screenshot_all)
            return int(loop.run_until_complete(session))
    finally:
        if demo_site is not None:
            demo_site.stop()
        if history is not None:
            history.close()
        collector.stop()
        sys.excepthook = sys.__excepthook__


async def _session(
    window: MainWindow,
    client: httpx.AsyncClient,
    screenshot: Path | None,
    demo: bool,
    panel: str,
    screenshot_all: Path | None = None,
) -> int:
    try:
        if screenshot_all is not None:
            return await take_all(window, screenshot_all)
        if screenshot is not None:
            return await take_screenshot(window, screenshot, demo_run=demo, panel=panel)
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        await closed.wait()
        # Let cancelled runs and loads finish their clean-up before the loop stops.
        others = asyncio.all_tasks() - {asyncio.current_task()}
        if others:
            await asyncio.wait(others, timeout=3)
        return 0
    finally:
        await client.aclose()
