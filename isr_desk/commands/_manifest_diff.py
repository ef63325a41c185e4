"""``isr-desk manifest diff OLD NEW`` and ``manifest diff --since-last SITE [--revalidate SITE]``.

OLD and NEW are any manifest sources (two ``.next`` builds, two manifest files or URLs);
``--since-last SITE`` compares the site's newest saved snapshot that differs from its manifest
now (docs/patterns-and-diffs.md). ``--revalidate SITE`` sends exactly the diff's targets
through the same run session as ``isr-desk revalidate``, with its run options
(``--purge-cdn``/``--no-purge-cdn``, the site's ``cdn.by_default``, ``--verify``,
``--verify-strict``) and its ``--dry-run`` (the requests, sent nowhere). The targets are
those of the site they go to (``--revalidate``, else ``--since-last``): a tag where it reaches
the page, the page's path where it would not (:meth:`ManifestDiff.targets`). Exit 0 (1 when a
revalidation failed), 2 for bad input.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from isr_desk.commands import Context
from isr_desk.domain import Manifest, SiteProfile, human_duration
from isr_desk.services.errors import ManifestError
from isr_desk.services.manifest import ManifestDiff, PageChange


def run_diff(args: argparse.Namespace, ctx: Context) -> int:
    from isr_desk.services.manifest import diff_manifests, summary_line

    site = _target_site(args)  # before anything is loaded or printed: a typo costs nothing
    if site is not None and args.revalidate:
        from isr_desk.commands._run_args import purge_choice

        purge_choice(args, site)  # --purge-cdn for a site without a CDN: exit 2 here too
    elif args.dry_run or args.verify or args.verify_strict or args.purge_cdn is not None:
        raise ManifestError("--dry-run, --verify and --purge-cdn go with --revalidate SITE")
    old, new, since = _manifests(args, ctx)
    diff = diff_manifests(old, new)
    # The same one-line summary as the "What changed" window (services/manifest/_changes.py).
    summary = summary_line(diff, since)
    if args.json:
        document = diff.to_json(site)
        ctx.json_line({"old": old.source, "new": new.source, "summary": summary, **document})
    else:
        ctx.out("\n".join([summary, *describe(diff, old.source, new.source, site)]))
    if args.revalidate:
        assert site is not None
        return _revalidate(args, diff, site, ctx)
    return 0


def _target_site(args: argparse.Namespace) -> SiteProfile | None:
    """The site the diff's targets are for: ``--revalidate``'s, else ``--since-last``'s."""
    from isr_desk.services.sites import ProfileStore

    name = args.revalidate or args.since_last
    return ProfileStore().get(name) if name else None


def _manifests(
    args: argparse.Namespace, ctx: Context
) -> tuple[Manifest, Manifest, datetime | None]:
    """OLD, NEW and when OLD was saved (``--since-last``; None for two given sources)."""
    from isr_desk.services.manifest import load_manifest

    if args.since_last:
        if args.sources:
            raise ManifestError("give either OLD NEW or --since-last SITE, not both")
        return _since_last(args.since_last, ctx)
    if len(args.sources) != 2:
        raise ManifestError(
            "manifest diff needs two sources: OLD NEW",
            hint="or --since-last SITE for the site's saved snapshot against its manifest now",
        )
    return load_manifest(args.sources[0]), load_manifest(args.sources[1]), None


def _since_last(site: str, ctx: Context) -> tuple[Manifest, Manifest, datetime | None]:
    from isr_desk.commands._secret_header_args import manifest_network
    from isr_desk.commands.manifest import keep_snapshot
    from isr_desk.services.manifest import last_differing, load_manifest
    from isr_desk.services.sites import ProfileStore

    profile = ProfileStore().get(site)
    if not profile.manifest_source:
        raise ManifestError(f"site {profile.name!r} has no manifest source")
    network = manifest_network(profile)  # its secret headers, for its own origin
    now = load_manifest(profile.manifest_source, base_url=profile.base_url, network=network)
    before = last_differing(profile.name, now)
    keep_snapshot(profile.name, now, ctx)
    if before is None:
        raise ManifestError(
            f"no earlier snapshot of site {profile.name!r} differs from its manifest now",
            hint="ISR Desk keeps one each time it loads the manifest; load it after a deploy",
        )
    return before[0], now, before[1]


def describe(diff: ManifestDiff, old: str, new: str, site: SiteProfile | None = None) -> list[str]:
    lines = [f"{old} -> {new}"]
    if diff.empty:
        return [*lines, "No pages or tags changed."]
    sections = [
        ("Pages added", [f"+ {p}" for p in diff.pages_added]),
        ("Pages removed", [f"- {p}" for p in diff.pages_removed]),
        ("Tags renamed", [f"~ {o} -> {n}" for o, n in diff.tags_renamed]),
        ("Tags added", [f"+ {t}" for t in diff.tags_added]),
        ("Tags removed", [f"- {t}" for t in diff.tags_removed]),
        ("Pages changed", [_change(c) for c in diff.pages_changed]),
    ]
    for title, rows in sections:
        if rows:
            lines += ["", f"{title} ({len(rows)})", *(f"  {row}" for row in rows)]
    targets = diff.targets(site)
    lines += ["", f"To refresh: {len(targets)} target(s): " + ", ".join(map(str, targets[:8]))]
    if len(targets) > 8:
        lines[-1] += f", … (+{len(targets) - 8})"
    return lines


def _change(change: PageChange) -> str:
    parts = []
    if sorted(change.old_tags) != sorted(change.new_tags):
        old, new = ", ".join(change.old_tags) or "-", ", ".join(change.new_tags) or "-"
        parts.append(f"tags {old} -> {new}")
    if change.old_revalidate != change.new_revalidate or parts == []:
        old_s = human_duration(change.old_revalidate) or "-"
        new_s = human_duration(change.new_revalidate) or "-"
        parts.append(f"revalidate {old_s} -> {new_s}")
    return f"* {change.path}: " + "; ".join(parts)


def _revalidate(
    args: argparse.Namespace, diff: ManifestDiff, profile: SiteProfile, ctx: Context
) -> int:
    """Send the diff's targets as ``isr-desk revalidate`` would: its run options
    (commands/_run_args.py), its printer and exit status, its ``--dry-run``."""
    from isr_desk.commands._dry_run import print_dry_run
    from isr_desk.commands._output import RunPrinter
    from isr_desk.commands._run_args import purge_choice, wants_verify
    from isr_desk.commands.revalidate import _Printer, _run, print_cdn_plan
    from isr_desk.services.revalidation import RunOptions
    from isr_desk.services.runs import RunPlan
    from isr_desk.services.sites import ProfileStore

    purge = purge_choice(args, profile)  # the site's cdn.by_default unless told otherwise
    targets = diff.targets(profile)
    if not targets:
        ctx.err("isr-desk: nothing changed: nothing to revalidate")
        return 0
    if args.dry_run:  # what `revalidate --dry-run` prints: the requests, the CDN calls
        if purge and not args.json:
            print_cdn_plan(profile, targets, ctx)
        return print_dry_run(profile, targets, ctx, as_json=args.json)
    store = ProfileStore()
    plan = RunPlan(
        profile,
        tuple(targets),
        options=RunOptions.from_profile(profile),
        verify=wants_verify(args),
        purge_cdn=purge,
    )
    output_args = argparse.Namespace(
        format="json" if args.json else "text",
        quiet=False,
        failures_only=False,
        junit=None,
        progress="never",
    )
    output = RunPrinter(output_args, ctx, profile.name, total=len(targets) * len(profile.bases))
    printer = _Printer(ctx, output)
    asyncio.run(_run(plan, store, printer))
    return printer.exit_status(strict=args.verify_strict)
