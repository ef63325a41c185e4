"""``isr-desk revalidate`` as a subprocess: the printed lines and exit statuses of a run,
Ctrl-C (requests in flight counted apart), and ``--resume RUN_ID`` after a kill -9."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_sites import ISR, isr
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Recorded, Reply


@pytest.fixture
def named_site(site: LoopbackSite, unique_name: str, real_keyring: object) -> Iterator[str]:
    out = isr("site", "add", unique_name, "--url", site.url, "--secret-stdin", stdin=site.secret)
    assert out.returncode == 0, out.stderr
    yield unique_name
    isr("site", "remove", unique_name)


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_text_output_is_one_line_per_result_then_the_summary(
    named_site: str, site: LoopbackSite
) -> None:
    site.on(REVALIDATE_PATH, Reply(200, {"revalidated": True}), Reply(500, {"message": "boom"}))
    out = isr("revalidate", named_site, "--path", "/a", "--path", "/b", "--retries", "0",
              "--concurrency", "1")  # fmt: skip
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert re.fullmatch(r"ok   200 /a  Refreshed  \d+ ms", lines[0])
    assert re.fullmatch(r"FAIL 500 /b  Server error  \d+ ms", lines[1])
    assert lines[2].startswith("     ")  # the hint
    assert re.fullmatch(
        r"1 of 2 refreshed, 1 failed in \d+\.\d\d s \(p50 \d+ ms, p95 \d+ ms\)", lines[-1]
    )
    assert out.stderr == ""


def test_json_summary_keeps_its_keys_and_counts_in_flight_apart(
    named_site: str, site: LoopbackSite
) -> None:
    out = isr("revalidate", named_site, "--path", "/a", "--json")
    assert out.returncode == 0, out.stderr
    summary = _lines(out.stdout)[-1]["summary"]
    assert isinstance(summary, dict)
    assert set(summary) == {
        "total", "ok", "failed", "not_sent", "cancelled", "in_flight", "duration_ms",
        "p50_ms", "p95_ms",
    }  # fmt: skip
    assert (summary["ok"], summary["in_flight"]) == (1, 0)


def test_ctrl_c_reports_in_flight_apart_and_resume_sends_the_rest(
    named_site: str, site: LoopbackSite, tmp_path: Path
) -> None:
    site.latency = 0.2
    listing = tmp_path / "paths.txt"
    listing.write_text("\n".join(f"/p/{i}" for i in range(50)))
    cmd = [ISR, "revalidate", named_site, "--from-file", str(listing), "--concurrency", "2"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=os.environ) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # one answer: two more are in flight now
        proc.send_signal(signal.SIGINT)
        rest = proc.stdout.read()  # not communicate(): it skips what readline() buffered
        proc.wait(timeout=60)
    assert proc.returncode == 130
    last = rest.splitlines()[-1]
    assert first.startswith("ok   200 /p/")
    assert "; cancelled, " in last
    assert "cancelled in flight (may or may not have been applied)" in last
    assert " 0 failed" in last

    run = _lines(isr("history", "--json").stdout)[0]["runs"][0]  # type: ignore[index]
    assert run["status"] == "cancelled"
    site.latency = 0.0
    resumed = isr("revalidate", named_site, "--resume", str(run["id"]), "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = _lines(resumed.stdout)[-1]["summary"]
    assert isinstance(summary, dict)
    assert summary["total"] == run["total"] - run["ok"]  # the rest, in flight included
    assert summary["ok"] == summary["total"]
    refreshed = {line.split()[2] for line in [first, *rest.splitlines()] if line.startswith("ok ")}
    resent = {line["target"] for line in _lines(resumed.stdout) if "target" in line}
    assert not refreshed & resent
    assert refreshed | resent == {f"/p/{i}" for i in range(50)}
    latest = _lines(isr("history", "--json").stdout)[0]["runs"][0]  # type: ignore[index]
    assert latest["resumed_from"] == run["id"]  # linked to the run it continues
    assert f"finished (continues {run['id']})" in isr("history").stdout


def test_resume_after_a_kill_9_sends_only_what_was_not_sent(
    named_site: str, site: LoopbackSite, tmp_path: Path
) -> None:
    site.latency = 0.02
    listing = tmp_path / "paths.txt"
    listing.write_text("\n".join(f"/p/{i}" for i in range(500)))
    cmd = [ISR, "revalidate", named_site, "--from-file", str(listing), "--json",
           "--concurrency", "2"]  # fmt: skip
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=os.environ) as proc:
        assert proc.stdout is not None
        printed = [proc.stdout.readline() for _ in range(20)]
        proc.kill()
        proc.wait(timeout=30)
        printed += proc.stdout.readlines()
    seen = {line["target"] for line in _lines("".join(printed))}
    run = _lines(isr("history", "--json").stdout)[0]["runs"][0]  # type: ignore[index]
    assert run["status"] == "interrupted"

    export = tmp_path / "run.json"
    assert isr("history", "export", str(run["id"]), str(export)).returncode == 0
    recorded = {r["target"] for r in json.loads(export.read_text())["results"]}
    assert seen <= recorded  # committed before printed

    resumed = isr("revalidate", named_site, "--resume", str(run["id"]), "--json")
    assert resumed.returncode == 0, resumed.stderr
    sent_again = {line["target"] for line in _lines(resumed.stdout) if "target" in line}
    assert not sent_again & recorded  # nothing answered is sent twice
    assert sent_again | recorded == {f"/p/{i}" for i in range(500)}
    assert "resuming run" in resumed.stderr

    again = isr("revalidate", named_site, "--resume", str(run["id"]))
    assert again.returncode == 0
    assert "Nothing left to send: every target of run" in again.stdout


def test_resume_of_another_site_or_an_unknown_run_is_exit_2(named_site: str) -> None:
    unknown = isr("revalidate", named_site, "--resume", "999")
    assert unknown.returncode == 2
    assert "No run 999" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_ctrl_c_cancels_cleanly_records_the_run_as_cancelled_and_exits_130(
    site: LoopbackSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrived = threading.Event()

    def hang(rec: Recorded) -> None:  # in flight until the site stops
        arrived.set()
        assert rec.conn is not None
        rec.conn.stop.wait()
        rec.conn.keep_alive = False

    site.on("/slow", hang)
    monkeypatch.setenv("ISR_TEST_SECRET", site.secret)
    cmd = [
        ISR, "revalidate", "ctrl-c", "--url", site.url, "--secret-env", "ISR_TEST_SECRET",
        "--concurrency", "1", "--path", "/a", "--path", "/slow", "--path", "/b", "--path", "/c",
    ]  # fmt: skip
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ
    ) as proc:
        assert arrived.wait(timeout=60), "the slow request never arrived"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    last = stdout.splitlines()[-1]
    assert last.startswith("1 of 4 refreshed, 0 failed")
    assert "; cancelled, 2 not sent, 1 cancelled in flight" in last
    run = _lines(isr("history", "--json").stdout)[0]["runs"][0]  # type: ignore[index]
    assert run["status"] == "cancelled"
    assert f"interrupted: the run was cancelled and recorded as run {run['id']}" in stderr
    assert f"isr-desk revalidate ctrl-c --resume {run['id']}" in stderr
    assert "Traceback" not in stderr
