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

# What ``ArgumentParser.add_subparsers`` returns (typeshed names it; argparse keeps it private).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


@dataclass
class Context:
    """What a command needs, built lazily so `isr-desk --help` touches no keyring or disk."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)

    def out(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def err(self, text: str) -> None:
        print(text, file=self.stderr, flush=True)

    def json_line(self, data: object) -> None:
        self.out(json.dumps(data, ensure_ascii=False, default=str))
