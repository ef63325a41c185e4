"""Next 15.5 with ``trailingSlash: true`` and a ``[lang]`` segment (tests/e2e/sites/next15_blog).

The revalidation route is a CMS webhook: ``POST /api/revalidate/`` with ``Authorization:
Bearer`` and plural bodies only (``{"paths": [...], "type"?}``, ``{"tags": [...]}``; a
singular body is a 400), so the profile is ``--preset bearer --batch N``. Pages live at
``/<lang>/blog/<slug>/``.

On this version (checked by hand on the build, docs/compatibility.md):
``revalidatePath('/en/blog/x')`` answers ``revalidated: true`` and changes nothing, only
``'/en/blog/x/'`` works; a non-ASCII path works only percent-encoded;
``revalidatePath('/[lang]/blog/[slug]', 'page')`` rebuilds every matching page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pytest

from tests.e2e.isr_cli import AddSite, assert_refreshed, assert_truthful, edit, revalidate
from tests.e2e.nextjs import NextSite

pytestmark = [pytest.mark.e2e, pytest.mark.keyring, pytest.mark.timeout(300)]

SLUGS = ("hello-world", "crème-brûlée", "release-notes", "roadmap")
ROUTE = ("--preset", "bearer", "--endpoint", "/api/revalidate/", "--batch", "50")


def public(path: str) -> str:
    """The URL path a visitor fetches: percent-encoded, with the trailing slash."""
    return quote(path, safe="/") + "/"


def add(add_site: AddSite, blog15: NextSite, *route: str) -> str:
    return add_site(
        blog15.url, blog15.secret, *(route or ROUTE), "--manifest", str(blog15.build_dir)
    )


@dataclass(frozen=True)
class Case:
    slug: str
    page: str  # unencoded, without the trailing slash
    args: tuple[str, ...]


CASES = {
    "path-with-slash": Case("roadmap", "/en/blog/roadmap", ("--path", "/en/blog/roadmap/")),
    "tag": Case("release-notes", "/fr/blog/release-notes", ("--tag", "post:release-notes")),
    "encoded-non-ascii": Case(
        "crème-brûlée", "/fr/blog/crème-brûlée", ("--path", "/fr/blog/cr%C3%A8me-br%C3%BBl%C3%A9e/")
    ),
    # Forms that used to answer `revalidated: true` and change nothing on this version:
    "no-trailing-slash": Case("roadmap", "/en/blog/roadmap", ("--path", "/en/blog/roadmap")),
    "unencoded-non-ascii": Case(
        "crème-brûlée", "/en/blog/crème-brûlée", ("--path", "/en/blog/crème-brûlée")
    ),
    "full-url-with-query": Case(
        "hello-world", "/fr/blog/hello-world", ("--path", "{url}/fr/blog/hello-world/?ref=cms")
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_next15_page_changes(blog15: NextSite, add_site: AddSite, case: Case) -> None:
    name = add(add_site, blog15)
    _, title = edit(blog15, case.slug, public(case.page), "Next 15")

    run = revalidate(name, *(arg.format(url=blog15.url) for arg in case.args))

    assert run.done.returncode == 0, run.describe()
    assert [r["ok"] for r in run.results] == [True], run.describe()
    assert_refreshed(blog15, public(case.page), title, first="MISS")


def test_next15_batch_is_plural_even_for_one_item(blog15: NextSite, add_site: AddSite) -> None:
    """The route answers 400 to a singular body: batch mode sends ``{"tags": [one]}``."""
    name = add(add_site, blog15)
    _, title = edit(blog15, "hello-world", public("/en/blog/hello-world"), "Plural")

    run = revalidate(name, "--tag", "post:hello-world")

    assert run.done.returncode == 0, run.describe()
    assert run.results[0]["status"] == 200, run.describe()
    assert_refreshed(blog15, public("/en/blog/hello-world"), title, first="MISS")


def test_next15_batch_of_paths_and_tags(blog15: NextSite, add_site: AddSite) -> None:
    name = add(add_site, blog15)
    pages = {
        slug: f"/{lang}/blog/{slug}" for lang, slug in (("en", "roadmap"), ("fr", "release-notes"))
    }
    titles = {slug: edit(blog15, slug, public(page), "Batch")[1] for slug, page in pages.items()}

    run = revalidate(name, "--path", "/en/blog/roadmap/", "--tag", "post:release-notes")

    assert run.done.returncode == 0, run.describe()
    assert all(r["ok"] for r in run.results), run.describe()
    for slug, page in pages.items():
        assert_refreshed(blog15, public(page), titles[slug], first="MISS")


def test_next15_pattern_rebuilds_every_matching_page(blog15: NextSite, add_site: AddSite) -> None:
    """``/[lang]/blog/[slug]`` goes out with ``type: "page"`` and rebuilds both languages;
    verify checks the manifest's matching pages (never a 404 of the pattern itself)."""
    name = add(add_site, blog15)
    pages = [public("/en/blog/release-notes"), public("/fr/blog/release-notes")]
    for page in pages:
        blog15.settle(page)
    title = blog15.edit_post("release-notes", title=blog15.unique("Pattern"))["title"]

    run = revalidate(name, "--path", "/[lang]/blog/[slug]", "--verify")

    assert run.done.returncode == 0, run.describe()
    assert [r["ok"] for r in run.results] == [True], run.describe()
    for page in pages:
        assert_refreshed(blog15, page, title, first=None)  # verify fetched them first
    verdicts = {v["path"]: v["verdict"] for v in run.verdicts}
    expected = [f"/{lang}/blog/{slug}" for lang in ("en", "fr") for slug in SLUGS]
    assert sorted(verdicts) == sorted(expected), run.describe()
    assert set(verdicts.values()) == {"regenerated"}, run.describe()


def test_next15_route_path_without_slash_still_works_or_is_refused(
    blog15: NextSite, add_site: AddSite
) -> None:
    """``/api/revalidate`` answers a same-origin 308 to ``/api/revalidate/``."""
    name = add(add_site, blog15, *ROUTE[:2], "--endpoint", "/api/revalidate", *ROUTE[4:])
    page = public("/en/blog/hello-world")
    _, title = edit(blog15, "hello-world", page, "308")

    run = revalidate(name, "--path", "/en/blog/hello-world/")

    assert_truthful(run, [blog15], page, title)


def test_next15_wrong_secret_is_a_401_with_the_place_named(
    blog15: NextSite, add_site: AddSite
) -> None:
    name = add_site(blog15.url, "not-the-secret", *ROUTE, "--manifest", str(blog15.build_dir))

    run = revalidate(name, "--tag", "posts")

    assert run.done.returncode == 1, run.describe()
    (result,) = run.results
    assert (result["ok"], result["status"], result["result"]) == (False, 401, "Wrong secret")
    assert "Authorization" in (result["hint"] or ""), result
