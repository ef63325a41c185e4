"""`isr-desk gui --screenshot`: the real app, started as a user would, writes a PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import keyring

from isr_desk.services.sites import SERVICE

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_demo_screenshot_is_written_and_the_demo_secret_stays_out_of_the_keyring(
    tmp_path: Path, real_keyring: Any
) -> None:
    shot = tmp_path / "main.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "isr_desk.cli", "gui", "--demo", "--screenshot", str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert shot.read_bytes().startswith(PNG_SIGNATURE)
    assert shot.stat().st_size > 10_000
    assert keyring.get_password(SERVICE, "Demo") is None
    assert not (Path(os.environ["ISR_DESK_HOME"]) / "profiles.json").exists()


def test_without_a_display_one_plain_line_and_exit_2(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    done = subprocess.run(
        [sys.executable, "-m", "isr_desk.cli"],  # the README's first command: `isr-desk`
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "isr-desk: there is no display to open the window on (no desktop session here). "
        "Use the commands instead: isr-desk --help"
    ]


def test_no_display_is_told_only_where_qt_would_need_one() -> None:
    from isr_desk.commands.gui import no_display

    assert no_display({}, "linux")
    assert no_display({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not no_display({"DISPLAY": ":0"}, "linux")
    assert not no_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not no_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not no_display({}, "darwin")
    assert not no_display({}, "win32")
