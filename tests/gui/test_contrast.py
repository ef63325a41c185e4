"""Readable in both themes: every text colour ISR Desk sets (its own colour table, the
style sheets and the palettes it applies) reaches WCAG AA 4.5:1 on its background; input
borders reach the 3:1 of non-text contrast in the dark theme."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from isr_desk.views import colours
from isr_desk.views.colours import COLOURS, DARK, LIGHT, PAIRS, contrast
from isr_desk.views.log_model import LogModel
from isr_desk.views.preferences import DARK_QSS, Theme, dark_palette, light_palette

AA, NON_TEXT = 4.5, 3.0
_NAMED = {"white": "#ffffff", "black": "#000000"}
_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")


def _rules(qss: str) -> dict[str, dict[str, str]]:
    """Selector -> property -> value, later rules overriding earlier ones (as Qt does)."""
    found: dict[str, dict[str, str]] = {}
    for selectors, body in _RULE.findall(re.sub(r"/\*.*?\*/", "", qss, flags=re.S)):
        props = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                props[name.strip()] = _NAMED.get(value.strip(), value.strip())
        for selector in selectors.split(","):
            found.setdefault(selector.strip(), {}).update(props)
    return found


def _base_qss() -> str:
    return (resources.files("isr_desk") / "resources" / "style.qss").read_text(encoding="utf-8")


def _text_pairs(qss: str, window: str) -> list[tuple[str, str, str]]:
    pairs = []
    for selector, props in _rules(qss).items():
        if ":" in selector.split("#")[-1] or "color" not in props:
            continue  # :disabled and :hover states: disabled text is exempt, hover is brief
        background = props.get("background", "transparent")
        on = background if background.startswith("#") else window
        pairs.append((selector, props["color"], on))
        if "selection-color" in props:
            pairs.append((selector, props["selection-color"], props["selection-background-color"]))
    return pairs


@pytest.mark.parametrize("scheme", [LIGHT, DARK])
def test_the_colour_table_is_readable(scheme: str) -> None:
    table = COLOURS[scheme]
    for text, background in PAIRS:
        ratio = contrast(table[text], table[background])
        assert ratio >= AA, f"{scheme}: {text} on {background} is {ratio:.2f}:1"


@pytest.mark.parametrize("scheme", [LIGHT, DARK])
def test_the_style_sheet_colours_are_readable(scheme: str) -> None:
    qss = _base_qss() + (DARK_QSS if scheme == DARK else "")
    window = COLOURS[scheme]["window"]
    pairs = _text_pairs(qss, window)
    assert len(pairs) >= 8  # the labels, the buttons, the tables
    for selector, text, background in pairs:
        ratio = contrast(text, background)
        assert ratio >= AA, f"{scheme}: {selector} {text} on {background} is {ratio:.2f}:1"


def test_dark_input_borders_stand_out() -> None:
    rules = _rules(DARK_QSS)
    border = rules["QLineEdit"]["border"].split()[-1]
    for name in ("window", "base"):
        assert contrast(border, COLOURS[DARK][name]) >= NON_TEXT


def test_no_style_sheet_rule_takes_the_spin_boxes_arrows_away() -> None:
    """A style sheet rule on a spin box makes Qt draw its arrows from the sheet, which has
    none: "Requests at once" showed two empty squares in the dark theme."""
    selectors = {selector.split(":")[0] for selector in _rules(DARK_QSS)}
    assert not selectors & {"QSpinBox", "QDoubleSpinBox", "QAbstractSpinBox"}


def _palette_pairs(palette: QPalette) -> list[tuple[str, str, str]]:
    roles = QPalette.ColorRole
    wanted = (
        (roles.WindowText, roles.Window),
        (roles.Text, roles.Base),
        (roles.Text, roles.AlternateBase),
        (roles.ButtonText, roles.Button),
        (roles.PlaceholderText, roles.Base),
        (roles.HighlightedText, roles.Highlight),
        (roles.ToolTipText, roles.ToolTipBase),
    )
    return [(f"{fg.name}/{bg.name}", palette.color(fg).name(), palette.color(bg).name())
            for fg, bg in wanted]  # fmt: skip


@pytest.mark.parametrize("scheme", [LIGHT, DARK])
def test_the_palettes_are_readable(qapp: QApplication, scheme: str) -> None:
    style = QStyleFactory.create("Fusion")
    palette = dark_palette() if scheme == DARK else light_palette(style.standardPalette())
    for roles, text, background in _palette_pairs(palette):
        ratio = contrast(text, background)
        # Placeholder text is a hint, yet it is read: AA as well.
        assert ratio >= AA, f"{scheme}: {roles} {text} on {background} is {ratio:.2f}:1"


def test_a_theme_switch_recolours_failed_rows(qapp: QApplication) -> None:
    theme = Theme(qapp)
    try:
        theme.apply("dark")
        assert colours.scheme() == DARK
        assert colours.brush("failed_bg").color().name() == COLOURS[DARK]["failed_bg"]
        model = LogModel()
        assert model is not None
        theme.apply("light")
        assert colours.brush("failed_bg").color().name() == COLOURS[LIGHT]["failed_bg"]
    finally:
        theme.apply("light")
        qapp.setStyleSheet("")
