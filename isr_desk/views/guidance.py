"""What helps an editor through the window: the message banner, the practice-site strip,
the tour, and "Set secret…" / "Update secret…" right where a secret problem is shown.

The main window places :attr:`Guidance.banner` and :attr:`Guidance.practice` in its layout
and carries out the actions that need its other panels (check the endpoint, retry, send the
rest, add a site) when :attr:`Guidance.action_requested` asks.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QWidget

from isr_desk.domain import SiteProfile
from isr_desk.services.sites import SecretStore
from isr_desk.views.message_banner import MessageBanner
from isr_desk.views.messages import SET_SECRET, UPDATE_SECRET, Message, MessageBridge
from isr_desk.views.secret_dialog import SecretDialog
from isr_desk.views.welcome import PracticeStrip, TourDialog


class Guidance(QObject):
    """The banner, the practice strip, the tour and the secret dialog of one window."""

    action_requested = Signal(str)  # an action the window carries out (not a secret one)
    add_site_requested = Signal()

    def __init__(
        self,
        window: QWidget,
        *,
        settings: QSettings,
        secrets: SecretStore,
        messages: MessageBridge,
        practice_site: str | None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._secrets = secrets
        self._messages = messages
        self.practice_site = practice_site  # the built-in site: nothing real is changed
        self.site: SiteProfile | None = None
        self.banner = MessageBanner()
        self.practice = PracticeStrip()
        self.practice.hide()
        self.tour: TourDialog | None = None
        self.secret_dialog: SecretDialog | None = None
        messages.posted.connect(self._on_messages_posted)
        self.banner.action_requested.connect(self._on_banner_action_requested)
        self.practice.add_requested.connect(self.add_site_requested)
        self.practice.tour_requested.connect(self.show_tour)

    def set_site(self, site: SiteProfile | None) -> None:
        self.site = site
        self.banner.set_site(site.name if site is not None else "")
        self.practice.setVisible(site is not None and site.name == self.practice_site)

    def _on_messages_posted(self, message: Message) -> None:
        self.banner.show_message(message)

    def _on_banner_action_requested(self, action: str) -> None:
        if action in (SET_SECRET, UPDATE_SECRET):
            self.open_secret_dialog(update=action == UPDATE_SECRET)
        else:
            self.action_requested.emit(action)

    # --- the secret -----------------------------------------------------------------------
    def open_secret_dialog(self, *, update: bool = False) -> None:
        if self.site is None:
            return
        dialog = SecretDialog(
            site=self.site.name, secrets=self._secrets, update=update, parent=self._window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.secret_saved.connect(self._on_secret_dialog_secret_saved)
        self.secret_dialog = dialog
        dialog.open()

    def _on_secret_dialog_secret_saved(self, site: str) -> None:
        self.secret_dialog = None
        self._messages.info(f"Secret of “{site}” saved. Refresh the page again.", site=site)

    # --- the tour -------------------------------------------------------------------------
    def show_tour(self) -> None:
        """The three journeys in three steps; remembered as seen once closed."""
        if self.tour is not None:
            self.tour.raise_()
            return
        tour = TourDialog(self._window)
        tour.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        tour.dismissed.connect(self._on_tour_dismissed)
        self.tour = tour
        tour.open()

    def _on_tour_dismissed(self) -> None:
        self.tour = None
        self._settings.setValue("tour_seen", True)

    @property
    def tour_seen(self) -> bool:
        return self._settings.value("tour_seen", False) in (True, "true")
