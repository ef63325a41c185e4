"""The main window: assembles the panels and wires their signals. Nothing else."""

from __future__ import annotations

import httpx
from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import Result, RunSummary, SiteProfile, Target
from isr_desk.services.history import HistoryStore, RunRecord
from isr_desk.services.manifest import load_manifest
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.sites import SecretStore
from isr_desk.services.verify import Verification
from isr_desk.views.details_panel import DetailsPanel
from isr_desk.views.doctor_dialog import DoctorDialog
from isr_desk.views.guidance import Guidance
from isr_desk.views.history_panel import HistoryPanel, run_title
from isr_desk.views.latency_chart import LatencyChart
from isr_desk.views.log_panel import LogPanel
from isr_desk.views.messages import (
    ADD_SITE,
    CHECK_ENDPOINT,
    RETRY_FAILED,
    SEND_REST,
    MessageBridge,
)
from isr_desk.views.preferences import Preferences, PreferencesDialog, Theme
from isr_desk.views.run_controller import RunController
from isr_desk.views.run_outcome import run_message
from isr_desk.views.run_texts import verification_message
from isr_desk.views.sites_bar import SiteDirectory, SitesBar
from isr_desk.views.targets_panel import Loader, TargetsPanel

NO_SITES_TEXT = (
    "No sites yet.\n\nAdd the site whose pages you want to refresh: its address and the "
    "secret your developer gave you. ISR Desk keeps the secret in the system keyring."
)


ACTIVITY, LATENCY, HISTORY = range(3)


class MainWindow(QMainWindow):
    """Sites bar on top; pages and tags; activity (log + details), response times, history."""

    closed = Signal()

    def __init__(
        self,
        *,
        profiles: SiteDirectory,
        secrets: SecretStore,
        revalidator: Revalidator,
        history: HistoryStore | None = None,
        client: httpx.AsyncClient | None = None,
        theme: Theme | None = None,
        loader: Loader = load_manifest,
        settings: QSettings | None = None,
        messages: MessageBridge | None = None,
        initial_site: str | None = None,
        practice_site: str | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("ISR Desk")
        self.settings = settings or QSettings()
        self.messages = messages or MessageBridge(self)
        self.preferences = Preferences.load(self.settings)
        self._client = client  # verify and the endpoint doctor fetch with it
        self._secrets = secrets
        self._theme = theme
        self.guide = Guidance(
            self,
            settings=self.settings,
            secrets=secrets,
            messages=self.messages,
            practice_site=practice_site,
        )
        self.banner, self.practice = self.guide.banner, self.guide.practice
        self.sites_bar = SitesBar(profiles=profiles, secrets=secrets, messages=self.messages)
        self.targets = TargetsPanel(messages=self.messages, loader=loader, secrets=secrets)
        self.log = LogPanel()
        self.details = DetailsPanel(secrets=secrets, messages=self.messages)
        self.chart = LatencyChart()
        self.history = HistoryPanel(history=history, messages=self.messages)
        self.controller = RunController(
            revalidator=revalidator,
            secrets=secrets,
            cdn_tokens=secrets.cdn_tokens(),
            messages=self.messages,
            history=history,
            client=client,
            dialog_parent=self,
            parent=self,
        )
        self.add_site_button = QPushButton("Add a site")
        self.add_site_button.setObjectName("primary")
        self.check_button = QPushButton("Check endpoint…")
        self.check_button.setToolTip(
            "Is the site reachable, does its route refuse a wrong secret, is the secret safe?"
        )
        self.doctor: DoctorDialog | None = None
        self.preferences_dialog: PreferencesDialog | None = None
        self._build()
        self._build_menus()
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
        self.activity = QSplitter(Qt.Orientation.Horizontal)
        self.activity.addWidget(self.log)
        self.activity.addWidget(self.details)
        self.activity.setStretchFactor(0, 3)
        self.activity.setStretchFactor(1, 2)
        self.activity.setCollapsible(0, False)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.activity, "Activity")
        self.tabs.addTab(self.chart, "Response times")
        self.tabs.addTab(self.history, "History")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.targets)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([400, 400])  # until the user's own split is restored
        self.activity.setSizes([800, 480])
        self.body = QStackedWidget()
        self.body.addWidget(empty)
        self.body.addWidget(self.splitter)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.sites_bar)
        layout.addWidget(self.practice)
        layout.addWidget(self.banner)
        layout.addWidget(self.body, 1)
        self.setCentralWidget(central)
        bar = self.sites_bar.layout()
        if bar is not None:
            bar.addWidget(self.check_button)
        self.resize(1280, 860)
        # The chart's own module is being rewritten elsewhere; its status table is named here.
        for table in self.chart.findChildren(QAbstractItemView):
            if not table.accessibleName():
                table.setAccessibleName("Answers by status code")

    def _build_menus(self) -> None:
        app_menu = self.menuBar().addMenu("&File")
        self.preferences_action = app_menu.addAction("&Preferences…")
        self.preferences_action.setShortcut(QKeySequence.StandardKey.Preferences)
        app_menu.addSeparator()
        self.quit_action = app_menu.addAction("&Quit")
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        site_menu = self.menuBar().addMenu("&Site")
        site_menu.addAction("&Add site…", self.sites_bar.open_add_dialog)
        site_menu.addAction("&Edit site…", self.sites_bar.open_edit_dialog)
        self.check_action = site_menu.addAction("&Check endpoint…")

    def _connect_signals(self) -> None:
        self.guide.action_requested.connect(self._on_guide_action_requested)
        self.guide.add_site_requested.connect(self.open_add_dialog)
        self.sites_bar.site_changed.connect(self._on_sites_bar_site_changed)
        self.add_site_button.clicked.connect(self.sites_bar.open_add_dialog)
        self.targets.revalidate_requested.connect(self._on_targets_revalidate_requested)
        self.controller.run_started.connect(self.log.on_run_started)
        self.controller.results_received.connect(self.log.on_results)
        self.controller.progress_changed.connect(self.log.on_progress)
        self.controller.cdn_started.connect(self.log.on_cdn_started)
        self.controller.cdn_progressed.connect(self.log.on_cdn_progress)
        self.controller.busy_changed.connect(self.log.on_busy_changed)
        self.controller.run_finished.connect(self.log.on_run_finished)
        self.controller.run_finished.connect(self._on_controller_run_finished)
        self.controller.run_started.connect(self._on_controller_run_started)
        self.controller.results_received.connect(self._on_controller_results_received)
        self.controller.verify_started.connect(self.log.on_verify_started)
        self.controller.verified.connect(self._on_controller_verified)
        self.log.cancel_requested.connect(self.controller.cancel)
        self.log.retry_requested.connect(self._on_log_retry_requested)
        self.log.row_selected.connect(self.details.show_row)
        self.log.live_shown.connect(self._on_log_live_shown)
        self.log.verify_box.toggled.connect(self._on_verify_box_toggled)
        self.log.cdn_box.toggled.connect(self._on_cdn_box_toggled)
        self.log.details_button.toggled.connect(self._on_details_button_toggled)
        self.history.run_opened.connect(self._on_history_run_opened)
        self.history.run_again_requested.connect(self._on_history_targets_requested)
        self.history.rest_requested.connect(self._on_history_rest_requested)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.check_button.clicked.connect(self.open_doctor)
        self.check_action.triggered.connect(self.open_doctor)
        self.preferences_action.triggered.connect(self.open_preferences)
        self.quit_action.triggered.connect(self.close)
        # After the sites bar's own slot: the add dialog exists by then.
        self.sites_bar.add_button.clicked.connect(self._on_add_dialog_opened)
        self.add_site_button.clicked.connect(self._on_add_dialog_opened)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.targets.revalidate_current)
        QShortcut(QKeySequence("Ctrl+F"), self, self.targets.focus_filter)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.controller.cancel)

    # --- slots --------------------------------------------------------------------------
    def _on_guide_action_requested(self, action: str) -> None:
        if action == CHECK_ENDPOINT:
            self.open_doctor()
        elif action == RETRY_FAILED:
            self.controller.retry_failed()
        elif action == SEND_REST:
            self.controller.send_rest()
        elif action == ADD_SITE:
            self.open_add_dialog()

    def open_add_dialog(self) -> None:
        self.sites_bar.open_add_dialog()
        self._on_add_dialog_opened()

    def _on_sites_bar_site_changed(self, site: SiteProfile | None) -> None:
        self.guide.set_site(site)
        self.body.setCurrentIndex(0 if site is None else 1)
        self.targets.set_profile(site)
        self.log.set_cdn(None if site is None else site.cdn)
        has_doctor = site is not None and self._client is not None
        self.check_button.setEnabled(has_doctor)
        self.check_action.setEnabled(has_doctor)
        if site is not None:
            self.settings.setValue("last_site", site.name)
            self.setWindowTitle(f"{site.name} — ISR Desk")
        else:
            self.setWindowTitle("ISR Desk")

    def _on_targets_revalidate_requested(self, targets: list[Target]) -> None:
        site = self.sites_bar.current()
        if site is None:
            self.messages.warning("Add a site first", action=ADD_SITE)
            return
        self.controller.request_run(site, targets, tag_pages=self.targets.tag_pages)

    def _on_log_retry_requested(self) -> None:
        self.controller.retry_failed()

    def _on_controller_run_started(self, _site: str, _total: int) -> None:
        self.banner.clear()  # an older run's outcome never lingers
        self.chart.reset()
        if self.tabs.currentIndex() == HISTORY:
            self.tabs.setCurrentIndex(ACTIVITY)

    def _on_controller_results_received(self, _site: str, results: list[Result]) -> None:
        self.chart.add_results(results)

    def _on_controller_verified(
        self, results: list[Result], verifications: list[Verification]
    ) -> None:
        self.log.on_verified(results, verifications)
        self.details.show_row(self.details.row)
        fine, text = verification_message(verifications)
        site = self.sites_bar.current()
        name = site.name if site is not None else ""
        # A note: added under the run's outcome, never instead of a failure.
        (self.messages.info if fine else self.messages.warning)(text, site=name, note=True)

    def _on_log_live_shown(self) -> None:
        self.chart.set_results(self.log.run_results)

    def _on_details_button_toggled(self, checked: bool) -> None:
        self.details.setVisible(checked)  # a side panel: the log gets the room when closed
        self.settings.setValue("details_shown", checked)

    def _on_verify_box_toggled(self, checked: bool) -> None:
        self.details.verify_on = checked
        self.details.show_row(self.details.row)
        self.controller.verify_enabled = checked
        self.settings.setValue("verify_after_refresh", checked)

    def _on_cdn_box_toggled(self, checked: bool) -> None:
        self.controller.purge_cdn = checked

    def _on_history_run_opened(self, record: RunRecord, results: list[Result]) -> None:
        self.log.show_archive(run_title(record), record.profile, results)
        self.chart.set_results(results)
        self.tabs.setCurrentIndex(ACTIVITY)

    def _on_history_targets_requested(
        self, record: RunRecord, targets: list[Target], resumes: int | None = None
    ) -> None:
        """ "Run again" from the History: on the run's own site."""
        if record.profile not in self.sites_bar.names():
            self.messages.warning(f"The site “{record.profile}” of run #{record.id} is gone")
            return
        self.sites_bar.select(record.profile)
        site = self.sites_bar.current()
        if site is not None:
            tag_pages = self.targets.tag_pages
            self.controller.request_run(site, targets, tag_pages=tag_pages, resumes=resumes)

    def _on_history_rest_requested(self, record: RunRecord, targets: list[Target]) -> None:
        """ "Send the rest" from the History continues that run (``--resume RUN_ID``)."""
        self._on_history_targets_requested(record, targets, resumes=record.id)

    def _on_tabs_current_changed(self, index: int) -> None:
        if index == HISTORY:
            self.history.refresh()

    def _on_add_dialog_opened(self) -> None:
        dialog = self.sites_bar.dialog
        if dialog is not None and dialog.isVisible():
            dialog.concurrency_spin.setValue(self.preferences.default_concurrency)

    # --- dialogs ------------------------------------------------------------------------
    def open_doctor(self) -> None:
        site = self.sites_bar.current()
        if site is None or self._client is None:
            return
        if self.doctor is not None:
            self.doctor.close()
        self.doctor = DoctorDialog(
            client=self._client, secrets=self._secrets, profile=site, parent=self
        )
        self.doctor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.doctor.destroyed.connect(self._on_doctor_destroyed)
        self.doctor.open()
        self.doctor.start()

    def _on_doctor_destroyed(self, *_: object) -> None:
        self.doctor = None

    def open_preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.preferences_changed.connect(self.apply_preferences)
        self.preferences_dialog = dialog
        dialog.open()

    @property
    def secret_store(self) -> SecretStore:
        return self._secrets

    def apply_theme(self, choice: str) -> None:
        """Light, dark or the system's theme (when the app gave the window its Theme)."""
        if self._theme is not None:
            self._theme.apply(choice)

    def apply_preferences(self, preferences: Preferences) -> None:
        self.preferences = preferences
        self.log.model.set_max_rows(preferences.log_limit)
        self.controller.threshold = preferences.bulk_threshold
        if self._theme is not None:
            self._theme.apply(preferences.theme)

    def _on_controller_run_finished(self, summary: RunSummary) -> None:
        if self.tabs.currentIndex() == HISTORY:
            self.history.refresh()
        site = self.sites_bar.current()
        name = site.name if site is not None else ""
        message = run_message(summary, self.log.run_results, site=name, can_send_rest=True)
        self.messages.post(message)

    # --- settings -----------------------------------------------------------------------
    def _restore(self, initial_site: str | None) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        for key, splitter in (("splitter", self.splitter), ("activity", self.activity)):
            state = self.settings.value(key)
            if isinstance(state, QByteArray):
                splitter.restoreState(state)
        verify = self.settings.value("verify_after_refresh", True)
        self.log.verify_box.setChecked(verify not in (False, "false"))
        self.controller.verify_enabled = self.log.verify_box.isChecked()
        self.details.verify_on = self.log.verify_box.isChecked()
        shown = self.settings.value("details_shown", False) in (True, "true")
        self.log.details_button.setChecked(shown)
        self.details.setVisible(shown)
        self.log.verify_box.setEnabled(self._client is not None)
        self.apply_preferences(self.preferences)
        last = self.settings.value("last_site")
        self.sites_bar.reload(select=initial_site or (last if isinstance(last, str) else None))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.setValue("activity", self.activity.saveState())
        self.settings.sync()
        self.controller.shutdown()
        self.details.shutdown()
        self.history.shutdown()
        self.targets.shutdown()
        self.sites_bar.shutdown()
        super().closeEvent(event)
        self.closed.emit()
