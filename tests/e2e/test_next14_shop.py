"""Next 14.2 with ``basePath: '/shop'`` (tests/e2e/sites/next14_shop), through the CLI.

The App Router blog is revalidated through the docs' ``GET /shop/api/revalidate?secret=&path=``
or ``&tag=`` route (preset ``get-query``), the Pages Router news (i18n: ``en`` default, ``de``)
through ``GET /shop/api/revalidate-pages?secret=&path=`` (``res.revalidate``). Each case edits
a post, runs ``isr-desk revalidate`` and fetches the page until it shows the edit.

On this version (checked by hand on the build, docs/compatibility.md):
``revalidatePath('/shop/blog/x')`` and ``revalidatePath('/blog/über-café')`` answer
``revalidated: true`` and change nothing; ``'/blog/x'`` and ``'/blog/%C3%BCber-caf%C3%A9'``
work. ``res.revalidate`` takes both base-path forms and both encodings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from tests.e2e.isr_cli import (
    AddSite,
    assert_refreshed,
    assert_truthful,
    edit,
    isr_desk,
    revalidate,
)
from tests.e2e.nextjs import NextSite

pytestmark = [pytest.mark.e2e, pytest.mark.keyring, pytest.mark.timeout(300)]

BASE = "/shop"
APP = ("--preset", "get-query", "--endpoint", "/api/revalidate")
PAGES = ("--preset", "pages-router", "--endpoint", "/api/revalidate-pages")


def public(path: str) -> str:
    """The URL path a visitor fetches (non-ASCII percent-encoded, as a browser sends it)."""
    return BASE + quote(path, safe="/")


def add(add_site: AddSite, shop14: NextSite, route: tuple[str, ...]) -> str:
    return add_site(shop14.url + BASE, shop14.secret, *route, "--manifest", str(shop14.build_dir))


@dataclass(frozen=True)
class Case:
    route: tuple[str, ...]
    slug: str
    page: str  # without the base path, unencoded
    args: tuple[str, ...]
    first: str  # x-nextjs-cache of the first GET after the run


CASES = {
    "app-path": Case(
        APP, "hello-world", "/blog/hello-world", ("--path", "/blog/hello-world"), "MISS"
    ),
    "app-tag": Case(
        APP, "new-arrivals", "/blog/new-arrivals", ("--tag", "post:new-arrivals"), "MISS"
    ),
    "app-encoded-non-ascii": Case(
        APP, "über-café", "/blog/über-café", ("--path", "/blog/%C3%BCber-caf%C3%A9"), "MISS"
    ),
    "app-non-ascii-tag": Case(
        APP, "über-café", "/blog/über-café", ("--tag", "post:über-café"), "MISS"
    ),
    "pages-default-locale": Case(
        PAGES, "winter-sale", "/news/winter-sale", ("--path", "/news/winter-sale"), "HIT"
    ),
    "pages-de-locale": Case(
        PAGES, "winter-sale", "/de/news/winter-sale", ("--path", "/de/news/winter-sale"), "HIT"
    ),
    "pages-non-ascii": Case(
        PAGES, "über-café", "/de/news/über-café", ("--path", "/de/news/über-café"), "HIT"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_next14_page_changes(shop14: NextSite, add_site: AddSite, case: Case) -> None:
    name = add(add_site, shop14, case.route)
    _, title = edit(shop14, case.slug, public(case.page), "Next 14")

    run = revalidate(name, *case.args)

    assert run.done.returncode == 0, run.describe()
    assert [r["ok"] for r in run.results] == [True], run.describe()
    assert_refreshed(shop14, public(case.page), title, first=case.first)


def test_next14_every_manifest_path_as_listed_works(shop14: NextSite, add_site: AddSite) -> None:
    """The paths exactly as ``isr-desk manifest`` lists them (the App Router blog's, non-ASCII
    included) regenerate their pages."""
    name = add(add_site, shop14, APP)
    done = isr_desk("manifest", name, "--json")
    assert done.returncode == 0, done.stderr
    listed = [entry["path"] for entry in json.loads(done.stdout)["paths"]]
    blog = sorted(path for path in listed if "/blog/" in path)
    assert len(blog) == 4, listed
    titles = {}
    for path in blog:
        slug = path.rsplit("/", 1)[1]
        titles[path] = edit(shop14, slug, public("/blog/" + slug), "Manifest")[1]

    run = revalidate(name, *(arg for path in blog for arg in ("--path", path)))

    assert run.done.returncode == 0, run.describe()
    for path, title in titles.items():
        assert_refreshed(shop14, public("/blog/" + path.rsplit("/", 1)[1]), title, first="MISS")


# --- forms that used to answer `revalidated: true` and change nothing --------------------------

NO_OPS = {
    "base-path-form": ("hello-world", "/blog/hello-world", "/shop/blog/hello-world"),
    "unencoded-non-ascii": ("über-café", "/blog/über-café", "/blog/über-café"),
    "full-url-with-base-path-and-query": (
        "winter-sale", "/blog/winter-sale", "{url}/shop/blog/winter-sale?utm_source=news#top"
    ),
}  # fmt: skip
# The docs' GET route cannot carry revalidatePath's type: a pattern does nothing there.
PATTERN_ON_GET_ROUTE = pytest.param(
    ("new-arrivals", "/blog/new-arrivals", "/blog/[slug]"),
    id="pattern-on-the-get-route",
)


@pytest.mark.parametrize(
    "case", [*(pytest.param(v, id=k) for k, v in NO_OPS.items()), PATTERN_ON_GET_ROUTE]
)
def test_next14_former_no_op_now_works_or_is_refused(
    shop14: NextSite, add_site: AddSite, case: tuple[str, str, str]
) -> None:
    slug, page, typed = case
    name = add(add_site, shop14, APP)
    _, title = edit(shop14, slug, public(page), "No-op?")

    run = revalidate(name, "--path", typed.format(url=shop14.url), "--verify")

    assert_truthful(run, [shop14], public(page), title)


def test_next14_full_url_of_another_host_is_refused(shop14: NextSite, add_site: AddSite) -> None:
    name = add(add_site, shop14, APP)
    _, title = edit(shop14, "hello-world", public("/blog/hello-world"), "Other host")

    run = revalidate(name, "--path", "https://shop.example.com/shop/blog/hello-world")

    assert run.refused, run.describe()
    assert "example.com" in run.done.stderr + str(run.results), run.describe()
    assert shop14.page(public("/blog/hello-world")).title != title


def test_next14_pages_page_sent_to_the_app_route_is_not_called_regenerated(
    shop14: NextSite, add_site: AddSite
) -> None:
    """``revalidatePath('/news/x')`` does not touch a Pages Router page: verify must not call
    it Regenerated (refusing it up front is fine too)."""
    name = add(add_site, shop14, APP)
    _, title = edit(shop14, "new-arrivals", public("/news/new-arrivals"), "Wrong route")

    run = revalidate(name, "--path", "/news/new-arrivals", "--verify")

    if run.refused:
        return
    assert shop14.page(public("/news/new-arrivals")).title != title
    verdicts = [v["verdict"] for v in run.verdicts]
    assert verdicts, run.describe()
    assert "regenerated" not in verdicts, run.describe()
