"""The demo site's build before this one, kept as a snapshot so "What changed" has a story.

On a first demo start the previous build (services/demo/_data.py: product tags renamed, three
posts added, a page removed, refresh times changed) is saved as the demo profile's snapshot,
dated a day earlier; the app's first load of the demo list is then compared with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from isr_desk.domain import Manifest, ManifestPath, ManifestTag
from isr_desk.services.demo import _data as data
from isr_desk.services.manifest import save_snapshot, snapshots

EARLIER = timedelta(days=1, hours=2, minutes=17)


def previous_manifest(seed: int = 0) -> Manifest:
    pages = data.previous_pages(seed)
    by_tag: dict[str, list[str]] = {}
    for page in pages:
        for tag in page.tags:
            by_tag.setdefault(tag, []).append(page.path)
    return Manifest(
        source="demo: the previous build",
        kind="json",
        paths=tuple(ManifestPath(p.path, tags=p.tags, revalidate=p.revalidate) for p in pages),
        tags=tuple(ManifestTag(tag, tuple(paths)) for tag, paths in by_tag.items()),
    )


def seed_previous_build(site: str, *, seed: int = 0, now: datetime | None = None) -> bool:
    """Save the previous build as ``site``'s snapshot unless it has one; True when saved.
    OSError propagates (the caller decides: the demo works without it)."""
    if snapshots(site):
        return False
    at = (now or datetime.now().astimezone()) - EARLIER
    return save_snapshot(site, previous_manifest(seed), at=at) is not None
