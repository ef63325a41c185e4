"""The "What changed" window: the loaded list of pages against the site's list before it.

It only shows :class:`~isr_desk.services.manifest.SinceLast` (services/manifest/_changes.py):
its summary sentence, each kind of change with its count and rows, and one action, "Refresh
these …", which asks the targets panel to send exactly the diff's targets through the usual
confirmation. An empty state says why there is nothing to list (docs/patterns-and-diffs.md).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import SiteProfile
from isr_desk.services.manifest import Section, SinceLast
from isr_desk.views.plain import plain
from isr_desk.views.run_texts import describe_targets

FIRST_HINT = (
    "ISR Desk keeps a small copy of the list each time it loads it. After your next deploy, "
    "press “Reload list”: this window then shows which pages and tags changed."
)
NOTHING_HINT = (
    "The pages and tags are the same as in every list saved since then. After a deploy, "
    "press “Reload list” to compare again."
)
TARGETS_HINT = (
    "What a refresh sends: the pages added or changed and the tags added or renamed (by "
    "their new name). A page whose only change is a renamed tag is refreshed by that tag."
)


class ChangesDialog(QDialog):
    """Lists what changed since the site's last saved list; offers to refresh exactly that."""

    refresh_requested = Signal(list)  # [Target]

    def __init__(
        self, changes: SinceLast, *, profile: SiteProfile, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.changes = changes
        # The site's targets: a page's path where a tag would do nothing (Pages Router).
        self.targets = changes.targets(profile)
        self.setWindowTitle(f"What changed — {profile.name}")
        self.setObjectName("changesDialog")
        # Most of the window it opens over: long lists of pages read better wide.
        size = parent.window().size() if parent is not None else None
        width = min(960, int(size.width() * 0.72)) if size else 720
        height = min(680, int(size.height() * 0.72)) if size else 480
        self.resize(max(width, 560), max(height, 360))
        self.summary = QLabel(changes.summary())
        plain(self.summary)  # tags and paths come from the site
        self.summary.setObjectName("summaryLine")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Summary of the changes")
        self.hint = QLabel("")
        plain(self.hint)
        self.hint.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Pages and tags that changed")
        self.tree.setHeaderLabels(["What changed", "Details"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        targets = self.targets
        self.refresh_button = QPushButton(
            f"Refresh these {describe_targets(targets)}" if targets else "Nothing to refresh"
        )
        self.refresh_button.setObjectName("primary")
        self.refresh_button.setEnabled(bool(targets))
        self.refresh_button.setToolTip(TARGETS_HINT)
        self.refresh_button.setAutoDefault(False)  # Enter closes; sending takes a click
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        if close is not None:
            close.setDefault(True)
        buttons.rejected.connect(self.reject)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self._fill()

    def _fill(self) -> None:
        sections = self.changes.sections()
        if not sections:
            self.tree.hide()
            self.hint.setText(FIRST_HINT if self.changes.first else NOTHING_HINT)
            self.refresh_button.hide()
            return
        self.hint.setText(TARGETS_HINT)
        for section in sections:
            self.tree.addTopLevelItem(_section_item(section))
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0) + 24, 420))

    def section_titles(self) -> list[str]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]

    def _on_refresh_button_clicked(self) -> None:
        if self.targets:
            self.refresh_requested.emit(list(self.targets))
            self.accept()


def _section_item(section: Section) -> QTreeWidgetItem:
    item = QTreeWidgetItem([f"{section.title} ({section.count:,})", ""])
    font = item.font(0)
    font.setBold(True)
    item.setFont(0, font)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
    for row in section.rows:
        item.addChild(QTreeWidgetItem([row.text, row.detail]))
    if section.more:
        item.addChild(QTreeWidgetItem([f"… and {section.more:,} more", ""]))
    return item
