"""A tag scheme renamed between two deploys of the real Next.js site, refreshed by the diff.

The walk-through of docs/patterns-and-diffs.md, step by step, as a user does it:

1. Build 1 (``tests/e2e/next_site``) tags every page of a category ``category-<slug>``
   (``lib/tags.ts``). The site's manifest is loaded: ISR Desk keeps a snapshot of it.
2. A developer renames the scheme to ``cat:<slug>`` in ``lib/tags.ts`` and deploys: build 2
   (a copy of the site's sources with that one change, its ``node_modules`` reused) is
   started where build 1 was; the profile's manifest source (a ``current`` link, as in a
   release-folder deploy) now points at build 2.
3. An editor renames the categories in the data the pages read at request time.
4. The old purge (``--tag category-guides``) is answered ``revalidated: true`` and does
   nothing: the new build's pages no longer carry that tag.
5. ``manifest diff --since-last`` shows the renames (same page sets); ``--revalidate`` sends
   exactly the new tag names — the route's own log says which — and every page of a
   category serves its new name, while a page outside every category keeps its old content.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SITE_DIR, NextSite
from tests.e2e.isr_cli import AddSite, isr_desk
from tests.e2e.nextjs import ensure_built, require_node, run_site
from tests.helpers.sites import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.keyring, pytest.mark.timeout(600)]

OLD_SCHEME = "return `category-${category}`;"
NEW_SCHEME = "return `cat:${category}`;"
CATEGORY_PAGES = {  # category -> its pages (data/posts.json)
    "caching": ["/posts/stale-while-revalidate"],
    "guides": ["/posts/cache-tags", "/posts/on-demand"],
    "news": ["/posts/hello-world"],
}
OUTSIDE = "/posts/pages-router"  # no category: no category tag
_CATEGORY = re.compile(r'id="category">([^<]*)<')
_ROUTE_LOG = re.compile(r"isr-desk-e2e revalidate (\{.*\})")


def _link_tree(source: Path, target: Path) -> None:
    """``node_modules`` reused without a download: hard links (a copy across file systems).
    Not a symlink: the bundler refuses a node_modules that points outside the project."""
    ignore = shutil.ignore_patterns(".isr-desk-*")  # the install stamp and the build lock
    try:
        shutil.copytree(source, target, symlinks=True, ignore=ignore, copy_function=os.link)
    except (OSError, shutil.Error):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True, ignore=ignore)


def renamed_copy(workdir: Path) -> Path:
    """Build 2's project: the site's sources with the tag scheme renamed in ``lib/tags.ts``."""
    project = workdir / "build-2"
    shutil.copytree(SITE_DIR, project, ignore=shutil.ignore_patterns("node_modules", ".next"))
    tags = project / "lib" / "tags.ts"
    code = tags.read_text()
    assert OLD_SCHEME in code, "lib/tags.ts no longer has the scheme this test renames"
    tags.write_text(code.replace(OLD_SCHEME, NEW_SCHEME))
    _link_tree(SITE_DIR / "node_modules", project / "node_modules")
    return project


def category_of(site: NextSite, path: str) -> tuple[str | None, str | None]:
    """The category name a page shows, and its ``x-nextjs-cache``."""
    response = site.client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    match = _CATEGORY.search(response.text)
    return (match.group(1) if match else None), response.headers.get("x-nextjs-cache")


def route_requests(site: NextSite, after: int) -> list[dict[str, list[str]]]:
    """What the site's revalidation route received after ``after`` characters of its log."""
    return [json.loads(m.group(1)) for m in _ROUTE_LOG.finditer(site.server_output()[after:])]


def run_json(*args: str) -> list[dict[str, Any]]:
    done = isr_desk(*args, "--json")
    assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


@pytest.fixture
def deploy(tmp_path: Path) -> Iterator[Path]:
    """``current``: the link a release-folder deploy switches (build 1 at first)."""
    require_node()
    ensure_built(SITE_DIR)
    current = tmp_path / "current"
    current.symlink_to(SITE_DIR, target_is_directory=True)
    yield current
    with contextlib.suppress(FileNotFoundError):
        current.unlink()


def rename_categories(site: NextSite) -> dict[str, str]:
    """The editor's change: every category gets a new name; the post outside them a new title."""
    data = json.loads(site.data_file.read_text())
    names = {c["slug"]: site.unique(c["name"]) for c in data["categories"]}
    for category in data["categories"]:
        category["name"] = names[category["slug"]]
    (outside,) = (p for p in data["posts"] if f"/posts/{p['slug']}" == OUTSIDE)
    outside["title"] = site.unique("Not refreshed")
    site.write_data(json.dumps(data, indent=2))
    return names


def test_a_renamed_tag_scheme_is_refreshed_by_the_diff(
    deploy: Path, tmp_path: Path, add_site: AddSite
) -> None:
    secret = secrets.token_urlsafe(18)
    port = free_port()
    name = add_site(f"http://127.0.0.1:{port}", secret, "--manifest", str(deploy / ".next"))
    # 1. Build 1's manifest is loaded: a snapshot is kept.
    first = run_json("manifest", name)[0]
    old_tags = {t["tag"]: sorted(t["paths"]) for t in first["tags"] if not t["implicit"]}
    assert {f"category-{c}": pages for c, pages in CATEGORY_PAGES.items()}.items() <= (
        old_tags.items()
    )
    # 2. The renamed scheme is built and deployed where build 1 was.
    project = renamed_copy(tmp_path)
    workdir = tmp_path / "run"
    workdir.mkdir()
    with run_site(project, workdir, secret, port=port, install=False) as (site,):
        deploy.unlink()
        deploy.symlink_to(project, target_is_directory=True)
        for pages in CATEGORY_PAGES.values():
            for page in pages:
                site.settle(page)
        outside_before = site.settle(OUTSIDE)
        # 3. The editor's change, read by the pages at request time.
        names = rename_categories(site)
        _old_purge_does_nothing(site, name)
        mark = len(site.server_output())
        # 5. The diff, and the refresh of exactly what it found.
        diff = _diff_shows_the_rename(name)
        lines = run_json("manifest", "diff", "--since-last", name, "--revalidate", name)
        results = [line for line in lines[1:] if "target" in line]
        assert sorted(r["target"] for r in results) == diff["targets_sent"]
        assert all(r["ok"] for r in results), results
        sent = route_requests(site, mark)
        assert sorted(tag for r in sent for tag in r["tags"]) == diff["new_tags"]
        assert [path for r in sent for path in r["paths"]] == []
        _each_page_shows(site, names)
        after = site.page(OUTSIDE)
        assert (after.title, after.cache) == (outside_before.title, "HIT")


def _old_purge_does_nothing(site: NextSite, name: str) -> None:
    """4. What the team's old script sends: the route says yes, no page of the site changes."""
    results = run_json("revalidate", name, "--tag", "category-guides")
    assert [(r["target"], r["ok"]) for r in results[:-1]] == [("category-guides", True)]
    for page in CATEGORY_PAGES["guides"]:
        # A purge that hit this page would make this GET a STALE (Next 16, profile "max").
        assert category_of(site, page) == ("Guides", "HIT")


def _diff_shows_the_rename(name: str) -> dict[str, list[str]]:
    (diff,) = run_json("manifest", "diff", "--since-last", name)
    renamed = sorted((r["old"], r["new"]) for r in diff["tags_renamed"])
    assert renamed == [(f"category-{c}", f"cat:{c}") for c in sorted(CATEGORY_PAGES)]
    assert (diff["tags_added"], diff["tags_removed"]) == ([], [])
    assert (diff["pages_added"], diff["pages_removed"]) == ([], [])
    changed = {c["path"]: c["tags"] for c in diff["pages_changed"]}
    assert sorted(changed) == sorted(p for pages in CATEGORY_PAGES.values() for p in pages)
    # Same page sets under the new names, in the build that is deployed now.
    now = run_json("manifest", name)[0]
    new_tags = {t["tag"]: sorted(t["paths"]) for t in now["tags"] if not t["implicit"]}
    for category, pages in CATEGORY_PAGES.items():
        assert new_tags[f"cat:{category}"] == pages
        assert f"category-{category}" not in new_tags
    wanted = sorted(f"cat:{c}" for c in CATEGORY_PAGES)
    assert diff["targets"] == [f"tag:{t}" for t in wanted]  # the pages come with their tags
    text = isr_desk("manifest", "diff", "--since-last", name)
    assert text.returncode == 0, text.stderr
    for category in CATEGORY_PAGES:
        assert f"~ category-{category} -> cat:{category}" in text.stdout
    return {"new_tags": wanted, "targets_sent": wanted}


def _each_page_shows(site: NextSite, names: dict[str, str]) -> None:
    """Each page of a category: the first GET is STALE with the old name (the purge hit it),
    then the page is rebuilt and serves the new name as a HIT."""
    for category, pages in CATEGORY_PAGES.items():
        for page in pages:
            first = category_of(site, page)
            assert first[1] == "STALE", (page, first)
            assert first[0] != names[category]
            seen = site.wait_for(page, lambda p, c=category: _shows(p.text, names[c]))
            assert seen[-1].cache == "HIT", (page, seen[-1].cache)


def _shows(text: str, name: str) -> bool:
    match = _CATEGORY.search(text)
    return bool(match) and match.group(1) == name
