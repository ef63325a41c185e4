"""The loader against trimmed output of a real ``next build`` (Next 16, App + Pages Router).

The fixture (tests/fixtures/next-build/, see its README) is copied from tests/e2e/next_site.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from isr_desk.domain import DynamicRoute, Router
from isr_desk.services.manifest import _nextjs as manifest_next
from isr_desk.services.manifest import load_manifest

BUILD = Path(__file__).parents[2] / "fixtures" / "next-build"
SLUGS = ("cache-tags", "hello-world", "on-demand", "pages-router", "stale-while-revalidate")

pytestmark = pytest.mark.skipif(
    not (BUILD / "prerender-manifest.json").is_file(), reason="no real build fixture"
)


def test_paths_routers_and_revalidate() -> None:
    manifest = load_manifest(str(BUILD))
    paths = {p.path: p for p in manifest.paths}

    assert list(paths) == [  # Next's own /_not-found is not a page anyone revalidates
        "/",
        *(f"/legacy/{s}" for s in SLUGS),
        *(f"/posts/{s}" for s in SLUGS),
    ]
    assert paths["/posts/hello-world"].pattern == "/posts/[slug]"
    assert paths["/posts/hello-world"].router is Router.APP
    assert paths["/posts/hello-world"].revalidate == 3600
    assert paths["/legacy/on-demand"].pattern == "/legacy/[id]"
    assert paths["/legacy/on-demand"].router is Router.PAGES
    assert manifest.routes == (
        DynamicRoute("/legacy/[id]", Router.PAGES, None),
        DynamicRoute("/posts/[slug]", Router.APP, None),
    )
    assert manifest.warnings == ()


def test_own_tags_and_what_a_purge_touches() -> None:
    manifest = load_manifest(str(BUILD))
    own = {t.tag: t.paths for t in manifest.tags if not t.implicit}

    assert set(own) == {"posts", *(f"post:{s}" for s in SLUGS)}
    assert own["posts"] == ("/", *(f"/posts/{s}" for s in SLUGS))
    assert own["post:on-demand"] == ("/posts/on-demand",)
    by_path = {p.path: p for p in manifest.paths}
    assert by_path["/posts/on-demand"].tags == ("posts", "post:on-demand")
    assert by_path["/legacy/on-demand"].tags == ()  # Pages Router: no tags
    assert "/_not-found" not in by_path


def test_implicit_tags_are_kept_apart() -> None:
    manifest = load_manifest(str(BUILD))
    implicit = {t.tag: t.paths for t in manifest.tags if t.implicit}

    assert all(tag.startswith("_N_T_") for tag in implicit)
    assert implicit["_N_T_/posts/[slug]/page"] == tuple(f"/posts/{s}" for s in SLUGS)
    assert len(implicit["_N_T_/layout"]) == 6  # every App Router page but /_not-found
    hello = next(p for p in manifest.paths if p.path == "/posts/hello-world")
    assert hello.implicit_tags == (
        "_N_T_/layout",
        "_N_T_/posts/layout",
        "_N_T_/posts/[slug]/layout",
        "_N_T_/posts/[slug]/page",
        "_N_T_/posts/hello-world",
    )


def test_preview_keys_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = load_manifest(str(BUILD))
    monkeypatch.setattr(manifest_next.manifest_fast, "decode_prerender", lambda _: None)
    slow = load_manifest(str(BUILD))

    assert fast == slow
    assert "PLACEHOLDER-preview" not in repr(fast)
