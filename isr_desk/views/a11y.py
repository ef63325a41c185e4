"""Accessible names: what a screen reader says for a control.

Most controls get theirs from their text. Fields in a form row get the row's label here
(Qt links a label to its field only when the field is a widget, not a layout of widgets);
tables, text boxes and filter fields are named where they are made.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

FIELDS = (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox, QAbstractItemView)


def _fields(item: QWidget | QLayout) -> list[QWidget]:
    if isinstance(item, QWidget):
        return [item] if isinstance(item, FIELDS) else []
    found: list[QWidget] = []
    for position in range(item.count()):
        child = item.itemAt(position)
        if child is None:
            continue
        widget, layout = child.widget(), child.layout()
        if widget is not None and isinstance(widget, FIELDS):
            found.append(widget)
        elif layout is not None:
            found += _fields(layout)
    return found


def name_form_fields(form: QFormLayout) -> None:
    """Give each unnamed field of ``form`` its row's label as accessible name."""
    for row in range(form.rowCount()):
        label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label_item is None or field_item is None:
            continue
        label = label_item.widget()
        if not isinstance(label, QLabel) or not label.text().strip():
            continue
        target = field_item.widget() or field_item.layout()
        if target is None:
            continue
        for field in _fields(target):
            if not field.accessibleName() and not isinstance(field, QAbstractButton):
                field.setAccessibleName(label.text().replace("&", ""))


def name(widget: QWidget, text: str, description: str = "") -> None:
    widget.setAccessibleName(text)
    if description:
        widget.setAccessibleDescription(description)
