"""A secret header's value goes to the keyring and the site's own origin, nowhere else.

A stored site with ``x-vercel-protection-bypass`` (real keyring) runs with ``--debug``,
``--json``, ``--verify`` and JUnit against a site that echoes the value back in its answer;
the history is exported, the site shown and exported, a dry run printed; then every file
under ``$ISR_DESK_HOME``, the exports and every output are searched for the value (raw,
URL-encoded, JSON-escaped). Then other origins — all on 127.0.0.1, another port — are shown
never to receive it: a manifest on another host, a manifest or a page that redirects to
another origin, and the CDN's API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import keyring
import pytest

from isr_desk.services.sites import HEADERS_SERVICE
from tests.cli.test_sites import isr
from tests.helpers.cdn import ZONE, FakeCloudflare
from tests.helpers.sites import FakeSite, LoopbackSite, Reply

VALUE = "bypass-LEAKME_5e4d3c2b1a09"
HEADER = "x-vercel-protection-bypass"
MANIFEST = {"version": 1, "paths": [{"path": "/a", "tags": ["posts"]}], "tags": [{"tag": "posts"}]}
PAGE = Reply(200, "<html>a</html>", {"Content-Type": "text/html"})


def _forms(value: str) -> set[str]:
    return {value, quote(value, safe=""), json.dumps(value)[1:-1]}


@pytest.fixture
def other() -> Iterator[FakeSite]:
    """Another origin (127.0.0.1, another port): it must never see the value."""
    with FakeSite() as server:
        server.on("/m.json", Reply(200, MANIFEST), repeat=True)
        server.on("/a", PAGE, repeat=True)
        yield server


def _add(name: str, site: LoopbackSite, *extra: str) -> None:
    out = isr("site", "add", name, "--url", site.url, "--secret-header-env",
              f"{HEADER}=BYPASS", "--secret-stdin", *extra, stdin=site.secret)  # fmt: skip
    assert out.returncode == 0, out.stderr


@pytest.fixture(autouse=True)
def _value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYPASS", VALUE)


def test_the_value_is_in_no_file_log_export_history_or_output(
    site: LoopbackSite, unique_name: str, real_keyring: object, isr_home: Path, tmp_path: Path
) -> None:
    outputs: list[str] = []

    def run(*args: str) -> int:
        out = isr(*args)
        outputs.extend([out.stdout, out.stderr])
        return out.returncode

    site.on("/m.json", Reply(200, MANIFEST), repeat=True)
    echo = {"revalidated": True, "now": 1, "seen": {HEADER: VALUE}, "quoted": quote(VALUE)}
    answer = Reply(200, echo, {"X-Echo": VALUE})
    site.on("/api/revalidate", answer, repeat=True)
    site.on("/a", lambda rec: PAGE if rec.method == "GET" else answer, repeat=True)
    _add(unique_name, site, "--manifest", f"{site.url}/m.json")
    try:
        assert run("--debug", "revalidate", unique_name, "--tag", "posts", "--verify",
                   "--json", "--junit", str(tmp_path / "run.xml")) == 0  # fmt: skip
        assert run("--debug", "revalidate", unique_name, "--path", "/a") == 0
        assert run("revalidate", unique_name, "--path", "/a", "--dry-run") == 0
        assert run("site", "show", unique_name) == 0
        assert run("site", "show", unique_name, "--json") == 0
        assert run("site", "export", "-o", str(tmp_path / "sites.json")) == 0
        assert run("manifest", unique_name, "--json") == 0
        history = json.loads(isr("history", "--json").stdout)
        for record in history["runs"]:
            for suffix in ("csv", "json"):
                assert run("history", "export", str(record["id"]),
                           str(tmp_path / f"run-{record['id']}.{suffix}")) == 0  # fmt: skip
    finally:
        run("site", "remove", unique_name)
    assert keyring.get_password(HEADERS_SERVICE, unique_name) is None
    assert all(r.headers.get(HEADER) == VALUE for r in site.requests)  # it was sent
    assert any("HTTP Request: POST" in text for text in outputs)  # the debug log did run
    files = [p for p in [*isr_home.rglob("*"), *tmp_path.rglob("*")] if p.is_file()]
    exported = "".join(p.read_text() for p in files if p.name.startswith("run-"))
    assert "•••" in exported  # the echo was kept, redacted
    assert any(p.name == "profiles.json" for p in files)
    for form in _forms(VALUE):
        for text in outputs:
            assert form not in text
        for path in files:  # the history database and its WAL included
            assert form.encode() not in path.read_bytes(), path


def test_a_manifest_on_another_host_or_redirected_there_never_gets_it(
    site: LoopbackSite, other: FakeSite, unique_name: str, real_keyring: object
) -> None:
    _add(unique_name, site, "--manifest", f"{other.url}/m.json")
    try:
        assert isr("manifest", unique_name, "--json").returncode == 0
        site.on("/m.json", Reply(302, b"", {"Location": f"{other.url}/m.json"}), repeat=True)
        edit = isr("site", "edit", unique_name, "--manifest", f"{site.url}/m.json")
        assert edit.returncode == 0, edit.stderr
        out = isr("revalidate", unique_name, "--tag", "posts")  # the tag check loads it
        assert out.returncode == 0, out.stderr
        assert "warning" not in out.stderr  # the list loaded, through the redirect
    finally:
        isr("site", "remove", unique_name)
    assert [r.path for r in other.requests] == ["/m.json", "/m.json"]
    assert site.requests
    assert all(r.headers.get(HEADER) == VALUE for r in site.requests)
    assert all(HEADER not in r.headers for r in other.requests)


def test_a_page_redirected_to_another_origin_never_gets_it(
    site: LoopbackSite, other: FakeSite, unique_name: str, real_keyring: object
) -> None:
    site.on("/a", lambda rec: Reply(302, b"", {"Location": f"{other.url}/a"})
            if rec.method == "GET" else site.answer(rec), repeat=True)  # fmt: skip
    _add(unique_name, site)
    try:
        out = isr("revalidate", unique_name, "--path", "/a", "--verify")
        assert out.returncode == 0, out.stderr
    finally:
        isr("site", "remove", unique_name)
    assert other.requests, "verify followed the redirect"
    assert all(HEADER not in r.headers for r in other.requests)
    assert all(r.headers.get(HEADER) == VALUE for r in site.requests)


def test_the_cdn_api_never_gets_it(
    site: LoopbackSite, unique_name: str, real_keyring: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeCloudflare(token="cf-token-123") as api:
        monkeypatch.setenv("ISR_DESK_CLOUDFLARE_API", api.api)
        monkeypatch.setenv("CDN_TOKEN", "cf-token-123")
        _add(unique_name, site, "--cdn", "cloudflare", "--cdn-zone", ZONE,
             "--cdn-token-env", "CDN_TOKEN")  # fmt: skip
        try:
            out = isr("revalidate", unique_name, "--path", "/a", "--purge-cdn")
            assert out.returncode == 0, out.stderr
        finally:
            isr("site", "remove", unique_name)
        assert api.requests
        assert all(HEADER not in r.headers for r in api.requests)
    assert all(r.headers.get(HEADER) == VALUE for r in site.requests)
