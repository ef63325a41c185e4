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
