"""Which pages a run's verification fetches: every instance, tags through the manifest.

Pure functions over profiles, targets and results; :mod:`isr_desk.services.verify._verifier` does
the fetching.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from isr_desk.domain import Manifest, Result, SiteProfile, Target, TargetKind
from isr_desk.services.verify._judge import Verdict, Verification

PageKey = tuple[str | None, str]  # (instance, path); instance None on a one-base profile
TagPaths = Mapping[str, Sequence[str]] | Callable[[str], Sequence[str] | None]
MAX_PAGES_PER_TAG = 20


@dataclass(frozen=True, slots=True)
class PageCheck:
    """One page to check on one instance, and the target whose revalidation it verifies."""

    target: Target
    path: str
    instance: str | None
    url: str
    tag_purge: bool

    @property
    def key(self) -> PageKey:
        return (self.instance, self.path)


def plan(
    profile: SiteProfile,
    targets: Iterable[Target],
    *,
    tag_paths: TagPaths | None = None,
    max_per_tag: int = MAX_PAGES_PER_TAG,
) -> list[PageCheck]:
    """The pages a run touches, on every instance: each path target, and up to
    ``max_per_tag`` pages of each tag (from the manifest). Each page once; a path target
    wins over a tag. Snapshot these before the run with :func:`snapshot_all`."""
    pages = _pages(targets, tag_paths, max_per_tag)
    bases = profile.bases
    return [
        PageCheck(target, path, instance_of(base, bases), page_url(base, path), tag)
        for path, (target, tag) in pages.items()
        for base in bases
    ]


def stale_instances(verifications: Iterable[Verification]) -> dict[str, list[str]]:
    """Path → the instances that still serve the old copy (Unchanged or CDN still serving)."""
    stale: dict[str, list[str]] = {}
    for v in verifications:
        if v.instance is not None and v.verdict in (Verdict.UNCHANGED, Verdict.CDN_STALE):
            stale.setdefault(v.path, []).append(v.instance)
    return stale


def count_verdicts(verifications: Iterable[Verification]) -> Counter[Verdict]:
    return Counter(v.verdict for v in verifications)


def tag_paths_of(manifest: Manifest) -> dict[str, tuple[str, ...]]:
    """Tag → the pages it covers, from a manifest's tags and its pages' tags."""
    found: dict[str, dict[str, None]] = {}
    for tag in manifest.tags:
        found.setdefault(tag.tag, {}).update(dict.fromkeys(tag.paths))
    for page in manifest.paths:
        for name in (*page.tags, *page.implicit_tags):
            found.setdefault(name, {})[page.path] = None
    return {tag: tuple(paths) for tag, paths in found.items()}


def _pages(
    targets: Iterable[Target], tag_paths: TagPaths | None, max_per_tag: int
) -> dict[str, tuple[Target, bool]]:
    unique = list(dict.fromkeys(targets))
    pages = {t.value: (t, False) for t in unique if t.kind is TargetKind.PATH}
    for tag in (t for t in unique if t.kind is TargetKind.TAG):
        for path in list(_tag_pages(tag_paths, tag.value))[:max_per_tag]:
            pages.setdefault(path, (tag, True))
    return pages


def checks_after(
    profile: SiteProfile,
    results: list[Result],
    tag_paths: TagPaths | None,
    max_per_tag: int,
) -> tuple[list[PageCheck], list[Target]]:
    """The pages to verify (those whose revalidation succeeded), and unmapped tags."""
    ok: dict[str | None, list[Target]] = {}
    for result in results:
        if result.ok:
            ok.setdefault(result.instance, []).append(result.target)
    bases = profile.bases
    checks = [
        PageCheck(target, path, instance, page_url(instance or profile.base_url, path), tag)
        for instance, targets in ok.items()
        for path, (target, tag) in _pages(targets, tag_paths, max_per_tag).items()
    ]
    every = _pages((r.target for r in results), tag_paths, max_per_tag)
    order = {path: i for i, path in enumerate(every)}
    where = {instance_of(base, bases): i for i, base in enumerate(bases)}
    checks.sort(key=lambda c: (order.get(c.path, len(order)), where.get(c.instance, 0)))
    tags = dict.fromkeys(t for targets in ok.values() for t in targets if t.kind is TargetKind.TAG)
    unmapped = [t for t in tags if not _tag_pages(tag_paths, t.value)]
    return checks, unmapped


def _tag_pages(tag_paths: TagPaths | None, tag: str) -> Sequence[str]:
    if tag_paths is None:
        return ()
    if isinstance(tag_paths, Mapping):
        return tag_paths.get(tag, ())
    return tag_paths(tag) or ()


def instance_of(base: str, bases: Sequence[str]) -> str | None:
    return base if len(bases) > 1 else None


def page_url(base: str, path: str) -> str:
    return base.rstrip("/") + (path if path.startswith("/") else "/" + path)
