"""``revalidate --tag``: warn about a tag the site's manifest does not list, before sending.

After a rename the old name reaches no page, yet the site answers "revalidated": a silent
no-op (docs/patterns-and-diffs.md, "Renamed tags"). When the site has a manifest that loads,
each unknown tag gets a warning on stderr; ``--strict-targets`` makes it exit 2 with nothing
sent. A manifest that cannot be loaded says nothing extra and blocks nothing. The window
flags the same tags the same way (views/target_checks.py, "Send anyway").
"""

from __future__ import annotations

import argparse
import logging
import shlex
from collections.abc import Sequence

from isr_desk.commands import Context
from isr_desk.commands._secret_header_args import SiteManifest
from isr_desk.domain import SiteProfile, Target, TargetKind
from isr_desk.services.errors import IsrError, RevalidationError

log = logging.getLogger(__name__)


def warn_unknown_tags(
    args: argparse.Namespace,
    ctx: Context,
    profile: SiteProfile,
    targets: Sequence[Target],
    manifest: SiteManifest,
) -> None:
    """Warn about each tag of ``targets`` the site's manifest does not list; with
    ``--strict-targets`` raise (exit 2) instead of sending."""
    if not profile.manifest_source or not any(t.kind is TargetKind.TAG for t in targets):
        return
    unknown = _unknown(manifest, targets)
    if not unknown:
        return
    hint = f"renamed? see isr-desk manifest diff --since-last {shlex.quote(profile.name)}"
    for tag in unknown:
        ctx.err(f"warning: tag {tag!r} is not in the site's list of tags ({hint})")
    if getattr(args, "strict_targets", False):
        raise RevalidationError(
            f"{len(unknown)} tag(s) not in the site's list of tags: nothing was sent",
            hint="check the names, or leave out --strict-targets to send them anyway",
        )


def _unknown(manifest: SiteManifest, targets: Sequence[Target]) -> list[str]:
    from isr_desk.services.manifest import known_tags, unknown_tags

    try:
        loaded = manifest.get()
    except (IsrError, OSError) as exc:  # no list to check against: send as asked
        log.debug("tag check skipped: the manifest did not load (%s)", type(exc).__name__)
        return []
    return unknown_tags(targets, known_tags(loaded))
