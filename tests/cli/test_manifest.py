"""``isr-desk manifest NAME``: the installed command, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from isr_desk.domain import SiteProfile
from isr_desk.services.sites import ProfileStore
from tests.helpers.sites import LoopbackSite, Reply

FIXTURES = Path(__file__).parent.parent / "fixtures" / "manifests"
ISR_DESK = str(Path(sys.executable).parent / "isr-desk")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ISR_DESK, "manifest", *args],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=60,
        check=False,
    )


def _add(name: str, *, url: str = "https://blog.example.com", source: str | None = None) -> None:
    ProfileStore().add(SiteProfile(name=name, base_url=url, manifest_source=source))


def test_human_output_of_a_build() -> None:
    _add("blog", source=str(FIXTURES / "app-v4"))

    done = _run("blog")

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "next-build): 7 paths" in out
    assert "PATHS" in out
    assert "PATH" in out
    assert "REVALIDATE" in out
    line = next(x for x in out.splitlines() if x.startswith("/blog/hello "))
    # PATH, SENT AS ("=": the path as listed), PATTERN, REVALIDATE in words, ROUTER
    assert line.split()[:6] == ["/blog/hello", "=", "/blog/[slug]", "30.5", "seconds", "app"]
    assert line.endswith("posts, post:hello")
    assert "DYNAMIC ROUTES" in out
    assert any(x.split()[:3] == ["/shop/[id]", "app", "404"] for x in out.splitlines())
    tag_line = next(x for x in out.splitlines() if x.startswith("posts "))
    assert tag_line.split()[1] == "3"
    assert "implicit Next.js tags (_N_T_…) not shown: add --implicit" in out
    assert not any(x.startswith("_N_T_") for x in out.splitlines())
    # warnings go to stderr
    assert all(x.startswith("warning: ") for x in done.stderr.splitlines())
    assert "more than 128 tags" in done.stderr
    assert "MUST-NOT-LEAK" not in out + done.stderr


def test_implicit_tags_on_request() -> None:
    _add("blog", source=str(FIXTURES / "app-v4"))

    done = _run("blog", "--implicit")

    assert done.returncode == 0
    implicit = done.stdout.split("IMPLICIT TAGS")[1]
    assert any(x.split()[:2] == ["_N_T_/layout", "6"] for x in implicit.splitlines())


def test_json_output_with_source_override() -> None:
    _add("blog")  # no manifest source in the profile

    done = _run("blog", "--source", str(FIXTURES / "next12-v3"), "--json")

    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # exactly one JSON document
    assert doc["kind"] == "next-build"
    assert [p["path"] for p in doc["paths"]] == [
        "/",
        "/about",
        "/blog/first-post",
        "/blog/second-post",
    ]
    assert doc["paths"][1]["revalidate"] is False
    assert doc["paths"][2] == {
        "path": "/blog/first-post",
        "pattern": "/blog/[slug]",
        "revalidate": 60,
        "router": "pages",
        "tags": [],
        "implicit_tags": [],
        "revalidate_text": "1 minute",
        "send": {"revalidatePath": None, "res.revalidate": "/blog/first-post", "tag": None},
    }
    assert doc["routes"][1] == {
        "pattern": "/docs/[...path]",
        "router": "pages",
        "fallback": False,
        "send": None,  # res.revalidate takes exact paths only
    }
    assert doc["warnings"] == []
    assert "MUST-NOT-LEAK" not in done.stdout + done.stderr


def test_json_tags_flag_implicit() -> None:
    _add("blog", source=str(FIXTURES / "app-v4"))

    doc = json.loads(_run("blog", "--json").stdout)
    tags = {t["tag"]: t for t in doc["tags"]}

    assert tags["posts"] == {
        "tag": "posts",
        "implicit": False,
        "paths": ["/blog/caf%C3%A9", "/blog/hello", "/blog/quoted"],
    }
    assert tags["_N_T_/layout"]["implicit"] is True
    assert any("more than 128 tags" in w for w in doc["warnings"])


def test_relative_url_source_against_the_profile_base_url(site: LoopbackSite) -> None:
    doc = {"version": 1, "paths": [{"path": "/a", "tags": ["posts"], "revalidate": 60}]}
    site.on("/isr-manifest.json", lambda _rec: Reply(200, doc), repeat=True)
    _add("demo", url=site.url, source="/isr-manifest.json")

    done = _run("demo", "--json")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["paths"][0]["tags"] == ["posts"]
    assert site.count("/isr-manifest.json") == 1


@pytest.mark.parametrize(
    ("setup", "args", "words"),
    [
        (None, ("nope",), "No site named 'nope'"),
        ("blog", ("blog",), "has no manifest source"),
        ("blog", ("blog", "--source", str(FIXTURES / "next-dev")), "`next dev`"),
        ("blog", ("blog", "--source", str(FIXTURES / "billion-laughs.xml")), "entit"),
        ("blog", ("blog", "--source", str(FIXTURES)), "no Next.js build"),
    ],
)
def test_errors_exit_2_with_one_line(setup: str | None, args: tuple[str, ...], words: str) -> None:
    if setup:
        _add(setup)

    done = _run(*args)

    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert words in done.stderr
    assert "Traceback" not in done.stderr
    assert "MUST-NOT-LEAK" not in done.stderr


def test_404_url_exits_2(site: LoopbackSite) -> None:
    _add("demo", url=site.url, source=site.url + "/isr-manifest.json")

    done = _run("demo")

    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"isr-desk: {site.url}/isr-manifest.json: not found")
