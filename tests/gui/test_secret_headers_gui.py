"""Secret headers in the window: the site dialog's "Secret headers" list (Add, Set value…,
Remove) stores the names in the profile and the values in the real keyring only; a run sends
them to the site and every widget shows ``•••`` (docs/reliability.md, "Credential headers")."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import keyring
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from isr_desk.domain import REDACTED, Endpoint, Preset, SiteProfile
from isr_desk.services.sites import HEADERS_SERVICE, ProfileStore, SecretHeaders, SecretStore
from isr_desk.views.profile_dialog import ProfileDialog
from isr_desk.views.secret_headers_box import NEW_VALUE, STORED
from tests.gui.conftest import WindowFactory
from tests.gui.test_details import _log_texts, all_texts
from tests.helpers.sites import LoopbackSite, Recorded, Reply

HEADER = "x-vercel-protection-bypass"
VALUE = "bypass-gui-8a7b6c5d4e3f"


def _items(dialog: ProfileDialog) -> list[str]:
    box = dialog.secret_headers.list
    return [box.item(i).text() for i in range(box.count())]


def test_the_dialog_keeps_the_name_in_the_profile_and_the_value_in_the_keyring(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, real_keyring: Any, unique_name: str,
    isr_home: Path,
) -> None:  # fmt: skip
    store = ProfileStore(secrets=SecretStore())
    dialog = ProfileDialog(profiles=store, secrets=SecretStore())
    qtbot.addWidget(dialog)
    dialog.name_edit.setText(unique_name)
    dialog.url_edit.setText("https://blog.example.com")
    group = dialog.secret_headers
    group.name_edit.setText(HEADER)
    group.add_button.click()
    assert group.value_edit.isVisibleTo(group)  # a new header asks its value at once
    group.value_edit.setText(VALUE)
    assert _items(dialog) == [f"{HEADER}: {REDACTED} ({NEW_VALUE})"]
    try:
        with qtbot.waitSignal(dialog.profile_saved, timeout=4000) as saved:
            dialog.save()
        assert saved.args[0].secret_headers == (HEADER,)
        assert json.loads(keyring.get_password(HEADERS_SERVICE, unique_name) or "") == {
            HEADER: VALUE
        }
        assert VALUE not in (isr_home / "profiles.json").read_text(encoding="utf-8")

        edit = ProfileDialog(profiles=store, secrets=SecretStore(), profile=saved.args[0])
        qtbot.addWidget(edit)
        qtbot.waitUntil(lambda: _items(edit) == [f"{HEADER}: {REDACTED} ({STORED})"], timeout=3000)
        assert f"{HEADER}: {REDACTED}" in edit.preview.toPlainText()
        texts = [*_items(edit), edit.preview.toPlainText(), *all_texts(edit)]
        assert not [t for t in texts if VALUE in t]
        edit.secret_headers.list.setCurrentRow(0)
        edit.secret_headers.remove_button.click()
        with qtbot.waitSignal(edit.profile_saved, timeout=4000) as again:
            edit.save()
        assert again.args[0].secret_headers == ()
        assert keyring.get_password(HEADERS_SERVICE, unique_name) is None
    finally:
        store.remove(unique_name)


def test_a_bad_name_is_refused_in_the_group(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, secrets: SecretStore, store: ProfileStore
) -> None:
    dialog = ProfileDialog(profiles=store, secrets=secrets)
    qtbot.addWidget(dialog)
    dialog.secret_headers.name_edit.setText("x bypass: 1")
    dialog.secret_headers.add_button.click()
    assert "is not an HTTP header name" in dialog.secret_headers.status.text()
    assert _items(dialog) == []


def test_a_run_sends_it_and_the_request_box_shows_dots(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite,
    make_window: WindowFactory, secrets: SecretStore,
) -> None:  # fmt: skip
    profile = SiteProfile("Blog", site.url, secret_headers=(HEADER,))
    SecretHeaders(secrets.header_entries()).set("Blog", HEADER, VALUE)
    window = make_window((profile, site.secret))
    window.targets.type_box.setPlainText("/blog/a")
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        window.targets.refresh_button.click()
    assert site.revalidated == ["path:/blog/a"]
    assert site.requests[-1].headers.get(HEADER) == VALUE
    window.log.model.flush()
    with qtbot.waitSignal(window.log.row_selected):
        window.log.table.selectRow(0)
    assert f"{HEADER}: {REDACTED}" in window.details.request.toPlainText()
    texts = all_texts(window) + _log_texts(window)
    assert not [t for t in texts if VALUE in t]


def test_the_window_loads_a_protected_sites_manifest_with_it(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite,
    make_window: WindowFactory, secrets: SecretStore,
) -> None:  # fmt: skip
    manifest = {"version": 1, "paths": [{"path": "/blog/a"}]}

    def protected(rec: Recorded) -> Reply:
        if rec.headers.get(HEADER) != VALUE:
            return Reply(401, "Authentication Required")  # Vercel's answer without the bypass
        return Reply(200, manifest)

    site.on("/m.json", protected, repeat=True)
    profile = SiteProfile("Blog", site.url, manifest_source=f"{site.url}/m.json",
                          secret_headers=(HEADER,))  # fmt: skip
    SecretHeaders(secrets.header_entries()).set("Blog", HEADER, VALUE)
    window = make_window((profile, site.secret))
    qtbot.waitUntil(lambda: window.targets.manifest is not None, timeout=4000)
    assert [p.path for p in window.targets.manifest.paths] == ["/blog/a"]


def test_copy_with_secret_leaves_a_secret_header_as_dots(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, site: LoopbackSite,
    make_window: WindowFactory, secrets: SecretStore,
) -> None:  # fmt: skip
    bearer = SiteProfile("Blog", site.url, endpoint=Endpoint(preset=Preset.BEARER),
                         secret_headers=(HEADER,))  # fmt: skip
    SecretHeaders(secrets.header_entries()).set("Blog", HEADER, VALUE)
    window = make_window((bearer, site.secret))
    window.targets.type_box.setPlainText("/blog/a")
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000):
        window.targets.refresh_button.click()
    window.log.model.flush()
    with qtbot.waitSignal(window.log.row_selected):
        window.log.table.selectRow(0)
    with qtbot.waitSignal(window.details.secret_warning_shown) as shown:
        window.details.copy_secret_button.click()
    go = next(b for b in shown.args[0].buttons() if b.text() == "Copy with secret")
    with qtbot.waitSignal(window.details.copied, timeout=3000):
        go.click()
    command = QGuiApplication.clipboard().text()
    QGuiApplication.clipboard().clear()
    assert f"'Authorization: Bearer {site.secret}'" in command
    assert f"'{HEADER}: {REDACTED}'" in command  # not the site's secret, not its own value
    assert VALUE not in command
