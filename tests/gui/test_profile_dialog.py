"""The site dialog: the secret goes to the keyring only; the preview never shows it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
from pytestqt.qtbot import QtBot

from isr_desk.domain import Preset, SiteProfile
from isr_desk.services.sites import SERVICE, ProfileStore, SecretStore
from isr_desk.views.profile_dialog import NO_SECRET, SECRET_STORED, ProfileDialog
from tests.helpers.keyrings import MemoryKeyring

SECRET = "tok-3f9a7c1e-do-not-leak"


def _fill(dialog: ProfileDialog, name: str, url: str, secret: str = "") -> None:
    dialog.name_edit.setText(name)
    dialog.url_edit.setText(url)
    dialog.secret_edit.setText(secret)


def test_adding_a_site_stores_the_secret_in_the_real_keyring_only(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    real_keyring: Any,
    unique_name: str,
    isr_home: Path,
) -> None:
    store = ProfileStore(secrets=SecretStore())
    dialog = ProfileDialog(profiles=store, secrets=SecretStore())
    qtbot.addWidget(dialog)
    _fill(dialog, unique_name, "https://blog.example.com/", SECRET)
    try:
        with qtbot.waitSignal(dialog.profile_saved, timeout=4000) as saved:
            dialog.save()
        assert saved.args[0].base_url == "https://blog.example.com"
        assert keyring.get_password(SERVICE, unique_name) == SECRET
        text = (isr_home / "profiles.json").read_text(encoding="utf-8")
        assert unique_name in text
        assert SECRET not in text
        assert store.get(unique_name).name == unique_name
    finally:
        SecretStore().delete(unique_name)


def test_preview_follows_the_preset_and_hides_the_secret(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = ProfileDialog(
        profiles=ProfileStore(tmp_path / "p.json"), secrets=SecretStore(memory_keyring)
    )
    qtbot.addWidget(dialog)
    _fill(dialog, "Blog", "https://blog.example.com", SECRET)
    preview = dialog.preview.toPlainText()
    assert preview.startswith("POST https://blog.example.com/api/revalidate?secret=•••")
    assert '{"path": "/blog/hello-world"}' in preview
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(Preset.BEARER))
    assert "Authorization: Bearer •••" in dialog.preview.toPlainText()
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(Preset.PAGES_ROUTER))
    assert "cannot purge cache tags" in dialog.preview.toPlainText()
    assert SECRET not in dialog.preview.toPlainText()
    assert not dialog.custom.isVisibleTo(dialog)


def test_edit_shows_whether_a_secret_is_stored_never_the_secret(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    secrets = SecretStore(memory_keyring)
    store = ProfileStore(tmp_path / "p.json", secrets=secrets)
    profile = store.add(SiteProfile("Blog", "https://blog.example.com"))
    secrets.set("Blog", SECRET)
    dialog = ProfileDialog(profiles=store, secrets=secrets, profile=profile)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.secret_status.text() == SECRET_STORED, timeout=3000)
    assert dialog.secret_edit.text() == ""
    dialog.forget_button.click()
    qtbot.waitUntil(lambda: dialog.secret_status.text() == NO_SECRET, timeout=3000)
    assert secrets.get("Blog") is None


def test_a_locked_keyring_is_explained_inline(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    memory_keyring.fail_with = keyring.errors.KeyringLocked("locked")
    store = ProfileStore(tmp_path / "p.json", secrets=SecretStore(memory_keyring))
    dialog = ProfileDialog(profiles=store, secrets=SecretStore(memory_keyring))
    qtbot.addWidget(dialog)
    _fill(dialog, "Blog", "https://blog.example.com", SECRET)
    with qtbot.waitSignal(dialog.profile_saved, timeout=3000):
        dialog.save()
    assert "keyring is locked" in dialog.secret_status.text()
    assert "Unlock it" in dialog.secret_status.text()
    assert "secret was not stored" in dialog.error_label.text()


def test_invalid_fields_are_reported_and_nothing_is_saved(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    store = ProfileStore(tmp_path / "p.json")
    dialog = ProfileDialog(profiles=store, secrets=SecretStore(memory_keyring))
    qtbot.addWidget(dialog)
    _fill(dialog, "Blog", "ftp://nope")
    dialog.save()
    qtbot.waitUntil(lambda: "not a web address" in dialog.error_label.text(), timeout=3000)
    assert store.list() == []


def test_the_dialog_keeps_a_sites_proxy_ca_bundle_and_rate_limit(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    store = ProfileStore(tmp_path / "p.json")
    site = SiteProfile("Intranet", "https://wiki.corp.example", rate_limit=600,
                       proxy="http://proxy.corp:3128", ca_bundle="/etc/corp/ca.pem")  # fmt: skip
    store.add(site)
    dialog = ProfileDialog(profiles=store, secrets=SecretStore(memory_keyring), profile=site)
    qtbot.addWidget(dialog)
    assert dialog.profile_from_fields() == site  # shown as stored
    dialog.proxy_edit.setText("direct")
    dialog.ca_edit.setText("")
    dialog.rate_spin.setValue(0)
    with qtbot.waitSignal(dialog.profile_saved, timeout=4000):
        dialog.save()
    saved = store.get("Intranet")
    assert (saved.proxy, saved.ca_bundle, saved.rate_limit) == ("direct", None, 0)
    dialog = ProfileDialog(profiles=store, secrets=SecretStore(memory_keyring), profile=saved)
    qtbot.addWidget(dialog)
    dialog.proxy_edit.setText("http://user:pw@proxy.corp:3128")
    dialog.save()
    qtbot.waitUntil(lambda: "password" in dialog.error_label.text(), timeout=3000)
    assert store.get("Intranet").proxy == "direct"
