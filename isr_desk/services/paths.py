"""Where ISR Desk keeps its state: ``$ISR_DESK_HOME`` when set, else the platform data dir."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import platformdirs

APP_NAME = "isr-desk"


def app_home() -> Path:
    """The directory holding the profiles file, the history database and logs."""
    override = os.environ.get("ISR_DESK_HOME")
    home = Path(override) if override else platformdirs.user_data_path(APP_NAME, appauthor=False)
    home.mkdir(parents=True, exist_ok=True)
    return home


def profiles_file() -> Path:
    return app_home() / "profiles.json"


def history_db() -> Path:
    return app_home() / "history.sqlite3"


def log_dir() -> Path:
    path = app_home() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write(
    path: Path,
    write: Callable[[TextIO], object],
    *,
    mode: int | None = None,
    newline: str | None = None,
) -> None:
    """Write a text file whole or not at all: a temp file beside it, fsync, rename.

    ``write`` gets the open file. ``mode`` (e.g. 0o600) is set before the rename. OSError
    propagates (the temp file removed); callers turn it into their own error.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
