"""Checks on typed targets before anything is sent (plain Python, no widgets).

- the words for typed pages and tags the loaded list does not know (the check itself is
  services/manifest's ``unknown_pages`` / ``unknown_tags``; "Send anyway" sends; the CLI
  warns about tags with the same check, commands/_tag_check.py);
- why a site cannot refresh tags (a Pages Router route), said before the button is pressed.
"""

from __future__ import annotations

from collections.abc import Sequence

from isr_desk.domain import SiteProfile, Target, TargetKind
from isr_desk.services.sites import supports_tags

NO_TAGS = (
    "This site's refresh route (Pages Router) cannot refresh tags: refresh the pages "
    "instead, or ask your developer for an App Router route."
)


def _listed(unknown: Sequence[str]) -> str:
    return ", ".join(unknown[:3]) + (f" and {len(unknown) - 3:,} more" if len(unknown) > 3 else "")


def unknown_text(unknown: Sequence[str]) -> str:
    return (
        f"Not in the site's list of pages: {_listed(unknown)}. Check the address for a typo — "
        "or press “Send anyway” if the page is new."
    )


def unknown_tags_text(unknown: Sequence[str]) -> str:
    return (
        f"Not in the site's list of tags: {_listed(unknown)}. Renamed? “What changed” shows "
        "the new names — or press “Send anyway” if the tag is new."
    )


def tags_refused(profile: SiteProfile | None, targets: Sequence[Target]) -> str:
    """Why these targets cannot be sent to this site ("" when they can)."""
    if profile is None or supports_tags(profile):
        return ""
    return NO_TAGS if any(t.kind is TargetKind.TAG for t in targets) else ""
