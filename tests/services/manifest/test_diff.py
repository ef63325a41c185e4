"""What changed between two builds, and the snapshots that make "since the last deploy" work."""

from __future__ import annotations

import gzip
import json
import shutil
import stat
from pathlib import Path

import pytest

from isr_desk.domain import (
    Endpoint,
    Manifest,
    ManifestPath,
    ManifestTag,
    Preset,
    Router,
    SiteProfile,
    Target,
)
from isr_desk.services.errors import ManifestError
from isr_desk.services.manifest import (
    diff_manifests,
    is_own_source,
    load_manifest,
    previous_snapshot,
    read_snapshot,
    save_snapshot,
    snapshots,
)

FIXTURES = Path(__file__).parents[2] / "fixtures"
BUILD = FIXTURES / "next-build"


def renamed_build(tmp_path: Path, old: str = "post:", new: str = "article:") -> Path:
    """A copy of the real build whose per-post tags are renamed in every page's .meta."""
    copy = tmp_path / "renamed" / ".next"
    shutil.copytree(BUILD, copy)
    for meta in copy.rglob("*.meta"):
        meta.write_text(meta.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return copy


def test_a_tag_rename_in_a_real_build_is_a_rename(tmp_path: Path) -> None:
    diff = diff_manifests(load_manifest(str(BUILD)), load_manifest(str(renamed_build(tmp_path))))
    assert ("post:hello-world", "article:hello-world") in diff.tags_renamed
    assert len(diff.tags_renamed) == 5
    assert diff.tags_added == diff.tags_removed == ()
    assert diff.pages_added == diff.pages_removed == ()
    changed = {c.path: c for c in diff.pages_changed}
    assert set(changed) == {f"/posts/{o[5:]}" for o, _ in diff.tags_renamed}
    assert "article:on-demand" in changed["/posts/on-demand"].new_tags
    assert Target.tag("article:on-demand") in diff.targets()
    # Its only change is the renamed tag: that tag refreshes it, its path is not sent too.
    assert Target.path("/posts/on-demand") not in diff.targets()
    assert diff.targets() == [Target.tag(new) for _, new in diff.tags_renamed]
    assert Target.tag("posts") not in diff.targets()  # unchanged


def test_a_page_with_more_than_a_rename_is_sent_by_path() -> None:
    old = _m(ManifestPath("/a", tags=("old",), revalidate=60), ManifestPath("/b", tags=("old",)))
    new = _m(
        ManifestPath("/a", tags=("new", "extra"), revalidate=60),  # a tag more than the rename
        ManifestPath("/b", tags=("new",), revalidate=30),  # its seconds changed too
    )
    diff = diff_manifests(old, new)
    assert diff.tags_renamed == (("old", "new"),)
    assert [c.path for c in diff.pages_changed] == ["/a", "/b"]
    assert diff.targets() == [Target.path("/a"), Target.path("/b"), Target.tag("extra"),
                              Target.tag("new")]  # fmt: skip


APP_SITE = SiteProfile("app", "https://a.example")
PAGES_SITE = SiteProfile(
    "pages", "https://a.example", endpoint=Endpoint(preset=Preset.PAGES_ROUTER)
)
NO_TAG_SITE = SiteProfile(
    "custom",
    "https://a.example",
    endpoint=Endpoint(
        preset=Preset.CUSTOM, url_template="{url}/api/r?path={path}", tag_url_template=""
    ),
)


def _renamed_pair(router: Router | None = Router.APP) -> tuple[Manifest, Manifest]:
    old = _m(ManifestPath("/a", tags=("cat-x",), router=router),
             ManifestPath("/b", tags=("cat-x",), router=router))  # fmt: skip
    new = _m(ManifestPath("/a", tags=("cat:x",), router=router),
             ManifestPath("/b", tags=("cat:x",), router=router))  # fmt: skip
    return old, new


def test_a_rename_is_sent_as_the_new_tag_to_a_site_that_revalidates_tags() -> None:
    diff = diff_manifests(*_renamed_pair())
    assert diff.targets(APP_SITE) == diff.targets() == [Target.tag("cat:x")]


@pytest.mark.parametrize("site", [PAGES_SITE, NO_TAG_SITE], ids=["pages-preset", "custom"])
def test_a_rename_is_sent_as_paths_to_a_site_that_cannot_revalidate_tags(
    site: SiteProfile,
) -> None:
    diff = diff_manifests(*_renamed_pair())
    # A tag would end the run with "cannot revalidate cache tags": the pages go by path.
    assert diff.targets(site) == [Target.path("/a"), Target.path("/b")]
    assert diff.to_json(site)["targets"] == ["/a", "/b"]


def test_a_pages_router_page_of_a_renamed_tag_is_sent_by_path_even_where_tags_work() -> None:
    old, new = _renamed_pair(Router.PAGES)
    new = _m(ManifestPath("/a", tags=("cat:x",), router=Router.PAGES),
             ManifestPath("/b", tags=("cat:x",), router=Router.APP))  # fmt: skip
    diff = diff_manifests(old, new)
    assert diff.tags_renamed == (("cat-x", "cat:x"),)
    # A tag never rebuilds a Pages Router page; the App Router page comes with the tag.
    assert diff.targets(APP_SITE) == [Target.path("/a"), Target.tag("cat:x")]


def test_an_added_tag_on_a_site_without_tags_sends_its_pages() -> None:
    old = _m(ManifestPath("/a"), ManifestPath("/b", tags=("t",)))
    new = _m(ManifestPath("/a"), ManifestPath("/b", tags=("t",)),
             tags=(ManifestTag("fresh", paths=("/a",)),))  # fmt: skip
    diff = diff_manifests(old, new)
    assert diff.tags_added == ("fresh",)
    assert diff.targets(APP_SITE) == [Target.tag("fresh")]
    assert diff.targets(PAGES_SITE) == [Target.path("/a")]


def test_same_build_twice_is_empty() -> None:
    manifest = load_manifest(str(BUILD))
    diff = diff_manifests(manifest, load_manifest(str(BUILD)))
    assert diff.empty
    assert diff.targets() == []


def _m(*pages: ManifestPath, tags: tuple[ManifestTag, ...] = ()) -> Manifest:
    return Manifest("m", "json", paths=pages, tags=tags)


def test_pages_and_tags_added_removed_and_seconds_changed() -> None:
    old = _m(ManifestPath("/a", tags=("t1",), revalidate=60), ManifestPath("/gone", tags=("t2",)))
    new = _m(
        ManifestPath("/a", tags=("t1",), revalidate=False),  # never, not 60 s
        ManifestPath("/new", tags=("t3",)),
    )
    diff = diff_manifests(old, new)
    assert diff.pages_added == ("/new",)
    assert diff.pages_removed == ("/gone",)
    assert diff.tags_removed == ("t2",)
    assert diff.tags_added == ("t3",)
    assert diff.tags_renamed == ()  # different page sets
    assert diff.tag_pages == {"t2": 1, "t3": 1}  # the pages a removed or added tag touches
    [change] = diff.pages_changed
    assert (change.path, change.old_revalidate, change.new_revalidate) == ("/a", 60, False)
    assert diff.targets() == [Target.path("/new"), Target.path("/a"), Target.tag("t3")]
    assert diff.to_json()["targets"] == ["/new", "/a", "tag:t3"]


def test_zero_seconds_and_never_differ() -> None:
    diff = diff_manifests(
        _m(ManifestPath("/a", revalidate=0)), _m(ManifestPath("/a", revalidate=False))
    )
    assert len(diff.pages_changed) == 1


def test_a_tag_without_pages_is_never_a_rename() -> None:
    old = _m(tags=(ManifestTag("x"),))
    new = _m(tags=(ManifestTag("y"),))
    diff = diff_manifests(old, new)
    assert diff.tags_renamed == ()
    assert diff.tags_removed == ("x",)
    assert diff.tags_added == ("y",)


def test_snapshots_are_small_private_gzip_and_kept_only_when_changed(isr_home: Path) -> None:
    manifest = load_manifest(str(BUILD))
    first = save_snapshot("blog site/é", manifest)
    assert first is not None
    assert first.is_relative_to(isr_home)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert first.stat().st_size < 2048
    data = json.loads(gzip.decompress(first.read_bytes()))
    assert {p["path"] for p in data["paths"]} == {p.path for p in manifest.paths}
    assert save_snapshot("blog site/é", load_manifest(str(BUILD))) is None  # unchanged
    assert diff_manifests(read_snapshot(first), manifest).empty


def test_previous_snapshot_is_the_site_before_its_last_change(tmp_path: Path) -> None:
    before = load_manifest(str(BUILD))
    after = load_manifest(str(renamed_build(tmp_path)))
    save_snapshot("blog", before)
    assert previous_snapshot("blog", before) is None  # nothing differs yet
    save_snapshot("blog", after)
    earlier = previous_snapshot("blog", after)
    assert earlier is not None
    assert len(diff_manifests(earlier, after).tags_renamed) == 5
    assert previous_snapshot("other", after) is None


def test_only_the_newest_few_are_kept() -> None:
    for seconds in range(8):
        save_snapshot("s", _m(ManifestPath("/a", revalidate=seconds)), keep=3)
    kept = snapshots("s")
    assert len(kept) == 3
    assert read_snapshot(kept[-1]).paths[0].revalidate == 7


def test_a_damaged_snapshot_is_a_clear_error_and_is_skipped(tmp_path: Path) -> None:
    path = save_snapshot("s", _m(ManifestPath("/a")))
    assert path is not None
    path.write_bytes(gzip.compress(b'{"paths": 5}'))
    with pytest.raises(ManifestError, match="not an ISR Desk manifest snapshot"):
        read_snapshot(path)
    path.write_bytes(b"not gzip")
    with pytest.raises(ManifestError, match="Cannot read snapshot"):
        read_snapshot(path)
    assert previous_snapshot("s", _m(ManifestPath("/b"))) is None


def test_the_same_list_again_is_known_by_the_snapshots_name_without_reading_it() -> None:
    """A reload of an unchanged 100,000-page list must not read and parse the last snapshot
    (it cost ~1.7 s a load): the content digest is in the file's name."""
    manifest = _m(ManifestPath("/a", tags=("t",)), ManifestPath("/b"))
    path = save_snapshot("s", manifest)
    assert path is not None
    path.write_bytes(b"unreadable now")  # were it read, it would count as different
    assert save_snapshot("s", manifest) is None
    assert snapshots("s") == [path]


def test_a_snapshot_named_by_the_first_version_is_still_compared_by_its_content() -> None:
    manifest = _m(ManifestPath("/a", tags=("t",)))
    saved = save_snapshot("s", manifest)
    assert saved is not None
    legacy = saved.with_name("01700000000000000000.json.gz")  # no digest in the name
    saved.rename(legacy)
    assert save_snapshot("s", manifest) is None
    assert previous_snapshot("s", _m(ManifestPath("/b"))) == read_snapshot(legacy)


def test_only_the_sites_own_manifest_source_keeps_a_snapshot(tmp_path: Path) -> None:
    build = tmp_path / "site" / ".next"
    site = SiteProfile("s", "https://a.example", manifest_source=str(build))
    assert is_own_source(site, str(build))
    assert is_own_source(site, f"{tmp_path}/site/./.next/")  # the same directory
    assert not is_own_source(site, str(tmp_path / "other" / ".next"))
    url = SiteProfile("u", "https://a.example", manifest_source="https://a.example/m.json")
    assert is_own_source(url, "https://a.example/m.json")
    assert not is_own_source(url, "https://a.example/other.json")
    assert not is_own_source(SiteProfile("n", "https://a.example"), str(build))
