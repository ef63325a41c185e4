"""Turning what a user typed or pasted into targets.

One line per target: a path (``/blog/a``), a full URL of the site (its path is used), or
``tag:NAME`` for a cache tag. Blank lines and ``#`` comments are skipped. Limits come from
Next.js (docs/nextjs.md): a tag at most 256 characters, a path at most 1024.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from isr_desk.domain import Target
from isr_desk.services.errors import IsrError

MAX_TAG_LENGTH = 256  # Next.js ignores longer tags
MAX_PATH_LENGTH = 1024  # revalidatePath refuses longer paths


class TargetError(IsrError):
    """A line is not a usable path or tag."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """Targets in input order without duplicates, and the lines that were refused."""

    targets: tuple[Target, ...]
    problems: tuple[str, ...]


def parse_target(text: str, *, as_tag: bool = False) -> Target:
    """One target from one line; raises :class:`TargetError` with a plain reason."""
    line = text.strip()
    if line.lower().startswith("tag:"):
        as_tag, line = True, line[4:].strip()
    if not line:
        raise TargetError("Empty target", hint="Type a path such as /blog/hello or tag:posts")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in line):
        raise TargetError(f"{line!r} contains control characters")
    if not _is_utf8(line):  # lone surrogates: bytes from a non-UTF-8 terminal or file
        raise TargetError(
            f"{line.encode('utf-8', 'replace').decode()!r} is not UTF-8 text",
            hint="Retype it in a UTF-8 terminal or save the list as UTF-8",
        )
    if as_tag:
        if len(line) > MAX_TAG_LENGTH:
            raise TargetError(
                f"Tag {line[:40]}… is {len(line)} characters long",
                hint=f"Next.js ignores tags over {MAX_TAG_LENGTH} characters",
            )
        return Target.tag(line)
    if line.startswith(("http://", "https://")):
        try:
            parts = urlsplit(line)
        except ValueError as exc:  # "http://[x": a broken IPv6 literal
            raise TargetError(f"{line!r} is not a valid URL ({exc})") from None
        line = parts.path or "/"
        if parts.query:
            line += "?" + parts.query
    if not line.startswith("/"):
        line = "/" + line
    if any(ch.isspace() for ch in line):
        raise TargetError(f"Path {line!r} contains spaces", hint="Encode them as %20")
    if len(line) > MAX_PATH_LENGTH:
        raise TargetError(
            f"Path {line[:40]}… is {len(line)} characters long",
            hint=f"Next.js refuses paths over {MAX_PATH_LENGTH} characters",
        )
    return Target.path(line)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_targets(lines: Iterable[str] | str, *, as_tags: bool = False) -> Parsed:
    """Every target in ``lines`` (a string is split on newlines); duplicates dropped."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    seen: dict[Target, None] = {}
    problems: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            seen.setdefault(parse_target(line, as_tag=as_tags), None)
        except TargetError as exc:
            problems.append(f"line {number}: {exc.describe()}")
    return Parsed(tuple(seen), tuple(problems))
