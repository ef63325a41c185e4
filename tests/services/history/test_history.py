"""HistoryStore: SQLite (WAL) persistence of runs and results, export, and `isr-desk history`."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from isr_desk.domain import (
    REDACTED,
    Outcome,
    PreparedRequest,
    Result,
    RunSummary,
    Target,
    Timing,
)
from isr_desk.services.errors import HistoryError
from isr_desk.services.history import HistoryStore, result_from_dict
from isr_desk.services.paths import history_db

ISR_DESK = Path(sys.executable).parent / "isr-desk"
SECRET = "hunter2-top-secret"


def make_result(i: int, *, ok: bool = True) -> Result:
    """A result with every field set (odd ones failed, with error and hint)."""
    target = Target.path(f"/blog/post-{i}") if i % 3 else Target.tag(f"tag-{i}")
    request = PreparedRequest(
        method="POST",
        url=f"http://127.0.0.1:9/api/revalidate?secret={REDACTED}",
        headers=(("User-Agent", "isr-desk/test"), ("Content-Type", "application/json")),
        body=json.dumps({target.kind.value: target.value}).encode(),
        targets=(target,),
    )
    return Result(
        target=target,
        ok=ok,
        outcome=Outcome.REFRESHED if ok else Outcome.SERVER_ERROR,
        status=200 if ok else 500,
        duration_ms=10.0 + i * 1.25,
        attempts=1 if ok else 3,
        response={"revalidated": True, "now": 1700000000000 + i}
        if ok
        else "Internal error: ünïcode",
        error=None if ok else "HTTP 500",
        hint=None if ok else "The route threw; see the body",
        timing=Timing(total_ms=10.0 + i, connect_ms=0.5, tls_ms=None, first_byte_ms=9.0 + i),
        instance="http://127.0.0.1:9" if i % 2 else None,
        started_at=1_750_000_000.0 + i,
        request=request,
        response_headers=(("content-type", "application/json"), ("x-run", str(i))),
    )


def bare_result(i: int) -> Result:
    """A result with every optional field empty (e.g. connection refused)."""
    return Result(
        target=Target.path(f"/p/{i}"),
        ok=False,
        outcome=Outcome.UNREACHABLE,
        status=None,
        duration_ms=1.0,
        attempts=1,
        started_at=1_750_000_100.0,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    db = HistoryStore(tmp_path / "history.sqlite3")
    yield db
    db.close()


def test_results_round_trip_every_field(store: HistoryStore) -> None:
    results = [make_result(i, ok=i % 2 == 0) for i in range(7)] + [bare_result(1)]
    run_id = store.start_run("Blog", total=len(results), targets=[r.target for r in results])
    store.add_results(run_id, results[:3])
    store.add_results(run_id, results[3:])

    assert store.results(run_id) == results
    assert store.run_targets(run_id) == [r.target for r in results]
    run = store.run(run_id)
    assert (run.profile, run.total, run.ok, run.failed, run.status) == ("Blog", 8, 4, 4, "running")


def test_request_with_secret_is_redacted_before_storing(store: HistoryStore) -> None:
    target = Target.path("/a")
    leaky = PreparedRequest(
        "POST",
        f"http://127.0.0.1:9/api/revalidate?secret={SECRET}",
        (("Authorization", f"Bearer {SECRET}"),),
        json.dumps({"path": "/a", "secret": SECRET}).encode(),
        (target,),
        secret=SECRET,
    )
    result = Result(
        target, False, Outcome.WRONG_SECRET, 401, 2.0, 1,
        response={"message": f"bad token {SECRET}"}, error=f"401 for {SECRET}", request=leaky,
    )  # fmt: skip
    run_id = store.start_run("Blog", total=1)
    store.add_results(run_id, [result])

    stored = store.results(run_id)[0]
    assert stored.request == leaky.redacted()
    assert stored.request is not None
    assert stored.request.secret is None
    assert REDACTED in stored.request.url
    assert SECRET not in repr(stored)
    store.close()
    raw = b"".join(p.read_bytes() for p in store.path.parent.iterdir() if p.is_file())
    assert SECRET.encode() not in raw


def test_wal_mode_and_persistence_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    results = [make_result(i) for i in range(5)]
    with HistoryStore(path) as first:
        run_id = first.start_run("Docs", total=5, started_at=1_750_000_000.0)
        first.add_results(run_id, results)
        summary = RunSummary.from_results(results, total=5, duration_ms=1234.5)
        first.finish_run(run_id, summary, finished_at=1_750_000_002.0)

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()

    with HistoryStore(path) as second:
        [run] = second.runs()
        assert run.id == run_id
        assert run.status == "finished"
        assert (run.total, run.ok, run.failed, run.not_sent) == (5, 5, 0, 0)
        assert run.duration_ms == 1234.5
        assert run.finished_at == 1_750_000_002.0
        assert run.p50_ms == summary.p50_ms
        assert run.p95_ms == summary.p95_ms
        assert second.results(run_id) == results


def test_default_path_is_under_isr_desk_home(isr_home: Path) -> None:
    with HistoryStore() as db:
        db.start_run("x", total=0)
    assert history_db() == isr_home / "history.sqlite3"
    assert (isr_home / "history.sqlite3").exists()


def test_runs_newest_first_limit_and_cancelled_status(store: HistoryStore) -> None:
    ids = [store.start_run(f"site-{i}", total=2, started_at=1000.0 + i) for i in range(4)]
    cancelled = RunSummary.from_results([], total=2, duration_ms=5.0, cancelled=True)
    store.finish_run(ids[1], cancelled)

    assert [r.id for r in store.runs()] == ids[::-1]
    assert [r.id for r in store.runs(limit=2)] == ids[:1:-1]
    assert store.run(ids[1]).status == "cancelled"
    assert store.run(ids[1]).not_sent == 2


def test_mark_interrupted_leaves_live_runs_alone(store: HistoryStore) -> None:
    run_id = store.start_run("Blog", total=10)
    store.add_results(run_id, [make_result(i) for i in range(3)])
    done = store.start_run("Blog", total=0)
    store.finish_run(done, RunSummary.from_results([], total=0, duration_ms=0.0))

    assert store.mark_interrupted() == 0  # this process is alive: its run still runs
    assert store.run(run_id).status == "running"
    assert store.mark_interrupted(include_live=True) == 1

    run = store.run(run_id)
    assert run.status == "interrupted"
    assert store.run(done).status == "finished"
    assert (run.ok, run.not_sent) == (3, 7)
    last = make_result(2)
    assert run.finished_at == pytest.approx(last.started_at + last.duration_ms / 1000)
    assert run.duration_ms == pytest.approx((last.started_at - run.started_at) * 1000 + 12.5)


def test_unknown_run_and_closed_store_raise_history_error(store: HistoryStore) -> None:
    with pytest.raises(HistoryError, match="No run 42"):
        store.add_results(42, [make_result(1)])
    with pytest.raises(HistoryError, match="No run 42"):
        store.finish_run(42, RunSummary.from_results([], total=0, duration_ms=0))
    with pytest.raises(HistoryError, match="No run 42"):
        store.export_csv(42, store.path.parent / "x.csv")
    assert store.results(42) == []
    store.close()
    with pytest.raises(HistoryError, match="closed"):
        store.runs()


def test_corrupt_database_file_gives_history_error_with_hint(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    with pytest.raises(HistoryError) as info:
        HistoryStore(path)
    assert str(path) in info.value.message
    assert "damaged" in info.value.message
    assert info.value.hint
    assert "aside" in info.value.hint


def test_unwritable_location_gives_history_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError):
        HistoryStore(blocker / "history.sqlite3")  # parent is a file


def test_concurrent_writers_from_threads(store: HistoryStore) -> None:
    run_id = store.start_run("Blog", total=400)

    def write(start: int) -> None:
        for i in range(start, start + 100):
            store.add_results(run_id, [make_result(i)])

    threads = [threading.Thread(target=write, args=(n * 100,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results = store.results(run_id)
    assert sorted(r.started_at for r in results) == [make_result(i).started_at for i in range(400)]
    assert store.run(run_id).ok == 400


def test_export_csv_round_trip(store: HistoryStore, tmp_path: Path) -> None:
    results = [make_result(i, ok=i % 2 == 0) for i in range(5)] + [bare_result(9)]
    run_id = store.start_run("Blog", total=len(results))
    store.add_results(run_id, results)
    out = tmp_path / "run.csv"
    store.export_csv(run_id, out)

    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(results)
    for row, r in zip(rows, results, strict=True):
        assert row["run_id"] == str(run_id)
        assert datetime.fromisoformat(row["started_at"]).timestamp() == r.started_at
        assert (row["kind"], row["target"]) == (r.target.kind.value, r.target.value)
        assert row["ok"] == ("true" if r.ok else "false")
        assert (row["outcome"], row["result"]) == (r.outcome.value, r.outcome.label)
        assert row["status"] == ("" if r.status is None else str(r.status))
        assert float(row["duration_ms"]) == pytest.approx(r.duration_ms)
        assert int(row["attempts"]) == r.attempts
        assert row["instance"] == (r.instance or "")
        assert (row["error"] or None, row["hint"] or None) == (r.error, r.hint)
        assert (json.loads(row["response"]) if row["response"] else None) == r.response
        assert row["url"] == ("" if r.request is None else r.request.url)
        if r.timing is not None:
            assert float(row["first_byte_ms"]) == pytest.approx(r.timing.first_byte_ms)
            assert row["tls_ms"] == ""


def test_export_json_round_trip(store: HistoryStore, tmp_path: Path) -> None:
    results = [make_result(i, ok=i != 2) for i in range(5)] + [bare_result(3)]
    run_id = store.start_run("Blog", total=len(results), started_at=1_750_000_000.0)
    store.add_results(run_id, results)
    store.finish_run(run_id, RunSummary.from_results(results, total=6, duration_ms=99.0))
    out = tmp_path / "run.json"
    store.export_json(run_id, out)

    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["run"] == store.run(run_id).to_json()
    assert document["run"]["status"] == "finished"
    assert document["run"]["failed"] == 2
    assert [result_from_dict(d) for d in document["results"]] == results
    assert document["results"][0]["request"]["url"].endswith(f"secret={REDACTED}")


def test_export_to_missing_directory_gives_history_error(
    store: HistoryStore, tmp_path: Path
) -> None:
    run_id = store.start_run("Blog", total=0)
    with pytest.raises(HistoryError, match="Could not export"):
        store.export_json(run_id, tmp_path / "nope" / "run.json")
    assert not (tmp_path / "nope").exists()


# --- kill -9 mid-run ---------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from isr_desk.domain import Outcome, Result, Target
    from isr_desk.services.history import HistoryStore

    store = HistoryStore(Path(sys.argv[1]))
    run_id = store.start_run("Killed", total=1_000_000)
    print(run_id, flush=True)
    i = 0
    while True:  # until killed
        result = Result(Target.path(f"/p/{i}"), True, Outcome.REFRESHED, 200, 1.0, 1,
                        response={"i": i}, started_at=1_750_000_000.0 + i)
        store.add_results(run_id, [result])
        print(i, flush=True)
        i += 1
    """
)


def test_kill_9_mid_run_loses_no_added_result(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    db = tmp_path / "history.sqlite3"
    with subprocess.Popen(
        [sys.executable, str(script), str(db)], stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        run_id = int(child.stdout.readline())
        acknowledged = [int(child.stdout.readline()) for _ in range(200)]
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    with HistoryStore(db) as store:
        stored = {r.target.value: r for r in store.results(run_id)}
        assert len(stored) >= len(acknowledged)
        for i in acknowledged:
            assert stored[f"/p/{i}"].response == {"i": i}
        assert store.run(run_id).status == "running"
        assert store.mark_interrupted() == 1  # its process is gone
        run = store.run(run_id)
    assert run.status == "interrupted"
    assert run.ok == len(stored)


# --- CLI ---------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ISR_DESK), *args], capture_output=True, text=True, timeout=60, check=False
    )


def _seed_history() -> tuple[int, int, list[Result]]:
    results = [make_result(i, ok=i != 1) for i in range(3)]
    with HistoryStore() as store:
        old = store.start_run("Blog", total=3, started_at=1_750_000_000.0)
        store.add_results(old, results)
        store.finish_run(old, RunSummary.from_results(results, total=3, duration_ms=1500.0))
        new = store.start_run("Docs site", total=1, started_at=1_750_000_500.0)
        cancelled = RunSummary.from_results([], total=1, duration_ms=2.0, cancelled=True)
        store.finish_run(new, cancelled)
    return old, new, results


def test_cli_history_table_and_json() -> None:
    assert "No runs yet" in _cli("history").stdout
    old, new, _ = _seed_history()

    table = _cli("history")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "ID",
        "WHEN",
        "SITE",
        "TARGETS",
        "OK",
        "FAILED",
        "DURATION",
        "STATUS",
    ]
    assert lines[1].split()[0] == str(new)
    assert "Docs site" in lines[1]
    assert lines[1].split()[-1] == "cancelled"
    assert lines[2].split()[3:] == ["Blog", "3", "2", "1", "1.5", "s", "finished"]
    assert lines[2].split()[0] == str(old)

    data = json.loads(_cli("history", "--json", "--limit", "1").stdout)
    assert [r["id"] for r in data["runs"]] == [new]
    assert data["runs"][0]["status"] == "cancelled"
    assert data["runs"][0]["profile"] == "Docs site"


def test_cli_history_export_csv_and_json(tmp_path: Path) -> None:
    old, _, results = _seed_history()
    csv_out, json_out = tmp_path / "run.csv", tmp_path / "run.json"

    done = _cli("history", "export", str(old), str(csv_out))
    assert done.returncode == 0, done.stderr
    assert f"Exported 3 results of run {old}" in done.stdout
    with csv_out.open(newline="", encoding="utf-8") as fh:
        assert [row["target"] for row in csv.DictReader(fh)] == [r.target.value for r in results]

    assert _cli("history", "export", str(old), str(json_out)).returncode == 0
    document = json.loads(json_out.read_text(encoding="utf-8"))
    assert [result_from_dict(d) for d in document["results"]] == results

    forced = tmp_path / "run.txt"
    assert _cli("history", "export", str(old), str(forced), "--format", "json").returncode == 0
    assert json.loads(forced.read_text(encoding="utf-8"))["run"]["id"] == old


def test_cli_history_errors_are_one_line() -> None:
    missing = _cli("history", "export", "999", "out.csv")
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0
    assert "No run 999" in missing.stderr
    bad_limit = _cli("history", "--limit", "0")
    assert bad_limit.returncode == 2
    assert "Traceback" not in bad_limit.stderr


def test_cli_history_shows_run_killed_mid_way(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    with subprocess.Popen(
        [sys.executable, str(script), str(history_db())], stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        run_id = int(child.stdout.readline())
        acknowledged = [int(child.stdout.readline()) for _ in range(50)]
        os.kill(child.pid, signal.SIGKILL)
        child.wait()

    data = json.loads(_cli("history", "--json").stdout)
    [run] = data["runs"]
    assert run["id"] == run_id
    assert run["status"] == "interrupted"
    assert run["ok"] >= len(acknowledged)
    assert run["failed"] == 0
