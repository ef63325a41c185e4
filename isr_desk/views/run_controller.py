"""The run controller: owns the asyncio task of a revalidation run.

It asks for confirmation before a bulk run or any tag purge (a window-modal message box
opened with ``open()`` — never ``exec()`` inside a coroutine), fetches the secret from the
keyring in a worker thread, starts the run on the shared revalidator, forwards results as
they arrive, reports progress every 100 ms, records the run in the history, and keeps the
failed targets for "Retry failed". With "Verify pages after refresh" (and a client to fetch
pages with) it snapshots the run's pages before sending and gives verdicts after the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from isr_desk.domain import Result, RunSummary, SiteProfile, Target, TargetKind
from isr_desk.services.errors import HistoryError, IsrError
from isr_desk.services.history import HistoryStore
from isr_desk.services.revalidation import Revalidator, Run
from isr_desk.services.sites import SecretStore
from isr_desk.views.messages import MessageBridge
from isr_desk.views.plain import plain
from isr_desk.views.run_texts import Progress as Progress
from isr_desk.views.run_texts import TagPages, confirmation_text
from isr_desk.views.run_texts import plural as plural
from isr_desk.views.run_verify import RunCheck
from isr_desk.views.tasks import TaskSet

log = logging.getLogger(__name__)
DEFAULT_THRESHOLD = 20


class RunController(QObject):
    """Starts, follows, cancels and retries runs; one run at a time."""

    run_started = Signal(str, int)  # site name, total
    results_received = Signal(str, list)  # site name, [Result]
    progress_changed = Signal(object)  # Progress
    run_finished = Signal(object)  # RunSummary
    busy_changed = Signal(bool)
    confirmation_shown = Signal(object)  # the QMessageBox (tests click it)
    verify_started = Signal(int)  # pages to check
    verified = Signal(list, list)  # [Result] of the run, [Verification]

    def __init__(
        self,
        *,
        revalidator: Revalidator,
        secrets: SecretStore,
        messages: MessageBridge,
        history: HistoryStore | None = None,
        client: httpx.AsyncClient | None = None,
        dialog_parent: QWidget | None = None,
        threshold: int = DEFAULT_THRESHOLD,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.threshold = threshold
        self.verify_enabled = True  # "Verify pages after refresh" (needs ``client``)
        self._client = client
        self._revalidator = revalidator
        self._secrets = secrets
        self._messages = messages
        self._history = history
        self._dialog_parent = dialog_parent
        self._tasks = TaskSet()
        self._task: asyncio.Task[Any] | None = None
        self._run: Run | None = None
        self._t0 = 0.0
        self._failed: list[Target] = []
        self._last_profile: SiteProfile | None = None
        self.confirmation: QMessageBox | None = None
        self._ticker = QTimer(self)
        self._ticker.setInterval(100)
        self._ticker.timeout.connect(self._emit_progress)

    # --- state --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def failed_targets(self) -> list[Target]:
        return list(self._failed)

    # --- intents ------------------------------------------------------------------------
    def request_run(
        self,
        profile: SiteProfile,
        targets: Sequence[Target],
        *,
        tag_pages: TagPages | None = None,
    ) -> None:
        """Start a run, after a confirmation for a bulk run or a tag purge."""
        if self.running:
            self._messages.warning("A run is in progress: wait for it or cancel it (Esc)")
            return
        unique = list(dict.fromkeys(targets))
        if not unique:
            self._messages.warning("Nothing to revalidate: pick pages or tags, or type a path")
            return
        if len(unique) > self.threshold or any(t.kind is TargetKind.TAG for t in unique):
            self._confirm(profile, unique, tag_pages)
        else:
            self.start(profile, unique, verify=self.verify_enabled, tag_pages=tag_pages)

    def start(
        self,
        profile: SiteProfile,
        targets: Sequence[Target],
        *,
        verify: bool = False,
        tag_pages: TagPages | None = None,
    ) -> None:
        """Start a run now, without asking."""
        if self.running:
            return
        self._last_profile = profile
        check = None
        if verify and self._client is not None:
            check = RunCheck(self._client, profile, targets, tag_pages=tag_pages)
        self._task = self._tasks.spawn(self._execute(profile, list(targets), check))

    def cancel(self) -> None:
        if self.confirmation is not None and self.confirmation.isVisible():
            self.confirmation.reject()
            return
        if self._run is not None:
            self._run.cancel()
        elif self._task is not None and not self._task.done():
            self._task.cancel()

    def retry_failed(self) -> None:
        if self._last_profile is None or not self._failed:
            self._messages.info("No failed targets to retry")
            return
        self.request_run(self._last_profile, self._failed)

    def shutdown(self) -> None:
        """Cancel everything (the window is closing)."""
        self.cancel()
        self._tasks.cancel_all()

    # --- confirmation -------------------------------------------------------------------
    def _confirm(
        self, profile: SiteProfile, targets: list[Target], tag_pages: TagPages | None
    ) -> None:
        question, details = confirmation_text(profile, targets, tag_pages)
        box = QMessageBox(self._dialog_parent)
        plain(box)  # names the site and the first targets
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Confirm revalidation")
        box.setText(question)
        box.setInformativeText(details)
        go = box.addButton(question.split(" on ")[0], QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(go)
        verify = QCheckBox("Verify the pages afterwards (each is fetched before and after)")
        # On by default for small runs only: verifying 10,000 pages triples the requests.
        verify.setChecked(self.verify_enabled and len(targets) <= self.threshold)
        if self._client is not None:
            box.setCheckBox(verify)

        def on_finished(_: int) -> None:
            self.confirmation = None
            box.deleteLater()
            if box.clickedButton() is go:
                self.start(profile, targets, verify=verify.isChecked(), tag_pages=tag_pages)
            else:
                self._messages.info("Nothing was sent")

        box.finished.connect(on_finished)
        self.confirmation = box
        box.open()
        self.confirmation_shown.emit(box)

    # --- the run ------------------------------------------------------------------------
    async def _execute(
        self, profile: SiteProfile, targets: list[Target], check: RunCheck | None
    ) -> None:
        self.busy_changed.emit(True)
        busy = True
        try:
            summary = await self._send(profile, targets, check)
            if summary is None:
                return
            if check is None or summary.cancelled:
                busy = False
                self.busy_changed.emit(False)
                self.run_finished.emit(summary)
                return
            self.run_finished.emit(summary)  # still busy: the pages are checked next
            await self._verify(check)
        finally:
            if busy:
                self.busy_changed.emit(False)

    async def _send(
        self, profile: SiteProfile, targets: list[Target], check: RunCheck | None
    ) -> RunSummary | None:
        self._failed = []
        try:
            secret = await asyncio.to_thread(self._secrets.require, profile.name)
            if check is not None and check.pages:
                self.verify_started.emit(check.pages)
                await check.before()
            self._run = run = self._revalidator.start(profile, secret, targets)
            summary = await self._follow(profile, run, targets)
            if check is not None:
                check.results = list(run.results)
            return summary
        except asyncio.CancelledError:
            self._messages.info("Cancelled before anything was sent")
        except IsrError as exc:
            self._messages.error(exc)
        finally:
            self._ticker.stop()
            if self._run is not None:
                await self._run.aclose()
            self._run = None
        return None

    async def _verify(self, check: RunCheck) -> None:
        self.verify_started.emit(check.pages)
        try:
            verifications = await check.after()
        except asyncio.CancelledError:
            self._messages.info("Verification cancelled: the refresh itself is done")
            return
        self.verified.emit(check.results, verifications)

    async def _follow(self, profile: SiteProfile, run: Run, targets: list[Target]) -> RunSummary:
        self._t0 = time.perf_counter()
        self.run_started.emit(profile.name, run.total)
        run_id = await self._history_call(self._start_history, profile.name, run.total, targets)
        self._ticker.start()
        batch: list[Result] = []
        last = time.perf_counter()
        async for result in run:
            batch.append(result)
            now = time.perf_counter()
            if now - last >= 0.05 or run.done == run.total:
                self._deliver(profile.name, run_id, batch)
                batch, last = [], now
        self._deliver(profile.name, run_id, batch)
        summary = run.summary()
        self._failed = list(dict.fromkeys(r.target for r in run.results if not r.ok))
        self._emit_progress()
        if run_id is not None and self._history is not None:
            await self._history_call(self._history.finish_run, run_id, summary)
        return summary

    def _deliver(self, site: str, run_id: int | None, batch: list[Result]) -> None:
        if not batch:
            return
        self.results_received.emit(site, batch)
        if run_id is not None and self._history is not None:
            self._tasks.spawn(self._history_call(self._history.add_results, run_id, batch))

    def _start_history(self, name: str, total: int, targets: list[Target]) -> int | None:
        if self._history is None:
            return None
        return self._history.start_run(name, total=total, targets=targets)

    async def _history_call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except HistoryError as exc:
            log.warning("history: %s", exc.describe())
            self._messages.warning(f"The run is not saved in the history: {exc.describe()}")
            return None

    def _emit_progress(self) -> None:
        run = self._run
        if run is None:
            return
        elapsed = time.perf_counter() - self._t0
        self.progress_changed.emit(Progress(run.done, run.failed, run.total, elapsed))
