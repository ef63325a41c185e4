"""Hostile input: every parser gets garbage and answers with a clear error, never a crash.

Property-based (hypothesis) tests on profile import and the profiles file reader, target
parsing, Retry-After parsing and redaction; then names and paths with unicode, spaces,
``..`` and control characters, and CLI arguments that are not what they claim to be. A
``kill -9`` in the middle of saving profiles leaves the old or the new file, never a
broken one.
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isr_desk import cli
from isr_desk.commands import Context
from isr_desk.domain import REDACTED, SiteProfile, TargetKind, redact_bytes, redact_text
from isr_desk.services.errors import IsrError
from isr_desk.services.revalidation import parse_retry_after
from isr_desk.services.sites import (
    ProfileStore,
    TargetError,
    parse_target,
    parse_targets,
    profile_to_dict,
    validate_profile,
)

PROPS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)
_FIELD_VALUES = json_values | st.sampled_from(
    ["app-router", "custom", "header", "query", "http://127.0.0.1:9", "", "nan", "/api/x"]
)
profile_dicts = st.fixed_dictionaries(
    {"name": st.text(max_size=20) | json_values, "base_url": _FIELD_VALUES},
    optional={
        key: _FIELD_VALUES
        for key in (
            "endpoint",
            "manifest_source",
            "concurrency",
            "timeout",
            "retries",
            "headers",
            "instances",
        )
    },
)
good = SiteProfile("existing", "http://127.0.0.1:9")


def _store(tmp_path: Path) -> ProfileStore:
    store = ProfileStore(tmp_path / "profiles.json")
    if not store.list():
        store.add(good)
    return store


def _import_text(tmp_path: Path, text: str | bytes) -> None:
    """Import ``text``: it may be refused (IsrError) but the store stays whole."""
    store = _store(tmp_path)
    before = store.path.read_bytes()
    source = tmp_path / "import.json"
    source.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        added = store.import_(source, replace_existing=True)
    except IsrError as exc:
        assert exc.message  # noqa: PT017
        assert store.path.read_bytes() == before  # refused: not a byte changed
        return
    names = store.names()  # accepted: the file is still readable, holds what was added
    assert {p.name for p in added} <= set(names)


@PROPS
@given(profiles=st.lists(profile_dicts, max_size=3), version=st.sampled_from([1, 1, 2, "1", None]))
def test_importing_arbitrary_profile_shapes_is_an_error_or_a_valid_store(
    tmp_path: Path, profiles: list[Any], version: Any
) -> None:
    _import_text(tmp_path, json.dumps({"version": version, "profiles": profiles}))


@PROPS
@given(document=json_values)
def test_importing_any_json_document_is_an_error_or_a_valid_store(
    tmp_path: Path, document: Any
) -> None:
    _import_text(tmp_path, json.dumps(document))


@PROPS
@given(data=st.binary(max_size=300))
def test_reading_any_bytes_as_the_profiles_file_never_crashes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "profiles.json"
    path.write_bytes(data)
    try:
        ProfileStore(path).list()
    except IsrError as exc:
        assert str(path) in exc.message  # noqa: PT017 - the error names the file
    assert path.read_bytes() == data  # never "repaired" behind the user's back


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,  # RecursionError inside json
        '{"version": 1, "profiles": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"version": 1, "profiles": [' + '{"name": ' * 5000 + "1" + "}" * 5000 + "]}",
        '{"version": 1, "profiles": [{"name": "\\ud800", "base_url": "http://h"}]}',
        '{"version": 1, "profiles": [{"name": "x", "base_url": "http://[::1"}]}',
        '{"version": 1, "profiles": [{"name": "x", "base_url": "http://h:99999"}]}',
        '{"version": 1, "profiles": [{"name": "x", "base_url": "http://h", "timeout": 1e999}]}',
        '{"version": 1, "profiles": [{"name": "x", "base_url": "http://h", '
        '"headers": [["A", "b\\u0000"]]}]}',
        '{"version": 1, "profiles": [{"name": "x", "base_url": "http://h", "concurrency": 1e3}]}',
        '{"version": 1, "profiles": [{"name": "x", "base_url": "http://h", "endpoint": [1]}]}',
        '{"version": 1, "profiles": [{"name": "x\\u0007", "base_url": "http://h"}]}',
        '{"version": 1, "profiles": null}',
        "\ufeff{}",
        "",
    ],
    ids=lambda t: t[:40],
)
def test_malformed_deep_and_wrong_typed_imports_are_clear_errors(tmp_path: Path, text: str) -> None:
    store = _store(tmp_path)
    before = store.path.read_bytes()
    source = tmp_path / "import.json"
    source.write_bytes(text.encode("utf-8", "surrogatepass"))
    with pytest.raises(IsrError) as caught:
        store.import_(source)
    assert str(source) in caught.value.message
    assert store.path.read_bytes() == before


def test_a_huge_import_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    store = _store(tmp_path)
    source = tmp_path / "huge.json"
    with source.open("wb") as fh:
        fh.write(b'{"version": 1, "profiles": [')
        fh.truncate(200 * 1024 * 1024)  # sparse: 200 MB that cost nothing to make
    with pytest.raises(IsrError, match="larger than"):
        store.import_(source)


def test_an_endless_device_is_refused_not_read_forever(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(IsrError, match="larger than"):
        store.import_(Path("/dev/zero"))


# --- targets, Retry-After, redaction -----------------------------------------------------------


@PROPS
@given(text=st.text(max_size=300) | st.from_regex(r"https?://\[?[\w:.\]\[]*(/.*)?", fullmatch=True))
def test_any_typed_target_is_a_target_or_a_target_error(text: str) -> None:
    try:
        target = parse_target(text)
    except TargetError as exc:
        assert exc.message  # noqa: PT017
        return
    if target.kind is TargetKind.PATH:
        assert target.value.startswith("/")
    assert target.value.encode("utf-8")  # always sendable
    assert not any(ord(c) < 32 for c in target.value)


@PROPS
@given(lines=st.lists(st.text(max_size=60), max_size=30))
def test_parse_targets_never_raises_and_reports_each_bad_line(lines: list[str]) -> None:
    parsed = parse_targets("\n".join(lines))
    assert len(set(parsed.targets)) == len(parsed.targets)
    assert all(p.startswith("line ") for p in parsed.problems)


def test_surrogates_and_broken_urls_are_target_errors() -> None:
    for text in ("/a\udcff", "http://[x", "https://[::1/a", "tag:\x00", "/a b"):
        with pytest.raises(TargetError):
            parse_target(text)


@PROPS
@given(value=st.text(max_size=60) | st.integers().map(str) | st.datetimes().map(str))
def test_retry_after_is_none_or_a_non_negative_number(value: str) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or (seconds >= 0 and not math.isnan(seconds))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("  7 ", 7.0),
        ("²", None),  # str.isdigit() says yes, float() says no
        ("١٢", None),  # not ASCII digits
        ("-5", None),
        ("1.5", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: no wait
        ("", None),
        (None, None),
    ],
)
def test_retry_after_edge_cases(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=2_000_000_000.0) == expected  # 2033: 2015 is the past


def test_retry_after_at_the_ends_of_the_calendar() -> None:
    """Year 1 and year 9999 never raise: the first is the past (no wait, or unreadable on a
    platform whose datetime cannot hold it), the second a wait past any run's limit."""
    now = 2_000_000_000.0
    past = parse_retry_after("Sun, 01 Jan 0001 00:00:00 +2359", now=now)
    assert past in (None, 0.0)
    future = parse_retry_after("Fri, 31 Dec 9999 23:59:59 -2359", now=now)
    # 9999-12-31 23:59:59 at -23:59 is 253,402,387,139 s after the epoch.
    assert future is None or future == 253_402_387_139.0 - now


@PROPS
@given(
    prefix=st.text(max_size=40),
    suffix=st.text(max_size=40),
    secret=st.text(min_size=1, max_size=30).filter(lambda s: "•" not in s),
)
def test_redaction_leaves_no_form_of_the_secret(prefix: str, suffix: str, secret: str) -> None:
    from urllib.parse import quote, quote_plus

    for form in (secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]):
        text = redact_text(prefix + form + suffix, secret)
        assert secret not in text.replace(REDACTED, "\0") or secret in (prefix + suffix)
    data = redact_bytes((prefix + secret + suffix).encode("utf-8", "surrogatepass"), secret)
    assert isinstance(data, bytes)


# --- names, paths and CLI arguments --------------------------------------------------------


@PROPS
@given(name=st.text(max_size=100))
def test_any_profile_name_is_stored_and_read_back_or_refused(tmp_path: Path, name: str) -> None:
    store = ProfileStore(tmp_path / f"p-{abs(hash(name))}.json")
    try:
        added = store.add(SiteProfile(name, "http://127.0.0.1:9"))
    except IsrError as exc:
        assert exc.message  # noqa: PT017
        assert not store.path.exists()
        return
    assert store.get(added.name) == added
    assert validate_profile(added) == added


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "a/b\\c", "  spaced  name ", "日本語のサイト", "emoji 🚀", "x" * 80, "."],
)
def test_odd_but_valid_names_round_trip_through_export_and_import(
    tmp_path: Path, name: str
) -> None:
    store = _store(tmp_path)
    store.add(SiteProfile(name, "http://127.0.0.1:9"))
    target = tmp_path / "a dir with spaces" / ".." / "exports ü" / "sites.json"
    target.parent.mkdir(parents=True)
    assert store.export(target) == 2
    other = ProfileStore(tmp_path / "other.json")
    assert {p.name for p in other.import_(target)} == {"existing", name.strip()}
    assert not list(tmp_path.glob("../*.json"))  # nothing escaped the temp dir


def run_cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    ctx = Context(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(stdin))
    code = cli.main(list(argv), ctx)
    return code, ctx.stdout.getvalue(), ctx.stderr.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("site", "add", "a\udcff", "--url", "http://127.0.0.1:9"), "not UTF-8"),
        (("site", "add", "x", "--url", "http://[::1"), "not a valid web address"),
        (("site", "add", "x", "--url", "http://h:99999"), "not a valid web address"),
        (
            ("site", "add", "x", "--url", "http://h", "--header", "A:b\x01"),
            "not a valid HTTP header",
        ),
        (("site", "add", "x", "--url", "http://h", "--timeout", "nan"), "timeout"),
        (("site", "add", "\x1b[31m", "--url", "http://h"), "control characters"),
        (("site", "import", "/dev/zero"), "larger than"),
        (("site", "import", "/"), "cannot be read"),
        (("site", "import", "/nonexistent/../x.json"), "does not exist"),
        (("site", "export", "-o", "/", "--force"), "Cannot write"),
        (("site", "show", "../../etc/passwd"), "No site named"),
        (("revalidate", "good", "--path", "/a\udcff", "--secret-stdin"), "not UTF-8"),
        (("revalidate", "good", "--path", "http://[x", "--secret-stdin"), "not a valid URL"),
        (("revalidate", "good", "--path", "/a", "--timeout", "nan", "--secret-stdin"), "timeout"),
        (("revalidate", "good", "--path", "/a", "--timeout", "inf", "--secret-stdin"), "timeout"),
        (
            ("revalidate", "good", "--path", "/a", "--concurrency", "0", "--secret-stdin"),
            "Concurrency",
        ),
        (("revalidate", "good", "--from-file", "/dev/zero", "--secret-stdin"), "larger than"),
        (("revalidate", "good", "--from-file", "/", "--secret-stdin"), "Cannot read"),
        (("revalidate", "good", "--from-file", "/bin/sh", "--secret-stdin"), "not UTF-8"),
        (("revalidate", "good", "--tag", "x" * 300, "--secret-stdin"), "characters long"),
        (("history", "export", "12x", "out.csv"), "invalid int"),
        (("history", "export", "999", "out.csv"), "No run 999"),
        (("history", "--limit", "-1"), "must be 1 or more"),
        (("no-such-command",), "invalid choice"),
    ],
    ids=lambda v: v if isinstance(v, str) else " ".join(v)[:50],
)
def test_cli_arguments_that_are_not_what_they_claim_exit_2_with_one_line(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ProfileStore().add(SiteProfile("good", "http://127.0.0.1:9"))
    try:
        code, _out, err = run_cli(*argv, stdin="s3cret\n")
    except SystemExit as exc:  # argparse errors leave through parser.exit()
        code, err = int(exc.code or 0), capsys.readouterr().err
    assert code == 2
    assert message in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert "unexpected error" not in err
    assert [p.name for p in ProfileStore().list()] == ["good"]  # the store is intact


# --- kill -9 during a save --------------------------------------------------------------------

_SAVER = """
import sys
from dataclasses import replace
from pathlib import Path
from isr_desk.domain import SiteProfile
from isr_desk.services.sites import ProfileStore
store = ProfileStore(Path(sys.argv[1]))
base = SiteProfile("site", "http://127.0.0.1:9", headers=(("X-Pad", "p" * 20000),))
store.add(base)
i = 0
while True:
    i += 1
    store.update("site", replace(base, concurrency=1 + i % 1000))
    for n in range(20):
        store.add(SiteProfile(f"extra {i} {n}", "http://127.0.0.1:9"))
    for n in range(20):
        store.remove(f"extra {i} {n}", keep_secret=True)
    print(i, flush=True)
"""


def test_kill_9_while_saving_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    for rounds in (1, 3, 6):
        with subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE, text=True, env=env
        ) as proc:
            assert proc.stdout is not None
            for _ in range(rounds):  # let it save a varying number of times, then kill
                assert proc.stdout.readline()
            proc.kill()
            proc.wait(timeout=30)
        profiles = ProfileStore(path).list()  # parses, or this raises
        names = [p.name for p in profiles]
        assert "site" in names
        assert json.loads(path.read_text())["version"] == 2
        path.write_text(json.dumps({"version": 1, "profiles": []}))  # fresh start each round
        for leftover in tmp_path.glob(".profiles.json.*.tmp"):
            leftover.unlink()  # a temp file may remain: never the profiles file itself
    assert profile_to_dict(profiles[0])["base_url"] == "http://127.0.0.1:9"
