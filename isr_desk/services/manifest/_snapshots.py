"""Snapshots of a site's manifest, so "what changed since the last deploy" needs no old build.

A snapshot is small: each page's path, own tags and revalidate seconds, and each own tag's
pages, as gzip-compressed JSON under ``<data dir>/snapshots/<site>/`` (files 0600, the
directory 0700). A snapshot is kept only when the manifest changed since the newest one; the
newest :data:`KEEP` are kept per site (docs/patterns-and-diffs.md). Only a load of the site's
own manifest source keeps one (:func:`is_own_source`): another build loaded for a look
(``manifest SITE --source …``) would otherwise become "the list before the next deploy".

A file is named ``<saved at, ns>-<content digest>.json.gz``: "is this the list I saved last
time?" is a comparison of names, not a read of a 100,000-page file (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from isr_desk.domain import Manifest, ManifestPath, ManifestTag, SiteProfile
from isr_desk.services.errors import ManifestError
from isr_desk.services.paths import app_home

KEEP = 5
MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024  # decompressed: a hostile file cannot fill the memory
_VERSION = 1
_DIGEST = 16  # hex characters of sha256 in a file name
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def is_own_source(profile: SiteProfile, source: str) -> bool:
    """True when ``source`` is the profile's configured manifest source (a file path in any
    spelling of it): the only load that keeps a snapshot of the site."""
    own = (profile.manifest_source or "").strip()
    given = source.strip()
    if not own or not given:
        return False
    if own == given:
        return True
    if "://" in own or "://" in given:
        return own.rstrip("/") == given.rstrip("/")
    return _local(own) == _local(given)


def _local(path: str) -> str:
    return os.path.normcase(os.path.abspath(os.path.expanduser(path)))


def snapshot_dir(site: str) -> Path:
    """The site's own directory: a readable prefix of its name, and a hash of it."""
    digest = hashlib.sha256(site.encode("utf-8")).hexdigest()[:12]
    readable = _UNSAFE.sub("_", site)[:40].strip("._") or "site"
    return app_home() / "snapshots" / f"{readable}-{digest}"


def to_snapshot(manifest: Manifest) -> dict[str, Any]:
    return {
        "version": _VERSION,
        "source": manifest.source,
        "paths": [
            {"path": p.path, "tags": list(p.tags), "revalidate": p.revalidate}
            for p in manifest.paths
        ],
        "tags": {t.tag: list(t.paths) for t in manifest.tags if not t.implicit},
    }


def from_snapshot(data: Any, name: str) -> Manifest:
    """The manifest a snapshot holds (pages, tags and seconds only); ManifestError if malformed."""
    try:
        paths = tuple(
            ManifestPath(str(p["path"]), tags=tuple(map(str, p["tags"])), revalidate=_seconds(p))
            for p in data["paths"]
        )
        tags = tuple(ManifestTag(str(t), tuple(map(str, ps))) for t, ps in data["tags"].items())
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ManifestError(f"{name} is not an ISR Desk manifest snapshot") from exc
    return Manifest(source=name, kind="snapshot", paths=paths, tags=tags)


def _seconds(page: dict[str, Any]) -> int | float | bool | None:
    value = page.get("revalidate")
    if value is None or isinstance(value, bool | int | float):
        return value
    raise ValueError("revalidate")


def snapshots(site: str) -> list[Path]:
    """The site's snapshot files, oldest first."""
    folder = snapshot_dir(site)
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.json.gz"))


def read_snapshot(path: Path) -> Manifest:
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read(MAX_SNAPSHOT_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise ManifestError(f"Cannot read snapshot {path}: {exc}") from exc
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise ManifestError(f"Snapshot {path} is too large")
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ManifestError(f"{path} is not an ISR Desk manifest snapshot") from exc
    manifest = from_snapshot(parsed, str(path))
    saved = snapshot_time(path)
    label = f"the list of pages saved on {when_text(saved)}" if saved else f"snapshot {path.name}"
    return replace(manifest, source=label)  # what a diff names, not a long private path


def when_text(moment: datetime) -> str:
    """``1 Dec 14:02`` (the year too when it is not this year), in local time."""
    local = moment.astimezone()
    if local.year != datetime.now().astimezone().year:
        return f"{local.day} {local:%b %Y %H:%M}"
    return f"{local.day} {local:%b %H:%M}"


class Content:
    """A manifest as a snapshot holds it: canonical JSON bytes (no source) and their digest."""

    __slots__ = ("data", "digest")

    def __init__(self, manifest: Manifest) -> None:
        data = to_snapshot(manifest)
        data.pop("source")
        self.data = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
        self.digest = hashlib.sha256(self.data).hexdigest()[:_DIGEST]


def snapshot_time(path: Path) -> datetime | None:
    """When a snapshot was saved (its file name), or None for a name ISR Desk did not write."""
    stamp = path.name.split(".", 1)[0].split("-", 1)[0]
    if not stamp.isdigit():
        return None
    return datetime.fromtimestamp(int(stamp) / 1e9, tz=UTC)


def _digest_of(path: Path) -> str | None:
    """The content digest in a snapshot's name; None for the first version's names."""
    _, _, digest = path.name.split(".", 1)[0].partition("-")
    return digest if len(digest) == _DIGEST else None


def save_snapshot(
    site: str,
    manifest: Manifest,
    *,
    keep: int = KEEP,
    at: datetime | None = None,
    content: Content | None = None,
) -> Path | None:
    """Keep a snapshot of ``manifest`` unless it equals the newest one; None when unchanged.
    ``at``: the time it is saved as (the demo site's earlier build), else now; ``content``:
    the manifest's :class:`Content` when the caller has made it already.

    OSError propagates (callers decide whether a failed snapshot matters).
    """
    content = content or Content(manifest)
    existing = snapshots(site)
    if existing and same_snapshot(existing[-1], content):
        return None
    folder = snapshot_dir(site)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = int(at.timestamp() * 1e9) if at is not None else time.time_ns()
    path = folder / f"{stamp:020d}-{content.digest}.json.gz"
    payload = gzip.compress(content.data, compresslevel=6, mtime=0)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
    for old in snapshots(site)[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()
    return path


def same_snapshot(path: Path, content: Content) -> bool:
    """Whether the snapshot at ``path`` holds ``content``: by name, or (first-version names)
    by reading it."""
    digest = _digest_of(path)
    if digest is not None:
        return digest == content.digest
    try:
        return Content(read_snapshot(path)).data == content.data
    except ManifestError:
        return False


def previous_snapshot(site: str, current: Manifest) -> Manifest | None:
    """The newest snapshot that differs from ``current``: the site before its last change."""
    found = previous_snapshot_file(site, Content(current))
    return found[0] if found else None


def previous_snapshot_file(site: str, content: Content) -> tuple[Manifest, Path] | None:
    """The newest readable snapshot whose content differs from ``content``, and its file."""
    for path in reversed(snapshots(site)):
        if same_snapshot(path, content):
            continue
        try:
            return read_snapshot(path), path
        except ManifestError:
            continue  # an unreadable snapshot is skipped
    return None
