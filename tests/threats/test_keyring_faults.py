"""Keyring faults: locked, prompt dismissed, no backend, D-Bus gone mid-session.

Each one is a clear :class:`SecretError` subclass from services/secrets.py and one line
with exit status 2 from the CLI; everything that does not need a secret (site list, show,
history, a run with ``--secret-stdin``) keeps working without a keyring.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
import secretstorage.exceptions

from isr_desk import cli
from isr_desk.commands import Context
from isr_desk.services.errors import (
    KeyringLockedError,
    KeyringPromptDismissedError,
    NoKeyringError,
    SecretError,
)
from isr_desk.services.sites import SecretStore
from tests.helpers import keyrings
from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import LoopbackSite

ROOT = Path(__file__).parents[2]
ISR = str(Path(sys.executable).with_name("isr-desk"))
SECRET = "kr-s3cret-LEAK"

FAULTS = [
    (keyring.errors.KeyringLocked("Failed to unlock the collection!"), KeyringLockedError,
     "locked"),
    (secretstorage.exceptions.LockedException("Item is locked!"), KeyringLockedError, "locked"),
    (secretstorage.exceptions.PromptDismissedException("Prompt dismissed."),
     KeyringPromptDismissedError, "dismissed"),
    (keyring.errors.NoKeyringError("No recommended backend was available."), NoKeyringError,
     "No system keyring"),
    (keyring.errors.InitError("Failed to create the collection: x."), NoKeyringError,
     "cannot be reached"),
    (secretstorage.exceptions.SecretServiceNotAvailableException("gone"), NoKeyringError,
     "cannot be reached"),
    (FileNotFoundError(2, "No such file or directory"), NoKeyringError, "cannot be reached"),
    (ConnectionResetError(104, "Connection reset by peer"), NoKeyringError, "cannot be reached"),
    (EOFError(), NoKeyringError, "cannot be reached"),
    (RuntimeError(f"backend bug near {SECRET}"), SecretError, "Could not"),
]  # fmt: skip
IDS = [type(f[0]).__name__ for f in FAULTS]


@pytest.mark.parametrize(("error", "expected", "words"), FAULTS, ids=IDS)
def test_every_keyring_failure_is_a_clear_secret_error(
    error: BaseException, expected: type[SecretError], words: str
) -> None:
    backend = MemoryKeyring()
    backend.fail_with = error
    store = SecretStore(backend)
    for call in (
        lambda: store.get("site"),
        lambda: store.require("site"),
        lambda: store.set("site", SECRET),
        lambda: store.delete("site"),
    ):
        with pytest.raises(SecretError) as caught:
            call()
        assert type(caught.value) is expected
        assert words in caught.value.message
        assert SECRET not in caught.value.describe()
        if expected is not SecretError:
            assert caught.value.hint


def test_a_session_bus_that_is_gone_means_no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import SecretService

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/isr-desk-bus")
    with pytest.raises(NoKeyringError, match="cannot be reached"):
        SecretStore(SecretService.Keyring()).get("site")


@pytest.fixture
def with_backend() -> Iterator[object]:
    previous = keyring.get_keyring()

    def use(backend: keyring.backend.KeyringBackend) -> None:
        keyring.set_keyring(backend)

    yield use
    keyring.set_keyring(previous)


def run_cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    ctx = Context(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(stdin))
    code = cli.main(list(argv), ctx)
    return code, ctx.stdout.getvalue(), ctx.stderr.getvalue()


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        (keyrings.LockedKeyring, "locked"),
        (keyrings.DismissedKeyring, "dismissed"),
        (keyrings.NoBackendKeyring, "No system keyring"),
        (keyrings.DbusGoneKeyring, "cannot be reached"),
    ],
    ids=["locked", "dismissed", "no-backend", "dbus-gone"],
)
def test_the_cli_says_so_in_one_line_and_the_rest_keeps_working(
    backend: type[keyring.backend.KeyringBackend],
    words: str,
    with_backend: object,
    site: LoopbackSite,
) -> None:
    with_backend(backend())  # type: ignore[operator]
    code, out, err = run_cli("site", "add", "s", "--url", site.url, "--secret-stdin",
                             stdin=SECRET)  # fmt: skip
    assert code == 2
    assert "the site was added but its secret was not stored" in err
    assert words in err
    for argv in (("revalidate", "s", "--path", "/a"), ("secret", "set", "s", "--stdin")):
        code, out, err = run_cli(*argv, stdin=SECRET)
        assert code == 2, argv
        assert words in err
        assert len(err.strip().splitlines()) == 1
        assert "Traceback" not in err + out
    # Everything that needs no secret still works.
    code, out, _ = run_cli("site", "list")
    assert (code, out.split()[0]) == (0, "s")
    code, out, _ = run_cli("site", "show", "s")
    assert code == 0
    assert "unknown (" in out
    code, out, _ = run_cli("revalidate", "s", "--path", "/a", "--secret-stdin",
                           stdin=site.secret)  # fmt: skip
    assert code == 0, out
    assert site.revalidated == ["path:/a"]
    code, out, _ = run_cli("history")
    assert code == 0
    assert "finished" in out
    code, out, err = run_cli("site", "remove", "s")
    assert code == 0
    assert "secret was not deleted" in err
    assert run_cli("site", "list")[1].startswith("No sites yet")


def test_the_installed_cli_with_a_locked_keyring_prints_one_line(site: LoopbackSite) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.helpers.keyrings.LockedKeyring",
    }
    add = subprocess.run([ISR, "site", "add", "s", "--url", site.url], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert add.returncode == 0, add.stderr
    out = subprocess.run([ISR, "revalidate", "s", "--path", "/a"], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.startswith("isr-desk: The system keyring is locked")
    assert len(out.stderr.splitlines()) == 1


_MID_SESSION = r"""
import io, json, subprocess, sys
import keyring
from keyring.backends import SecretService
from isr_desk import cli
from isr_desk.commands import Context
from isr_desk.services.errors import SecretError
from isr_desk.services.sites import SecretStore

daemon = subprocess.Popen(
    ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
)
daemon.stdin.write("pw")
daemon.stdin.close()
daemon.stdout.readline()  # it prints its environment once it is serving
keyring.set_keyring(SecretService.Keyring())
store = SecretStore()
report = {}
store.set("mid", "v1")
report["before"] = store.get("mid")
daemon.kill()  # the Secret Service dies mid-session
daemon.wait()
daemon.stdout.close()
try:
    store.get("mid")
except SecretError as exc:
    report["error"] = type(exc).__name__
    report["message"] = exc.describe()

def run(*argv):
    ctx = Context(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO("x"))
    return cli.main(list(argv), ctx), ctx.stderr.getvalue()

report["add"] = run("site", "add", "mid", "--url", "http://127.0.0.1:9")
report["list"] = run("site", "list")
report["history"] = run("history")
report["revalidate"] = run("revalidate", "mid", "--path", "/a")
print(json.dumps(report))
"""


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (apt: dbus gnome-keyring)",
)
def test_a_real_secret_service_killed_mid_session(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    (tmp_path / "data").mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    proc = subprocess.run(
        ["dbus-run-session", "--", sys.executable, "-c", _MID_SESSION],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["before"] == "v1"
    # D-Bus starts a new, locked keyring whose unlock prompt cannot show here, or none at
    # all: either way a clear error, not a crash.
    assert report["error"] in ("KeyringLockedError", "NoKeyringError")
    assert report["add"][0] == 0
    assert report["list"][0] == 0
    assert report["history"][0] == 0
    code, err = report["revalidate"]
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "keyring" in err.lower()
