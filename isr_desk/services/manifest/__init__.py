"""Manifests: every path and cache tag a site knows, from whatever source it has.

:func:`load_manifest` reads a Next.js ``.next`` build, an ISR Desk JSON manifest, a sitemap
or a plain list, from a file or an http(s) URL, and returns a
:class:`~isr_desk.domain.Manifest`. :func:`detect_kind` says which loader a source gets.
"""

from __future__ import annotations

from isr_desk.services.manifest._builder import ManifestBuilder
from isr_desk.services.manifest._load import detect_kind, load_manifest
from isr_desk.services.manifest._sources import FETCH_DEADLINE, FETCH_TIMEOUT

__all__ = ["FETCH_DEADLINE", "FETCH_TIMEOUT", "ManifestBuilder", "detect_kind", "load_manifest"]
