"""The installed ``isr-desk`` as a subprocess: sites, secrets, revalidate, exit statuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Reply

ISR = str(Path(sys.executable).with_name("isr-desk"))


def isr(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ISR, *args], input=stdin, capture_output=True, text=True, env=os.environ, timeout=120
    )


@pytest.fixture
def named_site(site: LoopbackSite, unique_name: str, real_keyring: object) -> str:
    out = isr("site", "add", unique_name, "--url", site.url, "--secret-stdin", stdin=site.secret)
    assert out.returncode == 0, out.stderr
    yield unique_name
    isr("site", "remove", unique_name)


def test_add_show_list_and_no_secret_in_any_file(
    named_site: str, site: LoopbackSite, isr_home: Path
) -> None:
    shown = isr("site", "show", named_site)
    assert "stored in the system keyring" in shown.stdout
    assert "secret=•••" in shown.stdout
    listed = json.loads(isr("site", "list", "--json").stdout)
    assert [s["name"] for s in listed["sites"]] == [named_site]
    for path in isr_home.rglob("*"):
        if path.is_file():
            assert site.secret.encode() not in path.read_bytes(), path


def test_revalidate_one_path_and_a_thousand_from_a_file(
    named_site: str, site: LoopbackSite, tmp_path: Path
) -> None:
    one = isr("revalidate", named_site, "--path", "/blog/a", "--json")
    assert one.returncode == 0, one.stderr
    lines = [json.loads(line) for line in one.stdout.splitlines()]
    assert lines[0] == {
        **lines[0],
        "kind": "path",
        "target": "/blog/a",
        "ok": True,
        "status": 200,
        "attempts": 1,
        "error": None,
        "hint": None,
    }
    assert lines[-1]["summary"]["ok"] == 1
    listing = tmp_path / "paths.txt"
    listing.write_text("# posts\n" + "\n".join(f"/p/{i}" for i in range(1000)) + "\ntag:posts\n")
    bulk = isr(
        "revalidate", named_site, "--from-file", str(listing), "--json", "--concurrency", "16"
    )
    assert bulk.returncode == 0, bulk.stderr
    results = [json.loads(line) for line in bulk.stdout.splitlines()]
    assert len(results) == 1002
    assert results[-1]["summary"]["total"] == 1001
    assert results[-1]["summary"]["ok"] == 1001
    assert "tag:posts" in site.revalidated


def test_a_failing_target_exits_1_with_the_hint(named_site: str, site: LoopbackSite) -> None:
    site.on(REVALIDATE_PATH, Reply(401, {"message": "Invalid token"}))
    out = isr("revalidate", named_site, "--path", "/a", "--retries", "0")
    assert out.returncode == 1
    assert "Wrong secret" in out.stdout
    assert "ask your developer" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("revalidate", "no-such-site", "--path", "/a"), "No site named"),
        (("site", "add", "x", "--url", "ftp://nope"), "not a web address"),
        (("revalidate",), "Which site?"),
        (("site", "import", "/nonexistent/file.json"), "does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(
    args: tuple[str, ...], message: str
) -> None:
    out = isr(*args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_missing_secret_is_exit_2(
    site: LoopbackSite, unique_name: str, real_keyring: object
) -> None:
    assert isr("site", "add", unique_name, "--url", site.url).returncode == 0
    out = isr("revalidate", unique_name, "--path", "/a")
    assert out.returncode == 2
    assert "No secret is stored" in out.stderr


def test_export_import_round_trip(named_site: str, tmp_path: Path, site: LoopbackSite) -> None:
    target = tmp_path / "export.json"
    assert isr("site", "export", "-o", str(target)).returncode == 0
    assert site.secret not in target.read_text()
    assert isr("site", "import", str(target)).returncode == 2  # exists already
    assert isr("site", "import", str(target), "--replace").returncode == 0


def test_secret_set_and_clear_via_stdin(named_site: str, site: LoopbackSite) -> None:
    assert isr("secret", "clear", named_site).returncode == 0
    assert isr("revalidate", named_site, "--path", "/a").returncode == 2
    assert isr("secret", "set", named_site, "--stdin", stdin=site.secret + "\n").returncode == 0
    assert isr("revalidate", named_site, "--path", "/a").returncode == 0


def test_every_printed_result_survives_a_kill_9(
    named_site: str, site: LoopbackSite, tmp_path: Path
) -> None:
    site.latency = 0.02
    listing = tmp_path / "paths.txt"
    listing.write_text("\n".join(f"/p/{i}" for i in range(2000)))
    with subprocess.Popen(
        [
            ISR,
            "revalidate",
            named_site,
            "--from-file",
            str(listing),
            "--json",
            "--concurrency",
            "2",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ,
    ) as proc:
        assert proc.stdout is not None
        printed = [proc.stdout.readline() for _ in range(30)]
        proc.kill()
        proc.wait(timeout=30)
        printed += proc.stdout.readlines()  # whatever was already in the pipe
    seen = {json.loads(line)["target"] for line in printed if line.strip()}
    runs = json.loads(isr("history", "--json").stdout)["runs"]
    assert runs[0]["status"] == "interrupted"
    export = tmp_path / "run.json"
    assert isr("history", "export", str(runs[0]["id"]), str(export)).returncode == 0
    stored = {r["target"] for r in json.loads(export.read_text())["results"]}
    assert seen <= stored
    assert len(stored) < 2000
