"""The message banner against real loopback sites: one outcome per run and site, in plain
words, with the button that helps (Set secret…, Update secret…, Check endpoint…, Retry
failed); a verify note never replaces a failure; long messages wrap."""

from __future__ import annotations

import asyncio

import httpx
from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from isr_desk.services.sites import SecretStore
from isr_desk.views.main_window import MainWindow
from isr_desk.views.message_banner import MessageBanner
from isr_desk.views.messages import ERROR, INFO, WARNING, Message
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import REVALIDATE_PATH, Behaviour, CaseSite, LoopbackSite, Reply


def _refresh(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.targets.type_box.setPlainText(text)
    with qtbot.waitSignal(window.controller.busy_changed, check_params_cb=lambda b: not b,
                          timeout=8000):  # fmt: skip
        window.targets.refresh_button.click()
    window.log.model.flush()


def test_a_missing_secret_offers_set_secret_and_stores_it_in_the_keyring(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    secrets: SecretStore,
) -> None:
    window = make_window((SiteProfile("My blog", site.url), None))
    _refresh(qtbot, window, "/blog/a")
    assert window.banner.isVisible()
    assert window.banner.level == ERROR
    assert "No secret is stored" in window.banner.text.text()
    assert "isr-desk secret set" not in window.banner.text.text()  # no shell command
    assert window.banner.action_button.text() == "Set secret…"
    assert site.requests == []
    window.banner.action_button.click()
    dialog = window.guide.secret_dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.secret_edit.setText(site.secret)
    with qtbot.waitSignal(dialog.secret_saved):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert secrets.get("My blog") == site.secret
    assert site.secret not in window.banner.text.text()
    _refresh(qtbot, window, "/blog/a")
    assert window.banner.text.text().startswith("Refreshed")
    assert window.banner.level == INFO


def test_a_wrong_secret_offers_update_secret_and_the_verify_note_does_not_replace_it(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    client: httpx.AsyncClient,
) -> None:
    with CaseSite(Behaviour.REGENERATES, secret="right") as case:
        window = make_window((SiteProfile("Blog", case.url), "wrong"), client=client)
        assert window.log.verify_box.isChecked()
        with qtbot.waitSignal(window.controller.verified, timeout=8000):
            _refresh(qtbot, window, "/blog/a")
    assert window.banner.text.text().startswith("Not refreshed: Wrong secret")
    assert window.banner.level == WARNING
    assert window.banner.action_button.text() == "Update secret…"
    assert window.banner.action_button.isVisible()
    assert "wrong" not in window.banner.note.text().split()  # the secret never shows


def test_an_unreachable_site_offers_check_endpoint(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory
) -> None:
    with LoopbackSite() as gone:
        url, secret = gone.url, gone.secret
    window = make_window((SiteProfile("Gone", url, retries=0), secret), client=None)
    _refresh(qtbot, window, "/x")
    assert window.banner.text.text().startswith("Not refreshed: Site unreachable")
    assert window.banner.action_button.text() == "Check endpoint…"


def test_failures_of_a_bulk_run_offer_retry_and_a_new_run_clears_the_old_outcome(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Blog", site.url, retries=0), site.secret))
    site.on(REVALIDATE_PATH, Reply(500, {"message": "boom"}), Reply(500, {"message": "boom"}))
    _refresh(qtbot, window, "/a\n/b\n/c")
    assert window.banner.text.text().startswith("2 of 3 not refreshed")
    assert window.banner.action_button.text() == "Retry failed"
    at_start: list[object] = []  # the banner as the retry starts (after the window's slot)
    window.controller.run_started.connect(lambda *_: at_start.append(window.banner.message))
    with qtbot.waitSignal(window.controller.run_finished, timeout=4000):
        window.banner.action_button.click()
    assert at_start == [None]  # the older run's outcome was cleared when the run started
    assert window.banner.text.text() == "All 2 refreshed."


def test_switching_site_clears_the_banner_and_another_sites_message_is_dropped(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window(
        (SiteProfile("Blog", site.url), None), (SiteProfile("Shop", site.url), site.secret)
    )
    window.sites_bar.select("Blog")
    _refresh(qtbot, window, "/a")
    assert "No secret" in window.banner.text.text()
    window.sites_bar.select("Shop")
    assert not window.banner.isVisible()
    window.messages.warning("a late message about the blog", site="Blog")
    assert not window.banner.isVisible()
    window.messages.warning("about the shop", site="Shop")
    assert window.banner.text.text() == "about the shop"


def test_a_long_message_wraps_instead_of_being_cut(qtbot: QtBot) -> None:
    banner = MessageBanner()
    qtbot.addWidget(banner)
    banner.resize(600, 40)
    text = "Several instances answered differently. " * 12
    banner.show_message(Message(WARNING, text.strip()))
    banner.show()
    assert banner.text.wordWrap()
    assert banner.text.text() == text.strip()
    one_line = banner.text.fontMetrics().height()
    assert banner.text.heightForWidth(560) > 3 * one_line
    assert banner.sizeHint().width() <= 600 or banner.minimumSizeHint().width() < 600


def test_a_note_goes_under_the_outcome_and_dismiss_hides_the_banner(qtbot: QtBot) -> None:
    banner = MessageBanner()
    qtbot.addWidget(banner)
    banner.show_message(Message(WARNING, "Not refreshed: Server error", "check-endpoint"))
    banner.show_message(Message(INFO, "Not verified: load the manifest", note=True))
    assert banner.text.text() == "Not refreshed: Server error"
    assert banner.note.text() == "Not verified: load the manifest"
    assert banner.action_button.text() == "Check endpoint…"
    banner.close_button.click()
    assert banner.message is None
    assert banner.isHidden()


def test_a_cancelled_run_offers_send_the_rest_and_in_flight_is_its_own_outcome(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory
) -> None:
    with LoopbackSite(latency=0.3) as slow:
        window = make_window((SiteProfile("Blog", slow.url, concurrency=2), slow.secret))
        window.targets.type_box.setPlainText("\n".join(f"/p/{i}" for i in range(12)))
        with qtbot.waitSignal(window.controller.run_finished, timeout=4000) as finished:
            window.targets.refresh_button.click()
            qtbot.waitUntil(lambda: slow.count() >= 2, timeout=3000)
            window.log.cancel_button.click()
        summary = finished.args[0]
        assert summary.cancelled
        text = window.banner.text.text()
        assert text.startswith("Cancelled: ")
        assert f"{summary.not_sent:,} not sent" in text
        if summary.in_flight:
            assert "stopped in flight" in text
            assert "failed" not in text  # in flight is not a failure
        assert window.banner.action_button.text() == "Send the rest"
        with qtbot.waitSignal(window.controller.run_finished, timeout=8000) as rest:
            window.banner.action_button.click()
        assert rest.args[0].total == summary.not_sent + summary.in_flight
        assert rest.args[0].ok == rest.args[0].total
