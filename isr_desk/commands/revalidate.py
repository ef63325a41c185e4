"""``isr-desk revalidate NAME``: send revalidations and print one line per result.

With ``--json`` every result is one JSON object per line as it arrives, then one
``{"summary": ...}`` line (DESIGN.md, "CLI contract"). Exit status 0 when every target
succeeded, 1 when any failed or the run was interrupted, 2 for bad input.

``--verify`` fetches every page of the run (on every instance; a tag's pages from the site's
manifest) before and after it, and prints one verdict per page after the results (with
``--json``: one ``{"verify": ...}`` line each, before the summary line). Verdicts do not
change the exit status; ``--verify-strict`` makes it 1 when a page is Unchanged, still
served by a CDN, or fails.
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
from isr_desk.domain import Result, RunSummary, SiteProfile, Target, TargetKind
from isr_desk.services.errors import HistoryError, IsrError, RevalidationError
from isr_desk.services.sites import (
    ProfileStore,
    parse_target,
    parse_target_noted,
    parse_targets,
)

if TYPE_CHECKING:
    from isr_desk.services.history import HistoryStore
    from isr_desk.services.revalidation import RunOptions
    from isr_desk.services.verify import PageKey, PageState, Verification, Verifier

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
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(handler=run)


def collect_targets(
    args: argparse.Namespace, ctx: Context, site: SiteProfile | None = None
) -> list[Target]:
    targets = []
    for text in args.path:
        target, note = parse_target_noted(text, site=site)
        targets.append(target)
        if note:
            ctx.err(f"note: {note}")
    targets += [parse_target(t, as_tag=True) for t in args.tag]
    if args.from_file is not None:
        text = _read_list(args.from_file, ctx)
        parsed = parse_targets(text, site=site)
        for note in parsed.notes[:3]:
            ctx.err(f"note: {note}")
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

    store = ProfileStore()
    profile = store.get(args.name)
    if args.secret_stdin and args.from_file is not None and str(args.from_file) == "-":
        raise RevalidationError("--secret-stdin and --from-file - both want stdin")
    targets = collect_targets(args, ctx, profile)
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
    verify = None
    if args.verify or args.verify_strict:
        verify = _Verify(profile, options, _tag_paths(profile, targets, ctx))
    summary = asyncio.run(_run(profile, secret, targets, options, args.json, ctx, verify))
    if args.verify_strict and verify is not None and not verify.all_fresh:
        return 1
    return 0 if summary.failed == 0 and summary.not_sent == 0 and not summary.cancelled else 1


async def _run(
    profile: SiteProfile,
    secret: str,
    targets: list[Target],
    options: RunOptions,
    as_json: bool,
    ctx: Context,
    verify: _Verify | None = None,
) -> RunSummary:
    from isr_desk.services.http import make_client
    from isr_desk.services.revalidation import Revalidator

    async with make_client() as client:
        if verify is not None:
            await verify.before(client, targets)
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
        if verify is not None and not summary.cancelled:
            await verify.after(run.results, as_json, ctx)
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


# --- --verify ------------------------------------------------------------------------------

_VERDICT_MARKS = {
    "regenerated": "✓",
    "will-refresh": "~",
    "unchanged": "!",
    "cdn-stale": "!",
    "inconclusive": "?",
    "failed": "✗",
    "not-checked": "·",
}


def _tag_paths(
    profile: SiteProfile, targets: list[Target], ctx: Context
) -> dict[str, tuple[str, ...]] | None:
    """Tag (and route pattern) → pages from the site's manifest, loaded only when needed."""
    from isr_desk.services.sites import is_pattern

    if not profile.manifest_source or all(
        t.kind is TargetKind.PATH and not is_pattern(t.value) for t in targets
    ):
        return None
    from isr_desk.services.manifest import load_manifest
    from isr_desk.services.verify import tag_paths_of

    try:
        return tag_paths_of(load_manifest(profile.manifest_source, base_url=profile.base_url))
    except IsrError as exc:
        ctx.err(f"isr-desk: warning: tags are not verified: {exc.describe()}")
        return None


class _Verify:
    """``--verify``: snapshots of the run's pages before it, verdicts after it."""

    def __init__(
        self,
        profile: SiteProfile,
        options: RunOptions,
        tag_paths: dict[str, tuple[str, ...]] | None,
    ) -> None:
        self.profile, self.options, self.tag_paths = profile, options, tag_paths
        self.states: dict[PageKey, PageState] = {}
        self.verifications: list[Verification] = []
        self.verifier: Verifier | None = None

    async def before(self, client: Any, targets: list[Target]) -> None:
        from isr_desk.services.verify import Verifier, plan, snapshot_all

        # Page GETs carry the profile's extra headers (a staging site's basic auth), never
        # the secret.
        self.verifier = Verifier(client, timeout=self.options.timeout, headers=self.profile.headers)
        checks = plan(self.profile, targets, tag_paths=self.tag_paths)
        self.states = await snapshot_all(
            self.verifier, checks, concurrency=self.options.concurrency
        )

    async def after(self, results: list[Result], as_json: bool, ctx: Context) -> None:
        from isr_desk.services.verify import stale_instances, verify_results

        if self.verifier is None:  # before() did not run
            return
        self.verifications = await verify_results(
            self.verifier, self.profile, results, self.states,
            tag_paths=self.tag_paths, concurrency=self.options.concurrency,
        )  # fmt: skip
        for verification in self.verifications:
            if as_json:
                ctx.json_line({"verify": verification.to_json()})
                continue
            where = f" @ {verification.instance}" if verification.instance else ""
            target = verification.target
            page = verification.path or str(target)
            tagged = target is not None and verification.path not in ("", target.value)
            via = f" ({target})" if tagged else ""
            mark = _VERDICT_MARKS[verification.verdict.value]
            ctx.out(f"verify {mark} {page}{via}{where}  {verification.label}")
            ctx.out(f"     {verification.detail}")
        if not as_json:
            for path, instances in stale_instances(self.verifications).items():
                ctx.out(f"Still serving the old copy of {path}: {', '.join(instances)}")

    @property
    def all_fresh(self) -> bool:
        """True when no verified page is unchanged, stale in a CDN or failing."""
        return all(v.ok or v.verdict.value == "not-checked" for v in self.verifications)
