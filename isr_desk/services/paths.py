"""Where ISR Desk keeps its state: ``$ISR_DESK_HOME`` when set, else the platform data dir."""

from __future__ import annotations

import os
from pathlib import Path

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
