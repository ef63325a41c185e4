"""The window's CDN parts: the site dialog's CDN group (its token to the keyring only) and a
run with "Also purge the CDN" against a loopback Cloudflare, its rows in the Step column."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from isr_desk.domain import CdnProvider, CdnSettings, PathPurge, SiteProfile
from isr_desk.services.sites import CDN_SERVICE, ProfileStore, SecretStore
from isr_desk.views.cdn_settings import TOKEN_STORED
from isr_desk.views.log_model import STEP
from isr_desk.views.profile_dialog import ProfileDialog
from tests.gui.conftest import WindowFactory
from tests.helpers.cdn import CF_TOKEN, ZONE, FakeCloudflare
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import LoopbackSite


def test_the_cdn_group_saves_settings_to_the_profile_and_the_token_to_the_keyring(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    store = ProfileStore(tmp_path / "p.json", secrets=SecretStore(memory_keyring))
    dialog = ProfileDialog(profiles=store, secrets=SecretStore(memory_keyring))
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Shop")
    dialog.url_edit.setText("https://shop.example.com")
    group = dialog.cdn
    assert not group.form.isRowVisible(group.zone_edit)
    group.provider_combo.setCurrentIndex(group.provider_combo.findData(CdnProvider.VERCEL))
    assert group.form.isRowVisible(group.project_edit)
    assert group.form.isRowVisible(group.note)
    assert "tag only" in group.note.text()
    group.provider_combo.setCurrentIndex(group.provider_combo.findData(CdnProvider.CLOUDFLARE))
    assert group.form.isRowVisible(group.zone_edit)
    assert not group.form.isRowVisible(group.note)
    group.zone_edit.setText(ZONE)
    group.purge_combo.setCurrentIndex(group.purge_combo.findData(PathPurge.PREFIXES))
    group.default_box.setChecked(True)
    group.token_button.click()
    token_dialog = group.token_dialog
    assert token_dialog is not None
    token_dialog.token_edit.setText(CF_TOKEN)
    with qtbot.waitSignal(token_dialog.token_stored, timeout=4000):
        token_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    with qtbot.waitSignal(dialog.profile_saved, timeout=4000) as saved:
        dialog.save()
    profile: SiteProfile = saved.args[0]
    assert profile.cdn == CdnSettings(
        CdnProvider.CLOUDFLARE, zone=ZONE, path_purge=PathPurge.PREFIXES, by_default=True
    )
    assert memory_keyring.passwords[(CDN_SERVICE, "Shop")] == CF_TOKEN
    assert CF_TOKEN not in (tmp_path / "p.json").read_text()
    assert store.get("Shop").cdn.zone == ZONE
    assert group.token_status.text() == TOKEN_STORED


def test_an_edit_shows_the_stored_cdn_and_whether_a_token_is_stored(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    secrets = SecretStore(memory_keyring)
    cdn = CdnSettings(CdnProvider.VERCEL, project="blog", team="t1")
    profile = SiteProfile("Blog", "https://blog.example.com", cdn=cdn)
    secrets.cdn_tokens().set("Blog", "vercel-token-xyz")
    dialog = ProfileDialog(profiles=ProfileStore(tmp_path / "p.json"), secrets=secrets,
                           profile=profile)  # fmt: skip
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.cdn.token_status.text() == TOKEN_STORED, timeout=3000)
    assert dialog.cdn.project_edit.text() == "blog"
    assert dialog.cdn.team_edit.text() == "t1"
    assert "vercel-token-xyz" not in dialog.cdn.token_status.text()  # never shown
    assert dialog.profile_from_fields().cdn == profile.cdn


def test_also_purge_the_cdn_runs_the_purge_and_shows_its_rows(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    site: LoopbackSite,
    make_window: WindowFactory,
    secrets: SecretStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeCloudflare() as api:
        monkeypatch.setenv("ISR_DESK_CLOUDFLARE_API", api.api)
        cdn = CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE)
        secrets.cdn_tokens().set("Blog", CF_TOKEN)
        window = make_window((SiteProfile("Blog", site.url, cdn=cdn), site.secret))
        box = window.log.cdn_box
        assert box.isVisibleTo(window)
        assert box.text() == "Also purge the CDN (Cloudflare)"
        assert not box.isChecked()
        assert window.log.table.isColumnHidden(STEP)
        box.setChecked(True)
        window.targets.type_box.setPlainText("/pricing")
        with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
            window.targets.refresh_button.click()
        window.log.model.flush()
        assert api.purged == [("files", [f"{site.url}/pricing"])]
    model = window.log.model
    steps = [(model.index(r, 2).data(), model.index(r, STEP).data(), model.index(r, 5).data())
             for r in range(model.rowCount())]  # fmt: skip
    assert steps == [
        ("/pricing", "origin", "Refreshed"),
        ("/pricing", "cdn: Cloudflare", "Purged from the CDN"),
    ]
    assert not window.log.table.isColumnHidden(STEP)
