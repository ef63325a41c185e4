"""Manifest loading: every path and cache tag a site knows, from whatever source it has.

``load_manifest(source)`` accepts a Next.js build (``.next`` or the project directory), an ISR
Desk JSON manifest, a ``sitemap.xml`` (indexes followed to a bounded depth) or a plain list,
each from a local file or an http(s) URL; ``/isr-manifest.json`` is resolved against the
site's base URL. It returns a :class:`~isr_desk.domain.Manifest` or raises a
:class:`~isr_desk.services.errors.ManifestError` naming the source and the problem.
It is synchronous: the GUI runs it through ``asyncio.to_thread``, the CLI calls it directly.
The format is documented in ``docs/manifest-format.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from isr_desk.domain import REDACTED, Manifest
from isr_desk.services.errors import ManifestError
from isr_desk.services.manifest._builder import ManifestBuilder
from isr_desk.services.manifest._formats import (
    add_urls,
    decode_json,
    html_error,
    load_json_manifest,
    load_list,
    parse_sitemap,
    sniff,
)
from isr_desk.services.manifest._nextjs import (
    PRERENDER,
    find_build_dir,
    is_prerender_manifest,
    load_build_dir,
    load_prerender,
)
from isr_desk.services.manifest._sources import (
    DEFAULT_MAX_BYTES,
    TooBigError,
    fetch,
    human_size,
    make_client,
    read_file,
)

if TYPE_CHECKING:
    from isr_desk.services.http import Network

__all__ = ["DEFAULT_MAX_BYTES", "detect_kind", "load_manifest"]

MAX_SITEMAP_DEPTH = 3  # an index, an index it lists, and the sitemaps that one lists
MAX_SITEMAPS = 1000
_EXTENSIONS = {".json": "json", ".xml": "sitemap", ".txt": "list", ".list": "list", ".lst": "list"}


def detect_kind(source: str) -> str:
    """The kind a source most likely is, from its name (and, for local files, a look inside)."""
    text = source.strip()
    if _is_url(text) or (text.startswith("/") and not os.path.exists(text)):
        name = urlsplit(text).path
        return _kind_by_name(name) or "json"
    if os.path.isdir(text):
        return "next-build"
    kind = _kind_by_name(text)
    if kind is not None or not os.path.isfile(text):
        return kind or "next-build"
    try:
        with open(text, "rb") as fh:
            head = fh.read(4096)
    except (OSError, ValueError):
        return "list"
    guess = sniff(head)
    return "list" if guess == "html" else guess


def load_manifest(
    source: str,
    *,
    client: httpx.Client | None = None,
    base_url: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    network: Network | None = None,
) -> Manifest:
    """Load ``source`` (path, directory or URL); see the module docstring.

    ``network`` is the profile's proxy and CA bundle for a URL (when no ``client`` is given).
    Process-wide state (the cyclic GC) is left alone: the app decides about it
    (``isr_desk/app.py``, docs/architecture.md).
    """
    if client is None and network is not None:
        with make_client(network) as own:
            return _load(source, client=own, base_url=base_url, max_bytes=max_bytes)
    return _load(source, client=client, base_url=base_url, max_bytes=max_bytes)


def _load(
    source: str, *, client: httpx.Client | None, base_url: str | None, max_bytes: int
) -> Manifest:
    text = source.strip()
    if not text:
        raise ManifestError("no manifest source given", hint="set one in the site profile")
    if text.startswith("file://"):
        text = unquote(urlsplit(text).path)
    url = _resolve_url(text, base_url)
    if url is None:
        return _load_local(text, max_bytes=max_bytes, client=client, base_url=base_url)
    # A relative "/isr-manifest.json" is named by the URL it became, so errors say where.
    loader = _Loader(_without_password(url), client=client, base_url=base_url, limit=max_bytes)
    try:
        return loader.load_url(url)
    finally:
        loader.close()


def _without_password(url: str) -> str:
    """``url`` fit to show: a ``user:password@`` in it becomes ``user:•••@``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    return url.replace(f":{password}@", f":{REDACTED}@", 1) if password else url


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _resolve_url(text: str, base_url: str | None) -> str | None:
    if _is_url(text):
        return text
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise ManifestError(f"{text}: unsupported URL scheme '{scheme[:20]}' (use http or https)")
    local = not text.startswith("/") or text.startswith("//") or os.path.exists(text)
    return base_url.rstrip("/") + text if base_url and not local else None


def _kind_by_name(name: str) -> str | None:
    base = os.path.basename(name.rstrip("/")).lower()
    if base == PRERENDER:
        return "next-build"
    return _EXTENSIONS.get(os.path.splitext(base)[1])


def _host(base_url: str | None) -> str | None:
    try:
        return urlsplit(base_url).hostname if base_url else None
    except ValueError:
        return None


def _load_local(
    path: str, *, max_bytes: int, client: httpx.Client | None, base_url: str | None
) -> Manifest:
    if os.path.isdir(path):
        builder = ManifestBuilder(path, "next-build")
        load_build_dir(find_build_dir(path, path), builder, max_bytes=max_bytes)
        return builder.build()
    if os.path.basename(path) == PRERENDER:
        builder = ManifestBuilder(path, "next-build")
        load_build_dir(os.path.dirname(path) or ".", builder, max_bytes=max_bytes)
        return builder.build()
    data = read_file(path, source=path, max_bytes=max_bytes)
    loader = _Loader(path, client=client, base_url=base_url, limit=max_bytes, used=len(data))
    try:
        return loader.load_bytes(data, name_kind=_kind_by_name(path), origin=path)
    finally:
        loader.close()


@dataclass
class _Loader:
    """One load: the source, an HTTP client when needed, and the sitemap traversal state."""

    source: str
    client: httpx.Client | None
    base_url: str | None
    limit: int
    used: int = 0
    visited: set[str] = field(default_factory=set)
    _http: httpx.Client | None = None
    _own: bool = False

    def close(self) -> None:
        if self._own and self._http is not None:
            self._http.close()

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._own = self.client is None
            self._http = self.client or make_client()
        return self._http

    def load_url(self, url: str) -> Manifest:
        got = fetch(self._client(), url, source=self.source, max_bytes=self.limit)
        self.used += len(got.data)
        self.visited.update((url, got.url))
        name_kind = _kind_by_name(urlsplit(got.url).path)
        # A JSON/XML body served as text/html (a misconfigured server) is still read.
        if got.content_type == "text/html" and sniff(got.data) == "list":
            raise html_error(self.source, "a manifest")
        return self.load_bytes(data=got.data, name_kind=name_kind, origin=got.url)

    def load_bytes(self, data: bytes, *, name_kind: str | None, origin: str) -> Manifest:
        found = sniff(data)
        if found == "html":
            raise html_error(self.source, "a manifest")
        if found == "json" or name_kind in ("json", "next-build"):
            return self._json(data)
        if found == "sitemap":
            builder = ManifestBuilder(self.source, "sitemap")
            self.visited.add(origin)
            self._sitemap(data, builder, origin=origin, label=self.source, depth=1)
            return builder.build()
        builder = ManifestBuilder(self.source, "list")
        load_list(data, builder, host=_host(self.base_url))
        return builder.build()

    def _json(self, data: bytes) -> Manifest:
        obj = decode_json(data, self.source)
        if is_prerender_manifest(obj):
            builder = ManifestBuilder(self.source, "next-build")
            load_prerender(obj, builder, build_dir=None, is_build=True)
        else:
            builder = ManifestBuilder(self.source, "json")
            load_json_manifest(obj, builder)
        return builder.build()

    def _sitemap(
        self, data: bytes, builder: ManifestBuilder, *, origin: str, label: str, depth: int
    ) -> None:
        is_index, locs = parse_sitemap(data, label)
        if not is_index:
            add_urls(locs, builder, host=_host(self.base_url))
            return
        if depth >= MAX_SITEMAP_DEPTH:
            builder.warn(
                f"{label}: sitemap indexes nest more than {MAX_SITEMAP_DEPTH} levels deep; "
                "the deeper ones were not followed"
            )
            return
        for loc in locs:
            if len(self.visited) >= MAX_SITEMAPS:
                builder.warn(f"more than {MAX_SITEMAPS} sitemaps: the rest were not read")
                return
            self._child(loc, builder, origin=origin, depth=depth)

    def _child(self, loc: str, builder: ManifestBuilder, *, origin: str, depth: int) -> None:
        target = self._child_location(loc, origin)
        if target is None:
            builder.issue("skipped-line", loc)
            return
        if target in self.visited:
            return
        self.visited.add(target)
        remaining = self.limit - self.used
        try:
            if _is_url(target):
                data = fetch(self._client(), target, source=target, max_bytes=remaining).data
            else:
                data = read_file(target, source=target, max_bytes=remaining)
            self.used += len(data)
            self._sitemap(data, builder, origin=target, label=target, depth=depth + 1)
        except TooBigError:
            raise TooBigError(
                f"{self.source}: the sitemaps together are larger than the "
                f"{human_size(self.limit)} limit for manifests",
                hint="point ISR Desk at one of the smaller sitemaps",
            ) from None
        except ManifestError as exc:
            builder.warn(f"a sitemap listed in the index was skipped: {exc.describe()}")

    def _child_location(self, loc: str, origin: str) -> str | None:
        """A child sitemap's URL, or the local file beside a local index with its name."""
        if not _is_url(origin):
            name = os.path.basename(urlsplit(loc).path)
            sibling = os.path.join(os.path.dirname(origin), name)
            if name and os.path.isfile(sibling):
                return sibling
            return loc if _is_url(loc) else None
        joined = urljoin(origin, loc)
        return joined if _is_url(joined) else None
