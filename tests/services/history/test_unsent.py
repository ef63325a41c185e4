"""What a recorded run did not send: every target recorded at the start, answers across
resumes, instances, and version-1 databases migrated."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from isr_desk.domain import Outcome, Result, RunSummary, Target
from isr_desk.services.history import HistoryStore


def _result(
    target: Target, outcome: Outcome = Outcome.REFRESHED, instance: str | None = None
) -> Result:
    ok = outcome is Outcome.REFRESHED
    return Result(target, ok, outcome, 200 if ok else None, 1.0, 1, instance=instance)


TARGETS = [Target.path(f"/p/{i}") for i in range(5)] + [Target.tag("posts")]


def test_every_target_is_recorded_at_the_start_and_answers_shrink_the_rest(
    tmp_path: Path,
) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        run_id = store.start_run("Blog", total=len(TARGETS), targets=TARGETS)
        assert store.unsent_targets(run_id) == TARGETS
        assert store.run_targets(run_id) == TARGETS
        store.add_results(
            run_id,
            [
                _result(TARGETS[0]),
                _result(TARGETS[1], Outcome.SERVER_ERROR),  # answered: a failure is not unsent
                _result(TARGETS[2], Outcome.CANCELLED),  # in flight: may not have been applied
            ],
        )
        assert store.unsent_targets(run_id) == TARGETS[2:]
        record = store.run(run_id)
        assert (record.ok, record.failed, record.in_flight) == (1, 1, 1)


def test_a_resume_answers_for_the_run_it_resumes_and_so_on(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        first = store.start_run("Blog", total=len(TARGETS), targets=TARGETS)
        store.add_results(first, [_result(TARGETS[0])])
        rest = store.unsent_targets(first)
        second = store.start_run("Blog", total=len(rest), targets=rest, resumed_from=first)
        store.add_results(second, [_result(TARGETS[1]), _result(TARGETS[2])])
        third = store.start_run("Blog", total=3, targets=TARGETS[3:], resumed_from=second)
        store.add_results(third, [_result(TARGETS[3])])
        assert store.unsent_targets(first) == TARGETS[4:]
        assert store.unsent_targets(second) == TARGETS[4:]
        assert store.unsent_targets(third) == TARGETS[4:]


def test_with_instances_a_target_is_sent_when_every_instance_answered(tmp_path: Path) -> None:
    a, b = "http://127.0.0.1:1", "http://127.0.0.1:2"
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        run_id = store.start_run("Blog", total=4, targets=TARGETS[:2])
        store.add_results(
            run_id,
            [_result(TARGETS[0], instance=a), _result(TARGETS[0], instance=b),
             _result(TARGETS[1], instance=a), _result(TARGETS[1], instance=a)],
        )  # fmt: skip
        assert store.unsent_targets(run_id) == [TARGETS[1]]


def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY, profile TEXT NOT NULL, started_at REAL NOT NULL,
            finished_at REAL, total INTEGER NOT NULL, ok INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0, duration_ms REAL, p50_ms REAL, p95_ms REAL,
            not_sent INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL,
            targets TEXT NOT NULL DEFAULT '[]', pid INTEGER
        );
        CREATE TABLE results (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL, target TEXT NOT NULL, ok INTEGER NOT NULL, outcome TEXT NOT NULL,
            status INTEGER, duration_ms REAL NOT NULL, attempts INTEGER NOT NULL,
            response TEXT, error TEXT, hint TEXT,
            total_ms REAL, connect_ms REAL, tls_ms REAL, first_byte_ms REAL,
            instance TEXT, started_at REAL NOT NULL,
            req_method TEXT, req_url TEXT, req_headers TEXT, req_body BLOB, req_targets TEXT,
            response_headers TEXT NOT NULL DEFAULT '[]'
        );
        PRAGMA user_version=1;
        """
    )
    targets = json.dumps([["path", "/a"], ["path", "/b"], ["tag", "posts"]])
    conn.execute(
        "INSERT INTO runs (id, profile, started_at, total, ok, failed, status, targets) "
        "VALUES (7, 'Blog', 1.0, 3, 1, 1, 'cancelled', ?)",
        (targets,),
    )
    for target, ok, outcome in (("/a", 1, "refreshed"), ("/b", 0, "cancelled")):
        conn.execute(
            "INSERT INTO results (run_id, kind, target, ok, outcome, duration_ms, attempts, "
            "started_at) VALUES (7, 'path', ?, ?, ?, 1.0, 1, 1.0)",
            (target, ok, outcome),
        )
    conn.commit()
    conn.close()

    with HistoryStore(path) as store:
        assert store.run_targets(7) == [Target.path("/a"), Target.path("/b"), Target.tag("posts")]
        assert store.unsent_targets(7) == [Target.path("/b"), Target.tag("posts")]
        record = store.run(7)
        assert (record.ok, record.failed, record.in_flight) == (1, 0, 1)
        run_id = store.start_run("Blog", total=1, targets=[Target.path("/c")])
        store.finish_run(run_id, RunSummary(1, 1, 0, 1.0, 1.0, 1.0))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    with HistoryStore(path) as again:  # opening a migrated file again changes nothing
        assert again.unsent_targets(7) == [Target.path("/b"), Target.tag("posts")]
