"""Checks on typed targets before anything is sent (plain Python, no widgets).

- which typed pages the loaded list of pages does not know (flagged; "Send anyway" sends);
- which typed tags its list of tags does not know (a renamed tag reaches no page: flagged
  the same way; the CLI warns with the same check, commands/_tag_check.py);
- why a site cannot refresh tags (a Pages Router route), said before the button is pressed.
"""

from __future__ import annotations

from collections.abc import Sequence

from isr_desk.domain import Manifest, SiteProfile, Target, TargetKind
from isr_desk.services.sites import supports_tags

NO_TAGS = (
    "This site's refresh route (Pages Router) cannot refresh tags: refresh the pages "
    "instead, or ask your developer for an App Router route."
)


def known_pages(manifest: Manifest | None) -> frozenset[str] | None:
    """The pages a loaded list names, or None when there is no list to check against."""
    if manifest is None or not manifest.paths:
        return None
    return frozenset(p.path for p in manifest.paths)


def unknown_pages(targets: Sequence[Target], known: frozenset[str] | None) -> list[str]:
    if known is None:
        return []
    paths = [t.value for t in targets if t.kind is TargetKind.PATH]
    return [p for p in paths if p.split("?", 1)[0] not in known]


def unknown_text(unknown: Sequence[str]) -> str:
    shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3:,} more" if len(unknown) > 3 else "")
    return (
        f"Not in the site's list of pages: {shown}. Check the address for a typo — or press "
        "“Send anyway” if the page is new."
    )


def unknown_tags_text(unknown: Sequence[str]) -> str:
    shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3:,} more" if len(unknown) > 3 else "")
    return (
        f"Not in the site's list of tags: {shown}. Renamed? “What changed” shows the new "
        "names — or press “Send anyway” if the tag is new."
    )


def tags_refused(profile: SiteProfile | None, targets: Sequence[Target]) -> str:
    """Why these targets cannot be sent to this site ("" when they can)."""
    if profile is None or supports_tags(profile):
        return ""
    return NO_TAGS if any(t.kind is TargetKind.TAG for t in targets) else ""
