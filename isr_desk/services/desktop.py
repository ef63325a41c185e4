"""The app in the desktop's menus, for the current user: a ``.desktop`` entry, its icon and
shell completion, installed under the XDG data directory and removed again.

Where (the freedesktop.org base directory and desktop entry specifications), with
``$XDG_DATA_HOME`` (default ``~/.local/share``) as DATA:

- ``DATA/applications/isr-desk.desktop`` — the menu entry; its ``Exec`` is the absolute path
  of the launcher that was installed with the app (a pipx install is not always on the
  ``PATH`` a desktop session has);
- ``DATA/icons/hicolor/scalable/apps/isr-desk.svg`` — the icon;
- ``DATA/bash-completion/completions/isr-desk`` — read by bash-completion on demand;
- ``DATA/zsh/site-functions/_isr-desk`` — add that folder to ``fpath`` (docs/install.md).

The files come from the package's ``resources/`` and the command line's own parser.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

from isr_desk.services.errors import IsrError
from isr_desk.services.paths import atomic_write

DESKTOP_ID = "isr-desk"


@dataclass(frozen=True)
class DesktopFiles:
    """Where each file goes, under one data directory."""

    data_home: Path

    @property
    def entry(self) -> Path:
        return self.data_home / "applications" / f"{DESKTOP_ID}.desktop"

    @property
    def icon(self) -> Path:
        return self.data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{DESKTOP_ID}.svg"

    @property
    def bash(self) -> Path:
        return self.data_home / "bash-completion" / "completions" / DESKTOP_ID

    @property
    def zsh(self) -> Path:
        return self.data_home / "zsh" / "site-functions" / f"_{DESKTOP_ID}"

    def all(self) -> tuple[Path, ...]:
        return (self.entry, self.icon, self.bash, self.zsh)


def data_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    value = env.get("XDG_DATA_HOME", "")
    # The spec: a relative path is invalid and is ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / ".local" / "share"


def _resource(name: str) -> str:
    return (resources.files("isr_desk") / "resources" / name).read_text(encoding="utf-8")


def desktop_entry(launcher: str) -> str:
    """The packaged entry with ``Exec`` pointing at ``launcher`` (quoted as the spec says)."""
    quoted = launcher if " " not in launcher else '"' + launcher.replace('"', '\\"') + '"'
    lines = []
    for line in _resource(f"{DESKTOP_ID}.desktop").splitlines():
        if line.startswith("Exec="):
            line = f"Exec={quoted}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def install(
    *, launcher: str, completions: Mapping[str, str], home: Path | None = None
) -> list[Path]:
    """Write the entry, the icon and the completion scripts; return the files written."""
    files = DesktopFiles(home or data_home())
    contents = {
        files.entry: desktop_entry(launcher),
        files.icon: _resource(f"{DESKTOP_ID}.svg"),
        files.bash: completions["bash"],
        files.zsh: completions["zsh"],
    }
    written = []
    try:
        for path, text in contents.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, functools.partial(_write_text, text), mode=0o644)
            written.append(path)
    except OSError as exc:
        raise IsrError(
            f"Cannot write {exc.filename or 'a desktop file'}: {exc.strerror or exc}"
        ) from exc
    return written


def uninstall(*, home: Path | None = None) -> list[Path]:
    """Remove what :func:`install` wrote; return the files that were there."""
    removed = []
    for path in DesktopFiles(home or data_home()).all():
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise IsrError(f"Cannot remove {path}: {exc.strerror or exc}") from exc
        removed.append(path)
    return removed


def _write_text(text: str, fh: TextIO) -> None:
    fh.write(text)
