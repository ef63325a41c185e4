"""Issue 15, items 7, 10 and 13 through the CLI, against real loopback servers.

Terminal injection (control and bidi characters from a server, a manifest or a profile),
tracebacks on odd answers, broken answers reported as "Site unreachable" and retried,
secrets a request cannot carry, CSV formula cells, the history on a read-only or full disk,
a short secret under a custom query name in ``--debug`` lines, "Copy with secret".
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from isr_desk import cli
from isr_desk.commands import Context
from isr_desk.domain import (
    REDACTED,
    Endpoint,
    Outcome,
    Preset,
    Result,
    RunSummary,
    SecretPlacement,
    SiteProfile,
    Target,
)
from isr_desk.services import logsafe
from isr_desk.services.errors import HistoryError
from isr_desk.services.history import HistoryStore
from isr_desk.services.sites import ProfileStore, build_request, profile_to_dict, to_curl
from tests.helpers.hostile import many_headers, raw_location
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import Answer, LoopbackSite, Recorded, Reply

SECRET = "s3cret-token"
# What a terminal acts on: ESC/C1 CSI sequences, NUL, CR, bidi overrides.
UNSAFE = ("\x1b", "\x9b", "\x00", "\r", "\u202e", "\u2066")


@pytest.fixture(autouse=True)
def memory_backend() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
    logsafe.forget_all()


def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), Context(stdout=out, stderr=err, stdin=io.StringIO(stdin)))
    return code, out.getvalue(), err.getvalue()


def add_site(name: str, url: str, *extra: str, secret: str = SECRET) -> None:
    code, _, err = run("site", "add", name, "--url", url, *extra, "--secret-stdin", stdin=secret)
    assert code == 0, err


def _unsafe(text: str) -> list[str]:
    return [repr(ch) for ch in UNSAFE if ch in text]


# --- item 7: terminal injection --------------------------------------------------------------


def test_verify_escapes_a_servers_etag_and_cache_header(site: LoopbackSite) -> None:
    counter = itertools.count()
    # Latin-1 text of UTF-8 bytes: the server sends the bytes of U+202E and a C1 CSI.
    rtl = "\u202e".encode().decode("latin-1")

    def page(rec: Recorded) -> Reply:
        if rec.method == "POST":  # the revalidation of /a, not a visit
            return site.answer(rec)
        n = next(counter)
        return Reply(
            200, f"v{n}", headers={"ETag": f'"{n}\x9b2J{rtl}"', "x-nextjs-cache": f"HIT{rtl}"}
        )

    site.on("/a", page, repeat=True)
    add_site("v", site.url)
    code, out, err = run("revalidate", "v", "--path", "/a", "--verify")
    assert code == 0, err
    assert "ETag" in out
    assert _unsafe(out + err) == []
    assert "\\x9b" in out


def test_manifest_entries_with_control_characters_are_not_listed_raw(tmp_path: Path) -> None:
    manifest = {
        "version": 1,
        "paths": ["/ok", "/x\x1b[2J", "/y\x00", "/z\u202eevil", "/a\nok 200 /x Refreshed"],
        "tags": ["fine", "t\x1b]0;title\x07", "\u2066rtl"],
    }
    source = tmp_path / "m.json"
    source.write_text(json.dumps(manifest))
    add_site("m", "http://127.0.0.1:9")
    code, out, err = run("manifest", "m", "--source", str(source))
    assert code == 0, err
    assert _unsafe(out + err) == []
    assert "ok 200 /x Refreshed" not in out.splitlines()
    assert "/ok" in out
    code, out, _ = run("manifest", "m", "--source", str(source), "--json")
    assert json.loads(out)["paths"][0]["path"] == "/ok"
    assert len(json.loads(out)["paths"]) == 1


def test_out_escapes_whatever_reaches_it() -> None:
    out = io.StringIO()
    Context(stdout=out).out("a\x1b[2Jb\x00c\rd\u202ee\x9bf")
    assert out.getvalue() == "a\\x1b[2Jb\\x00c\\x0dd\\u202ee\\x9bf\n"


@pytest.mark.parametrize(
    "bad", ["http://127.0.0.1:9/\r\nX-Evil: 1", "http://127.0.0.1:9\t/", "http://127.0.0.1:9/\n"]
)
def test_an_address_with_cr_lf_or_tab_is_refused_on_import(tmp_path: Path, bad: str) -> None:
    profile = profile_to_dict(SiteProfile("p", "http://127.0.0.1:9"))
    profile["base_url"] = bad
    shared = tmp_path / "p.json"
    shared.write_text(json.dumps({"version": 1, "profiles": [profile]}))
    code, _, err = run("site", "import", str(shared), "--yes")
    assert code == 2
    assert "control characters" in err
    assert ProfileStore().names() == []


def test_an_endpoint_path_with_a_line_break_is_refused(tmp_path: Path) -> None:
    profile = profile_to_dict(SiteProfile("p", "http://127.0.0.1:9"))
    profile["endpoint"]["path"] = "/api/revalidate\r\nX: y"
    shared = tmp_path / "p.json"
    shared.write_text(json.dumps({"version": 1, "profiles": [profile]}))
    code, _, err = run("site", "import", str(shared), "--yes")
    assert code == 2
    assert "Traceback" not in err


# --- item 10: odd answers and secrets give clear errors, never a traceback -----------------


@pytest.mark.parametrize("location", [b"http://127.0.0.1:99999/", b"http://a]b/"])
def test_a_location_urllib_refuses_is_a_redirect_not_a_traceback(
    location: bytes, memory_backend: MemoryKeyring
) -> None:
    with LoopbackSite(any_secret=True) as server:
        server.on("/p", raw_location(location), repeat=True)
        add_site("r", server.url)
        code, out, err = run("revalidate", "r", "--path", "/p", "--retries", "2")
    assert code == 1
    assert "Redirected" in out
    assert "Traceback" not in err
    assert "unexpected" not in err.lower()


def test_a_non_ascii_secret_for_a_header_preset_is_refused_when_stored() -> None:
    code, _, err = run("site", "add", "b", "--url", "http://127.0.0.1:9", "--preset", "bearer")
    assert code == 0
    code, out, err = run("secret", "set", "b", "--stdin", stdin="sécret-ünï\n")
    assert code == 2
    assert "ASCII" in err
    assert "stored" not in out


def test_a_70_kb_secret_in_the_query_is_refused_when_stored() -> None:
    run("site", "add", "q", "--url", "http://127.0.0.1:9")
    code, _, err = run("secret", "set", "q", "--stdin", stdin="k" * 70_000 + "\n")
    assert code == 2
    assert "characters long" in err


# --- item 13 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "fault"),
    [
        ("/flood", many_headers(10_000)),
        ("/ctl", raw_location(b"/x\x01y")),
    ],
)
def test_a_broken_answer_is_not_unreachable_and_not_retried(key: str, fault: Answer) -> None:
    with LoopbackSite(any_secret=True) as server:
        server.on(key, fault, repeat=True)
        add_site("f", server.url)
        code, out, _ = run("revalidate", "f", "--path", key, "--retries", "3", "--json")
        sent = server.count(key)
    result = json.loads(out.splitlines()[0])
    assert code == 1
    assert sent == 1
    assert "unreachable" not in (result["error"] or "").lower()
    assert result["hint"]
    assert "broken HTTP answer" in result["hint"]


def _result(target: str, body: str, *, tag: bool = False, error: str = "HTTP 500") -> Result:
    return Result(
        Target.tag(target) if tag else Target.path(target), ok=False,
        outcome=Outcome.SERVER_ERROR, status=500, duration_ms=1.0, attempts=1, response=body,
        error=error,
    )  # fmt: skip


def test_csv_export_neutralises_formula_cells(tmp_path: Path) -> None:
    formulas = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1)"]
    results = [_result(f, "x", tag=True, error=f) for f in formulas]
    with HistoryStore() as history:
        run_id = history.start_run("s", total=len(formulas), targets=[])
        history.add_results(run_id, results)
        history.export_csv(run_id, tmp_path / "r.csv")
    with (tmp_path / "r.csv").open(newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert any(c.startswith("'=HYPERLINK") for c in cells)


def test_a_full_disk_is_not_called_a_damaged_database(isr_home: Path) -> None:
    with HistoryStore() as history:
        path = history.path
    with contextlib.closing(sqlite3.connect(path)) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    with HistoryStore() as history:
        assert history._conn is not None
        history._conn.execute(f"PRAGMA max_page_count={pages}")  # a disk with no room left
        big = [_result(f"/p{i}", "x" * 4000) for i in range(50)]
        run_id = history.start_run("s", total=50, targets=[])
        with pytest.raises(HistoryError) as caught:
            history.add_results(run_id, big)
    assert "disk is full" in caught.value.message
    assert "damaged" not in caught.value.message
    assert "Free some disk space" in (caught.value.hint or "")


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """``path`` cannot be changed: ``chattr +i`` as root (which ignores modes), else modes."""
    targets = [path, *path.iterdir()]
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", *map(str, targets)], check=False).returncode == 0
        if not done:
            pytest.skip("chattr +i is not available here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, targets)], check=False)
        return
    modes = {p: p.stat().st_mode for p in targets}
    for p in targets:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def test_history_lists_runs_on_a_read_only_data_dir(isr_home: Path) -> None:
    with HistoryStore() as history:
        run_id = history.start_run("ro-site", total=1, targets=[Target.path("/a")])
        history.add_results(run_id, [_result("/a", "x")])
        history.finish_run(run_id, RunSummary(1, 0, 1, 1.0, 1.0, 1.0))
        data_dir = history.path.parent
    with _read_only(data_dir):
        code, out, err = run("history")
    assert code == 0, err
    assert "ro-site" in out


def test_a_short_secret_under_a_custom_query_name_stays_out_of_debug_lines() -> None:
    short = "ab1"
    with LoopbackSite(secret=short) as site:
        site.on("/hook", Reply(200, {"revalidated": True}), repeat=True)
        run(
            "site", "add", "c", "--url", site.url, "--preset", "custom", "--secret-in", "query",
            "--secret-name", "k", "--url-template", "{url}/hook",
        )  # fmt: skip
        run("secret", "set", "c", "--stdin", stdin=short + "\n")
        code, _, err = run("--debug", "revalidate", "c", "--path", "/p")
    assert code == 0, err
    assert "HTTP Request" in err
    assert f"k={short}" not in err
    assert f"k={REDACTED}" in err


def test_copy_with_secret_fills_only_the_placeholder() -> None:
    secret = "the-real-secret"
    target = Target.path(f"/blog/{REDACTED}-sale")
    # encode_paths=False: the path keeps its literal ••• (by default non-ASCII travels
    # percent-encoded, docs/conventions.md), so the placeholder test stays a real one.
    query = build_request(SiteProfile("q", "https://s.example", encode_paths=False), target, secret)
    command = to_curl(query, secret=secret)
    assert f"secret={secret}" in command
    assert f"/blog/{REDACTED}-sale" in command
    assert f"/blog/{secret}-sale" not in command
    templated = SiteProfile(
        "t",
        "https://s.example",
        encode_paths=False,
        endpoint=Endpoint(
            preset=Preset.CUSTOM,
            secret_placement=SecretPlacement.TEMPLATE,
            path_body_template='{"token": "{secret}", "path": "{path}"}',
        ),
    )
    command = to_curl(build_request(templated, target, secret), secret=secret)
    assert f'"token": "{secret}"' in command
    assert f"/blog/{REDACTED}-sale" in command
    bearer = build_request(
        SiteProfile(
            "b", "https://s.example", endpoint=Endpoint(preset=Preset.BEARER), encode_paths=False
        ),
        target,
        secret,
    )
    command = to_curl(bearer, secret=secret)
    assert f"Authorization: Bearer {secret}" in command
    assert f"/blog/{secret}-sale" not in command
