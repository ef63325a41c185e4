"""Next 16 with Cache Components (tests/e2e/sites/next16_cache), two ``next start`` instances.

Pages read their post in ``'use cache'`` functions with ``cacheTag('posts', 'post:<slug>')``
and ``cacheLife`` (``'hours'`` for a post, ``'max'`` for the home page). The route takes its
secret in the ``x-revalidate-token`` header and answers **403** on a mismatch; it calls
``revalidateTag(tag, 'max')`` (the next GET is ``STALE`` with the old page, then a ``HIT``
with the new one) or ``revalidatePath(path, type?)`` (a ``MISS`` with the new page).
Each instance has its own cache, so a run must reach both (``--instance`` twice).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from tests.e2e.isr_cli import AddSite, assert_refreshed, edit, isr_desk, revalidate
from tests.e2e.nextjs import NextSite

pytestmark = [pytest.mark.e2e, pytest.mark.keyring, pytest.mark.timeout(300)]

HEADER_ROUTE = (
    "--preset", "custom", "--method", "POST", "--url-template", "{url}/api/revalidate",
    "--path-body", '{"path": "{path}"}', "--tag-body", '{"tag": "{tag}"}',
    "--secret-in", "header", "--secret-name", "x-revalidate-token",
)  # fmt: skip


def add(add_site: AddSite, docs16: list[NextSite], *route: str, secret: str | None = None) -> str:
    first, second = docs16
    return add_site(
        first.url, first.secret if secret is None else secret, *(route or HEADER_ROUTE),
        "--instance", first.url, "--instance", second.url, "--manifest", str(first.build_dir),
    )  # fmt: skip


@dataclass(frozen=True)
class Case:
    slug: str
    page: str
    args: tuple[str, ...]
    first: str


CASES = {
    "tag-max": Case("caching", "/blog/caching", ("--tag", "post:caching"), "STALE"),
    "path": Case("deploying", "/blog/deploying", ("--path", "/blog/deploying"), "MISS"),
    "non-ascii": Case("naïve-café", "/blog/naïve-café", ("--path", "/blog/naïve-café"), "MISS"),
    # cacheTag(`post:${slug}`) as written, and as the build's .meta lists it (encoded).
    "non-ascii-tag": Case("naïve-café", "/blog/naïve-café", ("--tag", "post:naïve-café"), "STALE"),
    "non-ascii-tag-as-listed": Case(
        "naïve-café", "/blog/naïve-café", ("--tag", "post:na%C3%AFve-caf%C3%A9"), "STALE"
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_next16_page_changes_on_both_instances(
    docs16: list[NextSite], add_site: AddSite, case: Case
) -> None:
    name = add(add_site, docs16)
    page = quote(case.page, safe="/")
    docs16[1].settle(page)
    _, title = edit(docs16[0], case.slug, page, "Next 16")  # one data file for both

    run = revalidate(name, *case.args)

    assert run.done.returncode == 0, run.describe()
    assert sorted(r.get("instance") for r in run.results) == sorted(s.url for s in docs16)
    assert all(r["ok"] and r["status"] == 200 for r in run.results), run.describe()
    for site in docs16:
        assert_refreshed(site, page, title, first=case.first)


def test_next16_pattern_with_type_rebuilds_the_pages(
    docs16: list[NextSite], add_site: AddSite
) -> None:
    route = list(HEADER_ROUTE)
    route[route.index('{"path": "{path}"}')] = '{"path": "{path}", "type": "{type}"}'
    name = add(add_site, docs16, *route)
    for site in docs16:
        site.settle("/blog/hello-world")
    title = docs16[0].edit_post("hello-world", title=docs16[0].unique("Pattern"))["title"]

    run = revalidate(name, "--path", "/blog/[slug]")

    assert run.done.returncode == 0, run.describe()
    assert all(r["ok"] for r in run.results), run.describe()
    for site in docs16:
        assert_refreshed(site, "/blog/hello-world", title, first="MISS")


def test_next16_cache_life_max_home_page_follows_the_posts_tag(
    docs16: list[NextSite], add_site: AddSite
) -> None:
    name = add(add_site, docs16)
    before = [site.settle("/") for site in docs16]
    docs16[0].edit_post("deploying", title=docs16[0].unique("Home"))

    run = revalidate(name, "--tag", "posts")

    assert run.done.returncode == 0, run.describe()
    for site, old in zip(docs16, before, strict=True):
        seen = site.wait_for(
            "/", lambda p, old=old: p.cache == "HIT" and p.generated_at != old.generated_at
        )
        assert seen[0].cache == "STALE", [(p.cache, p.generated_at) for p in seen]


def test_next16_wrong_secret_is_a_403_naming_the_header(
    docs16: list[NextSite], add_site: AddSite
) -> None:
    name = add(add_site, docs16, secret="not-the-secret")

    run = revalidate(name, "--tag", "posts")

    assert run.done.returncode == 1, run.describe()
    assert [(r["status"], r["result"]) for r in run.results] == [(403, "Wrong secret")] * 2
    assert all("x-revalidate-token" in (r["hint"] or "") for r in run.results), run.describe()


def test_next16_manifest_of_the_cache_components_build(
    docs16: list[NextSite], add_site: AddSite
) -> None:
    """'use cache' tags are read from the build; internal pages are not listed as pages and a
    ``cacheLife('max')`` page shows its window in words, not "2.592e+06"."""
    name = add(add_site, docs16)

    done = isr_desk("manifest", name, "--json")
    text = isr_desk("manifest", name)

    assert done.returncode == text.returncode == 0, done.stderr + text.stderr
    paths = {entry["path"]: entry for entry in json.loads(done.stdout)["paths"]}
    assert paths["/blog/caching"]["tags"] == ["posts", "post:caching"]
    assert paths["/"]["revalidate"] == 2_592_000
    assert not [path for path in paths if path.startswith("/_")], sorted(paths)
    assert "2.592e+06" not in text.stdout
    assert "Next 16" in text.stdout, text.stdout
