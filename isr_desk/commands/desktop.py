"""``isr-desk install-desktop [--uninstall]`` and ``isr-desk completion bash|zsh``.

After a user install (``pipx install``, docs/install.md) the first puts ISR Desk in the
desktop's application menu with its icon, and installs shell completion for bash and zsh;
``--uninstall`` removes those files again. The second prints a completion script.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from isr_desk.commands import Context

SHELLS = ("bash", "zsh")


def register(subparsers: Any) -> None:
    desktop = subparsers.add_parser(
        "install-desktop",
        help="add ISR Desk to the desktop's menu and install shell completion (this user)",
        description="Install the menu entry, icon and bash/zsh completion under "
        "$XDG_DATA_HOME (default ~/.local/share) for the current user.",
    )
    desktop.add_argument(
        "--uninstall", action="store_true", help="remove the files install-desktop wrote"
    )
    desktop.set_defaults(handler=_install_desktop)
    completion = subparsers.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script, e.g. `isr-desk completion bash > "
        "~/.local/share/bash-completion/completions/isr-desk`.",
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell")
    completion.set_defaults(handler=_completion)


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    import shtab

    return str(shtab.complete(parser, shell=shell))


def launcher() -> str:
    """The GUI launcher installed beside this interpreter (pipx, venv), else on the PATH."""
    for scripts in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        for name in ("isr-desk-gui", "isr-desk"):
            candidate = scripts / name
            if candidate.is_file():
                return str(candidate) + ("" if name == "isr-desk-gui" else " gui")
    found = shutil.which("isr-desk-gui")
    return found or "isr-desk gui"


def _install_desktop(args: argparse.Namespace, ctx: Context) -> int:
    from isr_desk.services import desktop

    if args.uninstall:
        removed = desktop.uninstall()
        for path in removed:
            ctx.out(f"Removed {path}")
        if not removed:
            ctx.out("Nothing to remove: install-desktop had not installed anything here.")
        return 0
    parser: argparse.ArgumentParser = args.root_parser
    scripts = {shell: completion_script(parser, shell) for shell in SHELLS}
    for path in desktop.install(launcher=launcher(), completions=scripts):
        ctx.out(f"Installed {path}")
    ctx.out("zsh: add ~/.local/share/zsh/site-functions to fpath (docs/install.md).")
    return 0


def _completion(args: argparse.Namespace, ctx: Context) -> int:
    ctx.stdout.write(completion_script(args.root_parser, args.shell))
    ctx.stdout.flush()
    return 0
