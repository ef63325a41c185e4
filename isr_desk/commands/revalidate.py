"""``isr-desk revalidate NAME``: send revalidations and print one line per result.

With ``--json`` every result is one JSON object per line as it arrives, then one
``{"summary": ...}`` line (docs/architecture.md, "CLI contract"). Exit status 0 when every target
succeeded, 1 when any failed or the run was cancelled, 2 for bad input, 130 after Ctrl-C (the
run is cancelled cleanly first: in-flight answers counted apart, the history says "cancelled").

``--verify`` fetches every page of the run (on every instance; a tag's pages from the site's
manifest) before and after it, and prints one verdict per page after the results (with
``--json``: one ``{"verify": ...}`` line each, before the summary line). Verdicts do not
change the exit status; ``--verify-strict`` makes it 1 unless every page was checked and
shown fresh: Unchanged, still served by a CDN, Inconclusive, Not checked, a failed fetch or a
verification cut short all give 1.

``--purge-cdn`` purges the site's CDN (Vercel, Cloudflare: docs/cdn.md) after the origin,
for the targets the origin refreshed: one row per target with the step ``cdn: <provider>``
(``"step"`` in ``--json``), then a ``CDN …`` line (``{"cdn": ...}``); a failed CDN row makes
the exit status 1. A site set to purge by default does so unless ``--no-purge-cdn``.

``--resume RUN_ID`` sends the rest of a recorded run: the targets a cancel or a crash kept
from being sent, and those cancelled in flight.

The run itself is :class:`isr_desk.services.runs.RunSession` (the window uses the same one);
this module only parses the arguments and prints the session's events.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from isr_desk.commands import Context, Subparsers
from isr_desk.commands._cdn_args import token_from_env
from isr_desk.commands._dry_run import print_dry_run
from isr_desk.commands._output import RunPrinter, add_output_flags
from isr_desk.commands._run_args import add_run_flags, purge_choice, wants_verify
from isr_desk.commands._secret_header_args import SiteManifest
from isr_desk.commands._site_args import (
    HelpFormatter,
    add_site_source_flags,
    resolve_secret,
    resolve_site,
)
from isr_desk.commands._tag_check import warn_unknown_tags
from isr_desk.domain import RunSummary, SiteProfile, Target
from isr_desk.services.errors import RevalidationError
from isr_desk.services.sites import (
    ProfileStore,
    parse_target,
    parse_target_noted,
    parse_targets,
    same_pages,
)

if TYPE_CHECKING:
    from isr_desk.services.runs import CdnFinished, Event, RunPlan
    from isr_desk.services.verify import Verdict, Verification

MAX_FILE_BYTES = 50 * 1024 * 1024
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell and CI expect after Ctrl-C


EXAMPLES = """\
examples:
  isr-desk revalidate blog --path /posts/hello --tag posts
  isr-desk revalidate blog --from-file paths.txt --concurrency 16 --failures-only
  isr-desk revalidate blog --path / --dry-run            # print the requests, send nothing
  isr-desk revalidate blog --tag-match 'category:*' --path-match '/blog/2019/**' --dry-run
  isr-desk revalidate blog --tag posts --purge-cdn --verify    # origin, then the CDN, then check
  # CI, no keyring and no stored site (docs/ci.md):
  isr-desk revalidate --url https://www.example.com --preset bearer \\
      --secret-env REVALIDATE_SECRET --from-file changed.txt --junit revalidate.xml --quiet

exit status: 0 all refreshed, 1 some failed, 2 bad input / no secret, 130 Ctrl-C (the run is
cancelled cleanly and recorded as cancelled; --resume RUN_ID sends the rest)
"""


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "revalidate",
        help="revalidate paths and tags of a site",
        description="Revalidate paths and cache tags of a stored site, or of a site given with "
        "--url / --site-file. Exit 0: all refreshed; 1: some failed; 2: bad input.",
        epilog=EXAMPLES,
        formatter_class=HelpFormatter,
    )
    add_site_source_flags(parser)
    targets = parser.add_argument_group("targets")
    targets.add_argument("--path", action="append", default=[], metavar="P", help="a page path")
    targets.add_argument("--tag", action="append", default=[], metavar="T", help="a cache tag")
    targets.add_argument(
        "--tag-match",
        action="append",
        default=[],
        metavar="G",
        help="every tag of the site's manifest matching glob G (category:*)",
    )
    targets.add_argument(
        "--path-match",
        action="append",
        default=[],
        metavar="G",
        help="every page of the manifest matching G (* in a segment, ** across: /blog/**)",
    )
    targets.add_argument(
        "--from-file",
        type=Path,
        metavar="F",
        help="one path or tag:NAME per line ('-' reads stdin)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the requests (secret as •••) and send nothing",
    )
    parser.add_argument(
        "--strict-targets",
        action="store_true",
        help="exit 2, sending nothing, when a --tag is not in the site's list of tags "
        "(a renamed tag reaches no page; without it: a warning)",
    )
    add_run_flags(parser)  # --verify, --verify-strict, --purge-cdn, --no-purge-cdn
    parser.add_argument(
        "--resume",
        type=int,
        metavar="RUN_ID",
        help="send the rest of a recorded run (see `isr-desk history`): what was not sent",
    )
    add_output_flags(parser)
    parser.set_defaults(handler=run)


def collect_targets(
    args: argparse.Namespace,
    ctx: Context,
    site: SiteProfile | None = None,
    manifest: SiteManifest | None = None,
) -> list[Target]:
    targets = []
    for text in args.path:  # a pasted URL must be on the site; its query is dropped
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
    if args.tag_match or args.path_match:
        targets += matched_targets(args, ctx, site, manifest)
    if not targets and args.resume is None:
        raise RevalidationError(
            "Nothing to revalidate",
            hint="Give --path, --tag, --tag-match, --path-match or --from-file",
        )
    unique, merged = same_pages(targets, site)  # /about and /about/: one page, sent once
    if merged:
        ctx.err(f"note: {merged}")
    return unique


def matched_targets(
    args: argparse.Namespace,
    ctx: Context,
    site: SiteProfile | None,
    manifest: SiteManifest | None = None,
) -> list[Target]:
    """The --tag-match / --path-match globs expanded against the site's manifest; the count
    and the pages touched go to stderr before anything is sent (with --dry-run, the list)."""
    source = site.manifest_source if site is not None else None
    if not source:
        raise RevalidationError(
            "--tag-match and --path-match need the site's manifest, and it has none",
            hint="set one with `isr-desk site edit NAME --manifest SOURCE`",
        )
    from isr_desk.services.manifest import select

    assert site is not None
    loaded = (manifest or SiteManifest(site)).get()
    chosen = select(loaded, tag_globs=args.tag_match, path_globs=args.path_match)
    ctx.err(f"isr-desk: {chosen.summary()}")
    if args.dry_run:
        for target in chosen.targets():
            ctx.err(f"  {target}")
        for page in chosen.touched:
            ctx.err(f"  touches {page}")
    if not chosen.tags and not chosen.paths:
        globs = ", ".join([*args.tag_match, *args.path_match])
        raise RevalidationError(f"No tag or path of the manifest matches {globs}")
    return chosen.targets()


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
    # httpx, sqlite3 and xml.etree are imported by the command that uses them, not by every
    # command (`isr-desk --help`).
    from isr_desk.commands._junit import check_writable
    from isr_desk.services.revalidation import RunOptions
    from isr_desk.services.runs import RunPlan

    if args.junit is not None:
        check_writable(args.junit)  # before anything is sent: a typo costs nothing
    store = ProfileStore()
    profile = resolve_site(args, store)  # the site flags override a stored profile's values
    if args.secret_stdin and args.from_file is not None and str(args.from_file) == "-":
        raise RevalidationError("--secret-stdin and --from-file - both want stdin")
    manifest = SiteManifest(profile)  # loaded once, if --tag-match or the tag check needs it
    targets = collect_targets(args, ctx, profile, manifest)
    if args.resume is not None:
        targets = _rest_of(args.resume, profile.name, targets, ctx)
        if not targets:
            ctx.out(f"Nothing left to send: every target of run {args.resume} has an answer")
            return 0
    warn_unknown_tags(args, ctx, profile, targets, manifest)  # a renamed tag reaches no page
    options = RunOptions.from_profile(profile)
    purge = purge_choice(args, profile)
    if args.dry_run:
        if purge and args.format != "json":
            print_cdn_plan(profile, targets, ctx)
        return print_dry_run(profile, targets, ctx, as_json=args.format == "json")
    # None: the stored site's secret, which the session reads from the keyring.
    secret = resolve_secret(args, ctx)
    plan = RunPlan(
        profile,
        tuple(targets),
        options=options,
        verify=wants_verify(args),
        secret=secret,
        resumes=args.resume,
        purge_cdn=purge,
        cdn_token=token_from_env(args) if purge else None,
    )
    output = RunPrinter(args, ctx, profile.name, total=len(targets) * len(profile.bases))
    printer = _Printer(ctx, output)
    import asyncio  # here, not at the top: `isr-desk --help` needs no event loop

    asyncio.run(_run(plan, store, printer))
    if printer.interrupted:
        again = f"isr-desk revalidate {shlex.quote(profile.name)} --resume {printer.run_id}"
        recorded = f" and recorded as run {printer.run_id}; `{again}` sends the rest"
        ctx.err(
            "isr-desk: interrupted: the run was cancelled" + (recorded if printer.run_id else "")
        )
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
    import asyncio

    from isr_desk.services.history import HistoryStore
    from isr_desk.services.http import make_client
    from isr_desk.services.revalidation import Revalidator
    from isr_desk.services.runs import RunSession

    async with make_client(profile=plan.profile) as client:  # its proxy and CA bundle
        session = RunSession(
            plan,
            revalidator=Revalidator(client),
            secrets=store.secrets,
            history=HistoryStore,
            cdn_tokens=store.cdn_tokens if plan.purge_cdn and plan.cdn_token is None else None,
        )
        loop = asyncio.get_running_loop()

        def interrupted() -> None:  # Ctrl-C: cancel cleanly, record it, then exit 130
            printer.interrupted = True
            session.cancel()

        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, interrupted)
        try:
            async for event in session.stream():
                printer.print(event)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)


class _Printer:
    """Turns a session's events into output (:class:`RunPrinter` decides what goes where:
    text, JSON lines, JUnit, the progress line); keeps the exit status."""

    def __init__(self, ctx: Context, output: RunPrinter) -> None:
        self.ctx, self.output = ctx, output
        self.as_json = output.format == "json"
        self.summary: RunSummary | None = None
        self.run_id: int | None = None
        self.interrupted = False  # Ctrl-C cancelled the run: exit 130 (as a shell expects)
        self.verifications: tuple[Verification, ...] = ()
        self.cdn_failed = 0

    def print(self, event: Event) -> None:
        from isr_desk.services import runs

        match event:
            case runs.ResultsBatch(results=results):
                for result in results:
                    self.output.result(result)
            case runs.Finished(summary=summary, run_id=run_id, verify_follows=follows):
                self.summary, self.run_id = summary, run_id
                if not follows:
                    self.output.finish(summary)
            case runs.Verified(verifications=verifications):
                self.verifications = verifications
                if self.output.format != "junit":
                    _print_verifications(verifications, self.as_json, self.ctx)
                assert self.summary is not None
                self.output.finish(self.summary)
            case runs.CdnStarted(targets=rows):
                self.output.progress.total += rows  # the CDN's rows count on the same line
            case runs.CdnProgress():
                self.output.progress.note(event.text)
            case runs.CdnFinished(failed=failed):
                self.cdn_failed += failed
                if self.as_json:
                    self.ctx.json_line({"cdn": event.to_json()})
                elif self.output.format == "text":
                    self.output.progress.clear()
                    self.ctx.out(_cdn_line(event))
            case runs.RunWarning(text=text):
                self.output.progress.clear()
                self.ctx.err(f"isr-desk: warning: {text}")
            case runs.Failed(error=error):
                self.output.progress.clear()
                raise error
            case runs.Stopped(text=text):
                self.output.progress.clear()
                self.ctx.err(f"isr-desk: {text}")
                if self.summary is not None:  # verification cancelled after the run
                    self.output.finish(self.summary)
            case _:
                pass

    def exit_status(self, *, strict: bool) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        summary = self.summary
        if summary is None or summary.failed or summary.not_sent or summary.cancelled:
            return 1
        if self.cdn_failed:
            return 1
        if strict:
            # Strict means proven: a verification cut short, or a page that could not be
            # checked (a tag without the site's manifest), is no proof.
            verified = self.verifications
            return 0 if verified and all(v.ok for v in verified) else 1
        return 0


def _cdn_line(event: CdnFinished) -> str:
    total = event.ok + event.failed
    apart = f", {event.not_purged}" if event.not_supported else ""
    return (
        f"CDN ({event.step}): {event.ok} of {total} purged, {event.failed} failed{apart}"
        f" in {event.duration_ms / 1000:.2f} s"
    )


def print_cdn_plan(profile: SiteProfile, targets: list[Target], ctx: Context) -> None:
    """``--dry-run --purge-cdn``: the CDN calls a run would make (no token needed)."""
    from isr_desk.services.cdn import CdnPurger

    plan = CdnPurger.plan_of(profile, targets)
    for batch in plan.batches:
        shown = ", ".join(batch.items[:3]) + (" …" if len(batch.items) > 3 else "")
        ctx.out(f"{plan.step}: purge {len(batch.items)} {batch.kind}: {shown}")
    for target, why in plan.unsupported:
        ctx.out(f"{plan.step}: not purged: {target} ({why})")


# --- --verify ------------------------------------------------------------------------------


def _verdict_marks() -> dict[Verdict, str]:
    from isr_desk.services.verify import Verdict

    return {
        Verdict.REGENERATED: "✓",
        Verdict.WILL_REFRESH: "~",
        Verdict.UNCHANGED: "!",
        Verdict.CDN_STALE: "!",
        Verdict.INCONCLUSIVE: "?",
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
