"""The real Next.js test site behaves as the seed tutorials and docs/nextjs.md say.

These pin down the ground truth the ISR Desk end-to-end tests rely on: a page changes only after
a revalidation, a path revalidation regenerates on the next GET, a ``max`` tag purge serves the
old page once (STALE) and the new one after, and the routes answer the seed contract.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import SITE_DIR, UNTOUCHED_SLUG, NextSite

# The first test of a session installs and builds the site (up to a minute on a cold machine).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SLUGS = ("hello-world", "on-demand", "cache-tags", "stale-while-revalidate", "pages-router")


def test_site_serves_prerendered_posts(next_site: NextSite) -> None:
    index = next_site.client.get("/")
    assert index.status_code == 200
    assert sorted(re.findall(r'href="/posts/([^"]+)"', index.text)) == sorted(SLUGS)
    for slug in SLUGS:
        page = next_site.page(f"/posts/{slug}")
        assert page.status == 200
        assert page.cache in {"HIT", "STALE"}
        assert page.title
        assert page.generated_at
    page = next_site.page(f"/posts/{UNTOUCHED_SLUG}")
    assert page.title == "The Pages Router"
    assert page.body == "getStaticProps with revalidate and res.revalidate."
    assert next_site.client.get("/posts/no-such-post").status_code == 404


def test_build_dir_has_the_manifests(next_site: NextSite) -> None:
    assert next_site.build_dir == SITE_DIR / ".next"
    assert (next_site.build_dir / "prerender-manifest.json").is_file()
    meta = (next_site.build_dir / "server/app/posts/hello-world.meta").read_text()
    assert "posts,post:hello-world" in meta


def test_data_change_alone_does_not_change_the_page(next_site: NextSite) -> None:
    before = next_site.settle("/posts/hello-world")
    next_site.edit_post("hello-world", title=next_site.unique("Not yet visible"))

    for _ in range(3):
        after = next_site.page("/posts/hello-world")
        assert (after.cache, after.title, after.etag) == ("HIT", before.title, before.etag)
        assert after.generated_at == before.generated_at


def test_path_revalidation_regenerates_on_next_get(next_site: NextSite) -> None:
    before = next_site.settle("/posts/on-demand")
    title = next_site.edit_post("on-demand", title=next_site.unique("Path refreshed"))["title"]

    response = next_site.revalidate({"path": "/posts/on-demand"})

    assert response.status_code == 200
    body = response.json()
    assert body["revalidated"] is True
    assert isinstance(body["now"], int)
    after = next_site.page("/posts/on-demand")
    assert (after.cache, after.title) == ("MISS", title)
    assert after.etag != before.etag
    assert after.generated_at != before.generated_at
    assert next_site.page("/posts/on-demand").cache == "HIT"


def test_max_tag_purge_serves_stale_once_then_new_content(next_site: NextSite) -> None:
    before = next_site.settle("/posts/cache-tags")
    title = next_site.edit_post("cache-tags", title=next_site.unique("Tag refreshed"))["title"]

    response = next_site.revalidate({"tag": "post:cache-tags"}, bearer=True)

    assert response.status_code == 200
    assert response.json()["revalidated"] is True
    first = next_site.page("/posts/cache-tags")
    assert (first.cache, first.title) == ("STALE", before.title)
    seen = next_site.wait_for("/posts/cache-tags", lambda page: page.title == title)
    assert seen[-1].generated_at != before.generated_at


def test_expire_tag_purge_regenerates_on_next_get(next_site: NextSite) -> None:
    next_site.settle("/posts/stale-while-revalidate")
    title = next_site.unique("Expired now")
    next_site.edit_post("stale-while-revalidate", title=title)

    response = next_site.revalidate({"tag": "post:stale-while-revalidate", "profile": "expire"})

    assert response.status_code == 200
    after = next_site.page("/posts/stale-while-revalidate")
    assert (after.cache, after.title) == ("MISS", title)


def test_posts_tag_purge_updates_the_index(next_site: NextSite) -> None:
    next_site.settle("/")
    title = next_site.edit_post("hello-world", title=next_site.unique("Listed"))["title"]

    assert next_site.revalidate({"tags": ["posts"]}).status_code == 200

    assert title not in next_site.page("/").text  # the stale index first
    next_site.wait_for("/", lambda page: title in page.text)
    next_site.wait_for("/posts/hello-world", lambda page: page.title == title)


def test_batch_paths_and_dynamic_pattern(next_site: NextSite) -> None:
    titles = {
        slug: next_site.edit_post(slug, title=next_site.unique(f"Batch {slug}"))["title"]
        for slug in ("hello-world", "on-demand")
    }
    response = next_site.revalidate({"paths": [f"/posts/{slug}" for slug in titles]})
    assert response.status_code == 200
    for slug, title in titles.items():
        assert next_site.page(f"/posts/{slug}").title == title

    title = next_site.edit_post("cache-tags", title=next_site.unique("Pattern"))["title"]
    response = next_site.revalidate({"path": "/posts/[slug]", "type": "page"})
    assert response.status_code == 200
    assert next_site.page("/posts/cache-tags").title == title


@pytest.mark.parametrize("bearer", [False, True], ids=["query", "bearer"])
def test_wrong_secret_is_rejected_and_nothing_changes(next_site: NextSite, bearer: bool) -> None:
    before = next_site.settle("/posts/on-demand")
    next_site.edit_post("on-demand", title=next_site.unique("Must not show"))

    response = next_site.revalidate({"path": "/posts/on-demand"}, secret="wrong", bearer=bearer)

    assert response.status_code == 401
    assert response.json() == {"message": "Invalid token"}
    after = next_site.page("/posts/on-demand")
    assert (after.cache, after.title, after.etag) == ("HIT", before.title, before.etag)


def test_missing_secret_and_bad_payloads(next_site: NextSite) -> None:
    no_secret = next_site.client.post("/api/revalidate", json={"path": "/"})
    assert no_secret.status_code == 401
    assert next_site.revalidate({}).status_code == 400
    assert next_site.revalidate({"path": 3}).status_code == 400
    assert next_site.revalidate({"path": "/posts/[slug]", "type": "x"}).status_code == 400
    not_json = next_site.client.post(
        "/api/revalidate", params={"secret": next_site.secret}, content=b"path=/"
    )
    assert not_json.status_code == 400
    assert next_site.client.get("/api/revalidate").status_code == 405


def test_pages_router_revalidate_is_synchronous(next_site: NextSite) -> None:
    before = next_site.settle("/legacy/on-demand")
    title = next_site.edit_post("on-demand", title=next_site.unique("Legacy refreshed"))["title"]
    assert next_site.page("/legacy/on-demand").title == before.title

    response = next_site.client.get(
        "/api/revalidate-pages", params={"secret": next_site.secret, "path": "/legacy/on-demand"}
    )

    assert response.status_code == 200
    assert response.json() == {"revalidated": True}
    after = next_site.page("/legacy/on-demand")
    assert after.title == title
    assert after.generated_at != before.generated_at


def test_pages_router_route_errors(next_site: NextSite) -> None:
    wrong = next_site.client.get(
        "/api/revalidate-pages", params={"secret": "wrong", "path": "/legacy/on-demand"}
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"message": "Invalid token"}
    missing = next_site.client.get("/api/revalidate-pages", params={"secret": next_site.secret})
    assert missing.status_code == 400

    before = next_site.settle("/legacy/hello-world")
    good_data = next_site.data_file.read_text()
    next_site.write_data("{ this is not JSON")  # getStaticProps throws while regenerating
    try:
        broken = next_site.client.get(
            "/api/revalidate-pages",
            params={"secret": next_site.secret, "path": "/legacy/hello-world"},
        )
    finally:
        next_site.write_data(good_data)
    assert broken.status_code == 500
    assert broken.json() == {"message": "Error revalidating"}
    assert next_site.page("/legacy/hello-world").title == before.title  # last good page stays
