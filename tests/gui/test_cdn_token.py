"""The CDN token as an editor meets it: "Set token…" opens a small dialog saying where to
create the token and which permission it needs, OK stores it in the keyring right then (or
says the keyring is unavailable and keeps the dialog open), and the group shows "Token stored
in your system keyring" with Replace… and Remove. A new site's token follows the name it is
saved under, and goes when its dialog is cancelled."""

from __future__ import annotations

import asyncio
from pathlib import Path

from keyring.errors import NoKeyringError
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from isr_desk.domain import CdnProvider, CdnSettings, SiteProfile
from isr_desk.services.sites import CDN_SERVICE, ProfileStore, SecretStore
from isr_desk.views.cdn_settings import NO_TOKEN, TOKEN_STORED, CdnSettingsGroup
from isr_desk.views.cdn_token_dialog import CdnTokenDialog
from isr_desk.views.profile_dialog import ProfileDialog
from tests.helpers.cdn import CF_TOKEN, ZONE
from tests.helpers.keyrings import MemoryKeyring


def _edit(qtbot: QtBot, secrets: SecretStore, tmp_path: Path, cdn: CdnSettings) -> ProfileDialog:
    profile = SiteProfile("Shop", "https://shop.example.com", cdn=cdn)
    store = ProfileStore(tmp_path / "p.json", secrets=secrets)
    store.add(profile)
    dialog = ProfileDialog(profiles=store, secrets=secrets, profile=profile)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.cdn.token_status.text() in (NO_TOKEN, TOKEN_STORED))
    return dialog


def _token_dialog(group: CdnSettingsGroup) -> CdnTokenDialog:
    group.token_button.click()
    assert group.token_dialog is not None
    return group.token_dialog


def _ok(qtbot: QtBot, dialog: CdnTokenDialog, token: str) -> None:
    dialog.token_edit.setText(token)
    with qtbot.waitSignal(dialog.token_stored, timeout=4000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_set_token_stores_it_on_ok_and_offers_replace_and_remove(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    secrets = SecretStore(memory_keyring)
    dialog = _edit(qtbot, secrets, tmp_path, CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE))
    group = dialog.cdn
    assert group.token_status.text() == NO_TOKEN
    assert group.token_button.text() == "Set token…"
    assert not group.remove_button.isVisibleTo(group)
    token_dialog = _token_dialog(group)
    assert token_dialog.token_edit.echoMode() == token_dialog.token_edit.EchoMode.Password
    assert "Zone → Cache Purge → Purge" in token_dialog.help.text()
    assert "My Profile → API Tokens" in token_dialog.help.text()
    assert ZONE in token_dialog.help.text()
    _ok(qtbot, token_dialog, CF_TOKEN)
    # In the keyring on OK, before the site dialog is saved:
    assert memory_keyring.passwords[(CDN_SERVICE, "Shop")] == CF_TOKEN
    assert group.token_status.text() == TOKEN_STORED
    assert group.token_button.text() == "Replace…"
    assert group.remove_button.isVisibleTo(group)
    replace = _token_dialog(group)
    assert replace.windowTitle() == "Replace the Cloudflare token"
    _ok(qtbot, replace, "cf-another_token")
    assert memory_keyring.passwords[(CDN_SERVICE, "Shop")] == "cf-another_token"
    group.remove_button.click()
    qtbot.waitUntil(lambda: (CDN_SERVICE, "Shop") not in memory_keyring.passwords)
    qtbot.waitUntil(lambda: group.token_button.text() == "Set token…")
    assert not group.remove_button.isVisibleTo(group)


def test_vercel_says_which_token_and_scope(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    cdn = CdnSettings(CdnProvider.VERCEL, project="shop-web")
    dialog = _edit(qtbot, SecretStore(memory_keyring), tmp_path, cdn)
    help_text = _token_dialog(dialog.cdn).help.text()
    assert "Account Tokens page (your account's Settings → Tokens" in help_text
    assert "scope" in help_text
    assert "“shop-web”" in help_text


def test_an_unavailable_keyring_is_said_and_the_dialog_stays_open(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    cdn = CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE)
    dialog = _edit(qtbot, SecretStore(memory_keyring), tmp_path, cdn)
    token_dialog = _token_dialog(dialog.cdn)
    memory_keyring.fail_with = NoKeyringError("No recommended backend was available.")
    token_dialog.token_edit.setText(CF_TOKEN)
    token_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(token_dialog.error.isVisible)
    assert token_dialog.error.text().startswith("The token was not stored. No system keyring")
    assert CF_TOKEN not in token_dialog.error.text()
    assert token_dialog.isVisible()
    assert dialog.cdn.token_status.text() == NO_TOKEN
    memory_keyring.fail_with = None


def test_a_new_sites_token_follows_its_saved_name_or_goes_on_cancel(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    secrets = SecretStore(memory_keyring)
    store = ProfileStore(tmp_path / "p.json", secrets=secrets)

    def new_dialog() -> ProfileDialog:
        dialog = ProfileDialog(profiles=store, secrets=secrets)
        qtbot.addWidget(dialog)
        group = dialog.cdn
        group.provider_combo.setCurrentIndex(group.provider_combo.findData(CdnProvider.CLOUDFLARE))
        group.zone_edit.setText(ZONE)
        dialog.url_edit.setText("https://shop.example.com")
        return dialog

    dialog = new_dialog()
    dialog.cdn.token_button.click()
    assert dialog.cdn.token_dialog is None
    assert "name first" in dialog.cdn.token_status.text()
    dialog.name_edit.setText("Shop")
    _ok(qtbot, _token_dialog(dialog.cdn), CF_TOKEN)
    dialog.name_edit.setText("Shop EU")
    with qtbot.waitSignal(dialog.profile_saved, timeout=4000):
        dialog.save()
    assert memory_keyring.passwords == {(CDN_SERVICE, "Shop EU"): CF_TOKEN}

    cancelled = new_dialog()
    cancelled.name_edit.setText("Draft")
    _ok(qtbot, _token_dialog(cancelled.cdn), "cf-draft_token")
    assert (CDN_SERVICE, "Draft") in memory_keyring.passwords
    cancelled.reject()
    qtbot.waitUntil(lambda: (CDN_SERVICE, "Draft") not in memory_keyring.passwords)
    assert memory_keyring.passwords == {(CDN_SERVICE, "Shop EU"): CF_TOKEN}


def test_changing_the_provider_says_the_token_goes_and_save_deletes_it(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    secrets = SecretStore(memory_keyring)
    secrets.cdn_tokens().set("Shop", CF_TOKEN)
    dialog = _edit(qtbot, secrets, tmp_path, CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE))
    group = dialog.cdn
    qtbot.waitUntil(lambda: group.token_status.text() == TOKEN_STORED)
    group.provider_combo.setCurrentIndex(group.provider_combo.findData(CdnProvider.VERCEL))
    assert group.token_status.text() == (
        "The Cloudflare token will be removed on save; set the Vercel token after"
    )
    group.project_edit.setText("shop-web")
    with qtbot.waitSignal(dialog.profile_saved, timeout=4000):
        dialog.save()
    assert (CDN_SERVICE, "Shop") not in memory_keyring.passwords


def test_back_to_the_same_provider_or_a_token_set_for_the_new_one_is_kept(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    secrets = SecretStore(memory_keyring)
    secrets.cdn_tokens().set("Shop", CF_TOKEN)
    dialog = _edit(qtbot, secrets, tmp_path, CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE))
    group = dialog.cdn
    qtbot.waitUntil(lambda: group.token_status.text() == TOKEN_STORED)
    group.provider_combo.setCurrentIndex(group.provider_combo.findData(CdnProvider.VERCEL))
    group.project_edit.setText("shop-web")
    _ok(qtbot, _token_dialog(group), "vc-new_token_0123")
    assert group.token_status.text() == TOKEN_STORED
    with qtbot.waitSignal(dialog.profile_saved, timeout=4000):
        dialog.save()
    assert memory_keyring.passwords[(CDN_SERVICE, "Shop")] == "vc-new_token_0123"


def test_cdn_none_deletes_the_token_on_save(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    secrets = SecretStore(memory_keyring)
    secrets.cdn_tokens().set("Shop", CF_TOKEN)
    dialog = _edit(qtbot, secrets, tmp_path, CdnSettings(CdnProvider.CLOUDFLARE, zone=ZONE))
    group = dialog.cdn
    qtbot.waitUntil(lambda: group.token_status.text() == TOKEN_STORED)
    group.provider_combo.setCurrentIndex(group.provider_combo.findData(CdnProvider.NONE))
    with qtbot.waitSignal(dialog.profile_saved, timeout=4000):
        dialog.save()
    assert (CDN_SERVICE, "Shop") not in memory_keyring.passwords
