"""The site model of a Next.js build: its version and the conventions a revalidation must follow.

Read from small files of ``.next`` (never the big prerender manifest):

* the Next version: ``diagnostics/framework.json`` (15+) or the ``next-build`` span of
  ``trace`` (14+);
* ``required-server-files.json`` ``config``: ``basePath``, ``trailingSlash``, ``i18n``;
* ``routes-manifest.json``: ``basePath``, ``i18n`` and the 308 redirects that
  ``trailingSlash: true`` adds (a build without ``required-server-files.json`` still tells).

:func:`page_forms` gives, for one page, the exact string each revalidation API needs
(docs/conventions.md, "The form each API needs"): ``revalidatePath`` (no base path, the
trailing slash, non-ASCII percent-encoded, as the page's implicit ``_N_T_`` tag shows),
``res.revalidate`` and the implicit tag.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from isr_desk.domain import ManifestPath, Router, SiteConventions, SiteProfile
from isr_desk.services.sites import api_path

REQUIRED_SERVER_FILES = "required-server-files.json"
ROUTES = "routes-manifest.json"
INTERNAL_PAGES = frozenset({"/_not-found", "/_global-error", "/_error"})
_MAX_SMALL = 16 * 1024 * 1024
_TRACE_TAIL = 1024 * 1024
_VERSION = re.compile(rb'"name":"next-build".{0,400}?"version":"(\d+\.\d+[^"]{0,40})"')
_ANY_VERSION = re.compile(rb'"version":"(\d+\.\d+\.\d+[^"]{0,40})"')
_IMPLICIT = "_N_T_"


def read_json(name: str) -> Any:
    """A small JSON file of the build, or ``None`` when it is missing or unreadable."""
    try:
        with open(name, "rb") as fh:
            data = fh.read(_MAX_SMALL + 1)
        if len(data) > _MAX_SMALL:
            return None
        return json.loads(data)
    except (OSError, ValueError, RecursionError):
        return None


def next_version(build_dir: str) -> str | None:
    """The Next.js version that made the build, or ``None`` when the build does not say."""
    framework = read_json(os.path.join(build_dir, "diagnostics", "framework.json"))
    if isinstance(framework, dict) and isinstance(framework.get("version"), str):
        return str(framework["version"])[:40]
    try:
        with open(os.path.join(build_dir, "trace"), "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - _TRACE_TAIL))
            data = fh.read(_TRACE_TAIL)
    except OSError:
        return None
    found = _VERSION.search(data) or _ANY_VERSION.search(data)
    return found.group(1).decode("ascii", "replace") if found else None


def read_conventions(build_dir: str, routes: Any = None) -> SiteConventions:
    """The conventions of the build in ``build_dir`` (``routes``: its routes manifest, if read)."""
    required = read_json(os.path.join(build_dir, REQUIRED_SERVER_FILES))
    config = required.get("config") if isinstance(required, dict) else None
    config = config if isinstance(config, dict) else {}
    if routes is None:
        routes = read_json(os.path.join(build_dir, ROUTES))
    routes = routes if isinstance(routes, dict) else {}
    base_path = _text(config.get("basePath")) or _text(routes.get("basePath"))
    trailing = config.get("trailingSlash")
    if not isinstance(trailing, bool):
        trailing = _slash_redirects(routes.get("redirects"))
    i18n = config.get("i18n") if isinstance(config.get("i18n"), dict) else routes.get("i18n")
    locales, default = _locales(i18n)
    return SiteConventions(
        next_version=next_version(build_dir),
        base_path="" if base_path in ("", "/") else base_path.rstrip("/"),
        trailing_slash=trailing,
        locales=locales,
        default_locale=default,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _slash_redirects(redirects: Any) -> bool:
    """``trailingSlash: true`` adds a 308 from ``/:notfile(...)`` to ``/:notfile/``."""
    if not isinstance(redirects, list):
        return False
    return any(
        isinstance(r, dict) and str(r.get("source", "")).startswith("/:notfile") for r in redirects
    )


def _locales(i18n: Any) -> tuple[tuple[str, ...], str | None]:
    if not isinstance(i18n, dict):
        return (), None
    locales = i18n.get("locales")
    if not isinstance(locales, list) or not all(isinstance(x, str) for x in locales):
        return (), None
    default = i18n.get("defaultLocale")
    return tuple(locales), default if isinstance(default, str) else None


def complete(
    site: SiteConventions, paths: Sequence[ManifestPath], routers: set[Router]
) -> SiteConventions:
    """``site`` with the routers seen and what the implicit tags say about encoding."""
    encoded: bool | None = None
    for page in paths:
        if page.path.isascii() or not page.implicit_tags:
            continue
        quoted = _IMPLICIT + api_path(page.path)
        plain = _IMPLICIT + page.path
        for tag in page.implicit_tags:
            bare = tag.rstrip("/") if len(tag) > len(_IMPLICIT) + 1 else tag
            if bare == quoted:
                encoded = True
            elif bare == plain and encoded is None:
                encoded = False
        if encoded is not None:
            break
    order = (Router.APP, Router.PAGES)
    return SiteConventions(
        next_version=site.next_version,
        routers=tuple(r for r in order if r in routers),
        base_path=site.base_path,
        trailing_slash=site.trailing_slash,
        locales=site.locales,
        default_locale=site.default_locale,
        encoded_paths=encoded,
    )


def page_forms(site: SiteConventions | None, page: ManifestPath) -> dict[str, str | None]:
    """The exact string each API needs for ``page`` (``None`` where the API does not apply)."""
    site = site or SiteConventions()
    encode = site.encoded_paths is not False
    form = api_path(page.path, trailing_slash=site.trailing_slash, encode=encode)
    tag = _own_implicit(page)
    if tag is not None:
        form = tag[len(_IMPLICIT) :]  # the cache key itself: what revalidatePath expires
    app = page.router is not Router.PAGES
    return {
        "revalidatePath": form if app else None,
        "res.revalidate": None if page.router is Router.APP else form,
        "tag": (tag or _IMPLICIT + form) if app else None,
    }


def _own_implicit(page: ManifestPath) -> str | None:
    """The implicit tag naming the page's own path (``_N_T_/blog/x``), if the build lists it."""
    want = unquote(page.path).rstrip("/") or "/"
    for tag in page.implicit_tags:
        name = tag[len(_IMPLICIT) :]
        if name.endswith(("/layout", "/page")) and "[" in name:
            continue
        if (unquote(name).rstrip("/") or "/") == want:
            return tag
    return None


def site_conventions(source: str) -> SiteConventions | None:
    """The conventions of the Next.js build at ``source`` (the project or its ``.next``),
    from its small files only; ``None`` when ``source`` is not a local build."""
    for candidate in (source, os.path.join(source, ".next")):
        if os.path.isfile(os.path.join(candidate, ROUTES)):
            return read_conventions(candidate)
    return None


def convention_fixes(site: SiteConventions, profile: SiteProfile) -> list[str]:
    """The ``site edit`` flags that make ``profile`` follow the build (empty: it does)."""
    flags = []
    if site.base_path != profile.base_path:
        flags.append("--base-path " + (site.base_path or "''"))
    if site.trailing_slash != profile.trailing_slash:
        flags.append("--trailing-slash" if site.trailing_slash else "--no-trailing-slash")
    return flags
