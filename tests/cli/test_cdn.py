"""``isr-desk site add/edit/show --cdn …`` and ``revalidate --purge-cdn`` as subprocesses, with
the real keyring and a loopback Cloudflare/Vercel (tests/helpers/cdn.py) in the API's place.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from isr_desk.services.sites import CDN_SERVICE
from tests.cli.test_sites import isr
from tests.helpers.cdn import (
    CF_TOKEN,
    ZONE,
    FakeCloudflare,
    FakeVercel,
    cf_envelope,
    cf_rate_limited,
)
from tests.helpers.sites import LoopbackSite, Reply


@pytest.fixture
def cloudflare(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudflare]:
    with FakeCloudflare() as api:
        monkeypatch.setenv("ISR_DESK_CLOUDFLARE_API", api.api)
        monkeypatch.setenv("CF_TOKEN", CF_TOKEN)
        yield api


@pytest.fixture
def cdn_site(
    site: LoopbackSite, unique_name: str, real_keyring: object, cloudflare: FakeCloudflare
) -> Iterator[str]:
    out = isr("site", "add", unique_name, "--url", site.url, "--secret-stdin",
              "--cdn", "cloudflare", "--cdn-zone", ZONE, "--cdn-token-env", "CF_TOKEN",
              stdin=site.secret)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Cloudflare API token stored in the system keyring." in out.stdout
    yield unique_name
    isr("site", "remove", unique_name)


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_site_show_gives_the_cdn_and_whether_a_token_is_stored_never_the_token(
    cdn_site: str, isr_home: Path
) -> None:
    shown = isr("site", "show", cdn_site)
    assert f"CDN:         Cloudflare: zone {ZONE}, paths purged as urls" in shown.stdout
    assert "CDN token:   stored in the system keyring" in shown.stdout
    as_json = json.loads(isr("site", "show", cdn_site, "--json").stdout)
    assert as_json["cdn"]["zone"] == ZONE
    assert as_json["cdn_token"] == "stored in the system keyring"
    assert keyring.get_password(CDN_SERVICE, cdn_site) == CF_TOKEN
    exported = isr_home / "export.json"
    assert isr("site", "export", "-o", str(exported)).returncode == 0
    for path in [*isr_home.rglob("*"), exported]:
        if path.is_file():
            assert CF_TOKEN.encode() not in path.read_bytes(), path
    assert CF_TOKEN not in shown.stdout + json.dumps(as_json)


def test_revalidate_purge_cdn_prints_cdn_rows_of_the_same_run(
    cdn_site: str, site: LoopbackSite, cloudflare: FakeCloudflare
) -> None:
    out = isr("revalidate", cdn_site, "--path", "/a", "--tag", "posts", "--purge-cdn", "--json")
    assert out.returncode == 0, out.stderr
    lines = _lines(out.stdout)
    steps = [(line["step"], line["target"], line["ok"]) for line in lines if "step" in line]
    assert sorted(steps[:2]) == [("origin", "/a", True), ("origin", "posts", True)]
    assert steps[2:] == [("cdn: Cloudflare", "posts", True), ("cdn: Cloudflare", "/a", True)]
    cdn = lines[-2]["cdn"]
    assert isinstance(cdn, dict)
    assert (cdn["step"], cdn["ok"], cdn["failed"]) == ("cdn: Cloudflare", 2, 0)
    assert "summary" in lines[-1]
    assert cloudflare.purged == [("tags", ["posts"]), ("files", [f"{site.url}/a"])]
    history = json.loads(isr("history", "--json").stdout)
    assert history["runs"][0]["ok"] == 2  # the run's counts are the origin's


def test_a_refused_token_fails_the_run_with_the_hint(
    cdn_site: str, cloudflare: FakeCloudflare, tmp_path: Path
) -> None:
    cloudflare.token = "another"
    report = tmp_path / "junit.xml"
    out = isr("revalidate", cdn_site, "--path", "/a", "--purge-cdn", "--junit", str(report))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert re.fullmatch(r"ok   200 /a  Refreshed  \d+ ms", lines[0])
    assert re.fullmatch(r"FAIL 403 /a \[cdn: Cloudflare\]  Wrong secret  \d+ ms", lines[1])
    assert lines[2] == "     Cloudflare: 10000 Authentication error"  # what the API said
    assert "API token" in lines[3]
    assert "Cache Purge" in lines[3]
    assert lines[4].startswith("CDN (cdn: Cloudflare): 0 of 1 purged, 1 failed")
    names = [case.get("name") for case in ET.parse(report).iter("testcase")]
    assert names == ["/a", "cdn: Cloudflare: /a"]


def test_a_site_purging_by_default_and_no_purge_cdn(
    cdn_site: str, site: LoopbackSite, cloudflare: FakeCloudflare
) -> None:
    assert isr("site", "edit", cdn_site, "--cdn-by-default").returncode == 0
    assert isr("revalidate", cdn_site, "--path", "/a").returncode == 0
    assert isr("revalidate", cdn_site, "--path", "/b", "--no-purge-cdn").returncode == 0
    assert cloudflare.purged == [("files", [f"{site.url}/a"])]


def test_dry_run_shows_the_cdn_calls_without_a_token(cdn_site: str) -> None:
    out = isr("revalidate", cdn_site, "--path", "/a", "--tag", "t", "--purge-cdn", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "cdn: Cloudflare: purge 1 tags: t" in out.stdout
    assert re.search(r"cdn: Cloudflare: purge 1 files: http://127\.0\.0\.1:\d+/a", out.stdout)


def test_editing_to_none_clears_the_cdn_and_remove_deletes_the_token(
    cdn_site: str, real_keyring: object
) -> None:
    assert isr("site", "edit", cdn_site, "--cdn", "none").returncode == 0
    assert "CDN:         none" in isr("site", "show", cdn_site).stdout
    out = isr("revalidate", cdn_site, "--path", "/a", "--purge-cdn")
    assert out.returncode == 2
    assert "has no CDN set" in out.stderr
    assert isr("site", "remove", cdn_site).returncode == 0
    assert keyring.get_password(CDN_SERVICE, cdn_site) is None


def test_settings_without_a_provider_or_a_vercel_project_are_refused(
    unique_name: str, site: LoopbackSite, real_keyring: object
) -> None:
    out = isr("site", "add", unique_name, "--url", site.url, "--cdn-zone", ZONE)
    assert out.returncode == 2
    assert "CDN settings need a provider" in out.stderr
    out = isr("site", "add", unique_name, "--url", site.url, "--cdn", "vercel")
    assert out.returncode == 2
    assert "needs its project" in out.stderr
    assert "--cdn-project" in out.stderr


def test_site_edit_to_vercel_without_a_project_names_the_flag(cdn_site: str) -> None:
    out = isr("site", "edit", cdn_site, "--cdn", "vercel")
    assert out.returncode == 2
    assert "A Vercel CDN needs its project (id or name): give --cdn-project" in out.stderr
    assert "Traceback" not in out.stderr


def test_an_inline_ci_site_purges_vercel_with_the_token_from_the_environment(
    site: LoopbackSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeVercel(project="shop") as api:
        monkeypatch.setenv("ISR_DESK_VERCEL_API", api.url)
        monkeypatch.setenv("REVALIDATE_SECRET", site.secret)
        monkeypatch.setenv("VERCEL_TOKEN", api.token)
        site.on("/api/revalidate", Reply(200, {"revalidated": True}))
        out = isr("revalidate", "--url", site.url, "--secret-env", "REVALIDATE_SECRET",
                  "--cdn", "vercel", "--cdn-project", "shop", "--cdn-token-env", "VERCEL_TOKEN",
                  "--purge-cdn", "--tag", "posts", "--json")  # fmt: skip
        assert out.returncode == 0, out.stdout + out.stderr
        assert api.purged == [("production", ["posts"])]
        assert api.token not in out.stdout + out.stderr


def test_the_progress_line_shows_the_cdn_step_from_its_progress_event(
    cdn_site: str, cloudflare: FakeCloudflare
) -> None:
    out = isr("revalidate", cdn_site, "--path", "/a", "--tag", "posts", "--purge-cdn",
              "--progress", "always")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "left  Purging Cloudflare: batch 1 of 2…" in out.stderr, out.stderr
    assert "4/4  " in out.stderr
    assert "Purging Cloudflare: batch 2 of 2…" in out.stderr


def test_changing_the_provider_removes_the_old_token_so_it_never_reaches_the_other_api(
    cdn_site: str, site: LoopbackSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeVercel(project="p") as vercel:
        monkeypatch.setenv("ISR_DESK_VERCEL_API", vercel.api)
        out = isr("site", "edit", cdn_site, "--cdn", "vercel", "--cdn-project", "p")
        assert out.returncode == 0, out.stderr
        assert (
            f"The Cloudflare token was removed from the system keyring; set the Vercel token "
            f"with `isr-desk site edit {cdn_site} --cdn-token-env VAR`." in out.stdout
        )
        assert keyring.get_password(CDN_SERVICE, cdn_site) is None
        ran = isr("revalidate", cdn_site, "--tag", "posts", "--purge-cdn")
        assert CF_TOKEN not in json.dumps([r.headers for r in vercel.requests])
        assert vercel.requests == []
        assert ran.returncode != 0
        assert "Traceback" not in ran.stderr


def test_cdn_none_removes_the_token(cdn_site: str) -> None:
    out = isr("site", "edit", cdn_site, "--cdn", "none")
    assert out.returncode == 0, out.stderr
    assert "The Cloudflare token was removed from the system keyring." in out.stdout
    assert keyring.get_password(CDN_SERVICE, cdn_site) is None
    assert "CDN:         none" in isr("site", "show", cdn_site).stdout


def test_the_same_provider_keeps_its_token(cdn_site: str) -> None:
    out = isr("site", "edit", cdn_site, "--cdn", "cloudflare", "--cdn-purge", "prefixes")
    assert out.returncode == 0, out.stderr
    assert "removed" not in out.stdout
    assert keyring.get_password(CDN_SERVICE, cdn_site) == CF_TOKEN


def test_vercel_paths_are_not_purged_yet_not_failures_exit_0_and_junit_skips_them(
    site: LoopbackSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with FakeVercel(project="shop") as api:
        monkeypatch.setenv("ISR_DESK_VERCEL_API", api.url)
        monkeypatch.setenv("REVALIDATE_SECRET", site.secret)
        monkeypatch.setenv("VERCEL_TOKEN", api.token)
        site.on("/api/revalidate", Reply(200, {"revalidated": True}))
        report = tmp_path / "report.xml"
        out = isr("revalidate", "--url", site.url, "--secret-env", "REVALIDATE_SECRET",
                  "--cdn", "vercel", "--cdn-project", "shop", "--cdn-token-env", "VERCEL_TOKEN",
                  "--purge-cdn", "--tag", "posts", "--path", "/a", "--path", "/b",
                  "--junit", str(report))  # fmt: skip
        assert out.returncode == 0, out.stdout + out.stderr
        assert api.purged == [("production", ["posts"])]
        assert (
            "CDN (cdn: Vercel): 1 of 1 purged, 0 failed, 2 not purged: Vercel purges tags only"
            in out.stdout
        )
        assert "FAIL" not in out.stdout
        assert re.search(r"^skip --- /a \[cdn: Vercel\]", out.stdout, re.MULTILINE), out.stdout
        suite = ET.parse(report).getroot().find("testsuite")
        assert suite is not None
        assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "2")


def test_text_output_shows_what_the_api_said_sanitised_and_capped(
    cdn_site: str, cloudflare: FakeCloudflare
) -> None:
    long = "Invalid url \x1b[31mred " + "x" * 400
    cloudflare.on(cloudflare.purge_path, Reply(400, cf_envelope(False, (1012, long))),
                  cf_rate_limited("90"))  # fmt: skip
    out = isr("revalidate", cdn_site, "--path", "/a", "--tag", "posts", "--purge-cdn")
    assert out.returncode == 1
    said = [
        line.strip() for line in out.stdout.splitlines() if line.startswith("     Cloudflare: ")
    ]
    assert said[0].startswith("Cloudflare: 1012 Invalid url \\x1b[31mred xxx")
    assert said[0].endswith("…")
    assert len(said[0]) <= len("Cloudflare: ") + 200
    assert "\x1b" not in out.stdout
    assert said[1] == (
        "Cloudflare: the API asks to wait 90 s, longer than the 65 s ISR Desk waits at once"
    )


def test_history_gives_the_cdn_steps_counts_beside_the_origins(
    cdn_site: str, cloudflare: FakeCloudflare
) -> None:
    cloudflare.token = "another"  # every CDN row fails
    out = isr("revalidate", cdn_site, "--path", "/a", "--path", "/b", "--tag", "t", "--purge-cdn")
    assert out.returncode == 1
    listed = isr("history").stdout.splitlines()
    assert listed[1].endswith("finished; CDN: 0 purged, 3 failed"), listed
    run = json.loads(isr("history", "--json").stdout)["runs"][0]
    assert (run["failed"], run["cdn_ok"], run["cdn_failed"], run["cdn_not_supported"]) == (
        0, 0, 3, 0)  # fmt: skip
