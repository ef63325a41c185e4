"""The Next.js build loader against small synthetic builds (tests/fixtures/manifests/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from isr_desk.domain import DynamicRoute, Manifest, Router
from isr_desk.services.errors import ManifestError
from isr_desk.services.manifest import _nextjs as manifest_next
from isr_desk.services.manifest import detect_kind, load_manifest

FIXTURES = Path(__file__).parents[2] / "fixtures" / "manifests"
PREVIEW_MARK = "MUST-NOT-LEAK"


def _everything(manifest: Manifest) -> str:
    return repr(manifest)


def _tags(manifest: Manifest) -> dict[str, tuple[str, ...]]:
    return {t.tag: t.paths for t in manifest.tags}


def test_next12_v3_pages_router() -> None:
    manifest = load_manifest(str(FIXTURES / "next12-v3"))

    assert manifest.kind == "next-build"
    assert [p.path for p in manifest.paths] == [
        "/",
        "/about",
        "/blog/first-post",
        "/blog/second-post",
    ]
    first = manifest.paths[2]
    assert first.pattern == "/blog/[slug]"
    assert first.revalidate == 60
    assert first.router is Router.PAGES
    assert manifest.paths[1].revalidate is False
    assert manifest.paths[1].pattern is None
    assert manifest.tags == ()  # Pages Router output has no tags
    assert manifest.routes == (
        DynamicRoute("/blog/[slug]", Router.PAGES, "/blog/[slug].html"),
        DynamicRoute("/docs/[...path]", Router.PAGES, False),
    )
    assert manifest.warnings == ()
    assert PREVIEW_MARK not in _everything(manifest)


def test_dot_next_dir_and_prerender_file_are_accepted_too() -> None:
    by_project = load_manifest(str(FIXTURES / "next12-v3"))
    by_dist = load_manifest(str(FIXTURES / "next12-v3" / ".next"))
    by_file = load_manifest(str(FIXTURES / "next12-v3" / ".next" / "prerender-manifest.json"))

    assert by_project.paths == by_dist.paths == by_file.paths


def test_app_router_tags_from_meta_and_initial_headers() -> None:
    manifest = load_manifest(str(FIXTURES / "app-v4"))
    paths = {p.path: p for p in manifest.paths}

    hello = paths["/blog/hello"]
    assert hello.router is Router.APP
    assert hello.revalidate == 30.5
    assert hello.tags == ("posts", "post:hello")
    assert hello.implicit_tags[0] == "_N_T_/layout"
    assert "_N_T_/blog/hello" in hello.implicit_tags
    assert paths["/"].tags == ("home",)
    # a route handler's tags live in initialHeaders
    assert paths["/api/feed"].tags == ("feed",)
    assert "_N_T_/api/feed/route" in paths["/api/feed"].implicit_tags
    # a percent-encoded route reads the .meta file of its decoded name
    assert paths["/blog/caf%C3%A9"].tags == ("posts", "post:café")
    # an escaped quote in the header falls back to a real JSON parse
    assert paths["/blog/quoted"].tags == ("posts", 'post:"quoted"')

    tags = _tags(manifest)
    assert tags["posts"] == ("/blog/caf%C3%A9", "/blog/hello", "/blog/quoted")
    assert len(tags["_N_T_/layout"]) == 6  # not /blog/broken: its .meta is unreadable


def test_implicit_tags_are_flagged_and_listed_after_own_tags() -> None:
    manifest = load_manifest(str(FIXTURES / "app-v4"))
    flags = [t.implicit for t in manifest.tags]

    assert flags == sorted(flags)  # all own tags first
    assert all(t.tag.startswith("_N_T_") == t.implicit for t in manifest.tags)
    own = [t.tag for t in manifest.tags if not t.implicit]
    assert own == sorted(own)


def test_app_warnings_limits_and_bad_meta() -> None:
    manifest = load_manifest(str(FIXTURES / "app-v4"))
    text = "\n".join(manifest.warnings)

    assert "more than 128 tags" in text
    assert "/blog/many (131)" in text
    assert "longer than 256 characters" in text
    assert "blog/broken.meta" in text
    assert PREVIEW_MARK not in _everything(manifest)


def test_dynamic_routes_with_fallback_kinds() -> None:
    manifest = load_manifest(str(FIXTURES / "app-v4"))

    assert manifest.routes == (
        DynamicRoute("/blog/[slug]", Router.APP, None),
        DynamicRoute("/shop/[id]", Router.APP, False),
    )


def test_base_path_and_locales_from_routes_manifest() -> None:
    manifest = load_manifest(str(FIXTURES / "next-i18n"))

    assert manifest.base_path == "/docs"
    assert manifest.locales == ("en", "fr")
    assert manifest.site is not None
    assert manifest.site.base_path == "/docs"
    text = "\n".join(manifest.warnings)
    # No warning leads to a no-op: revalidatePath takes paths WITHOUT the base path, and
    # ISR Desk sends them that way, so nothing tells users to add it.
    assert "/docs" not in text
    assert "localised (en, fr)" in text


def test_next_dev_stub_is_explained() -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(str(FIXTURES / "next-dev"))
    assert "`next dev`" in info.value.message
    assert "next build" in (info.value.hint or "")
    assert PREVIEW_MARK not in info.value.describe()


def test_next16_dev_dir_is_explained() -> None:
    with pytest.raises(ManifestError, match="only `next dev` output"):
        load_manifest(str(FIXTURES / "next16-dev"))


def test_dev_stub_with_empty_route_entries(tmp_path: Path) -> None:
    dist = tmp_path / ".next"
    dist.mkdir()
    doc = {"version": 4, "routes": {"/a": {}, "/b": {}}, "dynamicRoutes": {}, "preview": {}}
    (dist / "prerender-manifest.json").write_text(json.dumps(doc))
    (dist / "BUILD_ID").write_text("x")

    with pytest.raises(ManifestError, match="stub manifest `next dev` writes"):
        load_manifest(str(tmp_path))


def test_a_real_build_without_prerendered_pages_is_empty_not_an_error(tmp_path: Path) -> None:
    dist = tmp_path / ".next"
    dist.mkdir()
    (dist / "prerender-manifest.json").write_text(
        json.dumps({"version": 4, "routes": {}, "dynamicRoutes": {}, "preview": {}})
    )
    (dist / "BUILD_ID").write_text("x")

    manifest = load_manifest(str(tmp_path))
    assert manifest.paths == ()
    assert manifest.tags == ()


def test_directory_without_a_build(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(str(tmp_path))
    assert str(tmp_path) in info.value.message
    assert "no Next.js build" in info.value.message


def test_unfinished_build() -> None:
    with pytest.raises(ManifestError, match=r"no prerender-manifest\.json"):
        load_manifest(str(FIXTURES / "unfinished"))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"version": 4, "routes": {"/a": {"srcRoute"', "ends too early"),
        (b"not json at all", "not valid JSON"),
        (b'{"version": 4, "routes": [], "dynamicRoutes": {}}', "must be objects"),
        (b'{"version": 4, "routes": {"/a": 3}, "dynamicRoutes": {}}', "not an object"),
        (b'{"version": "4", "routes": {}, "dynamicRoutes": {}}', '"version"'),
        (b'{"routes": {}}', "not a Next.js prerender manifest"),
        (b"[1, 2]", "not a Next.js prerender manifest"),
    ],
)
def test_bad_prerender_manifest(tmp_path: Path, content: bytes, problem: str) -> None:
    dist = tmp_path / ".next"
    dist.mkdir()
    (dist / "prerender-manifest.json").write_bytes(content)

    with pytest.raises(ManifestError) as info:
        load_manifest(str(tmp_path))
    assert problem in info.value.message
    assert str(tmp_path) in info.value.message


def test_unknown_version_is_read_with_a_warning(tmp_path: Path) -> None:
    dist = tmp_path / ".next"
    dist.mkdir()
    doc = {"version": 5, "routes": {"/a": {"initialRevalidateSeconds": 5}}, "dynamicRoutes": {}}
    (dist / "prerender-manifest.json").write_text(json.dumps(doc))

    manifest = load_manifest(str(tmp_path))
    assert [p.path for p in manifest.paths] == ["/a"]
    assert any("version 5" in w for w in manifest.warnings)


def test_preview_values_never_reach_warnings(tmp_path: Path) -> None:
    """Even a route named like the secret is scrubbed from warnings (defence in depth)."""
    secret = "preview-secret-value-xyz"
    dist = tmp_path / ".next"
    dist.mkdir()
    doc = {
        "version": 4,
        "routes": {secret: {"initialRevalidateSeconds": 1}},
        "dynamicRoutes": {},
        "preview": {"previewModeId": secret},
    }
    (dist / "prerender-manifest.json").write_text(json.dumps(doc))

    manifest = load_manifest(str(tmp_path))
    assert manifest.warnings  # the path has no leading slash
    assert all(secret not in w for w in manifest.warnings)


def test_the_json_path_for_unexpected_shapes_gives_the_same_manifest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = load_manifest(str(FIXTURES / "app-v4"))
    monkeypatch.setattr(manifest_next.manifest_fast, "decode_prerender", lambda _: None)
    slow = load_manifest(str(FIXTURES / "app-v4"))

    assert fast == slow


def test_oversized_prerender_manifest(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "next12-v3", tmp_path / "site")

    with pytest.raises(ManifestError) as info:
        load_manifest(str(tmp_path / "site"), max_bytes=100)
    assert "larger than the 100 bytes limit" in info.value.message


def test_detect_kind() -> None:
    assert detect_kind(str(FIXTURES / "next12-v3")) == "next-build"
    assert detect_kind("/srv/site/.next/prerender-manifest.json") == "next-build"
    assert detect_kind(str(FIXTURES / "isr-manifest.json")) == "json"
    assert detect_kind(str(FIXTURES / "sitemap.xml")) == "sitemap"
    assert detect_kind(str(FIXTURES / "paths.txt")) == "list"
    assert detect_kind("https://example.com/sitemap.xml") == "sitemap"
    assert detect_kind("https://example.com/isr-manifest.json") == "json"
    assert detect_kind("/isr-manifest.json") == "json"


def _write_build(root: Path, routes: dict[str, dict[str, object]], metas: dict[str, str]) -> Path:
    dist = root / ".next"
    (dist / "server" / "app").mkdir(parents=True)
    for name, tags in metas.items():
        meta = dist / "server" / "app" / name
        meta.parent.mkdir(parents=True, exist_ok=True)
        body = (
            tags if tags.startswith("{") else json.dumps({"headers": {"x-next-cache-tags": tags}})
        )
        meta.write_text(body)
    manifest = {"version": 4, "routes": routes, "dynamicRoutes": {}, "preview": {}}
    (dist / "prerender-manifest.json").write_text(json.dumps(manifest))
    (dist / "BUILD_ID").write_text("test")
    return root


def test_many_pages_share_one_object_per_tag_and_one_tuple_per_page(tmp_path: Path) -> None:
    routes = {f"/p/{i}": {"srcRoute": "/p/[i]", "dataRoute": f"/p/{i}.rsc"} for i in (2, 1, 3)}
    metas = {f"p/{i}.meta": f"_N_T_/layout,_N_T_/p/{i},posts,post:{i}" for i in (1, 2, 3)}
    manifest = load_manifest(str(_write_build(tmp_path, routes, metas)))

    assert [p.path for p in manifest.paths] == ["/p/1", "/p/2", "/p/3"]
    first, second = manifest.paths[0], manifest.paths[1]
    assert first.tags == ("posts", "post:1")
    assert first.tags[0] is second.tags[0]  # canonical: one string for every page's "posts"
    assert first.implicit_tags[0] is second.implicit_tags[0]
    assert first.pattern is second.pattern
    tags = {t.tag: t for t in manifest.tags}
    assert tags["posts"].paths == ("/p/1", "/p/2", "/p/3")
    assert tags["post:1"].paths == ("/p/1",)
    assert tags["post:1"].paths is tags["_N_T_/p/1"].paths  # a page's single-page tags share
    assert [t.tag for t in manifest.tags] == [
        "post:1", "post:2", "post:3", "posts", "_N_T_/layout", "_N_T_/p/1", "_N_T_/p/2",
        "_N_T_/p/3",
    ]  # fmt: skip


def test_repeated_tags_in_a_header_are_listed_once(tmp_path: Path) -> None:
    routes = {"/a": {"dataRoute": "/a.rsc"}, "/b": {"dataRoute": "/b.rsc"}}
    metas = {"a.meta": "_N_T_/x,_N_T_/x,posts,posts,own", "b.meta": "posts,,_N_T_/y,posts"}
    manifest = load_manifest(str(_write_build(tmp_path, routes, metas)))

    a, b = manifest.paths
    assert (a.tags, a.implicit_tags) == (("posts", "own"), ("_N_T_/x",))
    assert (b.tags, b.implicit_tags) == (("posts",), ("_N_T_/y",))
    assert {t.tag: t.paths for t in manifest.tags}["posts"] == ("/a", "/b")


def test_a_pattern_takes_the_router_of_its_first_route_in_manifest_order(tmp_path: Path) -> None:
    # "/z" comes first in the manifest but last in path order: its router decides.
    routes = {
        "/z": {"srcRoute": "/[x]", "dataRoute": "/_next/data/B/z.json"},
        "/a": {"srcRoute": "/[x]", "dataRoute": "/a.rsc"},
    }
    build = _write_build(tmp_path, routes, {})
    prerender = build / ".next" / "prerender-manifest.json"
    doc = json.loads(prerender.read_text())
    doc["dynamicRoutes"] = {"/[x]": {"dataRoute": None, "fallback": None}}
    prerender.write_text(json.dumps(doc))

    manifest = load_manifest(str(build))

    assert manifest.routes == (DynamicRoute("/[x]", Router.PAGES, None),)


def test_unreadable_meta_files_are_reported_in_manifest_order(tmp_path: Path) -> None:
    names = ["/c", "/a", "/d", "/b"]
    routes = {p: {"dataRoute": f"{p}.rsc"} for p in names}
    metas = {f"{p[1:]}.meta": "{broken" for p in names}
    manifest = load_manifest(str(_write_build(tmp_path, routes, metas)))

    assert manifest.warnings == (
        "unreadable .meta files, their tags skipped (4): 'c.meta', 'a.meta', 'd.meta' and 1 more",
    )


def test_odd_route_names_read_the_meta_file_their_name_points_at(tmp_path: Path) -> None:
    routes = {"/": {"dataRoute": "/index.rsc"}, "rel": {"dataRoute": "rel.rsc"}}
    metas = {"index.meta": "home", "rel.meta": "inside"}
    build = _write_build(tmp_path, routes, metas)
    (build / ".next" / "server" / "apprel.meta").write_text(
        json.dumps({"headers": {"x-next-cache-tags": "beside"}})
    )
    manifest = load_manifest(str(build))

    assert {p.path: p.tags for p in manifest.paths} == {"/": ("home",), "rel": ("beside",)}


def test_without_relative_opens_the_meta_files_give_the_same_manifest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relative = load_manifest(str(FIXTURES / "app-v4"))
    monkeypatch.setattr(manifest_next.os, "supports_dir_fd", set())

    assert load_manifest(str(FIXTURES / "app-v4")) == relative
