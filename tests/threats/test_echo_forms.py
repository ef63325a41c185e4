"""Issue 15, item 3: a site echoing the secret in any common form leaks it nowhere.

A real loopback route answers 400 with the secret echoed HTML-escaped, PHP-JSON-escaped
(``\\/``, ``\\u00e9``), lower-case percent-encoded, base64, hex, upper-cased and NFD. A CLI
run with ``--json`` stores it in ``history.sqlite3`` and exports it; then every output, the
database and the exports are searched for each form. The database is 0600.
"""

from __future__ import annotations

import base64
import html
import io
import json
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import keyring
import pytest

from isr_desk import cli
from isr_desk.commands import Context
from isr_desk.domain import SiteProfile, redact_text
from isr_desk.services import logsafe
from isr_desk.services.history import HistoryStore
from isr_desk.services.sites import ProfileStore, SecretStore
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Reply

SECRET = "Café/s3cr<et>&ÜBER-key"


def echo_forms(secret: str) -> dict[str, str]:
    raw = secret.encode()
    return {
        "html": html.escape(secret),
        "php-json": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "lower-percent": quote(secret, safe="").lower(),
        "base64": base64.b64encode(raw).decode(),
        "hex": raw.hex(),
        "upper": secret.upper(),
        "nfd": unicodedata.normalize("NFD", secret),
    }


@pytest.fixture
def keyring_backend() -> Iterator[object]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
    logsafe.forget_all()


@pytest.mark.parametrize("form", sorted(echo_forms(SECRET)))
def test_redact_text_catches_each_echo_form(form: str) -> None:
    text = f"invalid token {echo_forms(SECRET)[form]} in request"
    assert redact_text(text, SECRET) == "invalid token ••• in request"


def test_echoed_secret_reaches_no_output_history_or_export(
    keyring_backend: object, isr_home: Path, tmp_path: Path
) -> None:
    forms = echo_forms(SECRET)
    body = "\n".join(f"{name}: {value}" for name, value in forms.items())
    with LoopbackSite(secret=SECRET) as site:
        site.on(REVALIDATE_PATH, Reply(400, body), repeat=True)
        store = ProfileStore(secrets=SecretStore())
        store.add(SiteProfile("echo", site.url, retries=0))
        SecretStore().set("echo", SECRET)
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(
            ["--debug", "revalidate", "echo", "--path", "/a", "--json"],
            Context(stdout=out, stderr=err),
        )
    assert code == 1
    csv_file, json_file = tmp_path / "run.csv", tmp_path / "run.json"
    with HistoryStore() as history:
        run_id = history.runs()[0].id
        history.export_csv(run_id, csv_file)
        history.export_json(run_id, json_file)
        db = history.path
    places = {
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "csv": csv_file.read_text(),
        "json": json_file.read_text(),
    }
    for path in db.parent.iterdir():
        if path.name.startswith(db.name):
            places[path.name] = path.read_bytes().decode("utf-8", "replace")
    leaks = [
        f"{form} in {where}"
        for where, text in places.items()
        for form, value in forms.items()
        if value.lower() in text.lower()
    ]
    assert leaks == []
    assert "•••" in places["stdout"]
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
