"""The ``step`` of a result (schema 3): origin and CDN rows of one run, the run's counts kept
the origin's, and a version-2 database (no ``step``) read with every old row the origin's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from isr_desk.domain import Outcome, Result, RunSummary, Target
from isr_desk.services.history import HistoryStore, result_from_dict


def _row(target: Target, *, ok: bool = True, step: str = "origin") -> Result:
    outcome = Outcome.PURGED if step != "origin" else Outcome.REFRESHED
    return Result(target, ok, outcome if ok else Outcome.WRONG_SECRET, 200 if ok else 403, 3.0, 1,
                  step=step)  # fmt: skip


def test_cdn_rows_are_kept_with_their_step_and_do_not_change_the_runs_counts(
    tmp_path: Path,
) -> None:
    with HistoryStore(tmp_path / "h.db") as store:
        run = store.start_run("blog", total=1, targets=[Target.path("/a")])
        store.add_results(run, [_row(Target.path("/a"))])
        store.add_results(run, [_row(Target.path("/a"), ok=False, step="cdn: Vercel")])
        store.finish_run(run, RunSummary(1, 1, 0, 5.0, 3.0, 3.0))
        record = store.run(run)
        assert (record.ok, record.failed) == (1, 0)
        assert [(r.step, r.ok) for r in store.results(run)] == [
            ("origin", True), ("cdn: Vercel", False)]  # fmt: skip
        assert store.unsent_targets(run) == []


def test_a_version_2_database_is_read_and_written_after_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with HistoryStore(path) as store:
        run = store.start_run("blog", total=1, targets=[Target.path("/a")])
        store.add_results(run, [_row(Target.path("/a"))])
    with sqlite3.connect(path) as conn:  # as version 2 left it: no step column
        conn.execute("ALTER TABLE results DROP COLUMN step")
        conn.execute("PRAGMA user_version=2")
    with HistoryStore(path) as store:
        assert [r.step for r in store.results(run)] == ["origin"]
        store.add_results(run, [_row(Target.path("/a"), step="cdn: Cloudflare")])
        assert [r.step for r in store.results(run)] == ["origin", "cdn: Cloudflare"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3


def test_an_exported_result_without_a_step_reads_as_the_origins() -> None:
    data = {"kind": "path", "target": "/a", "ok": True, "outcome": "refreshed", "status": 200,
            "duration_ms": 1.0, "attempts": 1}  # fmt: skip
    assert result_from_dict(data).step == "origin"
    assert result_from_dict({**data, "step": "cdn: Vercel"}).step == "cdn: Vercel"
