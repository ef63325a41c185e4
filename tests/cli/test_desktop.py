"""``isr-desk install-desktop`` / ``--uninstall`` and ``isr-desk completion``: the installed
command writes the menu entry, icon and completion scripts under a temp ``XDG_DATA_HOME``."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ISR = str(Path(sys.executable).with_name("isr-desk"))


def isr(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    return subprocess.run([ISR, *args], capture_output=True, text=True, env=env, timeout=60)


def test_install_desktop_and_uninstall_for_the_current_user(tmp_path: Path) -> None:
    data = tmp_path / "xdg-data"
    ran = isr("install-desktop", data=data)
    assert ran.returncode == 0, ran.stderr
    entry = data / "applications" / "isr-desk.desktop"
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / "isr-desk.svg"
    bash = data / "bash-completion" / "completions" / "isr-desk"
    zsh = data / "zsh" / "site-functions" / "_isr-desk"
    for path in (entry, icon, bash, zsh):
        assert f"Installed {path}" in ran.stdout
        assert path.stat().st_size > 0
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read(entry)
    section = desktop["Desktop Entry"]
    assert (section["Type"], section["Name"], section["Icon"]) == (
        "Application",
        "ISR Desk",
        "isr-desk",
    )
    launcher = section["Exec"].split()[0]
    assert Path(launcher).is_absolute()  # not left to a desktop session's PATH
    assert os.access(launcher, os.X_OK)
    assert Path(launcher).name == "isr-desk-gui"  # the [project.gui-scripts] launcher
    assert icon.read_text().lstrip().startswith("<")
    if shutil.which("desktop-file-validate"):
        assert subprocess.run(["desktop-file-validate", str(entry)]).returncode == 0

    removed = isr("install-desktop", "--uninstall", data=data)
    assert removed.returncode == 0
    assert not any(p.exists() for p in (entry, icon, bash, zsh))
    again = isr("install-desktop", "--uninstall", data=data)
    assert "Nothing to remove" in again.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_bash_completion_completes_commands_and_flags(tmp_path: Path) -> None:
    script = isr("completion", "bash", data=tmp_path).stdout
    assert "revalidate" in script
    assert "--secret-env" in script
    check = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert check.returncode == 0, check.stderr
    # Complete `isr-desk re<TAB>` and `isr-desk revalidate --secret-<TAB>` as bash would.
    probe = (
        script
        + "\nCOMP_WORDS=(isr-desk re); COMP_CWORD=1; COMP_LINE='isr-desk re'; COMP_POINT=11;"
        + " _shtab_isr_desk isr-desk re isr-desk; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
        + "COMP_WORDS=(isr-desk revalidate --secret-); COMP_CWORD=2;"
        + " COMP_LINE='isr-desk revalidate --secret-'; COMP_POINT=29;"
        + " _shtab_isr_desk isr-desk --secret- revalidate; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    done = subprocess.run(["bash", "-c", probe], text=True, capture_output=True)
    words = done.stdout.split()
    assert "revalidate" in words
    assert {"--secret-env", "--secret-stdin"} <= set(words)
    zsh = isr("completion", "zsh", data=tmp_path).stdout
    assert zsh.startswith("#compdef isr-desk")
