"""``isr-desk manifest NAME``: every path and cache tag a site's manifest knows."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from typing import Any

from isr_desk.commands import Context, Subparsers
from isr_desk.commands._run_args import add_run_flags, wants_verify
from isr_desk.domain import (
    Manifest,
    ManifestPath,
    ManifestTag,
    Router,
    SiteProfile,
    human_duration,
)
from isr_desk.services.errors import ManifestError

_EPILOG = """\
sources (auto-detected):
  a Next.js build          .next or the project directory holding it (after `next build`)
  an ISR Desk manifest     JSON file or URL, e.g. /isr-manifest.json on the site
  a sitemap                sitemap.xml file or URL (sitemap indexes are followed)
  a plain list             one path or tag:NAME per line, # comments
examples:
  isr-desk manifest blog                          the profile's manifest source
  isr-desk manifest blog --source ./site/.next    another source for this run
  isr-desk manifest blog --json                   one JSON document
  isr-desk manifest diff old/.next new/.next      what changed between two builds
  isr-desk manifest diff --since-last blog        the saved snapshot against the manifest now
  isr-desk manifest diff --since-last blog --revalidate blog   refresh exactly what changed
  isr-desk manifest diff --since-last blog --revalidate blog --purge-cdn --verify
  isr-desk manifest diff --since-last blog --revalidate blog --dry-run   show, send nothing
"""
_MAX_PATH_WIDTH = 60
_MAX_EXAMPLES = 3


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "manifest",
        help="list the paths and cache tags a site knows",
        description="Load the site's manifest (its profile's manifest source, or --source) "
        "and list its paths (pattern, revalidate seconds, tags) and cache tags (with the "
        "paths a purge of each touches). Warnings go to stderr.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", metavar="NAME", help="the site profile, or diff")
    parser.add_argument("sources", nargs="*", metavar="OLD NEW", help="with diff: two sources")
    parser.add_argument("--since-last", metavar="SITE", help="with diff: the site's snapshot")
    parser.add_argument("--revalidate", metavar="SITE", help="with diff: send what changed")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="with diff --revalidate: print the requests (secret as •••) and send nothing",
    )
    add_run_flags(parser)  # with diff --revalidate, as `isr-desk revalidate`
    parser.add_argument("--source", help="a manifest source to use instead of the profile's")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--implicit", action="store_true", help="also list Next's implicit _N_T_ tags"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, ctx: Context) -> int:
    from isr_desk.services.sites import ProfileStore

    if args.name == "diff":
        from isr_desk.commands._manifest_diff import run_diff

        return run_diff(args, ctx)
    if args.sources or args.since_last or args.revalidate or _run_flags_given(args):
        raise ManifestError(
            "OLD NEW, --since-last, --revalidate and its run options go with `manifest diff`"
        )
    profile = ProfileStore().get(args.name)
    source = args.source or profile.manifest_source
    if not source:
        raise ManifestError(
            f"site {profile.name!r} has no manifest source",
            hint="pass --source (a .next directory, a JSON manifest, a sitemap or a list)",
        )
    # httpx comes with the manifest loader: imported only by the command that needs it.
    from isr_desk.commands._secret_header_args import manifest_network
    from isr_desk.services.manifest import is_own_source, load_manifest

    network = manifest_network(profile, source)  # its secret headers, for its own origin
    manifest = load_manifest(source, base_url=profile.base_url, network=network)
    if is_own_source(profile, source):  # another build is a look, not the site's last list
        keep_snapshot(profile.name, manifest, ctx)
    if args.json:
        ctx.json_line(manifest_to_json(manifest, profile))
        return 0
    for warning in manifest.warnings:
        ctx.err(f"warning: {warning}")
    for note in settings_notes(manifest, profile):
        ctx.err(f"note: {note}")
    ctx.out("\n".join(_human(manifest, implicit=args.implicit)))
    return 0


def _run_flags_given(args: argparse.Namespace) -> bool:
    return bool(args.dry_run or wants_verify(args) or args.purge_cdn is not None)


def keep_snapshot(site: str, manifest: Manifest, ctx: Context) -> None:
    """Keep a snapshot of the loaded manifest for `manifest diff --since-last`; a failure to
    write it is a warning, never the end of the command."""
    from isr_desk.services.manifest import save_snapshot

    try:
        save_snapshot(site, manifest)
    except OSError as exc:
        ctx.err(f"warning: could not keep a snapshot of the manifest: {exc.strerror or exc}")


def settings_notes(manifest: Manifest, profile: SiteProfile) -> list[str]:
    """Where the profile's conventions differ from the build's, with the exact fix."""
    site = manifest.site
    if site is None:
        return []
    from isr_desk.services.manifest import convention_fixes

    flags = convention_fixes(site, profile)
    if not flags:
        return []
    return [
        f"the build says {site.summary()}, but site {profile.name!r} is set up otherwise; "
        f"fix it with: isr-desk site edit {shlex.quote(profile.name)} {' '.join(flags)}"
    ]


def manifest_to_json(manifest: Manifest, profile: SiteProfile | None = None) -> dict[str, Any]:
    """The ``--json`` document (every field; implicit tags flagged; each page's API forms)."""
    from isr_desk.services.manifest import page_forms

    site = manifest.site
    return {
        "source": manifest.source,
        "kind": manifest.kind,
        "base_path": manifest.base_path,
        "locales": list(manifest.locales),
        "site": None if site is None else {**site.to_json(), "summary": site.summary()},
        "notes": settings_notes(manifest, profile) if profile is not None else [],
        "paths": [
            {
                "path": p.path,
                "pattern": p.pattern,
                "revalidate": p.revalidate,
                "revalidate_text": human_duration(p.revalidate),
                "router": p.router.value if p.router else None,
                "tags": list(p.tags),
                "implicit_tags": list(p.implicit_tags),
                "send": page_forms(site, p),
            }
            for p in manifest.paths
        ],
        "tags": [
            {"tag": t.tag, "implicit": t.implicit, "paths": list(t.paths)} for t in manifest.tags
        ],
        "routes": [
            {
                "pattern": r.pattern,
                "router": r.router.value if r.router else None,
                "fallback": r.fallback,
                # revalidatePath(pattern, 'page') rebuilds every page of an App Router pattern
                "send": (
                    {"revalidatePath": r.pattern, "type": "page"}
                    if r.router is not Router.PAGES
                    else None
                ),
            }
            for r in manifest.routes
        ],
        "warnings": list(manifest.warnings),
    }


def _human(manifest: Manifest, *, implicit: bool) -> list[str]:
    own = [t for t in manifest.tags if not t.implicit]
    hidden = [t for t in manifest.tags if t.implicit]
    lines = [
        f"{manifest.source} ({manifest.kind}): {len(manifest.paths)} paths, "
        f"{manifest.tag_counts()}, {len(manifest.routes)} dynamic routes"
    ]
    if manifest.site is not None:
        lines.append(f"Detected: {manifest.site.summary() or 'Next.js build'}")
    if manifest.paths:
        header = ("PATH", "SENT AS", "PATTERN", "REVALIDATE", "ROUTER", "TAGS")
        rows = [_path_row(p, manifest) for p in manifest.paths]
        lines += ["", "PATHS", *_table(header, rows)]
    if manifest.routes:
        routes = [
            (r.pattern, r.router.value if r.router else "-", _fallback(r.fallback))
            for r in manifest.routes
        ]
        lines += ["", "DYNAMIC ROUTES", *_table(("PATTERN", "ROUTER", "FALLBACK"), routes)]
    if own:
        lines += ["", "TAGS", *_table(("TAG", "PATHS", "TOUCHES"), [_tag_row(t) for t in own])]
    if hidden and implicit:
        rows = [_tag_row(t) for t in hidden]
        lines += ["", "IMPLICIT TAGS", *_table(("TAG", "PATHS", "TOUCHES"), rows)]
    elif hidden:
        lines += ["", f"{len(hidden)} implicit Next.js tags (_N_T_…) not shown: add --implicit"]
    if not manifest.paths and not manifest.tags:
        lines += ["", "The manifest lists no paths and no tags."]
    return lines


def _path_row(p: ManifestPath, manifest: Manifest) -> tuple[str, ...]:
    sent = "-"
    if manifest.site is not None:
        from isr_desk.services.manifest import page_forms

        forms = page_forms(manifest.site, p)
        sent = forms["revalidatePath"] or forms["res.revalidate"] or "-"
    return (
        p.path,
        sent if sent != p.path else "=",
        p.pattern or "-",
        human_duration(p.revalidate) or "-",
        p.router.value if p.router else "-",
        ", ".join(p.tags) or "-",
    )


def _tag_row(tag: ManifestTag) -> tuple[str, ...]:
    shown = ", ".join(tag.paths[:_MAX_EXAMPLES])
    more = f", … (+{len(tag.paths) - _MAX_EXAMPLES})" if len(tag.paths) > _MAX_EXAMPLES else ""
    return (tag.tag, str(len(tag.paths)), (shown + more) or "-")


def _fallback(value: str | bool | None) -> str:
    if value is None:
        return "blocking"
    if value is False:
        return "404"
    return "yes" if value is True else str(value)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = min(max(widths[i], len(cell)), _MAX_PATH_WIDTH)
    out = []
    for row in (header, *rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        out.append("  ".join([*cells, row[-1]]).rstrip())
    return out
