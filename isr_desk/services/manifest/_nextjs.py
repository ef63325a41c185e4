"""The Next.js build loader: ``.next/prerender-manifest.json`` (v3/v4) plus ``.meta`` tags.

Paths and their route pattern / revalidate seconds come from ``routes``, dynamic patterns from
``dynamicRoutes``. App Router cache tags come from ``server/app/<route>.meta``
(``headers["x-next-cache-tags"]``) and from ``initialHeaders``. ``routes-manifest.json`` adds
the ``basePath`` and i18n locales a user must know about.

``preview`` holds the keys Next uses to sign preview/revalidation requests: it is never read
into anything, and its values are scrubbed from warnings as a last line of defence.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import unquote

from isr_desk.domain import DynamicRoute, ManifestPath, Router
from isr_desk.services.errors import ManifestError
from isr_desk.services.manifest import _fast as manifest_fast
from isr_desk.services.manifest._builder import (
    ManifestBuilder,
    Touched,
    split_tag_header,
    split_tag_run,
    split_tags,
)
from isr_desk.services.manifest._formats import decode_json
from isr_desk.services.manifest._site import INTERNAL_PAGES, read_conventions
from isr_desk.services.manifest._sources import read_file

RouteRow = tuple[str, Any, Any, Any, Any, bool]  # as in manifest_fast
DynamicRow = tuple[str, Any, Any]

PRERENDER = "prerender-manifest.json"
ROUTES = "routes-manifest.json"
MAX_META_BYTES = 1024 * 1024
MAX_ROUTES_MANIFEST_BYTES = 16 * 1024 * 1024
_TAGS_HEADER = "x-next-cache-tags"
# The header's value when it has no escapes (else the meta file is parsed as JSON).
_TAGS_VALUE = re.compile(rb'"x-next-cache-tags"\s*:\s*"([^"\\]*)"')
_READ_CHUNK = 16 * 1024
_BUILD_HINT = "run `next build` (not `next dev`) and point ISR Desk at the project or its .next"
_ROUTE_FIELDS = ("initialRevalidateSeconds", "srcRoute", "dataRoute", "initialHeaders")


def find_build_dir(path: str, source: str) -> str:
    """The directory holding ``prerender-manifest.json``: ``path`` itself or ``path/.next``."""
    for candidate in (path, os.path.join(path, ".next")):
        if os.path.isfile(os.path.join(candidate, PRERENDER)):
            return candidate
    dist = path if os.path.basename(os.path.normpath(path)) == ".next" else None
    dist = dist or (
        os.path.join(path, ".next") if os.path.isdir(os.path.join(path, ".next")) else None
    )
    if dist is not None and os.path.isdir(os.path.join(dist, "dev")):
        raise ManifestError(
            f"{source}: holds only `next dev` output, not a production build",
            hint=_BUILD_HINT,
        )
    if dist is not None:
        raise ManifestError(
            f"{source}: the .next directory has no {PRERENDER} (an unfinished build?)",
            hint=_BUILD_HINT,
        )
    raise ManifestError(
        f"{source}: no Next.js build here (no .next/{PRERENDER})",
        hint="run `next build` in the project, or use a JSON manifest, a sitemap or a list",
    )


def load_build_dir(build_dir: str, builder: ManifestBuilder, *, max_bytes: int) -> None:
    """Load a ``.next`` directory found by :func:`find_build_dir`."""
    name = os.path.join(build_dir, PRERENDER)
    data = read_file(name, source=name, max_bytes=max_bytes)
    is_build = os.path.isfile(os.path.join(build_dir, "BUILD_ID"))
    decoded = manifest_fast.decode_prerender(data)
    if decoded is None:  # not the expected shape: json words the problem
        obj = decode_json(data, name)
        del data  # ~75 MB for 100,000 routes: not kept through the .meta reading
        load_prerender(obj, builder, build_dir=build_dir, is_build=is_build)
    else:
        del data
        version, rows, dynamic, preview, known = decoded
        builder.secrets = _preview_values(preview)
        _load_rows(
            builder, version, rows, dynamic, known=known, build_dir=build_dir, is_build=is_build
        )
    _load_routes_manifest(build_dir, builder)


def is_prerender_manifest(obj: Any) -> bool:
    return isinstance(obj, dict) and "routes" in obj and "dynamicRoutes" in obj


def load_prerender(
    obj: Any, builder: ManifestBuilder, *, build_dir: str | None, is_build: bool
) -> None:
    """Load a decoded prerender manifest; with ``build_dir`` also read the ``.meta`` files."""
    source = builder.source
    if not is_prerender_manifest(obj):
        raise ManifestError(
            f"{source}: not a Next.js prerender manifest (no routes / dynamicRoutes)",
            hint=_BUILD_HINT,
        )
    builder.secrets = _preview_values(obj.get("preview"))
    routes, dynamic = obj["routes"], obj["dynamicRoutes"]
    if not isinstance(routes, dict) or not isinstance(dynamic, dict):
        raise _bad(source, '"routes" and "dynamicRoutes" must be objects')
    if not all(isinstance(e, dict) for e in (*routes.values(), *dynamic.values())):
        raise _bad(source, "a route entry is not an object")
    rows = [
        (
            path,
            e.get("initialRevalidateSeconds"),
            e.get("srcRoute"),
            e.get("dataRoute"),
            e.get("initialHeaders"),
            "renderingMode" in e or "experimentalPPR" in e,
        )
        for path, e in routes.items()
    ]
    known = any(k in e for e in routes.values() for k in _ROUTE_FIELDS)
    dyn = [(p, e.get("dataRoute"), e.get("fallback")) for p, e in dynamic.items()]
    version = obj.get("version")
    _load_rows(builder, version, rows, dyn, known=known, build_dir=build_dir, is_build=is_build)


def _load_rows(
    builder: ManifestBuilder,
    version: Any,
    rows: list[RouteRow],
    dynamic: list[DynamicRow],
    *,
    known: bool,
    build_dir: str | None,
    is_build: bool,
) -> None:
    source = builder.source
    if not isinstance(version, int) or isinstance(version, bool):
        raise _bad(source, '"version" is not a number')
    if version not in (3, 4):
        builder.warn(
            f"prerender manifest version {version} is not one ISR Desk knows (3, 4); "
            "read as version 4"
        )
    if (rows and not known) or (not rows and not dynamic and not is_build):
        raise ManifestError(
            f"{source}: this is the stub manifest `next dev` writes, with no prerendered routes",
            hint=_BUILD_HINT,
        )
    app_dir = os.path.join(build_dir, "server", "app") if build_dir else None
    if app_dir is not None and not os.path.isdir(app_dir):
        app_dir = None
    routers = _add_rows(builder, rows, app_dir)
    for pattern, data_route, fallback in dynamic:
        if not (fallback is None or isinstance(fallback, str | bool)):
            fallback = None
        router = _router_of(data_route) or routers.get(pattern)
        builder.add_route(DynamicRoute(pattern, router, fallback))
    if app_dir is None and any(
        not isinstance(row[4], dict) and _router_of(row[3]) is not Router.PAGES for row in rows
    ):
        builder.warn(
            "cache tags of App Router pages come from the .meta files of a build directory, "
            "which this source does not include: load the .next directory to see them"
        )


def _bad(source: str, problem: str) -> ManifestError:
    return ManifestError(
        f"{source}: unexpected prerender manifest shape: {problem}", hint=_BUILD_HINT
    )


def _preview_values(preview: Any) -> tuple[str, ...]:
    if not isinstance(preview, dict):
        return ()
    return tuple(v for v in preview.values() if isinstance(v, str) and len(v) >= 8)


def _router_of(data_route: Any) -> Router | None:
    if not isinstance(data_route, str):
        return None
    if data_route.endswith(".rsc"):
        return Router.APP
    if data_route.startswith("/_next/data/") or data_route.endswith(".json"):
        return Router.PAGES
    return None


def _add_rows(
    builder: ManifestBuilder, rows: list[RouteRow], app_dir: str | None
) -> dict[str, Router]:
    """Add every route; returns pattern → router of its first route (in manifest order).

    Routes go in path order, so each tag's page list comes out sorted and the builder has
    nothing left to merge or sort (:meth:`ManifestBuilder.add_sorted`).
    """
    keys = [row[0] for row in rows]  # unique: they were the keys of "routes"
    order = sorted(range(len(rows)), key=keys.__getitem__)
    del keys
    dir_fd = None
    if app_dir is not None and os.open in os.supports_dir_fd:
        try:  # .meta files opened relative to it: the kernel walks a short path
            dir_fd = os.open(app_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            dir_fd = None
    try:
        return _add_sorted(builder, rows, order, app_dir, dir_fd)
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


def _add_sorted(
    builder: ManifestBuilder,
    rows: list[RouteRow],
    order: list[int],
    app_dir: str | None,
    dir_fd: int | None,
) -> dict[str, Router]:
    """:func:`_add_rows` in ``order`` (one loop, local names: it runs 100,000 times)."""
    routers: dict[str, tuple[int, Router]] = {}  # pattern → (row, router) of its first row
    bad: list[tuple[int, str]] = []  # (row, name) of unreadable .meta files, in row order
    pages: list[ManifestPath] = []
    add = pages.append
    touched: Touched = {}
    seen = touched.get
    strings: dict[str, str] = {}  # one object per distinct tag / pattern: ~600k repeats share
    numbers: dict[int, int] = {}
    canonical, number = strings.setdefault, numbers.setdefault
    app, pages_router = Router.APP, Router.PAGES
    internal = INTERNAL_PAGES
    for i in order:
        path, revalidate, src, data_route, headers, app_hint = rows[i]
        if path in internal:  # Next's own error pages: nothing a user revalidates
            continue
        kind = revalidate.__class__
        if kind is int:
            revalidate = number(revalidate, revalidate)
        elif (
            kind is not float
            and revalidate is not False
            and (kind is bool or not isinstance(revalidate, int | float))
        ):
            revalidate = None
        router = _router_of(data_route) or (app if app_hint else None)
        own: list[str] = []
        implicit: list[str] = []
        raw = False  # own/implicit straight from split_tag_run: a tag may repeat
        if app_dir is not None and router is not pages_router:
            value, unreadable = _meta_tags(app_dir, path, dir_fd)
            if unreadable is not None:
                bad.append((i, unreadable))
            if value is not None:
                router = app
                parts = split_tag_run(value)
                if parts is None:
                    own, implicit = split_tags(value.split(","))
                else:
                    own, implicit = parts
                    raw = True
        if headers.__class__ is dict:
            value = headers.get(_TAGS_HEADER)
            if isinstance(value, str):
                more, more_implicit = split_tag_header(value)
                own, implicit = split_tags(own + more + implicit + more_implicit)
                raw = False
                router = router or app
        if src.__class__ is str:
            src = canonical(src, src)
            if router is not None:
                first = routers.get(src)
                if first is None or first[0] > i:
                    routers[src] = (i, router)
        else:
            src = None
        if own or implicit:
            tags = tuple(map(canonical, own, own))
            implicit_tags = tuple(map(canonical, implicit, implicit))
            one = (path,)
            repeated = False
            for tag in tags + implicit_tags:
                have = seen(tag)
                if have is None:
                    touched[tag] = one
                elif have[-1] is path:  # this page listed the tag already
                    repeated = True
                elif have.__class__ is list:
                    have.append(path)
                else:
                    touched[tag] = [*have, path]
            if repeated and raw:
                tags = tuple(dict.fromkeys(tags))
                implicit_tags = tuple(dict.fromkeys(implicit_tags))
            add(ManifestPath(path, src, tags, implicit_tags, revalidate, router))
        else:
            add(ManifestPath(path, src, (), (), revalidate, router))
    for _, name in sorted(bad):
        builder.issue("bad-meta", name)
    builder.add_sorted(pages, touched)
    return {pattern: router for pattern, (_, router) in routers.items()}


def _meta_tags(app_dir: str, path: str, dir_fd: int | None) -> tuple[str | None, str | None]:
    """(``x-next-cache-tags`` of ``server/app/<path>.meta`` or ``None`` without the file, the
    file's name if it is unreadable). With ``dir_fd`` (``server/app`` opened), the file is
    opened relative to it: the kernel walks a short path, 100,000 times.
    """
    if dir_fd is not None and path.startswith("/") and not path.startswith("//"):
        name = "index.meta" if path == "/" else path[1:] + ".meta"
        data = _read_small(name, dir_fd)
        relative = True
    else:
        name = app_dir + ("/index" if path == "/" else path) + ".meta"
        data = _read_small(name)
        relative = False
    if data is None and "%" in path:  # the file of the decoded name
        name = app_dir + unquote(path) + ".meta"
        data = _read_small(name)
        relative = False
    if data is None:
        return None, None
    found = _TAGS_VALUE.search(data)  # no full JSON parse for 100,000 files
    if found is not None:
        try:
            return found.group(1).decode("utf-8"), None
        except UnicodeDecodeError:
            pass
    value = _json_header(data)
    if value is None:
        return "", os.path.normpath(name) if relative else os.path.relpath(name, app_dir)
    return value, None


def _json_header(data: bytes) -> str | None:
    """The tags header of a ``.meta`` file by a full JSON parse; ``None`` if it is unreadable."""
    try:
        meta = json.loads(data)
    except (ValueError, RecursionError):
        meta = None
    headers = meta.get("headers", {}) if isinstance(meta, dict) else None
    if not isinstance(headers, dict):
        return None
    value = headers.get(_TAGS_HEADER)
    return value if isinstance(value, str) else ""


def _read_small(name: str, dir_fd: int | None = None) -> bytes | None:
    """A ``.meta`` file's bytes, or ``None`` if there is none (os-level I/O: it is fast)."""
    try:
        fd = os.open(name, os.O_RDONLY, dir_fd=dir_fd)
    except (OSError, ValueError):  # ValueError: a NUL in a route name
        return None
    try:
        # A 1 MiB os.read allocates 1 MiB each time: read small, and more only if needed.
        data = os.read(fd, _READ_CHUNK)
        if len(data) == _READ_CHUNK:
            data += os.read(fd, MAX_META_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data


def _load_routes_manifest(build_dir: str, builder: ManifestBuilder) -> None:
    """The site model (version, basePath, trailingSlash, i18n) from the build's small files."""
    name = os.path.join(build_dir, ROUTES)
    obj: Any = None
    if os.path.isfile(name):
        try:
            obj = decode_json(
                read_file(name, source=ROUTES, max_bytes=MAX_ROUTES_MANIFEST_BYTES), ROUTES
            )
        except ManifestError as exc:
            builder.warn(f"{ROUTES} was skipped: {exc.message}")
        if obj is not None and not isinstance(obj, dict):
            builder.warn(f"{ROUTES} was skipped: not a JSON object")
            obj = None
    site = read_conventions(build_dir, obj if obj is not None else {})
    builder.base_path = site.base_path
    builder.locales = site.locales
    builder.site = site
    if site.locales:
        shown = ", ".join(site.locales[:6]) + (", …" if len(site.locales) > 6 else "")
        builder.warn(
            f"the site is localised ({shown}): each Pages Router page exists once per "
            f"locale; revalidate the locale-prefixed path (e.g. /{site.locales[-1]}/about)"
        )
