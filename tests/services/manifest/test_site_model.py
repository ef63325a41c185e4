"""The site model of real Next 14.2 / 15.5 / 16.4 builds (tests/fixtures/next-shapes/README.md):
version, routers, basePath, trailingSlash, i18n, and the exact form each revalidation API needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from isr_desk.domain import Router, human_duration
from isr_desk.services.manifest import load_manifest, page_forms, site_conventions

SHAPES = Path(__file__).parents[2] / "fixtures" / "next-shapes"


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("next14-shop", "Next 14.2 · App Router · Pages Router · basePath /shop · i18n en, de"),
        ("next15-blog", "Next 15.5 · App Router · trailingSlash"),
        ("next16-cache", "Next 16.4 · App Router"),
    ],
)
def test_detected_conventions(name: str, summary: str) -> None:
    manifest = load_manifest(str(SHAPES / name))
    assert manifest.site is not None
    assert manifest.site.summary() == summary
    assert manifest.site.encoded_paths is True  # the .meta implicit tags are percent-encoded
    quick = site_conventions(str(SHAPES / name))  # small files only, for `site add`
    assert quick is not None
    assert (quick.base_path, quick.trailing_slash) == (
        manifest.site.base_path,
        manifest.site.trailing_slash,
    )


def test_no_warning_tells_users_to_add_the_base_path() -> None:
    manifest = load_manifest(str(SHAPES / "next14-shop"))
    assert manifest.site is not None
    assert manifest.site.base_path == "/shop"
    assert not any("/shop" in w for w in manifest.warnings)
    forms = {p.path: page_forms(manifest.site, p) for p in manifest.paths}
    assert forms["/blog/hello-world"]["revalidatePath"] == "/blog/hello-world"
    assert forms["/blog/über-café"]["revalidatePath"] == "/blog/%C3%BCber-caf%C3%A9"
    assert forms["/blog/über-café"]["tag"] == "_N_T_/blog/%C3%BCber-caf%C3%A9"
    pages_page = forms["/de/news/über-café"]
    assert pages_page == {
        "revalidatePath": None,
        "res.revalidate": "/de/news/%C3%BCber-caf%C3%A9",
        "tag": None,
    }
    assert manifest.site.default_locale == "en"


def test_trailing_slash_form_is_the_cache_key() -> None:
    manifest = load_manifest(str(SHAPES / "next15-blog"))
    page = next(p for p in manifest.paths if p.path == "/en/blog/roadmap")
    assert page.router is Router.APP
    assert page_forms(manifest.site, page)["revalidatePath"] == "/en/blog/roadmap/"
    assert "_N_T_/en/blog/roadmap/" in page.implicit_tags


def test_internal_pages_are_not_listed() -> None:
    for name in ("next14-shop", "next15-blog", "next16-cache"):
        paths = {p.path for p in load_manifest(str(SHAPES / name)).paths}
        assert not paths & {"/_not-found", "/_global-error"}, name


def test_cache_life_max_reads_as_30_days_and_tags_are_counted_apart() -> None:
    manifest = load_manifest(str(SHAPES / "next16-cache"))
    home = next(p for p in manifest.paths if p.path == "/")
    assert home.revalidate == 2_592_000
    assert human_duration(home.revalidate) == "30 days"
    own = sum(1 for t in manifest.tags if not t.implicit)
    implicit = sum(1 for t in manifest.tags if t.implicit)
    assert manifest.tag_counts() == f"{own} tags + {implicit} implicit"


@pytest.mark.parametrize(
    ("value", "text"),
    [(3600, "1 hour"), (60, "1 minute"), (90, "90 seconds"), (30.5, "30.5 seconds"),
     (False, "never"), (None, ""), (86400 * 365, "365 days")],
)  # fmt: skip
def test_human_duration(value: int | float | bool | None, text: str) -> None:
    assert human_duration(value) == text
