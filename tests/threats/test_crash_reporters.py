"""Issue 15, item 12: the crash reporters cannot crash, native crashes are logged, the crash
log stays small."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from isr_desk import cli
from isr_desk.app import CrashReporter
from isr_desk.commands import Context
from isr_desk.commands import sites as sites_command
from isr_desk.services import logsafe


@pytest.fixture
def unwritable_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir that cannot be created: its parent is a file (as on a broken mount)."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    home = blocker / "isr-home"
    monkeypatch.setenv("ISR_DESK_HOME", str(home))
    return home


def _boom() -> RuntimeError:
    try:
        raise RuntimeError("bug")
    except RuntimeError as exc:
        return exc


def test_the_gui_reporter_shows_its_dialog_when_no_log_can_be_written(
    qapp: Any, unwritable_home: Path
) -> None:
    reporter = CrashReporter()
    exc = _boom()
    reporter(type(exc), exc, exc.__traceback__)
    assert reporter.dialog is not None
    assert "no crash log could be written" in reporter.dialog.informativeText()
    reporter.dialog.close()


def test_the_cli_reports_a_bug_in_one_line_when_no_log_can_be_written(
    unwritable_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> int:
        raise RuntimeError("bug")

    monkeypatch.setattr(sites_command, "_list", broken)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["site", "list"], Context(stdout=out, stderr=err))
    assert code == 2
    assert err.getvalue().count("\n") == 1
    assert "unexpected error (RuntimeError)" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_the_crash_log_is_capped(tmp_path: Path) -> None:
    log = tmp_path / logsafe.CRASH_LOG
    log.write_text("x" * (logsafe.MAX_CRASH_LOG + 10))
    where = logsafe.append_crash("Traceback: new\n", lambda: tmp_path)
    assert where == str(log)
    assert log.stat().st_size < 1000
    assert "Traceback: new" in log.read_text()
    assert (tmp_path / (logsafe.CRASH_LOG + ".1")).exists()


def test_a_native_crash_writes_python_stacks_to_the_crash_log(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import faulthandler
        from pathlib import Path
        from isr_desk.services import logsafe
        assert logsafe.enable_faulthandler(lambda: Path({str(tmp_path)!r}))
        faulthandler._sigsegv()
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert proc.returncode != 0
    text = (tmp_path / logsafe.CRASH_LOG).read_text()
    assert "Fatal Python error" in text
    assert "Segmentation fault" in text
