"""The demo site's previous build: a snapshot that makes "What changed" tell a real story
(product tags renamed, posts added, a page removed, refresh times changed)."""

from __future__ import annotations

from datetime import UTC, datetime

from isr_desk.domain import Target, TargetKind
from isr_desk.services.demo import DemoSite, previous_manifest, seed_previous_build
from isr_desk.services.demo._builds import EARLIER
from isr_desk.services.manifest import (
    changes_since_last,
    load_manifest,
    snapshot_time,
    snapshots,
)

NOW = datetime(2026, 12, 2, 16, 19, tzinfo=UTC)


def test_the_previous_build_is_kept_once_dated_earlier() -> None:
    assert seed_previous_build("Demo", now=NOW)
    assert not seed_previous_build("Demo", now=NOW)  # a second start keeps what is there
    (snapshot,) = snapshots("Demo")
    assert snapshot_time(snapshot) == NOW - EARLIER


def test_the_demo_list_against_its_previous_build() -> None:
    seed_previous_build("Demo", now=NOW)
    with DemoSite(seed=0) as site:
        now = load_manifest(site.url + "/isr-manifest.json")
    changes = changes_since_last("Demo", now)
    assert changes.since == NOW - EARLIER
    assert changes.counts() == [
        "5 tags renamed",
        "3 pages added",
        "1 page removed",
        "75 pages changed",
    ]
    diff = changes.diff
    assert diff is not None
    assert ("shop:bags", "catalog:bags") in diff.tags_renamed
    assert diff.pages_removed == ("/jobs",)
    targets = changes.targets()
    # 3 new posts, 15 deploy docs whose refresh time changed, 5 renamed tags; the 60 product
    # pages changed only by the rename come with their tags.
    assert sum(t.kind is TargetKind.PATH for t in targets) == 18
    assert Target.tag("catalog:bags") in targets
    assert not any(t.value.startswith("/products/") for t in targets)


def test_the_previous_build_has_the_same_pages_but_for_the_story() -> None:
    old = {p.path for p in previous_manifest().paths}
    with DemoSite(seed=0) as site:
        new = {p.path for p in site.pages}
    assert old - new == {"/jobs"}
    assert len(new - old) == 3
