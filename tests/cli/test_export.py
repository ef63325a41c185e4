"""``site export``: stdout by default, ``-o FILE`` writes a file and never replaces one
without ``--force``, positional words are site names (docs/user-guide.md, "Export")."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from isr_desk.cli import main
from isr_desk.commands import Context
from isr_desk.domain import SiteProfile
from isr_desk.services.sites import ProfileStore


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


def isr(*args: str) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), Context(stdout=out, stderr=err, stdin=io.StringIO()))
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture
def two_sites() -> ProfileStore:
    store = ProfileStore()
    store.add(SiteProfile("demo", "http://127.0.0.1:9"))
    store.add(SiteProfile("blog", "http://127.0.0.1:8"))
    return store


def test_export_with_a_site_name_prints_that_site_and_writes_no_file(
    two_sites: ProfileStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    ran = isr("site", "export", "demo")
    assert ran.code == 0, ran.stderr
    assert [p["name"] for p in json.loads(ran.stdout)["profiles"]] == ["demo"]
    assert list(work.iterdir()) == []  # no file named "demo"
    everything = json.loads(isr("site", "export").stdout)
    assert {p["name"] for p in everything["profiles"]} == {"demo", "blog"}


def test_export_to_a_file_refuses_to_replace_one_without_force(
    two_sites: ProfileStore, tmp_path: Path
) -> None:
    target = tmp_path / "sites"
    first = isr("site", "export", "blog", "-o", str(target))
    assert first.code == 0, first.stderr
    assert not (tmp_path / "sites.json").exists()  # written as given, no extension added
    again = isr("site", "export", "-o", str(target))
    assert again.code == 2
    assert "exists already" in again.stderr
    assert "--force" in again.stderr
    assert [p["name"] for p in json.loads(target.read_text())["profiles"]] == ["blog"]
    forced = isr("site", "export", "-o", str(target), "--force")
    assert forced.code == 0, forced.stderr
    assert len(json.loads(target.read_text())["profiles"]) == 2
    assert ProfileStore(tmp_path / "other.json").import_(target)


def test_the_old_spelling_with_a_file_name_says_how_to_write_a_file(
    two_sites: ProfileStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    ran = isr("site", "export", "sites.json")
    assert ran.code == 2
    assert "No site named 'sites.json'" in ran.stderr
    assert "-o FILE" in ran.stderr
    assert list(work.iterdir()) == []
