"""History of runs and their results, in SQLite (stdlib ``sqlite3``, WAL journal).

Every batch of results is committed as it arrives, so a run killed mid-way (even with
``kill -9``) keeps everything it had already handed over; :meth:`HistoryStore.mark_interrupted`
then labels such runs ``interrupted`` at the next start-up. Every target of a run is recorded
when it starts (table ``run_targets``), so :meth:`HistoryStore.unsent_targets` can say what a
cancel or a crash kept from being sent, and the run can be resumed. Requests are stored redacted:
a request that still carries its secret is redacted here again before it touches the disk.

One connection is shared by all threads (the GUI calls in through ``asyncio.to_thread``),
guarded by a lock. Every ``sqlite3`` and file error becomes a :class:`HistoryError`.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, TypeVar

from isr_desk.domain import ORIGIN, Outcome, Result, RunSummary, Target, TargetKind
from isr_desk.services.errors import HistoryError
from isr_desk.services.history import _rows as io
from isr_desk.services.paths import history_db

RunStatus = Literal["running", "finished", "cancelled", "interrupted"]
_T = TypeVar("_T")
# Version 2: the targets of a run moved from a JSON column to rows of ``run_targets``, and
# requests cancelled in flight are counted in ``in_flight``, apart from ``failed``; a run
# that sends the rest of another names it in ``resumed_from``. Version 3: a result names its
# ``step`` ("origin", or "cdn: Cloudflare" for the CDN purge of the same target, docs/cdn.md);
# a run's ok/failed counts are the origin's.
_SCHEMA_VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, profile TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL,
    total INTEGER NOT NULL, ok INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
    duration_ms REAL, p50_ms REAL, p95_ms REAL, not_sent INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL, targets TEXT NOT NULL DEFAULT '[]', pid INTEGER,
    in_flight INTEGER NOT NULL DEFAULT 0, resumed_from INTEGER
);
CREATE TABLE IF NOT EXISTS run_targets (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, target TEXT NOT NULL, ok INTEGER NOT NULL, outcome TEXT NOT NULL,
    status INTEGER, duration_ms REAL NOT NULL, attempts INTEGER NOT NULL,
    response TEXT, error TEXT, hint TEXT,
    total_ms REAL, connect_ms REAL, tls_ms REAL, first_byte_ms REAL,
    instance TEXT, started_at REAL NOT NULL,
    req_method TEXT, req_url TEXT, req_headers TEXT, req_body BLOB, req_targets TEXT,
    response_headers TEXT NOT NULL DEFAULT '[]', step TEXT NOT NULL DEFAULT 'origin'
);
CREATE INDEX IF NOT EXISTS results_run ON results(run_id, id);
"""
_RESULT_COLUMNS = io.RESULT_COLUMNS
_INSERT = (
    f"INSERT INTO results (run_id, {', '.join(_RESULT_COLUMNS)}) "
    f"VALUES (?, {', '.join('?' for _ in _RESULT_COLUMNS)})"
)
_HINT_CORRUPT = "Move the file aside (ISR Desk then starts a new, empty history)"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as the History panel lists it. ``duration_ms`` is ``None`` while running."""

    id: int
    profile: str
    started_at: float
    finished_at: float | None
    total: int
    ok: int
    failed: int
    duration_ms: float | None
    status: RunStatus
    p50_ms: float | None = None
    p95_ms: float | None = None
    not_sent: int = 0
    in_flight: int = 0
    resumed_from: int | None = None  # the run whose rest this one sent ("continues run #12")
    # The CDN step's rows (docs/cdn.md): the counts above are the origin's.
    cdn_ok: int = 0
    cdn_failed: int = 0
    cdn_not_supported: int = 0

    @property
    def cdn_text(self) -> str:
        """ "CDN: 2 purged, 3 failed, 1 not purged", or "" for a run without a CDN step."""
        if not (self.cdn_ok or self.cdn_failed or self.cdn_not_supported):
            return ""
        parts = [f"{self.cdn_ok:,} purged"]
        if self.cdn_failed:
            parts.append(f"{self.cdn_failed:,} failed")
        if self.cdn_not_supported:
            parts.append(f"{self.cdn_not_supported:,} not purged")
        return "CDN: " + ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("duration_ms", "p50_ms", "p95_ms"):
            if data[key] is not None:
                data[key] = round(data[key], 1)
        return data


class HistoryStore:
    """Runs and results in one SQLite file (default: :func:`paths.history_db`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else history_db()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self.read_only = False
        try:
            with self._guard("open"):
                self._conn = _connect_private(self.path)
                self._setup(self._conn)
        except HistoryError as exc:
            self.close()
            if not _unwritable(exc) or not self.path.exists():
                raise
            self._open_read_only()

    def _open_read_only(self) -> None:
        """A data dir that cannot be written (a read-only mount, a copied home): the history
        can still be listed and exported; writing raises a clear error."""
        with self._guard("open"):
            uri = self.path.resolve().as_uri() + "?mode=ro&immutable=1"
            self._conn = sqlite3.connect(
                uri, uri=True, check_same_thread=False, isolation_level=None
            )
            self._conn.execute("SELECT count(*) FROM runs").fetchone()
        self.read_only = True

    def _setup(self, conn: sqlite3.Connection) -> None:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise HistoryError(f"The history database {self.path} cannot use WAL mode")
        # NORMAL in WAL mode: a commit survives a killed process (not a power cut).
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > _SCHEMA_VERSION:
            raise HistoryError(
                f"The history database {self.path} was written by a newer ISR Desk",
                hint="Update ISR Desk, or move the file aside",
            )
        if version in (1, 2):  # before the schema: CREATE INDEX must find what it indexes
            _add_step(conn)
        conn.executescript(_SCHEMA)
        if version == 1:
            _migrate_from_1(conn)
        conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    # --- writing ---------------------------------------------------------------------------
    def start_run(
        self,
        profile_name: str,
        *,
        total: int,
        targets: Sequence[Target] = (),
        started_at: float | None = None,
        resumed_from: int | None = None,
    ) -> int:
        """Record a new run (status ``running``) with every one of its targets; return its id.

        ``resumed_from``: the run whose rest this one sends (its unsent list then shrinks).
        """
        started = time.time() if started_at is None else started_at

        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO runs (profile, started_at, total, status, pid, resumed_from) "
                "VALUES (?, ?, ?, 'running', ?, ?)",
                (profile_name, started, total, os.getpid(), resumed_from),
            )
            run_id = int(cur.lastrowid or 0)
            _insert_targets(conn, run_id, targets)
            return run_id

        return self._write("record the run", insert)

    def add_results(self, run_id: int, results: Sequence[Result]) -> None:
        """Append results to a run, in one committed transaction."""
        if not results:
            return
        rows = [(run_id, *io.result_row(r)) for r in results]
        origin = [r for r in results if r.step == ORIGIN]  # a run's counts are the origin's
        ok = sum(1 for r in origin if r.ok)
        in_flight = sum(1 for r in origin if r.outcome is Outcome.CANCELLED)

        def insert(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE runs SET ok = ok + ?, failed = failed + ?, in_flight = in_flight + ? "
                "WHERE id = ?",
                (ok, len(origin) - ok - in_flight, in_flight, run_id),
            )
            if cur.rowcount != 1:
                raise HistoryError(f"No run {run_id} in the history")
            conn.executemany(_INSERT, rows)

        self._write("save results", insert)

    def finish_run(
        self, run_id: int, summary: RunSummary, *, finished_at: float | None = None
    ) -> None:
        """Close a run with its summary: status ``finished`` or ``cancelled``."""
        status: RunStatus = "cancelled" if summary.cancelled else "finished"
        values = (
            time.time() if finished_at is None else finished_at,
            summary.total,
            summary.duration_ms,
            summary.p50_ms,
            summary.p95_ms,
            summary.not_sent,
            status,
            run_id,
        )

        def update(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE runs SET finished_at = ?, total = ?, duration_ms = ?, p50_ms = ?, "
                "p95_ms = ?, not_sent = ?, status = ? WHERE id = ?",
                values,
            )
            if cur.rowcount != 1:
                raise HistoryError(f"No run {run_id} in the history")

        self._write("finish the run", update)

    def mark_interrupted(self, *, include_live: bool = False) -> int:
        """Label runs that never finished (their process died) ``interrupted``; return how many.

        A run whose process is still alive (a CLI run beside the GUI, or this process's own
        run) is left ``running`` unless ``include_live``.
        """

        def update(conn: sqlite3.Connection) -> int:
            running = conn.execute("SELECT id, pid FROM runs WHERE status = 'running'")
            dead = [
                (run_id,) for run_id, pid in running.fetchall() if include_live or not _alive(pid)
            ]
            # The last result's end is the best guess of when the run died.
            cur = conn.executemany(
                "UPDATE runs SET status = 'interrupted', "
                "not_sent = max(0, total - ok - failed - in_flight), "
                "finished_at = (SELECT max(r.started_at + r.duration_ms / 1000.0) "
                "  FROM results r WHERE r.run_id = runs.id), "
                "duration_ms = (SELECT max(r.started_at * 1000.0 + r.duration_ms) "
                "  FROM results r WHERE r.run_id = runs.id) - started_at * 1000.0 "
                "WHERE id = ?",
                dead,
            )
            return int(cur.rowcount) if dead else 0

        return self._write("mark interrupted runs", update)

    # --- reading ---------------------------------------------------------------------------
    def runs(self, limit: int = 50) -> list[RunRecord]:
        """The latest ``limit`` runs, newest first."""
        with self._locked("read the history") as conn:
            rows = conn.execute(
                f"SELECT {_RUN_FIELDS} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?",
                (max(0, limit),),
            ).fetchall()
        return [_run_record(row) for row in rows]

    def run(self, run_id: int) -> RunRecord:
        with self._locked("read the history") as conn:
            row = conn.execute(f"SELECT {_RUN_FIELDS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise HistoryError(f"No run {run_id} in the history", hint="See `isr-desk history`")
        return _run_record(row)

    def run_targets(self, run_id: int) -> list[Target]:
        """Every target the run was started with, in order (for "run again")."""
        with self._locked("read the history") as conn:
            _require_run(conn, run_id)
            rows = conn.execute(
                "SELECT kind, value FROM run_targets WHERE run_id = ? ORDER BY seq", (run_id,)
            ).fetchall()
        return [Target(TargetKind(kind), value) for kind, value in rows]

    def unsent_targets(self, run_id: int) -> list[Target]:
        """The targets of a run without an answer on every instance, in the run's order.

        Those a cancel or a crash kept from being sent, and those cancelled in flight (the
        site may or may not have applied them; a revalidation is safe to send again). An
        answer in a run that resumed this one (or resumed that one…) counts too.
        """
        with self._locked("read the history") as conn:
            total = _require_run(conn, run_id)
            targets = conn.execute(
                "SELECT kind, value FROM run_targets WHERE run_id = ? ORDER BY seq", (run_id,)
            ).fetchall()
            answered = conn.execute(_ANSWERED, (run_id, Outcome.CANCELLED.value)).fetchall()
        instances = max(1, total // max(1, len(targets)))
        counts = {(kind, value): n for kind, value, n in answered}
        return [
            Target(TargetKind(kind), value)
            for kind, value in targets
            if counts.get((kind, value), 0) < instances
        ]

    def results(self, run_id: int) -> list[Result]:
        """A run's results in the order they arrived."""
        with self._locked("read the history") as conn:
            rows = conn.execute(
                f"SELECT {', '.join(_RESULT_COLUMNS)} FROM results WHERE run_id = ? ORDER BY id",
                (run_id,),
            ).fetchall()
        return [io.result_from_row(row) for row in rows]

    # --- export ----------------------------------------------------------------------------
    def export_csv(self, run_id: int, path: Path) -> None:
        """One CSV row per result (secret-free: requests are stored redacted)."""
        record, results = self.run(run_id), self.results(run_id)
        io.write_csv(Path(path), record.id, results)

    def export_json(self, run_id: int, path: Path) -> None:
        """One JSON document: ``{"run": {...}, "results": [...]}``."""
        record, results = self.run(run_id), self.results(run_id)
        io.write_json(Path(path), record.to_json(), results)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing --------------------------------------------------------------------------
    def _write(self, what: str, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._locked(what) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                value = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return value

    @contextmanager
    def _locked(self, what: str) -> Iterator[sqlite3.Connection]:
        with self._lock, self._guard(what):
            if self._conn is None:
                raise HistoryError("The history database is closed")
            yield self._conn

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise _history_error(self.path, what, exc) from exc
        except OSError as exc:
            full = exc.errno == errno.ENOSPC
            raise HistoryError(
                f"Could not {what} at {self.path}: {exc.strerror or exc}",
                hint="Free some disk space and try again"
                if full
                else "Check that the data directory exists and is writable",
            ) from exc


_RUN_FIELDS = (
    "id, profile, started_at, finished_at, total, ok, failed, duration_ms, status, "
    "p50_ms, p95_ms, not_sent, in_flight, resumed_from, "
    # the CDN step's rows (results_run indexes run_id): purged, failed, not supported
    "(SELECT count(*) FROM results r WHERE r.run_id = runs.id AND r.step != 'origin' AND r.ok), "
    "(SELECT count(*) FROM results r WHERE r.run_id = runs.id AND r.step != 'origin' "
    "AND NOT r.ok AND r.outcome != 'unsupported'), "
    "(SELECT count(*) FROM results r WHERE r.run_id = runs.id AND r.step != 'origin' "
    "AND r.outcome = 'unsupported')"
)


# Instances that answered each target, in a run and every run resuming it (a resume of a
# resume too); an instance that answered twice (the run, then a resume) counts once.
_ANSWERED = """
WITH RECURSIVE chain(id) AS (
    SELECT ? UNION SELECT runs.id FROM runs JOIN chain ON runs.resumed_from = chain.id
)
SELECT kind, target, count(DISTINCT coalesce(instance, '')) FROM results
WHERE run_id IN (SELECT id FROM chain) AND outcome != ? AND step = 'origin'
GROUP BY kind, target
"""


def _require_run(conn: sqlite3.Connection, run_id: int) -> int:
    """The run's total; HistoryError when there is no such run."""
    row = conn.execute("SELECT total FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise HistoryError(f"No run {run_id} in the history", hint="See `isr-desk history`")
    return int(row[0])


def _insert_targets(conn: sqlite3.Connection, run_id: int, targets: Sequence[Target]) -> None:
    conn.executemany(
        "INSERT INTO run_targets (run_id, seq, kind, value) VALUES (?, ?, ?, ?)",
        ((run_id, seq, t.kind.value, t.value) for seq, t in enumerate(targets)),
    )


def _add_step(conn: sqlite3.Connection) -> None:
    """Versions 1 and 2 had no ``step``: every result of theirs was the origin's."""
    columns = [row[1] for row in conn.execute("PRAGMA table_info(results)").fetchall()]
    if columns and "step" not in columns:
        conn.execute("ALTER TABLE results ADD COLUMN step TEXT NOT NULL DEFAULT 'origin'")


def _migrate_from_1(conn: sqlite3.Connection) -> None:
    """Version 1 kept a run's targets as one JSON text and counted in-flight as failed."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("ALTER TABLE runs ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0")
        conn.execute("ALTER TABLE runs ADD COLUMN resumed_from INTEGER")
        for run_id, text in conn.execute("SELECT id, targets FROM runs").fetchall():
            _insert_targets(conn, run_id, io.targets_from_json(text))
        conn.execute("UPDATE runs SET targets = '[]'")
        conn.execute(
            "UPDATE runs SET in_flight = (SELECT count(*) FROM results r WHERE r.run_id = "
            "runs.id AND r.outcome = ?)",
            (Outcome.CANCELLED.value,),
        )
        conn.execute("UPDATE runs SET failed = failed - in_flight")
        conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _run_record(row: Sequence[Any]) -> RunRecord:
    return RunRecord(
        id=row[0],
        profile=row[1],
        started_at=row[2],
        finished_at=row[3],
        total=row[4],
        ok=row[5],
        failed=row[6],
        duration_ms=row[7],
        status=row[8],
        p50_ms=row[9],
        p95_ms=row[10],
        not_sent=row[11],
        in_flight=row[12],
        resumed_from=row[13],
        cdn_ok=row[14],
        cdn_failed=row[15],
        cdn_not_supported=row[16],
    )


def _connect_private(path: Path) -> sqlite3.Connection:
    """The database, created 0600 like profiles.json (its results quote what sites said);
    an existing one is tightened. SQLite gives its -wal and -shm files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    if os.name == "posix" and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return sqlite3.connect(path, check_same_thread=False, isolation_level=None)


def _unwritable(exc: HistoryError) -> bool:
    cause = exc.__cause__
    if isinstance(cause, PermissionError | sqlite3.OperationalError):
        text = str(cause).lower()
        return isinstance(cause, PermissionError) or "readonly" in text or "unable to open" in text
    return isinstance(cause, OSError) and cause.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


def _history_error(path: Path, what: str, exc: sqlite3.DatabaseError) -> HistoryError:
    text = str(exc)
    if "disk is full" in text or "disk i/o error" in text.lower():
        return HistoryError(
            f"Could not {what} in {path}: the disk is full or failing ({text})",
            hint="Free some disk space and try again; the database itself is not damaged",
        )
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        return HistoryError(
            f"Could not {what}: the history database is busy",
            hint="Another ISR Desk may be writing to it; try again",
        )
    if isinstance(exc, sqlite3.OperationalError) and ("readonly" in text or "open" in text):
        return HistoryError(
            f"Could not {what}: {path} cannot be opened for writing ({text})",
            hint="Check the permissions of the data directory",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return HistoryError(f"The history database {path} is damaged ({text})", hint=_HINT_CORRUPT)
    return HistoryError(f"Could not {what} in {path}: {text}", hint=_HINT_CORRUPT)


def _alive(pid: int | None) -> bool:
    """Whether the process that started a run still runs (its own process always does)."""
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return False  # no cheap, safe probe (os.kill(pid, 0) would signal on Windows)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    except OSError:
        return False
    return True
