"""ISR Desk JSON manifests, sitemaps and plain lists from local files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isr_desk.domain import DynamicRoute, ManifestPath, Router
from isr_desk.services.errors import ManifestError
from isr_desk.services.manifest import ManifestBuilder, load_manifest

FIXTURES = Path(__file__).parents[2] / "fixtures" / "manifests"


def _write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


# --- ISR Desk JSON -----------------------------------------------------------------------------


def test_json_manifest_fixture() -> None:
    manifest = load_manifest(str(FIXTURES / "isr-manifest.json"))

    assert manifest.kind == "json"
    assert [p.path for p in manifest.paths] == ["/", "/about", "/posts/a", "/posts/b"]
    post_a = manifest.paths[2]
    assert post_a.pattern == "/posts/[slug]"
    assert post_a.tags == ("posts", "post:a")
    assert post_a.revalidate == 3600
    assert post_a.router is Router.APP
    assert manifest.paths[3].revalidate is False
    tags = {t.tag: t.paths for t in manifest.tags}
    assert tags["posts"] == ("/posts/a", "/posts/b")
    assert tags["menu"] == ("/", "/about")  # declared paths of a tag
    assert tags["newsletter"] == ()  # declared, touches no known path
    assert manifest.routes == (DynamicRoute("/posts/[slug]", Router.APP, None),)
    assert manifest.warnings == ()


def test_demo_site_shape_is_accepted(tmp_path: Path) -> None:
    doc = {
        "version": 1,
        "paths": [{"path": "/a", "tags": ["posts"], "revalidate": 60}],
        "tags": [{"tag": "posts"}],
    }
    manifest = load_manifest(_write(tmp_path, "m.json", json.dumps(doc)))

    assert [(p.path, p.tags, p.revalidate) for p in manifest.paths] == [("/a", ("posts",), 60)]
    assert [(t.tag, t.paths, t.implicit) for t in manifest.tags] == [("posts", ("/a",), False)]


def test_bare_list_of_paths(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, "m.json", '["/b", "/a"]'))
    assert [p.path for p in manifest.paths] == ["/a", "/b"]


def test_json_warnings(tmp_path: Path) -> None:
    doc = {
        "version": 2,
        "paths": [
            {"path": "/a", "tags": ["t"] * 2 + [f"x{i}" for i in range(130)]},
            {"path": "/a"},
            {"path": "no-slash"},
            {"path": "/" + "p" * 1100},
            {"path": "/b", "tags": ["y" * 300]},
        ],
        "tags": ["t", "t", ""],
    }
    manifest = load_manifest(_write(tmp_path, "m.json", json.dumps(doc)))
    text = "\n".join(manifest.warnings)

    assert "version 2 is newer" in text
    assert "duplicate path entries, merged (1): '/a'" in text
    assert "duplicate tag entries, merged (1): 't'" in text
    assert "empty tag names" in text
    assert "do not start with '/'" in text
    assert "'no-slash'" in text
    assert "longer than 1024 characters" in text
    assert "more than 128 tags" in text
    assert "longer than 256 characters" in text
    assert manifest.paths[0].tags.count("t") == 1  # repeats within an entry are dropped


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ('"just a string"', 'expected a JSON object with a "paths" list'),
        ('{"version": 1}', 'no "paths" or "tags" list'),
        ('{"version": "1", "paths": []}', '"version" must be a positive integer'),
        ('{"paths": {"/a": {}}}', '"paths" must be a list'),
        ('{"paths": [3]}', "paths[0]: expected a path string"),
        ('{"paths": [{"tags": []}]}', 'paths[0]: "path" is missing'),
        ('{"paths": [{"path": 3}]}', 'paths[0]: "path" must be a string'),
        ('{"paths": [{"path": "/a", "tags": "posts"}]}', '"tags" must be a list of strings'),
        ('{"paths": [{"path": "/a", "revalidate": "60"}]}', '"revalidate" must be seconds'),
        ('{"paths": [{"path": "/a", "revalidate": -1}]}', '"revalidate" must be seconds'),
        ('{"paths": [{"path": "/a", "router": "vue"}]}', '"router" must be "app" or "pages"'),
        ('{"paths": [], "tags": [{"paths": []}]}', 'tags[0]: "tag" is missing'),
        ('{"paths": [], "routes": [{"fallback": 3, "pattern": "/x"}]}', '"fallback" must be'),
        ('{"paths": [{"path": "/a", "revalidate": NaN}]}', "unsupported JSON value"),
        ('{"paths": [{"path": "/a"}', "ends too early"),
        ("{'paths': []}", "not valid JSON"),
    ],
)
def test_json_shape_errors(tmp_path: Path, doc: str, problem: str) -> None:
    source = _write(tmp_path, "m.json", doc)
    with pytest.raises(ManifestError) as info:
        load_manifest(source)
    assert problem in info.value.message
    assert info.value.message.startswith(source)


def test_json_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not UTF-8"):
        load_manifest(_write(tmp_path, "m.json", b'{"paths": ["/\xff"]}'))


def test_json_deeply_nested(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="nested too deeply"):
        load_manifest(_write(tmp_path, "m.json", "[" * 100_000 + "]" * 100_000))


def test_oversized_file_says_the_cap(tmp_path: Path) -> None:
    source = _write(tmp_path, "m.json", '{"paths": []}' + " " * 5000)
    with pytest.raises(ManifestError) as info:
        load_manifest(source, max_bytes=4096)
    assert info.value.message == f"{source}: larger than the 4 KiB limit for manifests"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no such file or directory"):
        load_manifest(str(tmp_path / "nope.json"))


def test_empty_source() -> None:
    with pytest.raises(ManifestError, match="no manifest source"):
        load_manifest("  ")


def test_unsupported_scheme() -> None:
    with pytest.raises(ManifestError, match="unsupported URL scheme 'ftp'"):
        load_manifest("ftp://example.com/m.json")


def test_file_url(tmp_path: Path) -> None:
    source = _write(tmp_path, "m.json", '{"paths": ["/x"]}')
    manifest = load_manifest(Path(source).as_uri())
    assert [p.path for p in manifest.paths] == ["/x"]


# --- sitemap -----------------------------------------------------------------------------------


def test_sitemap_fixture() -> None:
    manifest = load_manifest(str(FIXTURES / "sitemap.xml"), base_url="https://example.com")

    assert manifest.kind == "sitemap"
    assert [p.path for p in manifest.paths] == ["/", "/elsewhere", "/posts/a", "/posts/b"]
    assert any("another host" in w and "other.example.org" in w for w in manifest.warnings)


def test_local_sitemap_index_reads_sibling_files() -> None:
    manifest = load_manifest(str(FIXTURES / "sitemap-index.xml"))
    assert [p.path for p in manifest.paths] == ["/", "/about", "/posts/a", "/posts/b"]


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(str(FIXTURES / "billion-laughs.xml"))
    assert "entity expansion" in info.value.message
    assert "billion-laughs.xml" in info.value.message


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("/from-a-local-file")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<urlset><url><loc>https://e.com&x;</loc></url></urlset>"
    )
    with pytest.raises(ManifestError, match="entit"):
        load_manifest(_write(tmp_path, "s.xml", xml))


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        ("<urlset><url><loc>https://e.com/a</loc></url>", "not well-formed XML (line 1"),
        ("<rss><channel/></rss>", "XML but not a sitemap (root element <rss>)"),
        ("<!DOCTYPE html><html><body>Not found</body></html>", "HTML page"),
    ],
)
def test_bad_sitemaps(tmp_path: Path, xml: str, problem: str) -> None:
    with pytest.raises(ManifestError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        load_manifest(_write(tmp_path, "sitemap.xml", xml))


def test_sitemap_skips_non_url_locs(tmp_path: Path) -> None:
    xml = (
        "<urlset><url><loc>/relative</loc></url><url><loc>mailto:a@b</loc></url>"
        "<url><loc>https://e.com/x#frag</loc></url><url><loc></loc></url></urlset>"
    )
    manifest = load_manifest(_write(tmp_path, "s.xml", xml))

    assert [p.path for p in manifest.paths] == ["/relative", "/x"]
    text = "\n".join(manifest.warnings)
    assert "neither a path nor an http(s) URL" in text
    assert "mailto:a@b" in text
    assert "query or fragment" in text


# --- plain list --------------------------------------------------------------------------------


def test_list_fixture() -> None:
    manifest = load_manifest(str(FIXTURES / "paths.txt"))

    assert manifest.kind == "list"
    assert [p.path for p in manifest.paths] == [
        "/",
        "/posts/a",
        "/posts/b",
        "/posts/c",
    ]
    assert [(t.tag, t.paths) for t in manifest.tags] == [("menu", ()), ("posts", ())]
    text = "\n".join(manifest.warnings)
    assert "duplicate path entries, merged (1): '/posts/a'" in text
    assert "neither a path nor an http(s) URL, skipped (1): 'posts/no-slash'" in text
    assert "query or fragment" in text


def test_list_of_only_comments_is_empty(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, "l.txt", "# nothing yet\n\n   \n"))
    assert manifest.paths == ()
    assert manifest.tags == ()


def test_list_with_crlf_and_bom(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, "l.txt", b"\xef\xbb\xbf/a\r\ntag:x\r\n"))
    assert [p.path for p in manifest.paths] == ["/a"]
    assert [t.tag for t in manifest.tags] == ["x"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"/a\n\x00\x01binary", "control characters"),
        (b"/caf\xe9\n", "not UTF-8 text"),
        (b"<html><head><title>Login</title></head></html>", "HTML page"),
    ],
)
def test_bad_lists(tmp_path: Path, content: bytes, problem: str) -> None:
    with pytest.raises(ManifestError, match=problem):
        load_manifest(_write(tmp_path, "l.txt", content))


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    as_json = load_manifest(_write(tmp_path, "manifest", '{"paths": ["/j"]}'))
    as_xml = load_manifest(_write(tmp_path, "sitemap", "<urlset><url><loc>/s</loc></url></urlset>"))
    as_list = load_manifest(_write(tmp_path, "paths", "/l\n"))

    assert (as_json.kind, as_xml.kind, as_list.kind) == ("json", "sitemap", "list")
    assert [m.paths[0].path for m in (as_json, as_xml, as_list)] == ["/j", "/s", "/l"]


def test_a_json_file_holding_a_prerender_manifest(tmp_path: Path) -> None:
    doc = {
        "version": 4,
        "routes": {"/a": {"initialRevalidateSeconds": 5, "dataRoute": "/a.rsc"}},
        "dynamicRoutes": {},
        "preview": {"previewModeId": "p-MUST-NOT-LEAK-123456"},
    }
    manifest = load_manifest(_write(tmp_path, "copy.json", json.dumps(doc)))

    assert manifest.kind == "next-build"
    assert [p.path for p in manifest.paths] == ["/a"]
    assert any(".meta files" in w for w in manifest.warnings)  # no build dir: no tags
    assert "MUST-NOT-LEAK" not in repr(manifest)


def test_builder_merges_sorted_pages_with_pages_added_later() -> None:
    builder = ManifestBuilder("test", "next-build")
    pages = [ManifestPath("/a", tags=("t",)), ManifestPath("/b", tags=("t",))]
    builder.add_sorted(pages, {"t": ["/a", "/b"]})
    builder.add_path("/a", tags=["u"])  # a repeat: merged like any other
    manifest = builder.build()

    assert [(p.path, p.tags) for p in manifest.paths] == [("/a", ("t", "u")), ("/b", ("t",))]
    assert {t.tag: t.paths for t in manifest.tags} == {"t": ("/a", "/b"), "u": ("/a",)}
    assert manifest.warnings == ("duplicate path entries, merged (1): '/a'",)


def test_builder_merges_two_sorted_batches() -> None:
    builder = ManifestBuilder("test", "next-build")
    builder.add_sorted([ManifestPath("/b", tags=("t",))], {"t": ("/b",)})
    builder.add_sorted([ManifestPath("/a", tags=("t",))], {"t": ("/a",)})
    manifest = builder.build()

    assert [p.path for p in manifest.paths] == ["/a", "/b"]
    assert {t.tag: t.paths for t in manifest.tags} == {"t": ("/a", "/b")}


# --- the cyclic GC is the app's business ---------------------------------------------------


def test_loading_a_big_manifest_in_a_worker_thread_leaves_the_gc_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app owns the GC (isr_desk/app.py); a service must not switch it or freeze."""
    import gc
    import threading

    calls: list[str] = []
    for name in ("disable", "enable", "freeze", "unfreeze", "collect", "set_threshold"):
        monkeypatch.setattr(gc, name, lambda *_, name=name: calls.append(name))
    big = _write(tmp_path, "big.txt", "".join(f"/p/{i}\n" for i in range(30_000)))
    loaded: list[int] = []
    worker = threading.Thread(target=lambda: loaded.append(len(load_manifest(big).paths)))
    worker.start()
    worker.join()
    assert loaded == [30_000]
    assert calls == []
