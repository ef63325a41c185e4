"""Crash safety: ``kill -9`` in the middle of a 5,000-target CLI run loses nothing shown.

The CLI commits each batch of results to the history before printing it, so every result
a user saw is on disk even when the process dies the next instant. The next start shows
the run as ``interrupted``, and the app works normally afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.sites import LoopbackSite

ISR = str(Path(sys.executable).with_name("isr-desk"))
TOTAL = 5000
SEEN_BEFORE_KILL = 600


def isr(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ISR, *args], input=stdin, capture_output=True, text=True, env=os.environ, timeout=120
    )


def test_kill_9_during_a_5000_target_run_keeps_every_printed_result(
    site: LoopbackSite, tmp_path: Path
) -> None:
    site.latency = 0.01  # 5,000 x 10 ms / 32 = about 1.6 s: the kill lands mid-run
    assert isr("site", "add", "bulk", "--url", site.url).returncode == 0
    listing = tmp_path / "paths.txt"
    listing.write_text("\n".join(f"/p/{i}" for i in range(TOTAL)))
    argv = [ISR, "revalidate", "bulk", "--from-file", str(listing), "--json",
            "--concurrency", "32", "--secret-stdin"]  # fmt: skip
    with subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ
    ) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(site.secret + "\n")
        proc.stdin.close()
        printed = [proc.stdout.readline() for _ in range(SEEN_BEFORE_KILL)]
        proc.kill()
        proc.wait(timeout=30)
        printed += proc.stdout.readlines()  # whatever was already in the pipe
    rows = [json.loads(line) for line in printed if line.strip()]
    seen = {row["target"] for row in rows if "target" in row}
    assert len(seen) >= SEEN_BEFORE_KILL
    assert not any("summary" in row for row in rows)  # it really died mid-run

    # A restarted app: `history` opens normally and shows the run as interrupted.
    listed = isr("history")
    assert listed.returncode == 0, listed.stderr
    assert "interrupted" in listed.stdout
    runs = json.loads(isr("history", "--json").stdout)["runs"]
    assert runs[0]["status"] == "interrupted"
    assert runs[0]["total"] == TOTAL
    export = tmp_path / "run.json"
    assert isr("history", "export", str(runs[0]["id"]), str(export)).returncode == 0
    stored = [r["target"] for r in json.loads(export.read_text())["results"]]
    assert seen <= set(stored)  # every result printed before the kill is in the history
    assert len(stored) == len(set(stored)) < TOTAL
    assert runs[0]["ok"] == len(stored)

    # And the app keeps working: a new run is recorded and finishes.
    again = isr("revalidate", "bulk", "--path", "/after", "--secret-stdin", stdin=site.secret)
    assert again.returncode == 0, again.stderr
    runs = json.loads(isr("history", "--json").stdout)["runs"]
    assert [r["status"] for r in runs[:2]] == ["finished", "interrupted"]
