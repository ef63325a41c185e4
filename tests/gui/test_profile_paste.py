"""The add-site dialog: a pasted webhook URL or cURL command is split into address, route and
secret; the secret shows nowhere (field, preview, error); no hole when switching presets;
"Route path" hidden while an address template overrides it; an error goes once fixed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytestqt.qtbot import QtBot

from isr_desk.domain import Preset
from isr_desk.services.sites import ProfileStore, SecretStore
from isr_desk.views.profile_dialog import ProfileDialog
from tests.helpers.keyrings import MemoryKeyring

SECRET = "s3cret-pasted-value"


def _dialog(qtbot: QtBot, keyring: MemoryKeyring, tmp_path: Path) -> ProfileDialog:
    dialog = ProfileDialog(profiles=ProfileStore(tmp_path / "p.json"), secrets=SecretStore(keyring))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _shown_texts(dialog: ProfileDialog) -> str:
    return "\n".join(
        [dialog.url_edit.text(), dialog.preview.toPlainText(), dialog.error_label.text(),
         dialog.split_note.text(), dialog.secret_status.text(), dialog.path_edit.text()]
    )  # fmt: skip


def test_a_pasted_webhook_url_is_split_and_the_secret_goes_to_the_keyring(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, memory_keyring, tmp_path)
    dialog.name_edit.setText("Blog")
    dialog.url_edit.setText(f"https://blog.example.com/api/revalidate?secret={SECRET}")
    assert dialog.url_edit.text() == "https://blog.example.com"
    assert dialog.path_edit.text() == "/api/revalidate"
    assert dialog.preset_combo.currentData() == Preset.APP_ROUTER
    assert dialog.secret_edit.text() == SECRET  # in the password field only
    assert SECRET not in _shown_texts(dialog)
    assert "secret=•••" in dialog.preview.toPlainText()
    assert "stored in the keyring when you save" in dialog.split_note.text()
    with qtbot.waitSignal(dialog.profile_saved, timeout=3000):
        dialog.save()
    assert memory_keyring.get_password("isr-desk", "Blog") == SECRET


def test_a_pasted_curl_command_with_a_bearer_token(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, memory_keyring, tmp_path)
    dialog.url_edit.setText(
        f"curl -X POST https://shop.example.org/api/refresh -H 'Authorization: Bearer {SECRET}'"
    )
    assert dialog.url_edit.text() == "https://shop.example.org"
    assert dialog.preset_combo.currentData() == Preset.BEARER
    assert SECRET not in _shown_texts(dialog)


def test_presets_leave_no_hole_and_route_path_hides_under_a_template(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, memory_keyring, tmp_path)
    height = dialog.sizeHint().height()
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(Preset.CUSTOM))
    assert dialog.custom.isVisible()
    assert dialog.url_template_edit.text() == "{url}/api/revalidate"
    assert not dialog.path_edit.isVisible()  # the template decides the address
    dialog.url_template_edit.setText("")
    assert dialog.path_edit.isVisible()
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(Preset.APP_ROUTER))
    assert not dialog.custom.isVisible()
    assert dialog.path_edit.isVisible()
    assert dialog.sizeHint().height() <= height  # back to the size it had: no hole


def test_an_error_goes_once_its_field_is_fixed_and_never_shows_a_query(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, memory_keyring, tmp_path)
    dialog.name_edit.setText("Blog")
    dialog.url_edit.setText(f"ftp://blog.example.com/?key={SECRET}")
    dialog.save()
    qtbot.waitUntil(lambda: bool(dialog.error_label.text()), timeout=3000)
    assert SECRET not in dialog.error_label.text()
    assert SECRET not in dialog.preview.toPlainText()
    dialog.url_edit.setText("https://blog.example.com")
    assert dialog.error_label.text() == ""
