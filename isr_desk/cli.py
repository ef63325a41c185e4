"""The ``isr-desk`` command line: one argparse tree over the same services as the GUI.

Exit statuses: 0 all succeeded, 1 some target failed, 2 bad usage / bad input / no secret /
no keyring. An expected failure prints one clear line on stderr; an unexpected one prints
one line naming the log file that holds the traceback. No traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from isr_desk import __version__
from isr_desk.commands import Context
from isr_desk.services import logsafe
from isr_desk.services.errors import IsrError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_HELP_FLAGS = {"-h", "--help", "--version"}
# Commands that load a whole manifest and print it: every object they make lives until the
# process exits, and the cyclic GC would re-scan them again and again (+25-30 % CPU on a
# 100,000-route build). Reference counting frees the rest; a manifest holds no cycles.
BULK_COMMANDS = frozenset({"manifest"})

# Each module adds its sub-commands through ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = (
    "isr_desk.commands.sites",
    "isr_desk.commands.revalidate",
    "isr_desk.commands.history",
    "isr_desk.commands.gui",
    "isr_desk.commands.manifest",
    "isr_desk.commands.doctor",
    "isr_desk.commands.desktop",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one line, as the CLI contract says."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"isr-desk: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="isr-desk",
        description="Revalidate pages and cache tags of statically generated sites.",
    )
    parser.add_argument("--version", action="version", version=f"isr-desk {__version__}")
    parser.add_argument("--debug", action="store_true", help="log debug details to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    # Completion scripts are made from this very parser (commands cannot import the CLI).
    parser.set_defaults(root_parser=parser)
    return parser


def _log_unexpected(exc: BaseException) -> str:
    """Where the traceback went; never raises (:func:`logsafe.append_crash`)."""
    try:
        text = "".join(traceback.format_exception(exc))
    except Exception:  # noqa: BLE001 - an exception whose str() fails
        text = f"{type(exc).__name__} (its traceback could not be formatted)\n"

    def directory() -> Path:
        from isr_desk.services.paths import log_dir

        return log_dir()

    return logsafe.append_crash(text, directory)


def own_the_gc(args: argparse.Namespace) -> None:
    """The CLI's one decision about the cyclic GC (the window's is app.py's; services never
    touch it, docs/architecture.md). What was imported so far (modules, classes, functions)
    is frozen out of every later collection; a bulk command runs with automatic collection
    off. A run (``revalidate``, ``manifest diff --revalidate``) keeps it on: its failures may
    leave cycles, for as many targets as it has.
    """
    if args.command == "gui":
        return  # the app owns the GC of its process
    gc.freeze()
    if args.command in BULK_COMMANDS and not getattr(args, "revalidate", None):
        gc.disable()


def main(argv: Sequence[str] | None = None, ctx: Context | None = None) -> int:
    ctx = ctx or Context()
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not any(not a.startswith("-") or a in _HELP_FLAGS for a in args_list):
        # `isr-desk` alone (or with only global options) opens the GUI.
        args_list.append("gui")
    args = parser.parse_args(args_list)
    # Every log line goes through a formatter that blanks secrets (httpx logs request URLs,
    # query-string secret included, at INFO).
    logsafe.install(debug=args.debug, stream=ctx.stderr)
    handler = getattr(args, "handler", None)
    if argv is None:  # the process's own command line: this process is the CLI's
        own_the_gc(args)
    if handler is None:
        parser.print_help(ctx.stderr)
        return EXIT_USAGE
    try:
        return int(handler(args, ctx))
    except IsrError as exc:
        ctx.err(f"isr-desk: {exc.describe()}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        ctx.err("isr-desk: interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`isr-desk manifest site | head`): not an error to report.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into one line
        where = _log_unexpected(exc)
        ctx.err(f"isr-desk: unexpected error ({type(exc).__name__}); details in {where}")
        return EXIT_USAGE


def gui_main() -> int:
    """The ``isr-desk-gui`` launcher (a GUI script: no console window on Windows)."""
    return main(["gui", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
