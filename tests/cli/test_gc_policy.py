"""The CLI's composition root owns the cyclic GC of its process (isr_desk/cli.py, `own_the_gc`).

A fresh interpreter runs ``cli.main()`` on its own command line, as the ``isr-desk`` script
does, and reports the GC's state after the command.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from isr_desk.cli import main

_CHILD = r"""
import contextlib, gc, io, json, sys
from isr_desk.cli import main
sys.argv = ["isr-desk", *sys.argv[1:]]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main()
print(json.dumps({"code": code, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


def _gc_after(*args: str) -> dict[str, int | bool]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    state: dict[str, int | bool] = json.loads(done.stdout.splitlines()[-1])
    return state


def _site_with_a_list(tmp_path: Path) -> Path:
    listing = tmp_path / "paths.txt"
    listing.write_text("".join(f"/p/{i}\n" for i in range(100)), encoding="utf-8")
    assert main(["site", "add", "shop", "--url", "http://127.0.0.1:9"]) == 0
    return listing


def test_listing_a_manifest_runs_with_automatic_collection_off(tmp_path: Path) -> None:
    listing = _site_with_a_list(tmp_path)
    state = _gc_after("manifest", "shop", "--source", str(listing))
    assert state["code"] == 0
    assert state["enabled"] is False
    assert int(state["frozen"]) > 0  # start-up's modules and classes, out of collections


def test_other_commands_keep_automatic_collection_and_freeze_start_up(tmp_path: Path) -> None:
    _site_with_a_list(tmp_path)
    state = _gc_after("site", "list")
    assert state["code"] == 0
    assert state["enabled"] is True
    assert int(state["frozen"]) > 0


def test_a_manifest_diff_that_sends_a_run_keeps_automatic_collection(tmp_path: Path) -> None:
    # --revalidate sends a run (as many targets as changed): cycles from failures may pile up.
    listing = _site_with_a_list(tmp_path)
    state = _gc_after("manifest", "diff", str(listing), str(listing), "--revalidate", "shop")
    assert state["enabled"] is True


def test_main_called_with_arguments_leaves_the_caller_s_gc_alone(tmp_path: Path) -> None:
    listing = _site_with_a_list(tmp_path)
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    assert main(["manifest", "shop", "--source", str(listing)]) == 0
    assert (gc.isenabled(), gc.get_freeze_count()) == (enabled, frozen)
