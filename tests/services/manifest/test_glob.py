"""Choosing tags and paths by glob: ``*`` within a segment, ``**`` across segments."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from isr_desk.domain import Manifest, ManifestPath, ManifestTag, Target
from isr_desk.services.manifest import is_glob, load_manifest, matches, select

BUILD = Path(__file__).parents[2] / "fixtures" / "next-build"


def test_star_stays_in_a_segment_and_double_star_crosses() -> None:
    assert matches("/blog/*", "/blog/a")
    assert not matches("/blog/*", "/blog/2019/a")
    assert matches("/blog/2019/**", "/blog/2019/a/b")
    assert matches("/blog/2019/**", "/blog/2019")  # the directory itself
    assert not matches("/blog/2019/**", "/blog/20190")
    assert matches("category:*", "category:shoes")
    assert not matches("category:*", "tag:category:shoes")
    assert matches("/p?st", "/post")
    assert not matches("/p?st", "/p/st")


def test_other_characters_are_literal() -> None:
    assert matches("/a.b/[x]+", "/a.b/[x]+")
    assert not matches("/a.b", "/aXb")
    assert not is_glob("/plain/path")
    assert is_glob("post:*")


segment = st.text(alphabet="abcXYZ019-_.:%", min_size=1, max_size=6)


@given(st.lists(segment, min_size=1, max_size=5))
def test_a_literal_pattern_matches_only_itself(parts: list[str]) -> None:
    path = "/" + "/".join(parts)
    assert matches(path, path)
    assert not matches(path, path + "x")


@given(st.lists(segment, min_size=2, max_size=5))
def test_double_star_matches_everything_below_a_prefix(parts: list[str]) -> None:
    path = "/" + "/".join(parts)
    assert matches(f"/{parts[0]}/**", path)
    assert matches("/**", path)
    assert matches("/" + "/".join("*" for _ in parts), path)
    assert not matches("/*", path)  # more than one segment


@given(st.text(max_size=20), st.text(max_size=20))
def test_glob_agrees_with_a_simple_reference(pattern: str, text: str) -> None:
    """Against fnmatch-like semantics built independently: * is [^/]*, ** is .*."""
    reference = "".join(
        ".*" if tok == "**" else "[^/]*" if tok == "*" else "[^/]" if tok == "?" else re.escape(tok)
        for tok in re.findall(r"\*\*+|\*|\?|[^*?]", pattern)
    )
    if pattern.endswith("/**"):
        return  # the directory-itself rule is tested above
    assert matches(pattern, text) == (re.fullmatch(reference, text, re.DOTALL) is not None)


def test_select_counts_tags_paths_and_the_pages_tags_touch() -> None:
    manifest = load_manifest(str(BUILD))
    chosen = select(manifest, tag_globs=["post:*"], path_globs=["/legacy/**"])
    assert chosen.tags == (
        "post:cache-tags",
        "post:hello-world",
        "post:on-demand",
        "post:pages-router",
        "post:stale-while-revalidate",
    )
    assert all(p.startswith("/legacy/") for p in chosen.paths)
    assert len(chosen.paths) == 5
    assert chosen.touched == tuple(f"/posts/{t[5:]}" for t in chosen.tags)
    assert len(chosen.pages()) == 10
    assert chosen.summary() == "5 tag(s) and 5 path(s) match; 10 page(s) touched"
    assert Target.tag("post:on-demand") in chosen.targets()


def test_implicit_tags_only_by_a_glob_that_names_them() -> None:
    manifest = Manifest(
        "m",
        "json",
        paths=(ManifestPath("/a", tags=("x",)),),
        tags=(ManifestTag("x", ("/a",)), ManifestTag("_N_T_/a", ("/a",), implicit=True)),
    )
    assert select(manifest, tag_globs=["*"]).tags == ("x",)
    assert select(manifest, tag_globs=["_N_T_/**"]).tags == ("_N_T_/a",)
    assert select(manifest, tag_globs=["nothing*"]).tags == ()
