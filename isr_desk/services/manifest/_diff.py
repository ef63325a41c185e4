"""What changed between two manifests: pages and tags added, removed, renamed or changed.

A tag is *renamed* when a tag that is gone and a tag that is new tag exactly the same
(non-empty) set of pages. :meth:`ManifestDiff.targets` is what a refresh after the change
sends to a given site: the pages added or changed, and the tags added or renamed (by their new
name). A page whose only change is a renamed tag is refreshed by that tag, not sent again by
path — unless a tag would do nothing for it: a site that cannot revalidate tags (Pages Router
preset, a custom endpoint without a tag URL) or a Pages Router page (a tag never rebuilds
one) gets the page's path instead. Pages and tags that are gone are reported, not sent: the
new build no longer serves them (docs/patterns-and-diffs.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from isr_desk.domain import Manifest, ManifestPath, Router, SiteProfile, Target
from isr_desk.services.sites import supports_tags

Revalidate = int | float | bool | None


@dataclass(frozen=True, slots=True)
class PageChange:
    """A page in both manifests whose own tags or revalidate seconds differ."""

    path: str
    old_tags: tuple[str, ...]
    new_tags: tuple[str, ...]
    old_revalidate: Revalidate
    new_revalidate: Revalidate

    @property
    def seconds_changed(self) -> bool:
        # False (never) is not 0 seconds.
        old, new = self.old_revalidate, self.new_revalidate
        return old != new or isinstance(old, bool) != isinstance(new, bool)

    def only_renamed(self, renamed: dict[str, str]) -> bool:
        """Its tags differ only by ``renamed`` (old name -> new name), its seconds not at all."""
        moved = sorted(renamed.get(tag, tag) for tag in self.old_tags)
        return not self.seconds_changed and moved == sorted(self.new_tags)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "tags": {"old": list(self.old_tags), "new": list(self.new_tags)},
            "revalidate": {"old": self.old_revalidate, "new": self.new_revalidate},
        }


@dataclass(frozen=True, slots=True)
class ManifestDiff:
    pages_added: tuple[str, ...] = ()
    pages_removed: tuple[str, ...] = ()
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    tags_renamed: tuple[tuple[str, str], ...] = ()  # (old name, new name)
    pages_changed: tuple[PageChange, ...] = ()
    # How many pages each added, removed or renamed tag touches (a removed one: in the old).
    tag_pages: dict[str, int] = field(default_factory=dict, compare=False)
    # The pages (in the new manifest) of each added or renamed tag: sent by path where a tag
    # would do nothing; and the new manifest's Pages Router pages (a tag never rebuilds them).
    new_tag_paths: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    pages_router: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def empty(self) -> bool:
        return not (
            self.pages_added
            or self.pages_removed
            or self.tags_added
            or self.tags_removed
            or self.tags_renamed
            or self.pages_changed
        )

    def targets(self, profile: SiteProfile | None = None) -> list[Target]:
        """What a refresh sends to ``profile``'s site (None: a site that revalidates tags).

        A tag reaches its App Router pages only: where the site cannot revalidate tags, or
        for a Pages Router page, the tag's pages are sent by path instead.
        """
        can_tag = profile is None or supports_tags(profile)
        renamed = dict(self.tags_renamed)
        changed = [c.path for c in self.pages_changed if not c.only_renamed(renamed)]
        tags = [*self.tags_added, *(new for _, new in self.tags_renamed)]
        untagged = [
            page
            for tag in tags
            for page in self.new_tag_paths.get(tag, ())
            if not can_tag or page in self.pages_router
        ]
        paths = [*self.pages_added, *changed, *untagged]
        sent_tags = tags if can_tag else []
        return list(dict.fromkeys([*map(Target.path, paths), *map(Target.tag, sent_tags)]))

    def to_json(self, profile: SiteProfile | None = None) -> dict[str, Any]:
        return {
            "pages_added": list(self.pages_added),
            "pages_removed": list(self.pages_removed),
            "tags_added": list(self.tags_added),
            "tags_removed": list(self.tags_removed),
            "tags_renamed": [{"old": old, "new": new} for old, new in self.tags_renamed],
            "pages_changed": [c.to_json() for c in self.pages_changed],
            "targets": [str(t) for t in self.targets(profile)],
        }


def tag_pages(manifest: Manifest) -> dict[str, frozenset[str]]:
    """Each own (not implicit) tag and the pages it touches."""
    pages: dict[str, set[str]] = {t.tag: set(t.paths) for t in manifest.tags if not t.implicit}
    for page in manifest.paths:
        for tag in page.tags:
            pages.setdefault(tag, set()).add(page.path)
    return {tag: frozenset(paths) for tag, paths in pages.items()}


def diff_manifests(old: Manifest, new: Manifest) -> ManifestDiff:
    old_pages = {p.path: p for p in old.paths}
    new_pages = {p.path: p for p in new.paths}
    old_tags, new_tags = tag_pages(old), tag_pages(new)
    removed = sorted(set(old_tags) - set(new_tags))
    added = sorted(set(new_tags) - set(old_tags))
    renamed = _renames(removed, added, old_tags, new_tags)
    gone = {o for o, _ in renamed}
    came = {n for _, n in renamed}
    return ManifestDiff(
        pages_added=tuple(sorted(set(new_pages) - set(old_pages))),
        pages_removed=tuple(sorted(set(old_pages) - set(new_pages))),
        tags_added=tuple(t for t in added if t not in came),
        tags_removed=tuple(t for t in removed if t not in gone),
        tags_renamed=tuple(renamed),
        pages_changed=tuple(
            change
            for path in sorted(set(old_pages) & set(new_pages))
            if (change := _change(old_pages[path], new_pages[path])) is not None
        ),
        tag_pages={t: len(new_tags[t]) for t in added} | {t: len(old_tags[t]) for t in removed},
        new_tag_paths={t: tuple(sorted(new_tags[t])) for t in added},
        pages_router=frozenset(p.path for p in new.paths if p.router is Router.PAGES),
    )


def _renames(
    removed: list[str],
    added: list[str],
    old_tags: dict[str, frozenset[str]],
    new_tags: dict[str, frozenset[str]],
) -> list[tuple[str, str]]:
    """Pairs (old, new) tagging the same non-empty page set; one to one, in name order."""
    by_pages: dict[frozenset[str], list[str]] = {}
    for tag in added:
        if new_tags[tag]:
            by_pages.setdefault(new_tags[tag], []).append(tag)
    pairs = []
    for tag in removed:
        candidates = by_pages.get(old_tags[tag])
        if candidates:
            pairs.append((tag, candidates.pop(0)))
    return pairs


def _change(old: ManifestPath, new: ManifestPath) -> PageChange | None:
    change = PageChange(old.path, old.tags, new.tags, old.revalidate, new.revalidate)
    if sorted(old.tags) == sorted(new.tags) and not change.seconds_changed:
        return None
    return change
