"""What changed since a site's last saved list of pages, in words an editor reads.

:func:`changes_since_last` compares a freshly loaded manifest with the site's newest snapshot
that differs from it (the list before the last deploy), keeps a snapshot of the new one, and
returns :class:`SinceLast`: the diff, when that earlier list was saved, a one-line summary
("Since the list of pages saved on 1 Dec 14:02: 3 tags renamed, 12 pages changed") and the
sections a view lists (docs/patterns-and-diffs.md). Qt-free: the window only shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from isr_desk.domain import Manifest, SiteProfile, Target, human_duration, plural
from isr_desk.services.manifest._diff import ManifestDiff, PageChange, diff_manifests
from isr_desk.services.manifest._snapshots import (
    Content,
    previous_snapshot_file,
    save_snapshot,
    snapshot_time,
    snapshots,
    when_text,
)

MAX_ROWS = 500  # per section: a first deploy can add 100,000 pages


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a section: what changed, and a detail (page count, old → new)."""

    text: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    count: int
    rows: tuple[Row, ...]

    @property
    def more(self) -> int:
        """Rows not listed (the section is cut at :data:`MAX_ROWS`)."""
        return self.count - len(self.rows)


@dataclass(frozen=True, slots=True)
class SinceLast:
    """The loaded list against the site's list before it.

    ``since`` is when the compared list was saved (None: no earlier list at all); ``diff`` is
    None when every saved list equals this one (nothing changed since ``since``).
    """

    diff: ManifestDiff | None
    since: datetime | None

    @property
    def first(self) -> bool:
        return self.since is None

    def targets(self, profile: SiteProfile | None = None) -> list[Target]:
        """What a refresh sends to ``profile``'s site (:meth:`ManifestDiff.targets`)."""
        return self.diff.targets(profile) if self.diff is not None else []

    def counts(self) -> list[str]:
        """``["3 tags renamed", "12 pages changed"]``: each kind of change with its count."""
        return change_counts(self.diff) if self.diff is not None else []

    def summary(self) -> str:
        if self.since is None:
            return "No earlier list saved yet — the next load will be compared with this one."
        if self.diff is None:
            return f"Nothing changed since the list of pages saved on {when_text(self.since)}."
        return summary_line(self.diff, self.since)

    def sections(self) -> list[Section]:
        diff = self.diff
        if diff is None:
            return []
        count = diff.tag_pages
        names = dict(diff.tags_renamed)
        renamed = [Row(f"{o} → {n}", _pages(count.get(n, 0))) for o, n in diff.tags_renamed]
        parts = [
            ("Tags renamed", renamed),
            ("Pages added", [Row(p, "new page") for p in diff.pages_added]),
            ("Pages removed", [Row(p, "no longer in the list") for p in diff.pages_removed]),
            ("Tags added", [Row(t, _pages(count.get(t, 0))) for t in diff.tags_added]),
            ("Tags removed", [Row(t, _pages(count.get(t, 0))) for t in diff.tags_removed]),
            ("Pages changed", [Row(c.path, change_text(c, names)) for c in diff.pages_changed]),
        ]
        return [Section(title, len(rows), tuple(rows[:MAX_ROWS])) for title, rows in parts if rows]


def change_counts(diff: ManifestDiff) -> list[str]:
    """``["3 tags renamed", "12 pages changed"]``: each kind of change with its count."""
    kinds = (
        (len(diff.tags_renamed), "tag", "renamed"),
        (len(diff.pages_added), "page", "added"),
        (len(diff.pages_removed), "page", "removed"),
        (len(diff.tags_added), "tag", "added"),
        (len(diff.tags_removed), "tag", "removed"),
        (len(diff.pages_changed), "page", "changed"),
    )
    return [f"{plural(n, what)} {verb}" for n, what, verb in kinds if n]


def summary_line(diff: ManifestDiff, since: datetime | None = None) -> str:
    """The one-line summary both faces start with (the "What changed" window, ``manifest
    diff``): "Since the list of pages saved on 1 Dec 14:02: 3 tags renamed, 12 pages
    changed." — without ``since`` (two given lists) "Changes: …"."""
    counts = ", ".join(change_counts(diff))
    if since is None:
        return f"Changes: {counts}." if counts else "Nothing changed."
    when = when_text(since)
    if not counts:
        return f"Nothing changed since the list of pages saved on {when}."
    return f"Since the list of pages saved on {when}: {counts}."


def _pages(count: int) -> str:
    return plural(count, "page")


def change_text(change: PageChange, renamed: dict[str, str] | None = None) -> str:
    """``tags posts, post:a → posts, cat:a · refresh every 1 hour → every 5 minutes``; a page
    whose only change is a renamed tag says so (that tag refreshes it)."""
    if renamed and change.only_renamed(renamed):
        pairs = [f"{t} → {renamed[t]}" for t in change.old_tags if t in renamed]
        return f"tag renamed {', '.join(pairs)} (refreshed with the tag)"
    parts = []
    if sorted(change.old_tags) != sorted(change.new_tags):
        old = ", ".join(change.old_tags) or "none"
        parts.append(f"tags {old} → {', '.join(change.new_tags) or 'none'}")
    if change.seconds_changed or not parts:
        old_s = _every(change.old_revalidate)
        parts.append(f"refresh {old_s} → {_every(change.new_revalidate)}")
    return " · ".join(parts)


def _every(value: int | float | bool | None) -> str:
    words = human_duration(value)
    if not words:
        return "not set"
    return words if words == "never" else f"every {words}"


def last_differing(site: str, manifest: Manifest) -> tuple[Manifest, datetime | None] | None:
    """The site's newest saved list that differs from ``manifest``, and when it was saved
    (None: every saved list equals it, or none is readable)."""
    found = previous_snapshot_file(site, Content(manifest))
    return (found[0], snapshot_time(found[1])) if found else None


def changes_since_last(site: str, manifest: Manifest) -> SinceLast:
    """Compare ``manifest`` with the site's list before it, then keep a snapshot of it.

    OSError (the snapshot folder) and ManifestError propagate: callers show no comparison.
    """
    saved = snapshots(site)
    content = Content(manifest)
    before = previous_snapshot_file(site, content)
    save_snapshot(site, manifest, content=content)
    if before is None:
        since = snapshot_time(saved[0]) if saved else None
        return SinceLast(None, since)
    old, path = before
    return SinceLast(diff_manifests(old, manifest), snapshot_time(path))
