"""``isr-desk revalidate NAME``: send revalidations and print one line per result.

With ``--json`` every result is one JSON object per line as it arrives, then one
``{"summary": ...}`` line (docs/architecture.md, "CLI contract"). Exit status 0 when every target
succeeded, 1 when any failed or the run was interrupted, 2 for bad input.

``--verify`` fetches every page of the run (on every instance; a tag's pages from the site's
manifest) before and after it, and prints one verdict per page after the results (with
``--json``: one ``{"verify": ...}`` line each, before the summary line). Verdicts do not
change the exit status; ``--verify-strict`` makes it 1 when a page is Unchanged, still
served by a CDN, or fails.

``--resume RUN_ID`` sends the rest of a recorded run: the targets a cancel or a crash kept
from being sent, and those cancelled in flight.

The run itself is :class:`isr_desk.services.runs.RunSession` (the window uses the same one);
this module only parses the arguments and prints the session's events.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from isr_desk.commands import Context, Subparsers
from isr_desk.commands.sites import read_secret
from isr_desk.domain import Result, RunSummary, Target
from isr_desk.services.errors import RevalidationError
from isr_desk.services.sites import ProfileStore, parse_target, parse_targets

if TYPE_CHECKING:
    from isr_desk.services.runs import Event, RunPlan
    from isr_desk.services.verify import Verdict, Verification

MAX_FILE_BYTES = 50 * 1024 * 1024


def register(subparsers: Subparsers) -> None:
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
    parser.add_argument(
        "--verify",
        action="store_true",
        help="fetch each page before and after, and say whether it really changed",
    )
    parser.add_argument(
        "--verify-strict",
        action="store_true",
        help="--verify, and exit 1 when a page is unchanged, still cached by a CDN or fails",
    )
    parser.add_argument(
        "--resume",
        type=int,
        metavar="RUN_ID",
        help="send the rest of a recorded run (see `isr-desk history`): what was not sent",
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
    if not targets and args.resume is None:
        raise RevalidationError("Nothing to revalidate", hint="Give --path, --tag or --from-file")
    return list(dict.fromkeys(targets))


def _read_list(path: Path, ctx: Context) -> str:
    if str(path) == "-":
        return ctx.stdin.read(MAX_FILE_BYTES)
    try:
        # Read with a cap, not by st_size: that is 0 for /dev/zero, a FIFO or /proc files.
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise RevalidationError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MB")
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RevalidationError(f"{path} is not UTF-8 text") from exc
    except OSError as exc:
        raise RevalidationError(f"Cannot read {path}: {exc.strerror or exc}") from exc


def run(args: argparse.Namespace, ctx: Context) -> int:
    # httpx and sqlite3 are imported by the command that uses them, not by every command.
    from isr_desk.services.revalidation import RunOptions
    from isr_desk.services.runs import RunPlan

    store = ProfileStore()
    profile = store.get(args.name)
    if args.secret_stdin and args.from_file is not None and str(args.from_file) == "-":
        raise RevalidationError("--secret-stdin and --from-file - both want stdin")
    targets = collect_targets(args, ctx)
    if args.resume is not None:
        targets = _rest_of(args.resume, profile.name, targets, ctx)
        if not targets:
            ctx.out(f"Nothing left to send: every target of run {args.resume} has an answer")
            return 0
    secret = read_secret(ctx, from_stdin=True, prompt="") if args.secret_stdin else None
    options = RunOptions.from_profile(
        profile,
        concurrency=args.concurrency,
        timeout=args.timeout,
        retries=args.retries,
        batch_size=args.batch,
    )
    plan = RunPlan(
        profile,
        tuple(targets),
        options=options,
        verify=args.verify or args.verify_strict,
        secret=secret,
        resumes=args.resume,
    )
    printer = _Printer(ctx, as_json=args.json)
    asyncio.run(_run(plan, store, printer))
    return printer.exit_status(strict=args.verify_strict)


def _rest_of(run_id: int, site: str, extra: list[Target], ctx: Context) -> list[Target]:
    """The rest of recorded run ``run_id`` (it must be a run of ``site``), then ``extra``."""
    from isr_desk.services.history import HistoryStore
    from isr_desk.services.runs import recorded_rest

    rest = recorded_rest(run_id, history=HistoryStore)
    if rest.site != site:
        raise RevalidationError(
            f"Run {run_id} was a run of site {rest.site!r}, not {site!r}",
            hint=f"Resume it with `isr-desk revalidate {rest.site!r} --resume {run_id}`",
        )
    if rest.targets:
        ctx.err(f"isr-desk: resuming run {run_id}: {len(rest.targets)} targets not sent yet")
    return list(dict.fromkeys([*rest.targets, *extra]))


async def _run(plan: RunPlan, store: ProfileStore, printer: _Printer) -> None:
    from isr_desk.services.history import HistoryStore
    from isr_desk.services.http import make_client
    from isr_desk.services.revalidation import Revalidator
    from isr_desk.services.runs import RunSession

    async with make_client() as client:
        session = RunSession(
            plan, revalidator=Revalidator(client), secrets=store.secrets, history=HistoryStore
        )
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, session.cancel)
        try:
            async for event in session.stream():
                printer.print(event)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)


class _Printer:
    """Prints a session's events as ``isr-desk revalidate`` always has; keeps the exit
    status."""

    def __init__(self, ctx: Context, *, as_json: bool) -> None:
        self.ctx, self.as_json = ctx, as_json
        self.summary: RunSummary | None = None
        self.verifications: tuple[Verification, ...] = ()

    def print(self, event: Event) -> None:
        from isr_desk.services import runs

        match event:
            case runs.ResultsBatch(results=results):
                for result in results:
                    _print_result(result, self.as_json, self.ctx)
            case runs.Finished(summary=summary, verify_follows=follows):
                self.summary = summary
                if not follows:
                    _print_summary(summary, self.as_json, self.ctx)
            case runs.Verified(verifications=verifications):
                self.verifications = verifications
                _print_verifications(verifications, self.as_json, self.ctx)
                assert self.summary is not None
                _print_summary(self.summary, self.as_json, self.ctx)
            case runs.RunWarning(text=text):
                self.ctx.err(f"isr-desk: warning: {text}")
            case runs.Failed(error=error):
                raise error
            case runs.Stopped(text=text):
                self.ctx.err(f"isr-desk: {text}")
                if self.summary is not None:  # verification cancelled after the run
                    _print_summary(self.summary, self.as_json, self.ctx)
            case _:
                pass

    def exit_status(self, *, strict: bool) -> int:
        summary = self.summary
        if summary is None or summary.failed or summary.not_sent or summary.cancelled:
            return 1
        if strict:
            from isr_desk.services.verify import Verdict

            fresh = (v.ok or v.verdict is Verdict.NOT_CHECKED for v in self.verifications)
            return 0 if all(fresh) else 1
        return 0


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
    if summary.in_flight:
        text += f", {summary.in_flight} cancelled in flight (may or may not have been applied)"
    ctx.out(text)


# --- --verify ------------------------------------------------------------------------------


def _verdict_marks() -> dict[Verdict, str]:
    from isr_desk.services.verify import Verdict

    return {
        Verdict.REGENERATED: "✓",
        Verdict.WILL_REFRESH: "~",
        Verdict.UNCHANGED: "!",
        Verdict.CDN_STALE: "!",
        Verdict.FAILED: "✗",
        Verdict.NOT_CHECKED: "·",
    }


def _print_verifications(
    verifications: tuple[Verification, ...], as_json: bool, ctx: Context
) -> None:
    from isr_desk.services.verify import stale_instances

    marks = _verdict_marks()
    for verification in verifications:
        if as_json:
            ctx.json_line({"verify": verification.to_json()})
            continue
        where = f" @ {verification.instance}" if verification.instance else ""
        target = verification.target
        page = verification.path or str(target)
        tagged = target is not None and verification.path not in ("", target.value)
        via = f" ({target})" if tagged else ""
        mark = marks[verification.verdict]
        ctx.out(f"verify {mark} {page}{via}{where}  {verification.label}")
        ctx.out(f"     {verification.detail}")
    if not as_json:
        for path, instances in stale_instances(verifications).items():
            ctx.out(f"Still serving the old copy of {path}: {', '.join(instances)}")
