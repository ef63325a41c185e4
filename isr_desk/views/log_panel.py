"""The live log: a progress bar for the current run and a table of every response.

The newest row stays visible unless the user scrolled up to read older ones. Failed rows are
red; the line under the table says what to do about the last failure, in plain words. A past
run reopened from the history replaces the table's rows (read-only) until "Back to live log"
or the next run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QItemSelection, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import CdnSettings, Outcome, Result, RunSummary
from isr_desk.services.verify import Verification, count_verdicts
from isr_desk.views.log_model import INSTANCE, STEP, TARGET, VERIFY, LogModel, LogRow
from isr_desk.views.plain import plain
from isr_desk.views.run_controller import Progress, plural

EMPTY_TEXT = (
    "Nothing sent yet.\n\nPick pages or tags above (or type a path) and press "
    "“Refresh”.\nEach answer from the site appears here."
)


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


def _duration(seconds: float) -> str:
    """A time left in plain words: "5 s", "3 min", "1 h 20 min"."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def summary_text(summary: RunSummary) -> str:
    head = "Cancelled" if summary.cancelled else "Done"
    parts = [f"{summary.ok:,} refreshed", f"{summary.failed:,} failed"]
    if summary.in_flight:
        parts.append(f"{summary.in_flight:,} cancelled in flight (may or may not be applied)")
    if summary.not_sent:
        parts.append(f"{summary.not_sent:,} not sent")
    return f"{head}: {', '.join(parts)} · {_seconds(summary.duration_ms)} in all"


def timing_tip(summary: RunSummary) -> str:
    """The response times behind the summary, for the curious (developer terms in brackets)."""
    return (
        f"Half of the answers came within {_seconds(summary.p50_ms)} (p50), 95 % within "
        f"{_seconds(summary.p95_ms)} (p95). The Response times tab shows every one."
    )


def failure_hint(results: Sequence[Result]) -> str:
    """The most common failure of a run and what to do about it."""
    failed = [r for r in results if not r.ok and r.outcome is not Outcome.CANCELLED]
    if not failed:
        return ""
    outcome, count = Counter(r.outcome for r in failed).most_common(1)[0]
    example = next(r for r in failed if r.outcome is outcome)
    hint = example.hint or example.error or ""
    label = outcome.label
    if count != len(failed):
        label += f" ({count:,} of {len(failed):,} failures)"
    return f"{label} — {hint}"


# A run's progress line is redrawn at most this often: each update re-lays out the word-
# wrapped label and repaints the bar (up to ~10 ms on the GUI thread while the engine's
# worker thread competes for the GIL), and a bulk run reports ~20 times a second.
PROGRESS_MS = 200


class LogPanel(QWidget):
    """Progress, Cancel, Retry failed, and the log table."""

    cancel_requested = Signal()
    retry_requested = Signal()
    row_selected = Signal(object)  # LogRow | None
    live_shown = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LogModel(self)  # the live log; a reopened run gets its own model
        self.archive_model: LogModel | None = None
        self._follow = True
        self._run_results: list[Result] = []
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v of %m")
        self.progress_label = QLabel("Ready")
        self._progress_due: Progress | None = None  # the latest, held back by the timer
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_MS)
        self._progress_timer.timeout.connect(self._show_progress_due)
        self.progress_label.setMinimumWidth(60)
        self.progress_label.setWordWrap(True)  # never widens the window
        plain(self.progress_label)  # names the site (a profile, maybe imported)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the run (Esc): what is not sent yet is not sent")
        self.cancel_button.setEnabled(False)
        self.cancel_button.hide()
        self.retry_button = QPushButton("Retry failed")
        self.retry_button.setEnabled(False)
        self.retry_button.hide()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the log (every run stays in the History)")
        self.details_button = QPushButton("Details")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("Show or hide the details of the selected row")
        self.verify_box = QCheckBox("Verify pages after refresh")
        self.verify_box.setChecked(True)
        self.verify_box.setToolTip(
            "Fetch each page before and after the refresh, as a visitor would, and say in the "
            "Verify column whether it really changed. Bulk runs ask in their confirmation."
        )
        self.cdn_box = QCheckBox("Also purge the CDN")
        self.cdn_box.setToolTip(
            "After the refresh at the site, purge the CDN in front of it for the same pages "
            "and tags: the CDN's rows show in the Step column (docs/cdn.md)."
        )
        self.cdn_box.hide()  # shown for a site with a CDN set
        self.archive_label = QLabel("")
        plain(self.archive_label)
        self.archive_label.setObjectName("archiveBanner")
        self.live_button = QPushButton("Back to live log")
        self.archive_bar = QWidget()
        self.table = self._make_table()
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setObjectName("emptyState")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        self.summary = QLabel("")
        plain(self.summary)
        self.summary.setObjectName("summaryLine")
        self.hint = QLabel("")
        plain(self.hint)  # quotes a server's Location, body or error
        self.hint.setObjectName("hintLine")
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout()
        self._connect_signals()
        for button in (self.cancel_button, self.retry_button):
            button.installEventFilter(self)

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setAccessibleName("Log: one row per answer from the site")
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(False)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(22)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        widths = (64, 70, 240, 120, 50, 110, 90, 68, 110)
        for column, width in enumerate(widths):
            table.setColumnWidth(column, width)
        header.setSectionResizeMode(TARGET, QHeaderView.ResizeMode.Stretch)
        table.setColumnHidden(INSTANCE, True)
        table.setColumnHidden(STEP, True)
        table.setColumnHidden(VERIFY, True)
        return table

    def _layout(self) -> None:
        bar = QHBoxLayout()
        self.progress.setMinimumWidth(80)
        self.progress.setMaximumWidth(200)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.progress_label, 3)
        bar.addWidget(self.verify_box)
        bar.addWidget(self.cdn_box)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.retry_button)
        bar.addWidget(self.clear_button)
        bar.addWidget(self.details_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        archive = QHBoxLayout(self.archive_bar)
        archive.setContentsMargins(0, 0, 0, 0)
        archive.addWidget(self.archive_label, 1)
        archive.addWidget(self.live_button)
        self.archive_bar.hide()
        layout.addLayout(bar)
        layout.addWidget(self.archive_bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.hint)

    def _connect_signals(self) -> None:
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.retry_button.clicked.connect(self.retry_requested)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.live_button.clicked.connect(self.show_live)
        self.model.rowsAboutToBeInserted.connect(self._on_model_rows_about_to_be_inserted)
        self.model.rowsInserted.connect(self._on_model_rows_inserted)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Cancel and Retry failed show only while they can do something: room for the rest.
        if event.type() == QEvent.Type.EnabledChange and isinstance(watched, QPushButton):
            watched.setVisible(watched.isEnabled())
        return super().eventFilter(watched, event)

    # --- live log and reopened runs -----------------------------------------------------
    @property
    def shown_model(self) -> LogModel:
        return self.archive_model or self.model

    def show_archive(self, title: str, site: str, results: Sequence[Result]) -> None:
        """Show a past run's rows instead of the live log (read-only)."""
        model = LogModel(self)
        model.set_rows(site, results)
        self._set_table_model(model)
        if self.archive_model is not None:
            self.archive_model.deleteLater()
        self.archive_model = model
        self.archive_label.setText(f"{title} — from the history, read-only")
        self.archive_bar.show()
        for button in (self.cancel_button, self.retry_button, self.clear_button):
            button.setEnabled(False)
        self.summary.setText(f"{plural(len(results), 'result')} of a past run")
        self.hint.setText(failure_hint(results))
        self.stack.setCurrentWidget(self.table if results else self.empty)

    def show_live(self) -> None:
        if self.archive_model is None:
            return
        self._set_table_model(self.model)
        self.archive_model.deleteLater()
        self.archive_model = None
        self.archive_bar.hide()
        self.clear_button.setEnabled(True)
        self.summary.clear()
        self.hint.clear()
        self.stack.setCurrentWidget(self.table if self.model.rowCount() else self.empty)
        self.live_shown.emit()

    def _set_table_model(self, model: LogModel) -> None:
        old = self.table.selectionModel()
        self.table.setModel(model)
        old.deleteLater()
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self._update_columns()
        self.row_selected.emit(None)

    def set_cdn(self, cdn: CdnSettings | None) -> None:
        """The "Also purge the CDN" box for the current site: shown with a CDN set, ticked
        when the site purges in every run."""
        enabled = cdn is not None and cdn.enabled
        self.cdn_box.setVisible(enabled)
        if cdn is not None and enabled:
            self.cdn_box.setText(f"Also purge the CDN ({cdn.provider.label})")
            self.cdn_box.setChecked(cdn.by_default)
        else:
            self.cdn_box.setChecked(False)

    def _update_columns(self) -> None:
        model = self.shown_model
        self.table.setColumnHidden(INSTANCE, not model.has_instances())
        self.table.setColumnHidden(STEP, not model.has_steps())
        self.table.setColumnHidden(VERIFY, not model.has_verifications)

    # --- run events ---------------------------------------------------------------------
    def on_run_started(self, site: str, total: int) -> None:
        self._drop_progress_due()
        self.show_live()
        self.model.mark_run_start()
        self._run_results = []
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(0)
        self.progress_label.setText(f"Sending {plural(total, 'request')} to {site}…")
        self.summary.clear()
        self.hint.clear()
        self.retry_button.setEnabled(False)

    def on_results(self, site: str, results: list[Result]) -> None:
        self._run_results.extend(results)
        self.model.add(site, results)

    def on_progress(self, progress: Progress) -> None:
        if self._progress_timer.isActive():
            self._progress_due = progress  # shown when the timer fires (at most 5 a second)
            return
        self._show_progress(progress)
        self._progress_timer.start()

    def _show_progress_due(self) -> None:
        if self._progress_due is not None:
            progress, self._progress_due = self._progress_due, None
            self._show_progress(progress)
            self._progress_timer.start()

    def _drop_progress_due(self) -> None:
        self._progress_timer.stop()
        self._progress_due = None

    def _show_progress(self, progress: Progress) -> None:
        self.progress.setValue(progress.done)
        left = progress.time_left
        eta = "" if left is None or not progress.remaining else f" · about {_duration(left)} to go"
        self.progress_label.setText(
            f"{progress.done:,} done · {progress.failed:,} failed · "
            f"{progress.remaining:,} left{eta}"
        )
        self.progress_label.setToolTip(f"{progress.rate:,.0f} answers a second")

    def on_busy_changed(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        if busy:
            self.retry_button.setEnabled(False)

    def on_run_finished(self, summary: RunSummary) -> None:
        self._drop_progress_due()  # the summary says it all; a late line must not replace it
        self.model.flush()
        self.progress.setValue(self.progress.maximum() if not summary.cancelled else summary.ok)
        self.progress_label.setText("Cancelled" if summary.cancelled else "Finished")
        self.summary.setText(summary_text(summary))
        self.summary.setToolTip(timing_tip(summary))
        self.hint.setText(failure_hint(self._run_results))
        self.retry_button.setEnabled(summary.failed > 0)

    def on_verify_started(self, pages: int) -> None:
        self.progress_label.setText(f"Checking {plural(pages, 'page')} as a visitor sees them…")

    def on_verified(self, results: Sequence[Result], verifications: Sequence[Verification]) -> None:
        self.model.apply_verifications(results, verifications)
        self._update_columns()
        counts = count_verdicts(verifications)
        text = ", ".join(f"{n:,} {verdict.label.lower()}" for verdict, n in counts.most_common())
        self.progress_label.setText(f"Verified: {text}" if text else "Finished")

    # --- table --------------------------------------------------------------------------
    def _on_model_rows_about_to_be_inserted(self, *_: object) -> None:
        bar = self.table.verticalScrollBar()
        self._follow = bar.value() >= bar.maximum() - 2

    def _on_model_rows_inserted(self, *_: object) -> None:
        if self.archive_model is not None:
            return  # live rows arrive while a past run is shown: keep it as it is
        self.stack.setCurrentWidget(self.table)
        if self.model.has_instances():
            self.table.setColumnHidden(INSTANCE, False)
        if self.model.has_steps():
            self.table.setColumnHidden(STEP, False)
        if self._follow:
            self.table.scrollToBottom()

    def _on_table_selection_changed(self, selected: QItemSelection, _: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if len(rows) != 1:
            self.row_selected.emit(None)
            return
        row: LogRow = self.shown_model.row(rows[0].row())
        self.row_selected.emit(row)
        result = row.result
        if not result.ok:  # (the details pane shows every row; this line is for failures)
            self.hint.setText(f"{result.target}: {result.outcome.label} — {result.hint or ''}")

    def _on_clear_clicked(self) -> None:
        self.model.clear()
        self._update_columns()
        self.stack.setCurrentWidget(self.empty)
        self.summary.clear()
        self.hint.clear()
        self.row_selected.emit(None)

    @property
    def run_results(self) -> list[Result]:
        """The results of the current (or last) run."""
        return self._run_results
