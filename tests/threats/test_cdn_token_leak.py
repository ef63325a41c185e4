"""A CDN API token goes to the keyring and the CDN's API, nowhere else.

A site with a Cloudflare CDN is added with its token from the environment (real keyring),
runs purge with ``--debug`` logging, ``--json`` and JUnit against an API that succeeds and
one that echoes the token back in its error, the history is exported as CSV and JSON and the
site exported; then every file under ``$ISR_DESK_HOME``, the exports and every captured
output are searched for the token in raw, URL-encoded and JSON-escaped form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import keyring
import pytest

from isr_desk.services.sites import CDN_SERVICE
from tests.cli.test_sites import isr
from tests.helpers.cdn import ZONE, FakeCloudflare, cf_envelope
from tests.helpers.sites import LoopbackSite, Reply

TOKEN = "cfT0ken-LEAKME_9f8e7d6c5b4a3"


def _forms(token: str) -> set[str]:
    return {token, quote(token, safe=""), json.dumps(token)[1:-1]}


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudflare]:
    with FakeCloudflare(token=TOKEN) as fake:
        monkeypatch.setenv("ISR_DESK_CLOUDFLARE_API", fake.api)
        monkeypatch.setenv("CDN_TOKEN", TOKEN)
        yield fake


def test_the_cdn_token_is_in_no_file_log_export_or_output(
    site: LoopbackSite,
    api: FakeCloudflare,
    unique_name: str,
    real_keyring: object,
    isr_home: Path,
    tmp_path: Path,
) -> None:
    outputs: list[str] = []

    def run(*args: str, stdin: str | None = None) -> int:
        out = isr(*args, stdin=stdin)
        outputs.extend([out.stdout, out.stderr])
        return out.returncode

    assert run("site", "add", unique_name, "--url", site.url, "--secret-stdin", "--cdn",
               "cloudflare", "--cdn-zone", ZONE, "--cdn-token-env", "CDN_TOKEN",
               stdin=site.secret) == 0  # fmt: skip
    try:
        assert keyring.get_password(CDN_SERVICE, unique_name) == TOKEN
        assert run("--debug", "revalidate", unique_name, "--path", "/a", "--tag", "t",
                   "--purge-cdn", "--json", "--junit", str(tmp_path / "ok.xml")) == 0  # fmt: skip
        echo = Reply(400, cf_envelope(False, (1001, f"Invalid token {TOKEN} for zone")))
        api.on(api.purge_path, echo, echo)
        assert run("--debug", "revalidate", unique_name, "--path", "/b", "--tag", "u",
                   "--purge-cdn", "--junit", str(tmp_path / "echo.xml")) == 1  # fmt: skip
        assert run("site", "show", unique_name) == 0
        assert run("site", "show", unique_name, "--json") == 0
        assert run("site", "export", "-o", str(tmp_path / "sites.json")) == 0
        history = json.loads(isr("history", "--json").stdout)
        for record in history["runs"]:
            for suffix in ("csv", "json"):
                assert run("history", "export", str(record["id"]),
                           str(tmp_path / f"run-{record['id']}.{suffix}")) == 0  # fmt: skip
    finally:
        run("site", "remove", unique_name)
    assert keyring.get_password(CDN_SERVICE, unique_name) is None
    assert any("HTTP Request: POST" in text for text in outputs)  # the debug log did run
    files = [p for p in [*isr_home.rglob("*"), *tmp_path.rglob("*")] if p.is_file()]
    exported = "".join(p.read_text() for p in files if p.name.startswith("run-"))
    assert "Invalid token ••• for zone" in exported  # the echo was kept, redacted
    assert any(p.name == "profiles.json" for p in files)
    assert any(p.suffix == ".csv" for p in files)
    for form in _forms(TOKEN):
        for text in outputs:
            assert form not in text
        for path in files:  # the history database and its WAL included
            assert form.encode() not in path.read_bytes(), path
