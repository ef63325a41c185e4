"""First start: the practice site is marked as such, "Add your site…" is the prominent way
out, "Add site…" stands apart from the other site buttons, and the tour of the three
journeys can be stepped through and dismissed (and is remembered as seen)."""

from __future__ import annotations

import asyncio

from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from isr_desk.views.welcome import PRACTICE_TITLE, TOUR_STEPS
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import LoopbackSite


def test_the_practice_site_is_marked_and_offers_add_your_site(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window(
        (SiteProfile("Practice", site.url), site.secret),
        (SiteProfile("Mine", site.url), site.secret),
        practice_site="Practice",
    )
    window.sites_bar.select("Practice")
    assert window.practice.isVisible()
    assert PRACTICE_TITLE == "Practice site — nothing real is changed"
    assert window.practice.add_button.objectName() == "primary"
    window.practice.add_button.click()
    dialog = window.sites_bar.dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.name_edit.text() == ""  # a new site, not the practice one
    dialog.reject()
    window.sites_bar.select("Mine")
    assert not window.practice.isVisible()


def test_add_site_stands_apart_from_the_other_site_buttons(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Mine", site.url), site.secret))
    bar = window.sites_bar
    assert bar.add_button.objectName() == "addSite"
    others = (bar.edit_button, bar.duplicate_button, bar.delete_button)
    assert all(b.objectName() != "addSite" for b in others)
    gap = bar.edit_button.x() - (bar.add_button.x() + bar.add_button.width())
    between = bar.duplicate_button.x() - (bar.edit_button.x() + bar.edit_button.width())
    assert gap > between  # a space sets it apart from Edit / Duplicate / Delete


def test_the_tour_walks_the_three_journeys_and_is_remembered_when_dismissed(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Practice", site.url), site.secret), practice_site="Practice")
    assert not window.guide.tour_seen
    window.practice.tour_button.click()
    tour = window.guide.tour
    assert tour is not None
    assert tour.isVisible()
    titles = [tour.title.text()]
    while tour.next_button.text() == "Next":
        tour.next_button.click()
        titles.append(tour.title.text())
    assert titles == [title for title, _ in TOUR_STEPS]
    assert titles == ["Refresh a page", "Refresh a tag", "Refresh many pages"]
    assert tour.back_button.isEnabled()
    with qtbot.waitSignal(tour.dismissed):
        tour.close_button.click()
    assert window.guide.tour_seen
    assert window.guide.tour is None
