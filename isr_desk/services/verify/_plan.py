"""Which pages a run's verification fetches: every instance, tags through the manifest.

Pure functions over profiles, targets and results; :mod:`isr_desk.services.verify._verifier` does
the fetching.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from isr_desk.domain import Manifest, Preset, Result, Router, SiteProfile, Target, TargetKind
from isr_desk.services.sites import is_pattern, profile_api_path, profile_page_url, site_path
from isr_desk.services.verify._judge import Verdict, Verification

PageKey = tuple[str | None, str]  # (instance, path); instance None on a one-base profile
TagPaths = Mapping[str, Sequence[str]] | Callable[[str], Sequence[str] | None]
MAX_PAGES_PER_TAG = 20
# Pages Router pages in a tag_paths_of() map: a name Next never gives a tag (a space after
# the implicit prefix), so verify can tell which pages revalidatePath cannot rebuild.
PAGES_ROUTER_KEY = "_N_T_ pages-router"


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
    pages = _pages(targets, tag_paths, max_per_tag, profile)
    bases = profile.bases
    return [
        PageCheck(target, path, instance_of(base, bases), page_url(base, path, profile), tag)
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
    """Tag → the pages it covers, from a manifest's tags and its pages' tags. A route
    pattern's pages are under its page tag (``_N_T_/blog/[slug]/page``), as Next names it."""
    found: dict[str, dict[str, None]] = {}
    for tag in manifest.tags:
        found.setdefault(tag.tag, {}).update(dict.fromkeys(tag.paths))
    for page in manifest.paths:
        for name in (*page.tags, *page.implicit_tags):
            found.setdefault(name, {})[page.path] = None
        if page.pattern:
            found.setdefault(pattern_key(page.pattern), {})[page.path] = None
        if page.router is Router.PAGES:
            found.setdefault(PAGES_ROUTER_KEY, {})[page.path] = None
    return {tag: tuple(paths) for tag, paths in found.items()}


def pattern_key(pattern: str) -> str:
    """The tag under which a route pattern's pages are found (Next's implicit page tag)."""
    return f"_N_T_{pattern.rstrip('/')}/page"


def _pages(
    targets: Iterable[Target],
    tag_paths: TagPaths | None,
    max_per_tag: int,
    profile: SiteProfile | None = None,
) -> dict[str, tuple[Target, bool]]:
    unique = list(dict.fromkeys(targets))
    pages = {
        t.value: (t, False) for t in unique if t.kind is TargetKind.PATH and not is_pattern(t.value)
    }
    for target in unique:
        for path in list(_covered(target, tag_paths, profile))[:max_per_tag]:
            pages.setdefault(path, (target, target.kind is TargetKind.TAG))
    return pages


def _covered(
    target: Target, tag_paths: TagPaths | None, profile: SiteProfile | None
) -> Sequence[str]:
    """The manifest pages a tag or a route pattern covers (nothing for a plain path)."""
    if target.kind is TargetKind.TAG:
        return _tag_pages(tag_paths, target.value)
    if not is_pattern(target.value):
        return ()
    base_path = profile.base_path if profile is not None else ""
    return _tag_pages(tag_paths, pattern_key(site_path(target.value, base_path=base_path)))


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
        PageCheck(
            target, path, instance, page_url(instance or profile.base_url, path, profile), tag
        )
        for instance, targets in ok.items()
        for path, (target, tag) in _pages(targets, tag_paths, max_per_tag, profile).items()
    ]
    every = _pages((r.target for r in results), tag_paths, max_per_tag, profile)
    order = {path: i for i, path in enumerate(every)}
    where = {instance_of(base, bases): i for i, base in enumerate(bases)}
    checks.sort(key=lambda c: (order.get(c.path, len(order)), where.get(c.instance, 0)))
    wide = dict.fromkeys(
        t
        for targets in ok.values()
        for t in targets
        if t.kind is TargetKind.TAG or is_pattern(t.value)
    )
    unmapped = [t for t in wide if not _covered(t, tag_paths, profile)]
    return checks, unmapped


def _tag_pages(tag_paths: TagPaths | None, tag: str) -> Sequence[str]:
    if tag_paths is None:
        return ()
    if isinstance(tag_paths, Mapping):
        return tag_paths.get(tag, ())
    return tag_paths(tag) or ()


def instance_of(base: str, bases: Sequence[str]) -> str | None:
    return base if len(bases) > 1 else None


def page_url(base: str, path: str, profile: SiteProfile | None = None) -> str:
    """The address a visitor fetches: with the base path (once) and the trailing slash."""
    path = path if path.startswith("/") else "/" + path
    if profile is None:
        return base.rstrip("/") + path
    return profile_page_url(profile, base, path)


def explain(
    profile: SiteProfile, check: PageCheck, verdict: Verdict, tag_paths: TagPaths | None = None
) -> str:
    """The likely cause of an Unchanged or failed page, in the site's own conventions."""
    if check.target.kind is not TargetKind.PATH or is_pattern(check.target.value):
        return ""
    pages_page = verdict is Verdict.UNCHANGED and check.path in _tag_pages(
        tag_paths, PAGES_ROUTER_KEY
    )
    if pages_page and profile.endpoint.preset is not Preset.PAGES_ROUTER:
        return (
            "This is a Pages Router page: revalidatePath and revalidateTag do not rebuild it. "
            "Send it to a route that calls res.revalidate (the pages-router preset)."
        )
    if verdict is Verdict.FAILED:
        if profile.base_path and check.url.count(profile.base_path + "/") > 1:
            return f"The address has the base path {profile.base_path} twice."
        if not profile.base_path:
            return (
                "If the site has a basePath, set it: isr-desk site edit "
                f"{profile.name} --base-path /BASE (the manifest command shows it)."
            )
        return ""
    if verdict is not Verdict.UNCHANGED:
        return ""
    sent = profile_api_path(profile, check.target.value)
    parts = [f"base path {profile.base_path} left out" if profile.base_path else "no base path"]
    parts.append("with a trailing slash" if profile.trailing_slash else "no trailing slash")
    if not check.target.value.isascii():
        parts.append("non-ASCII percent-encoded" if profile.encode_paths else "non-ASCII as typed")
    return (
        f"ISR Desk sent {sent!r} ({', '.join(parts)}); revalidatePath does nothing unless that "
        "is exactly the page's cache key — compare with the SENT AS column of "
        f"`isr-desk manifest {profile.name}`. A Pages Router page needs a route that calls "
        "res.revalidate (pages-router preset)."
    )
