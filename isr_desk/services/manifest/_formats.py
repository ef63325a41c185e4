"""Parsers of the simple manifest formats: ISR Desk JSON, sitemap XML and plain lists.

Each takes the raw bytes (already size-capped by :mod:`manifest_io`) and feeds a
:class:`~isr_desk.services.manifest._builder.ManifestBuilder`; bad input raises a
:class:`~isr_desk.services.errors.ManifestError` naming the source. Error messages never quote
the input, so nothing secret that a file happens to hold ends up in a message.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import urlsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as xml_fromstring

from isr_desk.domain import DynamicRoute, Router
from isr_desk.services.errors import ManifestError
from isr_desk.services.manifest._builder import ManifestBuilder
from isr_desk.services.sites import MAX_PATH_LENGTH, MAX_TAG_LENGTH

JSON_VERSION = 1
_COMMENT = re.compile(r"\s#")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")
_HTML_HINT = "the URL serves a web page (an error or login page?): check the manifest source"


# --- sniffing and decoding -----------------------------------------------------------------


def _head(data: bytes) -> bytes:
    return data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()


def is_html(data: bytes) -> bool:
    head = _head(data)
    return head.startswith(b"<") and any(marker in head for marker in _HTML_MARKERS)


def sniff(data: bytes) -> str:
    """``"json"``, ``"sitemap"`` (XML), ``"html"`` or ``"list"`` from the first bytes."""
    head = _head(data)
    if head[:1] in (b"{", b"["):
        return "json"
    if head.startswith(b"<"):
        return "html" if is_html(data) else "sitemap"
    return "list"


def html_error(source: str, expected: str) -> ManifestError:
    return ManifestError(f"{source}: is an HTML page, not {expected}", hint=_HTML_HINT)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def decode_json(data: bytes, source: str) -> Any:
    """Parse JSON bytes; say "truncated" when the document stops early."""
    if is_html(data):
        raise html_error(source, "JSON")
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(exc.doc.rstrip()):
            raise ManifestError(
                f"{source}: the JSON ends too early (truncated file or download)",
                hint="rebuild or download the manifest again",
            ) from None
        raise ManifestError(
            f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
            hint="the source must be an ISR Desk JSON manifest, a sitemap, a list or a build",
        ) from None
    except UnicodeDecodeError:
        raise ManifestError(f"{source}: not UTF-8 text") from None
    except RecursionError:
        raise ManifestError(f"{source}: the JSON is nested too deeply") from None
    except ValueError as exc:  # NaN/Infinity, over-long integers
        raise ManifestError(f"{source}: unsupported JSON value ({exc})") from None


def decode_text(data: bytes, source: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ManifestError(
            f"{source}: not UTF-8 text", hint="a plain list must be a UTF-8 text file"
        ) from None
    if _CONTROL.search(text):
        raise ManifestError(
            f"{source}: contains control characters, so it is not a text list",
            hint="a plain list has one path or tag:NAME per line",
        )
    return text


# --- ISR Desk JSON ---------------------------------------------------------------------------


def load_json_manifest(obj: Any, builder: ManifestBuilder) -> None:
    """The ISR Desk format (docs/manifest-format.md); extra fields are ignored."""
    src = builder.source
    if isinstance(obj, list):  # a bare list of paths is accepted too
        obj = {"paths": obj}
    if not isinstance(obj, dict):
        raise _shape(src, 'expected a JSON object with a "paths" list')
    if "paths" not in obj and "tags" not in obj:
        raise _shape(src, 'no "paths" or "tags" list')
    version = obj.get("version", JSON_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _shape(src, '"version" must be a positive integer')
    if version > JSON_VERSION:
        builder.warn(
            f"manifest version {version} is newer than this ISR Desk reads "
            f"({JSON_VERSION}); fields it does not know are ignored"
        )
    for i, item in enumerate(_list(obj, "paths", src)):
        _json_path(item, f"paths[{i}]", builder)
    for i, item in enumerate(_list(obj, "tags", src)):
        _json_tag(item, f"tags[{i}]", builder)
    for i, item in enumerate(_list(obj, "routes", src)):
        _json_route(item, f"routes[{i}]", builder)


def _shape(source: str, problem: str) -> ManifestError:
    return ManifestError(
        f"{source}: not an ISR Desk manifest: {problem}",
        hint='expected {"version": 1, "paths": [{"path": "/a", "tags": ["posts"]}]}',
    )


def _list(obj: dict[str, Any], key: str, source: str) -> list[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise _shape(source, f'"{key}" must be a list')
    return value


def _str(item: dict[str, Any], key: str, where: str, source: str) -> str | None:
    value = item.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _shape(source, f'{where}: "{key}" must be a string')


def _strings(item: dict[str, Any], key: str, where: str, source: str) -> list[str]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _shape(source, f'{where}: "{key}" must be a list of strings')
    return value


def _router(value: Any, where: str, source: str) -> Router | None:
    if value is None:
        return None
    if value in ("app", "pages"):
        return Router(value)
    raise _shape(source, f'{where}: "router" must be "app" or "pages"')


def _revalidate(value: Any, where: str, source: str) -> int | float | bool | None:
    if value is None or value is False:
        return None if value is None else False
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < math.inf:
        return value
    raise _shape(source, f'{where}: "revalidate" must be seconds (>= 0), false or null')


def _json_path(item: Any, where: str, builder: ManifestBuilder) -> None:
    src = builder.source
    if isinstance(item, str):
        if _usable(item, builder):
            builder.add_path(item)
        return
    if not isinstance(item, dict):
        raise _shape(src, f'{where}: expected a path string or an object with "path"')
    path = _str(item, "path", where, src)
    if path is None:
        raise _shape(src, f'{where}: "path" is missing')
    if not _usable(path, builder):
        return
    tags = _strings(item, "tags", where, src)
    builder.add_path(
        path,
        pattern=_str(item, "pattern", where, src),
        tags=[t for t in tags if _usable(t, builder, tag=True)],
        revalidate=_revalidate(item.get("revalidate"), where, src),
        router=_router(item.get("router"), where, src),
    )


def _json_tag(item: Any, where: str, builder: ManifestBuilder) -> None:
    src = builder.source
    if isinstance(item, str):
        if _usable(item, builder, tag=True):
            builder.add_tag(item)
        return
    if not isinstance(item, dict):
        raise _shape(src, f'{where}: expected a tag string or an object with "tag"')
    tag = _str(item, "tag", where, src)
    if tag is None:
        raise _shape(src, f'{where}: "tag" is missing')
    if _usable(tag, builder, tag=True):
        paths = _strings(item, "paths", where, src)
        builder.add_tag(tag, paths=[p for p in paths if _usable(p, builder)])


def _usable(text: str, builder: ManifestBuilder, *, tag: bool = False) -> bool:
    """A JSON entry with control or bidi characters is skipped (and counted), as a typed
    target with them is refused; other oddities (no leading slash) are only warned about."""
    if not text or valid_entry(text.strip() if tag else text, tag=tag) or not _odd(text):
        return True
    builder.issue("skipped-line", text)
    return False


def _odd(text: str) -> bool:
    return bool(_CONTROL.search(text) or _C1.search(text) or _BIDI.search(text)) or any(
        ch in text for ch in "\r\n\t"
    )


def _json_route(item: Any, where: str, builder: ManifestBuilder) -> None:
    src = builder.source
    if isinstance(item, str):
        builder.add_route(DynamicRoute(item))
        return
    if not isinstance(item, dict):
        raise _shape(src, f'{where}: expected a pattern string or an object with "pattern"')
    pattern = _str(item, "pattern", where, src)
    if pattern is None:
        raise _shape(src, f'{where}: "pattern" is missing')
    fallback = item.get("fallback")
    if not (fallback is None or isinstance(fallback, str | bool)):
        raise _shape(src, f'{where}: "fallback" must be a string, a boolean or null')
    builder.add_route(DynamicRoute(pattern, _router(item.get("router"), where, src), fallback))


# --- sitemap.xml -----------------------------------------------------------------------------


def parse_sitemap(data: bytes, source: str) -> tuple[bool, list[str]]:
    """(is a sitemap index, the ``<loc>`` values), parsed without entity expansion."""
    if is_html(data):
        raise html_error(source, "a sitemap")
    try:
        root = xml_fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ManifestError(
            f"{source}: the XML declares entities, which ISR Desk refuses (entity expansion)",
            hint="a sitemap needs no DTD or entities; remove them",
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ManifestError(
            f"{source}: not well-formed XML (line {line}, column {column})",
            hint="a truncated download or not a sitemap",
        ) from None
    except (ValueError, RecursionError):
        raise ManifestError(f"{source}: not well-formed XML") from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise ManifestError(
            f"{source}: XML but not a sitemap (root element <{kind[:40]}>)",
            hint="expected <urlset> or <sitemapindex>",
        )
    child = "url" if kind == "urlset" else "sitemap"
    locs = []
    for entry in root:
        if _local(entry.tag) != child:
            continue
        for field in entry:
            if _local(field.tag) == "loc" and field.text and field.text.strip():
                locs.append(field.text.strip())
                break
    return kind == "sitemapindex", locs


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def add_urls(locs: list[str], builder: ManifestBuilder, *, host: str | None) -> None:
    """Add the path of each sitemap URL (``<loc>``); the host is not part of a path."""
    for loc in locs:
        path = url_path(loc, builder, host=host)
        if path is not None and _usable(path, builder):
            builder.add_path(path)


def url_path(value: str, builder: ManifestBuilder, *, host: str | None) -> str | None:
    """The path of an absolute http(s) URL (query dropped), or ``value`` if it is a path."""
    if value.startswith("/") and not value.startswith("//"):
        return value
    try:
        parts = urlsplit(value)
        netloc = parts.hostname
    except ValueError:
        netloc, parts = None, None
    if parts is None or parts.scheme not in ("http", "https") or not netloc:
        builder.issue("skipped-line", value)
        return None
    if parts.query or parts.fragment:
        builder.issue("query-dropped", value)
    if host and netloc != host:
        builder.issue("other-host", value)
    return parts.path or "/"


# --- plain list ------------------------------------------------------------------------------


def load_list(data: bytes, builder: ManifestBuilder, *, host: str | None) -> None:
    """One path (or URL) per line, ``tag:NAME`` for a tag, ``#`` starts a comment.

    A line that is not a path (``/…``), an http(s) URL or a tag is skipped: a shared
    profile pointing at ``~/.ssh/id_ed25519`` must not turn the key's lines into targets
    (docs/reliability.md). A file with lines but none usable is refused.
    """
    if is_html(data):
        raise html_error(builder.source, "a list")
    used = skipped = 0
    for raw in decode_text(data, builder.source).splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = _COMMENT.split(line, maxsplit=1)[0].rstrip()
        if line[:4].lower() == "tag:" and valid_entry(line[4:].strip(), tag=True):
            builder.add_tag(line[4:])
            used += 1
            continue
        path = url_path(line, builder, host=host) if "://" in line else line
        if path is None:
            skipped += 1
        elif path.startswith("/") and valid_entry(path):
            builder.add_path(path)
            used += 1
        else:
            builder.issue("skipped-line", line)
            skipped += 1
    if skipped and not used:
        raise ManifestError(
            f"{builder.source}: no line is a path, a URL or tag:NAME, so it is not a list",
            hint="a plain list has one path (/blog/a) or tag:NAME per line",
        )


# Bidi controls reorder what a terminal or a list shows: "/x\u202e..." reads as another path.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_C1 = re.compile("[\x7f-\x9f]")


def valid_entry(text: str, *, tag: bool = False) -> bool:
    """Whether a manifest's path (or tag) is one a user could have typed as a target:
    no control or bidi characters, a path without whitespace, at most Next.js's lengths."""
    if not text or _CONTROL.search(text) or _C1.search(text) or _BIDI.search(text):
        return False
    if "\n" in text or "\r" in text or "\t" in text:
        return False
    if tag:
        return len(text) <= MAX_TAG_LENGTH
    return not any(ch.isspace() for ch in text) and len(text) <= MAX_PATH_LENGTH
