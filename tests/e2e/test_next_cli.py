"""The ``isr-desk`` CLI against the real Next.js site: manifest, path, tag, bulk, presets, errors.

Every command runs as a subprocess of the installed ``isr-desk`` under this test's environment
(``ISR_DESK_HOME`` from the autouse fixture, the real keyring of ``scripts/with-keyring.sh``).
Each test then fetches the page and checks that its content really changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import NextSite

pytestmark = [pytest.mark.e2e, pytest.mark.keyring, pytest.mark.timeout(300)]

ISR_DESK = Path(sys.executable).with_name("isr-desk")


def isr_desk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ISR_DESK), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        check=False,
    )


JsonObject = dict[str, Any]


def json_lines(done: subprocess.CompletedProcess[str]) -> tuple[list[JsonObject], JsonObject]:
    """The per-result objects and the summary of a ``revalidate --json`` run."""
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert lines, f"no output; stderr: {done.stderr}"
    assert "summary" in lines[-1], lines
    return lines[:-1], lines[-1]["summary"]


AddSite = Callable[..., str]


@pytest.fixture
def add_site(next_site: NextSite, real_keyring: object, unique_name: str) -> Iterator[AddSite]:
    """``add_site(*options, secret=...)`` runs ``isr-desk site add``; removes the sites after."""
    added: list[str] = []

    def add(*options: str, secret: str | None = None, suffix: str = "") -> str:
        name = unique_name + suffix
        secret_line = (next_site.secret if secret is None else secret) + "\n"
        done = isr_desk(
            "site", "add", name, "--url", next_site.url, *options, "--secret-stdin",
            stdin=secret_line,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        added.append(name)
        return name

    yield add
    for name in added:
        isr_desk("site", "remove", name)


def revalidate(name: str, *args: str) -> tuple[int, list[JsonObject], JsonObject]:
    done = isr_desk("revalidate", name, *args, "--json")
    assert done.returncode in (0, 1), done.stderr
    results, summary = json_lines(done)
    return done.returncode, results, summary


SLUGS = ("hello-world", "on-demand", "cache-tags", "stale-while-revalidate", "pages-router")
CATEGORIES = {  # data/posts.json: each post's category tag (lib/tags.ts); pages-router has none
    "hello-world": "category-news",
    "on-demand": "category-guides",
    "cache-tags": "category-guides",
    "stale-while-revalidate": "category-caching",
}


def manifest(name: str, *args: str) -> JsonObject:
    done = isr_desk("manifest", name, *args, "--json")
    assert done.returncode == 0, done.stderr
    document: JsonObject = json.loads(done.stdout)
    return document


def test_cli_manifest_from_the_real_build(next_site: NextSite, add_site: AddSite) -> None:
    name = add_site("--manifest", str(next_site.build_dir))

    document = manifest(name)

    assert document["kind"] == "next-build"
    paths = {entry["path"]: entry for entry in document["paths"]}
    for slug in SLUGS:
        post = paths[f"/posts/{slug}"]
        assert (post["pattern"], post["router"]) == ("/posts/[slug]", "app")
        assert post["revalidate"] == 3600
        category = [CATEGORIES[slug]] if slug in CATEGORIES else []
        assert post["tags"] == ["posts", f"post:{slug}", *category]
        assert f"_N_T_/posts/{slug}" in post["implicit_tags"]
        assert paths[f"/legacy/{slug}"]["router"] == "pages"
    assert paths["/"]["tags"] == ["posts"]
    own = {tag["tag"]: tag for tag in document["tags"] if not tag["implicit"]}
    assert set(own) == {"posts", *(f"post:{slug}" for slug in SLUGS), *CATEGORIES.values()}
    assert sorted(own["category-guides"]["paths"]) == ["/posts/cache-tags", "/posts/on-demand"]
    assert sorted(own["posts"]["paths"]) == sorted(["/", *(f"/posts/{slug}" for slug in SLUGS)])
    assert own["post:on-demand"]["paths"] == ["/posts/on-demand"]
    assert all(tag["tag"].startswith("_N_T_") for tag in document["tags"] if tag["implicit"])
    assert {route["pattern"] for route in document["routes"]} == {"/posts/[slug]", "/legacy/[id]"}
    # --source with the project directory finds the same build.
    assert manifest(name, "--source", str(next_site.build_dir.parent))["paths"] == document["paths"]


def test_cli_manifest_never_shows_the_preview_secret(
    next_site: NextSite, add_site: AddSite
) -> None:
    name = add_site("--manifest", str(next_site.build_dir))
    prerender = json.loads((next_site.build_dir / "prerender-manifest.json").read_text())
    hidden = [value for value in prerender["preview"].values() if isinstance(value, str)]
    assert len(hidden) == 3

    for extra in ((), ("--implicit",)):
        done = isr_desk("manifest", name, *extra)
        as_json = isr_desk("manifest", name, *extra, "--json")
        assert done.returncode == as_json.returncode == 0, done.stderr + as_json.stderr
        assert "/posts/hello-world" in done.stdout
        for output in (done.stdout, done.stderr, as_json.stdout, as_json.stderr):
            assert not any(value in output for value in hidden)


def test_cli_purges_a_manifest_tag_and_its_pages_change(
    next_site: NextSite, add_site: AddSite
) -> None:
    name = add_site("--manifest", str(next_site.build_dir))
    (posts_tag,) = (tag for tag in manifest(name)["tags"] if tag["tag"] == "post:hello-world")
    title = next_site.edit_post("hello-world", title=next_site.unique("Manifest tag"))["title"]

    code, results, _ = revalidate(name, "--tag", posts_tag["tag"])

    assert code == 0
    assert results[0]["ok"] is True
    for path in posts_tag["paths"]:
        next_site.wait_for(path, lambda page: page.title == title)


def test_cli_revalidates_one_path(next_site: NextSite, add_site: AddSite) -> None:
    name = add_site("--preset", "app-router")
    before = next_site.settle("/posts/on-demand")
    title = next_site.edit_post("on-demand", title=next_site.unique("CLI path"))["title"]

    code, results, summary = revalidate(name, "--path", "/posts/on-demand")

    assert code == 0
    (result,) = results
    assert (result["kind"], result["target"], result["ok"]) == ("path", "/posts/on-demand", True)
    assert result["status"] == 200
    assert result["response"]["revalidated"] is True
    assert result["error"] is None
    assert (summary["total"], summary["ok"], summary["failed"]) == (1, 1, 0)
    after = next_site.page("/posts/on-demand")
    assert (after.cache, after.title) == ("MISS", title)
    assert after.generated_at != before.generated_at


def test_cli_revalidates_one_tag_stale_then_fresh(next_site: NextSite, add_site: AddSite) -> None:
    name = add_site("--preset", "bearer")
    before = next_site.settle("/posts/cache-tags")
    title = next_site.edit_post("cache-tags", title=next_site.unique("CLI tag"))["title"]

    code, results, _ = revalidate(name, "--tag", "post:cache-tags")

    assert code == 0
    assert [(r["kind"], r["target"], r["ok"]) for r in results] == [
        ("tag", "post:cache-tags", True)
    ]
    first = next_site.page("/posts/cache-tags")
    assert (first.cache, first.title) == ("STALE", before.title)
    next_site.wait_for("/posts/cache-tags", lambda page: page.title == title)


@pytest.mark.parametrize(
    ("preset", "batch"),
    [("app-router", "0"), ("bearer", "0"), ("app-router", "10")],
    ids=["app-router", "bearer", "app-router-batched"],
)
def test_cli_bulk_list_from_file(
    next_site: NextSite, add_site: AddSite, tmp_path: Path, preset: str, batch: str
) -> None:
    name = add_site("--preset", preset, "--batch", batch)
    slugs = ("hello-world", "on-demand")
    titles = {slug: next_site.unique(f"Bulk {slug}") for slug in slugs}
    for slug, title in titles.items():
        next_site.edit_post(slug, title=title)
    tagged = next_site.unique("Bulk tagged")
    next_site.settle("/posts/stale-while-revalidate")
    next_site.edit_post("stale-while-revalidate", title=tagged)
    listing = tmp_path / "targets.txt"
    listing.write_text(
        "".join(f"/posts/{slug}\n" for slug in slugs) + "tag:post:stale-while-revalidate\n"
    )

    code, results, summary = revalidate(name, "--from-file", str(listing))

    assert code == 0
    assert all(r["ok"] and r["status"] == 200 for r in results), results
    assert sorted(r["target"] for r in results) == sorted(
        [*(f"/posts/{slug}" for slug in slugs), "post:stale-while-revalidate"]
    )
    assert (summary["total"], summary["ok"], summary["failed"]) == (3, 3, 0)
    for slug, title in titles.items():
        assert next_site.page(f"/posts/{slug}").title == title
    next_site.wait_for("/posts/stale-while-revalidate", lambda page: page.title == tagged)


def test_cli_pages_router_preset(next_site: NextSite, add_site: AddSite) -> None:
    name = add_site("--preset", "pages-router", "--endpoint", "/api/revalidate-pages")
    before = next_site.settle("/legacy/cache-tags")
    title = next_site.edit_post("cache-tags", title=next_site.unique("CLI legacy"))["title"]

    code, results, _ = revalidate(name, "--path", "/legacy/cache-tags")

    assert code == 0
    (result,) = results
    assert (result["ok"], result["status"], result["response"]) == (
        True, 200, {"revalidated": True}
    )  # fmt: skip
    after = next_site.page("/legacy/cache-tags")
    assert after.title == title  # res.revalidate regenerates before it returns
    assert after.generated_at != before.generated_at


def test_cli_wrong_secret_gives_the_401_hint(next_site: NextSite, add_site: AddSite) -> None:
    name = add_site("--preset", "app-router", secret="not-the-secret")
    before = next_site.settle("/posts/hello-world")
    next_site.edit_post("hello-world", title=next_site.unique("Never shown"))

    code, results, summary = revalidate(name, "--path", "/posts/hello-world")

    assert code == 1
    (result,) = results
    assert (result["ok"], result["status"]) == (False, 401)
    assert result["response"] == {"message": "Invalid token"}
    assert "secret" in result["hint"].lower()
    assert summary["failed"] == 1
    assert next_site.page("/posts/hello-world").title == before.title
    assert "not-the-secret" not in json.dumps(results)
