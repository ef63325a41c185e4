"""``--header`` never stores a credential: ``site add``, ``site edit`` and an inline site's
``--header`` refuse a header whose name looks like one, naming it (never its value) and
pointing to the secret settings (docs/reliability.md, "Credential headers")."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from isr_desk.cli import main
from isr_desk.commands import Context
from isr_desk.domain import SiteProfile
from isr_desk.services.sites import ProfileStore, profile_to_dict
from tests.helpers.sites import LoopbackSite

VALUE = "cr3d-9f8e7d6c5b4a"
CREDENTIALS = [
    "Authorization: Bearer " + VALUE,
    "Proxy-Authorization: Basic " + VALUE,
    "Cookie: session=" + VALUE,
    "x-api-key: " + VALUE,
    "X-Auth-Token: " + VALUE,
    "X-Client-Secret: " + VALUE,
    "X-Vercel-Protection-Bypass: " + VALUE,
    "X-Accesstoken: " + VALUE,
]


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


def isr(*args: str) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), Context(stdout=out, stderr=err, stdin=io.StringIO()))
    return Ran(code, out.getvalue(), err.getvalue())


def _refused(ran: Ran, header: str) -> None:
    name = header.partition(":")[0]
    assert ran.code == 2
    assert f"The header {name!r} looks like a credential" in ran.stderr
    assert "--secret-in header --secret-name NAME" in ran.stderr
    assert "bearer preset" in ran.stderr
    assert VALUE not in ran.stdout + ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("header", CREDENTIALS)
def test_site_add_refuses_a_credential_header_and_stores_nothing(
    header: str, isr_home: Path
) -> None:
    _refused(isr("site", "add", "blog", "--url", "http://127.0.0.1:9", "--header", header), header)
    assert ProfileStore().list() == []
    assert not any(VALUE in p.read_text() for p in isr_home.rglob("*") if p.is_file())


def test_site_edit_refuses_one_and_an_ordinary_header_is_kept() -> None:
    added = isr("site", "add", "blog", "--url", "http://127.0.0.1:9", "--header", "X-Team: web")
    assert added.code == 0, added.stderr
    _refused(isr("site", "edit", "blog", "--header", CREDENTIALS[3]), CREDENTIALS[3])
    assert ProfileStore().get("blog").headers == (("X-Team", "web"),)
    cleared = isr("site", "edit", "blog", "--header", "")
    assert cleared.code == 0, cleared.stderr
    assert ProfileStore().get("blog").headers == ()


def test_a_header_without_a_colon_is_not_echoed() -> None:
    ran = isr("site", "add", "blog", "--url", "http://127.0.0.1:9", "--header", VALUE)
    assert ran.code == 2
    assert "NAME:VALUE" in ran.stderr
    assert VALUE not in ran.stderr


def test_an_inline_sites_credential_header_is_refused_before_anything_is_sent(
    site: LoopbackSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISR_TEST_SECRET", site.secret)
    ran = isr(
        "revalidate", "--url", site.url, "--secret-env", "ISR_TEST_SECRET", "--path", "/a",
        "--header", CREDENTIALS[0],
    )  # fmt: skip
    _refused(ran, CREDENTIALS[0])
    assert site.requests == []


def test_a_stored_credential_header_is_shown_and_listed_as_dots(isr_home: Path) -> None:
    legacy = SiteProfile("old", "http://127.0.0.1:9", headers=(("X-Api-Key", VALUE),))
    _store_as_before(legacy)
    shown = isr("site", "show", "old")
    assert shown.code == 0, shown.stderr
    assert "X-Api-Key: •••" in shown.stdout
    assert "'X-Api-Key' looks like a credential" in shown.stdout
    as_json = isr("site", "show", "old", "--json")
    assert json.loads(as_json.stdout)["headers"] == [["X-Api-Key", "•••"]]
    listed = isr("site", "list", "--json")
    assert json.loads(listed.stdout)["sites"][0]["headers"] == [["X-Api-Key", "•••"]]
    assert VALUE not in as_json.stdout + listed.stdout


def _store_as_before(profile: SiteProfile) -> None:
    """A profile file written before credential headers were refused."""
    path = ProfileStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 2, "profiles": [profile_to_dict(profile)]}))
