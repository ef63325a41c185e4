"""Typed targets checked before sending: another site's URL is refused (its host is not the
site's), words are not turned into a path by a silent "/", a site's own URL gives its path."""

from __future__ import annotations

import pytest

from isr_desk.domain import Target
from isr_desk.services.sites import TargetError, parse_target, parse_targets, site_hosts

HOSTS = site_hosts("https://blog.example.com", "http://10.0.0.5:3000", None, "/isr.json")


def test_site_hosts_are_the_hosts_of_the_urls_given() -> None:
    assert {"blog.example.com", "10.0.0.5"} == HOSTS


def test_a_url_of_the_site_gives_its_path() -> None:
    # The query is dropped (with a note): a revalidation names a page (docs/conventions.md).
    assert parse_target("https://Blog.Example.com/a?x=1", hosts=HOSTS) == Target.path("/a")
    assert parse_target("http://10.0.0.5:3000/", hosts=HOSTS) == Target.path("/")


def test_a_url_of_another_site_is_refused_with_its_host_named() -> None:
    with pytest.raises(TargetError) as caught:
        parse_target("https://shop.example.org/cart", hosts=HOSTS)
    assert caught.value.message == (
        "https://shop.example.org/cart is a page of shop.example.org, not of this site"
    )
    assert caught.value.hint is not None
    assert "Pick that site" in caught.value.hint


def test_without_hosts_any_url_gives_its_path_as_before() -> None:
    assert parse_target("https://shop.example.org/cart") == Target.path("/cart")


def test_words_are_not_silently_made_a_path() -> None:
    parsed = parse_targets("hello world\nblog/a", hosts=HOSTS)
    assert parsed.targets == (Target.path("/blog/a"),)
    assert parsed.problems == (
        "line 1: 'hello world' is not a page address — A page address starts with / and has "
        "no spaces, like /blog/hello-world",
    )
