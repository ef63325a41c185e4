"""The command line in CI and scripts: a site without a stored profile, the secret from the
environment, JUnit reports, quiet output, the progress line, dry runs, ``site edit``, help.

Every run goes to a real loopback site (tests/helpers/sites); ``main`` runs in-process
with its streams captured, the way the installed ``isr-desk`` runs it.
"""

from __future__ import annotations

import contextlib
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from isr_desk.cli import main
from isr_desk.commands import Context
from isr_desk.commands._progress import Progress, format_eta
from isr_desk.domain import SiteProfile
from isr_desk.services.sites import ProfileStore
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Reply

SECRET_VAR = "ISR_TEST_REVALIDATE_SECRET"


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def isr(*args: str, stdin: str = "", tty: bool = False) -> Ran:
    out, err = io.StringIO(), (_Tty() if tty else io.StringIO())
    code = main(list(args), Context(stdout=out, stderr=err, stdin=io.StringIO(stdin)))
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture
def secret_env(site: LoopbackSite, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(SECRET_VAR, site.secret)
    return SECRET_VAR


# --- a site given inline, the secret from the environment, JUnit ---------------------------


def test_an_inline_site_with_the_secret_in_the_environment_writes_a_junit_report(
    site: LoopbackSite, secret_env: str, tmp_path: Path, isr_home: Path
) -> None:
    report = tmp_path / "revalidate.xml"
    ran = isr(
        "revalidate", "--url", site.url, "--preset", "bearer", "--secret-env", secret_env,
        "--path", "/blog/a", "--tag", "posts", "--junit", str(report), "--quiet",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert ran.stdout.splitlines() == [ran.stdout.strip()]  # --quiet: the summary line only
    assert ran.stdout.startswith("2 of 2 refreshed, 0 failed")
    assert sorted(site.revalidated) == ["path:/blog/a", "tag:posts"]
    assert all(r.headers["authorization"] == f"Bearer {site.secret}" for r in site.requests)
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "0", "0")
    assert {c.get("name") for c in suite.iter("testcase")} == {"/blog/a", "tag:posts"}
    assert site.secret not in report.read_text()
    assert not ProfileStore().list()  # nothing was stored
    assert not list((isr_home).glob("profiles*"))


def test_failed_targets_are_failed_tests_and_failures_only_prints_only_them(
    site: LoopbackSite, secret_env: str
) -> None:
    ok, down = Reply(200, {"revalidated": True}), Reply(500, {"message": "boom"})
    site.on(REVALIDATE_PATH, ok, down)
    junit = isr(
        "revalidate", "--url", site.url, "--secret-env", secret_env, "--retries", "0",
        "--concurrency", "1", "--path", "/a", "--path", "/b", "--format", "junit",
    )  # fmt: skip
    assert junit.code == 1
    root = ET.fromstring(junit.stdout)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["/a"].find("failure") is None
    failure = cases["/b"].find("failure")
    assert failure is not None
    assert "500" in (failure.get("message") or "")
    assert failure.text is not None
    assert "boom" in failure.text

    site.on(REVALIDATE_PATH, ok, down)
    text = isr(
        "revalidate", "--url", site.url, "--secret-env", secret_env, "--retries", "0",
        "--concurrency", "1", "--path", "/a", "--path", "/b", "--failures-only",
    )  # fmt: skip
    assert text.code == 1
    lines = text.stdout.splitlines()
    assert lines[0].startswith("FAIL 500 /b")
    assert not any(line.startswith("ok ") for line in lines)
    assert lines[-1].startswith("1 of 2 refreshed, 1 failed")


def test_a_site_file_without_a_store(site: LoopbackSite, secret_env: str, tmp_path: Path) -> None:
    file = tmp_path / "sites.json"
    profiles = [{"name": "blog", "base_url": site.url}, {"name": "other", "base_url": site.url}]
    file.write_text(json.dumps({"version": 1, "profiles": profiles}))
    ran = isr(
        "revalidate", "blog", "--site-file", str(file), "--secret-env", secret_env,
        "--path", "/a", "--json",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert json.loads(ran.stdout.splitlines()[-1])["summary"]["ok"] == 1
    which = isr("revalidate", "--site-file", str(file), "--secret-env", secret_env, "--path", "/")
    assert which.code == 2
    assert "has 2 sites" in which.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "has no stored secret"),
        (("--secret-env", "ISR_TEST_UNSET_VARIABLE"), "ISR_TEST_UNSET_VARIABLE is not set"),
    ],
)
def test_an_inline_site_needs_a_secret_flag(
    site: LoopbackSite, extra: tuple[str, ...], message: str
) -> None:
    ran = isr("revalidate", "--url", site.url, "--path", "/a", *extra)
    assert ran.code == 2
    assert message in ran.stderr
    assert "Traceback" not in ran.stderr
    assert site.requests == []


# --- dry run ---------------------------------------------------------------------------------


def test_a_dry_run_prints_the_requests_with_the_secret_blanked_and_sends_nothing(
    site: LoopbackSite, secret_env: str
) -> None:
    ran = isr(
        "revalidate", "--url", site.url, "--secret-env", secret_env, "--path", "/a",
        "--tag", "posts", "--instance", site.url, "--instance", "http://127.0.0.1:9", "--dry-run",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert site.requests == []
    assert site.secret not in ran.stdout
    lines = ran.stdout.splitlines()
    assert lines.count(f"POST {site.url}/api/revalidate?secret=•••") == 2
    assert lines.count("POST http://127.0.0.1:9/api/revalidate?secret=•••") == 2
    assert '  {"path": "/a"}' in lines
    assert lines[-1] == "Dry run: 4 request(s) for 2 target(s); nothing sent."
    # No secret at all is needed to check a command.
    bare = isr("revalidate", "--url", site.url, "--preset", "bearer", "--path", "/a", "--dry-run")
    assert bare.code == 0
    assert "  Authorization: Bearer •••" in bare.stdout.splitlines()


# --- the progress line ---------------------------------------------------------------------


def test_the_progress_line_goes_to_stderr_and_leaves_json_lines_alone(
    site: LoopbackSite, secret_env: str
) -> None:
    paths = [arg for i in range(20) for arg in ("--path", f"/p/{i}")]
    ran = isr(
        "revalidate", "--url", site.url, "--secret-env", secret_env, *paths, "--json",
        tty=True,
    )  # fmt: skip
    assert ran.code == 0
    rows = [json.loads(line) for line in ran.stdout.splitlines()]  # every line is JSON
    assert len(rows) == 21
    assert "\r20/20" in ran.stderr  # the last state was drawn ...
    assert ran.stderr.endswith("\r")  # ... and cleared at the end
    quiet = isr("revalidate", "--url", site.url, "--secret-env", secret_env, *paths, "--quiet")
    assert quiet.stderr == ""  # not a terminal: no progress line (auto)


def test_the_progress_line_says_done_total_rate_and_time_left() -> None:
    now = [100.0]
    stream = io.StringIO()
    progress = Progress(10, stream, enabled=True, clock=lambda: now[0])
    now[0] = 102.0
    progress.update(5, 1)
    assert progress.last == "5/10  2.5/s  0:02 left  1 failed"
    now[0] = 102.05
    progress.update(6, 1)  # within 0.1 s of the last draw: not redrawn
    assert progress.last.startswith("5/10")
    progress.clear()
    assert stream.getvalue().endswith("\r" + " " * len(progress.last) + "\r")
    assert format_eta(3725) == "1:02:05"
    assert Progress(5, io.StringIO(), enabled=False).enabled is False


# --- site edit, flag names, help ------------------------------------------------------------


def test_site_edit_changes_only_the_given_settings() -> None:
    assert (
        isr("site", "add", "blog", "--url", "https://blog.example.com", "--retries", "4").code == 0
    )
    ran = isr(
        "site", "edit", "blog", "--concurrency", "16", "--rate-limit", "600",
        "--proxy", "direct", "--header", "X-Env:staging",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    profile = ProfileStore().get("blog")
    assert profile == SiteProfile(
        "blog", "https://blog.example.com", concurrency=16, retries=4, rate_limit=600,
        proxy="direct", headers=(("X-Env", "staging"),),
    )  # fmt: skip
    bad = isr("site", "edit", "blog", "--proxy", "http://u:pw@proxy:3128")
    assert bad.code == 2
    assert "password" in bad.stderr
    assert ProfileStore().get("blog").proxy == "direct"
    assert "Nothing to change" in isr("site", "edit", "blog").stdout


def test_site_edit_renames_and_the_secret_follows(
    site: LoopbackSite, real_keyring: object, unique_name: str
) -> None:
    added = isr("site", "add", unique_name, "--url", site.url, "--stdin", stdin=site.secret)
    assert added.code == 0, added.stderr  # the old spelling still works (unlisted)
    renamed = f"{unique_name}-2"
    try:
        assert isr("site", "edit", unique_name, "--rename", renamed).code == 0
        ran = isr("revalidate", renamed, "--path", "/a")
        assert ran.code == 0, ran.stderr
    finally:
        isr("site", "remove", renamed)


def test_help_shows_defaults_examples_and_one_spelling_per_flag() -> None:
    add = _help("site", "add")
    assert "requests in flight at once (default: 8)" in " ".join(add.split())
    assert "(default: app-router)" in add
    assert "examples:" in add
    assert "--secret-stdin" in add
    revalidate = _help("revalidate")
    assert "examples:" in revalidate
    assert "--secret-env" in revalidate
    assert "--dry-run" in revalidate
    secret = _help("secret", "set")
    assert "--secret-stdin" in secret
    assert "--stdin " not in secret


def _help(*command: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main([*command, "--help"])
    return out.getvalue()


def test_every_argument_of_every_command_has_help() -> None:
    import argparse

    from isr_desk.cli import build_parser

    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "isr-desk")
    assert missing == []


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/report.xml", "does not exist"),
        ("adir", "is a directory"),
        ("afile/report.xml", "is not a directory"),
    ],
)
def test_an_unwritable_junit_path_stops_the_run_before_anything_is_sent(
    site: LoopbackSite, secret_env: str, tmp_path: Path, where: str, message: str
) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("not a directory")
    ran = isr(
        "revalidate", "--url", site.url, "--secret-env", secret_env, "--path", "/a",
        "--junit", str(tmp_path / where),
    )  # fmt: skip
    assert ran.code == 2
    assert message in ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1
    assert site.requests == []
    assert not (tmp_path / "missing").exists()


def test_a_url_not_on_the_site_is_refused_as_the_window_refuses_it(
    site: LoopbackSite, secret_env: str
) -> None:
    # Same verdict and words as the window (tests/gui/test_target_checks.py).
    other_port = f"http://127.0.0.1:{site.port + 1 if site.port < 65535 else site.port - 1}"
    for url in (f"http://localhost:{site.port}/blog/a", f"{other_port}/blog/a"):
        ran = isr(
            "revalidate", "--url", site.url, "--secret-env", secret_env, "--path", url,
            "--manifest", "http://localhost:9/isr.json",
        )  # fmt: skip
        assert ran.code == 2
        assert f"{url} is not on this site ({site.url})" in ran.stderr
    assert site.requests == []


def test_two_forms_of_one_page_are_sent_once_and_the_output_says_so(
    site: LoopbackSite, secret_env: str, tmp_path: Path
) -> None:
    listed = tmp_path / "pages.txt"
    listed.write_text("/about/\n/blog/a\n")
    ran = isr(
        "revalidate", "--url", site.url, "--secret-env", secret_env, "--path", "/about",
        "--from-file", str(listed), "--path", f"{site.url}/blog/a/",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert sorted(site.revalidated) == ["path:/about", "path:/blog/a"]
    assert "note: 4 targets were 2 pages; each page sent once" in ran.stderr
    assert ran.stdout.splitlines()[-1].startswith("2 of 2 refreshed")
