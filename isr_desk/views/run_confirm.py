"""The confirmation asked before a bulk run or any tag purge.

A window-modal message box opened with ``open()`` (never ``exec()`` inside a coroutine): it
asks the question of :func:`isr_desk.views.run_texts.confirmation_text`, offers "Verify the
pages afterwards" when the run can verify, and reports the answer through callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from isr_desk.domain import SiteProfile, Target
from isr_desk.views.plain import plain
from isr_desk.views.run_texts import TagPages, confirmation_text


def open_confirmation(
    parent: QWidget | None,
    profile: SiteProfile,
    targets: Sequence[Target],
    *,
    tag_pages: TagPages | None,
    verify_checked: bool,
    offer_verify: bool,
    on_accepted: Callable[[bool], None],
    on_rejected: Callable[[], None],
) -> QMessageBox:
    """Open the box (non-blocking); ``on_accepted(verify)`` or ``on_rejected()`` follows."""
    question, details = confirmation_text(profile, targets, tag_pages)
    box = QMessageBox(parent)
    plain(box)  # names the site and the first targets
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Confirm revalidation")
    box.setText(question)
    box.setInformativeText(details)
    go = box.addButton(question.split(" on ")[0], QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(go)
    verify = QCheckBox("Verify the pages afterwards (each is fetched before and after)")
    verify.setChecked(verify_checked)
    if offer_verify:
        box.setCheckBox(verify)

    def on_finished(_: int) -> None:
        box.deleteLater()
        if box.clickedButton() is go:
            on_accepted(verify.isChecked())
        else:
            on_rejected()

    box.finished.connect(on_finished)
    box.open()
    return box
