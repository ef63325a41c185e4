"""First start: the practice-site strip and the short guided tour.

The strip sits above the panels while the built-in practice site is on screen: it says that
nothing real is changed there and offers "Add your site…" as the window's most visible button.
The tour is three short steps — refresh a page, refresh a tag, refresh many pages — and can be
dismissed at any step; the main window remembers that it was seen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

PRACTICE_TITLE = "Practice site — nothing real is changed"
PRACTICE_TEXT = "It runs inside ISR Desk: try anything, then add the site you edit."
TOUR_STEPS = (
    (
        "Refresh a page",
        "You changed a page in your CMS and want it live now. Type its address in the box "
        "under the list of pages (for example /blog/hello-world, or paste it from the "
        "browser), then press “Refresh this page”. The message above the panels says whether "
        "it worked and, if not, offers the button that fixes it.",
    ),
    (
        "Refresh a tag",
        "A tag is a label your developer gave to a group of pages, such as every page that "
        "shows the product prices. Open the Tags tab, pick the tag and press “Refresh”: every "
        "page with that tag is rebuilt. ISR Desk asks first and shows which pages it touches.",
    ),
    (
        "Refresh many pages",
        "Select many pages (Shift+click, Ctrl+A) and press “Refresh”. ISR Desk asks before a "
        "big run and tells you how long it will take. You can cancel at any time; the log and "
        "the History tab show what was refreshed and what was not.",
    ),
)


class PracticeStrip(QFrame):
    """ "Practice site — nothing real is changed" with "Add your site…" and "Take the tour"."""

    add_requested = Signal()
    tour_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("practiceStrip")
        title = QLabel(PRACTICE_TITLE)
        title.setObjectName("practiceTitle")
        text = QLabel(PRACTICE_TEXT)
        text.setWordWrap(True)
        text.setMinimumWidth(120)
        self.add_button = QPushButton("Add your site…")
        self.add_button.setObjectName("primary")
        self.tour_button = QPushButton("Take the tour")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(title)
        layout.addWidget(text, 1)
        layout.addWidget(self.tour_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.add_button.clicked.connect(self.add_requested)
        self.tour_button.clicked.connect(self.tour_requested)


class TourDialog(QDialog):
    """Three steps with Back / Next / Close; ``dismissed`` when closed at any step."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tour of ISR Desk")
        self.step = 0
        self.counter = QLabel("")
        self.counter.setObjectName("manifestInfo")
        self.title = QLabel("")
        self.title.setObjectName("panelTitle")
        self.body = QLabel("")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setMinimumHeight(90)
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.next_button.setDefault(True)
        self.close_button = QPushButton("Close the tour")
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.counter)
        layout.addWidget(self.title)
        layout.addWidget(self.body, 1)
        layout.addLayout(buttons)
        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.next_button.clicked.connect(self._on_next_button_clicked)
        self.close_button.clicked.connect(self.reject)
        self.finished.connect(self.dismissed)
        self.setMinimumWidth(460)
        self._show_step()

    def _show_step(self) -> None:
        title, body = TOUR_STEPS[self.step]
        self.counter.setText(f"Step {self.step + 1} of {len(TOUR_STEPS)}")
        self.title.setText(title)
        self.body.setText(body)
        self.back_button.setEnabled(self.step > 0)
        last = self.step == len(TOUR_STEPS) - 1
        self.next_button.setText("Done" if last else "Next")

    def _on_back_button_clicked(self) -> None:
        self.step = max(0, self.step - 1)
        self._show_step()

    def _on_next_button_clicked(self) -> None:
        if self.step == len(TOUR_STEPS) - 1:
            self.accept()
            return
        self.step += 1
        self._show_step()
