"""What changed since the last saved list, in an editor's words: the sentence, the sections,
the empty states, and the snapshot kept on the way (services/manifest/_changes.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from isr_desk.domain import Manifest, ManifestPath, Target
from isr_desk.services.manifest import (
    changes_since_last,
    load_manifest,
    save_snapshot,
    snapshot_time,
    snapshots,
    when_text,
)
from isr_desk.services.manifest._changes import MAX_ROWS
from tests.services.manifest.test_diff import BUILD, renamed_build

EARLIER = datetime(2026, 12, 1, 14, 2, tzinfo=UTC)


def _m(*pages: ManifestPath) -> Manifest:
    return Manifest("m", "json", paths=pages)


def test_the_first_list_has_nothing_to_compare_and_is_kept() -> None:
    changes = changes_since_last("Blog", _m(ManifestPath("/a", tags=("t",))))
    assert changes.first
    assert changes.diff is None
    assert changes.targets() == []
    assert changes.sections() == []
    assert changes.summary() == (
        "No earlier list saved yet — the next load will be compared with this one."
    )
    assert len(snapshots("Blog")) == 1


def test_the_same_list_again_says_nothing_changed_since_the_first() -> None:
    manifest = _m(ManifestPath("/a", tags=("t",)))
    save_snapshot("Blog", manifest, at=EARLIER)
    changes = changes_since_last("Blog", manifest)
    assert not changes.first
    assert changes.diff is None
    assert changes.since == EARLIER
    assert (
        changes.summary()
        == f"Nothing changed since the list of pages saved on {when_text(EARLIER)}."
    )
    assert len(snapshots("Blog")) == 1  # an equal list is not kept twice


def test_a_renamed_build_in_words(tmp_path: Path) -> None:
    save_snapshot("Blog", load_manifest(str(BUILD)), at=EARLIER)
    changes = changes_since_last("Blog", load_manifest(str(renamed_build(tmp_path))))
    assert changes.since == EARLIER
    assert changes.counts() == ["5 tags renamed", "5 pages changed"]
    assert changes.summary() == (
        f"Since the list of pages saved on {when_text(EARLIER)}: 5 tags renamed, 5 pages changed."
    )
    renamed, changed = changes.sections()
    assert (renamed.title, renamed.count, renamed.more) == ("Tags renamed", 5, 0)
    assert renamed.rows[0].text == "post:cache-tags → article:cache-tags"
    assert renamed.rows[0].detail == "1 page"
    assert (changed.title, changed.count) == ("Pages changed", 5)
    row = next(r for r in changed.rows if r.text == "/posts/on-demand")
    assert row.detail == "tag renamed post:on-demand → article:on-demand (refreshed with the tag)"
    assert changes.targets() == [Target.tag(new) for _, new in changes.diff.tags_renamed]  # type: ignore[union-attr]


def test_the_list_before_the_last_deploy_stays_the_comparison() -> None:
    """Reloading an unchanged list after a deploy still shows what that deploy changed."""
    before = _m(ManifestPath("/a", tags=("t",), revalidate=60))
    after = _m(ManifestPath("/a", tags=("t",), revalidate=False), ManifestPath("/b"))
    save_snapshot("Blog", before, at=EARLIER)
    first = changes_since_last("Blog", after)
    again = changes_since_last("Blog", after)
    assert first.summary() == again.summary()
    assert again.counts() == ["1 page added", "1 page changed"]
    (_, changed) = again.sections()
    assert changed.rows[0].detail == "refresh every 1 minute → never"


def test_sections_are_cut_with_a_count_of_the_rest() -> None:
    save_snapshot("Blog", _m(ManifestPath("/")), at=EARLIER)
    many = _m(ManifestPath("/"), *(ManifestPath(f"/p/{n}") for n in range(MAX_ROWS + 7)))
    (added,) = changes_since_last("Blog", many).sections()
    assert (added.title, added.count, len(added.rows), added.more) == (
        "Pages added",
        MAX_ROWS + 7,
        MAX_ROWS,
        7,
    )


def test_a_snapshot_knows_when_it_was_saved() -> None:
    path = save_snapshot("Blog", _m(ManifestPath("/")), at=EARLIER)
    assert path is not None
    assert snapshot_time(path) == EARLIER
    assert snapshot_time(path.with_name("notes.json.gz")) is None


def test_when_text_is_short_and_names_the_year_only_when_needed() -> None:
    now = datetime.now().astimezone()
    assert when_text(now) == f"{now.day} {now:%b %H:%M}"
    old = now.replace(year=now.year - 2)
    assert str(now.year - 2) in when_text(old)
