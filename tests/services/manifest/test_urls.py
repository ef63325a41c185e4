"""Manifest sources served over HTTP by a real loopback server."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from isr_desk.services.errors import ManifestError
from isr_desk.services.manifest import load_manifest
from tests.helpers.sites import Answer, LoopbackSite, Recorded, Reply, free_port

FIXTURES = Path(__file__).parents[2] / "fixtures" / "manifests"
DEMO = {
    "version": 1,
    "paths": [{"path": "/a", "tags": ["posts"], "revalidate": 60}],
    "tags": [{"tag": "posts"}],
}


class _Web:
    """One test's corner of a module-wide server (a server's shutdown costs 0.5 s)."""

    def __init__(self, server: LoopbackSite) -> None:
        self._server = server
        self.prefix = f"/t-{uuid.uuid4().hex[:8]}"
        self.url = server.url + self.prefix

    def paths(self, *paths: str) -> list[str]:
        """The URL paths of ``paths`` in this corner (what a sitemap of it lists)."""
        return [self.prefix + p for p in paths]

    def on(self, path: str, *answers: Answer, repeat: bool = False) -> None:
        self._server.on(self.prefix + path, *answers, repeat=repeat)

    def count(self, path: str) -> int:
        return self._server.count(self.prefix + path)

    @property
    def requests(self) -> list[Recorded]:
        return [r for r in self._server.requests if r.path.startswith(self.prefix)]


@pytest.fixture(scope="module")
def _server() -> Iterator[LoopbackSite]:
    with LoopbackSite() as server:
        yield server


@pytest.fixture
def site(_server: LoopbackSite) -> _Web:
    return _Web(_server)


def _serve(site: _Web, path: str, reply: Reply) -> str:
    site.on(path, lambda _rec: reply, repeat=True)
    return site.url + path


def _xml(body: str) -> Reply:
    return Reply(200, body, {"Content-Type": "application/xml"})


def _urlset(site: _Web, *paths: str) -> str:
    urls = "".join(f"<url><loc>{site.url}{p}</loc></url>" for p in paths)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def _index(site: _Web, *paths: str) -> str:
    items = "".join(f"<sitemap><loc>{site.url}{p}</loc></sitemap>" for p in paths)
    return f"<sitemapindex>{items}</sitemapindex>"


def test_json_manifest_from_a_url(site: _Web) -> None:
    url = _serve(site, "/isr-manifest.json", Reply(200, DEMO))

    manifest = load_manifest(url)

    assert manifest.source == url
    assert manifest.kind == "json"
    assert [(p.path, p.tags) for p in manifest.paths] == [("/a", ("posts",))]


def test_relative_source_is_resolved_against_the_base_url(site: _Web) -> None:
    _serve(site, "/isr-manifest.json", Reply(200, DEMO))

    manifest = load_manifest("/isr-manifest.json", base_url=site.url + "/")

    assert manifest.source == site.url + "/isr-manifest.json"
    assert [p.path for p in manifest.paths] == ["/a"]
    assert site.requests[-1].path == site.prefix + "/isr-manifest.json"


def test_an_injected_client_is_used_and_left_open(site: _Web) -> None:
    url = _serve(site, "/m.json", Reply(200, DEMO))
    with httpx.Client(headers={"x-from": "gui"}) as client:
        load_manifest(url, client=client)
        assert not client.is_closed
    assert site.requests[-1].headers["x-from"] == "gui"


def test_redirects_are_followed(site: _Web) -> None:
    _serve(site, "/new.json", Reply(200, DEMO))
    url = _serve(site, "/old.json", Reply(301, b"", {"Location": site.prefix + "/new.json"}))

    assert [p.path for p in load_manifest(url).paths] == ["/a"]


def test_redirect_loop_is_bounded(site: _Web) -> None:
    url = _serve(site, "/loop", Reply(302, b"", {"Location": site.prefix + "/loop"}))

    with pytest.raises(ManifestError, match="more than 5 redirects"):
        load_manifest(url)
    assert site.count("/loop") == 6


def test_404(site: _Web) -> None:
    url = site.url + "/isr-manifest.json"
    with pytest.raises(ManifestError) as info:
        load_manifest(url)
    assert info.value.message == f"{url}: not found (HTTP 404)"
    assert info.value.hint


@pytest.mark.parametrize(("status", "words"), [(403, "access denied"), (500, "HTTP 500")])
def test_other_statuses(site: _Web, status: int, words: str) -> None:
    url = _serve(site, "/m.json", Reply(status, "nope"))
    with pytest.raises(ManifestError, match=words):
        load_manifest(url)


@pytest.mark.parametrize("path", ["/isr-manifest.json", "/sitemap.xml", "/paths.txt", "/x"])
def test_html_instead_of_a_manifest(site: _Web, path: str) -> None:
    page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body></body></html>"
    url = _serve(site, path, Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))

    with pytest.raises(ManifestError) as info:
        load_manifest(url)
    assert info.value.message.startswith(f"{url}: is an HTML page")


def test_html_served_as_text_plain_is_still_recognised(site: _Web) -> None:
    url = _serve(site, "/m.json", Reply(200, "<html><body>oops</body></html>"))
    with pytest.raises(ManifestError, match="HTML page"):
        load_manifest(url)


def test_oversized_body_is_refused_by_content_length(site: _Web) -> None:
    url = _serve(site, "/big.json", Reply(200, b"[" + b" " * 10_000 + b"]"))
    with pytest.raises(ManifestError) as info:
        load_manifest(url, max_bytes=4096)
    assert info.value.message == f"{url}: larger than the 4 KiB limit for manifests"


def test_oversized_body_is_refused_while_streaming(site: _Web) -> None:
    """A small gzip body that inflates past the cap (a zip bomb) stops at the cap."""
    bomb = gzip.compress(b"[" + b" " * 2_000_000 + b"]")
    url = _serve(site, "/bomb.json", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    assert len(bomb) < 4096

    with pytest.raises(ManifestError, match="larger than the 64 KiB limit"):
        load_manifest(url, max_bytes=64 * 1024)


def test_truncated_json_body(site: _Web) -> None:
    url = _serve(site, "/m.json", Reply(200, json.dumps(DEMO)[:-10]))
    with pytest.raises(ManifestError, match="ends too early"):
        load_manifest(url)


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}/isr-manifest.json"
    with pytest.raises(ManifestError) as info:
        load_manifest(url)
    assert info.value.message == f"{url}: cannot connect"


def test_timeout(site: _Web) -> None:
    url = _serve(site, "/slow.json", Reply(200, DEMO, delay=1.0))
    with httpx.Client(timeout=0.1) as client, pytest.raises(ManifestError, match="no answer"):
        load_manifest(url, client=client)


def test_sitemap_from_a_url(site: _Web) -> None:
    url = _serve(site, "/sitemap.xml", _xml(_urlset(site, "/", "/b", "/a")))

    manifest = load_manifest(url, base_url=site.url)

    assert manifest.kind == "sitemap"
    assert [p.path for p in manifest.paths] == site.paths("/", "/a", "/b")
    assert manifest.warnings == ()


def test_sitemap_index_is_followed(site: _Web) -> None:
    _serve(site, "/posts.xml", _xml(_urlset(site, "/posts/a", "/posts/b")))
    _serve(site, "/pages.xml", _xml(_urlset(site, "/", "/posts/a")))
    url = _serve(site, "/sitemap.xml", _xml(_index(site, "/posts.xml", "/pages.xml")))

    manifest = load_manifest(url)

    assert [p.path for p in manifest.paths] == site.paths("/", "/posts/a", "/posts/b")
    # the same page in two sitemaps is reported once, merged
    assert manifest.warnings == (f"duplicate path entries, merged (1): '{site.prefix}/posts/a'",)


def test_sitemap_index_depth_is_bounded(site: _Web) -> None:
    for level in range(1, 6):
        _serve(site, f"/index{level}.xml", _xml(_index(site, f"/index{level + 1}.xml")))
    _serve(site, "/index6.xml", _xml(_urlset(site, "/deep")))

    manifest = load_manifest(site.url + "/index1.xml")

    assert manifest.paths == ()
    assert any("nest more than 3 levels" in w for w in manifest.warnings)
    assert site.count("/index4.xml") == 0


def test_sitemap_index_cycle_is_read_once(site: _Web) -> None:
    _serve(site, "/b.xml", _xml(_index(site, "/a.xml", "/leaf.xml")))
    _serve(site, "/leaf.xml", _xml(_urlset(site, "/leaf")))
    url = _serve(site, "/a.xml", _xml(_index(site, "/b.xml")))

    manifest = load_manifest(url)

    assert [p.path for p in manifest.paths] == site.paths("/leaf")
    assert site.count("/a.xml") == 1


def test_broken_child_sitemap_is_a_warning(site: _Web) -> None:
    _serve(site, "/ok.xml", _xml(_urlset(site, "/ok")))
    url = _serve(site, "/sitemap.xml", _xml(_index(site, "/missing.xml", "/ok.xml")))

    manifest = load_manifest(url)

    assert [p.path for p in manifest.paths] == site.paths("/ok")
    assert len(manifest.warnings) == 1
    assert "missing.xml: not found (HTTP 404)" in manifest.warnings[0]


def test_sitemaps_together_over_the_cap(site: _Web) -> None:
    many = [f"/p{i}" for i in range(40)]
    _serve(site, "/one.xml", _xml(_urlset(site, *many)))
    _serve(site, "/two.xml", _xml(_urlset(site, *many)))
    url = _serve(site, "/sitemap.xml", _xml(_index(site, "/one.xml", "/two.xml")))

    with pytest.raises(ManifestError, match="sitemaps together are larger than the 4 KiB"):
        load_manifest(url, max_bytes=4096)


def test_billion_laughs_over_http(site: _Web) -> None:
    body = (FIXTURES / "billion-laughs.xml").read_bytes()
    url = _serve(site, "/sitemap.xml", _xml(body.decode()))
    with pytest.raises(ManifestError, match="entity expansion"):
        load_manifest(url)


def test_plain_list_from_a_url(site: _Web) -> None:
    def handler(_rec: Recorded) -> Reply:
        return Reply(200, f"/a\n{site.url}/b\ntag:posts\n# done\n")

    site.on("/paths.txt", handler, repeat=True)
    manifest = load_manifest(site.url + "/paths.txt", base_url=site.url)

    assert [p.path for p in manifest.paths] == ["/a", site.prefix + "/b"]
    assert [t.tag for t in manifest.tags] == ["posts"]
    assert manifest.warnings == ()


def test_local_sitemap_index_fetches_remote_children(tmp_path: Path, site: _Web) -> None:
    _serve(site, "/remote.xml", _xml(_urlset(site, "/remote")))
    index = tmp_path / "sitemap.xml"
    index.write_text(_index(site, "/remote.xml"))

    manifest = load_manifest(str(index))

    assert [p.path for p in manifest.paths] == site.paths("/remote")


def test_json_served_as_text_html_is_still_read(site: _Web) -> None:
    url = _serve(site, "/m.json", Reply(200, json.dumps(DEMO), {"Content-Type": "text/html"}))
    assert [p.path for p in load_manifest(url).paths] == ["/a"]


def test_text_served_as_text_html_is_an_html_error(site: _Web) -> None:
    url = _serve(site, "/m", Reply(200, "Welcome! <b>Sign in</b>", {"Content-Type": "text/html"}))
    with pytest.raises(ManifestError, match="HTML page"):
        load_manifest(url)


def test_a_password_in_the_url_is_not_shown(site: _Web) -> None:
    url = site.url.replace("http://", "http://editor:hunter2@") + "/missing.json"
    with pytest.raises(ManifestError) as info:
        load_manifest(url)
    assert "hunter2" not in info.value.describe()
    assert "editor:•••@" in info.value.message
    assert site.requests[-1].headers["authorization"].startswith("Basic ")
