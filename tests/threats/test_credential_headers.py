"""A credential in a site's extra headers never reaches a file, an export, a log line, the
history, the request box or a cURL command (docs/reliability.md, "Credential headers").

New ones are refused where they are entered (the CLI in tests/cli/test_credential_headers.py,
the dialog and an import here); one stored before they were refused keeps being sent — the
site still works — and is shown as ``•••`` everywhere else. Real parts: a loopback site, the
CLI in-process, the history database, the site dialog.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from isr_desk.cli import main
from isr_desk.commands import Context
from isr_desk.domain import REDACTED, Endpoint, Preset, SiteProfile, Target
from isr_desk.services import logsafe
from isr_desk.services.errors import InvalidProfileError
from isr_desk.services.sites import (
    ProfileStore,
    SecretStore,
    build_request,
    preview_request,
    profile_to_dict,
    to_curl,
)
from isr_desk.views.profile_dialog import ProfileDialog
from tests.gui.conftest import qloop  # noqa: F401 - the qasync loop fixture the dialog needs
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import LoopbackSite

VALUE = "hdr-cr3d-4a5b6c7d8e9f"


def isr(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), Context(stdout=out, stderr=err, stdin=io.StringIO()))
    return code, out.getvalue(), err.getvalue()


def _store_as_before(*profiles: SiteProfile) -> ProfileStore:
    """A profile file written before credential headers were refused."""
    store = ProfileStore()
    store.path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": 2, "profiles": [profile_to_dict(p) for p in profiles]}
    store.path.write_text(json.dumps(data))
    return store


def test_a_stored_credential_header_is_sent_but_never_exported_logged_or_recorded(
    site: LoopbackSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isr_home: Path
) -> None:
    headers = (("X-Api-Key", VALUE), ("X-Team", "web"))
    _store_as_before(SiteProfile("old", site.url, headers=headers, retries=0))
    monkeypatch.setenv("ISR_TEST_SECRET", site.secret)
    code, out, err = isr("--debug", "revalidate", "old", "--secret-env", "ISR_TEST_SECRET",
                         "--path", "/a", "--json")  # fmt: skip
    assert code == 0, err
    assert site.requests[-1].headers["x-api-key"] == VALUE  # the site still works
    dry = isr("revalidate", "old", "--secret-env", "ISR_TEST_SECRET", "--path", "/a", "--dry-run")
    assert "X-Api-Key: •••" in dry[1]

    exported = tmp_path / "sites.json"
    code, _, warned = isr("site", "export", "-o", str(exported))
    assert code == 0
    assert "header 'X-Api-Key' of site 'old' was left out" in warned
    (kept,) = json.loads(exported.read_text())["profiles"]
    assert kept["headers"] == [["X-Team", "web"]]
    stdout_export = isr("site", "export")[1]
    run_id = json.loads(isr("history", "--json")[1])["runs"][0]["id"]
    history = tmp_path / "run.json"
    assert isr("history", "export", str(run_id), str(history))[0] == 0
    assert "•••" in history.read_text()

    outputs = [out, err, *dry, warned, stdout_export, exported.read_text(), history.read_text()]
    assert not [text for text in outputs if VALUE in str(text)]
    leaking = [
        p for p in isr_home.rglob("*")
        if p.is_file() and p.name != "profiles.json" and VALUE.encode() in p.read_bytes()
    ]  # fmt: skip
    assert leaking == []  # the history database (and its WAL) included


def test_an_import_with_a_credential_header_is_refused_whole(tmp_path: Path) -> None:
    incoming = tmp_path / "sites.json"
    cookie = (("Cookie", "sid=" + VALUE),)
    sites = [
        SiteProfile("a", "http://127.0.0.1:9"),
        SiteProfile("b", "http://127.0.0.1:9", headers=cookie),
    ]
    incoming.write_text(json.dumps({"version": 2, "profiles": [profile_to_dict(p) for p in sites]}))
    store = ProfileStore()
    with pytest.raises(InvalidProfileError) as caught:
        store.import_(incoming)
    assert caught.value.message.startswith(f"{incoming}: The header 'Cookie' of site 'b'")
    assert VALUE not in caught.value.describe()
    assert store.list() == []


def test_the_request_box_curl_and_logs_blank_a_stored_credential_header() -> None:
    legacy = SiteProfile("old", "https://s.example", endpoint=_bearer(),
                         headers=(("X-Auth-Token", VALUE),))  # fmt: skip
    shown = preview_request(legacy)
    assert ("X-Auth-Token", REDACTED) in shown.headers
    assert ("Authorization", "Bearer •••") in shown.headers  # the secret's own place stays
    request = build_request(legacy, Target.path("/a"), "the-real-secret")
    copied = to_curl(request, secret="the-real-secret")
    assert "Authorization: Bearer the-real-secret" in copied
    assert "X-Auth-Token: •••" in copied  # not the site's secret, never the header's value
    assert VALUE not in to_curl(request)
    line = logging.LogRecord(
        "x", logging.INFO, __file__, 1, f"sent X-Auth-Token: {VALUE}", (), None
    )
    assert VALUE not in logsafe.RedactingFormatter().format(line)
    cookie = f"headers=[('Cookie', 'sid={VALUE}')]"
    assert VALUE not in logsafe.scrub(cookie.replace("sid=", ""))


def _bearer() -> Endpoint:
    return Endpoint(preset=Preset.BEARER)


@pytest.mark.usefixtures("qloop")
def test_the_dialog_refuses_a_credential_header_and_shows_a_stored_one_as_dots(
    qtbot: QtBot, memory_keyring: MemoryKeyring
) -> None:
    store = _store_as_before(
        SiteProfile("old", "https://s.example", headers=(("Authorization", "Basic " + VALUE),))
    )
    dialog = ProfileDialog(profiles=store, secrets=SecretStore(memory_keyring),
                           profile=store.get("old"))  # fmt: skip
    qtbot.addWidget(dialog)
    assert dialog.headers_edit.toPlainText() == "Authorization: •••"
    assert VALUE not in dialog.preview.toPlainText()
    assert "The header 'Authorization' looks like a credential" in dialog.preview.toPlainText()
    dialog.save()
    qtbot.waitUntil(lambda: "looks like a credential" in dialog.error_label.text(), timeout=3000)
    assert "keyring" in dialog.error_label.text()
    dialog.headers_edit.setPlainText("X-Team: web")
    with qtbot.waitSignal(dialog.profile_saved, timeout=4000):
        dialog.save()
    assert store.get("old").headers == (("X-Team", "web"),)
    assert VALUE not in store.path.read_text()

    fresh = ProfileDialog(profiles=store, secrets=SecretStore(memory_keyring))
    qtbot.addWidget(fresh)
    fresh.name_edit.setText("new")
    fresh.url_edit.setText("https://n.example")
    fresh.headers_edit.setPlainText(f"x-api-key: {VALUE}")
    fresh.save()
    qtbot.waitUntil(lambda: "'x-api-key' looks like" in fresh.error_label.text(), timeout=3000)
    assert [p.name for p in store.list()] == ["old"]
