"""Manifests: every path and cache tag a site knows, from whatever source it has.

:func:`load_manifest` reads a Next.js ``.next`` build, an ISR Desk JSON manifest, a sitemap
or a plain list, from a file or an http(s) URL, and returns a
:class:`~isr_desk.domain.Manifest`. :func:`detect_kind` says which loader a source gets.
:func:`site_conventions` reads only a build's small files (version, basePath, trailingSlash,
i18n); :func:`page_forms` gives the exact string each revalidation API needs for a page.
:func:`select` chooses tags and paths by glob; :func:`diff_manifests` says what changed
between two manifests; :func:`save_snapshot` / :func:`previous_snapshot` keep small
compressed copies of a site's manifest so a diff "since the last deploy" needs no old build;
:func:`changes_since_last` says what changed since then in an editor's words.
"""

from __future__ import annotations

from isr_desk.services.manifest._builder import ManifestBuilder
from isr_desk.services.manifest._changes import (
    Row,
    Section,
    SinceLast,
    changes_since_last,
    last_differing,
    summary_line,
)
from isr_desk.services.manifest._diff import ManifestDiff, PageChange, diff_manifests
from isr_desk.services.manifest._glob import Selection, compile_glob, is_glob, matches, select
from isr_desk.services.manifest._known import (
    known_pages,
    known_tags,
    unknown_pages,
    unknown_tags,
)
from isr_desk.services.manifest._load import detect_kind, load_manifest
from isr_desk.services.manifest._site import (
    INTERNAL_PAGES,
    convention_fixes,
    page_forms,
    site_conventions,
)
from isr_desk.services.manifest._snapshots import (
    is_own_source,
    previous_snapshot,
    read_snapshot,
    save_snapshot,
    snapshot_time,
    snapshots,
    when_text,
)
from isr_desk.services.manifest._sources import FETCH_DEADLINE, FETCH_TIMEOUT

__all__ = [
    "FETCH_DEADLINE",
    "FETCH_TIMEOUT",
    "INTERNAL_PAGES",
    "ManifestBuilder",
    "ManifestDiff",
    "PageChange",
    "Row",
    "Section",
    "Selection",
    "SinceLast",
    "changes_since_last",
    "compile_glob",
    "convention_fixes",
    "detect_kind",
    "diff_manifests",
    "is_glob",
    "is_own_source",
    "known_pages",
    "known_tags",
    "last_differing",
    "load_manifest",
    "matches",
    "page_forms",
    "previous_snapshot",
    "read_snapshot",
    "save_snapshot",
    "select",
    "site_conventions",
    "snapshot_time",
    "snapshots",
    "summary_line",
    "unknown_pages",
    "unknown_tags",
    "when_text",
]
