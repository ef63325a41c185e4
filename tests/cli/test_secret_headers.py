"""Secret headers (``site add/edit --secret-header``): the names in the profile, the values in
the real keyring only, sent on every request to the site (revalidation, verify fetches, its
manifest URL), shown as ``•••``; a rename, duplicate or removal of the site moves, copies or
deletes them (docs/reliability.md, "Credential headers")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from isr_desk.services.sites import HEADERS_SERVICE, ProfileStore
from tests.cli.test_sites import isr
from tests.helpers.sites import LoopbackSite, Reply

BYPASS = "vercel-Bypass-7f6e5d4c3b2a19"
COOKIE = "gate=c00kie-2a3b4c5d"
HEADER = "x-vercel-protection-bypass"
PAGE = Reply(200, "<html>a</html>", {"Content-Type": "text/html"})
MANIFEST = {"version": 1, "paths": [{"path": "/a", "tags": ["posts"]}], "tags": [{"tag": "posts"}]}


@pytest.fixture
def protected(
    site: LoopbackSite, unique_name: str, real_keyring: object, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A stored site with a manifest on its own origin and one secret header (from the env)."""
    monkeypatch.setenv("BYPASS", BYPASS)
    site.on("/m.json", Reply(200, MANIFEST), repeat=True)
    site.on("/a", lambda rec: PAGE if rec.path == "/a" else site.answer(rec), repeat=True)
    manifest = f"{site.url}/m.json"
    out = isr("site", "add", unique_name, "--url", site.url, "--manifest", manifest,
              "--secret-header-env", f"{HEADER}=BYPASS", "--secret-stdin",
              stdin=site.secret)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert f"Secret header '{HEADER}' stored in the system keyring" in out.stdout
    yield unique_name
    isr("site", "remove", unique_name)


def test_the_value_is_in_the_keyring_and_the_name_in_the_profile(
    protected: str, isr_home: Path
) -> None:
    assert json.loads(keyring.get_password(HEADERS_SERVICE, protected) or "") == {HEADER: BYPASS}
    assert ProfileStore().get(protected).secret_headers == (HEADER,)
    for path in isr_home.rglob("*"):
        if path.is_file():
            assert BYPASS.encode() not in path.read_bytes(), path


def test_every_request_to_the_site_carries_it(protected: str, site: LoopbackSite) -> None:
    out = isr("revalidate", protected, "--tag", "posts", "--path", "/a", "--verify")
    assert out.returncode == 0, out.stderr
    paths = {r.path for r in site.requests}
    assert {"/m.json", "/a", "/api/revalidate"} <= paths  # manifest, page fetches, the route
    for request in site.requests:
        assert request.headers.get(HEADER) == BYPASS, request.path
    assert BYPASS not in out.stdout + out.stderr


def test_it_is_shown_as_dots_everywhere(protected: str) -> None:
    shown = isr("site", "show", protected)
    assert f"{HEADER}: ••• (stored in the system keyring)" in shown.stdout
    data = json.loads(isr("site", "show", protected, "--json").stdout)
    assert data["secret_headers"] == [HEADER]
    assert data["secret_header_values"] == {HEADER: "stored in the system keyring"}
    dry = isr("revalidate", protected, "--path", "/a", "--dry-run")
    assert f"  {HEADER}: •••" in dry.stdout
    exported = json.loads(isr("site", "export", protected).stdout)
    assert exported["profiles"][0]["secret_headers"] == [HEADER]  # the name, never the value
    for text in (shown.stdout, json.dumps(data), dry.stdout, json.dumps(exported)):
        assert BYPASS not in text


def test_rename_duplicate_and_remove_move_copy_and_delete_the_values(protected: str) -> None:
    renamed, copy = protected + "-new", protected + "-copy"
    try:
        assert isr("site", "edit", protected, "--rename", renamed).returncode == 0
        assert keyring.get_password(HEADERS_SERVICE, protected) is None
        assert json.loads(keyring.get_password(HEADERS_SERVICE, renamed) or "") == {HEADER: BYPASS}
        ProfileStore().duplicate(renamed, copy)
        assert json.loads(keyring.get_password(HEADERS_SERVICE, copy) or "") == {HEADER: BYPASS}
        assert isr("site", "remove", renamed).returncode == 0
        assert keyring.get_password(HEADERS_SERVICE, renamed) is None
    finally:
        isr("site", "remove", copy)
        isr("site", "remove", renamed)
    assert keyring.get_password(HEADERS_SERVICE, copy) is None


def test_edit_adds_and_removes_secret_headers(
    protected: str, site: LoopbackSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATE", COOKIE)
    out = isr("site", "edit", protected, "--secret-header-env", "Cookie=GATE")
    assert out.returncode == 0, out.stderr
    stored = json.loads(keyring.get_password(HEADERS_SERVICE, protected) or "")
    assert stored == {HEADER: BYPASS, "Cookie": COOKIE}
    assert isr("revalidate", protected, "--path", "/a").returncode == 0
    assert site.requests[-1].headers.get("cookie") == COOKIE
    out = isr("site", "edit", protected, "--remove-secret-header", HEADER)
    assert out.returncode == 0, out.stderr
    assert f"Secret header '{HEADER}' removed" in out.stdout
    assert json.loads(keyring.get_password(HEADERS_SERVICE, protected) or "") == {"Cookie": COOKIE}
    assert ProfileStore().get(protected).secret_headers == ("Cookie",)
    assert isr("revalidate", protected, "--path", "/a").returncode == 0
    assert HEADER not in site.requests[-1].headers


def test_a_missing_value_stops_the_run_before_anything_is_sent(
    protected: str, site: LoopbackSite
) -> None:
    keyring.delete_password(HEADERS_SERVICE, protected)
    out = isr("revalidate", protected, "--path", "/a")
    assert out.returncode == 2
    assert f"No value is stored for the secret header '{HEADER}'" in out.stderr
    assert f"site edit {protected} --secret-header {HEADER}" in out.stderr
    assert not any(r.path == "/api/revalidate" for r in site.requests)


def test_the_prompt_needs_a_terminal_and_a_missing_variable_saves_nothing(
    site: LoopbackSite, unique_name: str, real_keyring: object
) -> None:
    out = isr("site", "add", unique_name, "--url", site.url, "--secret-header", HEADER)
    assert out.returncode == 2
    assert f"--secret-header-env {HEADER}=VAR" in out.stderr
    out = isr("site", "add", unique_name, "--url", site.url,
              "--secret-header-env", f"{HEADER}=ISR_DESK_NOT_SET")  # fmt: skip
    assert out.returncode == 2
    assert "ISR_DESK_NOT_SET is not set" in out.stderr
    assert unique_name not in ProfileStore().names()
    assert keyring.get_password(HEADERS_SERVICE, unique_name) is None


def test_a_credential_header_refusal_points_to_secret_headers(isr_home: Path) -> None:
    out = isr("site", "add", "blog", "--url", "http://127.0.0.1:9",
              "--header", f"{HEADER}: {BYPASS}")  # fmt: skip
    assert out.returncode == 2
    assert f"--secret-header {HEADER.upper()}" not in out.stderr
    assert "site edit NAME --secret-header HEADER" in out.stderr
    assert BYPASS not in out.stdout + out.stderr


def test_doctor_sends_it_to_the_site_too(protected: str, site: LoopbackSite) -> None:
    out = isr("doctor", protected)
    assert site.requests, out.stderr
    for request in site.requests:
        assert request.headers.get(HEADER) == BYPASS, request.path
    assert BYPASS not in out.stdout + out.stderr
