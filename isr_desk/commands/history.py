"""``isr-desk history``: list past runs, and export one run's log as CSV or JSON."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from isr_desk.commands import Context, Subparsers
from isr_desk.domain import format_duration, plural
from isr_desk.services.errors import HistoryError

if TYPE_CHECKING:
    from isr_desk.services.history import RunRecord

_EPILOG = """\
examples:
  isr-desk history                       the last 20 runs, newest first
  isr-desk history --limit 100 --json    one JSON document {"runs": [...]}
  isr-desk history export 12 run12.csv   run 12's results as CSV (format from the suffix)
  isr-desk history export 12 out --format json
Runs whose process died (killed, crashed) are shown as "interrupted", with every result
received before it died.
"""


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "history",
        help="list past runs; export a run's log",
        description="List past runs (when, site, targets, ok, failed, duration, status), "
        "or export one run's results with `history export RUN_ID FILE`.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--limit", type=_positive, default=20, metavar="N",
                        help="show the last N runs (default 20)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=_list)
    sub = parser.add_subparsers(dest="history_command", metavar="{export}")
    export = sub.add_parser(
        "export",
        help="write one run's results to a CSV or JSON file",
        description="Write every result of run RUN_ID (see the ID column of "
        "`isr-desk history`) to FILE. Requests are stored and exported with the secret "
        "replaced by •••.",
    )
    export.add_argument(
        "run_id", type=int, metavar="RUN_ID", help="a run id from `isr-desk history`"
    )
    export.add_argument("file", type=Path, metavar="FILE", help="the file to write")
    export.add_argument("--format", choices=("csv", "json"),
                        help="file format (default: from FILE's suffix, else csv)")  # fmt: skip
    export.set_defaults(handler=_export)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _list(args: argparse.Namespace, ctx: Context) -> int:
    from isr_desk.services.history import HistoryStore

    with HistoryStore() as store:
        store.mark_interrupted()
        runs = store.runs(limit=args.limit)
    if args.json:
        ctx.json_line({"runs": [run.to_json() for run in runs]})
        return 0
    if not runs:
        ctx.out("No runs yet. Revalidate something with `isr-desk revalidate NAME --path /`.")
        return 0
    header = ("ID", "WHEN", "SITE", "TARGETS", "OK", "FAILED", "DURATION", "STATUS")
    rows = [header, *(_row(run) for run in runs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = {0, 3, 4, 5, 6}
    for row in rows:
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in
                 enumerate(zip(row, widths, strict=True))]  # fmt: skip
        ctx.out("  ".join(cells).rstrip())
    return 0


def _row(run: RunRecord) -> tuple[str, ...]:
    when = datetime.fromtimestamp(run.started_at).strftime("%Y-%m-%d %H:%M:%S")
    return (
        str(run.id),
        when,
        run.profile,
        str(run.total),
        str(run.ok),
        str(run.failed),
        format_duration(run.duration_ms),
        _status(run),
    )


def _status(run: RunRecord) -> str:
    text: str = run.status
    if run.resumed_from is not None:
        text += f" (continues {run.resumed_from})"
    return f"{text}; {run.cdn_text}" if run.cdn_text else text


def _export(args: argparse.Namespace, ctx: Context) -> int:
    path: Path = args.file
    fmt = args.format or ("json" if path.suffix.lower() == ".json" else "csv")
    if path.is_dir():
        raise HistoryError(f"{path} is a directory", hint="Give a file name to write to")
    from isr_desk.services.history import HistoryStore

    with HistoryStore() as store:
        run = store.run(args.run_id)
        if fmt == "json":
            store.export_json(args.run_id, path)
        else:
            store.export_csv(args.run_id, path)
    done = run.ok + run.failed
    ctx.out(f"Exported {plural(done, 'result')} of run {run.id} to {path}")
    return 0
