"""The History panel: past runs (from every window and the CLI), reopened or exported.

Reading and exporting go through ``asyncio.to_thread`` (SQLite and file writes never block
the GUI thread). The export file dialog is opened with ``open()`` and answers through its
``fileSelected`` signal: no modal ``exec()`` anywhere.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import Result, Target
from isr_desk.services.errors import IsrError
from isr_desk.services.history import HistoryStore, RunRecord
from isr_desk.views.history_model import SITE, STATUS, HistoryModel, when_text
from isr_desk.views.messages import MessageBridge
from isr_desk.views.tasks import TaskSet

RUN_LIMIT = 500
EMPTY_TEXT = "No runs yet.\n\nEvery run (from this window or the command line) is listed here."
OFF_TEXT = "The run history is off: its database could not be opened (see the status bar)."
_FILTERS = {"csv": "CSV files (*.csv)", "json": "JSON files (*.json)"}


def run_title(record: RunRecord) -> str:
    return f"Run #{record.id} on “{record.profile}”, {when_text(record.started_at).lower()}"


class HistoryPanel(QWidget):
    """A table of past runs with Open, Export CSV…, Export JSON… and Refresh."""

    run_opened = Signal(object, list)  # RunRecord, [Result]
    run_again_requested = Signal(object, list)  # RunRecord, [Target]: every target again
    rest_requested = Signal(object, list)  # RunRecord, [Target]: those without an answer
    runs_loaded = Signal(int)
    exported = Signal(str)  # the file written
    file_dialog_shown = Signal(object)  # the QFileDialog (tests fill it in)

    def __init__(
        self,
        *,
        history: HistoryStore | None,
        messages: MessageBridge,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._history = history
        self._messages = messages
        self._tasks = TaskSet()
        self.file_dialog: QFileDialog | None = None
        self.model = HistoryModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("Past runs")
        self.table.setToolTip(
            "Every run, from this window and the command line. Double-click to reopen one."
        )
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        for column, width in enumerate((56, 130, 160, 110, 80, 60, 80, 170)):
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(SITE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(STATUS, QHeaderView.ResizeMode.ResizeToContents)
        self.open_button = QPushButton("Open in log")
        self.open_button.setToolTip("Show this run's results in the Activity log (read-only)")
        self.csv_button = QPushButton("Export CSV…")
        self.json_button = QPushButton("Export JSON…")
        self.refresh_button = QPushButton("Reload")
        self.refresh_button.setToolTip("Read the history again")
        self.again_button = QPushButton("Run again")
        self.again_button.setToolTip("Refresh every page and tag of this run again")
        self.rest_button = QPushButton("Send the rest")
        self.rest_button.setToolTip("Send what a cancel or a crash kept from being sent")
        self.failures_box = QCheckBox("Only runs with failures")
        self.empty = QLabel(EMPTY_TEXT if history is not None else OFF_TEXT)
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        self._layout()
        self._connect_signals()
        self._update_buttons()

    def _layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.failures_box)
        bar.addStretch(1)
        buttons = (self.again_button, self.rest_button, self.open_button, self.csv_button,
                   self.json_button, self.refresh_button)  # fmt: skip
        for button in buttons:
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

    def _connect_signals(self) -> None:
        self.open_button.clicked.connect(self.open_selected)
        self.csv_button.clicked.connect(lambda: self.export_selected("csv"))
        self.json_button.clicked.connect(lambda: self.export_selected("json"))
        self.refresh_button.clicked.connect(self.refresh)
        self.again_button.clicked.connect(self._on_again_button_clicked)
        self.rest_button.clicked.connect(self._on_rest_button_clicked)
        self.failures_box.toggled.connect(self._on_failures_box_toggled)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

    # --- listing --------------------------------------------------------------------------
    def refresh(self) -> None:
        if self._history is not None:
            self._tasks.spawn(self._load())

    async def _load(self) -> None:
        assert self._history is not None
        selected = self.selected()
        self.refresh_button.setEnabled(False)
        try:
            records = await asyncio.to_thread(self._history.runs, RUN_LIMIT)
        except IsrError as exc:
            self._messages.error(exc)
            return
        finally:
            self.refresh_button.setEnabled(True)
        self.model.set_records(records)
        self.stack.setCurrentWidget(self.table if records else self.empty)
        if selected is not None:
            self.select_run(selected.id)
        self._update_buttons()
        self.runs_loaded.emit(len(records))

    def selected(self) -> RunRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if len(rows) == 1 else None

    def select_run(self, run_id: int) -> None:
        for row, record in enumerate(self.model.records()):
            if record.id == run_id:
                self.table.selectRow(row)
                return

    def _on_selection_changed(self, *_: QItemSelection) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        record = self.selected()
        chosen = record is not None
        for button in (self.open_button, self.csv_button, self.json_button, self.again_button):
            button.setEnabled(chosen)
        rest = record is not None and bool(record.not_sent or record.in_flight)
        self.rest_button.setEnabled(rest)
        self.refresh_button.setEnabled(self._history is not None)

    # --- reopening ------------------------------------------------------------------------
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        self.table.selectRow(index.row())
        self.open_selected()

    def open_selected(self) -> None:
        record = self.selected()
        if record is not None and self._history is not None:
            self._tasks.spawn(self._open(record))

    async def _open(self, record: RunRecord) -> None:
        assert self._history is not None
        self.open_button.setEnabled(False)
        try:
            results: list[Result] = await asyncio.to_thread(self._history.results, record.id)
        except IsrError as exc:
            self._messages.error(exc)
            return
        finally:
            self._update_buttons()
        self.run_opened.emit(record, results)

    # --- running again --------------------------------------------------------------------
    def _on_failures_box_toggled(self, on: bool) -> None:
        self.model.set_failures_only(on)
        self._update_buttons()

    def _on_again_button_clicked(self) -> None:
        self._ask_targets(rest=False)

    def _on_rest_button_clicked(self) -> None:
        self._ask_targets(rest=True)

    def _ask_targets(self, *, rest: bool) -> None:
        record = self.selected()
        if record is not None and self._history is not None:
            self._tasks.spawn(self._targets(record, rest=rest))

    async def _targets(self, record: RunRecord, *, rest: bool) -> None:
        assert self._history is not None
        read = self._history.unsent_targets if rest else self._history.run_targets
        try:
            targets: list[Target] = await asyncio.to_thread(read, record.id)
        except IsrError as exc:
            self._messages.error(exc)
            return
        if not targets:
            self._messages.info(f"Run #{record.id}: nothing left to send")
            return
        (self.rest_requested if rest else self.run_again_requested).emit(record, targets)

    # --- exporting ------------------------------------------------------------------------
    def export_selected(self, fmt: str) -> None:
        record = self.selected()
        if record is None or self._history is None:
            return
        name = f"isr-desk-run-{record.id}.{fmt}"
        dialog = QFileDialog(self, f"Export run #{record.id} as {fmt.upper()}", str(Path.home()))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(_FILTERS[fmt])
        dialog.setDefaultSuffix(fmt)
        dialog.selectFile(name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(
            lambda path: self._tasks.spawn(self._export(record, fmt, Path(path)))
        )
        self.file_dialog = dialog
        dialog.finished.connect(self._on_file_dialog_finished)
        dialog.open()
        self.file_dialog_shown.emit(dialog)

    def _on_file_dialog_finished(self, _: int) -> None:
        self.file_dialog = None

    async def _export(self, record: RunRecord, fmt: str, path: Path) -> None:
        assert self._history is not None
        write = self._history.export_csv if fmt == "csv" else self._history.export_json
        for button in (self.csv_button, self.json_button):
            button.setEnabled(False)
        try:
            await asyncio.to_thread(write, record.id, path)
        except IsrError as exc:
            self._messages.error(exc)
            return
        finally:
            self._update_buttons()
        self._messages.info(f"Run #{record.id} exported to {path}")
        self.exported.emit(str(path))

    def shutdown(self) -> None:
        self._tasks.cancel_all()
