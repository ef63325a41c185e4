"""Choose tags and paths by glob: ``category:*``, ``/blog/2019/**`` (docs/patterns-and-diffs.md).

``*`` matches within one path segment (no ``/``), ``**`` across segments, ``?`` one character
of a segment; everything else is literal. :func:`select` expands globs against a manifest and
says which pages the matching tags touch, so a count can be shown before anything is sent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from isr_desk.domain import Manifest, Target

_IMPLICIT = "_N_T_"


def is_glob(text: str) -> bool:
    """A filter or argument is a glob when it holds ``*`` or ``?``."""
    return "*" in text or "?" in text


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The regular expression matching exactly what ``pattern`` names (whole string)."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            # `/**` at the end also matches the directory itself: /blog/** matches /blog.
            parts.append(".*")
            i += 2
            while i < len(pattern) and pattern[i] == "*":
                i += 1
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    text = "".join(parts)
    if text.endswith("/.*"):
        text = text[:-3] + "(?:/.*)?"
    return re.compile(text, re.DOTALL)


def matches(pattern: str, text: str) -> bool:
    return compile_glob(pattern).fullmatch(text) is not None


def _any(patterns: Iterable[str], text: str) -> bool:
    return any(matches(p, text) for p in patterns)


@dataclass(frozen=True, slots=True)
class Selection:
    """What globs chose in a manifest: tags, paths, and the pages the tags touch."""

    tags: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    touched: tuple[str, ...] = ()  # pages a purge of the chosen tags touches

    def targets(self) -> list[Target]:
        return [*(Target.path(p) for p in self.paths), *(Target.tag(t) for t in self.tags)]

    def pages(self) -> tuple[str, ...]:
        """Every page the selection refreshes: the chosen paths and the tags' pages."""
        return tuple(sorted({*self.paths, *self.touched}))

    def summary(self) -> str:
        return (
            f"{len(self.tags)} tag(s) and {len(self.paths)} path(s) match; "
            f"{len(self.pages())} page(s) touched"
        )


def select(
    manifest: Manifest, *, tag_globs: Iterable[str] = (), path_globs: Iterable[str] = ()
) -> Selection:
    """The manifest's tags matching any of ``tag_globs`` and paths matching ``path_globs``.

    Next's implicit ``_N_T_`` tags are chosen only by a glob that names them (``_N_T_/**``).
    """
    tag_globs, path_globs = tuple(tag_globs), tuple(path_globs)
    tags: list[str] = []
    touched: set[str] = set()
    for tag in manifest.tags:
        globs = tag_globs if not tag.implicit else [g for g in tag_globs if g.startswith(_IMPLICIT)]
        if _any(globs, tag.tag):
            tags.append(tag.tag)
            touched.update(tag.paths)
    paths = [p.path for p in manifest.paths if _any(path_globs, p.path)]
    return Selection(tuple(tags), tuple(dict.fromkeys(paths)), tuple(sorted(touched)))
