"""Issue 6 in the window: "Verify pages after refresh" (verdicts in the log's Verify column
and the details pane), "Check endpoint" (the doctor's findings), and the Instance column
that only a site with several instances shows."""

from __future__ import annotations

import asyncio

import httpx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from isr_desk.domain import SiteProfile
from isr_desk.views.log_model import INSTANCE, TARGET, VERIFY
from isr_desk.views.main_window import MainWindow
from tests.gui.conftest import WindowFactory
from tests.helpers.sites import Behaviour, CaseSite, LoopbackSite

SECRET = "s3cret-token"


def _refresh(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.targets.type_box.setPlainText(text)
    with qtbot.waitSignal(window.controller.busy_changed, check_params_cb=lambda b: not b,
                          timeout=8000):  # fmt: skip
        window.targets.refresh_button.click()
    window.log.model.flush()


def _cells(window: MainWindow, column: int) -> list[str]:
    model = window.log.model
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_a_single_page_refresh_is_verified_and_the_verdict_shown(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    client: httpx.AsyncClient,
) -> None:
    with CaseSite(Behaviour.REGENERATES, secret=SECRET) as case:
        window = make_window((SiteProfile("Blog", case.url), SECRET), client=client)
        assert window.log.verify_box.isChecked()
        assert window.log.table.isColumnHidden(VERIFY)
        with qtbot.waitSignal(window.controller.verified, timeout=8000) as verified:
            _refresh(qtbot, window, "/blog/a")
        assert case.page_gets("/blog/a") >= 2  # before and after
    _, verifications = verified.args
    assert [v.label for v in verifications] == ["Regenerated"]
    assert _cells(window, VERIFY) == ["Regenerated"]
    assert not window.log.table.isColumnHidden(VERIFY)
    assert window.log.progress_label.text() == "Verified: 1 regenerated"
    assert window.statusBar().currentMessage().startswith("Regenerated: New content: ETag")
    window.log.table.selectRow(0)
    evidence = window.details.verify.toPlainText()
    assert "/blog/a: Regenerated" in evidence
    assert "etag" in evidence
    assert "→" in evidence


def test_a_page_that_never_changes_is_flagged_and_verify_can_be_turned_off(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    client: httpx.AsyncClient,
) -> None:
    with CaseSite(Behaviour.NEVER_CHANGES, secret=SECRET) as case:
        window = make_window((SiteProfile("Blog", case.url), SECRET), client=client)
        with qtbot.waitSignal(window.controller.verified, timeout=8000):
            _refresh(qtbot, window, "/blog/a")
        assert _cells(window, VERIFY) == ["Unchanged"]
        index = window.log.model.index(0, VERIFY)
        assert index.data(Qt.ItemDataRole.ForegroundRole) is not None  # shown as a doubt
        assert "not rebuilt" in index.data(Qt.ItemDataRole.ToolTipRole)
        assert window.statusBar().currentMessage().startswith("Unchanged:")

        window.log.verify_box.setChecked(False)
        gets = case.page_gets("/blog/b")
        _refresh(qtbot, window, "/blog/b")
        assert case.page_gets("/blog/b") == gets == 0
        assert _cells(window, VERIFY) == ["Unchanged", ""]


def test_bulk_runs_offer_verification_unticked(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    client: httpx.AsyncClient,
) -> None:
    window = make_window((SiteProfile("Blog", site.url), site.secret), client=client)
    window.targets.type_box.setPlainText("\n".join(f"/p/{i}" for i in range(25)))
    with qtbot.waitSignal(window.controller.confirmation_shown) as shown:
        window.targets.refresh_button.click()
    box: QMessageBox = shown.args[0]
    assert box.checkBox() is not None
    assert not box.checkBox().isChecked()
    box.reject()


def test_check_endpoint_shows_the_doctors_findings(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    client: httpx.AsyncClient,
) -> None:
    with CaseSite(Behaviour.ACCEPTS_ANY_SECRET, secret=SECRET) as case:
        window = make_window((SiteProfile("Blog", case.url), SECRET), client=client)
        assert window.check_button.isEnabled()
        window.check_button.click()
        doctor = window.doctor
        assert doctor is not None
        assert doctor.isVisible()
        qtbot.waitUntil(lambda: bool(doctor.findings), timeout=8000)
        report = doctor.report.toPlainText()
        assert "Site reachable" in report
        assert "The route accepts a request with a wrong secret" in report
        assert "The secret is sent in the query string" in report
        assert doctor.status.text().startswith("2 problems to fix")
        assert SECRET not in report
        assert case.revalidated == ["path:/__isr-desk-doctor-probe"] * 2  # probes only
        doctor.close()


def test_check_endpoint_is_off_without_a_client(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite, make_window: WindowFactory
) -> None:
    window = make_window((SiteProfile("Blog", site.url), site.secret))
    assert not window.check_button.isEnabled()
    assert not window.log.verify_box.isEnabled()


def test_the_instance_column_shows_only_for_several_instances(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, make_window: WindowFactory
) -> None:
    with LoopbackSite(SECRET) as one, LoopbackSite(SECRET) as two:
        window = make_window(
            (SiteProfile("Single", one.url), SECRET),
            (SiteProfile("Pair", one.url, instances=(one.url, two.url)), SECRET),
        )
        window.sites_bar.select("Single")
        with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
            window.targets.type_box.setPlainText("/a")
            window.targets.refresh_button.click()
        window.log.model.flush()
        assert window.log.table.isColumnHidden(INSTANCE)
        window.sites_bar.select("Pair")
        with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
            window.targets.refresh_button.click()
        window.log.model.flush()
        assert not window.log.table.isColumnHidden(INSTANCE)
        hosts = {f"127.0.0.1:{one.port}", f"127.0.0.1:{two.port}"}
        assert set(_cells(window, INSTANCE)[1:]) == hosts
        assert _cells(window, TARGET) == ["/a"] * 3
