"""Typed targets checked before sending: another site's URL is refused (its host is not the
site's), words are not turned into a path by a silent "/", a site's own URL gives its path."""

from __future__ import annotations

import pytest

from isr_desk.domain import SiteProfile, Target
from isr_desk.services.sites import (
    TargetError,
    parse_target,
    parse_targets,
    same_pages,
    site_hosts,
)

HOSTS = site_hosts("https://blog.example.com", "http://10.0.0.5:3000", None, "/isr.json")
SITE = SiteProfile(
    "blog",
    "https://blog.example.com",
    instances=("http://10.0.0.5:3000",),
    manifest_source="https://cms.example.com/isr.json",
)


def test_site_hosts_are_the_hosts_of_the_urls_given() -> None:
    assert {"blog.example.com", "10.0.0.5"} == HOSTS


def test_a_url_of_the_site_gives_its_path() -> None:
    # The query is dropped (with a note): a revalidation names a page (docs/conventions.md).
    assert parse_target("https://Blog.Example.com/a?x=1", site=SITE) == Target.path("/a")
    assert parse_target("http://10.0.0.5:3000/", site=SITE) == Target.path("/")


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.org/cart",  # another site
        "https://cms.example.com/blog/a",  # the manifest's host is not the site
        "https://blog.example.com:8443/blog/a",  # another port
        "http://blog.example.com/blog/a",  # another scheme
        "http://10.0.0.5:3001/blog/a",  # an instance's host, another port
    ],
)
def test_a_url_not_on_the_site_is_refused_with_the_sites_origins_named(url: str) -> None:
    with pytest.raises(TargetError) as caught:
        parse_target(url, site=SITE)
    assert caught.value.message == (
        f"{url} is not on this site (http://10.0.0.5:3000, https://blog.example.com)"
    )
    assert caught.value.hint == "Paste an address of blog, or its path only (such as /blog/a)"


def test_without_hosts_any_url_gives_its_path_as_before() -> None:
    assert parse_target("https://shop.example.org/cart") == Target.path("/cart")


def test_words_are_not_silently_made_a_path() -> None:
    parsed = parse_targets("hello world\nblog/a", site=SITE)
    assert parsed.targets == (Target.path("/blog/a"),)
    assert parsed.problems == (
        "line 1: 'hello world' is not a page address — A page address starts with / and has "
        "no spaces, like /blog/hello-world",
    )


URL = "https://s.example"


@pytest.mark.parametrize(
    ("site", "forms", "kept"),
    [
        (SiteProfile("s", URL), ["/about", "/about/"], "/about"),
        (SiteProfile("s", URL, trailing_slash=True), ["/about/", "/about"], "/about/"),
        (SiteProfile("s", URL, base_path="/shop"), ["/shop/about", "/about"], "/shop/about"),
        (SiteProfile("s", URL), ["/caf%c3%a9", "/café", "/caf%C3%A9"], "/caf%c3%a9"),
    ],
)  # fmt: skip
def test_forms_of_one_page_are_sent_once_the_first_kept(
    site: SiteProfile, forms: list[str], kept: str
) -> None:
    targets = [Target.path(f) for f in forms] + [Target.path("/other"), Target.tag("about")]
    unique, note = same_pages(targets, site)
    assert unique == [Target.path(kept), Target.path("/other"), Target.tag("about")]
    assert note == f"{len(forms)} targets were the same page; sent once"


def test_exact_repeats_are_dropped_without_a_note_and_two_pages_are_counted() -> None:
    site = SiteProfile("s", "https://s.example")
    assert same_pages([Target.path("/a"), Target.path("/a")], site) == ([Target.path("/a")], None)
    forms = ["/a", "/a/", "/b", "/b/"]
    unique, note = same_pages([Target.path(f) for f in forms], site)
    assert unique == [Target.path("/a"), Target.path("/b")]
    assert note == "4 targets were 2 pages; each page sent once"
