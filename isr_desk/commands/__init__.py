"""Sub-commands of the ``isr-desk`` CLI, one module each.

Each module defines ``register(subparsers)``, which adds its parsers and sets
``handler=<function(args, ctx) -> int>`` on them. :mod:`isr_desk.cli` lists the modules.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import TextIO, TypeAlias

from isr_desk.services.logsafe import terminal_safe

# What ``ArgumentParser.add_subparsers`` returns (typeshed names it; argparse keeps it private).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


@dataclass
class Context:
    """What a command needs, built lazily so `isr-desk --help` touches no keyring or disk."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)

    def out(self, text: str = "") -> None:
        """Print a line; control characters from sites, manifests or profiles are escaped
        here, once for every command (an ESC from a server's ETag must not reach the tty)."""
        print(terminal_safe(text), file=self.stdout, flush=True)

    def err(self, text: str) -> None:
        print(terminal_safe(text), file=self.stderr, flush=True)

    def json_line(self, data: object) -> None:
        self.out(json.dumps(data, ensure_ascii=False, default=str))
