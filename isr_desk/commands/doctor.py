"""``isr-desk doctor NAME``: check a site's revalidation endpoint and print what to fix.

One line per finding (``✓`` fine, ``·`` for information, ``!`` warning, ``✗`` problem), with
the detail and the fix indented below; ``--json`` prints one object per finding, then a
``{"summary": ...}`` line. Exit 0 when there is no problem, 1 when there is one, 2 for bad
input. Nothing is revalidated unless ``--path`` names a page: then that page is revalidated
once with the stored secret, to prove the secret works.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from isr_desk.commands import Context, Subparsers
from isr_desk.commands._site_args import (
    HelpFormatter,
    add_site_source_flags,
    resolve_secret,
    resolve_site,
)
from isr_desk.domain import TargetKind, plural
from isr_desk.services.sites import ProfileStore, TargetError, parse_target

if TYPE_CHECKING:
    from isr_desk.domain import SiteProfile
    from isr_desk.services.doctor import Finding

MARKS = {"ok": "✓", "info": "·", "warning": "!", "problem": "✗"}


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check a site's revalidation endpoint",
        description="Check that the site is reachable and that its revalidation route rejects "
        "wrong and missing secrets. Exit 0: no problem; 1: a problem was found.",
        epilog="examples:\n  isr-desk doctor blog\n  isr-desk doctor blog --path /  "
        "# also revalidate / with the stored secret\n"
        "  isr-desk doctor --url https://www.example.com --preset bearer",
        formatter_class=HelpFormatter,
    )
    add_site_source_flags(parser)
    parser.add_argument(
        "--path",
        metavar="P",
        help="also revalidate this page with the secret (proves the secret works)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    store = ProfileStore()
    profile = resolve_site(args, store)
    path = _page(args.path, profile) if args.path is not None else None
    secret: str | None = None
    if path is not None:
        # The keyring is touched only when the secret is used: without --path it is not.
        secret = resolve_secret(args, ctx) or store.secrets.require(profile.name)
    import asyncio  # here, not at the top: `isr-desk --help` needs no event loop

    findings = asyncio.run(_check(profile, secret, path))
    _print(findings, args.json, ctx)
    return 1 if any(f.level.value == "problem" for f in findings) else 0


def _page(text: str, profile: SiteProfile) -> str:
    target = parse_target(text, site=profile)  # a pasted URL must be on the site
    if target.kind is not TargetKind.PATH:
        raise TargetError("--path takes a page path, not a tag", hint="For example --path /")
    return target.value


async def _check(profile: SiteProfile, secret: str | None, path: str | None) -> list[Finding]:
    from isr_desk.services.doctor import check_endpoint
    from isr_desk.services.http import make_client

    if profile.secret_headers:  # a stored site's secret headers (a protection bypass)
        from isr_desk.services.sites import ProfileStore, with_secret_headers

        profile = with_secret_headers(profile, ProfileStore().secret_headers)
    async with make_client(profile=profile) as client:
        return await check_endpoint(client, profile, secret, path=path)


def _print(findings: list[Finding], as_json: bool, ctx: Context) -> None:
    counts = {level: 0 for level in MARKS}
    for finding in findings:
        counts[finding.level.value] += 1
        if as_json:
            ctx.json_line(finding.to_json())
            continue
        where = f" [{finding.instance}]" if finding.instance else ""
        ctx.out(f"{MARKS[finding.level.value]} {finding.title}{where}")
        if finding.detail:
            ctx.out(f"    {finding.detail}")
        if finding.hint and finding.level.value != "ok":
            label = "Tip" if finding.level.value == "info" else "Fix"
            ctx.out(f"    {label}: {finding.hint}")
    if as_json:
        ctx.json_line({"summary": {"ok": counts["ok"], "info": counts["info"],
                                   "warnings": counts["warning"],
                                   "problems": counts["problem"]}})  # fmt: skip
        return
    problems, warnings = counts["problem"], counts["warning"]
    if problems:
        ctx.out(f"{plural(problems, 'problem')}, {plural(warnings, 'warning')}.")
    else:
        ctx.out(f"No problems found ({plural(warnings, 'warning')}).")
