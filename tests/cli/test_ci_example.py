"""The GitHub Actions example of docs/ci.md, run as the runner runs it: its ``run:`` script
with bash, the installed ``isr-desk`` on the PATH, against a loopback site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Reply

DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"


def revalidate_step() -> tuple[dict[str, str], str]:
    """The ``env:`` and the ``run: |`` script of the step that calls isr-desk."""
    yaml = re.search(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert yaml is not None
    step = yaml.group(1).split("- name: Revalidate what changed\n", 1)[1]
    env_block, run_block = step.split("        run: |\n", 1)
    env = dict(re.findall(r"^          (\w+): (.+)$", env_block, re.M))
    script = []
    for line in run_block.splitlines():
        if not line.startswith("          "):
            break
        script.append(line[10:])
    return env, "\n".join(script)


def test_the_documented_github_actions_step_runs_against_a_loopback_site(
    site: LoopbackSite, tmp_path: Path
) -> None:
    env, script = revalidate_step()
    assert env["REVALIDATE_SECRET"] == "${{ secrets.REVALIDATE_SECRET }}"
    assert "isr-desk revalidate" in script
    runner_env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SITE_URL": site.url,  # instead of the example's https://www.example.com
        "REVALIDATE_SECRET": site.secret,  # what ${{ secrets.REVALIDATE_SECRET }} gives
    }
    ran = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=runner_env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert sorted(site.revalidated) == ["path:/", "path:/blog", "tag:posts"]
    assert all(r.headers["authorization"] == f"Bearer {site.secret}" for r in site.requests)
    (line,) = ran.stdout.splitlines()  # --failures-only: nothing failed, the summary alone
    assert line.startswith("3 of 3 refreshed, 0 failed")
    report = ET.parse(tmp_path / "isr-desk.xml").getroot()
    assert sorted(c.get("name") or "" for c in report.iter("testcase")) == [
        "/",
        "/blog",
        "tag:posts",
    ]
    assert site.secret not in (tmp_path / "isr-desk.xml").read_text() + ran.stdout + ran.stderr

    # A failing page fails the step, and shows up as a failed test in the report.
    # The first three answers: one 500; then 500 again for both retries of that target.
    ok, boom = Reply(200, {"revalidated": True}), Reply(500, {"message": "boom"})
    site.on(REVALIDATE_PATH, ok, boom, ok, boom, boom)
    failed = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=runner_env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert failed.returncode == 1
    assert "FAIL 500" in failed.stdout
    suite = ET.parse(tmp_path / "isr-desk.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "1"
