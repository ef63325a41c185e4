"""Which given pages and tags a site's list does not know (a typo, a new page, a tag renamed
since).

A page the list does not name is flagged in the window ("Send anyway"). A tag the list does
not name is still sent — Next.js accepts any tag — but after a rename it reaches no page:
both faces warn before sending (docs/patterns-and-diffs.md, "Renamed tags"). A list without
tags (a sitemap, a plain list) knows nothing about tags: no warning.
"""

from __future__ import annotations

from collections.abc import Iterable

from isr_desk.domain import Manifest, Target, TargetKind


def known_pages(manifest: Manifest | None) -> frozenset[str] | None:
    """The pages a loaded list names, or None when there is no list to check against."""
    if manifest is None or not manifest.paths:
        return None
    return frozenset(p.path for p in manifest.paths)


def unknown_pages(targets: Iterable[Target], known: frozenset[str] | None) -> list[str]:
    """The pages of ``targets`` (in order; a query string ignored) that ``known`` does not name."""
    if known is None:
        return []
    paths = [t.value for t in targets if t.kind is TargetKind.PATH]
    return [p for p in paths if p.split("?", 1)[0] not in known]


def known_tags(manifest: Manifest | None) -> frozenset[str] | None:
    """The tags a loaded list names, or None when there is no list of tags to check against."""
    if manifest is None or not manifest.tags:
        return None
    return frozenset(t.tag for t in manifest.tags)


def unknown_tags(targets: Iterable[Target], known: frozenset[str] | None) -> list[str]:
    """The tags of ``targets`` (in order, once each) that ``known`` does not name."""
    if known is None:
        return []
    tags = (t.value for t in targets if t.kind is TargetKind.TAG)
    return [t for t in dict.fromkeys(tags) if t not in known]
