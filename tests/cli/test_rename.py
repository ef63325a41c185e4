"""A rename walked through by the CLI on the real build fixture: choose by glob
(``--tag-match``/``--path-match``), ``manifest diff`` of two builds and since the last
snapshot, and ``--revalidate`` sending exactly what changed to a loopback site."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_sites import isr
from tests.helpers.cdn import CF_TOKEN, ZONE, FakeCloudflare
from tests.helpers.sites import LoopbackSite, Reply
from tests.services.manifest.test_diff import BUILD, renamed_build


@pytest.fixture
def build_site(
    site: LoopbackSite, unique_name: str, real_keyring: object, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    """A stored site whose manifest source is a copy of the real build (tests swap it)."""
    current = tmp_path / "site" / ".next"
    shutil.copytree(BUILD, current)
    out = isr("site", "add", unique_name, "--url", site.url, "--manifest", str(current),
              "--secret-stdin", stdin=site.secret)  # fmt: skip
    assert out.returncode == 0, out.stderr
    yield unique_name, current
    isr("site", "remove", unique_name)


def test_globs_expand_against_the_manifest_and_dry_run_lists_them(
    build_site: tuple[str, Path], site: LoopbackSite
) -> None:
    name, _ = build_site
    out = isr("revalidate", name, "--tag-match", "post:*", "--path-match", "/legacy/**",
              "--dry-run")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "5 tag(s) and 5 path(s) match; 10 page(s) touched" in out.stderr
    assert "  tag:post:hello-world" in out.stderr
    assert "  /legacy/on-demand" in out.stderr
    assert "  touches /posts/hello-world" in out.stderr
    assert "10 target(s); nothing sent" in out.stdout
    assert site.revalidated == []


def test_globs_send_what_they_match(build_site: tuple[str, Path], site: LoopbackSite) -> None:
    name, _ = build_site
    out = isr("revalidate", name, "--tag-match", "post:on-*", "--json")
    assert out.returncode == 0, out.stderr
    assert "1 tag(s) and 0 path(s) match; 1 page(s) touched" in out.stderr
    assert site.revalidated == ["tag:post:on-demand"]


def test_globs_without_a_manifest_or_without_a_match_are_exit_2(
    site: LoopbackSite, unique_name: str, real_keyring: object, build_site: tuple[str, Path]
) -> None:
    bare = unique_name + "-bare"
    isr("site", "add", bare, "--url", site.url, "--secret-stdin", stdin=site.secret)
    try:
        out = isr("revalidate", bare, "--tag-match", "post:*")
        assert out.returncode == 2
        assert "need the site's manifest" in out.stderr
        assert "Traceback" not in out.stderr
    finally:
        isr("site", "remove", bare)
    out = isr("revalidate", build_site[0], "--path-match", "/nothing/**")
    assert out.returncode == 2
    assert "No tag or path of the manifest matches" in out.stderr
    assert site.revalidated == []


def test_diff_of_two_builds_shows_the_rename(tmp_path: Path) -> None:
    renamed = renamed_build(tmp_path)
    out = isr("manifest", "diff", str(BUILD), str(renamed))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "Changes: 5 tags renamed, 5 pages changed."
    assert "Tags renamed (5)" in out.stdout
    assert "~ post:hello-world -> article:hello-world" in out.stdout
    assert "* /posts/hello-world: tags posts, post:hello-world -> posts, article:hello-world" in (
        out.stdout
    )
    data = json.loads(isr("manifest", "diff", str(BUILD), str(renamed), "--json").stdout)
    assert {"old": "post:on-demand", "new": "article:on-demand"} in data["tags_renamed"]
    assert data["summary"] == "Changes: 5 tags renamed, 5 pages changed."
    assert data["pages_added"] == data["pages_removed"] == []
    # Each page's only change is the renamed tag: the 5 new tag names refresh all of them.
    assert sorted(data["targets"]) == sorted(f"tag:{r['new']}" for r in data["tags_renamed"])


def test_diff_needs_two_sources_or_since_last() -> None:
    out = isr("manifest", "diff", str(BUILD))
    assert out.returncode == 2
    assert "two sources" in out.stderr


def test_since_last_deploy_revalidates_exactly_what_changed(
    build_site: tuple[str, Path], site: LoopbackSite, tmp_path: Path
) -> None:
    name, current = build_site
    assert isr("manifest", name, "--json").returncode == 0  # loading keeps a snapshot
    out = isr("manifest", "diff", "--since-last", name)
    assert out.returncode == 2
    assert "no earlier snapshot" in out.stderr
    # The deploy: the same site rebuilt with its tag scheme renamed.
    shutil.rmtree(current)
    shutil.copytree(renamed_build(tmp_path), current)
    out = isr("manifest", "diff", "--since-last", name, "--revalidate", name)
    assert out.returncode == 0, out.stderr
    # Starts with the sentence the "What changed" window shows for the same change.
    first = out.stdout.splitlines()[0]
    assert first.startswith("Since the list of pages saved on ")
    assert first.endswith(": 5 tags renamed, 5 pages changed."), first
    assert "~ post:hello-world -> article:hello-world" in out.stdout
    expected = {f"tag:article:{s}" for s in ("cache-tags", "hello-world", "on-demand",
                "pages-router", "stale-while-revalidate")}  # fmt: skip
    assert sorted(site.revalidated) == sorted(expected)  # the new names; no page twice
    # The snapshot moved on, and the diff is still there to be seen (the change before now).
    again = isr("manifest", "diff", "--since-last", name, "--json")
    assert len(json.loads(again.stdout)["tags_renamed"]) == 5


def test_loading_another_source_keeps_no_snapshot_of_the_site(
    build_site: tuple[str, Path], site: LoopbackSite, tmp_path: Path, isr_home: Path
) -> None:
    name, current = build_site

    def kept() -> int:
        return len(list(isr_home.rglob("snapshots/*/*.json.gz")))

    assert isr("manifest", name, "--json").returncode == 0  # its own source: kept
    assert kept() == 1
    other = renamed_build(tmp_path)
    assert isr("manifest", name, "--source", str(other), "--json").returncode == 0  # a look
    assert kept() == 1
    out = isr("manifest", "diff", "--since-last", name)
    # Production did not change: the other build did not become "the list before".
    assert out.returncode == 2
    assert "no earlier snapshot" in out.stderr
    # The site's own source in another spelling is its own source: the snapshot is kept.
    shutil.rmtree(current)
    shutil.copytree(other, current)
    spelled = str(current.parent / "." / ".next") + "/"
    assert isr("manifest", name, "--source", spelled, "--json").returncode == 0
    assert kept() == 2


def test_a_site_that_cannot_revalidate_tags_gets_the_renamed_pages_by_path(
    site: LoopbackSite, unique_name: str, real_keyring: object, tmp_path: Path
) -> None:
    current = tmp_path / "site" / ".next"
    shutil.copytree(BUILD, current)
    out = isr("site", "add", unique_name, "--url", site.url, "--preset", "pages-router",
              "--manifest", str(current), "--secret-stdin", stdin=site.secret)  # fmt: skip
    assert out.returncode == 0, out.stderr
    try:
        assert isr("manifest", unique_name, "--json").returncode == 0
        shutil.rmtree(current)
        shutil.copytree(renamed_build(tmp_path), current)
        out = isr("manifest", "diff", "--since-last", unique_name, "--revalidate", unique_name)
        assert out.returncode == 0, out.stderr
        pages = {f"path:/posts/{s}" for s in ("cache-tags", "hello-world", "on-demand",
                 "pages-router", "stale-while-revalidate")}  # fmt: skip
        # A tag would be refused ("cannot revalidate cache tags"): each page goes by path.
        assert "To refresh: 5 target(s): /posts/" in out.stdout
        assert sorted(site.revalidated) == sorted(pages)
    finally:
        isr("site", "remove", unique_name)


def test_a_tag_the_manifest_no_longer_lists_is_warned_about_before_sending(
    build_site: tuple[str, Path], site: LoopbackSite
) -> None:
    name, _ = build_site
    out = isr("revalidate", name, "--tag", "category-guides", "--tag", "posts")
    assert out.returncode == 0, out.stderr
    assert (
        "warning: tag 'category-guides' is not in the site's list of tags (renamed? see "
        f"isr-desk manifest diff --since-last {name})"
    ) in out.stderr
    assert "'posts'" not in out.stderr  # a listed tag is not warned about
    assert sorted(site.revalidated) == ["tag:category-guides", "tag:posts"]  # still sent


def test_strict_targets_sends_nothing_when_a_tag_is_unknown(
    build_site: tuple[str, Path], site: LoopbackSite
) -> None:
    name, _ = build_site
    out = isr("revalidate", name, "--tag", "category-guides", "--strict-targets")
    assert out.returncode == 2
    assert "warning: tag 'category-guides' is not in the site's list of tags" in out.stderr
    assert "nothing was sent" in out.stderr
    assert site.revalidated == []
    out = isr("revalidate", name, "--tag", "posts", "--strict-targets")
    assert out.returncode == 0, out.stderr
    assert site.revalidated == ["tag:posts"]


def test_a_manifest_that_does_not_load_adds_nothing_and_blocks_nothing(
    build_site: tuple[str, Path], site: LoopbackSite
) -> None:
    name, current = build_site
    shutil.rmtree(current)  # the build is gone: no list to check against
    out = isr("revalidate", name, "--tag", "category-guides", "--strict-targets")
    assert out.returncode == 0, out.stderr
    assert "warning" not in out.stderr
    assert site.revalidated == ["tag:category-guides"]


def test_globs_and_the_tag_check_load_the_manifest_once(
    site: LoopbackSite, unique_name: str, real_keyring: object
) -> None:
    """--tag-match selects from the manifest, the unknown-tag check reads it again: one
    download (at 100,000 routes a load is seconds)."""
    doc = {"version": 1, "paths": [{"path": "/a", "tags": ["post:a", "posts"]}]}
    site.on("/isr-manifest.json", lambda _rec: Reply(200, doc), repeat=True)
    out = isr("site", "add", unique_name, "--url", site.url, "--manifest", "/isr-manifest.json",
              "--secret-stdin", stdin=site.secret)  # fmt: skip
    assert out.returncode == 0, out.stderr
    try:
        out = isr("revalidate", unique_name, "--tag-match", "post:*", "--tag", "old-name")
        assert out.returncode == 0, out.stderr
        assert "warning: tag 'old-name' is not in the site's list of tags" in out.stderr
        assert sorted(site.revalidated) == ["tag:old-name", "tag:post:a"]
        assert site.count("/isr-manifest.json") == 1
    finally:
        isr("site", "remove", unique_name)


@pytest.fixture
def cloudflare(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudflare]:
    """A loopback Cloudflare API in the real one's place (tests/helpers/cdn.py)."""
    with FakeCloudflare() as api:
        monkeypatch.setenv("ISR_DESK_CLOUDFLARE_API", api.api)
        monkeypatch.setenv("CF_TOKEN", CF_TOKEN)
        yield api


@pytest.fixture
def cdn_build_site(
    site: LoopbackSite,
    unique_name: str,
    real_keyring: object,
    tmp_path: Path,
    cloudflare: FakeCloudflare,
) -> Iterator[tuple[str, Path]]:
    """A stored site on the real build, with a loopback Cloudflare that purges by default;
    its manifest loaded once (a snapshot), then the build swapped for the renamed one."""
    current = tmp_path / "site" / ".next"
    shutil.copytree(BUILD, current)
    out = isr("site", "add", unique_name, "--url", site.url, "--manifest", str(current),
              "--cdn", "cloudflare", "--cdn-zone", ZONE, "--cdn-token-env", "CF_TOKEN",
              "--cdn-by-default", "--secret-stdin", stdin=site.secret)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert isr("manifest", unique_name, "--json").returncode == 0
    shutil.rmtree(current)
    shutil.copytree(renamed_build(tmp_path), current)
    yield unique_name, current
    isr("site", "remove", unique_name)


NEW_TAGS = sorted(f"article:{s}" for s in ("cache-tags", "hello-world", "on-demand",
                  "pages-router", "stale-while-revalidate"))  # fmt: skip


def test_diff_revalidate_purges_the_cdn_of_a_site_set_to_purge_by_default(
    cdn_build_site: tuple[str, Path], site: LoopbackSite, cloudflare: FakeCloudflare
) -> None:
    name, _ = cdn_build_site
    out = isr("manifest", "diff", "--since-last", name, "--revalidate", name)
    assert out.returncode == 0, out.stderr
    assert sorted(site.revalidated) == [f"tag:{t}" for t in NEW_TAGS]
    assert [kind for kind, _ in cloudflare.purged] == ["tags"]
    assert sorted(cloudflare.purged[0][1]) == NEW_TAGS
    assert "CDN (cdn: Cloudflare): 5 of 5 purged, 0 failed" in out.stdout
    # --no-purge-cdn: the origin only (the diff since the last list is the same change).
    out = isr("manifest", "diff", "--since-last", name, "--revalidate", name, "--no-purge-cdn")
    assert out.returncode == 0, out.stderr
    assert len(site.revalidated) == 10
    assert len(cloudflare.purged) == 1


def test_diff_revalidate_verifies_with_verify(
    cdn_build_site: tuple[str, Path], site: LoopbackSite, cloudflare: FakeCloudflare
) -> None:
    name, _ = cdn_build_site
    out = isr("manifest", "diff", "--since-last", name, "--revalidate", name, "--json",
              "--verify")  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    verified = [line["verify"] for line in lines if "verify" in line]
    assert len(verified) == 5  # one per page of the renamed tags
    assert "summary" in lines[-1]


def test_diff_dry_run_prints_the_requests_and_the_cdn_calls_and_sends_nothing(
    cdn_build_site: tuple[str, Path], site: LoopbackSite, cloudflare: FakeCloudflare
) -> None:
    name, _ = cdn_build_site
    out = isr("manifest", "diff", "--since-last", name, "--revalidate", name, "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "Dry run: 5 request(s) for 5 target(s); nothing sent." in out.stdout
    assert "cdn: Cloudflare: purge 5 tags: " in out.stdout
    assert "?secret=•••" in out.stdout  # the secret never printed
    assert site.secret not in out.stdout
    assert site.revalidated == []
    assert cloudflare.purged == []


def test_diff_run_options_need_revalidate(tmp_path: Path) -> None:
    out = isr("manifest", "diff", str(BUILD), str(renamed_build(tmp_path)), "--dry-run")
    assert out.returncode == 2
    assert "go with --revalidate SITE" in out.stderr


def test_an_unknown_revalidate_site_fails_before_the_diff_is_printed(tmp_path: Path) -> None:
    out = isr("manifest", "diff", str(BUILD), str(renamed_build(tmp_path)),
              "--revalidate", "nosuch-site")  # fmt: skip
    assert out.returncode == 2
    assert out.stdout == ""
    assert "nosuch-site" in out.stderr
    assert "Traceback" not in out.stderr
