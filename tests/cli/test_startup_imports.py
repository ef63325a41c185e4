"""What a quick command loads: `isr-desk --help` and `--version` stay quick because they do not
import the GUI, the network stack, the keyring or package metadata (docs/performance.md,
"Start-up and memory"). Each case runs in a fresh interpreter and reads its ``sys.modules``.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

import pytest

import isr_desk

# Loaded only by the commands that use them (a run, the window, a secret, the doctor).
HEAVY = (
    "PySide6",
    "httpx",
    "keyring",
    "asyncio",
    "ssl",
    "importlib.metadata",
    "xml.etree.ElementTree",
    "isr_desk.views",
    "isr_desk.services.http",
    "isr_desk.services.revalidation",
    "isr_desk.services.runs",
)

_CHILD = r"""
import contextlib, io, json, sys
from isr_desk.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(sys.argv[1:])
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_load_no_heavy_module(flag: str) -> None:
    loaded = _modules_after(flag)
    assert "isr_desk.cli" in loaded  # the child did run the CLI
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_a_command_s_help_loads_no_heavy_module() -> None:
    loaded = _modules_after("revalidate", "--help")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_version_is_the_installed_one() -> None:
    # isr_desk/__init__.py is the one source (pyproject.toml reads it): the two cannot drift.
    assert isr_desk.__version__ == importlib.metadata.version("isr-desk")


def test_version_prints_the_package_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "isr_desk.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"isr-desk {isr_desk.__version__}"
