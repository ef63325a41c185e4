"""How ``revalidate`` prints a run: text (all, ``--failures-only`` or ``--quiet``), JSON lines
(unchanged by those), or JUnit XML; plus the progress line and a ``--junit FILE`` report.

The command hands every result to :meth:`RunPrinter.result` as it arrives and the summary to
:meth:`RunPrinter.finish`; what is printed where is decided here, once.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from isr_desk.commands._progress import Progress
from isr_desk.domain import ORIGIN, Outcome

if TYPE_CHECKING:
    from isr_desk.commands import Context
    from isr_desk.domain import Result, RunSummary

FORMATS = ("text", "json", "junit")


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text lines, JSON lines (one object per result, then a summary), or JUnit XML",
    )
    group.add_argument(
        "--json", action="store_const", dest="format", const="json", help="same as --format json"
    )
    group.add_argument(
        "--junit", type=Path, metavar="FILE", help="also write a JUnit XML report to FILE"
    )
    quiet = group.add_mutually_exclusive_group()
    quiet.add_argument(
        "-q", "--quiet", action="store_true", help="text: print only the summary line"
    )
    quiet.add_argument(
        "--failures-only", action="store_true", help="text: print only the failed targets"
    )
    group.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="a progress line on stderr (auto: when stderr is a terminal)",
    )


class RunPrinter:
    """Prints one run's results and summary as the flags ask."""

    def __init__(self, args: argparse.Namespace, ctx: Context, site: str, total: int) -> None:
        self.format: str = args.format
        self.quiet: bool = args.quiet
        self.failures_only: bool = args.failures_only
        self.junit_file: Path | None = args.junit
        self.site = site
        self.ctx = ctx
        self.done = 0
        self.failed = 0
        self.results: list[Result] = []
        shown = {"always": True, "never": False}.get(args.progress)
        if shown is None:
            shown = _isatty(ctx)
        self.progress = Progress(total, ctx.stderr, enabled=shown)

    @property
    def keeps_results(self) -> bool:
        return self.format == "junit" or self.junit_file is not None

    def result(self, result: Result) -> None:
        self.done += 1
        self.failed += not result.ok and not _cdn_skip(result)
        if self.keeps_results:
            self.results.append(result)
        if self.format == "json":
            self.progress.clear()
            self.ctx.json_line(result.to_json())
        elif self.format == "text" and not self.quiet and (not self.failures_only or not result.ok):
            self.progress.clear()
            print_result(result, self.ctx)
        self.progress.update(self.done, self.failed)

    def finish(self, summary: RunSummary) -> None:
        from isr_desk.commands._junit import junit_xml, write_junit  # xml.etree: not for --help

        self.progress.update(self.done, self.failed, force=True)
        self.progress.clear()
        report = junit_xml(self.site, self.results, summary) if self.keeps_results else ""
        if self.junit_file is not None:
            write_junit(self.junit_file, report)
        if self.format == "junit":
            self.ctx.stdout.write(report)
            self.ctx.stdout.flush()
        elif self.format == "json":
            self.ctx.json_line({"summary": summary.to_json()})
        else:
            self.ctx.out(summary_line(summary))


def _isatty(ctx: Context) -> bool:
    try:
        return bool(ctx.stderr.isatty())
    except (AttributeError, ValueError):
        return False


def _cdn_skip(result: Result) -> bool:
    """A CDN row its API cannot purge (a path on Vercel): not sent, and not a failure."""
    return result.outcome is Outcome.UNSUPPORTED and result.step != ORIGIN


def print_result(result: Result, ctx: Context) -> None:
    mark = "ok  " if result.ok else "skip" if _cdn_skip(result) else "FAIL"
    status = result.status if result.status is not None else "---"
    where = f" @ {result.instance}" if result.instance else ""
    step = f" [{result.step}]" if result.step != ORIGIN else ""
    line = f"{mark} {status} {result.target}{where}{step}  {result.outcome.label}"
    line += f"  {result.duration_ms:.0f} ms"
    if result.attempts > 1:
        line += f" ({result.attempts} attempts)"
    ctx.out(line)
    said = _api_said(result)
    if said:
        ctx.out(f"     {said}")
    if not result.ok and result.hint:
        ctx.out(f"     {result.hint}")


SAID_LIMIT = 200  # characters of a CDN API's own words shown under its row


def _api_said(result: Result) -> str:
    """What a CDN's API said about a failed row (Cloudflare's ``errors[]``, Vercel's
    ``error.message``, or "the API asks to wait N s, …"): secrets blanked, control characters
    shown escaped, on one line, capped; "" for an origin row or when it only repeats the hint."""
    from isr_desk.services import logsafe

    error = result.error
    if result.ok or result.step == ORIGIN or not error or error == result.hint:
        return ""
    text = " ".join(logsafe.terminal_safe(logsafe.scrub(error)).split())
    if len(text) > SAID_LIMIT:
        text = text[: SAID_LIMIT - 1] + "…"
    return f"{result.step.removeprefix('cdn: ')}: {text}" if text else ""


def summary_line(summary: RunSummary) -> str:
    text = (
        f"{summary.ok} of {summary.total} refreshed, {summary.failed} failed"
        f" in {summary.duration_ms / 1000:.2f} s (p50 {summary.p50_ms:.0f} ms,"
        f" p95 {summary.p95_ms:.0f} ms)"
    )
    if summary.cancelled:
        text += f"; cancelled, {summary.not_sent} not sent"
    if summary.in_flight:
        text += f", {summary.in_flight} cancelled in flight (may or may not have been applied)"
    return text
