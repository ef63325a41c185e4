"""The run controller: a thin Qt adapter over :class:`isr_desk.services.runs.RunSession`.

It asks for confirmation before a bulk run or any tag purge (:mod:`.run_confirm`), starts a
session, and turns the session's events into the signals the panels listen to. The session
does the work — secret, snapshot, engine, history, verdicts — on a loop of its own in a
worker thread (``threaded``), so the engine's network callbacks never wait for the GUI; the
adapter only receives a few batches a second (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import httpx
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from isr_desk.domain import SiteProfile, Target, TargetKind
from isr_desk.services import runs
from isr_desk.services.cdn import CdnPurger
from isr_desk.services.history import HistoryStore
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.runs import Progress as Progress
from isr_desk.services.runs import RunPlan, RunSession, SecretSource, TokenSource
from isr_desk.services.sites import same_pages
from isr_desk.views.messages import MessageBridge
from isr_desk.views.run_confirm import open_confirmation
from isr_desk.views.run_texts import TagPages
from isr_desk.views.run_texts import plural as plural
from isr_desk.views.tasks import TaskSet

DEFAULT_THRESHOLD = 20


class RunController(QObject):
    """Starts, follows, cancels and retries runs; one run at a time."""

    run_started = Signal(str, int)  # site name, total
    results_received = Signal(str, list)  # site name, [Result]
    progress_changed = Signal(object)  # Progress
    cdn_started = Signal(object)  # runs.CdnStarted
    cdn_progressed = Signal(object)  # runs.CdnProgress: the batch, or a rate-limit wait
    run_finished = Signal(object)  # RunSummary
    busy_changed = Signal(bool)
    confirmation_shown = Signal(object)  # the QMessageBox (tests click it)
    verify_started = Signal(int)  # pages to check
    verified = Signal(list, list)  # [Result] of the run, [Verification]

    def __init__(
        self,
        *,
        revalidator: Revalidator,
        secrets: SecretSource,
        messages: MessageBridge,
        history: HistoryStore | None = None,
        client: httpx.AsyncClient | None = None,
        dialog_parent: QWidget | None = None,
        threshold: int = DEFAULT_THRESHOLD,
        threaded: bool = True,
        cdn_tokens: TokenSource | None = None,
        purger_factory: Callable[[httpx.AsyncClient], CdnPurger] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.threshold = threshold
        self.verify_enabled = True  # "Verify pages after refresh" (needs ``client``)
        self.purge_cdn = False  # "Also purge the CDN" (for a site with a CDN set)
        self._cdn_tokens = cdn_tokens
        self.purger_factory = purger_factory or CdnPurger
        self.threaded = threaded
        self._can_verify = client is not None
        self._revalidator = revalidator
        self._secrets = secrets
        self._messages = messages
        self._history_path = None if history is None else history.path
        self._dialog_parent = dialog_parent
        self._tasks = TaskSet()
        self._busy = False
        self.session: RunSession | None = None  # the current or last run
        self.confirmation: QMessageBox | None = None
        self._merged: str | None = None  # "2 targets were the same page; sent once"
        self._cdn_note: tuple[str, bool] | None = None  # the CDN step's line, and whether ok

    # --- state --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """A run (or its verification) is going on; the stream may still be draining."""
        return self._busy

    # --- intents ------------------------------------------------------------------------
    def request_run(
        self,
        profile: SiteProfile,
        targets: Sequence[Target],
        *,
        tag_pages: TagPages | None = None,
        resumes: int | None = None,
    ) -> None:
        """Start a run, after a confirmation for a bulk run or a tag purge; ``resumes``: the
        recorded run whose rest this one sends (History's "Send the rest"), as
        ``isr-desk revalidate --resume RUN_ID`` does."""
        self._request(RunPlan(profile, tuple(targets), tag_paths=tag_pages, resumes=resumes))

    def _request(self, plan: RunPlan) -> None:
        if self.running:
            self._messages.warning("A run is in progress: wait for it or cancel it (Esc)")
            return
        # /about and /about/ are one page: sent once, and said under the run's outcome.
        unique, self._merged = same_pages(plan.targets, plan.profile)
        plan = plan.but_for(unique, resumes=plan.resumes)
        if not plan.targets:
            self._messages.warning("Nothing to revalidate: pick pages or tags, or type a path")
            return
        if len(plan.targets) > self.threshold or any(
            t.kind is TargetKind.TAG for t in plan.targets
        ):
            self._confirm(plan)
        else:
            self._start(replace(plan, verify=self.verify_enabled and self._can_verify))

    def start(
        self,
        profile: SiteProfile,
        targets: Sequence[Target],
        *,
        verify: bool = False,
        tag_pages: TagPages | None = None,
    ) -> None:
        """Start a run now, without asking."""
        self._merged = None
        plan = RunPlan(
            profile, tuple(targets), verify=verify and self._can_verify, tag_paths=tag_pages
        )
        self._start(plan)

    def cancel(self) -> None:
        if self.confirmation is not None and self.confirmation.isVisible():
            self.confirmation.reject()
            return
        if self.running and self.session is not None:
            self.session.cancel()

    def retry_failed(self) -> None:
        plan = None if self.session is None else self.session.retry_failed()
        if plan is None:
            self._messages.info("No failed targets to retry")
            return
        self._request(plan)

    def send_rest(self) -> None:
        """Send what the last run's cancel kept from the site (and what was in flight)."""
        plan = None if self.session is None else self.session.send_rest()
        if plan is None:
            self._messages.info("Nothing left to send")
            return
        self._request(plan)

    def shutdown(self) -> None:
        """Cancel everything (the window is closing)."""
        self.cancel()
        self._tasks.cancel_all()

    # --- confirmation -------------------------------------------------------------------
    def _confirm(self, plan: RunPlan) -> None:
        def accepted(verify: bool) -> None:
            self.confirmation = None
            self._start(replace(plan, verify=verify and self._can_verify))

        def rejected() -> None:
            self.confirmation = None
            self._messages.info("Nothing was sent")

        # On by default for small runs only: verifying 10,000 pages triples the requests.
        box = open_confirmation(
            self._dialog_parent,
            plan.profile,
            plan.targets,
            tag_pages=_tag_pages(plan),
            verify_checked=self.verify_enabled and len(plan.targets) <= self.threshold,
            offer_verify=self._can_verify,
            purge_cdn=self.purge_cdn,
            on_accepted=accepted,
            on_rejected=rejected,
            threshold=self.threshold,
        )
        self.confirmation = box
        self.confirmation_shown.emit(box)

    # --- the run ------------------------------------------------------------------------
    def _start(self, plan: RunPlan) -> None:
        if self.running:
            return
        path = self._history_path
        plan = replace(plan, purge_cdn=self.purge_cdn and plan.profile.cdn.enabled)
        self.session = RunSession(
            plan,
            revalidator=self._revalidator,
            secrets=self._secrets,
            history=None if path is None else (lambda: HistoryStore(path)),
            cdn_tokens=self._cdn_tokens,
            purger_factory=self.purger_factory,
        )
        # Busy from this moment, not from the task's first step: a cancel (Esc) right after
        # Refresh reaches this run, and a second start cannot slip in beside it.
        self._busy = True
        self.busy_changed.emit(True)
        self._tasks.spawn(self._follow(self.session))

    async def _follow(self, session: RunSession) -> None:
        try:
            async for event in session.stream(threaded=self.threaded):
                # After Finished a new run may start while this stream drains: its events
                # (and its end) are no longer this controller's news.
                if session is self.session:
                    self._on_event(event)
        finally:
            if session is self.session:
                self._set_idle()

    def _on_event(self, event: runs.Event) -> None:
        match event:
            case runs.Started(site=site, total=total):
                self.run_started.emit(site, total)
            case runs.ResultsBatch(site=site, results=results):
                self.results_received.emit(site, list(results))
            case runs.Progress():
                self.progress_changed.emit(event)
            case runs.Finished(summary=summary, verify_follows=follows):
                if not follows:
                    self._set_idle()
                self.run_finished.emit(summary)
                if self._merged:
                    self._messages.info(self._merged, note=True)
                self._post_cdn_note()
            case runs.VerifyStarted(pages=pages):
                self.verify_started.emit(pages)
            case runs.Verified(results=results, verifications=verifications):
                self.verified.emit(list(results), list(verifications))
            case runs.RunWarning(text=text):
                self._messages.warning(text)
            case runs.Failed(error=error):
                self._messages.error(error)
            case runs.Stopped(text=text):
                self._messages.info(text)
            case runs.CdnStarted():
                self.cdn_started.emit(event)
            case runs.CdnProgress():
                self.cdn_progressed.emit(event)
            case runs.CdnFinished(step=step, ok=ok, failed=failed):
                # Said under the run's outcome (which comes next), never instead of it.
                text = f"CDN ({step.removeprefix('cdn: ')}): {plural(ok, 'target')} purged"
                if failed:
                    text += f", {failed:,} failed (see the Step column)"
                if event.not_supported:  # not failures: the origin's revalidation covers them
                    text += f", {event.not_purged}"
                self._cdn_note = (text, not failed)

    def _post_cdn_note(self) -> None:
        note, self._cdn_note = self._cdn_note, None
        if note is not None:
            text, fine = note
            (self._messages.info if fine else self._messages.warning)(text, note=True)

    def _set_idle(self) -> None:
        if self._busy:
            self._busy = False
            self.busy_changed.emit(False)


def _tag_pages(plan: RunPlan) -> TagPages | None:
    paths = plan.tag_paths
    return paths if paths is None or callable(paths) else paths.get
