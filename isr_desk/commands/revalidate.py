"""``isr-desk revalidate NAME``: send revalidations and print one line per result.

With ``--json`` every result is one JSON object per line as it arrives, then one
``{"summary": ...}`` line (DESIGN.md, "CLI contract"). Exit status 0 when every target
succeeded, 1 when any failed or the run was interrupted, 2 for bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isr_desk.commands import Context
from isr_desk.commands.sites import read_secret
from isr_desk.domain import Result, RunSummary, SiteProfile, Target
from isr_desk.services.errors import HistoryError, RevalidationError
from isr_desk.services.profiles import ProfileStore
from isr_desk.services.targets import parse_target, parse_targets

if TYPE_CHECKING:
    from isr_desk.services.history import HistoryStore
    from isr_desk.services.revalidator import RunOptions

MAX_FILE_BYTES = 50 * 1024 * 1024


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "revalidate",
        help="revalidate paths and tags of a site",
        description="Revalidate paths and cache tags. Exit 0: all refreshed; 1: some failed.",
    )
    parser.add_argument("name", help="site name (see `isr-desk site list`)")
    parser.add_argument("--path", action="append", default=[], metavar="P", help="a page path")
    parser.add_argument("--tag", action="append", default=[], metavar="T", help="a cache tag")
    parser.add_argument(
        "--from-file",
        type=Path,
        metavar="F",
        help="one path or tag:NAME per line ('-' reads stdin)",
    )
    parser.add_argument("--concurrency", type=int, metavar="N")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds per request")
    parser.add_argument("--retries", type=int, metavar="N")
    parser.add_argument("--batch", type=int, metavar="N", help="items per request")
    parser.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the secret from stdin for this run instead of the keyring",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(handler=run)


def collect_targets(args: argparse.Namespace, ctx: Context) -> list[Target]:
    targets = [parse_target(p) for p in args.path]
    targets += [parse_target(t, as_tag=True) for t in args.tag]
    if args.from_file is not None:
        text = _read_list(args.from_file, ctx)
        parsed = parse_targets(text)
        if parsed.problems:
            shown = "; ".join(parsed.problems[:3])
            more = f" (and {len(parsed.problems) - 3} more)" if len(parsed.problems) > 3 else ""
            raise RevalidationError(f"{args.from_file}: {shown}{more}")
        targets += parsed.targets
    if not targets:
        raise RevalidationError("Nothing to revalidate", hint="Give --path, --tag or --from-file")
    return list(dict.fromkeys(targets))


def _read_list(path: Path, ctx: Context) -> str:
    if str(path) == "-":
        return ctx.stdin.read(MAX_FILE_BYTES)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RevalidationError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MB")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RevalidationError(f"{path} is not UTF-8 text") from exc
    except OSError as exc:
        raise RevalidationError(f"Cannot read {path}: {exc.strerror or exc}") from exc


def run(args: argparse.Namespace, ctx: Context) -> int:
    # httpx and sqlite3 are imported by the command that uses them, not by every command.
    from isr_desk.services.revalidator import RunOptions

    store = ProfileStore()
    profile = store.get(args.name)
    if args.secret_stdin and args.from_file is not None and str(args.from_file) == "-":
        raise RevalidationError("--secret-stdin and --from-file - both want stdin")
    targets = collect_targets(args, ctx)
    if args.secret_stdin:
        secret = read_secret(ctx, from_stdin=True, prompt="")
    else:
        secret = store.secrets.require(profile.name)
    options = RunOptions.from_profile(
        profile,
        concurrency=args.concurrency,
        timeout=args.timeout,
        retries=args.retries,
        batch_size=args.batch,
    )
    summary = asyncio.run(_run(profile, secret, targets, options, args.json, ctx))
    return 0 if summary.failed == 0 and summary.not_sent == 0 and not summary.cancelled else 1


async def _run(
    profile: SiteProfile,
    secret: str,
    targets: list[Target],
    options: RunOptions,
    as_json: bool,
    ctx: Context,
) -> RunSummary:
    from isr_desk.services.revalidator import Revalidator, make_client

    async with make_client() as client:
        run = Revalidator(client).start(profile, secret, targets, options)
        history = _open_history(ctx)
        run_id = _start_record(history, profile, run.total, targets, ctx)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, run.cancel)
        try:
            async for batch in run.batches():
                # Committed before printed: whatever a user saw is in the history even
                # if this process is killed the next moment.
                _record(history, run_id, batch, ctx)
                for result in batch:
                    _print_result(result, as_json, ctx)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)
            await run.aclose()
        summary = run.summary()
        if history is not None and run_id is not None:
            with contextlib.suppress(HistoryError):
                history.finish_run(run_id, summary)
            history.close()
    _print_summary(summary, as_json, ctx)
    return summary


def _open_history(ctx: Context) -> HistoryStore | None:
    """The history store, or None (with one warning) when it cannot be used: a broken
    history must not stop a revalidation."""
    from isr_desk.services.history import HistoryStore

    try:
        return HistoryStore()
    except HistoryError as exc:
        ctx.err(f"isr-desk: warning: this run is not recorded: {exc.describe()}")
        return None


def _start_record(
    history: HistoryStore | None,
    profile: SiteProfile,
    total: int,
    targets: list[Target],
    ctx: Context,
) -> int | None:
    if history is None:
        return None
    try:
        return history.start_run(profile.name, total=total, targets=targets)
    except HistoryError as exc:
        ctx.err(f"isr-desk: warning: this run is not recorded: {exc.describe()}")
        return None


def _record(
    history: HistoryStore | None, run_id: int | None, batch: list[Result], ctx: Context
) -> None:
    if history is None or run_id is None:
        return
    try:
        history.add_results(run_id, batch)
    except HistoryError as exc:
        ctx.err(f"isr-desk: warning: results not recorded: {exc.describe()}")


def _print_result(result: Result, as_json: bool, ctx: Context) -> None:
    if as_json:
        ctx.json_line(result.to_json())
        return
    mark = "ok  " if result.ok else "FAIL"
    status = result.status if result.status is not None else "---"
    where = f" @ {result.instance}" if result.instance else ""
    line = f"{mark} {status} {result.target}{where}  {result.outcome.label}"
    line += f"  {result.duration_ms:.0f} ms"
    if result.attempts > 1:
        line += f" ({result.attempts} attempts)"
    ctx.out(line)
    if not result.ok and result.hint:
        ctx.out(f"     {result.hint}")


def _print_summary(summary: RunSummary, as_json: bool, ctx: Context) -> None:
    if as_json:
        ctx.json_line({"summary": summary.to_json()})
        return
    text = (
        f"{summary.ok} of {summary.total} refreshed, {summary.failed} failed"
        f" in {summary.duration_ms / 1000:.2f} s (p50 {summary.p50_ms:.0f} ms,"
        f" p95 {summary.p95_ms:.0f} ms)"
    )
    if summary.cancelled:
        text += f"; cancelled, {summary.not_sent} not sent"
    ctx.out(text)
