"""Collects what a manifest loader finds and turns it into a :class:`~isr_desk.domain.Manifest`.

Every loader (Next.js build, ISR Desk JSON, sitemap, plain list) feeds one
:class:`ManifestBuilder`; the builder merges duplicates, splits Next's implicit ``_N_T_`` tags
from the site's own, builds the tag → paths map and words the warnings a user needs. Warnings
are grouped per kind with a few examples, so a 100,000-route build never yields 100,000 lines.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import attrgetter

from isr_desk.domain import (
    DynamicRoute,
    Manifest,
    ManifestPath,
    ManifestTag,
    Router,
    SiteConventions,
    redact_text,
)
from isr_desk.services.manifest._site import complete
from isr_desk.services.sites import MAX_PATH_LENGTH, MAX_TAG_LENGTH

IMPLICIT_TAG_PREFIX = "_N_T_"
MAX_TAGS_PER_ENTRY = 128  # Next.js keeps at most this many tags per cache entry
_SEP_IMPLICIT = "," + IMPLICIT_TAG_PREFIX
# Names starting with the prefix sort between it and this (the next code point after "_").
_AFTER_IMPLICIT = IMPLICIT_TAG_PREFIX[:-1] + chr(ord(IMPLICIT_TAG_PREFIX[-1]) + 1)
_EXAMPLES = 3
_SHOWN = 60  # characters of a path/tag quoted in a warning


@dataclass(slots=True)
class _Entry:
    pattern: str | None
    tags: list[str]
    implicit: list[str]
    revalidate: int | float | bool | None
    router: Router | None


# tag → the paths carrying it, in path order. A tag on a single page shares that page's
# one-element tuple (``(path,)``) with its other single-page tags; ``tuple()`` of it is itself.
Touched = dict[str, list[str] | tuple[str, ...]]


@dataclass(slots=True)
class _Issue:
    count: int = 0
    examples: list[str] = field(default_factory=list)


def shorten(text: str, limit: int = _SHOWN) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for quoting in a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_tags(tags: Iterable[str]) -> tuple[list[str], list[str]]:
    """(own tags, implicit ``_N_T_`` tags), each in first-seen order, without empties/repeats.

    Tags are kept verbatim (not stripped): a purge must send exactly what the site uses.
    """
    items = tags if isinstance(tags, list) else list(tags)
    implicit = [t for t in items if t.startswith(IMPLICIT_TAG_PREFIX)]
    own = [t for t in items if t and not t.startswith(IMPLICIT_TAG_PREFIX)]
    if len(set(own)) != len(own):
        own = list(dict.fromkeys(own))
    if len(set(implicit)) != len(implicit):
        implicit = list(dict.fromkeys(implicit))
    return own, implicit


def split_tag_header(value: str) -> tuple[list[str], list[str]]:
    """:func:`split_tags` of an ``x-next-cache-tags`` value (``"_N_T_/a,_N_T_/b,own"``)."""
    parts = split_tag_run(value)
    if parts is None:
        return split_tags(value.split(","))
    own, implicit = parts
    if len(set(own)) != len(own) or len(set(implicit)) != len(implicit):
        return split_tags(own + implicit)
    return own, implicit


def split_tag_run(value: str) -> tuple[list[str], list[str]] | None:
    """(own, implicit) of a header in Next's usual shape, which may still repeat a tag; else None.

    Next writes the implicit tags first: when they are one leading run and no tag is empty,
    two string splits do (this runs for each of 100,000 pages).
    """
    if not value.startswith(IMPLICIT_TAG_PREFIX):
        return None
    last = value.rfind(_SEP_IMPLICIT)
    end = value.find(",", last + 1 if last >= 0 else 0)
    head = value if end < 0 else value[:end]
    if head.count(",") != head.count(_SEP_IMPLICIT):
        return None
    own = value[end + 1 :].split(",") if end >= 0 else []
    if "" in own:
        return None
    return own, head.split(",")


class ManifestBuilder:
    """Accumulates paths, tags and routes of one source; :meth:`build` returns the Manifest."""

    def __init__(self, source: str, kind: str) -> None:
        self.source = source
        self.kind = kind
        self.base_path = ""
        self.locales: tuple[str, ...] = ()
        self.site: SiteConventions | None = None  # a Next.js build's conventions
        self.secrets: tuple[str, ...] = ()  # scrubbed from warnings (Next's preview keys)
        self._paths: dict[str, _Entry] = {}
        self._sorted: tuple[list[ManifestPath], Touched] | None = None  # see add_sorted
        self._tags: dict[str, set[str]] = {}  # declared tags → extra paths they touch
        self._routes: dict[str, DynamicRoute] = {}
        self._warnings: list[str] = []
        self._issues: dict[str, _Issue] = {}

    def __len__(self) -> int:
        return len(self._paths)

    # --- input ----------------------------------------------------------------------------
    def add_path(
        self,
        path: str,
        *,
        pattern: str | None = None,
        tags: Iterable[str] = (),
        revalidate: int | float | bool | None = None,
        router: Router | None = None,
    ) -> None:
        """Add one page; a repeated path is merged (tags united) and reported once."""
        if self._sorted is not None:
            self._spill()
        own, implicit = split_tags(tags) if tags else ([], [])
        entry = self._paths.get(path)
        if entry is None:
            self._paths[path] = _Entry(pattern, own, implicit, revalidate, router)
            return
        self.issue("duplicate-path", path)
        entry.tags.extend(t for t in own if t not in entry.tags)
        entry.implicit.extend(t for t in implicit if t not in entry.implicit)
        entry.pattern = entry.pattern or pattern
        entry.router = entry.router or router
        if entry.revalidate is None:
            entry.revalidate = revalidate

    def add_split(
        self,
        path: str,
        own: list[str],
        implicit: list[str],
        pattern: str | None,
        revalidate: int | float | bool | None,
        router: Router | None,
    ) -> None:
        """:meth:`add_path` with tags already split (by :func:`split_tag_header`)."""
        if self._sorted is not None:
            self._spill()
        if path in self._paths:
            self.add_path(
                path, pattern=pattern, tags=own + implicit, revalidate=revalidate, router=router
            )
        else:
            self._paths[path] = _Entry(pattern, own, implicit, revalidate, router)

    def add_sorted(self, paths: list[ManifestPath], touched: Touched) -> None:
        """Pages whose paths are unique and sorted (the keys of a prerender manifest), their
        tags split, deduplicated and canonical, with ``touched`` (tag → paths in path order).

        The fast path for a 100,000-page build: :meth:`build` has nothing left to merge or sort.
        """
        if self._paths or self._sorted is not None:
            self._add_pages(paths)
        else:
            self._sorted = (paths, touched)

    def _spill(self) -> None:
        """Turn the pages of :meth:`add_sorted` into ordinary entries (more pages follow)."""
        assert self._sorted is not None
        paths, _ = self._sorted
        self._sorted = None
        self._add_pages(paths)

    def _add_pages(self, paths: list[ManifestPath]) -> None:
        for page in paths:
            self.add_split(
                page.path,
                list(page.tags),
                list(page.implicit_tags),
                page.pattern,
                page.revalidate,
                page.router,
            )

    def add_tag(self, tag: str, *, paths: Iterable[str] = ()) -> None:
        """Declare a tag (with paths it touches beyond those whose entries list it)."""
        tag = tag.strip()
        if not tag:
            self.issue("empty-tag", "")
            return
        if tag in self._tags:
            self.issue("duplicate-tag", tag)
        self._tags.setdefault(tag, set()).update(paths)

    def add_route(self, route: DynamicRoute) -> None:
        self._routes.setdefault(route.pattern, route)

    def warn(self, message: str) -> None:
        """A warning in the builder's own words (shown as is)."""
        if message not in self._warnings:
            self._warnings.append(message)

    def issue(self, kind: str, example: str) -> None:
        """Count one occurrence of a grouped problem (worded in :meth:`build`)."""
        item = self._issues.setdefault(kind, _Issue())
        item.count += 1
        if len(item.examples) < _EXAMPLES and example not in item.examples:
            item.examples.append(example)

    # --- output ---------------------------------------------------------------------------
    def build(self) -> Manifest:
        if self._sorted is not None:
            paths, touched = self._sorted
            self._check_paths(paths)
        else:
            paths, touched = self._merged()
        return Manifest(
            source=self.source,
            kind=self.kind,
            paths=tuple(paths),
            tags=self._tag_list(touched),
            routes=tuple(self._routes[p] for p in sorted(self._routes)),
            warnings=tuple(
                redact_text(w, *self.secrets) for w in self._warnings + self._issue_messages()
            ),
            base_path=self.base_path,
            locales=self.locales,
            site=self._site(paths),
        )

    def _site(self, paths: list[ManifestPath]) -> SiteConventions | None:
        if self.site is None:
            return None
        routers = {r.router for r in self._routes.values()}
        routers.update(map(attrgetter("router"), paths))
        routers.discard(None)
        return complete(self.site, paths, routers)  # type: ignore[arg-type]

    def _merged(self) -> tuple[list[ManifestPath], Touched]:
        """The pages in path order and their tag map (the loaders' general path)."""
        # Written for 100,000 paths: local names, no per-path helper calls.
        paths: list[ManifestPath] = []
        add = paths.append
        touched: defaultdict[str, list[str]] = defaultdict(list)
        strings: dict[str, str] = {}
        canonical = strings.setdefault  # one string object per distinct tag
        entries = self._paths
        for path in sorted(entries):
            entry = entries[path]
            if not path.startswith("/"):
                self.issue("no-slash", path)
            elif len(path) > MAX_PATH_LENGTH:
                self.issue("long-path", path)
            own = tuple(map(canonical, entry.tags, entry.tags))
            implicit = tuple(map(canonical, entry.implicit, entry.implicit))
            if len(own) > MAX_TAGS_PER_ENTRY:
                self.issue("many-tags", f"{path} ({len(own)})")
            for tag in own:
                touched[tag].append(path)
            for tag in implicit:
                touched[tag].append(path)
            add(ManifestPath(path, entry.pattern, own, implicit, entry.revalidate, entry.router))
        return paths, dict(touched)

    def _check_paths(self, paths: list[ManifestPath]) -> None:
        """The per-path issues :meth:`_merged` reports, for pages from :meth:`add_sorted`."""
        limit, many = MAX_PATH_LENGTH, MAX_TAGS_PER_ENTRY
        odd = [p for p in paths if p.path[:1] != "/" or len(p.path) > limit or len(p.tags) > many]
        for page in odd:
            path = page.path
            if not path.startswith("/"):
                self.issue("no-slash", path)
            elif len(path) > limit:
                self.issue("long-path", path)
            if len(page.tags) > many:
                self.issue("many-tags", f"{path} ({len(page.tags)})")

    def _tag_list(self, touched: Touched) -> tuple[ManifestTag, ...]:
        for tag, extra in self._tags.items():
            if extra:
                known = set(touched.get(tag, ()))
                touched[tag] = sorted(known | extra)
            else:
                touched.setdefault(tag, [])
        names = sorted(touched)
        # The implicit names are one run of the sorted list: no per-name prefix test.
        start = bisect_left(names, IMPLICIT_TAG_PREFIX)
        stop = bisect_left(names, _AFTER_IMPLICIT, start)
        implicit = names[start:stop]
        own = names[:start] + names[stop:]
        del names
        if own and max(map(len, own)) > MAX_TAG_LENGTH:
            for tag in own:
                if len(tag) > MAX_TAG_LENGTH:
                    self.issue("long-tag", tag)
        # tuple() of a shared one-page tuple is that tuple: no copy per single-page tag.
        pages = touched.__getitem__
        return tuple(
            chain(
                map(ManifestTag, own, map(tuple, map(pages, own)), repeat(False)),
                map(ManifestTag, implicit, map(tuple, map(pages, implicit)), repeat(True)),
            )
        )

    def _issue_messages(self) -> list[str]:
        messages = []
        for kind, item in self._issues.items():
            examples = ", ".join(repr(shorten(e)) for e in item.examples)
            more = f" and {item.count - len(item.examples)} more" if item.count > _EXAMPLES else ""
            messages.append(_ISSUE_TEXT[kind].format(n=item.count, ex=examples + more))
        return messages


_ISSUE_TEXT = {
    "duplicate-path": "duplicate path entries, merged ({n}): {ex}",
    "duplicate-tag": "duplicate tag entries, merged ({n}): {ex}",
    "empty-tag": "empty tag names, skipped ({n})",
    "no-slash": "paths that do not start with '/', so revalidating them will fail ({n}): {ex}",
    "long-path": (
        f"paths longer than {MAX_PATH_LENGTH} characters, which revalidatePath refuses "
        "({n}): {ex}"
    ),
    "many-tags": (
        f"paths with more than {MAX_TAGS_PER_ENTRY} tags; Next.js keeps only the first "
        f"{MAX_TAGS_PER_ENTRY} ({{n}}): {{ex}}"
    ),
    "long-tag": (
        f"tags longer than {MAX_TAG_LENGTH} characters; Next.js ignores them ({{n}}): {{ex}}"
    ),
    "skipped-line": "entries that are neither a path nor an http(s) URL, skipped ({n}): {ex}",
    "query-dropped": "URLs with a query or fragment, which was dropped ({n}): {ex}",
    "other-host": "URLs on another host than the site's base URL ({n}): {ex}",
    "bad-meta": "unreadable .meta files, their tags skipped ({n}): {ex}",
}
