"""The built-in demo site behaves like a Next.js on-demand ISR site, over real HTTP."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from isr_desk.domain import Outcome, Preset, Target
from isr_desk.services.demo import DemoSite

SECRET = "demo-secret"


@pytest.fixture
def demo() -> Iterator[DemoSite]:
    with DemoSite(secret=SECRET, seed=7) as site:
        yield site


@pytest.fixture
def client(demo: DemoSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.url, timeout=10) as c:
        yield c


def version_of(response: httpx.Response) -> int:
    match = re.search(r'id="version">(\d+)<', response.text)
    assert match, response.text
    return int(match.group(1))


def revalidate(client: httpx.Client, **body: object) -> httpx.Response:
    return client.post("/api/revalidate", params={"secret": SECRET}, json=body)


def test_start_stop_and_profile() -> None:
    site = DemoSite(seed=1)
    with pytest.raises(RuntimeError, match="start"):
        _ = site.url
    site.start()
    url = site.url
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert httpx.get(url + "/").status_code == 200
        profile = site.profile()
        assert (profile.name, profile.base_url) == ("Demo", url)
        assert profile.endpoint.preset is Preset.APP_ROUTER
        assert profile.manifest_source == f"{url}/isr-manifest.json"
        assert len(site.secret) >= 20  # a random token when none is given
        assert DemoSite().secret != site.secret
    finally:
        site.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/")
    site.stop()  # stopping twice is harmless


def test_manifest_shape(demo: DemoSite, client: httpx.Client) -> None:
    manifest = client.get("/isr-manifest.json").json()
    assert manifest["version"] == 1
    paths, tags = manifest["paths"], [t["tag"] for t in manifest["tags"]]
    assert 180 <= len(paths) <= 220
    assert 18 <= len(tags) <= 22
    assert len({p["path"] for p in paths}) == len(paths)
    for entry in paths:
        assert entry["path"].startswith("/")
        assert entry["tags"]
        assert set(entry["tags"]) <= set(tags)
        assert isinstance(entry["revalidate"], int)
    for prefix in ("/blog/", "/products/", "/docs/", "/broken/"):
        assert any(p["path"].startswith(prefix) for p in paths), prefix
    for tag in tags:  # every tag purges something
        assert any(tag in p["tags"] for p in paths), tag


def test_deterministic_from_seed() -> None:
    assert DemoSite(seed=3).manifest() == DemoSite(seed=3).manifest()
    assert DemoSite(seed=3).manifest() != DemoSite(seed=4).manifest()


def test_manifest_loads_with_the_manifest_service(demo: DemoSite) -> None:
    from isr_desk.services.manifest import load_manifest

    manifest = load_manifest(demo.profile().manifest_source or "")
    assert len(manifest.paths) == len(demo.pages)
    assert {t.tag for t in manifest.tags} >= set(demo.tags)


def test_path_revalidation_gives_miss_with_new_content_then_hit(client: httpx.Client) -> None:
    before = client.get("/blog")
    assert before.headers["x-nextjs-cache"] == "HIT"
    assert before.headers["cache-control"].startswith("s-maxage=60, stale-while-revalidate=")
    assert client.get("/blog").headers["etag"] == before.headers["etag"]

    reply = revalidate(client, path="/blog")
    assert reply.status_code == 200
    assert reply.json()["revalidated"] is True

    miss = client.get("/blog")
    assert miss.headers["x-nextjs-cache"] == "MISS"
    assert version_of(miss) == version_of(before) + 1
    assert miss.headers["etag"] != before.headers["etag"]
    hit = client.get("/blog")
    assert hit.headers["x-nextjs-cache"] == "HIT"
    assert (hit.headers["etag"], hit.text) == (miss.headers["etag"], miss.text)


def test_tag_purge_gives_stale_then_hit_with_new_content(
    demo: DemoSite, client: httpx.Client
) -> None:
    tagged = [p.path for p in demo.pages if "docs:api" in p.tags]
    other = next(p.path for p in demo.pages if "docs" not in p.tags and p.path != "/")
    before = {path: client.get(path) for path in [*tagged, other]}

    assert revalidate(client, tag="docs:api").json()["revalidated"] is True

    for path in tagged:
        stale = client.get(path)
        assert stale.headers["x-nextjs-cache"] == "STALE"
        assert stale.headers["etag"] == before[path].headers["etag"]  # old content
        fresh = client.get(path)
        assert fresh.headers["x-nextjs-cache"] == "HIT"
        assert fresh.headers["etag"] != before[path].headers["etag"]
        assert version_of(fresh) == version_of(before[path]) + 1
    untouched = client.get(other)
    assert untouched.headers["x-nextjs-cache"] == "HIT"
    assert untouched.headers["etag"] == before[other].headers["etag"]


def test_batch_bearer_and_pages_router_forms(demo: DemoSite, client: httpx.Client) -> None:
    assert revalidate(client, paths=["/about", "/pricing"], tags=["posts"]).status_code == 200
    bearer = client.post(
        "/api/revalidate", headers={"Authorization": f"Bearer {SECRET}"}, json={"path": "/"}
    )
    assert bearer.json()["revalidated"] is True
    pages = client.get("/api/revalidate", params={"secret": SECRET, "path": "/contact"})
    assert pages.json()["revalidated"] is True
    assert demo.revalidated == [
        "path:/about",
        "path:/pricing",
        "tag:posts",
        "path:/",
        "path:/contact",
    ]
    assert client.get("/contact").headers["x-nextjs-cache"] == "MISS"


def test_wrong_or_missing_secret_is_401(demo: DemoSite, client: httpx.Client) -> None:
    wrong = client.post("/api/revalidate", params={"secret": "nope"}, json={"path": "/"})
    assert wrong.status_code == 401
    assert wrong.json() == {"message": "Invalid token"}
    assert client.post("/api/revalidate", json={"path": "/"}).status_code == 401
    bad_bearer = client.post(
        "/api/revalidate", headers={"Authorization": "Bearer nope"}, json={"path": "/"}
    )
    assert bad_bearer.status_code == 401
    assert demo.revalidated == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"path": 3}', b'{"paths": "/a"}', b"{}", b'{"path": "no-slash"}'],
)
def test_bad_body_is_400(client: httpx.Client, body: bytes) -> None:
    reply = client.post("/api/revalidate", params={"secret": SECRET}, content=body)
    assert reply.status_code == 400
    assert reply.json()["message"]


def test_failing_slow_and_refusing_routes(demo: DemoSite, client: httpx.Client) -> None:
    broken = revalidate(client, path="/broken/1")
    assert (broken.status_code, broken.json()) == (500, {"message": "Error revalidating"})
    refused = revalidate(client, path="/archive/2019")
    assert refused.status_code == 200
    assert refused.json()["revalidated"] is False

    limited = revalidate(client, tag="products")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert revalidate(client, tag="products").status_code == 200  # the retry goes through

    product = next(p for p in demo.pages if p.path.startswith("/products/"))
    assert 300 <= product.slow_ms <= 800
    started = time.perf_counter()
    assert revalidate(client, path=product.path).status_code == 200
    assert time.perf_counter() - started >= product.slow_ms / 1000


def test_other_http_behaviour(client: httpx.Client) -> None:
    page = client.get("/")
    not_modified = client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert client.get("/no/such/page").status_code == 404
    assert client.put("/api/revalidate", params={"secret": SECRET}).status_code == 405
    head = client.head("/blog")
    assert head.status_code == 200
    assert head.content == b""


def test_concurrent_revalidations_are_all_counted(demo: DemoSite) -> None:
    ordinary = [p for p in demo.pages if not p.slow_ms and "broken" not in p.tags]
    paths = [p.path for p in ordinary if p.path != "/archive/2019"][:150]

    async def main() -> list[int]:
        async with httpx.AsyncClient(base_url=demo.url, timeout=10) as c:
            url = f"/api/revalidate?secret={SECRET}"
            replies = await asyncio.gather(*(c.post(url, json={"path": p}) for p in paths))
        return [r.status_code for r in replies]

    statuses = asyncio.run(main())
    assert statuses.count(200) == len(paths)
    assert sorted(demo.revalidated) == sorted(f"path:{p}" for p in paths)
    assert all(demo.version(p) == 1 for p in paths)  # regenerated on the next GET


def test_a_demo_run_shows_every_kind_of_result(demo: DemoSite) -> None:
    from isr_desk.services.http import make_client
    from isr_desk.services.revalidation import Revalidator, RunOptions

    product = next(p.path for p in demo.pages if p.path.startswith("/products/"))
    targets = [
        Target.path("/blog"),
        Target.path(product),
        Target.path("/broken/2"),
        Target.path("/archive/2019"),
        Target.tag("products"),
    ]
    profile = demo.profile()

    async def main() -> dict[str, object]:
        async with make_client() as client:
            options = RunOptions.from_profile(profile, retries=1, backoff_base=0.01)
            run = Revalidator(client).start(profile, demo.secret, targets, options)
            return {str(r.target): r async for r in run}

    results = asyncio.run(main())
    assert results["/blog"].outcome is Outcome.REFRESHED
    assert results[product].ok
    assert results[product].duration_ms >= 300
    assert results["/broken/2"].outcome is Outcome.SERVER_ERROR
    assert results["/archive/2019"].outcome is Outcome.NOT_REVALIDATED
    tag = results["tag:products"]
    assert tag.ok
    assert tag.attempts == 2  # 429 + Retry-After: 1, then through
