"""The main window: assembles the panels and wires their signals. Nothing else."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import RunSummary, SiteProfile, Target
from isr_desk.services.history import HistoryStore
from isr_desk.services.manifest import load_manifest
from isr_desk.services.revalidator import Revalidator
from isr_desk.services.secrets import SecretStore
from isr_desk.views.log_panel import LogPanel, failure_hint
from isr_desk.views.messages import ERROR, MessageBridge
from isr_desk.views.run_controller import RunController
from isr_desk.views.sites_bar import SiteDirectory, SitesBar
from isr_desk.views.targets_panel import Loader, TargetsPanel

NO_SITES_TEXT = (
    "No sites yet.\n\nAdd the site whose pages you want to refresh: its address and the "
    "secret your developer gave you. ISR Desk keeps the secret in the system keyring."
)


class MainWindow(QMainWindow):
    """Sites bar on top; pages and tags; the live log; the status bar."""

    closed = Signal()

    def __init__(
        self,
        *,
        profiles: SiteDirectory,
        secrets: SecretStore,
        revalidator: Revalidator,
        history: HistoryStore | None = None,
        loader: Loader = load_manifest,
        settings: QSettings | None = None,
        messages: MessageBridge | None = None,
        initial_site: str | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("ISR Desk")
        self.settings = settings or QSettings()
        self.messages = messages or MessageBridge(self)
        self.sites_bar = SitesBar(profiles=profiles, secrets=secrets, messages=self.messages)
        self.targets = TargetsPanel(messages=self.messages, loader=loader)
        self.log = LogPanel()
        self.controller = RunController(
            revalidator=revalidator,
            secrets=secrets,
            messages=self.messages,
            history=history,
            dialog_parent=self,
            parent=self,
        )
        self.add_site_button = QPushButton("Add a site")
        self.add_site_button.setObjectName("primary")
        self._build()
        self._connect_signals()
        self._restore(initial_site)

    def _build(self) -> None:
        empty = QWidget()
        empty.setObjectName("noSites")
        text = QLabel(NO_SITES_TEXT)
        text.setObjectName("emptyState")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box = QVBoxLayout(empty)
        box.addStretch(1)
        box.addWidget(text)
        box.addWidget(self.add_site_button, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.targets)
        self.splitter.addWidget(self.log)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.body = QStackedWidget()
        self.body.addWidget(empty)
        self.body.addWidget(self.splitter)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.sites_bar)
        layout.addWidget(self.body, 1)
        self.setCentralWidget(central)
        self.resize(1180, 820)

    def _connect_signals(self) -> None:
        self.messages.shown.connect(self._on_messages_shown)
        self.sites_bar.site_changed.connect(self._on_sites_bar_site_changed)
        self.add_site_button.clicked.connect(self.sites_bar.open_add_dialog)
        self.targets.revalidate_requested.connect(self._on_targets_revalidate_requested)
        self.controller.run_started.connect(self.log.on_run_started)
        self.controller.results_received.connect(self.log.on_results)
        self.controller.progress_changed.connect(self.log.on_progress)
        self.controller.busy_changed.connect(self.log.on_busy_changed)
        self.controller.run_finished.connect(self.log.on_run_finished)
        self.controller.run_finished.connect(self._on_controller_run_finished)
        self.log.cancel_requested.connect(self.controller.cancel)
        self.log.retry_requested.connect(self._on_log_retry_requested)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.targets.revalidate_current)
        QShortcut(QKeySequence("Ctrl+F"), self, self.targets.focus_filter)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.controller.cancel)

    # --- slots --------------------------------------------------------------------------
    def _on_messages_shown(self, level: str, text: str) -> None:
        self.statusBar().showMessage(text, 0 if level == ERROR else 8000)

    def _on_sites_bar_site_changed(self, site: SiteProfile | None) -> None:
        self.body.setCurrentIndex(0 if site is None else 1)
        self.targets.set_profile(site)
        if site is not None:
            self.settings.setValue("last_site", site.name)
            self.setWindowTitle(f"{site.name} — ISR Desk")
        else:
            self.setWindowTitle("ISR Desk")

    def _on_targets_revalidate_requested(self, targets: list[Target]) -> None:
        site = self.sites_bar.current()
        if site is None:
            self.messages.warning("Add a site first")
            return
        self.controller.request_run(site, targets, tag_pages=self.targets.tag_pages)

    def _on_log_retry_requested(self) -> None:
        self.controller.retry_failed()

    def _on_controller_run_finished(self, summary: RunSummary) -> None:
        if summary.cancelled:
            self.messages.info(
                f"Cancelled: {summary.ok:,} refreshed, {summary.not_sent:,} not sent"
            )
        elif summary.failed:
            if summary.total == 1:
                self.messages.warning(f"Not refreshed: {failure_hint(self.log.run_results)}")
            else:
                self.messages.warning(
                    f"{summary.failed:,} of {summary.total:,} failed — the red rows say why"
                )
        elif summary.total == 1:
            self.messages.info("Page refreshed")
        else:
            self.messages.info(f"All {summary.total:,} refreshed")

    # --- settings -----------------------------------------------------------------------
    def _restore(self, initial_site: str | None) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self.settings.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        last = self.settings.value("last_site")
        self.sites_bar.reload(select=initial_site or (last if isinstance(last, str) else None))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.sync()
        self.controller.shutdown()
        self.targets.shutdown()
        self.sites_bar.shutdown()
        super().closeEvent(event)
        self.closed.emit()
