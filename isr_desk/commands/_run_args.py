"""The run options every command that sends shares: ``--verify``, ``--verify-strict`` and
``--purge-cdn`` / ``--no-purge-cdn`` (``isr-desk revalidate``, ``manifest diff --revalidate``).

A site set to purge its CDN in every run (``site edit --cdn-by-default``) does so unless
``--no-purge-cdn`` (docs/cdn.md).
"""

from __future__ import annotations

import argparse

from isr_desk.domain import SiteProfile
from isr_desk.services.errors import RevalidationError


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verify",
        action="store_true",
        help="fetch each page before and after, and say whether it really changed",
    )
    parser.add_argument(
        "--verify-strict",
        action="store_true",
        help="--verify, and exit 1 unless every page was checked and shown fresh (unchanged, "
        "CDN-stale, inconclusive, not checked or a cut-short check all give 1)",
    )
    purge = parser.add_mutually_exclusive_group()
    purge.add_argument(
        "--purge-cdn",
        dest="purge_cdn",
        action="store_const",
        const=True,
        default=None,
        help="after the origin, purge the site's CDN for the same targets (docs/cdn.md)",
    )
    purge.add_argument(
        "--no-purge-cdn",
        dest="purge_cdn",
        action="store_const",
        const=False,
        help="do not purge the CDN, even if the site is set to purge it in every run",
    )


def wants_verify(args: argparse.Namespace) -> bool:
    return bool(args.verify or args.verify_strict)


def purge_choice(args: argparse.Namespace, profile: SiteProfile) -> bool:
    """Whether the run purges the CDN: ``--purge-cdn``/``--no-purge-cdn``, else the site's
    ``cdn.by_default``. Asked for a site without a CDN: exit 2 before anything is sent."""
    purge = profile.cdn.by_default if args.purge_cdn is None else bool(args.purge_cdn)
    if purge and not profile.cdn.enabled:
        raise RevalidationError(
            f"--purge-cdn: site {profile.name!r} has no CDN set",
            hint=f"isr-desk site edit {profile.name} --cdn vercel|cloudflare … (docs/cdn.md)",
        )
    return purge
