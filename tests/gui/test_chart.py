"""The latency view: points per result (thinned above MAX_POINTS, outliers kept), p50/p95
lines, the status-code breakdown, and the chart following a real run."""

from __future__ import annotations

import asyncio
import random

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPalette
from pytestqt.qtbot import QtBot

from isr_desk.domain import Outcome, Result, SiteProfile, Target, percentile
from isr_desk.views.latency_chart import MAX_POINTS, LatencyChart, thin
from isr_desk.views.latency_plot import is_dark, nice_ticks
from isr_desk.views.main_window import LATENCY
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Reply


def _result(i: int, ms: float, status: int | None = 200) -> Result:
    ok = status is not None and status < 400
    return Result(
        target=Target.path(f"/p/{i}"),
        ok=ok,
        outcome=Outcome.REFRESHED if ok else Outcome.SERVER_ERROR,
        status=status,
        duration_ms=ms,
        attempts=1,
        started_at=1_700_000_000.0 + i * 0.001,
    )


def _statuses(chart: LatencyChart) -> dict[str, tuple[str, str]]:
    table = chart.statuses

    def text(row: int, column: int) -> str:
        item = table.item(row, column)
        return item.text() if item is not None else ""

    return {text(r, 0): (text(r, 1), text(r, 2)) for r in range(table.rowCount())}


def test_ten_thousand_results_are_thinned_but_keep_the_outliers(qtbot: QtBot) -> None:
    chart = LatencyChart()
    qtbot.addWidget(chart)
    rng = random.Random(7)
    durations = [rng.uniform(15, 30) for _ in range(10_000)]
    durations[4321] = 2500.0  # one very slow answer
    statuses = [500 if i % 100 == 0 else 200 for i in range(10_000)]
    for start in range(0, 10_000, 250):  # batches, as the run controller delivers them
        chart.add_results(
            [_result(i, durations[i], statuses[i]) for i in range(start, start + 250)]
        )
    chart.redraw()
    assert chart.count == 10_000
    assert chart.ok_series.count() <= MAX_POINTS
    assert max(p.y() for p in chart.ok_series.points()) == 2500.0
    assert chart.failed_series.count() == 100  # few enough to draw every one
    p50, p95 = percentile(durations, 0.5), percentile(durations, 0.95)
    assert chart.p50.name() == f"p50 {p50:,.0f} ms"
    assert chart.p95.name() == f"p95 {p95:,.0f} ms"
    assert {p.y() for p in chart.p95.points()} == {p95}
    assert _statuses(chart) == {"200": ("9,900", "99%"), "500": ("100", "1%")}
    assert "(thinned for drawing)" in chart.summary.text()

    chart.set_results([_result(1, 40.0), _result(2, 60.0, None)])
    assert chart.count == 2
    assert _statuses(chart) == {"200": ("1", "50%"), "— (Server error)": ("1", "50%")}
    chart.reset()
    assert chart.count == 0
    assert chart.ok_series.count() == 0
    assert chart.summary.text().startswith("Response times appear here")


def test_thin_keeps_an_even_sample_and_the_slowest_points() -> None:
    points = [QPointF(i, i % 10) for i in range(100)]
    assert thin(points, slow=8, limit=200) == points
    kept = thin(points, slow=8, limit=40)
    assert len(kept) <= 40
    assert min(p.x() for p in kept) == 0
    assert max(p.x() for p in kept) >= 90  # the sample spans the run
    assert [p for p in points if p.y() == 9] == [p for p in kept if p.y() == 9][-10:]


def test_the_chart_follows_a_run_in_the_window(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Blog", site.url, retries=0), site.secret))
    site.on(
        REVALIDATE_PATH, *[Reply(200, {"revalidated": True})] * 4, Reply(503, {"message": "down"})
    )
    window.tabs.setCurrentIndex(LATENCY)
    window.targets.type_box.setPlainText("\n".join(f"/p/{i}" for i in range(5)))
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        window.targets.refresh_button.click()
    qtbot.waitUntil(lambda: window.chart.ok_series.count() == 4, timeout=3000)
    assert window.chart.failed_series.count() == 1
    assert _statuses(window.chart) == {"200": ("4", "80%"), "503": ("1", "20%")}


def test_nice_ticks_round_the_axes_up_to_one_two_five_steps() -> None:
    assert nice_ticks(0.87) == (0.2, pytest.approx(1.0))
    assert nice_ticks(2750.0) == (1000.0, 3000.0)
    assert nice_ticks(0.0) == (0.2, pytest.approx(1.0))  # an empty chart still has axes
    assert nice_ticks(float("nan"))[1] > 0


def _count_near(image: QImage, colour: QColor) -> int:
    wanted = colour.rgb() & 0xFFFFFF
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if image.pixel(x, y) & 0xFFFFFF == wanted
    )


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_plot_paints_points_in_the_theme_colours(qtbot: QtBot, dark: bool) -> None:
    chart = LatencyChart()
    qtbot.addWidget(chart)
    if dark:
        palette = QPalette()
        palette.setColor(QPalette.ColorRole.Window, QColor("#1e1e1e"))
        palette.setColor(QPalette.ColorRole.Base, QColor("#121212"))
        palette.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
        palette.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
        chart.setPalette(palette)
    chart.resize(640, 320)
    chart.add_results([_result(i, 20.0 + i, 200 if i % 5 else 500) for i in range(40)])
    chart.redraw()
    assert is_dark(chart.view.palette()) is dark
    image = chart.view.grab().toImage()
    ok, failed = chart.ok_series.colour(dark), chart.failed_series.colour(dark)
    assert _count_near(image, ok) > 20  # the refreshed points are drawn ...
    assert _count_near(image, failed) > 5  # ... and the failed ones
    other = chart.ok_series.colour(not dark)
    assert _count_near(image, other) == 0  # in this theme's colours only
    base = chart.view.palette().color(QPalette.ColorRole.Base)
    assert QColor(image.pixel(2, 2)) == base
