"""Turning what a user typed or pasted into targets, and a path into each API's form.

One line per target: a path (``/blog/a``), a full URL of the site (its path is used), or
``tag:NAME`` for a cache tag. Blank lines and ``#`` comments are skipped. Limits come from
Next.js (docs/nextjs.md): a tag at most 256 characters, a path at most 1024. Given the site
(``site=profile``), a full URL that is not on one of its origins (scheme, host and port of
its address or an instance) is refused — the one rule of the window and the CLI alike; a
query or fragment is dropped with a note (a revalidation names a page, never a query;
docs/conventions.md). :func:`same_pages` sends a page once when it was given in two forms
that the site's conventions make one (``/about`` and ``/about/``).

:func:`api_path` and :func:`public_path` turn a target path into what the site's
revalidation route needs (no base path; a trailing slash with ``trailingSlash``;
non-ASCII percent-encoded) and into the address a visitor fetches (base path and slash).
The base path is stripped once, wherever the path came from (typed, pasted, a sitemap).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from isr_desk.domain import SiteProfile, Target, TargetKind
from isr_desk.services.errors import IsrError

_PATTERN = re.compile(r"\[[^/\]]+\]")

MAX_TAG_LENGTH = 256  # Next.js ignores longer tags
MAX_PATH_LENGTH = 1024  # revalidatePath refuses longer paths


class TargetError(IsrError):
    """A line is not a usable path or tag."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """Targets in input order without duplicates, the lines refused, and notes (a dropped
    query, ...) on lines that were accepted."""

    targets: tuple[Target, ...]
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()


def site_hosts(*urls: str | None) -> frozenset[str]:
    """The host names (lowercase) of ``urls``: what a pasted full URL may point at."""
    hosts = set()
    for url in urls:
        if url and url.startswith(("http://", "https://")):
            try:
                host = urlsplit(url).hostname
            except ValueError:
                continue
            if host:
                hosts.add(host.lower())
    return frozenset(hosts)


def parse_target(text: str, *, as_tag: bool = False, site: SiteProfile | None = None) -> Target:
    """One target from one line; raises :class:`TargetError` with a plain reason.

    With ``site``, a full URL not on the site is refused: sending its path to this one would
    refresh the wrong page.
    """
    return parse_target_noted(text, as_tag=as_tag, site=site)[0]


def parse_target_noted(
    text: str, *, as_tag: bool = False, site: SiteProfile | None = None
) -> tuple[Target, str | None]:
    """:func:`parse_target`, and a note on what was changed (a dropped query), or None."""
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
        return Target.tag(line), None
    original, note = line, None
    if line.lower().startswith(("http://", "https://")):
        try:
            parts = urlsplit(line)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:  # "http://[x": a broken IPv6 literal
            raise TargetError(f"{line!r} is not a valid URL ({exc})") from None
        if site is not None:
            _check_origin(line, parts.scheme, parts.netloc, site)
        line, dropped = parts.path or "/", bool(parts.query or parts.fragment)
    else:
        head = line.partition("#")[0].partition("?")[0]
        line, dropped = head or "/", head != line
    if dropped:
        note = (
            f"{_short(original)}: its query and fragment were dropped (a revalidation names a page)"
        )
    if not line.startswith("/"):
        if any(ch.isspace() for ch in line):  # words, not an address: no "/" is added
            raise TargetError(
                f"{line!r} is not a page address",
                hint="A page address starts with / and has no spaces, like /blog/hello-world",
            )
        line = "/" + line
    if any(ch.isspace() for ch in line):
        raise TargetError(f"Path {line!r} contains spaces", hint="Encode them as %20")
    if len(line) > MAX_PATH_LENGTH:
        raise TargetError(
            f"Path {line[:40]}… is {len(line)} characters long",
            hint=f"Next.js refuses paths over {MAX_PATH_LENGTH} characters",
        )
    return Target.path(line), note


def _check_origin(url: str, scheme: str, netloc: str, site: SiteProfile) -> None:
    """Refuse a URL that is not on the site (its base URL or one of its instances)."""
    origins = {_origin(base) for base in (site.base_url, *site.instances)}
    if f"{scheme.lower()}://{netloc.lower()}" not in origins:
        known = ", ".join(sorted(origins))
        raise TargetError(
            f"{_short(url)} is not on this site ({known})",
            hint=f"Paste an address of {site.name}, or its path only (such as /blog/a)",
        )


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the form each API needs -----------------------------------------------------------------


def is_pattern(path: str) -> bool:
    """True for a dynamic route pattern such as ``/[lang]/blog/[slug]``."""
    return "[" in path and _PATTERN.search(path) is not None


def site_path(value: str, *, base_path: str = "") -> str:
    """The page's path as the site's routes know it: no query, no base path (stripped once),
    no trailing slash (``/`` stays ``/``)."""
    path = value.partition("?")[0].partition("#")[0] or "/"
    if base_path and (path == base_path or path.startswith(base_path + "/")):
        path = path[len(base_path) :] or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def api_path(
    value: str, *, base_path: str = "", trailing_slash: bool = False, encode: bool = True
) -> str:
    """What ``revalidatePath`` / ``res.revalidate`` need for ``value`` (a pattern stays as is)."""
    path = site_path(value, base_path=base_path)
    if is_pattern(path):
        return path
    if encode:
        path = encode_non_ascii(path)
    return with_slash(path) if trailing_slash else path


def encode_non_ascii(text: str) -> str:
    """``text`` with each non-ASCII character percent-encoded as UTF-8 (``/café`` →
    ``/caf%C3%A9``), as a browser requests it; ASCII, ``%`` escapes included, stays."""
    if text.isascii():
        return text
    return "".join(ch if ch.isascii() else quote(ch, safe="") for ch in text)


def static_prefix(path: str) -> str:
    """The part of a route pattern before its first dynamic segment (``/blog/[slug]`` →
    ``/blog``; ``/[lang]/blog`` → ``/``); a path that is no pattern stays as it is."""
    if not is_pattern(path):
        return path
    kept: list[str] = []
    for segment in path.split("/")[1:]:
        if "[" in segment:
            break
        kept.append(segment)
    return "/" + "/".join(kept)


def public_path(value: str, *, base_path: str = "", trailing_slash: bool = False) -> str:
    """The path a visitor fetches: base path, page path, trailing slash with ``trailingSlash``."""
    path = site_path(value, base_path=base_path)
    if path == "/":
        return base_path + "/" if trailing_slash or not base_path else base_path
    return base_path + (with_slash(path) if trailing_slash else path)


def with_slash(path: str) -> str:
    """``path`` with Next's ``trailingSlash`` (a last segment with a file extension has none)."""
    last = path.rsplit("/", 1)[-1]
    if path.endswith("/") or "." in last:
        return path
    return path + "/"


def profile_api_path(profile: SiteProfile, value: str) -> str:
    return api_path(
        value,
        base_path=profile.base_path,
        trailing_slash=profile.trailing_slash,
        encode=profile.encode_paths,
    )


def visitor_url(profile: SiteProfile, base: str, value: str) -> str:
    """:func:`profile_page_url` as a visitor's browser requests it (and a CDN keys its copy):
    non-ASCII percent-encoded whatever the site's ``encode_paths`` (which is about what its
    revalidation route takes, not what browsers send)."""
    return encode_non_ascii(profile_page_url(profile, base, value))


def profile_page_url(profile: SiteProfile, base: str, value: str) -> str:
    """The public URL of ``value`` on ``base`` (which may or may not end with the base path)."""
    root = base.rstrip("/")
    base_path = profile.base_path
    if base_path and root.endswith(base_path):
        root = root[: -len(base_path)]
    path = public_path(value, base_path=base_path, trailing_slash=profile.trailing_slash)
    return root + path


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_targets(
    lines: Iterable[str] | str, *, as_tags: bool = False, site: SiteProfile | None = None
) -> Parsed:
    """Every target in ``lines`` (a string is split on newlines); duplicates dropped."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    seen: dict[Target, None] = {}
    problems: list[str] = []
    notes: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            target, note = parse_target_noted(line, as_tag=as_tags, site=site)
        except TargetError as exc:
            problems.append(f"line {number}: {exc.describe()}")
            continue
        seen.setdefault(target, None)
        if note is not None:
            notes.append(f"line {number}: {note}")
    return Parsed(tuple(seen), tuple(problems), tuple(notes))


def same_pages(
    targets: Iterable[Target], site: SiteProfile | None = None
) -> tuple[list[Target], str | None]:
    """``targets`` with each page once, and a note when some were merged (None: none were).

    Two paths are the same page when the site's route gets the same path for both (base path
    stripped, ``trailingSlash``, percent-encoding: :func:`profile_api_path`); the first form
    given is kept. Exact repeats are dropped without a note.
    """
    kept: dict[tuple[TargetKind, str], Target] = {}
    forms: dict[tuple[TargetKind, str], set[Target]] = {}
    for target in targets:
        key = (target.kind, _page_key(target, site))
        kept.setdefault(key, target)
        forms.setdefault(key, set()).add(target)
    merged = [len(f) for f in forms.values() if len(f) > 1]
    if not merged:
        return list(kept.values()), None
    if len(merged) == 1:
        return list(kept.values()), f"{merged[0]} targets were the same page; sent once"
    return list(kept.values()), (
        f"{sum(merged)} targets were {len(merged)} pages; each page sent once"
    )


_ESCAPE = re.compile("%[0-9a-fA-F]{2}")


def _page_key(target: Target, site: SiteProfile | None) -> str:
    if target.kind is not TargetKind.PATH:
        return target.value
    path = profile_api_path(site, target.value) if site is not None else api_path(target.value)
    return _ESCAPE.sub(lambda m: m.group(0).upper(), path)  # %c3 and %C3 are one byte
