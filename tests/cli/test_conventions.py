"""The CLI shows and keeps a site's conventions: `site add --manifest` detects them, `manifest`
prints them (text and --json) with the exact fix, `site edit` changes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from isr_desk.services.sites import ProfileStore

ISR = str(Path(sys.executable).with_name("isr-desk"))
SHAPES = Path(__file__).parents[1] / "fixtures" / "next-shapes"


def isr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ISR, *args], capture_output=True, text=True, env=os.environ, timeout=60, check=False
    )


def test_site_add_detects_base_path_and_trailing_slash_from_the_build() -> None:
    done = isr("site", "add", "shop", "--url", "https://shop.example/shop",
               "--manifest", str(SHAPES / "next14-shop"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Detected from the build: Next 14.2" in done.stdout
    assert ProfileStore().get("shop").base_path == "/shop"
    blog = isr("site", "add", "blog", "--url", "https://blog.example",
               "--manifest", str(SHAPES / "next15-blog"))  # fmt: skip
    assert blog.returncode == 0, blog.stderr
    assert ProfileStore().get("blog").trailing_slash is True
    show = isr("site", "show", "blog")
    assert "trailing slash" in show.stdout
    assert "/blog/hello-world/" in show.stdout  # the request preview is in the site's form


def test_manifest_shows_conventions_and_the_exact_fix_when_the_profile_differs() -> None:
    assert isr("site", "add", "blog", "--url", "https://blog.example").returncode == 0
    done = isr("manifest", "blog", "--source", str(SHAPES / "next15-blog"))
    assert done.returncode == 0, done.stderr
    assert "Detected: Next 15.5 · App Router · trailingSlash" in done.stdout
    assert "tags + " in done.stdout.splitlines()[0]
    assert "isr-desk site edit blog --trailing-slash" in done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("/en/blog/roadmap "))
    assert line.split()[1] == "/en/blog/roadmap/"  # SENT AS
    doc = json.loads(isr("manifest", "blog", "--source", str(SHAPES / "next15-blog"),
                         "--json").stdout)  # fmt: skip
    assert doc["site"]["trailing_slash"] is True
    assert doc["site"]["summary"] == "Next 15.5 · App Router · trailingSlash"
    roadmap = next(p for p in doc["paths"] if p["path"] == "/en/blog/roadmap")
    assert roadmap["send"]["revalidatePath"] == "/en/blog/roadmap/"
    assert not any(p["path"] == "/_not-found" for p in doc["paths"])
    (route,) = doc["routes"]
    assert route["send"] == {"revalidatePath": "/[lang]/blog/[slug]", "type": "page"}
    assert isr("site", "edit", "blog", "--trailing-slash").returncode == 0
    again = isr("manifest", "blog", "--source", str(SHAPES / "next15-blog"))
    assert "site edit" not in again.stderr


def test_cache_life_max_is_shown_as_30_days() -> None:
    assert isr("site", "add", "cache", "--url", "https://c.example").returncode == 0
    done = isr("manifest", "cache", "--source", str(SHAPES / "next16-cache"))
    home = next(x for x in done.stdout.splitlines() if x.startswith("/ "))
    assert "30 days" in home
    assert "e+06" not in done.stdout


def test_site_add_without_the_base_path_in_the_url_still_reaches_the_route() -> None:
    done = isr("site", "add", "shop", "--url", "https://shop.example",
               "--manifest", str(SHAPES / "next14-shop"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    # basePath detected: every route, the revalidation route too, is under /shop
    assert "POST https://shop.example/shop/api/revalidate?secret=" in done.stdout


def test_doctor_refuses_a_page_url_of_another_host() -> None:
    assert isr("site", "add", "blog", "--url", "http://127.0.0.1:9").returncode == 0
    done = isr("doctor", "blog", "--path", "https://evil.example/a")
    assert done.returncode == 2
    assert "not on this site" in done.stderr
