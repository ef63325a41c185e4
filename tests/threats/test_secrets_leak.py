"""A full session of use, then a search for the secret in everything the session left behind.

Profiles with every preset and secret placement are added, runs go through the CLI with
``--debug`` logging and ``--json`` (against routes that succeed, fail, redirect elsewhere
and echo the secret back), history is exported as CSV and JSON, sites are exported,
requests are copied as cURL and a crash is logged. Then every file under
``$ISR_DESK_HOME``, the test's XDG dirs and the exports, and every captured output, is
searched for the secret in raw, URL-encoded and JSON-escaped form.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import keyring
import pytest

from isr_desk import cli
from isr_desk.commands import Context
from isr_desk.commands import sites as sites_command
from isr_desk.domain import Target
from isr_desk.services import logsafe
from isr_desk.services.sites import ProfileStore, build_request, to_curl
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import LoopbackSite, Recorded, Reply, free_port

SECRET = 'Lk9/q+r&t=u"v\\w%z~LEAKME'
PREVIEW_ID = "preview-mode-id-LEAKME-7f3a9c"
ISR = str(Path(sys.executable).with_name("isr-desk"))
FIXTURE_BUILD = Path(__file__).parent.parent / "fixtures" / "next-build"

# (name, extra `site add` arguments): every preset and every secret placement.
PRESETS = [
    ("app", ["--preset", "app-router"]),
    ("pages", ["--preset", "pages-router"]),
    ("bearer", ["--preset", "bearer"]),
    ("batch", ["--preset", "app-router", "--batch", "5"]),
    ("c-query", ["--preset", "custom", "--secret-in", "query", "--secret-name", "token"]),
    ("c-header", ["--preset", "custom", "--secret-in", "header", "--secret-name", "X-Token"]),
    ("c-auth", ["--preset", "custom", "--secret-in", "header", "--secret-name", "Authorization"]),
    (
        "c-template",
        [
            "--preset",
            "custom",
            "--secret-in",
            "template",
            "--url-template",
            "{url}/api/revalidate?secret={secret}&p={path}",
            "--path-body",
            '{"path": "{path}", "key": "{secret}"}',
        ],
    ),
    (
        "echo",
        [
            "--preset",
            "custom",
            "--secret-in",
            "header",
            "--secret-name",
            "X-Token",
            "--url-template",
            "{url}/api/echo?sig={secret}",
            "--path-body",
            '{"path": "{path}", "secret": "{secret}"}',
        ],
    ),
    ("redirect", ["--preset", "app-router", "--endpoint", "/api/moved"]),
    ("refused", ["--preset", "bearer"]),
]


def secret_forms(secret: str) -> set[str]:
    return {
        secret,
        quote(secret, safe=""),
        quote(secret, safe="/"),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(json.dumps(secret))[1:-1],  # a JSON string inside a JSON string
    }


def echo(rec: Recorded) -> Reply:
    """A route that reflects everything it got, secret included, in body and headers."""
    body = {
        "revalidated": True,
        "query": rec.query,
        "headers": rec.headers,
        "body": rec.body.decode(),
    }
    return Reply(200, body, headers={"X-Echo": rec.headers.get("x-token", "")})


@pytest.fixture
def memory_backend() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    dirs = []
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = tmp_path / var.lower()
        path.mkdir()
        monkeypatch.setenv(var, str(path))
        dirs.append(path)
    dirs.append(Path(os.environ["XDG_CONFIG_HOME"]))
    return dirs


@pytest.fixture(autouse=True)
def _drop_log_handlers() -> Iterator[None]:
    """cli.main installs a root handler on the captured stream: remove it afterwards."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
    root.setLevel(level)
    logsafe.forget_all()


class Session:
    """Runs ``isr-desk`` in-process with captured streams, keeping every output."""

    def __init__(self) -> None:
        self.outputs: list[str] = []

    def __call__(self, *argv: str, stdin: str = "", code: int | None = 0) -> str:
        ctx = Context(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(stdin))
        status = cli.main(list(argv), ctx)
        out, err = ctx.stdout.getvalue(), ctx.stderr.getvalue()
        self.outputs += [out, err]
        if code is not None:
            assert status == code, (argv, out, err)
        return out + err


def test_a_full_session_leaves_the_secret_nowhere(
    site: LoopbackSite,
    isr_home: Path,
    tmp_path: Path,
    xdg: list[Path],
    memory_backend: MemoryKeyring,
) -> None:
    site.secret = SECRET
    site.on("/api/echo", echo, repeat=True)
    elsewhere = f"http://127.0.0.1:{free_port()}/api/revalidate?secret={quote(SECRET)}"
    site.on("/api/moved", lambda rec: Reply(307, b"", headers={"Location": elsewhere}), repeat=True)
    isr = Session()
    exports = tmp_path / "exports"
    exports.mkdir()

    for name, args in PRESETS:
        url = f"http://127.0.0.1:{free_port()}" if name == "refused" else site.url
        isr("site", "add", name, "--url", url, *args, "--retries", "0", "--secret-stdin",
            stdin=SECRET + "\n")  # fmt: skip
    assert memory_backend.passwords[("isr-desk", "app")] == SECRET
    debug_log = ""
    for name, _ in PRESETS:
        targets = ["--path", "/blog/a", "--path", "/b"]
        if name not in ("pages", "c-template"):  # path-only routes
            targets += ["--tag", "posts"]
        ok = ("app", "pages", "bearer", "batch", "c-auth", "c-template", "echo")
        expected = 0 if name in ok else 1
        debug_log += isr("--debug", "revalidate", name, *targets, "--json", code=expected)
        isr("revalidate", name, "--path", "/c", code=expected)  # the text output too
        isr("site", "show", name)
        isr("site", "show", name, "--json")
    # The test can fail: debug logging did show the requests, and the echo route did
    # reflect the secret (so redaction, not luck, kept it out).
    assert "HTTP Request: POST" in debug_log
    assert any("x-token" in r.headers and r.path == "/api/echo" for r in site.requests)
    assert "redirects to" in debug_log
    # A run with the secret from stdin, in a real process with --debug on its stderr.
    proc = subprocess.run(
        [ISR, "--debug", "revalidate", "app", "--path", "/p", "--secret-stdin", "--json"],
        input=SECRET, capture_output=True, text=True, env=os.environ, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "HTTP Request: POST" in proc.stderr
    isr.outputs += [proc.stdout, proc.stderr]

    isr("site", "list")
    isr("site", "list", "--json")
    isr("site", "export", "-o", str(exports / "sites.json"))
    isr("site", "export")
    runs = json.loads(isr("history", "--json", "--limit", "100"))["runs"]
    assert len(runs) == 2 * len(PRESETS) + 1
    isr("history")
    for run in runs:
        isr("history", "export", str(run["id"]), str(exports / f"run{run['id']}.csv"))
        isr("history", "export", str(run["id"]), str(exports / f"run{run['id']}.json"))

    # Copy as cURL, default output, for a request of every profile.
    for profile in ProfileStore().list():
        target = Target.path("/blog/a")
        isr.outputs.append(to_curl(build_request(profile, target, SECRET)))
        isr.outputs.append(to_curl(build_request(profile, target, SECRET), multiline=True))

    # A crash: an unexpected exception whose text quotes the request URL.
    def boom(args: object, ctx: Context) -> int:
        raise RuntimeError(f"failed POST {site.url}/api/revalidate?secret={quote(SECRET)}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sites_command, "_list", boom)  # registered anew by every cli.main
        crashed = isr("--debug", "site", "list", code=2)
    assert "unexpected error (RuntimeError)" in crashed
    crash_log = isr_home / "logs" / "crash.log"
    assert "RuntimeError" in crash_log.read_text()

    _assert_nowhere(SECRET, [isr_home, exports, *xdg], isr.outputs)


def test_the_manifest_preview_mode_id_is_never_shown_or_logged(tmp_path: Path) -> None:
    from isr_desk.services.manifest import load_manifest

    build = tmp_path / ".next"
    shutil.copytree(FIXTURE_BUILD, build)
    manifest_file = build / "prerender-manifest.json"
    data = json.loads(manifest_file.read_text())
    data["preview"]["previewModeId"] = PREVIEW_ID
    manifest_file.write_text(json.dumps(data))
    stream = io.StringIO()
    logsafe.install(debug=True, stream=stream)
    manifest = load_manifest(str(build))
    logging.getLogger("isr_desk.test").debug("loaded %r", manifest)
    raw = manifest_file.read_text()
    start = raw.index('"preview"')
    logging.getLogger("isr_desk.test").debug("raw %s", raw[start : start + 300])
    assert manifest.paths
    assert PREVIEW_ID not in repr(manifest)
    assert "previewModeId" in stream.getvalue()  # the raw file was logged ...
    assert PREVIEW_ID not in stream.getvalue()  # ... with the id blanked


def test_log_lines_and_crash_text_are_scrubbed_even_for_an_unregistered_secret() -> None:
    stream = io.StringIO()
    logsafe.install(debug=True, stream=stream)
    log = logging.getLogger("httpx")
    log.info('HTTP Request: POST %s "HTTP/1.1 200 OK"', "http://h/api/r?secret=abc%2Fdef&p=/a")
    log.debug("headers %s", [("Authorization", "Bearer tok-123"), ("X-Api-Token", "xyz789")])
    try:
        raise ValueError("https://h/x?token=t0ps3cr3t")
    except ValueError:
        log.exception("failed")
    text = stream.getvalue()
    for leaked in ("abc%2Fdef", "tok-123", "xyz789", "t0ps3cr3t"):
        assert leaked not in text
    assert "p=/a" in text
    assert "secret=•••" in text


def _assert_nowhere(secret: str, roots: list[Path], outputs: list[str]) -> None:
    forms = secret_forms(secret)
    checked = 0
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file():
                continue
            data = path.read_bytes()
            checked += 1
            for form in forms:
                assert form.encode() not in data, f"{form!r} found in {path}"
    assert checked >= 20  # profiles, history db (+ WAL), crash log, exports
    for text in outputs:
        for form in forms:
            assert form not in text, f"{form!r} found in output:\n{text[:2000]}"
